"""What both search backends share: the WHERE clause over `documents` every restriction becomes, the same
restrictions as index tags, and the facet counts of a matching set."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, text

from catalog.search.query import Filters, doc_type_slug

FACETS = ("doc_type", "agency", "year")
MAX_TAGGED_YEARS = 10  # a wider nam: or ngay: range is left to the SQL condition alone


def tag(kind: str, value: str | int) -> str:
    """One index token for a value a search restricts by: a kind (ag, ty, yr, ds) and the value's UTF-8 in hex,
    so that any code (dots, dashes, any case) is one token of letters and digits the tokenizer keeps whole."""
    return kind + str(value).encode().hex()


class Conditions:
    """A WHERE clause over `documents d` with its bound parameters (never a typed value inside the SQL)."""

    def __init__(self) -> None:
        self.clauses: list[str] = ["d.status = 'archived'"]
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def one_of(self, column: str, values: Collection[Any]) -> None:
        self.clauses.append(f"{column} IN ({', '.join(self.bind(value) for value in values)})")

    def add(self, template: str, *values: Any) -> None:
        self.clauses.append(template.format(*(self.bind(value) for value in values)))

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses)


def conditions(
    filters: Filters,
    *,
    agencies: Collection[str] | None,
    doc_type: str | None,
    agency: str | None,
    dossier: str | None,
    dialect: str = "sqlite",
) -> Conditions:
    where = Conditions()
    if agencies is not None:
        where.one_of("d.agency", sorted(set(agencies)))
    if doc_type:
        where.add("d.doc_type = {}", doc_type_slug(doc_type))
    if agency:
        where.add("d.agency = {}", agency.strip().upper())
    if dossier:
        where.add("d.dossier = {}", dossier)
    if filters.doc_types:
        where.one_of("d.doc_type", sorted(filters.doc_types))
    if filters.agencies:
        where.one_of("d.agency", sorted(filters.agencies))
    if filters.dossiers:
        codes = {code for value in filters.dossiers for code in (value, value.upper())}
        where.one_of("d.dossier", sorted(codes))
    if filters.years:
        years = [f"d.year BETWEEN {where.bind(first)} AND {where.bind(last)}" for first, last in filters.years]
        where.clauses.append("(" + " OR ".join(years) + ")")
    for start, end in filters.dates:
        where.add("d.issued_date BETWEEN {} AND {}", start, end)
    for number in filters.numbers:
        where.add("d.number = {}", number)
    for of_number, notation in filters.notations:
        if of_number is None:
            where.add("d.notation = {}", notation)
        else:
            where.add("d.number = {} AND d.notation = {}", of_number, notation)
    contains = "strpos(d.issuer, {}) > 0" if dialect == "postgresql" else "instr(d.issuer, {}) > 0"
    for issuer in filters.issuers:
        where.add(contains, issuer)
    return where


def tag_groups(
    filters: Filters,
    *,
    agencies: Collection[str] | None,
    doc_type: str | None,
    agency: str | None,
    dossier: str | None,
) -> list[list[str]]:
    """The same restrictions as `conditions`, as index tokens (agency, type, year, dossier), so the index reads only
    the pages they allow; the SQL conditions still decide."""
    groups = []
    if agencies is not None:
        groups.append([tag("ag", code) for code in sorted(set(agencies))])
    if agency:
        groups.append([tag("ag", agency.strip().upper())])
    if doc_type:
        groups.append([tag("ty", doc_type_slug(doc_type))])
    if filters.doc_types:
        groups.append([tag("ty", slug) for slug in sorted(filters.doc_types)])
    if filters.agencies:
        groups.append([tag("ag", code) for code in sorted(filters.agencies)])
    if dossier:
        groups.append([tag("ds", dossier)])
    if filters.dossiers:
        groups.append([tag("ds", code) for value in sorted(filters.dossiers) for code in (value, value.upper())])
    years = [
        year for first, last in filters.years if last - first <= MAX_TAGGED_YEARS for year in range(first, last + 1)
    ]
    if (
        filters.years
        and len(years) <= MAX_TAGGED_YEARS
        and all(last - first <= MAX_TAGGED_YEARS for first, last in filters.years)
    ):
        groups.append([tag("yr", year) for year in sorted(set(years))])
    for start, end in filters.dates:
        months = _months(start, end)
        if months is not None:
            groups.append([tag("mo", month) for month in months])
    return groups


def _months(start: str, end: str) -> list[str] | None:
    """The months (YYYY-MM) from one ISO date to another, None if more than MAX_TAGGED_YEARS years of them."""
    first, last = int(start[:4]) * 12 + int(start[5:7]) - 1, int(end[:4]) * 12 + int(end[5:7]) - 1
    if last - first > MAX_TAGGED_YEARS * 12 or last < first:
        return None
    return [f"{month // 12:04d}-{month % 12 + 1:02d}" for month in range(first, last + 1)]


def facets(
    connection: Connection, matching: str, params: dict[str, Any], scale: float = 1.0, most: int | None = None
) -> tuple[int, dict[str, dict[str, int]]]:
    """(number of matching documents, counts per type, agency and year), in one pass over the matching set
    (`matching`: SQL after FROM naming the documents `d`); counts multiplied by `scale` (an estimate from a sample),
    the total at most `most`."""
    rows = connection.execute(
        text(
            "WITH m AS MATERIALIZED"
            f" (SELECT d.doc_type AS doc_type, d.agency AS agency, d.year AS year FROM {matching})"
            " SELECT 'total', NULL, COUNT(*) FROM m"
            " UNION ALL SELECT 'doc_type', doc_type, COUNT(*) FROM m GROUP BY doc_type"
            " UNION ALL SELECT 'agency', agency, COUNT(*) FROM m GROUP BY agency"
            " UNION ALL SELECT 'year', CAST(year AS TEXT), COUNT(*) FROM m GROUP BY year"
        ),
        params,
    ).all()
    found: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    total = 0
    for name, value, counted in rows:
        count = round(counted * scale) if scale != 1.0 else counted
        if name == "total":
            total = count if most is None else min(count, most)
        elif value is not None:
            found[name][str(value)] = count
    return total, {
        name: dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))) for name, counts in found.items()
    }
