"""The one wrapper around `pdftotext`: the text a PDF page already carries (born-digital, or OCR'd before)."""

from __future__ import annotations

import subprocess

from ocr.recognize import clean_text
from schemas import SourceFile

# A page with fewer letters than this has no real text layer (a stray page number, a stamp's caption).
MIN_LETTERS = 40
# Below this share of letters among the visible characters the layer is garbage (a broken font mapping).
MIN_LETTER_SHARE = 0.5
PDFTOTEXT_TIMEOUT_SECONDS = 60


def existing_text(source: SourceFile, page_number: int) -> str | None:
    """The page's own text if it has a good text layer, else None (the page is then OCR'd)."""
    try:
        completed = subprocess.run(
            ["pdftotext", "-q", "-enc", "UTF-8", "-f", str(page_number), "-l", str(page_number), source.path, "-"],
            capture_output=True,
            timeout=PDFTOTEXT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None  # no usable text layer is not an error: the page is simply read from its pixels
    text = clean_text(completed.stdout.decode("utf-8", errors="replace"))
    visible = [char for char in text if not char.isspace()]
    letters = sum(char.isalpha() for char in visible)
    if letters < MIN_LETTERS or letters < MIN_LETTER_SHARE * len(visible):
        return None
    return text
