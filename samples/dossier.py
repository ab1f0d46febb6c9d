"""The project's own sample scans: a small synthetic dossier with its true text, for tests, demos and benches.

`render_dossier(outdir)` writes four documents of dossier `000.00.00.H33-230607-0001`, one per input format
the pipeline accepts (JPEG, PNG, 2-page TIFF, image-only PDF), their true text under `truth/`, and
`manifest.json`. Output is byte-for-byte reproducible from (dpi, degrade, seed).

The true text holds one line per printed line, pages separated by a form feed. Side-by-side blocks (the
header's issuing body and national motto, the two halves of a signature block) give the left block's lines
first, then the right block's, which is the order Tesseract reads separated blocks in. Cells of a tabbed
row are joined by one space.

`skew_degrees` follows OpenCV and Pillow: positive turns the content counter-clockwise on the page.
"""

from __future__ import annotations

import json
import unicodedata
import zlib
from dataclasses import replace
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel, ConfigDict

from samples._sample_texts import DOCUMENTS, DOSSIER_CODE, Columns, DocumentSpec, Gap, Line, Scribble
from schemas.text import fold

__all__ = ["DOSSIER_CODE", "SampleDocument", "load_manifest", "render_dossier"]

MM = 72 / 25.4  # points per millimetre
PAGE_W, PAGE_H = 210 * MM, 297 * MM  # A4
# Nghị định 30/2020 Phụ lục I margins: top/bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
LEFT, RIGHT, TOP, BOTTOM = 30 * MM, PAGE_W - 15 * MM, 20 * MM, PAGE_H - 20 * MM
LEFT_CELL = 190.0  # pt; the issuing body sits centred in the header's left cell, about 40% of the width
LEADING = 1.25  # line pitch as a multiple of the font size
INK = (25, 25, 30)
PEN = (35, 55, 150)  # ballpoint blue for signatures
SKEW_RANGE = (0.8, 2.5)  # degrees, either sign
NOISE_SIGMA = 4.0  # grey levels; more makes lossless files balloon without making OCR any more honest
JPEG_QUALITY_DEGRADED, JPEG_QUALITY_CLEAN = 70, 92
EXTENSIONS = {"jpeg": "jpg", "png": "png", "tiff": "tif", "pdf": "pdf"}

_FONT_DIRS = (
    ("/usr/share/fonts/truetype/liberation2", "LiberationSerif-{}.ttf", ("Regular", "Bold", "Italic", "BoldItalic")),
    ("/usr/share/fonts/truetype/liberation", "LiberationSerif-{}.ttf", ("Regular", "Bold", "Italic", "BoldItalic")),
    ("/usr/share/fonts/truetype/dejavu", "DejaVuSerif{}.ttf", ("", "-Bold", "-Italic", "-BoldItalic")),
)
_STYLES = ("regular", "bold", "italic", "bolditalic")


class SampleDocument(BaseModel):
    """One rendered sample document and what a test may expect of it."""

    model_config = ConfigDict(frozen=True)

    path: Path
    truth_path: Path
    doc_type: str
    title: str
    pages: int
    dpi: int
    skew_degrees: float  # first page's; 0.0 when not degraded
    format: str
    query_words: list[str]


@lru_cache(maxsize=1)
def _font_files() -> dict[str, str]:
    """Style -> font file: a Times-like serif with every Vietnamese precomposed letter."""
    for folder, pattern, suffixes in _FONT_DIRS:
        files = {style: Path(folder) / pattern.format(sfx) for style, sfx in zip(_STYLES, suffixes)}
        if files["regular"].is_file() and files["bold"].is_file():
            # Italic faces are optional: a family without them prints those lines upright.
            plain = {"italic": "regular", "bolditalic": "bold"}
            return {s: str(f if f.is_file() else files[plain[s]]) for s, f in files.items()}
    raise RuntimeError(
        "No serif font with Vietnamese glyphs found (looked for Liberation Serif and DejaVu Serif); "
        "install the Debian package fonts-liberation2."
    )


@lru_cache(maxsize=64)
def _font(style: str, pixels: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: NFC Vietnamese needs no shaping, and it renders alike with or without libraqm.
    return ImageFont.truetype(_font_files()[style], pixels, layout_engine=ImageFont.Layout.BASIC)


def _width_pt(text: str, style: str, size: float) -> float:
    """Text width in points, measured at 720 dpi so line breaks do not depend on the output dpi."""
    return _font(style, round(size * 10)).getlength(text) / 10


def _wrap(text: str, style: str, size: float, first: float, rest: float) -> list[str]:
    """Greedy word wrap; 2% slack because hinting at low dpi widens text a little."""
    rows: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if current and _width_pt(trial, style, size) > (first if not rows else rest) * 0.98:
            rows.append(current)
            current = word
        else:
            current = trial
    return rows + [current] if current else rows


class _Page:
    """One A4 page being drawn, and the text lines it received in reading order."""

    def __init__(self, dpi: int, scribble_seed: int):
        self.scale = dpi / 72
        size = (round(PAGE_W * self.scale), round(PAGE_H * self.scale))
        self.image = Image.new("RGB", size, "white")
        self.draw = ImageDraw.Draw(self.image)
        self.lines: list[str] = []
        self.rng = np.random.default_rng(scribble_seed)

    def px(self, points: float) -> float:
        return points * self.scale

    def text(self, x: float, baseline: float, text: str, line: Line) -> None:
        font = _font(line.style, round(self.px(line.size)))
        self.draw.text((self.px(x), self.px(baseline)), text, font=font, fill=INK, anchor="ls")

    def justified(self, x: float, width: float, baseline: float, text: str, line: Line) -> None:
        font = _font(line.style, round(self.px(line.size)))
        words = text.split()
        widths = [font.getlength(w) for w in words]
        gap = (self.px(width) - sum(widths)) / max(len(words) - 1, 1)
        if len(words) < 2 or gap > 3 * font.getlength(" "):  # too loose to look typeset: leave it ragged
            self.text(x, baseline, text, line)
            return
        cursor = self.px(x)
        for word, w in zip(words, widths):
            self.draw.text((cursor, self.px(baseline)), word, font=font, fill=INK, anchor="ls")
            cursor += w + gap

    def underline(self, center: float, baseline: float, width: float, size: float) -> None:
        y = self.px(baseline + 0.35 * size)  # below the dot of ạ/ậ
        half = self.px(width) / 2
        thickness = max(1, round(self.px(0.7)))
        self.draw.line([(self.px(center) - half, y), (self.px(center) + half, y)], fill=INK, width=thickness)

    def scribble(self, center: float, top: float, height: float) -> None:
        """A loopy pen stroke where the signer signed."""
        t = np.linspace(0, 1, 240)
        freqs, phases = self.rng.uniform(1.5, 5.0, 3), self.rng.uniform(0, 2 * np.pi, 3)
        x = center + 45 * (t - 0.5) * 2 + 8 * np.sin(2 * np.pi * freqs[0] * t + phases[0])
        y = (
            top
            + height / 2
            + 0.35
            * height
            * np.sin(2 * np.pi * freqs[1] * t + phases[1])
            * np.cos(2 * np.pi * freqs[2] * t + phases[2])
        )
        points = [(self.px(a), self.px(b)) for a, b in zip(x, y)]
        self.draw.line(points, fill=PEN, width=max(1, round(self.px(1.0))), joint="curve")


def _lay_line(page: _Page, line: Line, y: float, left: float = LEFT, right: float = RIGHT) -> float:
    """Draw one line or paragraph with its top at `y`; returns the top of what follows."""
    if line.tabs:
        cells = line.text.split("\t")
        baseline = y + line.size
        for x, cell in zip((left + line.indent, *(left + t for t in line.tabs)), cells):
            page.text(x, baseline, cell, line)
        page.lines.append(" ".join(cells))
        return y + line.size * LEADING + line.space_after
    width = right - left
    rows = _wrap(line.text, line.style, line.size, width - line.indent, width - line.hang) if line.wrap else [line.text]
    for i, row in enumerate(rows):
        baseline = y + line.size
        offset = line.indent if i == 0 else line.hang
        row_width = _width_pt(row, line.style, line.size)
        if line.align == "center":
            x = (left + right) / 2 - row_width / 2
            page.text(x, baseline, row, line)
        elif line.align == "justify" and i < len(rows) - 1:
            page.justified(left + offset, width - offset, baseline, row, line)
        else:
            x = left + offset
            page.text(x, baseline, row, line)
        if line.underline:
            centre = (left + right) / 2 if line.align == "center" else left + offset + row_width / 2
            page.underline(centre, baseline, row_width * line.underline, line.size)
        page.lines.append(row)
        y += line.size * LEADING
    return y + line.space_after


def _lay_column(page: _Page, items: tuple, y: float, center: float, half: float) -> float:
    for item in items:
        if isinstance(item, Gap):
            y += item.points
        elif isinstance(item, Scribble):
            page.scribble(center, y, item.points)
            y += item.points
        else:
            y = _lay_line(page, item, y, center - half, center + half)
    return y


def _lay_columns(page: _Page, block: Columns, y: float) -> float:
    def block_width(items: tuple) -> float:
        return max((_width_pt(i.text, i.style, i.size) for i in items if isinstance(i, Line)), default=0.0)

    right_w = max(block_width(block.right), 120.0)
    right_center = RIGHT - right_w / 2
    left_cell = min(RIGHT - right_w - LEFT, LEFT_CELL)
    if block_width(block.left) > left_cell:
        raise ValueError("sample layout: left and right blocks overlap")

    def aligned(items: tuple, align: str) -> tuple:
        return tuple(replace(i, align=align) if isinstance(i, Line) else i for i in items)

    bottom_left = _lay_column(page, aligned(block.left, block.left_align), y, LEFT + left_cell / 2, left_cell / 2)
    bottom_right = _lay_column(page, aligned(block.right, "center"), y, right_center, right_w / 2 + 1)
    return max(bottom_left, bottom_right)


def _lay_page(blocks: tuple, dpi: int, scribble_seed: int) -> _Page:
    page = _Page(dpi, scribble_seed)
    y = TOP
    for block in blocks:
        if isinstance(block, Gap):
            y += block.points
        elif isinstance(block, Columns):
            y = _lay_columns(page, block, y)
        else:
            y = _lay_line(page, block, y)
    if y > BOTTOM:
        raise ValueError(f"sample layout: page text runs {y - BOTTOM:.0f} pt past the bottom margin")
    return page


def _degrade(pixels: np.ndarray, rng: np.random.Generator, dpi: int, colour: bool) -> tuple[np.ndarray, float]:
    """Make a clean page look scanned; returns the page and the rotation applied (degrees)."""
    angle = round(float(rng.uniform(*SKEW_RANGE)) * float(rng.choice([-1.0, 1.0])), 2)
    h, w = pixels.shape[:2]
    white = (255, 255, 255) if pixels.ndim == 3 else 255
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rotated = cv2.warpAffine(pixels, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=white)
    # Uneven lighting: a smooth field from a coarse random grid, darker towards some corner.
    light = cv2.resize(rng.uniform(0.86, 1.0, (3, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    # OpenCV's saturating uint8 arithmetic keeps this fast (a float copy of an A4 page is 45 MB at 200 dpi).
    if colour:
        gain = cv2.multiply(cv2.cvtColor(light, cv2.COLOR_GRAY2RGB), (1.0, 0.97, 0.9, 0.0))  # warm paper
    else:
        gain = light
    page = cv2.multiply(rotated, gain, dtype=cv2.CV_8U)
    page = cv2.GaussianBlur(page, (0, 0), sigmaX=0.6 * dpi / 200)
    noise = rng.standard_normal((h, w), dtype=np.float32) * NOISE_SIGMA
    page = cv2.add(page, cv2.cvtColor(noise, cv2.COLOR_GRAY2RGB) if colour else noise, dtype=cv2.CV_8U)
    return page, angle


def _jpeg_bytes(image: Image.Image, quality: int, dpi: int) -> bytes:
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=quality, dpi=(dpi, dpi))
    return buffer.getvalue()


def _image_pdf(jpegs: list[tuple[bytes, int, int]], dpi: int) -> bytes:
    """A minimal PDF 1.4, one JPEG per page at 100% scale (page size = pixels / dpi), no text layer.

    Written by hand rather than by a library so the bytes carry no timestamp or random id.
    """
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for jpeg, width, height in jpegs:
        w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
        page_no, image_no, content_no = len(objects) + 1, len(objects) + 2, len(objects) + 3
        kids.append(f"{page_no} 0 R")
        content = f"q {w_pt:.3f} 0 0 {h_pt:.3f} 0 0 cm /Im0 Do Q".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w_pt:.3f} {h_pt:.3f}] "
            f"/Resources << /XObject << /Im0 {image_no} 0 R >> /ProcSet [/PDF /ImageC] >> "
            f"/Contents {content_no} 0 R >>".encode()
        )
        objects.append(
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB "
            f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode()
            + jpeg
            + b"\nendstream"
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _write_scan(spec: DocumentSpec, pages: list[Image.Image], path: Path, dpi: int, degrade: bool) -> None:
    quality = JPEG_QUALITY_DEGRADED if degrade else JPEG_QUALITY_CLEAN
    if spec.format == "jpeg":
        path.write_bytes(_jpeg_bytes(pages[0], quality, dpi))
    elif spec.format == "png":
        pages[0].save(path, "PNG", dpi=(dpi, dpi), compress_level=1)
    elif spec.format == "tiff":
        pages[0].save(path, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_lzw", dpi=(dpi, dpi))
    elif spec.format == "pdf":
        path.write_bytes(_image_pdf([(_jpeg_bytes(p, quality, dpi), *p.size) for p in pages], dpi))
    else:
        raise ValueError(f"unknown sample format {spec.format!r}")


def _fold(text: str) -> str:
    """Folded and single-spaced: how search compares words."""
    return " ".join(fold(text).split())


def _check_query_words(texts: dict[str, str]) -> None:
    """Every query word must be in its own document and, even folded, in no other one."""
    folded = {slug: _fold(text) for slug, text in texts.items()}
    for spec in DOCUMENTS:
        for word in spec.query_words:
            hits = [slug for slug, text in folded.items() if _fold(word) in text]
            if hits != [spec.slug]:
                raise ValueError(f"sample query word {word!r} of {spec.slug} found in {hits}")


def render_dossier(outdir: Path, *, dpi: int = 200, degrade: bool = True, seed: int = 7) -> list[SampleDocument]:
    """Write the sample dossier under `outdir` and return its documents in dossier order."""
    if not 50 <= dpi <= 600:
        raise ValueError(f"dpi must be between 50 and 600, not {dpi}")
    outdir = Path(outdir)
    scans, truths = outdir / DOSSIER_CODE, outdir / "truth"
    scans.mkdir(parents=True, exist_ok=True)
    truths.mkdir(parents=True, exist_ok=True)
    documents: list[SampleDocument] = []
    texts: dict[str, str] = {}
    for ordinal, spec in enumerate(DOCUMENTS, start=1):
        stem = f"{ordinal:03d}-{spec.slug}"
        images, page_texts, skews = [], [], []
        for number, blocks in enumerate(spec.pages, start=1):
            page = _lay_page(blocks, dpi, scribble_seed=zlib.crc32(f"{spec.slug}/{number}".encode()))
            image = page.image if spec.format != "tiff" else page.image.convert("L")  # a grey-scale scanner
            if degrade:
                rng = np.random.default_rng([seed, ordinal, number])  # independent of other pages' draws
                pixels, angle = _degrade(np.asarray(image), rng, dpi, colour=image.mode == "RGB")
                image = Image.fromarray(pixels)
                skews.append(angle)
            images.append(image)
            page_texts.append(unicodedata.normalize("NFC", "\n".join(page.lines) + "\n"))
        path = scans / f"{stem}.{EXTENSIONS[spec.format]}"
        _write_scan(spec, images, path, dpi, degrade)
        truth_path = truths / f"{stem}.txt"
        texts[spec.slug] = "\f".join(page_texts)
        truth_path.write_text(texts[spec.slug], encoding="utf-8", newline="\n")
        documents.append(
            SampleDocument(
                path=path,
                truth_path=truth_path,
                doc_type=spec.doc_type.value,
                title=spec.title,
                pages=len(spec.pages),
                dpi=dpi,
                skew_degrees=skews[0] if skews else 0.0,
                format=spec.format,
                query_words=list(spec.query_words),
            )
        )
    _check_query_words(texts)
    manifest = {
        "dossier_code": DOSSIER_CODE,
        "dpi": dpi,
        "degrade": degrade,
        "seed": seed,
        "documents": [
            {
                **doc.model_dump(mode="json"),
                "path": doc.path.relative_to(outdir).as_posix(),
                "truth_path": doc.truth_path.relative_to(outdir).as_posix(),
            }
            for doc in documents
        ],
    }
    (outdir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return documents


def load_manifest(outdir: Path) -> list[SampleDocument]:
    """The documents a previous `render_dossier(outdir)` wrote, with paths under `outdir` again."""
    outdir = Path(outdir)
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    return [
        SampleDocument(**{**entry, "path": outdir / entry["path"], "truth_path": outdir / entry["truth_path"]})
        for entry in manifest["documents"]
    ]


if __name__ == "__main__":  # python -m samples.dossier OUTDIR (the CLI's `sohoa samples` does the same)
    import sys

    for document in render_dossier(Path(sys.argv[1] if len(sys.argv) > 1 else "samples")):
        print(document.path)
