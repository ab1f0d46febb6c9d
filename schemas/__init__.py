"""Pydantic models shared by every layer of sohoa."""

from schemas.doctypes import DOC_TYPE_NAMES, DocType
from schemas.events import Event, EventOutcome, EventType
from schemas.models import (
    DOSSIER_SETTABLE_FIELDS,
    Classification,
    Document,
    DocumentMetadata,
    DocumentReport,
    DocumentStatus,
    Dossier,
    OcrResult,
    Page,
    SearchHit,
    SearchResult,
    SourceFile,
    StoredObject,
    Word,
)

__all__ = [
    "DOSSIER_SETTABLE_FIELDS",
    "DOC_TYPE_NAMES",
    "Classification",
    "DocType",
    "Document",
    "DocumentMetadata",
    "DocumentReport",
    "DocumentStatus",
    "Dossier",
    "Event",
    "EventOutcome",
    "EventType",
    "OcrResult",
    "Page",
    "SearchHit",
    "SearchResult",
    "SourceFile",
    "StoredObject",
    "Word",
]
