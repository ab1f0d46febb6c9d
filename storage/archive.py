"""Archiving one document: the original, its archival PDF, its OCR and its metadata, in that order.

meta.json goes last: a document whose meta.json exists has all its other objects stored and checked.
"""

from __future__ import annotations

import json
from pathlib import Path

from schemas import Document, Event, EventType, OcrResult, StoredObject
from storage import layout
from storage.base import SourceChanged


def archive_document(
    store,
    document: Document,
    *,
    original_path: Path,
    original_extension: str,
    archive_pdf_path: Path,
    ocr: OcrResult,
    agent: str,
) -> tuple[Document, dict[str, str]]:
    """Store every object of `document`; return it with objects and `archived` event, and role -> key."""
    keys = layout.object_keys(document, original_extension)
    objects: dict[str, StoredObject] = {}
    objects[layout.ORIGINAL] = store.put_file(
        keys[layout.ORIGINAL],
        original_path,
        content_type=document.media_type,
        metadata={"document-id": document.id, "source-name": document.source},
    )
    if objects[layout.ORIGINAL].sha256 != document.sha256:
        raise SourceChanged()
    objects[layout.ARCHIVE] = store.put_file(
        keys[layout.ARCHIVE], archive_pdf_path, content_type="application/pdf", metadata={"document-id": document.id}
    )
    objects[layout.OCR] = store.put_bytes(
        keys[layout.OCR],
        ocr.model_dump_json().encode("utf-8"),
        content_type="application/json",
        metadata={"document-id": document.id},
    )
    archived = document.model_copy(deep=True)
    archived.objects = objects
    archived.events.append(Event(type=EventType.archived, agent=agent, detail=f"{len(objects) + 1} objects"))
    meta_bytes = json.dumps(json.loads(archived.model_dump_json()), ensure_ascii=False, indent=2).encode("utf-8")
    store.put_bytes(
        keys[layout.META], meta_bytes, content_type="application/json", metadata={"document-id": document.id}
    )
    return archived, keys
