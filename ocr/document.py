"""OCR of a whole document: rasterise, prepare and recognise each page in order, keeping one page in memory.

Each page leaves its archive image and text layer in a work folder; `ocr.archive_pdf.build` joins them.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ocr import _tesseract
from ocr import archive_pdf
from ocr.archive_pdf import ArchivePage, save_page_image
from ocr.preprocess import prepare
from ocr.rasterize import RasterPage, iter_pages
from ocr.recognize import mean_confidence, recognise_page
from ocr.triage import triage
from schemas import OcrResult, Page, SourceFile

log = logging.getLogger(__name__)


@dataclass
class OcrOptions:
    lang: str = "vie+eng"
    timeout: float = 120
    max_dpi: int = 400
    max_pixels: int = 200_000_000
    max_bytes: int = 500 * 1024 * 1024
    max_pages: int = 2000
    detect_orientation: bool = True

    @classmethod
    def from_settings(cls, settings, lang: str | None = None) -> "OcrOptions":
        return cls(
            lang=lang or settings.ocr_lang,
            timeout=settings.tesseract_timeout,
            max_dpi=settings.rasterize_dpi_max,
            max_pixels=settings.max_page_pixels,
            max_bytes=settings.max_file_mb * 1024 * 1024,
            max_pages=settings.max_pages,
        )


@dataclass
class OcrDocument:
    result: OcrResult
    archive_pages: list[ArchivePage] = field(default_factory=list)


def ocr_page(raster: RasterPage, options: OcrOptions, workdir: Path) -> tuple[Page, ArchivePage]:
    prepared = prepare(raster.image, dpi=raster.dpi, detect_orientation=options.detect_orientation)
    image = prepared.image
    image_path = workdir / f"page-{raster.number:04d}.jpg"
    save_page_image(image, image_path, raster.dpi)
    page = Page(
        number=raster.number,
        rotation=prepared.rotation,
        skew=prepared.skew,
        blank=prepared.blank,
        width=image.width,
        height=image.height,
        dpi=raster.dpi,
    )
    text_pdf_path = None
    if not prepared.blank:
        text, words, text_pdf = recognise_page(
            prepared.ocr_image, lang=options.lang, dpi=raster.dpi, timeout=options.timeout
        )
        text_pdf_path = workdir / f"page-{raster.number:04d}.text.pdf"
        text_pdf_path.write_bytes(text_pdf)
        page.text, page.words, page.confidence = text, words, mean_confidence(words)
    archive_page = ArchivePage(
        image_path=image_path,
        width=image.width,
        height=image.height,
        dpi=raster.dpi,
        gray=image.mode == "L",
        text_pdf_path=text_pdf_path,
    )
    return page, archive_page


def ocr_document(
    source: SourceFile,
    options: OcrOptions,
    workdir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> OcrDocument:
    workdir.mkdir(parents=True, exist_ok=True)
    document = OcrDocument(result=OcrResult(language=options.lang, engine=_tesseract.version()))
    for raster in iter_pages(source, max_dpi=options.max_dpi, max_pixels=options.max_pixels):
        page, archive_page = ocr_page(raster, options, workdir)
        document.result.pages.append(page)
        document.archive_pages.append(archive_page)
        log.debug("page %d/%d done", raster.number, source.page_count)
        if progress:
            progress(raster.number, source.page_count)
    return document


def ocr_file(
    path: Path,
    options: OcrOptions,
    *,
    archive_pdf_path: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> OcrResult:
    """The whole OCR stage for one file: triage, pages, and (if asked) the archival PDF. Raises named failures."""
    source = triage(path, max_bytes=options.max_bytes, max_pixels=options.max_pixels, max_pages=options.max_pages)
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as workdir:
        document = ocr_document(source, options, Path(workdir), progress=progress)
        if archive_pdf_path is not None:
            archive_pdf.build(document.archive_pages, archive_pdf_path)
    return document.result
