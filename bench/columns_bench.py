"""Reading order on two-column pages (issue 14 item 4): the project, bare Tesseract and OCRmyPDF on generated
Vietnamese pages laid out like a bulletin or a two-column report (a heading across the page, then two justified
columns), clean and with the sample scans' noise. Ordered CER (the text must come left column, then right) beside
the order-free word error (which reading order cannot change): the gap between them is what order costs.

    .venv/bin/python bench/columns_bench.py [--pages 6] [--skip-ocrmypdf]

The pages are made here, by the same hands as the code (see BENCHMARKS.md for what that means); no real
two-column Vietnamese scan with a ground truth is available to this project.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _cer import bag_of_words_errors, char_errors  # noqa: E402
from degrade_field import scan_noise  # noqa: E402

DPI = 200
FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
BOLD = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf"
PARAGRAPHS = (
    "Thực hiện chương trình chuyển đổi số của tỉnh, bộ phận một cửa các huyện đã số hoá hồ sơ thủ tục hành chính "
    "khi tiếp nhận và trả kết quả, để người dân không phải nộp lại giấy tờ đã có trong kho dữ liệu.",
    "Trong quý, các cơ quan đã tiếp nhận nhiều hồ sơ đất đai, hộ tịch và đăng ký kinh doanh; tỷ lệ hồ sơ có kết "
    "quả điện tử tăng rõ, nhưng việc số hoá thành phần hồ sơ ở cấp xã còn chậm do thiếu máy quét.",
    "Sở Thông tin và Truyền thông đề nghị các đơn vị rà soát danh mục giấy tờ phải số hoá, bố trí người quét tại "
    "quầy, kiểm tra chất lượng bản quét và cập nhật trạng thái hồ sơ trên hệ thống thông tin giải quyết thủ tục.",
    "Văn phòng Ủy ban nhân dân tỉnh theo dõi, tổng hợp kết quả hằng tháng, báo cáo Chủ tịch Ủy ban nhân dân tỉnh "
    "những khó khăn, vướng mắc để kịp thời chỉ đạo, bảo đảm hoàn thành chỉ tiêu được giao trong năm.",
    "Người dân có thể tra cứu tình trạng hồ sơ bằng mã hồ sơ in trên giấy tiếp nhận, hoặc quét mã QR ở góc trên "
    "bên trái của phiếu; kết quả giải quyết được gửi về kho dữ liệu điện tử của tổ chức, cá nhân.",
    "Các huyện miền núi được hỗ trợ kinh phí mua sắm thiết bị, tập huấn cho cán bộ một cửa về quy trình số hoá, "
    "lưu trữ hồ sơ điện tử và bảo mật dữ liệu cá nhân theo quy định hiện hành của Nhà nước.",
)
HEADINGS = ("BẢN TIN CẢI CÁCH HÀNH CHÍNH", "BÁO CÁO TÌNH HÌNH SỐ HOÁ HỒ SƠ", "THÔNG TIN CHUYỂN ĐỔI SỐ")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if font.getlength(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    return [*lines, line] if line else lines


def two_column_page(number: int, noisy: bool, gutter_inches: float = 0.35) -> tuple[Image.Image, str]:
    """An A4 page at 200 dpi: a heading across, then paragraphs in two columns (left filled first); a narrow
    gutter (a crowded bulletin) is where a layout analysis runs the columns' lines together."""
    width, height = int(8.27 * DPI), int(11.69 * DPI)
    margin, gutter = int(0.8 * DPI), int(gutter_inches * DPI)
    body = ImageFont.truetype(FONT, int(12 / 72 * DPI))
    title = ImageFont.truetype(BOLD, int(15 / 72 * DPI))
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    heading = HEADINGS[number % len(HEADINGS)]
    draw.text(((width - title.getlength(heading)) / 2, margin), heading, font=title, fill="black")
    column = (width - 2 * margin - gutter) // 2
    order = [PARAGRAPHS[(number + shift) % len(PARAGRAPHS)] for shift in range(len(PARAGRAPHS))]
    lines = [line for paragraph in order for line in [*_wrap(paragraph, body, column), ""]]
    half = (len(lines) + 1) // 2
    top, step = margin + int(0.6 * DPI), int(body.size * 1.45)
    for left, chunk in ((margin, lines[:half]), (margin + column + gutter, lines[half:])):
        for row, line in enumerate(chunk):
            draw.text((left, top + row * step), line, font=body, fill="black")
    truth = "\n".join([heading, *lines[:half], *lines[half:]])
    if noisy:
        image = Image.fromarray(scan_noise(np.asarray(image), np.random.default_rng([14, 7, number]), DPI))
    return image, unicodedata.normalize("NFC", truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=6, help="pages per class (clean, noisy)")
    parser.add_argument("--skip-ocrmypdf", action="store_true")
    args = parser.parse_args()
    from ocr import OcrOptions, ocr_files

    work = Path(tempfile.mkdtemp(prefix="sohoa-columns-"))
    pages: dict[str, list[tuple[Path, str]]] = {"clean": [], "noisy": [], "narrow gutter, noisy": []}
    for name in pages:
        for number in range(args.pages):
            gutter = 0.12 if name.startswith("narrow") else 0.35
            image, truth = two_column_page(number, "noisy" in name, gutter)
            path = work / f"{name.replace(' ', '').replace(',', '-')}-{number}.png"
            image.save(path, dpi=(DPI, DPI))
            pages[name].append((path, truth))
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def bare(path: Path) -> str:
        command = ["tesseract", str(path), "-", "-l", "vie"]
        return subprocess.run(command, capture_output=True, check=True, env=env, encoding="utf-8").stdout

    def ocrmypdf(path: Path) -> str:
        out = path.with_suffix(".txt")
        subprocess.run(
            [sys.executable, "-m", "ocrmypdf", "--jobs", "1", "-l", "vie", "--image-dpi", str(DPI), "--sidecar",
             str(out), "--output-type", "pdf", str(path), str(path.with_suffix(".pdf"))],
            capture_output=True, check=True,
        )  # fmt: skip
        return out.read_text(encoding="utf-8")

    print("| pages | engine | CER (ordered) | words, order-free |")
    print("|---|---|---:|---:|")
    started = time.perf_counter()
    for name, found in pages.items():
        ours = [outcome.result.text for outcome in ocr_files([path for path, _ in found], OcrOptions(lang="vie"))]
        engines = {"sohoa (vie)": ours}
        with ThreadPoolExecutor(2) as pool:
            engines["bare tesseract -l vie"] = list(pool.map(bare, [path for path, _ in found]))
            if not args.skip_ocrmypdf:
                engines["ocrmypdf -l vie"] = list(pool.map(ocrmypdf, [path for path, _ in found]))
        for engine, texts in engines.items():
            errors = length = word_errors = words = 0
            for (_, truth), text in zip(found, texts, strict=True):
                e, n = char_errors(truth, text)
                we, wn = bag_of_words_errors(truth, text)
                errors, length, word_errors, words = errors + e, length + n, word_errors + we, words + wn
            print(f"| {name}, {len(found)} | {engine} | {errors / length:.2%} | {word_errors / words:.2%} |")
    print(f"\n{time.perf_counter() - started:.0f} s; work folder {work}")


if __name__ == "__main__":
    main()
