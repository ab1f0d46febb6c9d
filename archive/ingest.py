"""Ingest: triage -> OCR -> classify -> archival PDF -> store -> index, for each file of a dossier.

Every stage is a plain function of its package, declared here with its retry policy (`archive.stages.Stage`);
`run` decides how a stage runs: directly in this process (`run_direct`), or as a Prefect task inside the
`ingest-dossier` flow (flows/ingest.py). A document that fails ends as a quarantined report carrying its named
failure; the rest of the batch goes on.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from archive.context import Archive, opened
from archive.roles import derive_role
from archive.stages import Stage, StageRunner, run_direct
from archive.upload import APPLICANT_ID, PROCEDURE_CODE
from catalog import Catalog
from classify import classify_document
from classify.metadata import DEFAULT_FIELD_MIN_CONFIDENCE
from classify.model import TypeModel
from inbox.convention import generated_dossier_id, is_ignored
from ocr import (
    EXTENSIONS,
    OcrDocument,
    OcrOptions,
    OcrTicket,
    archive_pdf,
    cancel_document,
    finish_document,
    ocr_document,
    pages_ahead_for,
    read_ahead,
    submit_document,
    tesseract_version,
)
from ocr import triage as triage_file
from ocr.codes import payload_of_codes
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
from schemas.codes import AGENCY_FORMAT, NATIONAL_DOSSIER_CODE, check_agency_code, check_dossier_code
from schemas.failures import InternalError, SohoaFailure
from schemas.pdfmeta import PdfDescription, describe_document, pdf_language
from schemas.settings import Settings
from schemas.version import __version__
from storage import ObjectStore, StorageError, layout
from storage.archive import ArchiveResult, archive_document, find_archived
from storage.retention import parse_retention

log = logging.getLogger("sohoa.ingest")


def triage_stage(path: str, settings: Settings, label: str = "") -> SourceFile:
    return triage_file(
        Path(path),
        max_bytes=settings.max_file_mb * 1024 * 1024,
        max_pixels=settings.max_page_pixels,
        max_pages=settings.max_pages,
    )


def ocr_stage(
    pending: OcrTicket | None, source: SourceFile, options: OcrOptions, workdir: Path, label: str = ""
) -> OcrDocument:
    """The document's pages, read by the page workers (queued ahead by `ingest_paths`), or read now."""
    if pending is not None:
        return finish_document(pending)
    return ocr_document(source, options, workdir)


def classify_stage(
    result: OcrResult,
    model: TypeModel | None,
    threshold: float,
    label: str = "",
    field_min_confidence: float = DEFAULT_FIELD_MIN_CONFIDENCE,
) -> Classification:
    """Title rules, and the trained model when there is one; doubtful header fields left empty for review."""
    return classify_document(result, model, threshold, field_min_confidence)


def archive_pdf_stage(
    document: OcrDocument, out_path: Path, description: PdfDescription | None = None, label: str = ""
) -> Path:
    """The PDF/A archival copy, described by the classified document (never by its file's name)."""
    archive_pdf.build(document.source, document.archive_pages, out_path, description=description)
    return out_path


def store_stage(
    store: ObjectStore,
    document: Document,
    source: SourceFile,
    archive_path: Path,
    ocr: OcrResult,
    agent: str,
    lock_mode: str = "GOVERNANCE",
    label: str = "",
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


def index_stage(catalog: Catalog, document: Document, keys: dict[str, str], ocr: OcrResult, label: str = "") -> None:
    catalog.record(document, keys, [page.text for page in ocr.pages])


# The stages and their retry policies: transient failures of the store and the catalog are retried (a server
# restarting, a locked database), bad input never is. flows/ingest.py runs each as a Prefect task with this policy.
TRIAGE = Stage("triage", triage_stage)
OCR = Stage("ocr", ocr_stage, tags=("tesseract",))  # prefect.yaml: a global limit on the tag caps OCR at once
CLASSIFY = Stage("classify", classify_stage)
ARCHIVAL_PDF = Stage("archival-pdf", archive_pdf_stage)
STORE = Stage("store", store_stage, retries=4, retry_delay_seconds=(1, 3, 10, 30))
INDEX = Stage("index", index_stage, retries=2, retry_delay_seconds=(1, 5))
STAGES = (TRIAGE, OCR, CLASSIFY, ARCHIVAL_PDF, STORE, INDEX)


@dataclass
class IngestInput:
    path: Path
    dossier: str | None


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
        failure=failure.as_data(),
    )


def _stored_report(
    item: IngestInput, source: SourceFile, document: Document, status: DocumentStatus, keys: dict[str, str]
) -> DocumentReport:
    """The report of a document that is in the archive (just archived, or found there already)."""
    return DocumentReport(
        id=document.id,
        dossier=item.dossier,
        source=str(item.path),
        doc_type=document.doc_type,
        pages=document.pages,
        sha256=source.sha256,
        status=status,
        keys=keys,
    )


def _agent() -> str:
    return f"sohoa {__version__}; {tesseract_version()}"


def _duplicate_in_store(
    item: IngestInput, source: SourceFile, found: ArchiveResult, store: ObjectStore, catalog: Catalog
) -> DocumentReport:
    """The store has it though the catalog did not: put it back in the catalog, report a duplicate."""
    from archive.reindex import UnreadableDocument, record_from_store

    try:
        record_from_store(catalog, store, found.keys[layout.META])
    except UnreadableDocument as error:  # still a duplicate: nothing is written; `sohoa verify` reports it
        log.warning("%s is archived but could not be put back in the catalog: %s", found.document.id, error)
    return _stored_report(item, source, found.document, DocumentStatus.duplicate, found.keys)


@dataclass
class _Pending:
    """A document triaged, not yet in the archive, its pages queued for OCR (or to be read when finished)."""

    item: IngestInput
    source: SourceFile
    document: Document
    workdir: tempfile.TemporaryDirectory
    ticket: OcrTicket | None

    @property
    def pages(self) -> int:
        return self.source.page_count if self.ticket is not None else 0

    @property
    def label(self) -> str:
        return _label(self.item, self.document.ordinal)


def _label(item: IngestInput, ordinal: int | None) -> str:
    """How the Prefect UI and the log name a document: its dossier and ordinal, never the file name (clerks'
    file names may hold a citizen's name)."""
    return f"{item.dossier or '-'}.{ordinal:03d}" if ordinal else (item.dossier or "-")


class _Ingest:
    """The stages of one ingest call, shared by its documents: the archive, the classifier model, the runner."""

    def __init__(self, agency: str | None, archive: Archive, run: StageRunner, read_ahead_pages: bool):
        self.agency, self.run, self.archive = agency, run, archive
        self.settings, self.store, self.catalog = archive.settings, archive.store, archive.catalog
        self.options = OcrOptions.from_settings(self.settings)
        self.read_ahead_pages = read_ahead_pages
        self.agent = _agent()
        try:
            self.model = archive.classifier_model()
        except Exception as error:  # unreachable store, damaged model file: title rules alone, and say so
            log.warning("classifier model not loaded, title rules only: %s", type(error).__name__)
            self.model = None

    def prepare(self, item: IngestInput, ordinal: int | None) -> DocumentReport | _Pending:
        """Triage, and look for the document in the archive; a new one gets its pages queued for OCR."""
        label = _label(item, ordinal)
        try:
            source = self.run(TRIAGE, str(item.path), self.settings, label)
        except SohoaFailure as failure:
            return _quarantined(item, failure)
        found = self._already_archived(item, source)
        if found is not None:
            return found
        document = Document(
            id=layout.document_id(item.dossier, source.sha256),
            dossier=item.dossier,
            agency=self.agency,
            source=item.path.name,
            ordinal=ordinal,
            retention=parse_retention(self.settings.retention),
            media_type=source.media_type,
            sha256=source.sha256,
            size=source.size,
            events=[Event(type=EventType.ingested, agent=self.agent, detail=source.format)],
        )
        # The catalog may have been lost: ask the store before spending OCR on it (the store stage asks again).
        try:
            in_store = find_archived(
                self.store, document, scan_dossier=True, known_meta_keys=self.catalog.meta_keys(item.dossier)
            )
            if in_store is not None:
                return _duplicate_in_store(item, source, in_store, self.store, self.catalog)
        except StorageError as error:
            log.debug("could not look for %s in the store before OCR: %s", document.id, error)
        workdir = tempfile.TemporaryDirectory(prefix="sohoa-ingest-")
        ticket = None
        if self.read_ahead_pages:
            try:
                ticket = submit_document(source, self.options, Path(workdir.name) / "ocr")
            except SohoaFailure as failure:
                workdir.cleanup()
                return _quarantined(item, failure, source)
        return _Pending(item, source, document, workdir, ticket)

    def _already_archived(self, item: IngestInput, source: SourceFile) -> DocumentReport | None:
        doc_id = layout.document_id(item.dossier, source.sha256)
        known = self.catalog.status_of(doc_id)
        document = self.catalog.get(doc_id) if known is not None else None
        if known is not None and document is not None and known[0] is DocumentStatus.archived:
            return _stored_report(item, source, document, DocumentStatus.duplicate, known[1])
        return None

    def finish(self, pending: _Pending) -> DocumentReport:
        """OCR, classify, archival PDF, store, index; a failure quarantines this document only."""
        item, source, document, label = pending.item, pending.source, pending.document, pending.label
        run, workdir = self.run, Path(pending.workdir.name)
        try:
            # The same bytes earlier in this batch were archived while this one waited: its pages need no reading.
            found = self._already_archived(item, source)
            if found is not None:
                self._drop_pages(pending)
                return found
            ocr_done = run(OCR, pending.ticket, source, self.options, workdir / "ocr", label)
            document.pages = len(ocr_done.result.pages)
            document.language = pdf_language(ocr_done.result.language)
            document.events.append(Event(type=EventType.ocr_done, agent=self.agent, detail=ocr_done.result.language))
            document.classification = run(
                CLASSIFY,
                ocr_done.result,
                self.model,
                self.settings.classify_threshold,
                label,
                field_min_confidence=self.settings.field_min_confidence,
            )
            document.events.append(
                Event(
                    type=EventType.classified,
                    agent=self.agent,
                    detail=f"{document.doc_type.value} {document.classification.confidence}",
                )
            )
            # The codes printed on the pages beat the OCR'd text; a loose scan is filed into its code's dossier.
            item = self._apply_page_codes(item, source, document, ocr_done.result)
            if item is not pending.item and (found := self._already_archived(item, source)) is not None:
                return found
            derive_role(document, self.settings.role_map, self.agent)  # its type's default role, if any
            # The ordinal first: the archival PDF names itself `<dossier>.<ordinal>` and is written once, final.
            document.ordinal = _Ordinals.reserve(self.catalog, document)
            label = _label(item, document.ordinal)
            description = describe_document(document, ocr_done.result.language)
            archive_path = run(ARCHIVAL_PDF, ocr_done, workdir / "archive.pdf", description, label)
            stored = run(
                STORE,
                self.store,
                document,
                source,
                archive_path,
                ocr_done.result,
                self.agent,
                self.settings.lock_mode,
                label,
            )
            if stored.duplicate:
                return _duplicate_in_store(item, source, stored, self.store, self.catalog)
            run(INDEX, self.catalog, stored.document, stored.keys, ocr_done.result, label)
            if stored.document.doc_type in self.settings.certify_after_ingest:  # a result type the agency certifies
                from archive.certify import certify_after_ingest

                certify_after_ingest(self.archive, stored.document)
        except SohoaFailure as failure:
            return _quarantined(item, failure, source)
        except Exception as error:  # a bug must not stop the batch; the log keeps the details
            log.debug("unexpected error on one input", exc_info=True)
            return _quarantined(item, InternalError(type(error).__name__), source)
        finally:
            pending.workdir.cleanup()
        return _stored_report(item, source, stored.document, DocumentStatus.archived, stored.keys)

    def _apply_page_codes(
        self, item: IngestInput, source: SourceFile, document: Document, result: OcrResult
    ) -> IngestInput:
        """Fill the dossier code, procedure code and applicant ID from the codes printed on the pages (they beat
        the OCR'd text), file a loose scan into the dossier its code names, and flag for review what disagrees
        (the OCR'd text, two codes, the dossier the clerk gave, the agency). Returns the input as filed. The event
        says which fields came from a code, never their values (the applicant ID is personal data)."""
        found = page_code_fields(result)
        if not found:
            return item
        metadata = document.classification.metadata
        taken, differs = [], list(found.conflicts)
        for name in ("dossier_code", "procedure_code"):
            value = getattr(found, name)
            if value is None:
                continue
            read = getattr(metadata, name)
            if read is not None and read.upper() != value.upper():
                differs.append(f"{name} (OCR)")
            setattr(metadata, name, value)
            taken.append(name)
        if found.applicant_id is not None:
            metadata.citizen_ids = list(dict.fromkeys([found.applicant_id, *metadata.citizen_ids]))
            taken.append("citizen_ids")
        filed = ""
        code_dossier = found.dossier_code
        # An inbox file whose path names no dossier comes with an id made from its bytes: no clerk chose it.
        given = item.dossier if item.dossier and item.dossier != generated_dossier_id(source.sha256) else None
        if code_dossier is not None and given is None:
            code_agency = code_dossier[: len(AGENCY_FORMAT)]
            if document.agency and document.agency.upper() != code_agency:
                differs.append("agency (not filed into the code's dossier)")
            else:
                document.dossier, document.agency = code_dossier, document.agency or code_agency
                document.id = layout.document_id(code_dossier, source.sha256)
                document.ordinal = 1  # the first free ordinal of that dossier is reserved before storing
                item = IngestInput(item.path, code_dossier)
                filed = "; filed into the dossier its code names"
        elif code_dossier is not None and given is not None and given.upper() != code_dossier:
            differs.append("dossier (the dossier given is kept)")
        if differs:
            document.classification.needs_review = True
        detail = f"page code: {', '.join(taken) or 'nothing usable'} taken from the code over the OCR'd text{filed}"
        if differs:
            detail += f"; differs: {', '.join(differs)}"
        document.events.append(Event(type=EventType.classified, agent=self.agent, detail=detail))
        return item

    def _drop_pages(self, pending: _Pending) -> None:
        if pending.ticket is not None and not pending.ticket.done():
            cancel_document(pending.ticket, self.options)

    def abandon(self, prepared: DocumentReport | _Pending) -> None:
        """A document queued but never finished (the batch was stopped): drop its pages and work files."""
        if isinstance(prepared, _Pending):
            self._drop_pages(prepared)
            prepared.workdir.cleanup()


@dataclass
class PageCodeFields:
    """The fields the codes printed on a document's pages give, each checked against the code rules."""

    dossier_code: str | None = None
    procedure_code: str | None = None
    applicant_id: str | None = field(default=None, repr=False)  # personal data: never logged
    conflicts: list[str] = field(default_factory=list)  # fields two codes give differently (the first is kept)

    def __bool__(self) -> bool:
        return any((self.dossier_code, self.procedure_code, self.applicant_id))


def _checked_dossier_code(value: str) -> str | None:
    """A national dossier code (TT 01/2018: agency, YYMMDD received, sequence) that passes the code checks."""
    value = value.strip()
    if not NATIONAL_DOSSIER_CODE.fullmatch(value):
        return None
    try:
        code = check_dossier_code(value, "page code")
        check_agency_code(code[: len(AGENCY_FORMAT)], "page code")
        received = code[len(AGENCY_FORMAT) + 1 : len(AGENCY_FORMAT) + 7]
        date(2000 + int(received[:2]), int(received[2:4]), int(received[4:]))
    except (SohoaFailure, ValueError):
        return None
    return code


def page_code_fields(result: OcrResult) -> PageCodeFields:
    """The dossier code, procedure code and applicant ID the pages' codes hold (ocr.codes), pages in order; a
    value is taken only if it passes the checks of its kind (schemas.codes, the procedure code and applicant ID
    patterns of archive.upload)."""
    found = PageCodeFields()
    checks: dict[str, Callable[[str], str | None]] = {
        "dossier_code": _checked_dossier_code,
        "procedure_code": lambda value: value.upper() if PROCEDURE_CODE.fullmatch(value.strip().upper()) else None,
        "applicant_id": lambda value: value.strip() if APPLICANT_ID.fullmatch(value.strip()) else None,
    }
    for page in result.pages:
        for payload in payload_of_codes(page.codes):
            for name, check in checks.items():
                raw = getattr(payload, name)
                value = check(raw.strip()) if raw else None
                if value is None:
                    continue
                kept = getattr(found, name)
                if kept is None:
                    setattr(found, name, value)
                elif kept != value and f"{name} (two codes)" not in found.conflicts:
                    found.conflicts.append(f"{name} (two codes)")
    return found


class _Ordinals:
    """A document's ordinal names its folder `<dossier>.<ordinal>` in the store. The number a document asks for is
    its position among the inputs of its dossier (files of a folder in name order); the catalog then reserves it,
    or the next one no other document holds (a dossier's later files, dropped after its first ones were archived,
    or another ingest of the same dossier running at the same time), just before the document is stored."""

    def __init__(self):
        self.positions: dict[str, int] = {}

    def position(self, dossier: str | None) -> int | None:
        if not dossier:
            return None
        self.positions[dossier] = self.positions.get(dossier, 0) + 1
        return self.positions[dossier]

    @staticmethod
    def reserve(catalog: Catalog, document: Document) -> int | None:
        """The ordinal `document` is stored under, taken atomically in the catalog (never read, then written)."""
        if not document.dossier or document.ordinal is None:
            return document.ordinal
        return catalog.reserve_ordinal(document.dossier, document.ordinal, document.id)


def ingest_paths(
    paths: list[str],
    *,
    dossier: str | None = None,
    agency: str | None = None,
    settings: Settings | None = None,
    archive: Archive | None = None,
    run: StageRunner = run_direct,
    progress: Callable[[int, int, DocumentReport], None] | None = None,
) -> list[DocumentReport]:
    """Ingest files and folders; one report per input file, in order.

    The pages of the next documents are queued for OCR while one document is classified, stored and indexed,
    so a batch of one-page files keeps every core busy."""
    with opened(archive, settings) as archive:
        return _ingest(archive, expand_inputs(paths, dossier), agency or archive.settings.agency or None, run, progress)


def _ingest(
    archive: Archive,
    inputs: list[IngestInput],
    agency: str | None,
    run: StageRunner,
    progress: Callable[[int, int, DocumentReport], None] | None,
) -> list[DocumentReport]:
    # One file alone is read in this process: a clerk's one-page scan should not wait for workers to start.
    stages = _Ingest(agency, archive, run, read_ahead_pages=len(inputs) > 1)
    ordinals = _Ordinals()
    reports = []

    def prepare(item: IngestInput) -> DocumentReport | _Pending:
        return stages.prepare(item, ordinals.position(item.dossier))

    def pages_of(prepared: DocumentReport | _Pending) -> int:
        return prepared.pages if isinstance(prepared, _Pending) else 0

    ahead = read_ahead(inputs, prepare, pages_of, pages_ahead_for(stages.options), stages.abandon)
    with closing(ahead):
        for index, (_item, prepared) in enumerate(ahead, start=1):
            if isinstance(prepared, _Pending):
                prepared = stages.finish(prepared)
            reports.append(prepared)
            if progress:
                progress(index, len(inputs), prepared)
    return reports


def run_name(paths: list[str], dossier: str | None) -> str:
    """ "ingest <dossier>": the dossier given, or the one folder that is a dossier, or how many files — how the
    Prefect UI names an ingest run, whether it is started here or by a deployment."""
    if not dossier and len(paths) == 1 and Path(paths[0]).is_dir():
        dossier = Path(paths[0]).resolve().name
    return f"ingest {dossier or f'{len(paths)} tệp'}"
