"""Peak memory of the OCR stage on long PDFs: does it grow with the page count? (issue 3)

Builds image PDFs of N pages (the 5 sample dossier pages at 200 dpi, degraded, as JPEG, repeated), runs the
project's whole OCR stage on each in a child process (`ocr_file(path, OcrOptions(), archive_pdf_path=...)`),
and reports two peaks:
- the largest single process (child or any descendant): ru_maxrss from wait4 on that child, which covers the
  child and the descendants it waited for. (getrusage(RUSAGE_CHILDREN) would mix every run of this script.)
- the whole process tree at once: VmRSS of the child and all its descendants from /proc, summed, sampled every
  0.5 s; short-lived processes between two samples can be missed, so this is a lower bound.

Usage: .venv/bin/python bench/memory_200_pages.py [--pages 20 200] [--out FILE]
The 200-page run takes over ten minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from PIL import Image

SAMPLE_DPI, SAMPLE_SEED, JPEG_QUALITY = 200, 7, 85
SAMPLE_INTERVAL = 0.5  # seconds between two readings of the process tree
CHILD = (
    "import sys; from pathlib import Path; from ocr import OcrOptions, ocr_file; "
    "result = ocr_file(Path(sys.argv[1]), OcrOptions(), archive_pdf_path=Path(sys.argv[2])); "
    "print(len(result.pages), sum(len(page.text) for page in result.pages))"
)


class ImagePdfWriter:
    """An image-only PDF written straight to disk, one page at a time (each image at 100% scale, no text).

    Unlike building a pikepdf.Pdf, which keeps every stream until it is saved, this holds one page in
    memory whatever the page count: the 200-page input must not make its own memory peak.
    JPEG files go in as they are (DCTDecode); other images are stored losslessly (FlateDecode).
    """

    def __init__(self, path: Path):
        self._file = open(path, "wb")
        self._file.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self._offsets: dict[int, int] = {}
        self._kids: list[int] = []
        self._next = 3  # 1 is the catalog, 2 the page tree: both written last

    def _object(self, number: int, head: bytes, stream: bytes | None = None) -> None:
        self._offsets[number] = self._file.tell()
        self._file.write(f"{number} 0 obj\n".encode() + head)
        if stream is not None:
            self._file.write(b"\nstream\n" + stream + b"\nendstream")
        self._file.write(b"\nendobj\n")

    def add_image(self, data: bytes, width: int, height: int, dpi: float, gray: bool, jpeg: bool) -> None:
        page, image, content = self._next, self._next + 1, self._next + 2
        self._next += 3
        w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
        drawing = f"q {w_pt:.3f} 0 0 {h_pt:.3f} 0 0 cm /Im0 Do Q".encode()
        self._object(
            page,
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w_pt:.3f} {h_pt:.3f}] "
                f"/Resources << /XObject << /Im0 {image} 0 R >> >> /Contents {content} 0 R >>"
            ).encode(),
        )
        self._object(
            image,
            (
                f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
                f"/ColorSpace /Device{'Gray' if gray else 'RGB'} /BitsPerComponent 8 "
                f"/Filter /{'DCTDecode' if jpeg else 'FlateDecode'} /Length {len(data)} >>"
            ).encode(),
            data,
        )
        self._object(content, f"<< /Length {len(drawing)} >>".encode(), drawing)
        self._kids.append(page)

    def add_file(self, path: Path) -> None:
        with Image.open(path) as image:
            dpi = float(image.info.get("dpi", (SAMPLE_DPI,))[0]) or SAMPLE_DPI
            if image.format == "JPEG" and image.mode in ("L", "RGB"):
                self.add_image(path.read_bytes(), *image.size, dpi, image.mode == "L", jpeg=True)
                return
            pixels = image.convert("L" if image.mode in ("1", "L", "I;16") else "RGB")
        self.add_image(zlib.compress(pixels.tobytes(), 6), *pixels.size, dpi, pixels.mode == "L", jpeg=False)

    def close(self) -> None:
        kids = " ".join(f"{kid} 0 R" for kid in self._kids)
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        self._object(2, f"<< /Type /Pages /Kids [{kids}] /Count {len(self._kids)} >>".encode())
        xref = self._file.tell()
        size = self._next
        self._file.write(f"xref\n0 {size}\n0000000000 65535 f \n".encode())
        self._file.write(b"".join(f"{self._offsets[n]:010d} 00000 n \n".encode() for n in range(1, size)))
        self._file.write(f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
        self._file.close()

    def __enter__(self) -> ImagePdfWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def sample_jpegs(work: Path) -> list[Path]:
    """The sample dossier's pages, each as a JPEG file (a 150-300 dpi colour JPEG is what archives scan to)."""
    from ocr_bench import render_set  # imported here: ocr_bench imports this module's writer

    jpegs = []
    for doc in render_set(work, SAMPLE_DPI, True, SAMPLE_SEED):
        for page in doc.pages:
            if page.image.suffix == ".jpg":
                jpegs.append(page.image)
                continue
            with Image.open(page.image) as image:
                jpegs.append(page.image.with_suffix(".jpg"))
                image.save(jpegs[-1], "JPEG", quality=JPEG_QUALITY, dpi=image.info.get("dpi", (SAMPLE_DPI,) * 2))
    return jpegs


def build_pdf(jpegs: list[Path], pages: int, path: Path) -> Path:
    with ImagePdfWriter(path) as writer:
        for number in range(pages):
            writer.add_file(jpegs[number % len(jpegs)])
    return path


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # ended since the listing
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name in parentheses may hold spaces
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0  # ended, or a zombie (no VmRSS line)


def measure(pdf: Path, archive: Path) -> dict[str, float]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(pdf), str(archive)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    tree_peak = 0
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        tree_peak = max(tree_peak, sum(_rss_kib(p) for p in _descendants(child.pid)))
        time.sleep(SAMPLE_INTERVAL)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    out, err = child.stdout.read().decode(), child.stderr.read().decode()
    if child.returncode:
        raise RuntimeError(f"OCR of {pdf.name} failed ({child.returncode}): {err.strip()[-2000:]}")
    pages, chars = map(int, out.split())
    return {
        "pages": pages,
        "chars": chars,
        "seconds": seconds,
        "largest_mib": usage.ru_maxrss / 1024,
        "tree_mib": tree_peak / 1024,
        "pdf_mib": pdf.stat().st_size / 2**20,
        "archive_mib": archive.stat().st_size / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[20, 200], help="page counts to run")
    parser.add_argument("--out", type=Path, help="also write the Markdown report to this file")
    args = parser.parse_args()
    lines: list[str] = []

    def report(line: str = "") -> None:
        lines.append(line)
        print(line, flush=True)

    from ocr_bench import machine

    report(
        f"`.venv/bin/python bench/memory_200_pages.py {' '.join(sys.argv[1:])}`, {datetime.date.today().isoformat()}."
    )
    report()
    report(f"Machine: {machine(with_ocrmypdf=False)}")
    report()
    report(
        f"Input: image PDFs of the 5 sample pages ({SAMPLE_DPI} dpi colour/grey JPEG, degraded) repeated; "
        "the whole OCR stage with its archival PDF, in a child process."
    )
    report()
    report(
        "| pages | input PDF MiB | seconds | pages/min | peak RSS, largest process, MiB | "
        "peak RSS, process tree (0.5 s samples), MiB | archival PDF MiB |"
    )
    report("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="sohoa-memory-bench-") as tmp:
        work = Path(tmp)
        jpegs = sample_jpegs(work)
        for pages in args.pages:
            pdf = build_pdf(jpegs, pages, work / f"{pages}-pages.pdf")
            print(f"[memory] OCR of {pages} pages …", file=sys.stderr, flush=True)
            m = measure(pdf, work / f"{pages}-pages.archive.pdf")
            report(
                f"| {m['pages']} | {m['pdf_mib']:.0f} | {m['seconds']:.0f} | {m['pages'] / m['seconds'] * 60:.1f} | "
                f"{m['largest_mib']:.0f} | {m['tree_mib']:.0f} | {m['archive_mib']:.0f} |"
            )
            pdf.unlink()
    report()
    # Seconds depend on what else runs on the machine; the peaks much less.
    report(f"Load average (1 min) at the end {os.getloadavg()[0]:.2f}, on {os.cpu_count()} cores.")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
