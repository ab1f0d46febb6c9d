"""The admin pages, for the `admin` role only (anyone else: the 403 page, checked here on every route, not by
hiding links): accounts (add, disable), API tokens (create, revoke) and the access log (filtered by user, record
and dates, paged, exported as CSV or xlsx).

Built on web.pages' helpers (`_page` resolves the caller and checks the CSRF token of every POST, `_render` the
templates). Every form is POST-redirect-GET: its outcome is one line (a short-lived signed cookie read once by the
next GET of /admin). One exception: a new token's secret is shown on the answer to its POST itself, that once, and is
kept nowhere (only its sha256, by archive.access): no redirect could carry it without storing it. Passwords and
secrets are never echoed, logged, nor put in a failure's message.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer

from schemas.access import Forbidden, NotFound, Principal, Role
from schemas.codes import InvalidDate, check_date
from schemas.failures import SohoaFailure
from web.pages import _address, _number, _page, _render
from web.security import Session, secret_key

router = APIRouter(include_in_schema=False)

LOG_PAGE_SIZE = 50
FLASH_COOKIE = "sohoa_flash"
FLASH_PATH = "/admin"
TOKEN_ROLES = (Role.clerk, Role.archivist)
EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class PasswordsDiffer(SohoaFailure):
    code = "passwords_differ"
    vi = "Hai lần nhập mật khẩu không giống nhau"
    en = "The two passwords typed differ"


class SelfDisableRefused(SohoaFailure):
    code = "self_disable_refused"
    vi = "Không thể tự khoá tài khoản đang đăng nhập"
    en = "You cannot disable the account you are signed in with"


class SelfGrantRefused(SohoaFailure):
    code = "self_grant_refused"
    vi = "Không thể tự sửa quyền của tài khoản đang đăng nhập: nhờ một quản trị viên khác"
    en = "You cannot change your own account's rights: ask another admin"


def _require_admin(principal: Principal) -> None:
    if not principal.may(Role.admin):
        raise Forbidden(principal.role.value)


# ---------------------------------------------------------------- the outcome line (flash)


def _flasher(request: Request) -> URLSafeSerializer:
    found = getattr(request.app.state, "admin_flash", None)
    if found is None:
        found = URLSafeSerializer(secret_key(request.app.state.archive.settings), salt="sohoa-admin-flash")
        request.app.state.admin_flash = found
    return found


def _done(request: Request, text: str, *, ok: bool = True) -> RedirectResponse:
    """Back to /admin with one line saying what happened (text made here, never a typed password)."""
    response = RedirectResponse("/admin", status_code=303)
    value = _flasher(request).dumps({"ok": ok, "text": text[:300]})
    secure = request.app.state.archive.settings.cookie_secure
    response.set_cookie(FLASH_COOKIE, value, max_age=120, path=FLASH_PATH, httponly=True, samesite="lax", secure=secure)
    return response


def _failed(request: Request, failure: SohoaFailure) -> RedirectResponse:
    # Only the failure's own sentence: its detail may hold what was typed.
    return _done(request, failure.vi, ok=False)


def _read_flash(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data = _flasher(request).loads(raw)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    return {"ok": bool(data.get("ok")), "text": data["text"]}


# ---------------------------------------------------------------- the page


def _agency_choices(request: Request) -> list[tuple[str, str]]:
    """The registry's agencies (code, label), and any code already granted that the registry lacks."""
    from archive.access import list_agencies, list_tokens, list_users

    archive = request.app.state.archive
    choices = {}
    for agency in list_agencies(archive):
        label = f"{agency.code} — {agency.name}"
        if agency.valid_to is not None:
            label += f" (đến {agency.valid_to.isoformat()})"
        choices[agency.code] = label
    for holder in [*list_users(archive), *list_tokens(archive)]:
        for code in holder.agencies:
            choices.setdefault(code, code)
    return sorted(choices.items())


def _chosen_agencies(request: Request, agencies: list[str]) -> list[str]:
    from catalog.identity import UnknownAgency

    known = {code for code, _ in _agency_choices(request)}
    chosen = sorted({code.strip() for code in agencies if code.strip()})
    if any(code not in known for code in chosen):
        raise UnknownAgency()
    return chosen


def _log_filters(user: str, record: str, since: str, until: str) -> tuple[dict[str, Any], SohoaFailure | None]:
    """The access log's filters as read_access takes them, or the failure of a malformed date."""
    filters: dict[str, Any] = {
        "user": user.strip()[:200] or None,
        "record": record.strip()[:200] or None,
        "since": None,
        "until": None,
    }
    try:
        filters["since"] = check_date(since, "since") if since.strip() else None
        filters["until"] = check_date(until, "until") if until.strip() else None
    except InvalidDate as failure:
        return filters, failure
    return filters, None


def _query(filters: dict[str, Any], **more: Any) -> str:
    values = {**{key: value for key, value in filters.items() if value}, **more}
    return urlencode({key: value for key, value in values.items() if value})


@router.get("/admin")
def admin(
    request: Request, user: str = "", record: str = "", since: str = "", until: str = "", page: str = "1"
) -> Response:
    flash = _read_flash(request)

    def build(principal: Principal, _session: Session) -> tuple[str, dict[str, Any]]:
        from archive.access import list_tokens, list_users, masked_entry, read_access, record_access

        _require_admin(principal)
        archive = request.app.state.archive
        address = _address(request)
        filters, error = _log_filters(user, record, since, until)
        number = _number(page, 1)
        entries = []
        if error is None:
            entries = read_access(
                archive,
                **filters,
                limit=LOG_PAGE_SIZE + 1,
                offset=(number - 1) * LOG_PAGE_SIZE,
                newest_first=True,
            )
        more = len(entries) > LOG_PAGE_SIZE
        record_access(archive, principal, "view", [], address, {"what": "users"})
        record_access(archive, principal, "accesslog_read", [], address, {**filters, "page": number})

        def shown(entry: Any) -> dict[str, Any]:
            # A logged search holds its query, which may hold a citizen ID: masked without the right.
            entry = entry if principal.pii else masked_entry(entry)
            detail = json.dumps(entry.detail, ensure_ascii=False) if entry.detail else ""
            return {"entry": entry, "detail": detail}

        return "admin.html", {
            "flash": flash,
            "users": list_users(archive),
            "tokens": list_tokens(archive),
            "agency_choices": _agency_choices(request),
            "roles": [role.value for role in Role],
            "token_roles": [role.value for role in TOKEN_ROLES],
            "log": [shown(entry) for entry in entries[:LOG_PAGE_SIZE]],
            "filters": {key: value or "" for key, value in filters.items()},
            "filter_error": error,
            "page": number,
            "previous": f"/admin?{_query(filters, page=number - 1)}" if number > 1 else None,
            "following": f"/admin?{_query(filters, page=number + 1)}" if more else None,
            "exports": {fmt: f"/admin/accesslog.{fmt}?{_query(filters)}" for fmt in EXPORTS},
        }

    response = _page(request, build)
    if flash is not None or FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path=FLASH_PATH)
    return response


# ---------------------------------------------------------------- accounts


@router.post("/admin/users")
def add_user(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    agencies: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies a form default)
    pii: Annotated[str, Form(max_length=10)] = "",
    password: Annotated[str, Form(max_length=10_000)] = "",
    password_again: Annotated[str, Form(max_length=10_000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    def build(principal: Principal, _session: Session) -> Response:
        from archive import access

        _require_admin(principal)
        try:
            if password != password_again:
                raise PasswordsDiffer()
            user = access.add_user(
                request.app.state.archive,
                username,
                role,
                _chosen_agencies(request, agencies[:200]),
                password,
                pii=pii == "1",
                by=principal,
                address=_address(request),
            )
        except SohoaFailure as failure:
            return _failed(request, failure)
        return _done(request, f"Đã thêm tài khoản {user.username}.")

    return _page(request, build, form_token=csrf_token)


@router.post("/admin/users/{username}/disable")
def disable_user(request: Request, username: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    def build(principal: Principal, _session: Session) -> Response:
        from archive import access

        _require_admin(principal)
        try:
            name = access.check_username(username)
            if name == principal.name:
                raise SelfDisableRefused()
            access.disable_user(request.app.state.archive, name, by=principal, address=_address(request))
        except SohoaFailure as failure:
            return _failed(request, failure)
        return _done(request, f"Đã khoá tài khoản {name}: tài khoản này không đăng nhập được nữa.")

    return _page(request, build, form_token=csrf_token)


@router.post("/admin/users/{username}/enable")
def enable_user(request: Request, username: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    def build(principal: Principal, _session: Session) -> Response:
        from archive import access

        _require_admin(principal)
        try:
            name = access.check_username(username)
            access.enable_user(request.app.state.archive, name, by=principal, address=_address(request))
        except SohoaFailure as failure:
            return _failed(request, failure)
        return _done(request, f"Đã mở khoá tài khoản {name}.")

    return _page(request, build, form_token=csrf_token)


@router.post("/admin/users/{username}/grants")
def change_grants(
    request: Request,
    username: str,
    role: Annotated[str, Form(max_length=40)] = "",
    agencies: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies a form default)
    pii: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Another user's role, agencies and personal-data right (an admin does not change their own: another admin
    does, so nobody widens their own rights unseen)."""

    def build(principal: Principal, _session: Session) -> Response:
        from archive import access

        _require_admin(principal)
        try:
            name = access.check_username(username)
            if name == principal.name:
                raise SelfGrantRefused()
            user = access.update_user(
                request.app.state.archive,
                name,
                role,
                _chosen_agencies(request, agencies[:200]),
                pii == "1",
                by=principal,
                address=_address(request),
            )
        except SohoaFailure as failure:
            return _failed(request, failure)
        return _done(request, f"Đã lưu quyền của {user.username}.")

    return _page(request, build, form_token=csrf_token)


# ---------------------------------------------------------------- API tokens


@router.post("/admin/tokens")
def create_token(
    request: Request,
    name: Annotated[str, Form(max_length=400)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    agencies: Annotated[list[str], Form()] = [],  # noqa: B006
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    def build(principal: Principal, session: Session) -> Response:
        from archive import access

        _require_admin(principal)
        try:
            token_id, secret = access.create_token(
                request.app.state.archive,
                name,
                role,
                _chosen_agencies(request, agencies[:200]),
                by=principal,
                address=_address(request),
            )
        except SohoaFailure as failure:
            return _failed(request, failure)
        # Shown on this answer only (not stored, not redirected to): `_render` marks it no-store.
        context = {"principal": principal, "token_id": token_id, "secret": secret, "name": name.strip()}
        return _render(request, "admin_token.html", context, session=session)

    return _page(request, build, form_token=csrf_token, keep_session=False)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    def build(principal: Principal, _session: Session) -> Response:
        from archive import access

        _require_admin(principal)
        try:
            token = access.revoke_token(request.app.state.archive, token_id, by=principal, address=_address(request))
        except SohoaFailure as failure:
            return _failed(request, failure)
        return _done(request, f"Đã thu hồi mã truy cập {token.id} ({token.name}): mã này không dùng được nữa.")

    return _page(request, build, form_token=csrf_token)


# ---------------------------------------------------------------- the access log exported


@router.get("/admin/accesslog.{fmt}")
def export_access_log(
    request: Request, fmt: str, user: str = "", record: str = "", since: str = "", until: str = ""
) -> Response:
    def build(principal: Principal, _session: Session) -> Response:
        from archive.access import export_access

        _require_admin(principal)
        if fmt not in EXPORTS:
            raise NotFound()
        filters, error = _log_filters(user, record, since, until)
        if error is not None:
            raise error
        with tempfile.TemporaryDirectory(prefix="sohoa-accesslog-") as folder:
            out = Path(folder) / f"export.{fmt}"
            export_access(
                request.app.state.archive,
                out,
                **filters,
                fmt=fmt,
                by=principal,
                address=_address(request),
                pii=principal.pii,
            )
            data = out.read_bytes()
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        ascii_name = f"nhat-ky-truy-cap-{stamp}.{fmt}"
        vietnamese = quote(f"nhật-ký-truy-cập-{stamp}.{fmt}", safe="")
        headers = {
            "content-disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{vietnamese}",
            "cache-control": "no-store",
        }
        return Response(data, media_type=EXPORTS[fmt], headers=headers)

    return _page(request, build)
