"""OCR of a whole document, page-parallel: each worker process renders, prepares and reads one page at a time.

Memory stays at one page per worker whatever the page count: a worker decodes only its own page (pdf2image
with first_page/last_page, or one TIFF frame), and results come back small (text, words, a path to the page's
text layer in the work folder). Results are merged in page order. `ocr.archive_pdf.build` then joins the
original pages and their text layers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ocr import _tesseract, archive_pdf
from ocr.archive_pdf import ArchivePage
from ocr.preprocess import prepare
from ocr.rasterize import PagePlan, plan_pages, render_page
from ocr.recognize import mean_confidence, recognise_page
from ocr.textlayer import existing_text
from ocr.triage import triage
from schemas import OcrResult, Page, SourceFile
from schemas.failures import OcrCrashed

log = logging.getLogger(__name__)


@dataclass
class OcrOptions:
    lang: str = "vie"
    timeout: float = 120
    max_dpi: int = 400
    max_pixels: int = 200_000_000
    max_bytes: int = 500 * 1024 * 1024
    max_pages: int = 2000
    detect_orientation: bool = True
    workers: int = 0  # processes for pages; 0 = one per core

    @classmethod
    def from_settings(cls, settings, lang: str | None = None) -> "OcrOptions":
        return cls(
            lang=lang or settings.ocr_lang,
            timeout=settings.tesseract_timeout,
            max_dpi=settings.rasterize_dpi_max,
            max_pixels=settings.max_page_pixels,
            max_bytes=settings.max_file_mb * 1024 * 1024,
            max_pages=settings.max_pages,
            workers=settings.ocr_workers,
        )

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)


@dataclass
class OcrDocument:
    source: SourceFile
    result: OcrResult
    archive_pages: list[ArchivePage] = field(default_factory=list)


# A page read at a lower mean word confidence than this (with enough words to judge) may be upside down.
REREAD_BELOW_CONFIDENCE = 70.0
MIN_WORDS_TO_JUDGE = 10


def _read(prepared, dpi: int, options: OcrOptions):
    return recognise_page(
        prepared.ocr_image, lang=options.lang, dpi=round(dpi * prepared.ocr_scale), timeout=options.timeout
    )


def _reads_badly(words) -> bool:
    return len(words) >= MIN_WORDS_TO_JUDGE and mean_confidence(words) < REREAD_BELOW_CONFIDENCE


def ocr_page(source: SourceFile, plan: PagePlan, options: OcrOptions, workdir: Path) -> tuple[Page, ArchivePage]:
    """Everything for one page; runs in a worker process."""
    raster = render_page(source, plan, max_pixels=options.max_pixels)
    width, height = raster.image.size
    page = Page(number=raster.number, width=width, height=height, dpi=raster.dpi)
    archive_page = ArchivePage(
        number=raster.number, width=width, height=height, dpi=raster.dpi,
        rotation=0, skew=0.0, ocr_scale=1.0, text_pdf_path=None,
    )
    # A page that already carries text (born-digital, or OCR'd before) keeps it: reading pixels would be worse.
    kept_text = existing_text(source, plan.number) if source.format == "pdf" else None
    if kept_text is not None:
        page.text, page.confidence = kept_text, 100.0
        return page, archive_page
    # Orientation detection costs a Tesseract run of its own. A portrait page is read as it is first, and
    # only if it reads badly (an upside-down page reads as garbage) is its orientation detected and the page
    # read again; landscape pages, often portrait pages scanned sideways, are detected up front.
    landscape = width > height
    prepared = prepare(raster.image, dpi=raster.dpi, rotation=None if options.detect_orientation and landscape else 0)
    page.blank = prepared.blank
    if prepared.blank:
        return page, archive_page
    text, words, text_pdf = _read(prepared, raster.dpi, options)
    if options.detect_orientation and not landscape and _reads_badly(words):
        rotation = _tesseract.orientation(prepared.ocr_image, dpi=round(raster.dpi * prepared.ocr_scale))
        if rotation:
            prepared = prepare(raster.image, dpi=raster.dpi, rotation=rotation)
            text, words, text_pdf = _read(prepared, raster.dpi, options)
    del raster  # keep one decoded image per worker
    page.rotation, page.skew = prepared.rotation, prepared.skew
    archive_page.rotation, archive_page.skew, archive_page.ocr_scale = (
        prepared.rotation, prepared.applied_skew, prepared.ocr_scale,
    )
    text_pdf_path = workdir / f"page-{page.number:05d}.text.pdf"
    text_pdf_path.write_bytes(text_pdf)
    page.text, page.words, page.confidence = text, words, mean_confidence(words)
    archive_page.text_pdf_path = text_pdf_path
    return page, archive_page


_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def _worker_pool(size: int) -> ProcessPoolExecutor:
    """One pool per process, reused across documents: starting workers costs more than a small page."""
    global _pool, _pool_size
    if _pool is None or _pool_size != size:
        if _pool is not None:
            _pool.shutdown(wait=True)
        # forkserver: a fork of a process that runs threads (Prefect does) can deadlock; spawn is slower.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["ocr.document"])
        _pool, _pool_size = ProcessPoolExecutor(max_workers=size, mp_context=context), size
    return _pool


def _discard_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _ocr_pages_in_parallel(source, plans, options, workdir, progress):
    pool = _worker_pool(min(options.worker_count, len(plans)))
    results: dict[int, tuple[Page, ArchivePage]] = {}
    pending: set[Future] = set()
    queue = list(plans)
    # Only a few pages in flight beyond the workers: memory is bounded by pages being read, not by page count.
    in_flight_limit = pool._max_workers + 1
    try:
        while queue or pending:
            while queue and len(pending) < in_flight_limit:
                pending.add(pool.submit(ocr_page, source, queue.pop(0), options, workdir))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                page, archive_page = future.result()  # re-raises the page's named failure
                results[page.number] = (page, archive_page)
                if progress:
                    progress(len(results), len(plans))
    except BrokenProcessPool as error:
        # A worker died (killed, out of memory): the pool is unusable; the next document gets a new one.
        _discard_pool()
        raise OcrCrashed("a page worker process died") from error
    except BaseException:
        for future in pending:
            future.cancel()
        raise
    return [results[plan.number] for plan in plans]


def ocr_document(
    source: SourceFile,
    options: OcrOptions,
    workdir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> OcrDocument:
    workdir.mkdir(parents=True, exist_ok=True)
    plans = plan_pages(source, max_dpi=options.max_dpi)
    if len(plans) > 1 and options.worker_count > 1:
        pages = _ocr_pages_in_parallel(source, plans, options, workdir, progress)
    else:
        pages = []
        for plan in plans:
            pages.append(ocr_page(source, plan, options, workdir))
            if progress:
                progress(len(pages), len(plans))
    result = OcrResult(language=options.lang, engine=_tesseract.version(), pages=[page for page, _ in pages])
    return OcrDocument(source=source, result=result, archive_pages=[archive_page for _, archive_page in pages])


def ocr_file(
    path: Path,
    options: OcrOptions,
    *,
    archive_pdf_path: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> OcrResult:
    """The whole OCR stage for one file: triage, pages, and (if asked) the archival PDF. Raises named failures.

    Pages run in worker processes started with forkserver: a script calling this needs the usual
    `if __name__ == "__main__":` guard.
    """
    source = triage(path, max_bytes=options.max_bytes, max_pixels=options.max_pixels, max_pages=options.max_pages)
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as workdir:
        document = ocr_document(source, options, Path(workdir), progress=progress)
        if archive_pdf_path is not None:
            archive_pdf.build(source, document.archive_pages, archive_pdf_path)
    return document.result
