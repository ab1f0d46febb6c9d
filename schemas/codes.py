"""Checks of the codes and values people type (the CLI today, the web API later): agency and dossier codes, the
retention period and dates of a dossier. Pure functions; each bad value ends as a named failure that says the
expected format, never as a raw ValueError from deep inside the store.

A code becomes a folder name in the store and a key in the catalog, so a free dossier code must be safe there:
non-empty, at most 64 characters (the catalog column), no path separators, not starting with '.', no '..' and no
control characters. Failure messages name the argument, not the value typed (it may hold a person's name).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from pydantic import ValidationError

from schemas.failures import SohoaFailure

# Mã định danh cơ quan: 13 characters, e.g. 000.00.00.H30 (UBND tỉnh Hậu Giang), 000.00.04.G14.
AGENCY_CODE_PATTERN = r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Za-z][0-9]{2}"  # ASCII digits: \d takes any script's
AGENCY_CODE = re.compile(AGENCY_CODE_PATTERN)
# Thông tư 01/2018/TT-VPCP, Điều 19: <agency code>-<YYMMDD received>-<4-digit sequence of the day>.
NATIONAL_DOSSIER_CODE = re.compile(rf"{AGENCY_CODE_PATTERN}-[0-9]{{6}}-[0-9]{{4}}")
MAX_CODE_LENGTH = 64  # catalog.records: String(64)
# The store names a dossier's folder after its code, keeping only these characters (storage.layout.safe_segment
# turns each run of others into '-' and trims the dashes); the name left must not be hidden.
_FOLDER_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

AGENCY_FORMAT = "000.00.00.H33"


class InvalidAgencyCode(SohoaFailure):
    code = "invalid_agency_code"
    vi = f"Mã cơ quan không hợp lệ: cần 13 ký tự dạng {AGENCY_FORMAT}"
    en = f"Invalid agency code: expected 13 characters like {AGENCY_FORMAT}"


class InvalidDossierCode(SohoaFailure):
    code = "invalid_dossier_code"
    vi = (
        f"Mã hồ sơ không hợp lệ: dạng {AGENCY_FORMAT}-230607-0001 hoặc mã tự do 1-{MAX_CODE_LENGTH} ký tự, "
        "không có '/', '\\', '..', ký tự điều khiển, không bắt đầu bằng '.'"
    )
    en = (
        f"Invalid dossier code: expected {AGENCY_FORMAT}-230607-0001 or a free code of 1-{MAX_CODE_LENGTH} "
        "characters without '/', '\\', '..' or control characters, not starting with '.'"
    )


class DossierNotFound(SohoaFailure):
    code = "dossier_not_found"
    vi = "Không có hồ sơ này trong danh mục"
    en = "No such dossier in the catalog"


class InvalidMaintenance(SohoaFailure):
    code = "invalid_maintenance"
    vi = "Thời hạn bảo quản không hợp lệ: 'Vĩnh viễn' (vinh-vien) hoặc một số năm, ví dụ 10 hoặc '10 năm'"
    en = "Invalid retention period: 'Vĩnh viễn' (vinh-vien, permanent) or a number of years, e.g. 10 or '10 năm'"


class InvalidDate(SohoaFailure):
    code = "invalid_date"
    vi = "Ngày không hợp lệ: cần dạng YYYY-MM-DD, ví dụ 2023-06-07"
    en = "Invalid date: expected YYYY-MM-DD, e.g. 2023-06-07"


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char).startswith("C") for char in value)


def check_agency_code(value: str | None, argument: str = "--agency") -> str:
    """The agency code in its canonical form (upper case, as the inbox reads folder names)."""
    if value is None or not AGENCY_CODE.fullmatch(value):
        raise InvalidAgencyCode(argument)
    return value.upper()


def dossier_code_problem(value: str | None) -> str | None:
    """Why `value` cannot be a dossier code (in English, without the value), or None if it can."""
    if value is None or not value.strip():
        return "empty"
    if value != value.strip():
        return "leading or trailing spaces"
    if len(value) > MAX_CODE_LENGTH:
        return f"longer than {MAX_CODE_LENGTH} characters"
    if "/" in value or "\\" in value:
        return "contains a path separator"
    if value.startswith("."):
        return "starts with '.'"
    if ".." in value:
        return "contains '..'"
    if _has_control_characters(value):
        return "contains control characters"
    if not re.search(r"[A-Za-z0-9]", value):
        return "has no letter A-Z or digit"
    if _FOLDER_UNSAFE.sub("-", value).strip("-").startswith("."):
        return "its folder name in the store would start with '.'"
    return None


def check_dossier_code(value: str | None, argument: str = "--dossier") -> str:
    """The dossier code, a national one in upper case (as the inbox reads it), a free one as typed."""
    problem = dossier_code_problem(value)
    if problem or value is None:
        raise InvalidDossierCode(f"{argument}: {problem}")
    return value.upper() if NATIONAL_DOSSIER_CODE.fullmatch(value) else value


def check_maintenance(value: str, argument: str = "--maintenance") -> str:
    """Thời hạn bảo quản as Nghị định 30/2020 writes it: "Vĩnh viễn" or "10 năm"."""
    from schemas.models import Retention

    try:
        return Retention.model_validate(value).label
    except (ValidationError, ValueError):
        raise InvalidMaintenance(argument) from None


def check_date(value: str, argument: str) -> str:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise InvalidDate(argument) from None
