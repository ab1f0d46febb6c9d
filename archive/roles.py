"""A document's role in its one-stop-shop dossier (thành phần hồ sơ / kết quả / phiếu một cửa), which the
digitisation indicators count by. Ingest gives each document the default role of its type (SOHOA_ROLE_MAP), a
label re-derives it, and an archivist sets it (`sohoa role`, `PUT /api/documents/{id}/role`); once a person set it,
a later label leaves it. Like a label, the role goes into the document's meta.json in the store (so `sohoa
reindex` keeps it) and into the catalog; each change is a `role_set` event of the document."""

from __future__ import annotations

from collections.abc import Mapping

from archive import reading
from archive.context import Archive
from catalog import indicators as catalog_indicators
from catalog import views
from schemas import DocType, Document, Event, EventType
from schemas.access import NotFound, Principal, Role
from schemas.failures import SohoaFailure
from schemas.models import DocumentRole
from storage import layout
from storage.archive import put_meta

ROLE_SETTERS = (Role.archivist, Role.admin)


class UnknownRole(SohoaFailure):
    code = "unknown_role"
    vi = "Vai trò của văn bản phải là component (thành phần hồ sơ), result (kết quả) hoặc form (phiếu một cửa)"
    en = "A document's role is component, result or form"


def parse_role(value: str | DocumentRole) -> DocumentRole:
    try:
        return DocumentRole(str(value).strip().lower())
    except ValueError:
        raise UnknownRole(str(value)[:40]) from None


def default_role(doc_type: DocType, role_map: Mapping[DocType, DocumentRole]) -> DocumentRole | None:
    """The role a document of this type has unless a person says otherwise; None when the map names none."""
    return role_map.get(doc_type)


def derive_role(document: Document, role_map: Mapping[DocType, DocumentRole], agent: str) -> bool:
    """Give `document` its type's default role, unless a person set one; a `role_set` event if it changed.
    Returns whether it changed (the caller stores the document)."""
    if document.role_set_by is not None:
        return False
    wanted = default_role(document.doc_type, role_map)
    if wanted == document.role:
        return False
    before = document.role.value if document.role else "-"
    document.role = wanted
    after = wanted.value if wanted else "-"
    document.events.append(
        Event(type=EventType.role_set, agent=agent, detail=f"{before} -> {after} ({document.doc_type.value})")
    )
    return True


def _log(archive: Archive, principal: Principal | None, records: list[str], address: str, **detail) -> None:
    if principal is not None:
        reading._log(archive, principal, "update", records, address, **detail)
    else:  # a command on the server: the server account, as account changes are logged
        from archive.access import _log_change
        from schemas.access import AccessAction

        _log_change(archive, None, AccessAction.update, records, address or None, detail)


def set_role(
    archive: Archive,
    principal: Principal | None,
    doc_id: str,
    role: DocumentRole | str,
    address: str = "",
    *,
    who: str | None = None,
) -> Document:
    """An archivist (or admin) sets the document's role; it then stays through later labels. `principal` None is a
    command on the server (every document; `who` names the person). Another agency's document is NotFound, as an
    unknown one is."""
    role = parse_role(role)
    if principal is not None:
        reading._require(principal, ROLE_SETTERS)
        if views.document(archive.catalog.engine, doc_id, principal.agencies) is None:
            raise NotFound("document")
    document = archive.catalog.get(doc_id)
    known = archive.catalog.status_of(doc_id)
    if document is None or known is None or layout.META not in known[1]:
        raise NotFound("document")
    agent = principal.name if principal is not None else (who or "cli")
    before = document.role.value if document.role else "-"
    document.role = role
    document.role_set_by = agent
    document.events.append(Event(type=EventType.role_set, agent=agent, detail=f"{before} -> {role.value} (set)"))
    put_meta(archive.store, known[1][layout.META], document)  # meta.json first: the store is the source of truth
    catalog_indicators.set_document_role(archive.catalog.engine, document)
    _log(archive, principal, [doc_id], address, what="role", role=role.value)
    return document


def apply_default_roles(archive: Archive) -> list[str]:
    """Documents archived before roles existed (or before their type was in SOHOA_ROLE_MAP) get their type's
    default role, unless a person set one. Returns the ids changed."""
    role_map = archive.settings.role_map
    changed = []
    for doc_id in catalog_indicators.documents_without_role(archive.catalog.engine, [t.value for t in role_map]):
        document = archive.catalog.get(doc_id)
        known = archive.catalog.status_of(doc_id)
        if document is None or known is None or layout.META not in known[1]:
            continue
        if derive_role(document, role_map, "sohoa (SOHOA_ROLE_MAP)"):
            put_meta(archive.store, known[1][layout.META], document)
            catalog_indicators.set_document_role(archive.catalog.engine, document)
            changed.append(doc_id)
    return changed
