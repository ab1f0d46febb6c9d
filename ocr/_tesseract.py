"""The one wrapper around the `tesseract` program (through pytesseract): recognition and orientation.

Tesseract is run with one OpenMP thread: pages run in parallel processes, and unbounded OpenMP threads
make Tesseract many times slower on a busy machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytesseract
from PIL import Image
from pytesseract import TesseractError, TesseractNotFoundError

from schemas.failures import OcrCrashed, OcrTimeout

os.environ["OMP_THREAD_LIMIT"] = "1"

# OSD below this confidence is a guess; the page is then left as it is.
MIN_ORIENTATION_CONFIDENCE = 2.0
OSD_TIMEOUT_SECONDS = 30


@dataclass
class TesseractOutput:
    text: str
    tsv: str


@lru_cache(maxsize=1)
def version() -> str:
    try:
        return f"tesseract {pytesseract.get_tesseract_version()}"
    except TesseractNotFoundError as error:
        raise OcrCrashed("tesseract is not installed") from error


def _run(image_path: Path, output_base: Path, extensions: str, lang: str, config: str, timeout: float) -> None:
    try:
        pytesseract.pytesseract.run_tesseract(
            str(image_path), str(output_base), extensions, lang, config=config, timeout=timeout
        )
    except TesseractNotFoundError as error:
        raise OcrCrashed("tesseract is not installed") from error
    except TesseractError as error:  # a subclass of RuntimeError: it must be caught first
        raise OcrCrashed(f"exit status {error.status}") from error
    except RuntimeError as error:  # pytesseract's way of saying the process was killed on timeout
        raise OcrTimeout(f"> {timeout} s") from error


@lru_cache(maxsize=1)
def tessdata_dir() -> Path:
    """Where Tesseract's language data is (TESSDATA_PREFIX, or what `tesseract --list-langs` names)."""
    if os.environ.get("TESSDATA_PREFIX"):
        return Path(os.environ["TESSDATA_PREFIX"])
    try:
        listing = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise OcrCrashed("tesseract is not installed") from error
    found = re.search(r'"([^"]+)"', listing.stdout + listing.stderr)
    if not found:
        raise OcrCrashed("tesseract does not say where its language data is")
    return Path(found.group(1))


@lru_cache(maxsize=1)
def glyphless_font() -> bytes:
    """Tesseract's GlyphLessFont (pdf.ttf, beside its language data): the font of invisible text layers."""
    try:
        return (tessdata_dir() / "pdf.ttf").read_bytes()
    except OSError as error:
        raise OcrCrashed("pdf.ttf is missing from the Tesseract data folder") from error


def recognise(image: Image.Image, *, lang: str, dpi: int, timeout: float, psm: int = 3) -> TesseractOutput:
    """Text and word boxes (TSV) of one page image, in a single Tesseract run. (The text layer is drawn from
    the word boxes by `ocr.text_page`: Tesseract's own PDF renderer costs about 7% more time per page.)"""
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as workdir:
        image_path = Path(workdir) / "page.pnm"  # uncompressed: quick to write and read
        image.save(image_path)
        base = Path(workdir) / "out"
        config = f"--psm {psm} --dpi {dpi} -c tessedit_create_tsv=1"
        _run(image_path, base, "txt", lang, config, timeout)
        try:
            return TesseractOutput(
                text=base.with_suffix(".txt").read_text(encoding="utf-8"),
                tsv=base.with_suffix(".tsv").read_text(encoding="utf-8"),
            )
        except FileNotFoundError as error:
            raise OcrCrashed("no output") from error


_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_CONFIDENCE = re.compile(r"Orientation confidence:\s*([\d.]+)")


def orientation(image: Image.Image, *, dpi: int) -> int:
    """Degrees to turn the page clockwise to make it upright (0, 90, 180, 270); 0 when unsure."""
    with tempfile.TemporaryDirectory(prefix="sohoa-osd-") as workdir:
        image_path = Path(workdir) / "page.pnm"
        image.save(image_path)
        base = Path(workdir) / "out"
        try:
            _run(image_path, base, "osd", "osd", f"--psm 0 --dpi {dpi}", OSD_TIMEOUT_SECONDS)
        except OcrCrashed:
            # OSD fails on pages with too little text ("Too few characters"): not an error of the page.
            return 0
        report_path = base.with_suffix(".osd")
        report = report_path.read_text(encoding="utf-8") if report_path.exists() else ""
    rotate = _ROTATE.search(report)
    confidence = _CONFIDENCE.search(report)
    if not rotate or not confidence or float(confidence.group(1)) < MIN_ORIENTATION_CONFIDENCE:
        return 0
    degrees = int(rotate.group(1)) % 360
    return degrees if degrees in (90, 180, 270) else 0
