"""The national digitisation indicators of Quyết định 766/QĐ-TTg, group 4 "Số hoá hồ sơ", per agency, per procedure
and in total, per month or quarter, from the one-stop shop's register (archive.registry) and what is archived:

- 4.1 (6 points) kết quả điện tử: dossiers that require a written result and whose result document (a document
  of role `result`) is archived / all dossiers that require a written result. A dossier whose need of a result is
  unknown (not registered, or registered without the column) is taken as NOT requiring one: it is in neither side
  of 4.1.
- 4.2 (4 points) số hoá hồ sơ: dossiers with at least one archived component (role `component`) AND, if a result
  is required, an archived result / all dossiers. A registered dossier with no file is not digitised.
- 4.3 (2 points) tái sử dụng: dossiers received in the period with at least one component reused (the same bytes,
  or the number and notation of a result, already archived in an earlier dossier of the same applicant) /
  dossiers received in the period. A dossier without a received date is left out of 4.3.

A dossier is every registered one and every one known from archived files only. It counts in the period of its
received date (as registered, else the day in its national code), else of its first file's arrival; 4.3 only by
its received date. Points: a rate of 80 % or more earns the full points, below it rate × points / 80 %, two
decimals; an empty denominator is N/A (None). Every figure is narrowed to the caller's agencies in the queries
(catalog.indicators).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from archive import reading
from archive.context import Archive
from catalog import indicators as facts_of
from catalog import views
from schemas.access import Principal
from schemas.codes import check_agency_code
from schemas.failures import SohoaFailure
from schemas.models import DocumentRole

# code, maximum points, Vietnamese and English names
INDICATORS = (
    ("4.1", 6, "Tỷ lệ hồ sơ có kết quả điện tử", "Dossiers with an electronic result"),
    ("4.2", 4, "Tỷ lệ hồ sơ được số hoá", "Dossiers digitised"),
    ("4.3", 2, "Tỷ lệ hồ sơ tái sử dụng dữ liệu số hoá", "Dossiers reusing digitised data"),
)
FULL_RATE = Fraction(4, 5)  # 80 %
ALL = "all"  # the key of the whole selection, beside the periods
REUSE_BY_CODES = 5000  # up to this many candidate dossiers, reuse is looked up by their codes
LEVEL_NAMES = {"total": "Tổng", "agency": "Cơ quan", "procedure": "Thủ tục"}


class InvalidPeriod(SohoaFailure):
    code = "invalid_period"
    vi = "Kỳ thống kê là month (tháng) hoặc quarter (quý); năm là số 4 chữ số"
    en = "The period is month or quarter; the year has four digits"


def period_of(day: date | None, period: str) -> str | None:
    """`2024-03` (month) or `2024-Q1` (quarter)."""
    if day is None:
        return None
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def figure(numerator: int, denominator: int, max_points: int) -> dict[str, Any]:
    """{numerator, denominator, percent (two decimals), points (two decimals)}; N/A (None) when nothing counts."""
    if denominator == 0:
        return {"numerator": numerator, "denominator": 0, "percent": None, "points": None}
    rate = Fraction(numerator, denominator)
    points = Fraction(max_points) if rate >= FULL_RATE else rate * max_points / FULL_RATE
    return {
        "numerator": numerator,
        "denominator": denominator,
        "percent": float(_two_decimals(rate * 100)),
        "points": float(_two_decimals(points)),
    }


def _two_decimals(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class _Counts:
    __slots__ = ("d41", "n41", "d42", "n42", "d43", "n43")

    def __init__(self):
        self.d41 = self.n41 = self.d42 = self.n42 = self.d43 = self.n43 = 0

    def figures(self) -> dict[str, dict[str, Any]]:
        pairs = {"4.1": (self.n41, self.d41), "4.2": (self.n42, self.d42), "4.3": (self.n43, self.d43)}
        return {code: figure(*pairs[code], points) for code, points, _, _ in INDICATORS}


def _scope(archive: Archive, principal: Principal | None, agency: str | None) -> frozenset[str] | None:
    scope = principal.agencies if principal is not None else None
    if agency:
        from catalog.identity import predecessors_of

        agency = check_agency_code(agency, "agency")
        wanted = {agency} | predecessors_of(archive.catalog, [agency])  # today's agency and those merged into it
        scope = frozenset(wanted if scope is None else scope & wanted)
    return scope


def indicators(
    archive: Archive,
    principal: Principal | None,
    *,
    period: str = "month",
    year: int | None = None,
    agency: str | None = None,
    procedure: str | None = None,
    address: str = "",
) -> dict[str, Any]:
    """Indicators 4.1, 4.2 and 4.3 of the dossiers in the caller's scope (`principal` None: a command on the server,
    every agency), per period (`month` or `quarter`, of `year` if given), narrowed to `agency` (with the agencies
    merged into it) and `procedure` if given. The shape is described in README ("Chỉ tiêu số hoá"):

    {"period", "year", "agency", "procedure", "generated_at",
     "indicators": [{"code", "max_points", "vi", "en"}],
     "periods": ["2024-01", ...],
     "dossiers": N,
     "total": {period or "all": {"4.1": figure, "4.2": figure, "4.3": figure}},
     "by_agency": {agency: {period or "all": {...}}},
     "by_procedure": {procedure code ("" unknown): {period or "all": {...}}},
     "agency_names": {agency: name}}
    with figure = {"numerator", "denominator", "percent", "points"} (percent and points None: N/A)."""
    if principal is not None:
        reading._require(principal, reading.READERS)
    if period not in ("month", "quarter") or (year is not None and not 1900 <= year <= 9999):
        raise InvalidPeriod(f"{period} {year or ''}".strip())
    scope = _scope(archive, principal, agency)
    engine = archive.catalog.engine
    dossiers = facts_of.dossier_facts(engine, scope, procedure=procedure)
    # Only dossiers that may reuse (an applicant, a component); over all at once when they are many.
    candidates = [item.code for item in dossiers if item.applicant and item.has_component]
    wanted = candidates if len(candidates) <= REUSE_BY_CODES else None
    reusing = {found.dossier for found in facts_of.reused_documents(engine, wanted).values()}
    counts: dict[tuple[str, str, str], _Counts] = defaultdict(_Counts)
    periods: set[str] = set()
    counted = 0
    for item in dossiers:
        groups = (("total", ""), ("agency", item.agency or ""), ("procedure", item.procedure or ""))
        day = item.day
        key = period_of(day, period)
        if key is not None and day is not None and (year is None or day.year == year):
            counted += 1
            periods.add(key)
            for level, group in groups:
                for slot in (key, ALL):
                    tally = counts[(level, group, slot)]
                    tally.d42 += 1
                    result_due = item.requires_result is True
                    if result_due:
                        tally.d41 += 1
                        tally.n41 += item.has_result
                    tally.n42 += item.has_component and (not result_due or item.has_result)
        received = item.received_date
        key = period_of(received, period)
        if key is not None and received is not None and (year is None or received.year == year):
            periods.add(key)
            for level, group in groups:
                for slot in (key, ALL):
                    tally = counts[(level, group, slot)]
                    tally.d43 += 1
                    tally.n43 += item.code in reusing
    tables: dict[str, dict[str, dict[str, Any]]] = {"total": {}, "agency": {}, "procedure": {}}
    for (level, group, slot), tally in sorted(counts.items()):
        target = tables[level] if level == "total" else tables[level].setdefault(group, {})
        target[slot] = tally.figures()
    if not tables["total"]:
        tables["total"][ALL] = _Counts().figures()
    data = {
        "period": period,
        "year": year,
        "agency": agency,
        "procedure": procedure,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "indicators": [{"code": code, "max_points": points, "vi": vi, "en": en} for code, points, vi, en in INDICATORS],
        "periods": sorted(periods),
        "dossiers": counted,
        "total": tables["total"],
        "by_agency": tables["agency"],
        "by_procedure": tables["procedure"],
        "agency_names": _agency_names(archive, tables["agency"]),
    }
    if principal is not None:
        reading._log(archive, principal, "view", [], address, what="indicators", period=period)
    return data


def _agency_names(archive: Archive, codes) -> dict[str, str]:
    from catalog.identity import list_agencies

    wanted = [code for code in codes if code]
    return {info.code: info.name for info in list_agencies(archive.catalog, wanted)} if wanted else {}


# ---------------------------------------------------------------- one document


def document_reuse(archive: Archive, principal: Principal | None, doc_id: str) -> dict[str, Any]:
    """Whether a component document was reused from an earlier dossier of its applicant, for the document's page:
    {"reused": bool, "from_dossier": code or None, "by": "sha256" | "number_notation" | None, "vi": text}. The
    earlier dossier is named only when it is in the caller's agencies ("of another agency" otherwise)."""
    scope = principal.agencies if principal is not None else None
    if principal is not None:
        reading._require(principal, reading.READERS)
    found = views.document(archive.catalog.engine, doc_id, scope)
    if found is None:
        from schemas.access import NotFound

        raise NotFound("document")
    answer: dict[str, Any] = {"reused": False, "from_dossier": None, "by": None, "vi": ""}
    if found.role is not DocumentRole.component or not found.dossier:
        return answer
    reuse = facts_of.reused_documents(archive.catalog.engine, [found.dossier]).get(doc_id)
    if reuse is None:
        return answer
    visible = scope is None or (reuse.from_agency in scope)
    answer.update(reused=True, by=reuse.by, from_dossier=reuse.from_dossier if visible else None)
    answer["vi"] = (
        f"Tái sử dụng từ hồ sơ {reuse.from_dossier}" if visible else "Tái sử dụng từ một hồ sơ của cơ quan khác"
    )
    return answer


# ---------------------------------------------------------------- exports


def indicator_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The data as flat rows (total, then each agency, then each procedure; each period, then the whole selection):
    {"level", "code", "name", "period", "4.1": figure, "4.2": figure, "4.3": figure}."""
    rows = []
    names = data.get("agency_names", {})
    levels = (("total", {"": data["total"]}), ("agency", data["by_agency"]), ("procedure", data["by_procedure"]))
    for level, groups in levels:
        for code in sorted(groups):
            for slot in [*data["periods"], ALL]:
                figures = groups[code].get(slot)
                if figures is None:
                    continue
                name = names.get(code, "") if level == "agency" else ""
                rows.append({"level": level, "code": code, "name": name, "period": slot, **figures})
    return rows


def _headers() -> list[str]:
    headers = ["Cấp", "Mã", "Tên cơ quan", "Kỳ"]
    for code, points, _, _ in INDICATORS:
        headers += [f"{code} Tử số", f"{code} Mẫu số", f"{code} Tỷ lệ (%)", f"{code} Điểm (tối đa {points})"]
    return headers


def _cells(row: dict[str, Any]) -> list[Any]:
    period = "Cả kỳ chọn" if row["period"] == ALL else row["period"]
    cells: list[Any] = [LEVEL_NAMES[row["level"]], row["code"] or ("" if row["level"] == "total" else "(chưa rõ)")]
    cells += [row["name"], period]
    for code, _, _, _ in INDICATORS:
        value = row[code]
        cells += [value["numerator"], value["denominator"]]
        cells += ["N/A" if value["percent"] is None else value["percent"]]
        cells += ["N/A" if value["points"] is None else value["points"]]
    return cells


def indicators_csv(data: dict[str, Any]) -> bytes:
    """The rows as CSV (UTF-8 with a BOM, so Excel reads the Vietnamese headers), N/A where nothing counts."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_headers())
    for row in indicator_rows(data):
        writer.writerow(_cells(row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def indicators_xlsx(data: dict[str, Any]) -> bytes:
    """The rows as an Excel sheet "Chỉ tiêu số hoá", headers in bold, N/A where nothing counts."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Chỉ tiêu số hoá"
    sheet.append(_headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in indicator_rows(data):
        sheet.append(_cells(row))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
