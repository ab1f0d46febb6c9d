"""OCR of a whole document, page-parallel: each worker process renders, prepares and reads one page at a time.

Memory stays at one page per worker whatever the page count: a worker decodes only its own page (pdf2image
with first_page/last_page, or one TIFF frame), and results come back small (text, words, a path to the page's
text layer in the work folder). Results are merged in page order. `ocr.archive_pdf.build` then joins the
original pages and their text layers.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ocr import archive_pdf, tesseract
from ocr.archive_pdf import ArchivePage
from ocr.codes import read_codes
from ocr.page_queue import OcrTicket, PageQueue
from ocr.preprocess import prepare
from ocr.rasterize import PagePlan, plan_pages, render_page
from ocr.recognize import mean_confidence, read_page
from ocr.textlayer import existing_text
from ocr.triage import triage
from schemas import OcrResult, Page, SourceFile
from schemas.failures import SohoaFailure

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
    def from_settings(cls, settings, lang: str | None = None) -> OcrOptions:
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
    """The page's best reading (ocr.recognize.read_page: read again evenly lit, or in English, only if needed)."""
    return read_page(
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
        number=raster.number,
        width=width,
        height=height,
        dpi=raster.dpi,
        rotation=0,
        skew=0.0,
        ocr_scale=1.0,
        text_pdf_path=None,
    )
    # A page that already carries text (born-digital, or OCR'd before) keeps it: reading pixels would be worse.
    kept_text = existing_text(source, plan.number) if plan.may_have_text else None
    if kept_text is not None:
        page.text, page.confidence = kept_text, 100.0
        page.codes = read_codes(raster.image)  # a printed one-stop-shop paper keeps its QR code as an image
        return page, archive_page
    # Orientation detection costs a Tesseract run of its own. A portrait page is read as it is first, and
    # only if it reads badly (an upside-down page reads as garbage) is its orientation detected and the page
    # read again; landscape pages, often portrait pages scanned sideways, are detected up front.
    landscape = width > height
    prepared = prepare(raster.image, dpi=raster.dpi, rotation=None if options.detect_orientation and landscape else 0)
    page.blank = prepared.blank
    if prepared.blank:
        return page, archive_page
    reading = _read(prepared, raster.dpi, options)
    if options.detect_orientation and not landscape and _reads_badly(reading.words):
        rotation = tesseract.orientation(prepared.ocr_image, dpi=round(raster.dpi * prepared.ocr_scale))
        if rotation:
            prepared = prepare(raster.image, dpi=raster.dpi, rotation=rotation)
            reading = _read(prepared, raster.dpi, options)
    # QR codes and barcodes (ocr.codes): on the scan, and on the straightened page if the scan gave none.
    page.codes = read_codes(raster.image, prepared.ocr_image, rotation=prepared.rotation, to_shown=prepared.to_shown)
    del raster  # keep one decoded image per worker
    page.rotation, page.skew = prepared.rotation, prepared.skew
    archive_page.rotation, archive_page.skew, archive_page.ocr_scale = (
        prepared.rotation,
        prepared.applied_skew,
        prepared.ocr_scale,
    )
    text_pdf_path = workdir / f"page-{page.number:05d}.text.pdf"
    text_pdf_path.write_bytes(reading.text_pdf)
    page.text, page.words, page.confidence = reading.text, reading.words, mean_confidence(reading.words)
    page.binarisation, page.language = reading.binarisation, reading.language
    archive_page.text_pdf_path = text_pdf_path
    return page, archive_page


_queues: dict[int, PageQueue] = {}


def page_queue(workers: int) -> PageQueue:
    """One queue (and pool of workers) per process and size, reused: starting workers costs more than a page."""
    if workers not in _queues:
        _queues[workers] = PageQueue(workers, ocr_page)
    return _queues[workers]


def cancel_document(ticket: OcrTicket, options: OcrOptions) -> None:
    """Drop the queued pages of a document that no longer needs reading (found archived while it waited)."""
    if not ticket.done():
        page_queue(options.worker_count).cancel(ticket)


def submit_document(
    source: SourceFile,
    options: OcrOptions,
    workdir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> OcrTicket:
    """Queue the pages of a triaged document for the page workers; `finish_document(ticket)` waits for them.

    Several documents can be in flight: their pages share the workers, so a batch of one-page files uses
    every core."""
    workdir.mkdir(parents=True, exist_ok=True)
    plans = plan_pages(source, max_dpi=options.max_dpi)
    return page_queue(options.worker_count).submit(source, plans, options, workdir, progress)


def finish_document(ticket: OcrTicket, timeout: float | None = None) -> OcrDocument:
    """The OCR of a submitted document, its pages in order; raises the named failure of a page that failed."""
    return _as_document(ticket.source, ticket.options, ticket.wait(timeout))


def document_language(pages: list[Page], default: str) -> str:
    """The language most of the document's text is in (by letters read); `default` when nothing was read."""
    letters: Counter[str] = Counter()
    for page in pages:
        if page.language and page.text:
            letters[page.language] += sum(c.isalpha() for c in page.text)
    return letters.most_common(1)[0][0] if letters else default


def _as_document(source: SourceFile, options: OcrOptions, pages: list[tuple[Page, ArchivePage]]) -> OcrDocument:
    read = [page for page, _ in pages]
    result = OcrResult(language=document_language(read, options.lang), engine=tesseract.version(), pages=read)
    return OcrDocument(source=source, result=result, archive_pages=[archive_page for _, archive_page in pages])


def ocr_document(
    source: SourceFile,
    options: OcrOptions,
    workdir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> OcrDocument:
    """The OCR of one document now. A single page (or a single worker) is read in this process: a clerk's
    one-page scan should not wait for worker processes to start."""
    workdir.mkdir(parents=True, exist_ok=True)
    plans = plan_pages(source, max_dpi=options.max_dpi)
    if len(plans) > 1 and options.worker_count > 1:
        return finish_document(page_queue(options.worker_count).submit(source, plans, options, workdir, progress))
    pages = []
    for plan in plans:
        pages.append(ocr_page(source, plan, options, workdir))
        if progress:
            progress(len(pages), len(plans))
    return _as_document(source, options, pages)


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


Item = TypeVar("Item")
Started = TypeVar("Started")


def read_ahead(
    items: Iterable[Item],
    start: Callable[[Item], Started],
    pages_of: Callable[[Started], int],
    pages_ahead: int,
    abandon: Callable[[Started], None] | None = None,
) -> Generator[tuple[Item, Started], None, None]:
    """Yield (item, start(item)) in order, having started the items after it until at least `pages_ahead` of
    their pages wait behind it: the page workers read the next files while the caller finishes this one.
    If the caller stops early, `abandon` is called on every item started but not yet yielded."""
    pending: list[tuple[Item, Started, int]] = []
    pages_behind_first = 0  # pages of the started items after the first pending one
    iterator = iter(items)
    exhausted = False
    try:
        while True:
            while not exhausted and (not pending or pages_behind_first < pages_ahead):
                try:
                    item = next(iterator)
                except StopIteration:
                    exhausted = True
                    break
                started = start(item)
                pages = pages_of(started)
                if pending:
                    pages_behind_first += pages
                pending.append((item, started, pages))
            if not pending:
                return
            item, started, _ = pending.pop(0)
            if pending:
                pages_behind_first -= pending[0][2]
            yield item, started
    finally:
        if abandon is not None:
            for _, started, _ in pending:
                abandon(started)


def pages_ahead_for(options: OcrOptions) -> int:
    """Enough pages queued to keep every worker busy while the caller finishes one document."""
    return 3 * options.worker_count


@dataclass
class FileOcr:
    """The OCR stage's outcome for one file of a batch: its result, or the named failure that stopped it."""

    path: Path
    result: OcrResult | None = None
    failure: SohoaFailure | None = None
    archive_pdf_path: Path | None = None


def ocr_files(
    paths: Iterable[Path],
    options: OcrOptions,
    *,
    archive_dir: Path | None = None,
) -> Iterator[FileOcr]:
    """The whole OCR stage over many files, in order: the pages of the next files are read while each archival
    PDF is built. One file's failure is its own outcome; the batch goes on."""
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as batch_dir:

        def start(numbered: tuple[int, Path]) -> OcrTicket | SohoaFailure:
            number, path = numbered
            try:
                source = triage(
                    path, max_bytes=options.max_bytes, max_pixels=options.max_pixels, max_pages=options.max_pages
                )
                return submit_document(source, options, Path(batch_dir) / f"{number:06d}")
            except SohoaFailure as failure:
                return failure

        def pages_of(started: OcrTicket | SohoaFailure) -> int:
            return len(started.plans) if isinstance(started, OcrTicket) else 0

        def abandon(started: OcrTicket | SohoaFailure) -> None:
            if isinstance(started, OcrTicket):
                page_queue(options.worker_count).cancel(started)

        ahead = read_ahead(enumerate(paths), start, pages_of, pages_ahead_for(options), abandon)
        with closing(ahead):  # a caller that stops early cancels the files read ahead, now
            yield from _finish_each(ahead, archive_dir)


def _finish_each(ahead, archive_dir: Path | None) -> Iterator[FileOcr]:
    for (number, path), started in ahead:
        if isinstance(started, SohoaFailure):
            yield FileOcr(path, failure=started)
            continue
        try:
            document = finish_document(started)
            archive_path = None
            if archive_dir is not None:
                archive_path = archive_dir / f"{number:06d}-{path.stem}.pdf"
                archive_pdf.build(document.source, document.archive_pages, archive_path)
            yield FileOcr(path, result=document.result, archive_pdf_path=archive_path)
        except SohoaFailure as failure:
            yield FileOcr(path, failure=failure)
        finally:
            shutil.rmtree(started.workdir, ignore_errors=True)
