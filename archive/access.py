"""Users, API tokens, the agency registry and the access log, for the CLI and the web API.

Passwords are hashed with argon2 (argon2-cffi) and checked in constant time; an unknown user, a wrong password and
a disabled account fail with one message (`login_failed`), after the same work, so a caller cannot learn which
names exist. An API token is `sohoa_<id>_<secret>`: only the sha256 of the whole token is kept, shown once at
creation, compared in constant time. Passwords and tokens never reach a log, an error or the access log.

A caller's scope (`Principal.agencies`) is the agencies granted plus every agency merged into them, through any
number of mergers (the registry's predecessors): records keep the code they were filed under.

Every change to accounts, tokens and agencies is written to the access log, with who made it: a signed-in admin
(`by`), or `cli` and the server account's name for a command typed on the server.
"""

from __future__ import annotations

import csv
import functools
import getpass
import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from archive.context import Archive
from catalog import identity
from schemas.access import (
    AccessAction,
    AccessEntry,
    AccessLogProblem,
    AgencyInfo,
    LoginFailed,
    NotSignedIn,
    Principal,
    PrincipalKind,
    Role,
    TokenInfo,
    UserInfo,
)
from schemas.codes import InvalidDate, check_agency_code, check_date
from schemas.failures import SohoaFailure
from schemas.pii import mask_citizen_ids
from storage.base import RetentionLocked
from storage.retention import lock_for, parse_retention

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this bounds the work one request can ask for
TOKEN_PREFIX = "sohoa_"
ACCESS_LOG_PREFIX = "_accesslog/"
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_TOKEN = re.compile(rf"{TOKEN_PREFIX}([0-9a-f]{{12}})_[A-Za-z0-9_-]{{43}}")

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified when the user is unknown, so a wrong name costs what a wrong password costs."""
    return _hasher.hash(secrets.token_urlsafe(16))


class InvalidUsername(SohoaFailure):
    code = "invalid_username"
    vi = "Tên đăng nhập không hợp lệ: 1-64 ký tự a-z, 0-9, '.', '_', '@', '-', bắt đầu bằng chữ hoặc số"
    en = "Invalid username: 1-64 characters a-z, 0-9, '.', '_', '@', '-', starting with a letter or digit"


class InvalidRole(SohoaFailure):
    code = "invalid_role"
    vi = "Vai trò không hợp lệ: clerk (văn thư), archivist (lưu trữ viên) hoặc admin (quản trị)"
    en = "Invalid role: clerk, archivist or admin"


class TokenRoleRefused(SohoaFailure):
    code = "token_role_refused"
    vi = "Mã truy cập (token) chỉ có vai trò clerk hoặc archivist, không có quyền quản trị"
    en = "An API token's role is clerk or archivist, never admin"


class AgencyRequired(SohoaFailure):
    code = "agency_required"
    vi = "Cần ít nhất một mã cơ quan (--agency) cho vai trò này"
    en = "At least one agency code (--agency) is needed for this role"


class WeakPassword(SohoaFailure):
    code = "weak_password"
    vi = f"Mật khẩu cần từ {MIN_PASSWORD_LENGTH} đến {MAX_PASSWORD_LENGTH} ký tự"
    en = f"The password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"


class InvalidName(SohoaFailure):
    code = "invalid_name"
    vi = "Tên không hợp lệ: không được rỗng, tối đa 200 ký tự, không có ký tự điều khiển"
    en = "Invalid name: not empty, at most 200 characters, no control characters"


class InvalidAgencyFile(SohoaFailure):
    code = "invalid_agency_file"
    vi = "Tệp danh mục cơ quan không đúng: cần tệp CSV UTF-8 có các cột code,name,parent,valid_from,valid_to,successor"
    en = "Invalid agency file: expected a UTF-8 CSV with columns code,name,parent,valid_from,valid_to,successor"


class AccessDayNotOver(SohoaFailure):
    code = "access_day_not_over"
    vi = "Chỉ sao chép nhật ký truy cập của một ngày đã qua (giờ UTC): bản sao bị khoá, không ghi lại được"
    en = "Only a day that is over (UTC) is copied: the copy is locked and cannot be written again"


class AccessCopyDiffers(SohoaFailure):
    code = "access_copy_differs"
    vi = "Bản sao nhật ký truy cập của ngày này trong kho khác với danh mục: nhật ký có thể đã bị sửa"
    en = "The store's copy of this day's access log differs from the catalog: the log may have been altered"


# --- checks of what people type ---


def check_username(value: str) -> str:
    """The canonical name: NFC, lower case, of the allowed characters (the value is never echoed: it may be a
    password typed in the wrong field)."""
    name = unicodedata.normalize("NFC", value or "").strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InvalidUsername()
    return name


def check_role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidRole() from None


def _check_agencies(codes: Iterable[str], role: Role, argument: str = "--agency") -> list[str]:
    checked = sorted({check_agency_code(code, argument) for code in codes})
    if not checked and role is not Role.admin:
        raise AgencyRequired(argument)
    return checked


def _check_password(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPassword()
    return password


def _actor(by: Principal | None) -> tuple[str, str]:
    """Who makes a change: the signed-in principal, else the server account running the command."""
    if by is not None:
        return by.kind.value, by.name
    try:
        return "cli", getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "cli", ""


def _log_change(
    archive: Archive,
    by: Principal | None,
    action: AccessAction,
    records: Iterable[str],
    address: str | None,
    detail: dict | None = None,
) -> None:
    kind, name = _actor(by)
    _append(archive, kind, name, action, records, address, detail)


def _append(
    archive: Archive,
    kind: str,
    name: str,
    action: str | AccessAction,
    records: Iterable[str],
    address: str | None,
    detail: dict | None,
) -> AccessEntry:
    """The one way an entry is written: its action checked against the known ones."""
    return identity.append_access(
        archive.catalog,
        actor_kind=kind,
        actor=name,
        action=AccessAction(action).value,
        records=records,
        address=address,
        detail=detail,
    )


# --- users ---


def add_user(
    archive: Archive,
    username: str,
    role: str | Role,
    agencies: Iterable[str],
    password: str,
    pii: bool = False,
    *,
    by: Principal | None = None,
    address: str | None = None,
) -> UserInfo:
    name = check_username(username)
    checked_role = check_role(role)
    codes = _check_agencies(agencies, checked_role)
    password_hash = _hasher.hash(_check_password(password))
    user = identity.add_user(archive.catalog, name, checked_role, codes, password_hash, pii)
    detail = {"role": checked_role.value, "agencies": codes, "pii": pii}
    _log_change(archive, by, AccessAction.user_add, [name], address, detail)
    return user


def change_password(
    archive: Archive, username: str, password: str, *, by: Principal | None = None, address: str | None = None
) -> None:
    name = check_username(username)
    identity.set_password_hash(archive.catalog, name, _hasher.hash(_check_password(password)))
    _log_change(archive, by, AccessAction.user_passwd, [name], address)


def _set_disabled(
    archive: Archive, username: str, disabled: bool, by: Principal | None, address: str | None
) -> UserInfo:
    name = check_username(username)
    identity.set_disabled(archive.catalog, name, disabled)
    _log_change(archive, by, AccessAction.user_disable if disabled else AccessAction.user_enable, [name], address)
    found = identity.get_user(archive.catalog, name)
    assert found is not None
    return found


def disable_user(
    archive: Archive, username: str, *, by: Principal | None = None, address: str | None = None
) -> UserInfo:
    return _set_disabled(archive, username, True, by, address)


def enable_user(
    archive: Archive, username: str, *, by: Principal | None = None, address: str | None = None
) -> UserInfo:
    return _set_disabled(archive, username, False, by, address)


def update_user(
    archive: Archive,
    username: str,
    role: str | Role,
    agencies: Iterable[str],
    pii: bool,
    *,
    by: Principal | None = None,
    address: str | None = None,
) -> UserInfo:
    """Replace a user's role, agencies and personal-data right (checked as when adding); their next request is
    answered with the new grants (the account is looked up on every request)."""
    name = check_username(username)
    checked_role = check_role(role)
    codes = _check_agencies(agencies, checked_role)
    identity.set_grants(archive.catalog, name, checked_role, codes, pii)
    detail = {"role": checked_role.value, "agencies": codes, "pii": pii}
    _log_change(archive, by, AccessAction.user_update, [name], address, detail)
    found = identity.get_user(archive.catalog, name)
    assert found is not None
    return found


def list_users(archive: Archive) -> list[UserInfo]:
    return identity.list_users(archive.catalog)


def _scope(archive: Archive, granted: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    codes = frozenset(granted)
    return codes, codes | frozenset(identity.predecessors_of(archive.catalog, codes))


def principal_for(archive: Archive, username: str) -> Principal:
    """The signed-in user as a Principal, read afresh (a disabled or removed account is signed out at once)."""
    try:
        name = check_username(username)
    except InvalidUsername:
        raise NotSignedIn() from None
    user = identity.get_user(archive.catalog, name)
    if user is None or user.disabled:
        raise NotSignedIn()
    granted, scope = _scope(archive, user.agencies)
    return Principal(
        kind=PrincipalKind.user, name=user.username, role=user.role, granted=granted, agencies=scope, pii=user.pii
    )


def authenticate(archive: Archive, username: str, password: str, address: str | None) -> Principal:
    """The user, if the password is theirs and the account enabled; else `login_failed`, one message for every
    reason. Both outcomes go to the access log (the reason of a failure in its detail, for the admin only)."""
    try:
        name = check_username(username)
    except InvalidUsername:
        name = None
    stored = identity.password_hash_of(archive.catalog, name) if name else None
    # A password longer than any accepted is wrong: not hashed whole (a megabyte would cost the server, not them).
    candidate = password if isinstance(password, str) and len(password) <= MAX_PASSWORD_LENGTH else ""
    verified = False
    try:
        verified = _hasher.verify(stored or _dummy_hash(), candidate)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        verified = False
    user = identity.get_user(archive.catalog, name) if name and stored else None
    reason = "unknown_user" if user is None else "disabled" if user.disabled else None if verified else "password"
    if reason is not None or user is None:
        identity.append_access(
            archive.catalog,
            actor_kind=PrincipalKind.user.value,
            # Only an existing account is named: an unknown "name" may be a password typed in the wrong field.
            actor=user.username if user is not None else "?",
            action=AccessAction.login_failed.value,
            address=address,
            detail={"reason": reason or "unknown_user"},
        )
        raise LoginFailed()
    if stored and _hasher.check_needs_rehash(stored):
        identity.set_password_hash(archive.catalog, user.username, _hasher.hash(candidate), rehash_only=True)
    identity.append_access(
        archive.catalog,
        actor_kind=PrincipalKind.user.value,
        actor=user.username,
        action=AccessAction.login.value,
        address=address,
    )
    return principal_for(archive, user.username)


# --- API tokens ---


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    archive: Archive,
    name: str,
    role: str | Role,
    agencies: Iterable[str],
    *,
    by: Principal | None = None,
    address: str | None = None,
) -> tuple[str, str]:
    """(token id, token): the token is shown this once; only its sha256 is kept."""
    checked_role = check_role(role)
    if checked_role not in (Role.clerk, Role.archivist):
        raise TokenRoleRefused()
    codes = _check_agencies(agencies, checked_role)
    label = _check_name(name, "NAME")
    token_id = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    identity.add_token(archive.catalog, token_id, label, checked_role, codes, _token_hash(secret))
    detail = {"name": label, "role": checked_role.value, "agencies": codes}
    _log_change(archive, by, AccessAction.token_create, [token_id], address, detail)
    return token_id, secret


def principal_for_token(archive: Archive, secret: str) -> Principal | None:
    """The token's Principal (named by its id), or None: unknown, malformed or revoked."""
    found = _TOKEN.fullmatch(secret or "")
    if found is None:
        return None
    stored = identity.token_hash_of(archive.catalog, found.group(1))
    if stored is None or not hmac.compare_digest(stored, _token_hash(secret)):
        return None
    token = identity.get_token(archive.catalog, found.group(1))
    if token is None or token.revoked_at is not None:
        return None
    granted, scope = _scope(archive, token.agencies)
    return Principal(kind=PrincipalKind.token, name=token.id, role=token.role, granted=granted, agencies=scope)


def revoke_token(
    archive: Archive, token_id: str, *, by: Principal | None = None, address: str | None = None
) -> TokenInfo:
    token = identity.revoke_token(archive.catalog, (token_id or "").strip())
    _log_change(archive, by, AccessAction.token_revoke, [token.id], address)
    return token


def list_tokens(archive: Archive) -> list[TokenInfo]:
    return identity.list_tokens(archive.catalog)


# --- agencies ---


def _check_name(name: str, argument: str) -> str:
    """A token's or an agency's name: NFC, trimmed, printable, not empty, at most 200 characters."""
    cleaned = unicodedata.normalize("NFC", name or "").strip()
    if not cleaned or len(cleaned) > 200 or any(unicodedata.category(char).startswith("C") for char in cleaned):
        raise InvalidName(argument)
    return cleaned


def _optional_date(value: str | date | None, argument: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(check_date(value, argument))


def add_agency(
    archive: Archive,
    code: str,
    name: str,
    parent: str | None = None,
    valid_from: str | date | None = None,
    valid_to: str | date | None = None,
    *,
    by: Principal | None = None,
    address: str | None = None,
) -> AgencyInfo:
    checked = check_agency_code(code, "CODE")
    parent_code = check_agency_code(parent, "--parent") if parent else None
    agency = identity.add_agency(
        archive.catalog,
        checked,
        _check_name(name, "NAME"),
        parent_code,
        _optional_date(valid_from, "--valid-from"),
        _optional_date(valid_to, "--valid-to"),
    )
    _log_change(archive, by, AccessAction.agency_add, [checked], address)
    return agency


def merge_agencies(
    archive: Archive,
    predecessors: Iterable[str],
    successor: str,
    on_date: str | date | None = None,
    *,
    by: Principal | None = None,
    address: str | None = None,
) -> AgencyInfo:
    """`predecessors` merge into `successor` (from `on_date`, today by default): the successor's users and tokens
    see the predecessors' records from now on."""
    olds = sorted({check_agency_code(code, "OLD") for code in predecessors})
    if not olds:
        raise identity.UnknownAgency("OLD")
    new = check_agency_code(successor, "--into")
    day = _optional_date(on_date, "--on") or datetime.now(UTC).date()
    identity.merge_agencies(archive.catalog, olds, new, day)
    _log_change(archive, by, AccessAction.agency_merge, [*olds, new], address, {"into": new, "on": day.isoformat()})
    found = identity.get_agency(archive.catalog, new)
    assert found is not None
    return found


def list_agencies(archive: Archive) -> list[AgencyInfo]:
    return identity.list_agencies(archive.catalog)


AGENCY_COLUMNS = ("code", "name", "parent", "valid_from", "valid_to", "successor")


def import_agencies(
    archive: Archive, csv_path: Path | str, *, by: Principal | None = None, address: str | None = None
) -> dict:
    """Add or update every agency of a CSV (code,name,parent,valid_from,valid_to,successor; successor: one code,
    or several separated by ';'), then the mergers it names. The whole file is checked before anything is
    written; a bad row is named by its line number. Returns {"agencies": n, "mergers": n}."""
    try:
        with open(csv_path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [column.strip().lower() for column in reader.fieldnames or []]
            if not {"code", "name"} <= set(header):
                raise InvalidAgencyFile("header")
            reader.fieldnames = header
            raw_rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InvalidAgencyFile(type(error).__name__) from None
    rows: list[tuple[str, str, str | None, date | None, date | None, list[str]]] = []
    try:
        for line, row in enumerate(raw_rows, start=2):
            where = f"line {line}"
            values = {key: (value or "").strip() for key, value in row.items() if key}
            code = check_agency_code(values.get("code"), f"{where}: code")
            parent = check_agency_code(values["parent"], f"{where}: parent") if values.get("parent") else None
            successors = [
                check_agency_code(item.strip(), f"{where}: successor")
                for item in re.split(r"[;|]", values.get("successor", ""))
                if item.strip()
            ]
            rows.append(
                (
                    code,
                    _check_name(values.get("name", ""), f"{where}: name"),
                    parent,
                    _optional_date(values.get("valid_from"), f"{where}: valid_from"),
                    _optional_date(values.get("valid_to"), f"{where}: valid_to"),
                    successors,
                )
            )
    except (InvalidDate, InvalidName) as failure:
        raise InvalidAgencyFile(failure.detail) from None
    for code, name, parent, valid_from, valid_to, _ in rows:
        identity.add_agency(archive.catalog, code, name, parent, valid_from, valid_to, replace=True)
    mergers = 0
    for code, _, _, _, valid_to, successors in rows:
        for new in successors:
            on = valid_to + timedelta(days=1) if valid_to else datetime.now(UTC).date()
            identity.merge_agencies(archive.catalog, [code], new, on)
            mergers += 1
    _log_change(archive, by, AccessAction.agency_import, [], address, {"agencies": len(rows), "mergers": mergers})
    return {"agencies": len(rows), "mergers": mergers}


# --- the access log ---


def record_access(
    archive: Archive,
    principal: Principal | None,
    action: str | AccessAction,
    records: Iterable[str],
    address: str | None,
    detail: dict | None = None,
) -> AccessEntry:
    """One entry: who (the principal; none: anonymous), from where, what, which records (ids or codes), and the
    detail of it (a search's query text, an export's format). Never a password or token in `detail`."""
    kind, name = (principal.kind.value, principal.name) if principal is not None else ("anonymous", "")
    return _append(archive, kind, name, action, records, address, detail)


def read_access(
    archive: Archive,
    user: str | None = None,
    record: str | None = None,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    **options,
) -> list[AccessEntry]:
    """The log's entries (see catalog.identity.read_access for the filters and paging options)."""
    return identity.read_access(archive.catalog, user, record, since, until, **options)


def verify_access_log(archive: Archive, *, against_copies: bool = False) -> list[AccessLogProblem]:
    """The chain's problems (empty: intact); `against_copies` also compares every day copied to the store with the
    catalog's entries of that day (`copy_differs`): a chain rewritten whole in the catalog shows there."""
    problems = identity.verify_access_log(archive.catalog)
    if not against_copies:
        return problems
    for key in sorted(archive.store.list(ACCESS_LOG_PREFIX)):
        try:
            day = date.fromisoformat(key.rsplit("/", 1)[-1].removesuffix(".jsonl"))
        except ValueError:
            continue  # not a daily copy
        stored = archive.store.get_bytes(key)
        if stored != access_day_bytes(archive, day):
            first = json.loads(stored.split(b"\n", 1)[0]).get("seq", 0) if stored.strip() else 0
            problems.append(AccessLogProblem(seq=first, problem="copy_differs", detail=key))
    return problems


EXPORT_COLUMNS = ("seq", "at", "actor_kind", "actor", "address", "action", "records", "detail", "hash")
EXPORT_HEADERS = {
    "seq": "STT / seq",
    "at": "Thời điểm (UTC) / at",
    "actor_kind": "Loại / kind",
    "actor": "Người dùng / actor",
    "address": "Địa chỉ / address",
    "action": "Thao tác / action",
    "records": "Hồ sơ, tài liệu / records",
    "detail": "Chi tiết / detail",
    "hash": "Mã băm / hash",
}


def _masked(value: object) -> object:
    if isinstance(value, str):
        return mask_citizen_ids(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def masked_entry(entry: AccessEntry) -> AccessEntry:
    """The entry as shown to whoever lacks the personal-data right: citizen IDs in its detail (a logged search's
    query) masked. The chain's hashes are those of the entry as written."""
    return entry.model_copy(update={"detail": _masked(entry.detail)}) if entry.detail else entry


def _export_row(entry: AccessEntry) -> list:
    values = entry.model_dump()
    values["records"] = " ".join(entry.records)
    values["detail"] = json.dumps(entry.detail, ensure_ascii=False, sort_keys=True) if entry.detail else ""
    values["address"] = entry.address or ""
    return [values[column] for column in EXPORT_COLUMNS]


def write_access_export(entries: list[AccessEntry], out: Path, fmt: str | None = None) -> Path:
    """The entries as CSV (UTF-8 with BOM, for spreadsheet programs) or xlsx: `fmt`, else the file's suffix."""
    headers = [EXPORT_HEADERS[column] for column in EXPORT_COLUMNS]
    if (fmt or out.suffix.lower().lstrip(".")) == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Nhật ký truy cập"
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for entry in entries:
            sheet.append(_export_row(entry))
        sheet.freeze_panes = "A2"
        workbook.save(out)
        return out
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(_export_row(entry) for entry in entries)
    return out


def export_access(
    archive: Archive,
    out: Path,
    user: str | None = None,
    record: str | None = None,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    *,
    fmt: str | None = None,
    by: Principal | None = None,
    address: str | None = None,
    pii: bool = True,
) -> int:
    """Write the matching entries to `out` (csv or xlsx: `fmt`, else by the suffix); reading the log is itself
    logged. Without `pii` (an admin lacking the personal-data right) citizen IDs in the details are masked.
    Returns how many."""
    entries = read_access(archive, user, record, since, until)
    if not pii:
        entries = [masked_entry(entry) for entry in entries]
    write_access_export(entries, out, fmt)
    detail = {
        "user": user,
        "record": record,
        "since": str(since or ""),
        "until": str(until or ""),
        "rows": len(entries),
    }
    _log_change(archive, by, AccessAction.accesslog_export, [], address, detail)
    return len(entries)


def access_copy_key(day: date) -> str:
    return f"{ACCESS_LOG_PREFIX}{day:%Y}/{day.isoformat()}.jsonl"


def access_day_bytes(archive: Archive, day: date) -> bytes:
    """A UTC day's entries as JSON lines (one entry each, fields sorted), as the daily copy holds them."""
    lines = [
        json.dumps(entry.model_dump(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        for entry in identity.access_day(archive.catalog, day)
    ]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def copy_access_log(archive: Archive, day: date | None = None) -> dict:
    """Copy one finished UTC day (yesterday by default) of the access log to the store, locked like an original
    (SOHOA_RETENTION, SOHOA_LOCK_MODE). Copying a day again writes nothing when the copy is there with the same
    bytes; a copy with other bytes means the log changed after it was copied (`access_copy_differs`).
    Returns {"day", "key", "entries", "status": "copied" | "already_copied"}."""
    today = datetime.now(UTC).date()
    day = day or today - timedelta(days=1)
    if day >= today:
        raise AccessDayNotOver(day.isoformat())
    key = access_copy_key(day)
    payload = access_day_bytes(archive, day)
    entries = payload.count(b"\n")
    found = archive.store.stat(key)
    if found is not None:
        if found.sha256 != hashlib.sha256(payload).hexdigest():
            raise AccessCopyDiffers(key)
        return {"day": day.isoformat(), "key": key, "entries": entries, "status": "already_copied"}
    lock = lock_for(parse_retention(archive.settings.retention), archive.settings.lock_mode)
    try:
        archive.store.put_bytes(key, payload, content_type="application/x-ndjson", lock=lock)
    except RetentionLocked:  # another process copied other bytes meanwhile
        raise AccessCopyDiffers(key) from None
    return {"day": day.isoformat(), "key": key, "entries": entries, "status": "copied"}


def copy_pending_access_logs(archive: Archive) -> list[dict]:
    """Every finished UTC day since the log began that has no copy in the store yet (a missed daily run is caught
    up), oldest first. Days already copied are not read again."""
    first = identity.read_access(archive.catalog, limit=1)
    if not first:
        return []
    day = datetime.fromisoformat(first[0].at).astimezone(UTC).date()
    copied = set(archive.store.list(ACCESS_LOG_PREFIX))
    outcomes = []
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    while day <= yesterday:
        if access_copy_key(day) not in copied:
            outcomes.append(copy_access_log(archive, day))
        day += timedelta(days=1)
    return outcomes
