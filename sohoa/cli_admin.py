"""`sohoa user`, `sohoa token`, `sohoa agency` and `sohoa accesslog`: accounts, API tokens, the agency registry and
the access log, for the admin at the server's shell. A password is read from stdin (`--password-stdin`) or typed at
a prompt, never from the command line (other users of the machine see argv); a token is printed once."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from schemas.codes import check_date
from schemas.failures import SohoaFailure
from sohoa.app import JsonOption, app, emit, fail, in_archive

user_app = typer.Typer(no_args_is_help=True, help="Tài khoản người dùng / user accounts.")
token_app = typer.Typer(no_args_is_help=True, help="Mã truy cập API cho hệ thống khác / API tokens for systems.")
agency_app = typer.Typer(no_args_is_help=True, help="Danh mục cơ quan, sáp nhập / the agency registry, mergers.")
accesslog_app = typer.Typer(no_args_is_help=True, help="Nhật ký truy cập / the access log.")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(agency_app, name="agency")
app.add_typer(accesslog_app, name="accesslog")

RoleOption = typer.Option(..., "--role", help="clerk (văn thư) | archivist (lưu trữ viên) | admin (quản trị).")
AgencyOption = typer.Option([], "--agency", help="Mã cơ quan được cấp, lặp lại được / granted agency code (repeat).")
PasswordStdinOption = typer.Option(
    False, "--password-stdin", help="Đọc mật khẩu từ stdin / read the password from stdin (never from argv)."
)


class PasswordNeeded(SohoaFailure):
    code = "password_needed"
    vi = "Cần mật khẩu: dùng --password-stdin (đọc từ stdin) hoặc chạy trong terminal để nhập"
    en = "A password is needed: use --password-stdin (read from stdin) or run in a terminal to type it"


class PasswordsDiffer(SohoaFailure):
    code = "passwords_differ"
    vi = "Hai lần nhập mật khẩu không khớp"
    en = "The two passwords typed differ"


class UnknownExportFormat(SohoaFailure):
    code = "unknown_export_format"
    vi = "Tệp xuất phải có đuôi .csv hoặc .xlsx"
    en = "The export file must end in .csv or .xlsx"


def _read_password(from_stdin: bool) -> str:
    """The password from stdin (its first line, without the line end), or typed twice at a terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise PasswordNeeded()
    import getpass

    first = getpass.getpass("Mật khẩu / password: ")
    if getpass.getpass("Nhập lại / again: ") != first:
        raise PasswordsDiffer()
    return first


def _day(value: Optional[str], argument: str) -> date | None:
    return date.fromisoformat(check_date(value, argument)) if value else None


def _user_payload(user) -> dict:
    return user.model_dump(mode="json")


# --- sohoa user ---


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="Tên đăng nhập / username."),
    role: str = RoleOption,
    agencies: list[str] = AgencyOption,
    pii: bool = typer.Option(False, "--pii", help="Được xem số CCCD/CMND đầy đủ / may see citizen ID numbers."),
    password_stdin: bool = PasswordStdinOption,
    as_json: bool = JsonOption,
) -> None:
    """Tạo tài khoản / add a user."""
    from archive import Archive
    from archive.access import add_user

    try:
        password = _read_password(password_stdin)
        with Archive.open() as archive:
            user = add_user(archive, name, role, agencies, password, pii)
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit(_user_payload(user))
    granted = ", ".join(user.agencies) or "-"
    typer.echo(f"Đã tạo tài khoản / user added: {user.username} ({user.role.value}; {granted})", err=True)


@user_app.command("passwd")
def user_passwd(
    name: str = typer.Argument(..., help="Tên đăng nhập / username."),
    password_stdin: bool = PasswordStdinOption,
    as_json: bool = JsonOption,
) -> None:
    """Đổi mật khẩu / set a user's password."""
    from archive import Archive
    from archive.access import change_password

    try:
        password = _read_password(password_stdin)
        with Archive.open() as archive:
            change_password(archive, name, password)
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit({"username": name.strip().lower(), "password_changed": True})
    typer.echo("Đã đổi mật khẩu / password changed", err=True)


@user_app.command("disable")
def user_disable(
    name: str = typer.Argument(..., help="Tên đăng nhập / username."),
    as_json: bool = JsonOption,
) -> None:
    """Khoá tài khoản (phiên đang mở cũng hết hiệu lực) / disable a user (open sessions end too)."""
    from archive.access import disable_user

    user = in_archive(lambda archive: disable_user(archive, name), as_json)
    if as_json:
        emit(_user_payload(user))
    typer.echo(f"Đã khoá tài khoản / user disabled: {user.username}", err=True)


@user_app.command("enable")
def user_enable(
    name: str = typer.Argument(..., help="Tên đăng nhập / username."),
    as_json: bool = JsonOption,
) -> None:
    """Mở khoá tài khoản / enable a disabled user."""
    from archive.access import enable_user

    user = in_archive(lambda archive: enable_user(archive, name), as_json)
    if as_json:
        emit(_user_payload(user))
    typer.echo(f"Đã mở khoá tài khoản / user enabled: {user.username}", err=True)


@user_app.command("grant")
def user_grant(
    name: str = typer.Argument(..., help="Tên đăng nhập / username."),
    role: str = RoleOption,
    agencies: list[str] = AgencyOption,
    pii: bool = typer.Option(False, "--pii", help="Được xem số CCCD/CMND đầy đủ / may see citizen ID numbers."),
    as_json: bool = JsonOption,
) -> None:
    """Đặt lại vai trò, cơ quan, quyền xem dữ liệu cá nhân / replace a user's role, agencies and personal-data right."""
    from archive.access import update_user

    user = in_archive(lambda archive: update_user(archive, name, role, agencies, pii), as_json)
    if as_json:
        emit(_user_payload(user))
    granted = ", ".join(user.agencies) or "-"
    typer.echo(f"Đã đặt quyền / rights set: {user.username} ({user.role.value}; {granted})", err=True)


@user_app.command("list")
def user_list(as_json: bool = JsonOption) -> None:
    """Danh sách tài khoản / list users."""
    from archive.access import list_users

    found = in_archive(list_users, as_json)
    if as_json:
        emit({"users": [_user_payload(user) for user in found]})
        return
    for user in found:
        state = "khoá / disabled" if user.disabled else "hoạt động / active"
        flags = " pii" if user.pii else ""
        typer.echo(f"{user.username:24} {user.role.value:10} {state:20} {', '.join(user.agencies) or '-'}{flags}")
    typer.echo(f"{len(found)} tài khoản / users", err=True)


# --- sohoa token ---


@token_app.command("create")
def token_create(
    name: str = typer.Argument(..., help="Tên hệ thống dùng mã / the system's name (e.g. OpenCPS)."),
    role: str = typer.Option(..., "--role", help="clerk | archivist."),
    agencies: list[str] = AgencyOption,
    as_json: bool = JsonOption,
) -> None:
    """Tạo mã truy cập API; mã chỉ hiện một lần / create an API token, printed once."""
    from archive.access import create_token

    token_id, secret = in_archive(lambda archive: create_token(archive, name, role, agencies), as_json)
    if as_json:
        emit({"id": token_id, "token": secret})
    else:
        typer.echo(secret)
    typer.echo(
        f"Mã {token_id}: chỉ hiện một lần, hãy lưu lại ngay / token {token_id}: shown once, keep it now "
        "(Authorization: Bearer TOKEN)",
        err=True,
    )


@token_app.command("revoke")
def token_revoke(
    token_id: str = typer.Argument(..., metavar="ID", help="Mã số của token / the token's id."),
    as_json: bool = JsonOption,
) -> None:
    """Thu hồi mã truy cập / revoke an API token."""
    from archive.access import revoke_token

    token = in_archive(lambda archive: revoke_token(archive, token_id), as_json)
    if as_json:
        emit(token.model_dump(mode="json"))
    typer.echo(f"Đã thu hồi / revoked: {token.id}", err=True)


@token_app.command("list")
def token_list(as_json: bool = JsonOption) -> None:
    """Danh sách mã truy cập (không hiện mã) / list API tokens (never the tokens themselves)."""
    from archive.access import list_tokens

    found = in_archive(list_tokens, as_json)
    if as_json:
        emit({"tokens": [token.model_dump(mode="json") for token in found]})
        return
    for token in found:
        state = f"thu hồi / revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "hoạt động / active"
        typer.echo(f"{token.id}  {token.name:24} {token.role.value:10} {state:28} {', '.join(token.agencies)}")
    typer.echo(f"{len(found)} mã / tokens", err=True)


# --- sohoa agency ---


@agency_app.command("add")
def agency_add(
    code: str = typer.Argument(..., help="Mã cơ quan (13 ký tự) / agency code, e.g. 000.00.00.H33."),
    name: str = typer.Argument(..., help="Tên cơ quan / the agency's name."),
    parent: Optional[str] = typer.Option(None, "--parent", help="Mã cơ quan cấp trên / parent agency code."),
    valid_from: Optional[str] = typer.Option(None, "--valid-from", help="Hiệu lực từ ngày / valid from (YYYY-MM-DD)."),
    as_json: bool = JsonOption,
) -> None:
    """Thêm cơ quan vào danh mục / add an agency to the registry."""
    from archive.access import add_agency

    agency = in_archive(lambda archive: add_agency(archive, code, name, parent, valid_from), as_json)
    if as_json:
        emit(agency.model_dump(mode="json"))
    typer.echo(f"Đã thêm cơ quan / agency added: {agency.code} {agency.name}", err=True)


@agency_app.command("merge")
def agency_merge(
    olds: list[str] = typer.Argument(..., metavar="OLD...", help="Mã các cơ quan bị sáp nhập / merged agencies."),
    into: str = typer.Option(..., "--into", help="Mã cơ quan tiếp nhận / the successor agency."),
    on: Optional[str] = typer.Option(None, "--on", help="Ngày sáp nhập (mặc định hôm nay) / date (default today)."),
    as_json: bool = JsonOption,
) -> None:
    """Sáp nhập cơ quan: cơ quan tiếp nhận thấy hồ sơ của cơ quan cũ / merge agencies: the successor sees their
    records (which keep the code they were filed under)."""
    from archive.access import merge_agencies

    agency = in_archive(lambda archive: merge_agencies(archive, olds, into, on), as_json)
    if as_json:
        emit(agency.model_dump(mode="json"))
    typer.echo(f"Đã sáp nhập / merged {', '.join(sorted(olds))} -> {agency.code}", err=True)


@agency_app.command("list")
def agency_list(as_json: bool = JsonOption) -> None:
    """Danh mục cơ quan / list the agency registry."""
    from archive.access import list_agencies

    found = in_archive(list_agencies, as_json)
    if as_json:
        emit({"agencies": [agency.model_dump(mode="json") for agency in found]})
        return
    for agency in found:
        until = f" -> {', '.join(agency.successors)}" if agency.successors else ""
        ended = f" (đến / until {agency.valid_to})" if agency.valid_to else ""
        typer.echo(f"{agency.code}  {agency.name}{ended}{until}")
    typer.echo(f"{len(found)} cơ quan / agencies", err=True)


@agency_app.command("import")
def agency_import(
    file: Path = typer.Argument(..., help="CSV: code,name,parent,valid_from,valid_to,successor."),
    as_json: bool = JsonOption,
) -> None:
    """Nhập danh mục cơ quan từ CSV (thêm hoặc cập nhật) / import agencies from CSV (add or update)."""
    from archive.access import import_agencies

    outcome = in_archive(lambda archive: import_agencies(archive, file), as_json)
    if as_json:
        emit(outcome)
    typer.echo(
        f"Đã nhập {outcome['agencies']} cơ quan, {outcome['mergers']} sáp nhập / "
        f"{outcome['agencies']} agencies, {outcome['mergers']} mergers imported",
        err=True,
    )


# --- sohoa accesslog ---


@accesslog_app.command("verify")
def accesslog_verify(
    copies: bool = typer.Option(
        False,
        "--copies",
        help="So cả với bản sao hằng ngày trong kho / also compare with the daily copies in the store.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Kiểm tra chuỗi băm của nhật ký; exit 1 nếu bị sửa hoặc xoá / check the hash chain; exit 1 if tampered."""
    from archive import Archive
    from archive.access import verify_access_log
    from catalog.identity import count_entries

    try:
        with Archive.open() as archive:
            problems = verify_access_log(archive, against_copies=copies)
            entries = count_entries(archive.catalog)
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit({"ok": not problems, "entries": entries, "problems": [problem.model_dump() for problem in problems]})
    else:
        for problem in problems:
            typer.echo(f"{problem.problem:14} seq {problem.seq}: {problem.detail}")
    if problems:
        typer.echo(
            f"Nhật ký truy cập bị sửa hoặc xoá: {len(problems)} vấn đề / the access log was altered: "
            f"{len(problems)} problems ({entries} entries)",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"Nhật ký truy cập nguyên vẹn / the access log is intact: {entries} entries", err=True)


@accesslog_app.command("export")
def accesslog_export(
    out: Path = typer.Option(..., "--out", help="Tệp .csv hoặc .xlsx / a .csv or .xlsx file."),
    user: Optional[str] = typer.Option(None, "--user", help="Người dùng hoặc mã token / a username or token id."),
    record: Optional[str] = typer.Option(None, "--record", help="Mã tài liệu hoặc hồ sơ / a document id or code."),
    since: Optional[str] = typer.Option(None, "--since", help="Từ ngày (UTC) / from this day (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", help="Đến hết ngày (UTC) / to the end of this day."),
    force: bool = typer.Option(False, "--force", help="Ghi đè tệp --out đã có / overwrite an existing --out file."),
    as_json: bool = JsonOption,
) -> None:
    """Xuất nhật ký truy cập (CSV/xlsx) theo người dùng, hồ sơ, ngày / export the access log by user, record, date."""
    from archive import Archive
    from archive.access import export_access
    from sohoa.cli_classify import _check_export_target, _write_replacing

    try:
        if out.suffix.lower() not in (".csv", ".xlsx"):
            raise UnknownExportFormat("--out")
        start, end = _day(since, "--since"), _day(until, "--until")
        target = _check_export_target(out, force)
        fmt = out.suffix.lower().lstrip(".")
        rows: list[int] = []
        with Archive.open() as archive:
            # Written beside the target, then renamed over it: never a half-written export.
            _write_replacing(
                target, lambda path: rows.append(export_access(archive, path, user, record, start, end, fmt=fmt))
            )
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit({"out": str(target), "entries": rows[0]})
    typer.echo(f"Đã xuất {rows[0]} mục vào / exported {rows[0]} entries to {target}", err=True)


@accesslog_app.command("copy")
def accesslog_copy(
    day: Optional[str] = typer.Option(
        None,
        "--day",
        help="Một ngày (UTC); mặc định mọi ngày đã qua chưa sao / one UTC day; default every day not yet copied.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Sao nhật ký vào kho, có khoá như bản gốc (chạy hằng ngày) / copy the access log to the store, locked like
    originals (run daily): each finished UTC day once."""
    from archive import Archive
    from archive.access import copy_access_log, copy_pending_access_logs

    try:
        wanted = _day(day, "--day")
        with Archive.open() as archive:
            outcomes = [copy_access_log(archive, wanted)] if wanted else copy_pending_access_logs(archive)
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit({"copies": outcomes})
    for outcome in outcomes:
        state = "đã sao / copied" if outcome["status"] == "copied" else "đã có sẵn / already copied"
        typer.echo(f"{outcome['day']}: {outcome['entries']} mục / entries, {state}: {outcome['key']}", err=True)
    if not outcomes:
        typer.echo("Không có ngày nào cần sao / no day to copy", err=True)
