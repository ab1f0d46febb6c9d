"""The `ingest_dossier` flow: triage -> OCR -> classify -> archival PDF -> store -> index, for each file.

The flow only orchestrates: every stage is a plain function in its package, wrapped here as a task.
A document that fails ends as a quarantined report with a named reason; the rest of the batch goes on.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

import sohoa
from classify import classify_document
from flows._runner import StageRunner, retry_transient, run_as_task, run_direct
from ocr import EXTENSIONS, OcrDocument, OcrOptions, ocr_document
from ocr import archive_pdf
from ocr import triage as triage_file
from ocr._tesseract import version as tesseract_version
from schemas import (
    Classification,
    Document,
    DocumentReport,
    DocumentStatus,
    Event,
    EventType,
    OcrResult,
    SourceFile,
)
from schemas.failures import SohoaFailure
from search import Catalog
from sohoa.settings import Settings, get_settings
from storage import StorageError, layout, store_from_settings
from storage.archive import ArchiveResult, archive_document, find_archived
from storage.retention import parse_retention

log = logging.getLogger("sohoa.ingest")

# Names a scanner or an office program leaves while still writing, or keeps for itself.
_IGNORED_PREFIXES = (".", "~$")
_IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload")


class InternalError(SohoaFailure):
    code = "internal_error"
    vi = "Lỗi nội bộ của hệ thống khi xử lý tệp"
    en = "Internal error while processing the file"




@task(name="triage", cache_policy=NO_CACHE)
def triage_stage(path: str, settings: Settings) -> SourceFile:
    return triage_file(
        Path(path),
        max_bytes=settings.max_file_mb * 1024 * 1024,
        max_pixels=settings.max_page_pixels,
        max_pages=settings.max_pages,
    )


@task(name="ocr", cache_policy=NO_CACHE)
def ocr_stage(source: SourceFile, options: OcrOptions, workdir: Path) -> OcrDocument:
    return ocr_document(source, options, workdir)


@task(name="classify", cache_policy=NO_CACHE)
def classify_stage(result: OcrResult) -> Classification:
    """Rules, and the latest trained model in the store if there is one (a store that cannot give it now
    leaves the rules to decide: classification must not stop an ingest)."""
    from classify.model import load_latest

    settings = get_settings()
    try:
        model = load_latest(store_from_settings(settings))
    except Exception as error:  # unreachable store, damaged model file: rules alone, and say so
        log.warning("classifier model not loaded, title rules only: %s", error)
        model = None
    return classify_document(result, model, settings.classify_threshold)


@task(name="archival-pdf", cache_policy=NO_CACHE)
def archive_pdf_stage(document: OcrDocument, out_path: Path) -> Path:
    archive_pdf.build(document.source, document.archive_pages, out_path)
    return out_path


@task(name="store", cache_policy=NO_CACHE, retries=4, retry_delay_seconds=[1, 3, 10, 30],
      retry_condition_fn=retry_transient)
def store_stage(
    store,
    document: Document,
    source: SourceFile,
    archive_path: Path,
    ocr: OcrResult,
    agent: str,
    lock_mode: str = "GOVERNANCE",
) -> ArchiveResult:
    """Every object to the store (and its replica), each verified; `duplicate` if the store already had it."""
    return archive_document(
        store,
        document,
        original_path=Path(source.path),
        original_extension=EXTENSIONS[source.format],
        archive_pdf_path=archive_path,
        ocr=ocr,
        agent=agent,
        lock_mode=lock_mode,
    )


@task(name="index", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=retry_transient)
def index_stage(catalog: Catalog, document: Document, keys: dict[str, str], ocr: OcrResult) -> None:
    catalog.record(document, keys, [page.text for page in ocr.pages])


@dataclass
class IngestInput:
    path: Path
    dossier: str | None


def is_ignored(path: Path) -> bool:
    return path.name.startswith(_IGNORED_PREFIXES) or path.name.lower().endswith(_IGNORED_SUFFIXES)


def expand_inputs(paths: list[str], dossier: str | None) -> list[IngestInput]:
    """Files to ingest: a folder is one dossier (named after it unless --dossier says otherwise)."""
    inputs = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            folder_dossier = dossier or path.resolve().name
            for child in sorted(path.rglob("*")):
                relative_parts = child.relative_to(path).parts
                if child.is_file() and not any(is_ignored(Path(part)) for part in relative_parts):
                    inputs.append(IngestInput(child, folder_dossier))
        else:
            inputs.append(IngestInput(path, dossier))
    return inputs


def _quarantined(item: IngestInput, failure: SohoaFailure, source: SourceFile | None = None) -> DocumentReport:
    return DocumentReport(
        id=layout.document_id(item.dossier, source.sha256) if source else None,
        dossier=item.dossier,
        source=str(item.path),
        pages=source.page_count if source else 0,
        sha256=source.sha256 if source else None,
        status=DocumentStatus.quarantined,
        error=str(failure),
    )


def _stored_report(
    item: IngestInput, source: SourceFile, document: Document, status: DocumentStatus, keys: dict[str, str]
) -> DocumentReport:
    """The report of a document that is in the archive (just archived, or found there already)."""
    return DocumentReport(
        id=document.id, dossier=item.dossier, source=str(item.path), doc_type=document.doc_type,
        pages=document.pages, sha256=source.sha256, status=status, keys=keys,
    )


def _agent() -> str:
    return f"sohoa {sohoa.__version__}; {tesseract_version()}"


def _duplicate_in_store(item: IngestInput, source: SourceFile, found: ArchiveResult, store,
                        catalog: Catalog) -> DocumentReport:
    """The store has it though the catalog did not: put it back in the catalog, report a duplicate."""
    from search.rebuild import UnreadableDocument, record_from_store

    try:
        record_from_store(catalog, store, found.keys[layout.META])
    except UnreadableDocument as error:  # still a duplicate: nothing is written; `sohoa verify` reports it
        log.warning("%s is archived but could not be put back in the catalog: %s", found.document.id, error)
    return _stored_report(item, source, found.document, DocumentStatus.duplicate, found.keys)


def ingest_one(
    item: IngestInput, agency: str | None, settings: Settings, store, catalog: Catalog, run: StageRunner,
    ordinal: int | None = None,
) -> DocumentReport:
    try:
        source = run(triage_stage, str(item.path), settings)
    except SohoaFailure as failure:
        return _quarantined(item, failure)
    doc_id = layout.document_id(item.dossier, source.sha256)
    known = catalog.status_of(doc_id)
    if known is not None and known[0] is DocumentStatus.archived:
        return _stored_report(item, source, catalog.get(doc_id), DocumentStatus.duplicate, known[1])
    agent = _agent()
    document = Document(
        id=doc_id, dossier=item.dossier, agency=agency, source=item.path.name, ordinal=ordinal,
        retention=parse_retention(settings.retention), media_type=source.media_type, sha256=source.sha256,
        size=source.size, events=[Event(type=EventType.ingested, agent=agent, detail=source.format)],
    )
    # The catalog may have been lost: ask the store before spending OCR on it (the store stage asks again).
    try:
        found = find_archived(store, document, scan_dossier=True, known_meta_keys=catalog.meta_keys(item.dossier))
        if found is not None:
            return _duplicate_in_store(item, source, found, store, catalog)
    except StorageError as error:
        log.debug("could not look for %s in the store before OCR: %s", doc_id, error)
    try:
        with tempfile.TemporaryDirectory(prefix="sohoa-ingest-") as workdir:
            ocr_done = run(ocr_stage, source, OcrOptions.from_settings(settings), Path(workdir))
            document.pages = len(ocr_done.result.pages)
            document.events.append(Event(type=EventType.ocr_done, agent=agent, detail=ocr_done.result.language))
            document.classification = run(classify_stage, ocr_done.result)
            document.events.append(Event(type=EventType.classified, agent=agent,
                                         detail=f"{document.doc_type.value} {document.classification.confidence}"))
            archive_path = run(archive_pdf_stage, ocr_done, Path(workdir) / "archive.pdf")
            stored = run(store_stage, store, document, source, archive_path, ocr_done.result, agent,
                         settings.lock_mode)
            if stored.duplicate:
                return _duplicate_in_store(item, source, stored, store, catalog)
            archived, keys = stored.document, stored.keys
            run(index_stage, catalog, archived, keys, ocr_done.result)
    except SohoaFailure as failure:
        return _quarantined(item, failure, source)
    except Exception as error:  # a bug must not stop the batch; the log keeps the details
        log.debug("unexpected error on one input", exc_info=True)
        return _quarantined(item, InternalError(type(error).__name__), source)
    return _stored_report(item, source, archived, DocumentStatus.archived, keys)


def ingest_paths(
    paths: list[str],
    *,
    dossier: str | None = None,
    agency: str | None = None,
    settings: Settings | None = None,
    run: StageRunner = run_direct,
    progress: Callable[[int, int, DocumentReport], None] | None = None,
) -> list[DocumentReport]:
    """Ingest files and folders; one report per input file, in order."""
    settings = settings or get_settings()
    agency = agency or settings.agency or None
    store = store_from_settings(settings)
    catalog = Catalog.from_settings(settings)
    inputs = expand_inputs(paths, dossier)
    # A document's ordinal is its position among the inputs of its dossier (files of a folder in name order):
    # it names its folder `<dossier>.<ordinal>` in the store.
    positions: dict[str, int] = {}
    reports = []
    try:
        for index, item in enumerate(inputs, start=1):
            ordinal = None
            if item.dossier:
                ordinal = positions[item.dossier] = positions.get(item.dossier, 0) + 1
            report = ingest_one(item, agency, settings, store, catalog, run, ordinal=ordinal)
            reports.append(report)
            if progress:
                progress(index, len(inputs), report)
    finally:
        catalog.close()
    return reports


@flow(name="ingest-dossier", flow_run_name="ingest {dossier}", log_prints=True)
def ingest_dossier(paths: list[str], dossier: str | None = None, agency: str | None = None) -> list[dict]:
    """Prefect flow: the same ingest, each stage a tracked task run (retries on storage and index)."""
    reports = ingest_paths(paths, dossier=dossier, agency=agency, run=run_as_task)
    return [report.model_dump(mode="json") for report in reports]
