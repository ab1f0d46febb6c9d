"""Where a document's objects live: one prefix per document, `{agency}/{year}/{dossier}/{doc}/`."""

from __future__ import annotations

import hashlib
import re

from schemas import Document

ORIGINAL = "original"
ARCHIVE = "archive"
OCR = "ocr"
META = "meta"

# Segment used when the agency or the dossier is not known.
UNKNOWN = "_"

_SAFE_SEGMENT = re.compile(r"[^A-Za-z0-9._-]+")


def safe_segment(value: str | None) -> str:
    """A key segment from a code: letters, digits, dot, dash, underscore; never empty, never `..`."""
    cleaned = _SAFE_SEGMENT.sub("-", (value or "").strip()).strip("-")
    if not cleaned or set(cleaned) == {"."}:
        return UNKNOWN
    return cleaned


def document_id(dossier: str | None, sha256: str) -> str:
    """Stable id: the same bytes in the same dossier are the same document (reprocessing is idempotent)."""
    return hashlib.sha256(f"{dossier or ''}\n{sha256}".encode()).hexdigest()[:20]


def document_prefix(document: Document) -> str:
    year = document.received_at.year
    return f"{safe_segment(document.agency)}/{year}/{safe_segment(document.dossier)}/{document.id}/"


def object_keys(document: Document, original_extension: str) -> dict[str, str]:
    prefix = document_prefix(document)
    return {
        ORIGINAL: f"{prefix}original.{original_extension}",
        ARCHIVE: f"{prefix}archive.pdf",
        OCR: f"{prefix}ocr.json",
        META: f"{prefix}meta.json",
    }
