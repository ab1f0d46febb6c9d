"""Search behind the catalog: the query language (`query`), the two-form FTS5 index (`index`), and `search`.

`search` ranks documents by their best page inside FTS5 and reads only the page of hits asked for; it counts the
matching documents and their facets (type, agency, year) from the index's rowids joined to the indexed columns of
`documents`. Every restriction (the caller's `agencies`, the filters typed in the query and those passed as
arguments) is a condition of the same SQL for the hits, the total and the facets.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Engine, text

from catalog.search import index
from catalog.search.query import Filters, InvalidQuery, ParsedQuery, doc_type_slug, parse, snippet
from schemas import SearchHit, SearchResult

__all__ = ["InvalidQuery", "SORTS", "search"]

SORTS = ("relevance", "date")
MAX_LIMIT = 1000
MAX_OFFSET = 100_000
FACETS = ("doc_type", "agency", "year")
# Ranking is computed by FTS5 for every candidate page (it has no top-k pruning): when more documents than this
# match, the relevance order is taken among the newest RANKED_PAGES matching pages (by index order, i.e. the most
# recently recorded), which keeps a query over a common word fast however large the archive. The total and the
# facets still count every matching document.
RANK_ALL_UP_TO_DOCUMENTS = 1000
RANKED_PAGES = 3000
# Documents without a date sort after those with one, then by arrival.
_BY_DATE = "d.issued_date IS NULL, d.issued_date DESC, d.received_at DESC, d.id"


class _Conditions:
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


def _conditions(
    filters: Filters,
    *,
    agencies: Collection[str] | None,
    doc_type: str | None,
    agency: str | None,
    dossier: str | None,
) -> _Conditions:
    where = _Conditions()
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
    for issuer in filters.issuers:
        where.add("instr(d.issuer, {}) > 0", issuer)
    return where


def _matching_documents(parsed: ParsedQuery, where: _Conditions) -> tuple[str, dict[str, Any]]:
    """SQL of the documents (`d`, keyed by `m.k`) the query finds, with parameters."""
    params = dict(where.params)
    match = parsed.match()
    if match is not None:
        params["match"] = match
        sql = (
            f"(SELECT DISTINCT rowid >> {index.PAGE_BITS} AS k FROM {index.FTS_TABLE}"
            f" WHERE {index.FTS_TABLE} MATCH :match) m JOIN documents d ON d.search_key = m.k"
        )
        return f"{sql} WHERE {where.sql}", params
    conditions = where.sql
    exclusion = parsed.exclusion_match()
    if exclusion is not None:
        params["exclude"] = exclusion
        conditions += (
            f" AND d.search_key NOT IN (SELECT rowid >> {index.PAGE_BITS} FROM {index.FTS_TABLE}"
            f" WHERE {index.FTS_TABLE} MATCH :exclude)"
        )
    return f"documents d WHERE {conditions}", params


def _facets(connection: Connection, matching: str, params: dict[str, Any]) -> tuple[int, dict[str, dict[str, int]]]:
    rows = connection.execute(
        text(f"SELECT d.doc_type, d.agency, d.year, COUNT(*) FROM {matching} GROUP BY 1, 2, 3"), params
    ).all()
    facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    total = 0
    for doc_type, agency, year, count in rows:
        total += count
        for name, value in zip(FACETS, (doc_type, agency, year)):
            if value is not None:
                facets[name][str(value)] = facets[name].get(str(value), 0) + count
    return total, {
        name: dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))) for name, counts in facets.items()
    }


def _ranked(
    connection: Connection, parsed: ParsedQuery, where: _Conditions, sort: str, limit: int, offset: int, total: int
) -> list[tuple[str, int, float]]:
    """(document id, best page, score) of one page of hits."""
    params = dict(where.params, limit=limit, offset=offset)
    match = parsed.match()
    if match is None:  # filters only: newest first, from the first page
        matching, params = _matching_documents(parsed, where)
        rows = connection.execute(
            text(f"SELECT d.id, 1, 0.0 FROM {matching} ORDER BY {_BY_DATE} LIMIT :limit OFFSET :offset"),
            dict(params, limit=limit, offset=offset),
        ).all()
        return [(row[0], 1, 0.0) for row in rows]
    params["match"] = match
    order = "best, d.id" if sort == "relevance" else _BY_DATE
    window = ""
    if sort == "relevance" and total > RANK_ALL_UP_TO_DOCUMENTS and offset + limit <= RANK_ALL_UP_TO_DOCUMENTS:
        newest = connection.execute(
            text(
                f"SELECT f.rowid FROM {index.FTS_TABLE} f"
                f" JOIN documents d ON d.search_key = f.rowid >> {index.PAGE_BITS}"
                f" WHERE {index.FTS_TABLE} MATCH :match AND {where.sql}"
                " ORDER BY f.rowid DESC LIMIT 1 OFFSET :cap"
            ),
            dict(params, cap=RANKED_PAGES - 1),
        ).scalar()
        if newest is not None:
            window = " AND rowid >= :newest"
            params["newest"] = newest
    # rank (bm25 with the index's column weights) is computed inside FTS5; MIN picks each document's best page
    # (SQLite gives the bare `page` column of the row holding the minimum).
    rows = connection.execute(
        text(
            f"SELECT d.id, m.page, MIN(m.rank) AS best FROM"
            f" (SELECT rowid >> {index.PAGE_BITS} AS k, rowid & {index.MAX_PAGE} AS page, rank"
            f"  FROM {index.FTS_TABLE} WHERE {index.FTS_TABLE} MATCH :match{window}) m"
            f" JOIN documents d ON d.search_key = m.k WHERE {where.sql}"
            f" GROUP BY m.k ORDER BY {order} LIMIT :limit OFFSET :offset"
        ),
        params,
    ).all()
    return [(row[0], int(row[1]), -float(row[2])) for row in rows]


def search(
    engine: Engine,
    query: str,
    *,
    agencies: Collection[str] | None = None,
    doc_type: str | None = None,
    agency: str | None = None,
    dossier: str | None = None,
    limit: int = 20,
    offset: int = 0,
    sort: str = "relevance",
) -> SearchResult:
    """Documents matching `query` (the query language of `catalog.search.query`), best first or newest first.

    `agencies` is the caller's scope: None for no restriction, otherwise only documents filed under one of them
    (an empty collection finds nothing). InvalidQuery for a query, sort or paging that cannot be read.
    """
    if sort not in SORTS:
        raise InvalidQuery(f"sort: {sort!r} (relevance | date)")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidQuery(f"offset: 0..{MAX_OFFSET}")
    limit = max(1, min(limit, MAX_LIMIT))
    parsed = parse(query)
    where = _conditions(parsed.filters, agencies=agencies, doc_type=doc_type, agency=agency, dossier=dossier)
    if parsed.empty or (agencies is not None and not agencies):
        return SearchResult(total=0, hits=[])
    with engine.connect() as connection:
        matching, params = _matching_documents(parsed, where)
        total, facets = _facets(connection, matching, params)
        ranked = _ranked(connection, parsed, where, sort, limit, offset, total) if total > offset else []
        hits = _hits(connection, ranked, parsed)
    return SearchResult(total=total, hits=hits, facets=facets)


def _hits(connection: Connection, ranked: list[tuple[str, int, float]], parsed: ParsedQuery) -> list[SearchHit]:
    hits = []
    terms = parsed.snippet_words()
    for doc_id, page, score in ranked:
        row = connection.execute(
            text("SELECT dossier, agency, doc_type, title FROM documents WHERE id = :id"), {"id": doc_id}
        ).one()
        body = connection.execute(
            text("SELECT text FROM page_text WHERE doc_id = :id AND page = :page"), {"id": doc_id, "page": page}
        ).scalar_one_or_none()
        hits.append(
            SearchHit(
                id=doc_id,
                dossier=row.dossier,
                agency=row.agency,
                doc_type=row.doc_type,
                title=row.title,
                score=round(score, 4),
                snippet=snippet(body or "", terms),
                page=page,
            )
        )
    return hits
