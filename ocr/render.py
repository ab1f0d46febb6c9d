"""Page images of an archival PDF for a viewer: one page, rendered by pdftoppm (through pdf2image) at the width
asked, as PNG. The one place pages are drawn for people rather than read for OCR."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from pdf2image import convert_from_path
from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError

from schemas.failures import CorruptFile

RENDER_TIMEOUT_SECONDS = 60


def render_page_png(pdf: Path, number: int, width: int) -> bytes:
    """Page `number` (1-based) of `pdf`, `width` pixels wide as shown (upright), as PNG bytes."""
    try:
        # pdftoppm scales the page as stored, before its /Rotate: a page shown sideways is sized by its height.
        size = (None, width) if _turned_sideways(pdf, number) else (width, None)
        images = convert_from_path(
            str(pdf), first_page=number, last_page=number, size=size, timeout=RENDER_TIMEOUT_SECONDS
        )
    except (PDFPageCountError, PDFSyntaxError, pikepdf.PdfError) as error:
        raise CorruptFile("archival pdf") from error
    if not images:
        raise CorruptFile(f"page {number}")
    buffer = io.BytesIO()
    images[0].save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _turned_sideways(pdf: Path, number: int) -> bool:
    with pikepdf.open(pdf) as document:
        if not 1 <= number <= len(document.pages):
            return False
        return int(document.pages[number - 1].get("/Rotate", 0)) % 180 == 90
