"""The archive as a caller sees it (the JSON API and the web pages call these; the CLI on the server does not need
them): every function takes the caller's `Principal`, reads through the catalog narrowed to its agencies, masks
citizen ID numbers for a caller without the right, and leaves an entry in the access log.

Another agency's record and an unknown id are the same `NotFound`: a caller never learns that a record outside
their agencies exists. The original, the archival PDF and the page images of a document that holds citizen IDs are
served only to callers with the personal-data right (`personal_data_restricted` for the others): masking a scan is
not possible, so it is withheld, and the document's text (masked) says what it is.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from archive import dossiers, export
from archive.context import Archive
from catalog import usage, views
from schemas import DOC_TYPE_NAMES, DocType, Document, Dossier, SearchResult
from schemas.access import Forbidden, NotFound, Principal, Role
from schemas.failures import SohoaFailure
from schemas.pii import has_citizen_id, mask_citizen_ids
from storage import layout

READERS = (Role.clerk, Role.archivist, Role.admin)
EDITORS = (Role.archivist,)
UPLOADERS = (Role.clerk, Role.archivist)


class PersonalDataRestricted(SohoaFailure):
    code = "personal_data_restricted"
    vi = "Tài liệu chứa số định danh cá nhân: chỉ tài khoản có quyền xem dữ liệu cá nhân mới tải được bản quét"
    en = "The document holds citizen ID numbers: only accounts with the personal-data right may download the scan"


class PageOutOfRange(SohoaFailure):
    code = "page_out_of_range"
    vi = "Tài liệu không có trang này"
    en = "The document has no such page"


def _require(principal: Principal, roles: tuple[Role, ...]) -> None:
    if not principal.may(*roles):
        raise Forbidden(principal.role.value)


def _log(archive: Archive, principal: Principal, action: str, records: list[str], address: str, **detail) -> None:
    from archive.access import record_access

    record_access(archive, principal, action, records, address, detail or None)


def _mask(text: str, principal: Principal) -> str:
    return text if principal.pii else mask_citizen_ids(text)


def _masked_document(document: Document, principal: Principal) -> dict[str, Any]:
    payload = json.loads(document.model_dump_json())
    payload.pop("source", None)  # the uploaded file's name may be a citizen's: never shown
    if not principal.pii:
        metadata = payload["classification"]["metadata"]
        metadata["citizen_ids"] = [mask_citizen_ids(value) for value in metadata.get("citizen_ids", [])]
        for field in ("subject", "issuer", "number", "notation"):
            if isinstance(metadata.get(field), str):
                metadata[field] = mask_citizen_ids(metadata[field])
    payload["title"] = _mask(title_of(document), principal)
    return payload


def title_of(document: Document) -> str:
    """The document's type and trích yếu: never the uploaded file's name."""
    subject = document.classification.metadata.subject
    name = DOC_TYPE_NAMES[document.doc_type]
    return f"{name}: {subject}" if subject else name


def _in_scope(archive: Archive, principal: Principal, doc_id: str) -> Document:
    found = views.document(archive.catalog.engine, doc_id, principal.agencies)
    if found is None:
        raise NotFound("document")
    return found


# ---------------------------------------------------------------- search and read


def search(
    archive: Archive,
    principal: Principal,
    query: str,
    *,
    address: str = "",
    doc_type: str | None = None,
    agency: str | None = None,
    dossier: str | None = None,
    limit: int = 20,
    offset: int = 0,
    sort: str = "relevance",
) -> SearchResult:
    _require(principal, READERS)
    scope = principal.agencies
    if agency:
        # An agency as it is today: its own records and those filed under the agencies merged into it.
        from catalog.identity import predecessors_of

        scope = scope & ({agency} | predecessors_of(archive.catalog, [agency]))
    result = archive.catalog.search(
        query,
        agencies=scope,
        doc_type=doc_type,
        agency=None,
        dossier=dossier,
        limit=limit,
        offset=offset,
        sort=sort,
    )
    for hit in result.hits:
        hit.snippet = _mask(hit.snippet, principal)
        hit.title = _mask(hit.title, principal)
    _log(archive, principal, "search", [hit.id for hit in result.hits], address, query=query)
    return result


def document(archive: Archive, principal: Principal, doc_id: str, *, address: str = "") -> dict[str, Any]:
    """Metadata, the text of each page and the events of a document in scope."""
    _require(principal, READERS)
    found = _in_scope(archive, principal, doc_id)
    pages = views.page_texts(archive.catalog.engine, doc_id)
    _log(archive, principal, "view", [doc_id], address)
    payload = _masked_document(found, principal)
    payload["pages_text"] = [{"number": number, "text": _mask(text, principal)} for number, text in enumerate(pages, 1)]
    payload["holds_personal_data"] = _holds_personal_data(found, pages)
    return payload


def _holds_personal_data(document: Document, pages: list[str]) -> bool:
    return bool(document.classification.metadata.citizen_ids) or any(has_citizen_id(text) for text in pages)


def _scan_allowed(archive: Archive, principal: Principal, document: Document) -> None:
    if principal.pii:
        return
    if _holds_personal_data(document, views.page_texts(archive.catalog.engine, document.id)):
        raise PersonalDataRestricted(document.id)


@contextmanager
def open_stored(
    archive: Archive, principal: Principal, doc_id: str, role: str, *, address: str = ""
) -> Iterator[tuple[BinaryIO, int, str, str]]:
    """(stream, size, media type, download name) of a document's `original` or `archive` object, streamed from the
    store (never read whole). The download is named after the document's place, never the uploaded name."""
    _require(principal, READERS)
    found = _in_scope(archive, principal, doc_id)
    _scan_allowed(archive, principal, found)
    stored = found.objects.get(role)
    if stored is None:
        raise NotFound(role)
    _log(archive, principal, "download", [doc_id], address, object=role)
    name = f"{found.dossier or found.id}.{found.ordinal or 0:03d}{Path(stored.key).suffix}"
    with archive.store.open(stored.key) as stream:
        yield stream, stored.size, stored.content_type or "application/octet-stream", name


def page_image(
    archive: Archive, principal: Principal, doc_id: str, number: int, width: int, *, cache: Path, address: str = ""
) -> bytes:
    """Page `number` of the archival PDF as a PNG `width` pixels wide, rendered once and kept in `cache`."""
    from ocr.render import render_page_png

    _require(principal, READERS)
    found = _in_scope(archive, principal, doc_id)
    _scan_allowed(archive, principal, found)
    if not 1 <= number <= max(found.pages, 1):
        raise PageOutOfRange(str(number))
    stored = found.objects.get(layout.ARCHIVE)
    if stored is None:
        raise NotFound(layout.ARCHIVE)
    width = max(100, min(width, 3000))
    cached = cache / stored.sha256[:2] / f"{stored.sha256}-{number}-{width}.png"
    if not cached.is_file():
        cached.parent.mkdir(parents=True, exist_ok=True)
        pdf = cache / stored.sha256[:2] / f"{stored.sha256}.pdf"
        if not pdf.is_file():
            partial = pdf.with_suffix(".part")
            with archive.store.open(stored.key) as source, partial.open("wb") as target:
                while chunk := source.read(1024 * 1024):
                    target.write(chunk)
            partial.replace(pdf)
        png = render_page_png(pdf, number, width)
        partial = cached.with_suffix(".part")
        partial.write_bytes(png)
        partial.replace(cached)
    _log(archive, principal, "view", [doc_id], address, page=number)
    return cached.read_bytes()


# ---------------------------------------------------------------- dossiers


def dossier(archive: Archive, principal: Principal, code: str, *, address: str = "") -> dict[str, Any]:
    """A dossier's archival fields and its documents in order (in scope; none in scope: NotFound)."""
    _require(principal, READERS)
    documents = views.dossier_documents(archive.catalog.engine, code, principal.agencies)
    if not documents:
        raise NotFound("dossier")
    record = dossiers.derive(archive.catalog.get_dossier(code) or Dossier(code=code), documents)
    _log(archive, principal, "view", [code], address, what="dossier")
    fields = json.loads(record.model_dump_json())
    if fields.get("applicant_id") and not principal.pii:
        fields["applicant_id"] = mask_citizen_ids(fields["applicant_id"])
    return {
        "dossier": fields,
        "documents": [_masked_document(item, principal) for item in documents],
    }


def set_dossier_fields(
    archive: Archive, principal: Principal, code: str, values: dict[str, Any], *, address: str = ""
) -> Dossier:
    _require(principal, EDITORS)
    if not views.dossier_documents(archive.catalog.engine, code, principal.agencies):
        raise NotFound("dossier")
    updated = dossiers.set_fields(archive.catalog, archive.store, code, values)
    _log(archive, principal, "update", [code], address, fields=sorted(values))
    return updated


def export_dossier(archive: Archive, principal: Principal, code: str, fmt: str, *, address: str = "") -> bytes:
    """The dossier's mục lục as JSON or xlsx bytes, citizen IDs masked for a caller without the right."""
    _require(principal, READERS)
    documents = views.dossier_documents(archive.catalog.engine, code, principal.agencies)
    if not documents:
        raise NotFound("dossier")
    record = dossiers.derive(archive.catalog.get_dossier(code) or Dossier(code=code), documents)
    if not principal.pii:
        documents = [_masked_copy(item) for item in documents]
    _log(archive, principal, "export", [code], address, format=fmt)
    if fmt == "xlsx":
        import tempfile

        with tempfile.TemporaryDirectory(prefix="sohoa-export-") as folder:
            out = export.export_xlsx(record, documents, Path(folder) / "export.xlsx")
            return out.read_bytes()
    text = json.dumps(export.export_json(record, documents), ensure_ascii=False, indent=2)
    return (text if principal.pii else mask_citizen_ids(text)).encode("utf-8")


def _masked_copy(document: Document) -> Document:
    metadata = document.classification.metadata
    masked = metadata.model_copy(
        update={
            "subject": mask_citizen_ids(metadata.subject) if metadata.subject else metadata.subject,
            "citizen_ids": [mask_citizen_ids(value) for value in metadata.citizen_ids],
        }
    )
    classification = document.classification.model_copy(update={"metadata": masked})
    return document.model_copy(update={"classification": classification})


# ---------------------------------------------------------------- review and labels


def review_queue(
    archive: Archive, principal: Principal, *, limit: int = 50, offset: int = 0, address: str = ""
) -> dict[str, Any]:
    _require(principal, READERS)
    engine = archive.catalog.engine
    found = views.review_queue(engine, principal.agencies, limit=limit, offset=offset)
    _log(archive, principal, "view", [item.id for item in found], address, what="review")
    shown = []
    for item in found:
        entry = _masked_document(item, principal)
        # Its page 1 is shown beside the fields, unless it holds a citizen ID the caller may not see.
        entry["scan_restricted"] = not principal.pii and _holds_personal_data(item, views.page_texts(engine, item.id))
        shown.append(entry)
    return {"total": views.review_count(engine, principal.agencies), "documents": shown}


def label(
    archive: Archive, principal: Principal, doc_id: str, doc_type: DocType, *, address: str = ""
) -> dict[str, Any]:
    """Confirm or correct a document's type: the same path as `sohoa label`, so the nightly retrain learns it."""
    from archive.labels import label_document

    _require(principal, EDITORS)
    _in_scope(archive, principal, doc_id)
    updated = label_document(archive.catalog, archive.store, doc_id, doc_type, who=principal.name)
    _log(archive, principal, "label", [doc_id], address, doc_type=doc_type.value)
    return _masked_document(updated, principal)


def describe(
    archive: Archive, principal: Principal, doc_id: str, values: dict[str, str], *, address: str = ""
) -> dict[str, Any]:
    """Fill or correct a document's archival fields (number, notation, issued date, issuer, subject); the access
    log names the fields changed, never their values."""
    from archive.fields import describe_document

    _require(principal, EDITORS)
    current = _in_scope(archive, principal, doc_id).classification.metadata
    # A form shows a reader without the right a citizen ID masked: sent back as shown, the field was not touched.
    untouched = {
        name
        for name, value in values.items()
        if isinstance(getattr(current, name, None), str) and value == _mask(getattr(current, name), principal)
    }
    values = {name: value for name, value in values.items() if name not in untouched}
    updated, changed = describe_document(archive.catalog, archive.store, doc_id, values, who=principal.name)
    if changed:
        _log(archive, principal, "update", [doc_id], address, what="document", fields=",".join(changed))
    return _masked_document(updated, principal)


def _quarantine_backlog(archive: Archive, principal: Principal) -> dict[str, Any]:
    """Files waiting in the inbox's quarantine for a person, per reason, in scope (a file whose agency is not known
    is counted for the unrestricted only)."""
    from inbox.outcome import quarantined_reasons

    reasons: dict[str, dict[str, Any]] = {}
    for about in quarantined_reasons(archive.settings.inbox_dir):
        if principal.agencies is not None and about["agency"] not in principal.agencies:
            continue
        code = str(about["code"] or "unknown")
        entry = reasons.setdefault(code, {"code": code, "vi": about["vi"] or code, "files": 0})
        entry["files"] += 1
    rows = sorted(reasons.values(), key=lambda row: (-row["files"], row["code"]))
    return {"files": sum(row["files"] for row in rows), "by_reason": rows}


def statistics(archive: Archive, principal: Principal, *, address: str = "") -> dict[str, Any]:
    from catalog.identity import current_agencies

    _require(principal, READERS)
    figures = views.statistics(archive.catalog.engine, principal.agencies)
    # Each row under the code its records were filed with, and today's agency after mergers: grouped either way.
    today: dict[str, list[str]] = {}
    for row in figures["by_agency_month"]:
        code = row["agency"]
        if code and code not in today:
            today[code] = sorted(current_agencies(archive.catalog, code))
        row["current_agencies"] = today.get(code, [])
    figures["uses"] = usage.record_uses(archive.catalog.engine, principal.agencies)
    figures["quarantine"] = _quarantine_backlog(archive, principal)
    _log(archive, principal, "view", [], address, what="statistics")
    return figures


def json_bytes(payload: Any) -> io.BytesIO:
    return io.BytesIO(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
