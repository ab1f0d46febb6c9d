"""The web pages (server-rendered, Vietnamese): sign-in, search, a document with the query's words highlighted on
the page image, a dossier, the review queue, the clerks' upload, statistics and admin.

Every page resolves its caller as the API does (the signed session cookie, the account looked up on every request)
and calls the application layer (`archive.reading`, `archive.upload`, `archive.words`) with that `Principal`, so
the scoping, the masking of citizen IDs and the access log are the API's own. Not signed in: a redirect to /login;
another agency's record: the same 404 page as an unknown one. Every form that changes something carries the
session's CSRF token in the hidden field `csrf_token` (the sign-in form, made before any session, excepted).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from pydantic import ValidationError
from starlette.templating import Jinja2Templates

from archive import reading, words
from schemas import DOC_TYPE_NAMES, DocType
from schemas.access import Forbidden, NotSignedIn, Principal, Role
from schemas.failures import SohoaFailure
from schemas.models import CHANNEL_NAMES, DOCUMENT_ROLE_NAMES
from sign.stamp import CopyForm
from web.api import CERTIFY_STATUS, certified_json
from web.charts import percent_bars
from web.security import AttemptLimiter, Session, Sessions, check_csrf

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 20
THUMB_WIDTH = 160
VIEW_WIDTH = 1000
# Dossier fields an archivist types on the dossier page (dates and counts are derived from its documents).
DOSSIER_TEXT_FIELDS = {
    "title": "Tiêu đề hồ sơ",
    "notation": "Số và ký hiệu hồ sơ",
    "maintenance": "Thời hạn bảo quản",
    "rights": "Chế độ sử dụng",
    "creator": "Người lập hồ sơ",
    "language": "Ngôn ngữ",
    "description": "Ghi chú",
}
STATUS = {
    "not_found": 404,
    "page_out_of_range": 404,
    "forbidden": 403,
    "csrf_refused": 403,
    "agency_not_granted": 403,
    "personal_data_restricted": 403,
    "agency_mismatch": 409,
    "file_too_large": 413,
    "too_many_attempts": 429,
    "login_failed": 401,
    **CERTIFY_STATUS,
}

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
)


def doc_type_name(slug: Any) -> str:
    try:
        return DOC_TYPE_NAMES[DocType(str(slug))]
    except ValueError:
        return str(slug)


def marked(pieces: list[tuple[str, bool]]) -> Markup:
    """Pieces of text (archive.words.highlight_spans) as HTML, the query's words in <mark>."""
    return Markup("").join(Markup("<mark>{}</mark>").format(text) if hit else escape(text) for text, hit in pieces)


def vn_date(value: Any) -> str:
    """A date as Vietnamese counters write it (dd/mm/yyyy), from a date or its ISO text; empty stays empty."""
    if not value:
        return ""
    try:
        found = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return found.strftime("%d/%m/%Y")


VIETNAM = timezone(timedelta(hours=7))


def vn_time(value: Any) -> str:
    """A moment in Vietnam time as counters read it (dd/mm/yyyy HH:MM:SS), from a datetime or its ISO text."""
    if not value:
        return ""
    try:
        found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if found.tzinfo is None:
        found = found.replace(tzinfo=UTC)
    return found.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S")


ROLE_NAMES = {"clerk": "Văn thư", "archivist": "Lưu trữ viên", "admin": "Quản trị"}
templates.env.filters["vn_date"] = vn_date
templates.env.filters["vn_time"] = vn_time
templates.env.globals.update(
    doc_type_name=doc_type_name,
    ROLE_NAMES=ROLE_NAMES,
    type_names={item.value: name for item, name in DOC_TYPE_NAMES.items()},
    role_names={item.value: name for item, name in DOCUMENT_ROLE_NAMES.items()},
    channel_names={int(item): name for item, name in CHANNEL_NAMES.items()},
)


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _signed_in(request: Request) -> tuple[Principal, Session]:
    from archive.access import principal_for

    sessions: Sessions = request.app.state.sessions
    session = sessions.read(request)
    if session is None:
        raise NotSignedIn()
    try:
        principal = principal_for(request.app.state.archive, session.user)
    except SohoaFailure:  # disabled or removed since sign-in
        raise NotSignedIn() from None
    return principal, session


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _status(failure: SohoaFailure) -> int:
    return STATUS.get(failure.code, 503 if failure.retryable else 400)


def _render(
    request: Request, name: str, context: dict[str, Any], *, status: int = 200, session: Session | None = None
) -> HTMLResponse:
    principal = context.get("principal")
    full = {
        "principal": principal,
        "csrf_token": session.csrf if session else "",
        "path": request.url.path,
        "may_upload": bool(principal and principal.may(*reading.UPLOADERS)),
        "may_edit": bool(principal and principal.may(*reading.EDITORS)),
        "is_admin": bool(principal and principal.may(Role.admin)),
        **context,
    }
    response = templates.TemplateResponse(request, name, full, status_code=status)
    response.headers["cache-control"] = "no-store"  # pages hold records: never kept by a shared cache
    if session is not None:
        request.app.state.sessions.refresh(response, session)
    return response


def _page(
    request: Request,
    build: Callable[[Principal, Session], tuple[str, dict[str, Any]] | Response],
    *,
    form_token: str | None = None,
    keep_session: bool = True,
) -> Response:
    """Resolve the caller, check CSRF on a state-changing request, build the page; a named failure becomes the
    error page (or the sign-in page when not signed in)."""
    try:
        principal, session = _signed_in(request)
    except NotSignedIn:
        return _login_redirect(request)
    try:
        check_csrf(request, session, form_token)
        built = build(principal, session)
    except SohoaFailure as failure:
        status = _status(failure)
        # As the API: the detail of a refusal of the caller's own input helps them; others may hold paths.
        detail = failure.detail if status in (400, 409, 413, 416) else ""
        context = {"principal": principal, "failure": failure, "status": status, "detail": detail}
        return _render(request, "error.html", context, status=status, session=session)
    if isinstance(built, Response):
        if keep_session:
            request.app.state.sessions.refresh(built, session)
        return built
    name, context = built
    return _render(request, name, {"principal": principal, **context}, session=session)


def _number(value: str | None, default: int, lowest: int = 1, highest: int = 100_000) -> int:
    try:
        return max(lowest, min(int(value or default), highest))
    except ValueError:
        return default


def _safe_next(value: str | None) -> str:
    """Only a path of this site: never another site after signing in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


# ---------------------------------------------------------------- sign-in


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    try:
        _signed_in(request)
        return RedirectResponse(_safe_next(next), status_code=303)
    except NotSignedIn:
        return _render(request, "login.html", {"next": _safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=10_000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    from archive.access import authenticate

    limiter: AttemptLimiter = request.app.state.attempts
    address = _address(request)
    try:
        limiter.check(username, address)
        try:
            principal = authenticate(request.app.state.archive, username, password, address)
        except SohoaFailure:
            limiter.failed(username, address)
            raise
    except SohoaFailure as failure:
        context = {"next": _safe_next(next), "failure": failure, "username": username}
        return _render(request, "login.html", context, status=_status(failure))
    limiter.succeeded(username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    request.app.state.sessions.start(response, principal.name)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    def build(principal: Principal, _session: Session) -> Response:
        response = RedirectResponse("/login", status_code=303)
        request.app.state.sessions.end(response)
        reading._log(request.app.state.archive, principal, "logout", [], _address(request))
        return response

    return _page(request, build, form_token=csrf_token, keep_session=False)


# ---------------------------------------------------------------- search


@router.get("/")
@router.get("/search")
def search(
    request: Request,
    q: str = "",
    type: str = "",
    agency: str = "",
    year: str = "",
    sort: str = "relevance",
    page: str = "1",
    date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=20)] = "",
    issuer: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    def build(principal: Principal, _session: Session) -> tuple[str, dict[str, Any]]:
        from catalog.search.query import InvalidQuery

        number = _number(page, 1, highest=5000)
        year_value = year.strip() if year.strip().isdigit() and len(year.strip()) == 4 else ""
        # The filters of the form become terms of the query language (the parser checks them, as if typed).
        start, end = date_from.strip(), date_to.strip()
        issuer_words = " ".join(issuer.replace('"', " ").split())
        filters = [f"nam:{year_value}" if year_value else ""]
        filters.append(f"ngay:{start}..{end}" if start or end else "")
        filters.append(f'coquan:"{issuer_words}"' if issuer_words else "")
        context: dict[str, Any] = {
            "q": q,
            "type": type,
            "agency": agency,
            "date_from": start,
            "date_to": end,
            "issuer": issuer_words,
            "year": year_value,
            "sort": sort if sort in ("relevance", "date") else "relevance",
            "doc_types": [(item.value, name) for item, name in DOC_TYPE_NAMES.items()],
            "agencies": sorted(principal.granted),
            "result": None,
            "error": None,
        }
        if not (q.strip() or type or agency or any(filters)):
            return "search.html", context
        query = " ".join([q, *filters]).strip()
        try:
            result = reading.search(
                request.app.state.archive,
                principal,
                query,
                address=_address(request),
                doc_type=type or None,
                agency=agency or None,
                limit=PAGE_SIZE,
                offset=(number - 1) * PAGE_SIZE,
                sort=context["sort"],
            )
        except InvalidQuery as failure:
            context["error"] = failure
            return "search.html", context
        base = {"q": q, "type": type, "agency": agency, "year": year_value, "sort": context["sort"]}
        base.update({"from": start, "to": end, "issuer": issuer_words})

        def link(**changes: Any) -> str:
            values = {**base, **changes}
            return "/search?" + urlencode({key: value for key, value in values.items() if value})

        hits = [
            {
                "hit": hit,
                "snippet": marked(words.highlight_spans(hit.snippet, q)),
                "href": f"/documents/{quote(hit.id)}?" + urlencode({"q": q, "page": hit.page}),
            }
            for hit in result.hits
        ]
        pages = max(1, -(-result.total // PAGE_SIZE))
        context.update(
            result=result,
            hits=hits,
            page=number,
            pages=pages,
            previous=link(page=number - 1) if number > 1 else None,
            following=link(page=number + 1) if number < pages else None,
            facet_links={
                "doc_type": [(doc_type_name(k), v, link(type=k, page=1)) for k, v in result.facets["doc_type"].items()],
                "agency": [(k, v, link(agency=k, page=1)) for k, v in result.facets["agency"].items()],
                "year": [(k, v, link(year=k, page=1)) for k, v in result.facets["year"].items()],
            },
        )
        return "search.html", context

    return _page(request, build)


# ---------------------------------------------------------------- a document


@router.get("/documents/{doc_id}")
def document(request: Request, doc_id: str, q: str = "", page: str = "1", saved: str = "") -> Response:
    def build(principal: Principal, _session: Session) -> tuple[str, dict[str, Any]]:
        from archive.indicators import document_reuse

        archive = request.app.state.archive
        payload = reading.document(archive, principal, doc_id, address=_address(request))
        count = max(len(payload["pages_text"]), payload.get("pages") or 0)
        number = _number(page, 1, highest=max(count, 1))
        restricted = payload["holds_personal_data"] and not principal.pii
        boxes = [] if restricted or not q else words.page_word_boxes(archive, principal, doc_id, number, q)
        texts = payload["pages_text"]
        text = texts[number - 1]["text"] if number <= len(texts) else ""
        base = f"/api/documents/{quote(doc_id)}"
        return "document.html", {
            "doc": payload,
            "doc_id": doc_id,
            "q": q,
            "number": number,
            "count": count,
            "restricted": restricted,
            "boxes": boxes,
            "text": marked(words.highlight_spans(text, q)),
            "image": f"{base}/pages/{number}.png?width={VIEW_WIDTH}",
            "thumbs": [
                (n, f"{base}/pages/{n}.png?width={THUMB_WIDTH}", "?" + urlencode({"q": q, "page": n}))
                for n in range(1, count + 1)
            ],
            "downloads": {"original": f"{base}/original", "archive": f"{base}/archive.pdf"},
            "metadata": payload["classification"]["metadata"],
            "reuse": document_reuse(archive, principal, doc_id),
            "roles": [(item.value, name) for item, name in DOCUMENT_ROLE_NAMES.items()],
            "saved": saved,
            "certified": certified_json(archive, doc_id, payload["objects"]),
            "may_certify": _may_certify(archive, principal, payload.get("agency")),
            "copy_forms": [form.value for form in CopyForm],
        }

    return _page(request, build)


# ---------------------------------------------------------------- certified electronic copies


def _may_certify(archive: Any, principal: Principal, agency: str | None) -> bool:
    """The certify form is shown to archivists and admins (the record is in their scope: they see its page) when
    this server signs, with the key of this record's agency."""
    from archive.certify import CERTIFIERS, signing_ready

    settings = archive.settings
    return principal.may(*CERTIFIERS) and signing_ready(settings) and (agency or "") == settings.sign_agency.strip()


@router.post("/documents/{doc_id}/certify")
def document_certify(
    request: Request,
    doc_id: str,
    copy_form: Annotated[str, Form(max_length=40)] = "SAO Y",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Chứng thực bản sao điện tử from the document's page (archivists and admins of its agency)."""

    def build(principal: Principal, _session: Session) -> Response:
        from archive.certify import certify_for

        archive = request.app.state.archive
        certify_for(archive, principal, doc_id=doc_id, copy_form=copy_form, address=_address(request))
        return RedirectResponse(f"/documents/{quote(doc_id)}?saved=certified", status_code=303)

    return _page(request, build, form_token=csrf_token)


@router.post("/documents/{doc_id}/certified/verify")
def document_certified_verify(request: Request, doc_id: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Kiểm tra lại chữ ký số of the certified copy, now."""

    def build(principal: Principal, _session: Session) -> Response:
        from archive.certify import reverify

        reverify(request.app.state.archive, principal, doc_id, address=_address(request))
        return RedirectResponse(f"/documents/{quote(doc_id)}?saved=verified", status_code=303)

    return _page(request, build, form_token=csrf_token)


def _typed_fields(
    number: Annotated[str | None, Form(max_length=200)] = None,
    notation: Annotated[str | None, Form(max_length=200)] = None,
    issued_date: Annotated[str | None, Form(max_length=40)] = None,
    issuer: Annotated[str | None, Form(max_length=400)] = None,
    subject: Annotated[str | None, Form(max_length=2000)] = None,
) -> dict[str, str]:
    """The archival fields a form sent (the document page's and the review queue's): a field not in the form is
    left as it is, an empty one clears it."""
    typed = {"number": number, "notation": notation, "issued_date": issued_date, "issuer": issuer, "subject": subject}
    return {name: value for name, value in typed.items() if value is not None}


@router.post("/documents/{doc_id}/role")
def document_role(
    request: Request,
    doc_id: str,
    role: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """An archivist sets the document's role in its dossier (kept through later labels)."""

    def build(principal: Principal, _session: Session) -> Response:
        from archive.roles import set_role

        set_role(request.app.state.archive, principal, doc_id, role, _address(request))
        return RedirectResponse(f"/documents/{quote(doc_id)}?saved=role", status_code=303)

    return _page(request, build, form_token=csrf_token)


@router.post("/documents/{doc_id}/fields")
def document_fields(
    request: Request,
    doc_id: str,
    fields: Annotated[dict[str, str], Depends(_typed_fields)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """An archivist corrects the archival fields from the document's page (the review queue's path)."""

    def build(principal: Principal, _session: Session) -> Response:
        reading.describe(request.app.state.archive, principal, doc_id, fields, address=_address(request))
        return RedirectResponse(f"/documents/{quote(doc_id)}?saved=fields", status_code=303)

    return _page(request, build, form_token=csrf_token)


# ---------------------------------------------------------------- a dossier


def _dossier_context(request: Request, principal: Principal, code: str) -> dict[str, Any]:
    archive = request.app.state.archive
    payload = reading.dossier(archive, principal, code, address=_address(request))
    return {
        "code": code,
        "dossier": payload["dossier"],
        "documents": payload["documents"],
        "fields": DOSSIER_TEXT_FIELDS,
        "export": f"/api/dossiers/{quote(code)}/export",
        "saved": False,
        "error": None,
        "may_certify": any(_may_certify(archive, principal, item.get("agency")) for item in payload["documents"]),
        "copy_forms": [form.value for form in CopyForm],
        "certify_reports": None,
    }


@router.get("/dossiers/{code}")
def dossier(request: Request, code: str) -> Response:
    return _page(request, lambda principal, _session: ("dossier.html", _dossier_context(request, principal, code)))


@router.post("/dossiers/{code}")
async def dossier_fields(request: Request, code: str) -> Response:
    form = await request.form()
    token = form.get("csrf_token")
    values = {
        name: str(form.get(name, "")).strip() or None
        for name in DOSSIER_TEXT_FIELDS
        if isinstance(form.get(name), str) and len(str(form.get(name))) <= 2000
    }

    def build(principal: Principal, _session: Session) -> tuple[str, dict[str, Any]]:
        archive = request.app.state.archive
        error = None
        try:
            reading.set_dossier_fields(archive, principal, code, values, address=_address(request))
        except ValidationError as invalid:
            error = "; ".join(str(item.get("msg", "")) for item in invalid.errors())[:300]
        context = _dossier_context(request, principal, code)
        context.update(saved=error is None, error=error)
        return "dossier.html", context

    return _page(request, build, form_token=token if isinstance(token, str) else None)


@router.post("/dossiers/{code}/certify")
def dossier_certify(
    request: Request,
    code: str,
    copy_form: Annotated[str, Form(max_length=40)] = "SAO Y",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Chứng thực cả hồ sơ: every document of the dossier in the caller's agencies; the page lists each outcome."""

    def build(principal: Principal, _session: Session) -> tuple[str, dict[str, Any]]:
        from archive.certify import certify_for

        archive = request.app.state.archive
        reports = certify_for(archive, principal, dossier=code, copy_form=copy_form, address=_address(request))
        context = _dossier_context(request, principal, code)
        context["certify_reports"] = reports
        return "dossier.html", context

    return _page(request, build, form_token=csrf_token)


# ---------------------------------------------------------------- the review queue


@router.get("/review")
def review(request: Request, page: str = "1", done: str = "") -> Response:
    def build(principal: Principal, _session: Session) -> tuple[str, dict[str, Any]]:
        number = _number(page, 1, highest=5000)
        found = reading.review_queue(
            request.app.state.archive,
            principal,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
            address=_address(request),
        )
        pages = max(1, -(-found["total"] // PAGE_SIZE))
        return "review.html", {
            "total": found["total"],
            "documents": found["documents"],
            "doc_types": [(item.value, name) for item, name in DOC_TYPE_NAMES.items()],
            "page": number,
            "pages": pages,
            "done": done,
            "thumb_width": THUMB_WIDTH * 2,
        }

    return _page(request, build)


@router.post("/review/{doc_id}/label")
def review_label(
    request: Request,
    doc_id: str,
    fields: Annotated[dict[str, str], Depends(_typed_fields)],
    doc_type: Annotated[str, Form(max_length=80)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """One form per document: the fields typed (checked all together, nothing written if one is wrong), then the
    type confirmed or corrected, which takes the document out of the queue."""

    def build(principal: Principal, _session: Session) -> Response:
        from web.api import UnknownDocType

        try:
            chosen = DocType(doc_type)
        except ValueError:
            raise UnknownDocType(doc_type[:40]) from None
        archive, address = request.app.state.archive, _address(request)
        if fields:
            reading.describe(archive, principal, doc_id, fields, address=address)
        reading.label(archive, principal, doc_id, chosen, address=address)
        return RedirectResponse("/review?" + urlencode({"done": doc_id}), status_code=303)

    return _page(request, build, form_token=csrf_token)


# ---------------------------------------------------------------- upload


class NoFileChosen(SohoaFailure):
    code = "no_file_chosen"
    vi = "Chưa chọn tệp nào để nộp"
    en = "No file chosen"
    retryable = False


def _require_uploader(principal: Principal) -> None:
    if not principal.may(*reading.UPLOADERS):
        raise Forbidden(principal.role.value)


@router.get("/upload")
def upload_form(request: Request) -> Response:
    def build(principal: Principal, _session: Session) -> tuple[str, dict[str, Any]]:
        _require_uploader(principal)
        return "upload.html", {"agencies": sorted(principal.granted), "reports": None, "dossier": "", "agency": ""}

    return _page(request, build)


@router.post("/upload")
def upload(
    request: Request,
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006 (FastAPI copies the default)
    dossier: Annotated[str, Form(max_length=200)] = "",
    agency: Annotated[str, Form(max_length=40)] = "",
    action: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The form's two buttons: "new code" (a code in the national format for the agency, entered at once, the files
    not yet sent) and "upload"."""

    def build(principal: Principal, _session: Session) -> tuple[str, dict[str, Any]]:
        from archive.upload import new_dossier_code
        from archive.upload import upload as upload_files

        _require_uploader(principal)
        if action == "new_code":
            code = new_dossier_code(request.app.state.archive, principal, agency.strip())
            return "upload.html", {
                "agencies": sorted(principal.granted),
                "reports": None,
                "dossier": code,
                "agency": agency.strip(),
                "new_code": code,
            }
        chosen = [item for item in files if item.filename]
        if not chosen:
            raise NoFileChosen()
        reports = upload_files(
            request.app.state.archive,
            principal,
            dossier.strip(),
            agency.strip(),
            [(item.filename or "upload", item.file) for item in chosen],
            request.app.state.ingest,
            address=_address(request),
        )
        return "upload.html", {
            "agencies": sorted(principal.granted),
            "reports": reports,
            "dossier": dossier.strip(),
            "agency": agency.strip(),
        }

    return _page(request, build, form_token=csrf_token)


# ---------------------------------------------------------------- statistics


@router.get("/stats")
def stats(request: Request, period: str = "month", year: str = "", agency: str = "", procedure: str = "") -> Response:
    def build(principal: Principal, _session: Session) -> tuple[str, dict[str, Any]]:
        from archive.indicators import ALL, indicators

        archive, address = request.app.state.archive, _address(request)
        figures = reading.statistics(archive, principal, address=address)
        by_type = sorted(figures["by_type"].items(), key=lambda item: -item[1])
        chosen = {
            "period": period if period in ("month", "quarter") else "month",
            "year": _number(year, 0, lowest=0, highest=9999) or None,
            "agency": agency.strip() or None,
            "procedure": procedure.strip()[:60] or None,
        }
        data = indicators(archive, principal, address=address, **chosen)
        names = [item["vi"] for item in data["indicators"]]
        codes = [item["code"] for item in data["indicators"]]

        def chart(title: str, groups: list[str], table: dict[str, dict[str, Any]], slot: str | None) -> Markup:
            series = []
            for code, name in zip(codes, names, strict=True):
                values = [table[group].get(slot or group, {}).get(code, {}).get("percent") for group in groups]
                series.append((f"{code} {name}", values))
            return percent_bars(title, [group or "(chưa rõ)" for group in groups], series)

        totals = {key: {key: value} for key, value in data["total"].items() if key != ALL}
        charts = [("Theo kỳ, toàn bộ phạm vi", chart("Theo kỳ", data["periods"], totals, None))]
        for level, title in (("by_agency", "Theo cơ quan, cả kỳ chọn"), ("by_procedure", "Theo thủ tục, cả kỳ chọn")):
            groups = sorted(data[level])
            if 0 < len(groups) <= 30:  # more would not read as bars: the table below has them all
                charts.append((title, chart(title, groups, data[level], ALL)))
        query = urlencode({key: value for key, value in chosen.items() if value})
        return "stats.html", {
            "figures": figures,
            "by_type": by_type,
            "indicators": data,
            "all_key": ALL,
            "charts": charts,
            "chosen": chosen,
            "agencies": sorted(principal.granted) if principal.agencies is not None else sorted(data["by_agency"]),
            "download_query": query,
        }

    return _page(request, build)
