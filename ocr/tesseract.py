"""The one wrapper around the `tesseract` program: recognition, orientation, its version and its data folder.

Each run gets its own environment (`OMP_THREAD_LIMIT=1`): pages run in parallel processes, and unbounded OpenMP
threads make Tesseract many times slower on a busy machine. This process's own environment is never changed.

`SOHOA_TESSERACT_CMD` names the program (default `tesseract` on PATH): the tests put a recording/replaying
stand-in there (tests/plugins/tesseract_cache.py) to skip real OCR where it is not the point, and a crashing one
to inject faults through the same interface.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image

from schemas.failures import OcrCrashed, OcrTimeout

log = logging.getLogger("sohoa.ocr")

# OSD below this confidence is a guess; the page is then left as it is.
MIN_ORIENTATION_CONFIDENCE = 2.0
OSD_TIMEOUT_SECONDS = 30
# What Tesseract prints on stderr for ordinary pages: not errors, not worth a log line.
_HARMLESS_STDERR = re.compile(
    r"^(Estimating resolution as \d+|Detected \d+ diacritics|Warning: Invalid resolution|"
    r"Too few characters|Empty page|Image too small to scale|Line cannot be recognized|Page \d+)",
)


@dataclass
class TesseractOutput:
    text: str
    tsv: str


def command() -> str:
    return os.environ.get("SOHOA_TESSERACT_CMD") or "tesseract"


def _environment() -> dict[str, str]:
    env = os.environ.copy()
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def run(args: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run `tesseract ARGS` with its own environment. Raises OcrTimeout past `timeout` seconds and OcrCrashed if
    the program is missing or exits with an error."""
    try:
        completed = subprocess.run(
            [command(), *args],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=_environment(),
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as error:
        raise OcrCrashed("tesseract is not installed") from error
    except subprocess.TimeoutExpired as error:  # subprocess.run has killed it already
        raise OcrTimeout(f"> {timeout:g} s") from error
    if completed.returncode != 0:
        raise OcrCrashed(f"exit status {completed.returncode}")
    for line in completed.stderr.splitlines():
        if line.strip() and not _HARMLESS_STDERR.match(line.strip()):
            log.debug("tesseract: %s", line.strip())
    return completed


@lru_cache(maxsize=1)
def version() -> str:
    """`tesseract 5.3.0`: the engine named in every OCR result and archive event."""
    completed = run(["--version"], timeout=30)
    found = re.search(r"tesseract\s+v?([\w.\-]+)", completed.stdout + completed.stderr)
    if not found:
        raise OcrCrashed("tesseract does not say its version")
    return f"tesseract {found.group(1)}"


@lru_cache(maxsize=1)
def tessdata_dir() -> Path:
    """Where Tesseract's language data is (TESSDATA_PREFIX, or what `tesseract --list-langs` names)."""
    if os.environ.get("TESSDATA_PREFIX"):
        return Path(os.environ["TESSDATA_PREFIX"])
    completed = run(["--list-langs"], timeout=30)
    found = re.search(r'"([^"]+)"', completed.stdout + completed.stderr)
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


# Tesseract's binarisation (`thresholding_method`): 0 Otsu over the whole page (its default), 2 Sauvola (local).
THRESHOLDING = {"otsu": 0, "sauvola": 2}


def recognise(
    image: Image.Image, *, lang: str, dpi: int, timeout: float, psm: int = 3, thresholding: str = "otsu"
) -> TesseractOutput:
    """Text and word boxes (TSV) of one page image, in a single Tesseract run. (The text layer is drawn from
    the word boxes by `ocr.text_page`: Tesseract's own PDF renderer costs about 7% more time per page.)
    `thresholding`: Tesseract's own binarisation, "otsu" (its default, not passed) or "sauvola"."""
    extra = [] if thresholding == "otsu" else ["-c", f"thresholding_method={THRESHOLDING[thresholding]}"]
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as workdir:
        image_path = Path(workdir) / "page.pnm"  # uncompressed: quick to write and read
        image.save(image_path)
        base = Path(workdir) / "out"
        run(
            [
                str(image_path),
                str(base),
                "-l",
                lang,
                "--psm",
                str(psm),
                "--dpi",
                str(dpi),
                *extra,
                "-c",
                "tessedit_create_tsv=1",
                "txt",
            ],
            timeout=timeout,
        )
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
    """Degrees to turn the page clockwise to make it upright (0, 90, 180, 270); 0 when unsure.

    OSD fails on pages with too little text ("Too few characters") and may time out on odd ones: neither is an
    error of the page, so both leave it as it is."""
    with tempfile.TemporaryDirectory(prefix="sohoa-osd-") as workdir:
        image_path = Path(workdir) / "page.pnm"
        image.save(image_path)
        base = Path(workdir) / "out"
        try:
            run(
                [str(image_path), str(base), "-l", "osd", "--psm", "0", "--dpi", str(dpi), "osd"],
                timeout=OSD_TIMEOUT_SECONDS,
            )
        except (OcrCrashed, OcrTimeout):
            return 0
        report_path = base.with_suffix(".osd")
        report = report_path.read_text(encoding="utf-8") if report_path.exists() else ""
    rotate = _ROTATE.search(report)
    confidence = _CONFIDENCE.search(report)
    if not rotate or not confidence or float(confidence.group(1)) < MIN_ORIENTATION_CONFIDENCE:
        return 0
    degrees = int(rotate.group(1)) % 360
    return degrees if degrees in (90, 180, 270) else 0
