"""OCR: triage, rasterise, prepare and recognise scanned pages; build the searchable archival PDF.

Stages, each a plain function: `triage` -> `iter_pages` -> `prepare` -> `recognise_page`, joined per document
by `ocr_document`; `archive_pdf.build` writes the archival copy.
"""

from ocr.document import (
    FileOcr,
    OcrDocument,
    OcrOptions,
    cancel_document,
    finish_document,
    ocr_document,
    ocr_file,
    ocr_files,
    ocr_page,
    pages_ahead_for,
    read_ahead,
    submit_document,
)
from ocr.page_queue import OcrTicket
from ocr.tesseract import version as tesseract_version
from ocr.triage import EXTENSIONS, sniff_format, triage

__all__ = [
    "EXTENSIONS",
    "FileOcr",
    "OcrDocument",
    "OcrOptions",
    "OcrTicket",
    "cancel_document",
    "finish_document",
    "ocr_document",
    "ocr_file",
    "ocr_files",
    "ocr_page",
    "pages_ahead_for",
    "read_ahead",
    "sniff_format",
    "submit_document",
    "tesseract_version",
    "triage",
]
