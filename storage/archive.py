"""Archiving one document: the original, its archival PDF, its OCR and its metadata, in that order.

meta.json goes last: a document whose meta.json exists has all its other objects stored and checked.

Before writing, the store itself is asked whether the document is already archived (its meta.json in the folder
it would get, or in its by-id folder), so the same bytes are a duplicate even when the catalog was lost. A folder
named by the archival convention (`<dossier>.<ordinal>`) that already holds another document is never written
into: the document goes to its by-id folder instead.

The original is written with the lock its retention calls for (storage.retention). A retry after a failure keeps
an original already stored and verified (no second locked version).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError

from schemas import Document, Event, EventType, OcrResult, StoredObject
from schemas.models import LockMode
from storage import layout
from storage.base import ObjectNotFound, ObjectStore, SourceChanged
from storage.retention import DEFAULT_LOCK_MODE, lock_for

DOCUMENT_ID_METADATA = "document-id"


class ArchiveResult(NamedTuple):
    document: Document  # as archived (or as found already archived)
    keys: dict[str, str]  # role -> key
    duplicate: bool = False  # True: it was in the store already; nothing was written


def is_archived(document: Document) -> bool:
    return any(event.type is EventType.archived for event in document.events)


def read_meta(store: ObjectStore, key: str) -> Document | None:
    """The Document a meta.json holds; None if absent or unreadable (a damaged one is the audit's business)."""
    try:
        data = store.get_bytes(key)
    except ObjectNotFound:
        return None
    try:
        return Document.model_validate_json(data)
    except (ValidationError, ValueError):
        return None


def meta_bytes(document: Document) -> bytes:
    return json.dumps(json.loads(document.model_dump_json()), ensure_ascii=False, indent=2).encode("utf-8")


def put_meta(store: ObjectStore, key: str, document: Document) -> StoredObject:
    return store.put_bytes(
        key, meta_bytes(document), content_type="application/json", metadata={DOCUMENT_ID_METADATA: document.id}
    )


def _taken_by_another(store: ObjectStore, prefix: str, doc_id: str) -> bool:
    """Whether objects of another document sit in the folder (say, of an attempt that never finished)."""
    for key in store.list(prefix):
        found = store.stat(key)
        owner = found.metadata.get(DOCUMENT_ID_METADATA) if found is not None else None
        if owner != doc_id:
            return True
    return False


def choose_keys(store: ObjectStore, document: Document, original_extension: str) -> ArchiveResult:
    """Where the document goes, or where it already is (duplicate=True)."""
    choices = [False, True] if layout.archival_name(document) else [True]
    for by_id in choices:
        keys = layout.object_keys(document, original_extension, by_id=by_id)
        meta = read_meta(store, keys[layout.META])
        if meta is not None and meta.id == document.id and is_archived(meta):
            return ArchiveResult(meta, layout.keys_of(meta, keys[layout.META]), True)
        if by_id:
            return ArchiveResult(document, keys, False)  # the id folder is this document's, whatever is in it
        if meta is None and not _taken_by_another(store, layout.document_prefix(document), document.id):
            return ArchiveResult(document, keys, False)
    raise AssertionError("unreachable: the by-id folder is always a choice")


def find_archived(
    store: ObjectStore, document: Document, *, scan_dossier: bool = False, known_meta_keys=()
) -> ArchiveResult | None:
    """The archived copy of `document` in the store, if any (by the folders it would get; with `scan_dossier`,
    also by every meta.json of its dossier not in `known_meta_keys`, for ordinals that shifted)."""
    found = choose_keys(store, document, "bin")
    if found.duplicate:
        return found
    if not scan_dossier or not document.dossier:
        return None
    known = set(known_meta_keys)
    for key in store.list(layout.dossier_prefix(document)):
        if not layout.is_meta_key(key) or key in known:
            continue
        stat = store.stat(key)
        if stat is None or stat.metadata.get(DOCUMENT_ID_METADATA) != document.id:
            continue
        meta = read_meta(store, key)
        if meta is not None and meta.id == document.id and is_archived(meta):
            return ArchiveResult(meta, layout.keys_of(meta, key), True)
    return None


def archive_document(
    store,
    document: Document,
    *,
    original_path: Path,
    original_extension: str,
    archive_pdf_path: Path,
    ocr: OcrResult,
    agent: str,
    lock_mode: str | LockMode = DEFAULT_LOCK_MODE,
    now: datetime | None = None,
) -> ArchiveResult:
    """Store every object of `document`; return it with objects and `archived` event, and role -> key.

    If the store already holds this document archived, nothing is written and the stored one is returned with
    duplicate=True."""
    target = choose_keys(store, document, original_extension)
    if target.duplicate:
        return target
    keys = target.keys
    lock = lock_for(document.retention, lock_mode, now)
    objects: dict[str, StoredObject] = {}
    objects[layout.ORIGINAL] = store.put_file_once(
        keys[layout.ORIGINAL],
        original_path,
        sha256=document.sha256,
        content_type=document.media_type,
        metadata={DOCUMENT_ID_METADATA: document.id, "source-name": document.source},
        lock=lock,
    )
    if objects[layout.ORIGINAL].sha256 != document.sha256:
        raise SourceChanged()
    objects[layout.ARCHIVE] = store.put_file(
        keys[layout.ARCHIVE],
        archive_pdf_path,
        content_type="application/pdf",
        metadata={DOCUMENT_ID_METADATA: document.id},
    )
    objects[layout.OCR] = store.put_bytes(
        keys[layout.OCR],
        ocr.model_dump_json().encode("utf-8"),
        content_type="application/json",
        metadata={DOCUMENT_ID_METADATA: document.id},
    )
    archived = document.model_copy(deep=True)
    archived.objects = objects
    detail = f"{len(objects) + 1} objects"
    if document.retention is not None:
        detail += f"; original kept {document.retention.label}"
    archived.events.append(Event(type=EventType.archived, agent=agent, detail=detail))
    put_meta(store, keys[layout.META], archived)
    return ArchiveResult(archived, keys, False)
