"""The one-stop shop's register of dossiers: every dossier it received (code, procedure, channel, received date,
whether a written result is due, the applicant's ID), registered before or after any of its files arrives. It is
the denominator of the digitisation indicators (archive.indicators): a registered dossier with no file counts as
not digitised.

Entries come from a spreadsheet (`sohoa dossiers import FILE.xlsx|csv`, Vietnamese or English headers) or from the
one-stop-shop software (`POST /api/dossiers`). Each entry is checked on its own: a bad one is reported with its row
and a Vietnamese reason, the good ones are registered, and importing the same file again changes nothing. The
agency is the one the (national) dossier code starts with. An entry is kept as the dossier's fields, in the
catalog and in the store's dossier.json (`sohoa reindex` brings it back). The applicant's ID is personal data:
never in a message, a log or a report.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from archive import dossiers, reading
from archive.context import Archive
from archive.upload import (
    APPLICANT_ID,
    PROCEDURE_CODE,
    AgencyNotGranted,
    DossierOfAnotherAgency,
    InvalidApplicantId,
    InvalidProcedureCode,
)
from catalog import views
from schemas import Document, Dossier
from schemas.access import Principal, Role
from schemas.codes import NATIONAL_DOSSIER_CODE, InvalidDate, check_dossier_code
from schemas.failures import SohoaFailure
from schemas.models import Channel
from schemas.text import fold
from storage import layout

REGISTRARS = (Role.clerk, Role.archivist, Role.admin)
REGISTER_FIELDS = ("agency", "procedure_code", "channel", "received_date", "requires_result", "applicant_id")


class DossierCodeWithoutAgency(SohoaFailure):
    code = "dossier_code_without_agency"
    vi = "Mã hồ sơ phải theo Thông tư 01/2018/TT-VPCP (dạng 000.00.00.H33-230607-0001) để biết cơ quan tiếp nhận"
    en = "The dossier code must be a national one (like 000.00.00.H33-230607-0001) naming the receiving agency"


class InvalidChannel(SohoaFailure):
    code = "invalid_channel"
    vi = "Kênh không hợp lệ: 1 (Trực tiếp), 2 (Trực tuyến) hoặc 3 (Bưu chính)"
    en = "Invalid channel: 1 (at the counter), 2 (online) or 3 (by post)"


class InvalidYesNo(SohoaFailure):
    code = "invalid_requires_result"
    vi = "Cột 'Có kết quả' phải là Có/Không (hoặc 1/0, x, để trống nếu chưa rõ)"
    en = "'Requires result' must be yes/no (or 1/0, x; empty when unknown)"


class DuplicateEntry(SohoaFailure):
    code = "duplicate_entry"
    vi = "Mã hồ sơ đã có ở một dòng trước trong cùng tệp"
    en = "The dossier code was already on an earlier row of the same file"


class MissingColumn(SohoaFailure):
    code = "missing_column"
    vi = "Tệp không có cột 'Mã hồ sơ' (dossier code) ở dòng tiêu đề"
    en = "The file has no 'Mã hồ sơ' (dossier code) column in its header row"


class UnreadableRegister(SohoaFailure):
    code = "unreadable_register"
    vi = "Không đọc được tệp danh sách hồ sơ: cần .xlsx hoặc .csv (UTF-8)"
    en = "The dossier list cannot be read: an .xlsx or a UTF-8 .csv is needed"


class EmptyEntry(SohoaFailure):
    code = "invalid_entry"
    vi = "Mỗi hồ sơ là một đối tượng JSON có mã hồ sơ (code)"
    en = "Each dossier is a JSON object with its code"


def _key(header: Any) -> str:
    return " ".join(re.sub(r"[_\-.:/()]+", " ", fold(str(header or ""))).split())


# Header (folded, separators as spaces) -> field. Vietnamese as one-stop-shop exports write them, and English.
HEADERS: dict[str, str] = {
    **dict.fromkeys(["ma ho so", "mahoso", "so ho so", "dossier code", "dossier", "code", "dossierno"], "code"),
    **dict.fromkeys(
        ["ma thu tuc", "mathutuc", "ma tthc", "procedure code", "procedure", "procedurecode"], "procedure_code"
    ),
    **dict.fromkeys(["kenh", "kenh thuc hien", "kenhthuchien", "kenh tiep nhan", "channel"], "channel"),
    **dict.fromkeys(
        ["ngay tiep nhan", "ngaytiepnhan", "ngay nhan", "received date", "received", "receivedate"], "received_date"
    ),
    **dict.fromkeys(
        ["co ket qua", "yeu cau ket qua", "can ket qua", "requires result", "result required", "requiresresult"],
        "requires_result",
    ),
    **dict.fromkeys(
        [
            "so dinh danh",
            "so dinh danh nguoi nop",
            "cccd",
            "so cccd",
            "applicant id",
            "applicantidno",
            "applicant",
        ],
        "applicant_id",
    ),
}
_YES = {"co", "c", "x", "1", "yes", "y", "true", "dung"}
_NO = {"khong", "k", "0", "no", "n", "false", "sai"}
_CHANNELS = {
    "1": Channel.counter,
    "truc tiep": Channel.counter,
    "counter": Channel.counter,
    "direct": Channel.counter,
    "2": Channel.online,
    "truc tuyen": Channel.online,
    "online": Channel.online,
    "3": Channel.post,
    "buu chinh": Channel.post,
    "post": Channel.post,
    "postal": Channel.post,
}


@dataclass
class EntryError:
    row: int  # the spreadsheet's row (the header is row 1), or the entry's position in an API list (from 1)
    column: str
    failure: SohoaFailure

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "code": self.failure.code,
            "vi": self.failure.vi,
            "en": self.failure.en,
        }

    def text(self) -> str:
        return f"Dòng {self.row}, cột {self.column}: {self.failure.vi}"


@dataclass
class RegisterReport:
    registered: list[str] = field(default_factory=list)  # new entries
    updated: list[str] = field(default_factory=list)  # known dossiers whose register fields changed
    unchanged: list[str] = field(default_factory=list)
    errors: list[EntryError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "registered": self.registered,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [error.as_json() for error in self.errors],
        }


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _channel(value: Any) -> Channel | None:
    text = _text(value)
    if text is None:
        return None
    found = _CHANNELS.get(_key(text))
    if found is None:
        raise InvalidChannel()
    return found


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    found = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)  # dd/mm/yyyy, as Vietnamese forms write it
    if found:
        try:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        except ValueError:
            pass
    raise InvalidDate()


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text is None:
        return None
    folded = _key(text)
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise InvalidYesNo()


def _applicant(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if not APPLICANT_ID.fullmatch(text):
        # Never echoed. A number cell loses its leading zeros in Excel: say so, not which number.
        if isinstance(value, int | float):
            raise InvalidApplicantId(
                "ô kiểu số: hãy định dạng cột là văn bản / a number cell: format the column as text"
            )
        raise InvalidApplicantId()
    return text


def _procedure(value: Any) -> str | None:
    text = _text(value)
    if text is not None and not PROCEDURE_CODE.fullmatch(text):
        raise InvalidProcedureCode()
    return text


_PARSERS = {
    "procedure_code": _procedure,
    "channel": _channel,
    "received_date": _day,
    "requires_result": _yes_no,
    "applicant_id": _applicant,
}
COLUMN_NAMES = {
    "code": "Mã hồ sơ",
    "procedure_code": "Mã thủ tục",
    "channel": "Kênh",
    "received_date": "Ngày tiếp nhận",
    "requires_result": "Có kết quả",
    "applicant_id": "Số định danh",
}


def _parse(row: int, values: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[EntryError]]:
    """The register fields of one entry (keys already mapped to fields), or its errors."""
    errors = []
    try:
        code = check_dossier_code(_text(values.get("code")), COLUMN_NAMES["code"])
        if not NATIONAL_DOSSIER_CODE.fullmatch(code):
            raise DossierCodeWithoutAgency()
    except SohoaFailure as failure:
        errors.append(EntryError(row, COLUMN_NAMES["code"], failure))
        code = None
    parsed: dict[str, Any] = {"code": code, "agency": code[:13] if code else None}
    for name, parse in _PARSERS.items():
        try:
            parsed[name] = parse(values.get(name))
        except SohoaFailure as failure:
            errors.append(EntryError(row, COLUMN_NAMES[name], failure))
    return (None, errors) if errors else (parsed, [])


def map_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """An entry's keys (headers or JSON names, Vietnamese or English) as register fields; others are dropped."""
    mapped: dict[str, Any] = {}
    for name, value in values.items():
        target = HEADERS.get(_key(name)) or (name if name in _PARSERS or name == "code" else None)
        if target is not None and target not in mapped:
            mapped[target] = value
    return mapped


def _check_caller(archive: Archive, principal: Principal | None, entry: dict[str, Any]) -> None:
    agency, code = entry["agency"], entry["code"]
    if principal is not None and agency not in principal.granted:
        raise AgencyNotGranted(agency)
    # A dossier that already holds another agency's documents is not this agency's to register.
    held = views.dossier_documents(archive.catalog.engine, code, None)
    if any(document.agency not in (None, agency) for document in held):
        raise DossierOfAnotherAgency(code)


def _store_key(documents: list[Document], dossier: Dossier) -> str:
    if documents:
        return dossiers.dossier_key(documents, dossier)
    year = (dossier.received_date or datetime.now(UTC).date()).year
    return f"{layout.safe_segment(dossier.agency)}/{year}/{layout.safe_segment(dossier.code)}/{layout.DOSSIER_NAME}"


def _register_one(archive: Archive, entry: dict[str, Any]) -> str:
    """Write one checked entry; 'registered', 'updated' or 'unchanged'. Fields left empty keep what was known."""
    code = entry["code"]
    current = archive.catalog.get_dossier(code)
    base = current or Dossier(code=code)
    given = {name: entry[name] for name in REGISTER_FIELDS if entry.get(name) is not None}
    if current is not None and current.registered_at is not None:
        if all(getattr(current, name) == value for name, value in given.items()):
            return "unchanged"
    now = datetime.now(UTC)
    updated = base.model_copy(update={**given, "registered_at": base.registered_at or now, "updated_at": now})
    documents = archive.catalog.dossier_documents(code)
    updated = dossiers.derive(Dossier.model_validate(json.loads(updated.model_dump_json())), documents)
    payload = json.dumps(json.loads(updated.model_dump_json()), ensure_ascii=False, indent=2).encode("utf-8")
    archive.store.put_bytes(_store_key(documents, updated), payload, content_type="application/json")
    archive.catalog.record_dossier(updated)
    return "registered" if current is None or current.registered_at is None else "updated"


def _log(archive: Archive, principal: Principal | None, report: RegisterReport, address: str) -> None:
    codes = report.registered + report.updated
    if not codes:
        return
    detail = {"what": "registry", "registered": len(report.registered), "updated": len(report.updated)}
    if principal is not None:
        reading._log(archive, principal, "update", codes, address, **detail)
    else:
        from archive.access import _log_change
        from schemas.access import AccessAction

        _log_change(archive, None, AccessAction.update, codes, address or None, detail)


def register(
    archive: Archive,
    principal: Principal | None,
    entries: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    address: str = "",
    refuse_other_agencies: bool = False,
) -> RegisterReport:
    """Register (row, entry) pairs; each bad one is reported with its row, the good ones kept. `principal` None is
    a command on the server (any agency). With `refuse_other_agencies`, one entry for an agency the caller was not
    granted refuses the whole request (agency_not_granted) before anything is written."""
    if principal is not None:
        reading._require(principal, REGISTRARS)
    report = RegisterReport()
    checked: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for row, values in entries:
        if not isinstance(values, Mapping):
            report.errors.append(EntryError(row, COLUMN_NAMES["code"], EmptyEntry()))
            continue
        parsed, errors = _parse(row, map_fields(values))
        report.errors += errors
        if parsed is None:
            continue
        if parsed["code"] in seen:
            report.errors.append(EntryError(row, COLUMN_NAMES["code"], DuplicateEntry(f"{seen[parsed['code']]}")))
            continue
        seen[parsed["code"]] = row
        if refuse_other_agencies and principal is not None and parsed["agency"] not in principal.granted:
            raise AgencyNotGranted(parsed["agency"])
        checked.append((row, parsed))
    for row, parsed in checked:
        try:
            _check_caller(archive, principal, parsed)
            outcome = _register_one(archive, parsed)
        except (AgencyNotGranted, DossierOfAnotherAgency) as failure:
            report.errors.append(EntryError(row, COLUMN_NAMES["code"], failure))
            continue
        getattr(report, outcome).append(parsed["code"])
    _log(archive, principal, report, address)
    return report


# ---------------------------------------------------------------- files


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {field: cell}) of a register spreadsheet (.xlsx, first sheet) or .csv (UTF-8, ',' or ';'),
    after its header row (the first row that names a dossier code column). Empty rows are skipped."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
            finally:
                book.close()
        elif suffix == ".csv":
            text = path.read_bytes().decode("utf-8-sig")
            first_line = text.split("\n", 1)[0]
            delimiter = max((",", ";", "\t"), key=first_line.count)  # Excel in Vietnamese locales writes ';'
            rows = [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
        else:
            raise UnreadableRegister(suffix or "?")
    except SohoaFailure:
        raise
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError, IndexError) as error:
        raise UnreadableRegister(type(error).__name__) from None
    except Exception as error:  # openpyxl's own errors on a damaged or disguised file
        raise UnreadableRegister(type(error).__name__) from None
    for position, header in enumerate(rows):
        fields = [HEADERS.get(_key(cell)) for cell in header]
        if "code" in fields:
            found = []
            for number, row in enumerate(rows[position + 1 :], start=position + 2):
                if not any(_text(cell) for cell in row):
                    continue
                values = {}
                for name, cell in zip(fields, row, strict=False):
                    if name is not None and name not in values:
                        values[name] = cell
                found.append((number, values))
            return found
    raise MissingColumn()


def import_file(
    archive: Archive, path: Path, principal: Principal | None = None, *, address: str = ""
) -> RegisterReport:
    """`sohoa dossiers import FILE`: every row registered or reported."""
    return register(archive, principal, read_rows(path), address=address)
