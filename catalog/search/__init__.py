"""Search behind the catalog: the query language (`query`), the two-form FTS5 index (`index`), and `search`.

On PostgreSQL (the engine's dialect) the index is `postgres`'s (tsvector + GIN) and `search` hands the counting and
ranking to `postgres.search`, which follows the same steps, thresholds and estimates as the SQLite code below.

`search` ranks documents by their best page inside FTS5 and reads only the page of hits asked for; it counts the
matching documents and their facets (type, agency, year) from the index's rowids joined to the indexed columns of
`documents`. Every restriction (the caller's `agencies`, the filters typed in the query and those passed as
arguments) is a condition of the same SQL for the hits, the total and the facets.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from catalog.search import index, postgres
from catalog.search.common import Conditions as _Conditions
from catalog.search.common import conditions, facets, tag_groups
from catalog.search.query import InvalidQuery, ParsedQuery, parse, snippet
from catalog.tables import documents, page_text
from schemas import SearchHit, SearchResult

__all__ = ["InvalidQuery", "SORTS", "search"]

SORTS = ("relevance", "date")
MAX_LIMIT = 1000
MAX_OFFSET = 100_000
# bm25 ranking is computed by FTS5 for every candidate page, and its idf reads every row holding each query word:
# when more documents than this match, the first hits are taken among the newest RANKED_PAGES matching pages (index
# order, i.e. the most recently recorded) and ordered in tiers (exact form, title) instead (`_ranked_in_tiers`),
# which keeps a query over a common word fast however large the archive.
RANK_ALL_UP_TO_DOCUMENTS = 1000
RANKED_PAGES = 1000
# Counting is exact up to this many matching index rows (pages); beyond, the total and the facets are estimated
# from the documents of the newest COUNTED_PAGES matching pages, scaled to the whole archive by document key
# (SearchResult.total_is_estimate), so a word found on most pages of a large archive costs the same as a rarer one.
COUNTED_PAGES = 20_000
# Documents without a date sort after those with one, then by arrival.
# (NULL is the smallest value in SQLite: DESC puts undated documents last, and the index on the columns serves it.)
_BY_DATE = "d.issued_date DESC, d.received_at DESC, d.id DESC"


def _matching_documents(
    parsed: ParsedQuery, where: _Conditions, newer_than: int | None = None
) -> tuple[str, dict[str, Any]]:
    """SQL of the documents (`d`, keyed by `m.k`) the query finds, with parameters; only among index rows above
    `newer_than` if given (the sample an estimate is made from)."""
    params = dict(where.params)
    match = parsed.set_match()
    if match is not None:
        params["match"] = match
        window = ""
        if newer_than is not None:
            window = " AND rowid > :newer_than"
            params["newer_than"] = newer_than
        sql = (
            f"(SELECT DISTINCT rowid >> {index.PAGE_BITS} AS k FROM {index.FTS_TABLE}"
            f" WHERE {index.FTS_TABLE} MATCH :match{window}) m JOIN documents d ON d.search_key = m.k"
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


def _sample_boundary(connection: Connection, parsed: ParsedQuery) -> tuple[int, float, int] | None:
    """When more than COUNTED_PAGES index rows match: (the rowid below the newest COUNTED_PAGES of them, the factor
    from that newest part of the archive to all of it, by document keys, the number of documents); None when every
    match can be counted."""
    match = parsed.set_match()
    if match is None:
        return None
    boundary = connection.execute(
        text(
            f"SELECT rowid FROM {index.FTS_TABLE} WHERE {index.FTS_TABLE} MATCH :match"
            " ORDER BY rowid DESC LIMIT 1 OFFSET :counted"
        ),
        {"match": match, "counted": COUNTED_PAGES},
    ).scalar()
    if boundary is None:
        return None
    first, last = connection.execute(text("SELECT MIN(search_key), MAX(search_key) FROM documents")).one()
    boundary_key = boundary >> index.PAGE_BITS
    documents = connection.execute(text("SELECT COUNT(*) FROM documents")).scalar_one()
    return boundary, (last - first + 1) / max(1, last - boundary_key), documents


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
    if sort == "date" and total > RANK_ALL_UP_TO_DOCUMENTS:
        # Many matches: walk the documents newest first (an index) and keep those with a matching page.
        params["match"] = parsed.set_match()
        page_of = (
            f"(SELECT MIN(rowid) & {index.MAX_PAGE} FROM {index.FTS_TABLE} WHERE {index.FTS_TABLE} MATCH :match"
            f" AND rowid BETWEEN d.search_key << {index.PAGE_BITS}"
            f" AND (d.search_key << {index.PAGE_BITS}) + {index.MAX_PAGE})"
        )
        rows = connection.execute(
            text(
                f"SELECT d.id, {page_of} AS page FROM documents d"
                f" WHERE {where.sql} AND page IS NOT NULL ORDER BY {_BY_DATE} LIMIT :limit OFFSET :offset"
            ),
            params,
        ).all()
        return [(row[0], int(row[1]), 0.0) for row in rows]
    if sort == "date":  # no ranking needed: each document's first matching page, newest documents first
        params["match"] = parsed.set_match()
        rows = connection.execute(
            text(
                f"SELECT d.id, m.page, 0.0 FROM"
                f" (SELECT rowid >> {index.PAGE_BITS} AS k, MIN(rowid & {index.MAX_PAGE}) AS page"
                f"  FROM {index.FTS_TABLE} WHERE {index.FTS_TABLE} MATCH :match GROUP BY k) m"
                f" JOIN documents d ON d.search_key = m.k WHERE {where.sql}"
                f" ORDER BY {_BY_DATE} LIMIT :limit OFFSET :offset"
            ),
            params,
        ).all()
        return [(row[0], int(row[1]), 0.0) for row in rows]
    params["match"] = match
    if total > RANK_ALL_UP_TO_DOCUMENTS and offset + limit <= RANK_ALL_UP_TO_DOCUMENTS:
        newest = connection.execute(
            text(
                f"SELECT f.rowid FROM {index.FTS_TABLE} f"
                f" JOIN documents d ON d.search_key = f.rowid >> {index.PAGE_BITS}"
                f" WHERE {index.FTS_TABLE} MATCH :set_match AND {where.sql}"
                " ORDER BY f.rowid DESC LIMIT 1 OFFSET :cap"
            ),
            dict(params, set_match=parsed.set_match(), cap=RANKED_PAGES - 1),
        ).scalar()
        if newest is not None:
            return _ranked_in_tiers(connection, parsed, where, newest, limit, offset)
    # rank (bm25 with the index's column weights) is computed inside FTS5; MIN picks each document's best page
    # (SQLite gives the bare `page` column of the row holding the minimum).
    rows = connection.execute(
        text(
            f"SELECT d.id, m.page, MIN(m.rank) AS best FROM"
            f" (SELECT rowid >> {index.PAGE_BITS} AS k, rowid & {index.MAX_PAGE} AS page, rank"
            f"  FROM {index.FTS_TABLE} WHERE {index.FTS_TABLE} MATCH :match) m"
            f" JOIN documents d ON d.search_key = m.k WHERE {where.sql}"
            f" GROUP BY m.k ORDER BY best, d.id LIMIT :limit OFFSET :offset"
        ),
        params,
    ).all()
    return [(row[0], int(row[1]), -float(row[2])) for row in rows]


def _ranked_in_tiers(
    connection: Connection, parsed: ParsedQuery, where: _Conditions, newest: int, limit: int, offset: int
) -> list[tuple[str, int, float]]:
    """The first hits of a large result, among its newest RANKED_PAGES matching pages: a page holding every term
    as typed (exact form) scores 2, one holding every term in its title 1 more; ties go to the newest document.
    bm25 is not used here: its idf reads every row of each common word, whatever the window (tens of ms)."""

    raw = connection.connection.driver_connection  # up to RANKED_PAGES rowids each: no per-row wrapping
    assert raw is not None

    def rows_matching(expression: str) -> set[int]:
        found = raw.execute(
            f"SELECT rowid FROM {index.FTS_TABLE} WHERE {index.FTS_TABLE} MATCH ? AND rowid >= ?", (expression, newest)
        )
        return {row[0] for row in found}

    candidates = rows_matching(parsed.set_match() or "")
    tiers = parsed.tier_matches()
    exact, in_title = (rows_matching(tiers[0]), rows_matching(tiers[1])) if tiers else (set(), set())
    best: dict[int, tuple[int, int]] = {}  # key -> (score, page)
    for rowid in candidates:
        key, page = index.document_of(rowid)
        score = 2 * (rowid in exact) + (rowid in in_title)
        held = best.get(key)
        if held is None or (score, -page) > (held[0], -held[1]):
            best[key] = (score, page)
    rows = connection.execute(
        text(
            f"SELECT d.search_key, d.id FROM documents d"
            f" WHERE d.search_key IN (SELECT value FROM json_each(:keys)) AND {where.sql}"
        ),
        dict(where.params, keys=json.dumps(sorted(best))),
    )
    allowed: dict[int, str] = {key: doc_id for key, doc_id in rows}
    ordered = sorted((key for key in best if key in allowed), key=lambda key: (-best[key][0], -key))
    return [(allowed[key], best[key][1], float(best[key][0])) for key in ordered[offset : offset + limit]]


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
    dialect = engine.dialect.name
    where = conditions(
        parsed.filters, agencies=agencies, doc_type=doc_type, agency=agency, dossier=dossier, dialect=dialect
    )
    parsed.restrict = tag_groups(parsed.filters, agencies=agencies, doc_type=doc_type, agency=agency, dossier=dossier)
    if parsed.empty or (agencies is not None and not agencies):
        return SearchResult(total=0, hits=[])
    if dialect == "postgresql":
        limits = postgres.Limits(COUNTED_PAGES, RANK_ALL_UP_TO_DOCUMENTS, RANKED_PAGES)
        with engine.connect() as connection:
            total, counts, ranked, estimated = postgres.search(connection, parsed, where, sort, limit, offset, limits)
            hits = _hits(connection, ranked, parsed)
        return SearchResult(total=total, hits=hits, facets=counts, total_is_estimate=estimated)
    with engine.connect() as connection:
        sample = _sample_boundary(connection, parsed)
        if sample is None:
            matching, params = _matching_documents(parsed, where)
            total, counts = facets(connection, matching, params)
        else:
            matching, params = _matching_documents(parsed, where, newer_than=sample[0])
            total, counts = facets(connection, matching, params, scale=sample[1], most=sample[2])
        ranked = _ranked(connection, parsed, where, sort, limit, offset, total) if total > offset else []
        hits = _hits(connection, ranked, parsed)
    return SearchResult(total=total, hits=hits, facets=counts, total_is_estimate=sample is not None)


def _hits(connection: Connection, ranked: list[tuple[str, int, float]], parsed: ParsedQuery) -> list[SearchHit]:
    """The hits' rows and quoted pages, read in two statements (not two per hit: a round trip to a server each)."""
    if not ranked:
        return []
    terms = parsed.snippet_words()
    rows = {
        row.id: row
        for row in connection.execute(
            select(
                documents.c.id, documents.c.dossier, documents.c.agency, documents.c.doc_type, documents.c.title
            ).where(documents.c.id.in_([doc_id for doc_id, _, _ in ranked]))
        )
    }
    # Two IN lists, not one of (doc_id, page) pairs: SQLite answers a list of row values by reading every page of
    # the archive (5× slower queries at 100,000 pages), and two lists by the primary key. The few extra pairs
    # (a hit's document's other hit pages) are dropped here.
    wanted = {(doc_id, page) for doc_id, page, _ in ranked}
    bodies = {
        (doc_id, page): body
        for doc_id, page, body in connection.execute(
            select(page_text.c.doc_id, page_text.c.page, page_text.c.text).where(
                page_text.c.doc_id.in_(sorted({doc_id for doc_id, _ in wanted})),
                page_text.c.page.in_(sorted({page for _, page in wanted})),
            )
        )
        if (doc_id, page) in wanted
    }
    hits = []
    for doc_id, page, score in ranked:
        row = rows[doc_id]
        hits.append(
            SearchHit(
                id=doc_id,
                dossier=row.dossier,
                agency=row.agency,
                doc_type=row.doc_type,
                title=row.title,
                score=round(score, 4),
                snippet=snippet(bodies.get((doc_id, page)) or "", terms),
                page=page,
            )
        )
    return hits
