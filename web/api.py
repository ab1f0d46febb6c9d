"""The JSON API under /api/: every route resolves its caller first (session cookie or bearer token) and calls the
application layer with that `Principal`; the catalog narrows every read to the caller's agencies. Errors are JSON
`{code, vi, en}` with the matching HTTP status (web.app)."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from archive import reading
from archive.context import Archive
from schemas import DocType, StoredObject
from schemas.access import Forbidden, NotSignedIn, Principal, Role
from schemas.failures import SohoaFailure
from web.security import AttemptLimiter, Sessions, bearer_token, check_csrf

router = APIRouter(prefix="/api")
RANGE_CHUNK = 256 * 1024


class InvalidRange(SohoaFailure):
    code = "invalid_range"
    vi = "Khoảng byte yêu cầu (Range) không hợp lệ"
    en = "The requested byte range is not satisfiable"


class UnknownDocType(SohoaFailure):
    code = "unknown_doc_type"
    vi = "Không phải loại văn bản đã biết"
    en = "Not a known document type"


def archive_of(request: Request) -> Archive:
    return request.app.state.archive


def address_of(request: Request) -> str:
    return request.client.host if request.client else ""


def caller(request: Request, response: Response) -> Principal:
    """The signed-in user or the token's system; 401 without either. A cookie session must carry its CSRF token on
    every state-changing request."""
    from archive.access import principal_for, principal_for_token

    archive = archive_of(request)
    token = bearer_token(request)
    if token is not None:
        principal = principal_for_token(archive, token)
        if principal is None:
            raise NotSignedIn("token")
        return principal
    sessions: Sessions = request.app.state.sessions
    session = sessions.read(request)
    if session is None:
        raise NotSignedIn()
    check_csrf(request, session)
    try:
        principal = principal_for(archive, session.user)
    except SohoaFailure:  # disabled or removed since sign-in
        raise NotSignedIn() from None
    sessions.refresh(response, session)
    return principal


Caller = Annotated[Principal, Depends(caller)]


def admin(principal: Caller) -> Principal:
    if not principal.may(Role.admin):
        raise Forbidden(principal.role.value)
    return principal


Admin = Annotated[Principal, Depends(admin)]


# ---------------------------------------------------------------- sign-in


class Credentials(BaseModel):
    username: str
    password: str


@router.post("/login")
def login(credentials: Credentials, request: Request, response: Response) -> dict[str, Any]:
    """Đăng nhập / sign in: a session cookie, and the CSRF token to send back in X-CSRF-Token."""
    from archive.access import authenticate

    limiter: AttemptLimiter = request.app.state.attempts
    address = address_of(request)
    limiter.check(credentials.username, address)
    try:
        principal = authenticate(archive_of(request), credentials.username, credentials.password, address)
    except SohoaFailure:
        limiter.failed(credentials.username, address)
        raise
    limiter.succeeded(credentials.username)
    session = request.app.state.sessions.start(response, principal.name)
    return {
        "username": principal.name,
        "role": principal.role.value,
        "agencies": sorted(principal.granted),
        "pii": principal.pii,
        "csrf_token": session.csrf,
    }


@router.post("/logout")
def logout(principal: Caller, request: Request, response: Response) -> dict[str, Any]:
    request.app.state.sessions.end(response)
    reading._log(archive_of(request), principal, "logout", [], address_of(request))
    return {"ok": True}


# ---------------------------------------------------------------- search and documents


@router.get("/search")
def search(
    principal: Caller,
    request: Request,
    q: str = "",
    type: str | None = None,
    agency: str | None = None,
    dossier: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    sort: str = "relevance",
) -> dict[str, Any]:
    result = reading.search(
        archive_of(request),
        principal,
        q,
        address=address_of(request),
        doc_type=type,
        agency=agency,
        dossier=dossier,
        limit=limit,
        offset=offset,
        sort=sort,
    )
    return result.model_dump(mode="json")


@router.get("/documents/{doc_id}")
def document(doc_id: str, principal: Caller, request: Request) -> dict[str, Any]:
    from archive.indicators import document_reuse

    payload = reading.document(archive_of(request), principal, doc_id, address=address_of(request))
    payload["reuse"] = document_reuse(archive_of(request), principal, doc_id)  # "Tái sử dụng từ hồ sơ X"
    payload["certified"] = certified_json(archive_of(request), doc_id, payload["objects"])
    return payload


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `bytes=a-b` range, None without one; InvalidRange when it cannot be served."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        raise InvalidRange(header[:40])
    start_text, _, end_text = spec.strip().partition("-")
    try:
        if start_text:
            first, last = int(start_text), int(end_text) if end_text else size - 1
        else:  # the last N bytes
            first, last = max(0, size - int(end_text)), size - 1
    except ValueError:
        raise InvalidRange(header[:40]) from None
    if first > last or first >= size:
        raise InvalidRange(header[:40])
    return first, min(last, size - 1)


def _stream(request: Request, principal: Principal, doc_id: str, role: str, suffix: str = "") -> StreamingResponse:
    archive = archive_of(request)
    opened = reading.open_stored(archive, principal, doc_id, role, address=address_of(request))
    stream, size, media_type, name = opened.__enter__()
    if suffix:  # e.g. the certified copy: <dossier>.001.ban-sao.pdf beside <dossier>.001.pdf
        stem, dot, extension = name.rpartition(".")
        name = f"{stem}.{suffix}{dot}{extension}" if dot else f"{name}.{suffix}"
    try:
        wanted = _byte_range(request.headers.get("range"), size)
    except BaseException:
        opened.__exit__(None, None, None)
        raise
    first, last = wanted if wanted else (0, size - 1)

    def body():
        try:
            skip = first
            while skip > 0:  # the store gives a stream; a range is served by skipping to it, never loading it
                skipped = stream.read(min(RANGE_CHUNK, skip))
                if not skipped:
                    return
                skip -= len(skipped)
            left = last - first + 1
            while left > 0:
                chunk = stream.read(min(RANGE_CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk
        finally:
            opened.__exit__(None, None, None)

    headers = {
        "accept-ranges": "bytes",
        "content-length": str(last - first + 1),
        "content-disposition": f'attachment; filename="{name}"',
    }
    if wanted:
        headers["content-range"] = f"bytes {first}-{last}/{size}"
    return StreamingResponse(body(), status_code=206 if wanted else 200, media_type=media_type, headers=headers)


@router.get("/documents/{doc_id}/original")
def original(doc_id: str, principal: Caller, request: Request) -> StreamingResponse:
    return _stream(request, principal, doc_id, "original")


@router.get("/documents/{doc_id}/archive.pdf")
def archive_pdf(doc_id: str, principal: Caller, request: Request) -> StreamingResponse:
    return _stream(request, principal, doc_id, "archive")


# ---------------------------------------------------------------- certified electronic copies (bản sao điện tử)

# HTTP status of the failures of certifying: the server's key or settings (503), the state of its certificate or of
# the document (409), a copy that cannot be made from this document (422), the caller's input (400).
CERTIFY_STATUS = {
    "signing_not_configured": 503,
    "signing_key_missing": 503,
    "signing_pin_wrong": 503,
    "trust_roots_missing": 503,
    "stamp_font_missing": 503,
    "tsa_unreachable": 503,
    "certificate_revoked": 409,
    "certificate_expired": 409,
    "certificate_untrusted": 409,
    "wrong_agency": 409,
    "certify_no_archive_pdf": 409,
    "certified_not_pdfa": 422,
    "certify_not_pdf": 422,
    "signing_failed": 500,
    "invalid_copy_form": 400,
}


def certify_failure(failure: SohoaFailure) -> JSONResponse:
    """A failure of certifying as JSON {code, vi, en} with its status; the detail only for what the caller may act
    on (never a setting's path)."""
    status = CERTIFY_STATUS[failure.code]
    payload = {"code": failure.code, "vi": failure.vi, "en": failure.en}
    if status in (400, 409, 422) and failure.detail:
        payload["detail"] = failure.detail
    return JSONResponse(payload, status_code=status)


# What a verification's problem means, for the page's "lý do" (the problems themselves are kept as found, in English).
PROBLEM_REASONS = (
    ("checksum_mismatch", "nội dung tệp khác với bản đã lưu (mã băm không khớp)"),
    ("signature timestamp", "dấu thời gian của chữ ký không hợp lệ"),
    ("document timestamp", "dấu thời gian lưu trữ (PAdES B-LTA) không hợp lệ"),
    ("no signature", "tệp không có chữ ký số"),
    ("unreadable", "tệp không đọc được dưới dạng PDF"),
    ("trust_roots_missing", "chưa cấu hình chứng thư gốc tin cậy (SOHOA_TRUST_ROOTS)"),
)
SIGNATURE_REASONS = (
    ("REVOKED", "chứng thư ký đã bị thu hồi"),
    ("EXPIRED", "chứng thư ký đã hết hạn tại thời điểm ký"),
    ("UNTRUSTED", "chứng thư ký không dẫn tới chứng thư gốc tin cậy"),
    ("", "chữ ký số không khớp với nội dung: tệp đã bị sửa sau khi ký"),
)


def reasons_vi(problems: list[str]) -> list[str]:
    found = []
    for problem in problems:
        if problem.startswith("signature ") and not problem.startswith("signature timestamp"):
            found.append(next(vi for word, vi in SIGNATURE_REASONS if word in problem))
            continue
        found.append(next((vi for start, vi in PROBLEM_REASONS if problem.startswith(start)), "không kiểm tra được"))
    return list(dict.fromkeys(found))


def certified_json(archive: Archive, doc_id: str, objects: dict[str, Any]) -> dict[str, Any]:
    """The document's certified copy as its JSON says it (from the document's `objects`, read in scope): present or
    not, and the last verification's result (a copy never verified here is verified once, then kept)."""
    from archive.certify import CERTIFIED, copy_status

    stored = objects.get(CERTIFIED)
    status = copy_status(archive, StoredObject.model_validate(stored) if isinstance(stored, dict) else stored)
    found = status.model_dump(mode="json")
    if status.present:
        found["valid"] = status.ok
        found["reasons_vi"] = reasons_vi(status.problems)
        found["download"] = f"/api/documents/{quote(doc_id)}/certified"
    return found


class CertifyBody(BaseModel):
    copy_form: str = "SAO Y"  # SAO Y | SAO LỤC | TRÍCH SAO


@router.post("/documents/{doc_id}/certify", response_model=None)
def certify_document(
    doc_id: str, principal: Caller, request: Request, body: CertifyBody | None = None
) -> dict[str, Any] | JSONResponse:
    """Chứng thực bản sao điện tử / certify a document (archivists and admins of its agency): the archival PDF signed
    with the agency's key (PAdES), stored beside it; the report and the new copy's status."""
    from archive.certify import certify_for

    archive = archive_of(request)
    form = (body or CertifyBody()).copy_form
    try:
        (report,) = certify_for(archive, principal, doc_id=doc_id, copy_form=form, address=address_of(request))
    except SohoaFailure as failure:
        if failure.code in CERTIFY_STATUS:
            return certify_failure(failure)
        raise
    answer = report.model_dump(mode="json")
    document = archive.catalog.get(doc_id)  # in scope: certify_for checked it
    answer["certified"] = certified_json(archive, doc_id, document.objects if document is not None else {})
    return answer


@router.post("/dossiers/{code}/certify", response_model=None)
def certify_dossier(
    code: str, principal: Caller, request: Request, body: CertifyBody | None = None
) -> dict[str, Any] | JSONResponse:
    """Chứng thực cả hồ sơ / certify every document of a dossier in the caller's agencies: one report each (a
    document the agency's key may not sign is `refused` with its failure, the others go on)."""
    from archive.certify import certify_for

    form = (body or CertifyBody()).copy_form
    try:
        reports = certify_for(archive_of(request), principal, dossier=code, copy_form=form, address=address_of(request))
    except SohoaFailure as failure:
        if failure.code in CERTIFY_STATUS:
            return certify_failure(failure)
        raise
    return {"documents": [report.model_dump(mode="json") for report in reports]}


@router.get("/documents/{doc_id}/certified")
def certified_copy(doc_id: str, principal: Caller, request: Request) -> StreamingResponse:
    """Tải bản sao có chữ ký số / the certified copy (a download in the access log)."""
    from archive.certify import CERTIFIED

    return _stream(request, principal, doc_id, CERTIFIED, suffix="ban-sao")


@router.post("/documents/{doc_id}/certified/verify")
def certified_verify(doc_id: str, principal: Caller, request: Request) -> dict[str, Any]:
    """Kiểm tra lại chữ ký số / verify the certified copy again now (its bytes as the store has them)."""
    from archive.certify import reverify

    status = reverify(archive_of(request), principal, doc_id, address=address_of(request))
    return {**status.model_dump(mode="json"), "valid": status.ok, "reasons_vi": reasons_vi(status.problems)}


@router.get("/documents/{doc_id}/pages/{number}.png")
def page_png(
    doc_id: str,
    number: int,
    principal: Caller,
    request: Request,
    width: Annotated[int, Query(ge=100, le=3000)] = 1000,
) -> Response:
    archive = archive_of(request)
    cache = archive.settings.home_dir / "cache" / "pages"
    png = reading.page_image(archive, principal, doc_id, number, width, cache=cache, address=address_of(request))
    return Response(png, media_type="image/png", headers={"cache-control": "private, max-age=3600"})


class Label(BaseModel):
    doc_type: str


@router.post("/documents/{doc_id}/label")
def label(doc_id: str, body: Label, principal: Caller, request: Request) -> dict[str, Any]:
    try:
        doc_type = DocType(body.doc_type)
    except ValueError:
        raise UnknownDocType(body.doc_type[:40]) from None
    return reading.label(archive_of(request), principal, doc_id, doc_type, address=address_of(request))


class RoleBody(BaseModel):
    role: str


@router.put("/documents/{doc_id}/role")
def document_role(doc_id: str, body: RoleBody, principal: Caller, request: Request) -> dict[str, Any]:
    """Vai trò trong hồ sơ / the document's role: component, result or form (archivists and admins)."""
    from archive.roles import set_role

    document = set_role(archive_of(request), principal, doc_id, body.role, address=address_of(request))
    return {"id": document.id, "role": document.role.value if document.role else None, "set_by": document.role_set_by}


class DocumentFields(BaseModel):
    """Archival fields an archivist sets; a field left out is unchanged, an empty string clears it."""

    number: str | None = None
    notation: str | None = None
    issued_date: str | None = None
    issuer: str | None = None
    subject: str | None = None


@router.patch("/documents/{doc_id}")
def document_fields(doc_id: str, body: DocumentFields, principal: Caller, request: Request) -> dict[str, Any]:
    """Sửa số, ký hiệu, ngày, cơ quan ban hành, trích yếu / correct a document's archival fields (archivists)."""
    values = {name: value for name, value in body.model_dump().items() if value is not None}
    return reading.describe(archive_of(request), principal, doc_id, values, address=address_of(request))


@router.get("/review")
def review(
    principal: Caller,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    return reading.review_queue(archive_of(request), principal, limit=limit, offset=offset, address=address_of(request))


# ---------------------------------------------------------------- dossiers


@router.post("/dossiers")
def register_dossiers(
    body: Annotated[dict[str, Any] | list[Any], Body()], principal: Caller, request: Request
) -> dict[str, Any]:
    """Sổ đăng ký hồ sơ / register dossiers the one-stop shop received (one object or a list), before or after their
    files: {"code", "procedure_code", "channel" (1|2|3), "received_date", "requires_result", "applicant_id"}. One
    entry of an agency the caller was not granted refuses the request (agency_not_granted); other bad entries are
    reported in `errors` (row = position from 1), the good ones registered. A single object that is bad is refused
    with its reason."""
    from archive.registry import register

    archive = archive_of(request)
    entries = list(enumerate(body if isinstance(body, list) else [body], start=1))
    report = register(archive, principal, entries, address=address_of(request), refuse_other_agencies=True)
    if isinstance(body, dict) and report.errors:
        raise report.errors[0].failure
    return report.as_json()


@router.get("/dossiers/{code}")
def dossier(code: str, principal: Caller, request: Request) -> dict[str, Any]:
    return reading.dossier(archive_of(request), principal, code, address=address_of(request))


@router.patch("/dossiers/{code}")
def dossier_fields(code: str, values: dict[str, Any], principal: Caller, request: Request) -> dict[str, Any]:
    updated = reading.set_dossier_fields(archive_of(request), principal, code, values, address=address_of(request))
    return json.loads(updated.model_dump_json())


@router.get("/dossiers/{code}/export")
def dossier_export(
    code: str, principal: Caller, request: Request, format: Annotated[str, Query(pattern="^(json|xlsx)$")] = "json"
) -> Response:
    data = reading.export_dossier(archive_of(request), principal, code, format, address=address_of(request))
    if format == "json":
        return Response(data, media_type="application/json")
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, media_type=media, headers={"content-disposition": f'attachment; filename="{code}.xlsx"'})


@router.post("/dossiers/{code}/files")
def upload(
    code: str,
    principal: Caller,
    request: Request,
    files: Annotated[list[UploadFile], File()],
    agency: Annotated[str, Form()],
    procedure_code: Annotated[str | None, Form()] = None,
    applicant_id: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """Tệp vào hồ sơ / files into a dossier: the same ingest as the watched folder; one report per file."""
    from archive.upload import upload as upload_files

    reports = upload_files(
        archive_of(request),
        principal,
        code,
        agency,
        [(item.filename or "upload", item.file) for item in files],
        request.app.state.ingest,
        address=address_of(request),
        procedure_code=procedure_code,
        applicant_id=applicant_id,
    )
    return {"documents": [report.model_dump(mode="json") for report in reports]}


@router.get("/stats")
def stats(principal: Caller, request: Request) -> dict[str, Any]:
    return reading.statistics(archive_of(request), principal, address=address_of(request))


@router.get("/indicators")
def indicators(
    principal: Caller,
    request: Request,
    period: Annotated[str, Query(pattern="^(month|quarter)$")] = "month",
    year: Annotated[int | None, Query(ge=1900, le=9999)] = None,
    agency: str | None = None,
    procedure: str | None = None,
    format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
) -> Response:
    """Chỉ tiêu số hoá 4.1, 4.2, 4.3 (Quyết định 766/QĐ-TTg) per agency, procedure and period, in scope."""
    from archive import indicators as figures

    data = figures.indicators(
        archive_of(request),
        principal,
        period=period,
        year=year,
        agency=agency or None,
        procedure=procedure or None,
        address=address_of(request),
    )
    if format == "csv":
        headers = {"content-disposition": 'attachment; filename="chi-tieu-so-hoa.csv"'}
        return Response(figures.indicators_csv(data), media_type="text/csv; charset=utf-8", headers=headers)
    if format == "xlsx":
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        headers = {"content-disposition": 'attachment; filename="chi-tieu-so-hoa.xlsx"'}
        return Response(figures.indicators_xlsx(data), media_type=media, headers=headers)
    return JSONResponse(data)


# ---------------------------------------------------------------- admin


@router.get("/users")
def users(principal: Admin, request: Request) -> dict[str, Any]:
    from archive.access import list_users

    found = list_users(archive_of(request))
    reading._log(archive_of(request), principal, "view", [], address_of(request), what="users")
    return {"users": [item.model_dump(mode="json") for item in found]}


@router.get("/accesslog")
def accesslog(
    principal: Admin,
    request: Request,
    user: str | None = None,
    record: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    from archive.access import read_access

    entries = read_access(archive_of(request), user=user, record=record, limit=limit, newest_first=True)
    reading._log(archive_of(request), principal, "accesslog_read", [], address_of(request))
    return {"entries": [entry.model_dump(mode="json") for entry in entries]}


# ---------------------------------------------------------------- for the load balancer


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
def ready(request: Request) -> JSONResponse:
    """The catalog answers and the store answers: this instance can serve."""
    archive = archive_of(request)
    checks: dict[str, str] = {}
    try:
        archive.catalog.status_of("-")
        checks["catalog"] = "ok"
    except Exception as error:
        checks["catalog"] = type(error).__name__
    try:
        archive.store.exists("_ready")
        checks["store"] = "ok"
    except Exception as error:
        checks["store"] = type(error).__name__
    healthy = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ok" if healthy else "unavailable", **checks}, status_code=200 if healthy else 503)
