"""The catalog rebuilt from the store alone: every document's meta.json and ocr.json, and the audit history.

The store is the source of truth; the catalog is an index of it. `rebuild_catalog` records every archived document
again (Catalog.record is idempotent) and drops catalog rows whose meta.json is gone from the store, so the same
queries return the same hits as before. `record_from_store` does it for one document (used by ingest when it
finds a document already archived that the catalog does not know).
"""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, Field, ValidationError

from archive.context import Archive, opened
from catalog.records import Catalog
from schemas import Document, Dossier, OcrResult
from schemas.failures import SohoaFailure
from schemas.settings import Settings
from storage import layout
from storage.base import ObjectNotFound, ObjectStore, StorageError, StorageUnavailable


class RebuildReport(BaseModel):
    documents: int = 0
    pages: int = 0
    audits: int = 0
    dossiers: int = 0
    removed: list[str] = Field(default_factory=list)  # catalog ids whose meta.json is not in the store
    skipped: list[dict] = Field(default_factory=list)  # {"key", "error"}: unreadable meta.json / ocr.json


class UnreadableDocument(StorageError):
    code = "unreadable_document"
    vi = "Không đọc được meta.json/ocr.json của tài liệu trong kho"
    en = "The document's meta.json or ocr.json in the store cannot be read"
    retryable = False


def load_archived(store: ObjectStore, meta_key: str) -> tuple[Document, OcrResult]:
    """The document and its OCR from the store, from the first copy whose ocr.json matches meta.json's SHA-256
    (a MirroredStore offers its replicas when the primary's copy is missing or damaged)."""
    problems = []
    for copy in getattr(store, "copies", [store]):
        try:
            document = Document.model_validate_json(copy.get_bytes(meta_key))
            ocr_object = document.objects.get(layout.OCR)
            if ocr_object is None:
                raise ValueError("meta.json lists no ocr.json")
            data = copy.get_bytes(ocr_object.key)
            if ocr_object.sha256 and hashlib.sha256(data).hexdigest() != ocr_object.sha256:
                raise ValueError(f"{ocr_object.key} does not match the SHA-256 in meta.json")
            return document, OcrResult.model_validate_json(data)
        except StorageUnavailable:
            raise
        except (ObjectNotFound, ValidationError, ValueError) as error:
            problems.append(f"{copy.url}: {error}")
    raise UnreadableDocument(f"{meta_key}: " + "; ".join(problems))


def _read_any(store: ObjectStore, key: str) -> bytes:
    for copy in getattr(store, "copies", [store]):
        try:
            return copy.get_bytes(key)
        except ObjectNotFound:
            continue
    raise ObjectNotFound(f"{store.url} {key}: on no copy")


def record_from_store(catalog: Catalog, store: ObjectStore, meta_key: str) -> Document:
    document, ocr = load_archived(store, meta_key)
    catalog.record(document, layout.keys_of(document, meta_key), [page.text for page in ocr.pages])
    return document


def _newer_or_unknown(found: Dossier, earlier: Dossier | None) -> bool:
    if earlier is None or earlier.updated_at is None:
        return True
    return found.updated_at is not None and found.updated_at >= earlier.updated_at


def rebuild_catalog(store: ObjectStore, catalog: Catalog) -> RebuildReport:
    report = RebuildReport()
    seen: set[str] = set()
    unreadable_meta_keys: set[str] = set()
    seen_dossiers: dict[str, Dossier] = {}
    # Every copy's keys: a document the primary lost but a replica still has is indexed (read from the replica).
    listed = sorted(set().union(*(copy.list() for copy in getattr(store, "copies", [store]))))
    for key in listed:
        if key.startswith(layout.AUDITS_PREFIX):
            if key.endswith(".json"):
                try:
                    catalog.record_audit(json.loads(_read_any(store, key)))
                    report.audits += 1
                except (ObjectNotFound, ValueError, KeyError) as error:
                    report.skipped.append({"key": key, "error": str(error)})
            continue
        if key.endswith("/" + layout.DOSSIER_NAME):
            # The archivist's dossier fields and the one-stop shop's register entry live only here and in the
            # catalog: restore them too. A dossier registered before its files arrived may have a second
            # dossier.json (under another year's folder): the one written last wins.
            try:
                found = Dossier.model_validate_json(_read_any(store, key))
                if _newer_or_unknown(found, seen_dossiers.get(found.code)):
                    catalog.record_dossier(found)
                    seen_dossiers[found.code] = found
                report.dossiers += 1
            except (ObjectNotFound, ValidationError, ValueError) as error:
                report.skipped.append({"key": key, "error": str(error)})
            continue
        if not layout.is_meta_key(key):
            continue
        try:
            document = record_from_store(catalog, store, key)
        except UnreadableDocument as error:
            unreadable_meta_keys.add(key)
            report.skipped.append({"key": key, "error": str(error)})
            continue
        seen.add(document.id)
        report.documents += 1
        report.pages += document.pages
    # A document whose meta.json is there but unreadable keeps its old catalog row (the audit reports it).
    keep = seen | {
        doc_id for doc_id, keys, _ in catalog.fixity_index() if keys.get(layout.META) in unreadable_meta_keys
    }
    report.removed = catalog.prune(keep)
    return report


class ReindexIncomplete(SohoaFailure):
    code = "reindex_incomplete"
    vi = "Dựng lại danh mục chưa trọn: có tài liệu trong kho không đọc được"
    en = "The catalog was rebuilt without some documents: their meta.json or ocr.json cannot be read"


def rebuild(settings: Settings | None = None, archive: Archive | None = None) -> RebuildReport:
    """Rebuild the catalog from the store (the work of `sohoa reindex` and the `reindex` flow)."""
    with opened(archive, settings) as archive:
        return rebuild_catalog(archive.store, archive.catalog)


def summary(report: RebuildReport) -> dict:
    """What a run did, small enough for the Prefect UI: counts, and the keys removed or skipped."""
    return {
        "documents": report.documents,
        "pages": report.pages,
        "audits": report.audits,
        "dossiers": report.dossiers,
        "removed": list(report.removed),
        "skipped": [dict(skipped) for skipped in report.skipped],
    }
