"""An archivist confirms or corrects a document's type: the label goes into the document's meta.json in the store
(the source of truth, so `sohoa reindex` keeps it) and into the catalog; labelled documents train the model. The
document's role in its dossier follows its new type (SOHOA_ROLE_MAP) unless a person set the role (archive.roles)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from catalog import Catalog
from schemas import DocType, Document, Event, EventType
from schemas.failures import SohoaFailure
from schemas.models import DocumentRole
from storage import ObjectStore, layout
from storage.archive import put_meta


class UnknownDocument(SohoaFailure):
    code = "unknown_document"
    vi = "Không có tài liệu này trong danh mục"
    en = "No such document in the catalog"
    retryable = False


def label_document(
    catalog: Catalog,
    store: ObjectStore,
    doc_id: str,
    doc_type: DocType,
    who: str = "archivist",
    role_map: Mapping[DocType, DocumentRole] | None = None,
) -> Document:
    """Set the document's type as confirmed by `who`; returns the document as stored. `role_map` (default: the
    SOHOA_ROLE_MAP setting) gives its role anew, unless a person set the role."""
    from archive.roles import derive_role

    if role_map is None:
        from schemas.settings import get_settings

        role_map = get_settings().role_map
    document = catalog.get(doc_id)
    known = catalog.status_of(doc_id)
    if document is None or known is None or layout.META not in known[1]:
        raise UnknownDocument(doc_id)
    previous = document.doc_type
    document.classification = document.classification.model_copy(
        update={
            "doc_type": doc_type,
            "confidence": 1.0,
            "needs_review": False,
            "method": "archivist",
            "confirmed_by": who,
            "confirmed_at": datetime.now(UTC),
        }
    )
    detail = f"confirmed {doc_type.value}" if previous is doc_type else f"{previous.value} -> {doc_type.value}"
    document.events.append(Event(type=EventType.classified, agent=who, detail=detail))
    derive_role(document, role_map, who)
    put_meta(store, known[1][layout.META], document)  # meta.json is not locked: only originals are
    catalog.update_classification(document)
    return document
