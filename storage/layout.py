"""Where a document's objects live: one prefix per document, `{agency}/{year}/{dossier}/{folder}/`.

The folder follows the archival naming convention `<dossier code>.<ordinal>` (Thông tư 02/2019/TT-BNV), e.g.
`000.00.00.H33-230607-0001.001`, when the document's dossier and its position in it are known; otherwise (or when
that name is already taken by another document, see storage.archive) it is the document id. The document id
itself stays the stable hash of dossier and bytes: it is what finds duplicates.
"""

from __future__ import annotations

import hashlib
import re

from schemas import Document

ORIGINAL = "original"
ARCHIVE = "archive"
OCR = "ocr"
META = "meta"
META_NAME = "meta.json"

# Segment used when the agency or the dossier is not known.
UNKNOWN = "_"
# Where audit reports are kept (storage.fixity); never a document.
AUDITS_PREFIX = "_audits/"
# Where classifier models are versioned (classify.model); never a document.
MODELS_PREFIX = "_models/"
# A dossier's archival fields, beside its documents (classify.dossier).
DOSSIER_NAME = "dossier.json"

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


def archival_name(document: Document) -> str | None:
    """`<dossier code>.<ordinal, 3 digits>` when both are known, else None."""
    if not document.dossier or not document.ordinal or safe_segment(document.dossier) == UNKNOWN:
        return None
    return safe_segment(f"{document.dossier}.{document.ordinal:03d}")


def dossier_prefix(document: Document) -> str:
    year = document.received_at.year
    return f"{safe_segment(document.agency)}/{year}/{safe_segment(document.dossier)}/"


def document_prefix(document: Document, *, by_id: bool = False) -> str:
    """The document's folder: its archival name when known (unless `by_id`), else its id."""
    name = None if by_id else archival_name(document)
    return f"{dossier_prefix(document)}{name or document.id}/"


def object_keys(document: Document, original_extension: str, *, by_id: bool = False) -> dict[str, str]:
    prefix = document_prefix(document, by_id=by_id)
    return {
        ORIGINAL: f"{prefix}original.{original_extension}",
        ARCHIVE: f"{prefix}archive.pdf",
        OCR: f"{prefix}ocr.json",
        META: f"{prefix}{META_NAME}",
    }


def is_bookkeeping_key(key: str) -> bool:
    """Objects that are not part of any document (audits, models, dossier records): no meta.json lists them."""
    return key.startswith((AUDITS_PREFIX, MODELS_PREFIX)) or key.endswith("/" + DOSSIER_NAME)


def is_meta_key(key: str) -> bool:
    return key.endswith("/" + META_NAME) and not key.startswith(AUDITS_PREFIX)


def keys_of(document: Document, meta_key: str) -> dict[str, str]:
    """Role -> key of an archived document, from its meta.json (what the catalog keeps)."""
    return {**{role: stored.key for role, stored in document.objects.items()}, META: meta_key}
