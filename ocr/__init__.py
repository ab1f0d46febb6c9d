"""OCR: triage, rasterise, prepare and recognise scanned pages; build the searchable archival PDF.

Stages, each a plain function: `triage` -> `iter_pages` -> `prepare` -> `recognise_page`, joined per document
by `ocr_document`; `archive_pdf.build` writes the archival copy.
"""

from ocr.document import OcrDocument, OcrOptions, ocr_document, ocr_file, ocr_page
from ocr.triage import EXTENSIONS, sniff_format, triage

__all__ = ["EXTENSIONS", "OcrDocument", "OcrOptions", "ocr_document", "ocr_file", "ocr_page", "sniff_format", "triage"]
