"""The full-text index and search on PostgreSQL: the same Vietnamese behaviour and the same results as the SQLite
FTS5 index (`catalog.search.index`), with a `tsvector` column and a GIN index.

One table, `search_pages` (primary key `search_key, page`), one `tsvector` per page, `doc`, written by Python as a
tsvector literal (no PostgreSQL parser or dictionary is involved, so both backends tokenise and fold identically):

- words are the runs of letters and digits of the text (`[^\\W_]+`, what FTS5's unicode61 tokenizer keeps), in
  two forms at their positions: the folded form (`schemas.text.fold`: marks removed, đ -> d) as the lexeme itself,
  and the exact form (`schemas.text.exact_form`: NFC, lower-case, one tone placement) as `=` + the word. The title
  comes first (weight A), then, one position further (so no phrase spans the two), the body (weight D). Folding is
  done in Python by the same function as for SQLite, so neither the `unaccent` extension nor a text search
  configuration is needed (the lexemes are written as they are; PostgreSQL's own parser would split `1.001234` or
  `qd-ubnd` its own way);
- the values a search restricts by (agency, type, year, month, dossier: `index.tag`) are lexemes too, `_` + the
  tag, without positions: no typed word can spell them (`_` and `=` never occur in a word), and a scoped query
  intersects their posting lists with the words' inside one GIN scan, as FTS5 does with its `tags` column.

Queries are tsquery literals built from the parsed query (`query.ParsedQuery`): a phrase is `<->` between its
words, a prefix `:*`, an exclusion `!`, a title-only word `:A`. Pages are found through the folded lexemes (the
exact form of a word always folds to its folded form, so they find the same pages as `exact | folded`); a plain word
or prefix query is answered by the GIN index alone (no recheck, the tsvectors are not read); phrases are rechecked.
Ranking is `ts_rank` with title (A) weighing 1.0 and body (D) 0.2, over every term in both forms: a page holding a
word as typed scores its exact and its folded lexeme, one holding only the folded form scores one.

`pg_trgm` is not used: every query is on whole words or word prefixes, which GIN over lexemes answers exactly;
trigrams would only serve infix or fuzzy matching, which the query language does not have.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from catalog.search.common import Conditions, facets
from catalog.search.query import ParsedQuery, Term
from schemas.text import exact_form, fold

TABLE = "search_pages"
GIN_INDEX = "search_pages_doc"
BY_DATE_INDEX = "ix_documents_newest_first"
PAIRS_INDEX = "search_pages_pairs"
COLUMNS = ("search_key", "page", "doc", "pairs")
MAX_PAGE = (1 << 16) - 1  # as for SQLite: pages beyond this one are not indexed

EXACT_MARK = "="  # exact lexemes are `=word`; folded ones the bare word
TAG_MARK = "_"
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
MAX_POSITION = 16383  # tsvector positions: a larger one is stored as this (as to_tsvector does)
MAX_POSITIONS_PER_LEXEME = 256
MAX_LEXEME_BYTES = 2046
MAX_VECTOR_BYTES = 900_000  # a tsvector holds at most 1 MB
# ts_rank's weights in the order {D, C, B, A}: the body (D) against the title (A).
RANK_WEIGHTS = "{0.2, 0.2, 0.2, 1.0}"
RANK_NORMALISATION = 1  # divided by 1 + log(the page's length), like bm25's length normalisation
# NULL is the largest value in PostgreSQL: undated documents last needs NULLS LAST (SQLite's NULL is the smallest).
BY_DATE = "d.issued_date DESC NULLS LAST, d.received_at DESC NULLS LAST, d.id DESC"

CREATE_STATEMENTS = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    " search_key integer NOT NULL, page integer NOT NULL, doc tsvector NOT NULL, pairs tsvector NOT NULL,"
    f" CONSTRAINT {TABLE}_pkey PRIMARY KEY (search_key, page))",
    # Rows of a few dozen bytes (the vector out of line, lz4): bitmap scans that count and facet read few pages.
    f"ALTER TABLE {TABLE} SET (toast_tuple_target = 128)",
    # A short pending list (KB): writes are merged into the index in batches, and a query scans at most that much.
    f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON {TABLE} USING gin (doc)"
    " WITH (fastupdate = on, gin_pending_list_limit = 512)",
    f"CREATE INDEX IF NOT EXISTS {PAIRS_INDEX} ON {TABLE} USING gin (pairs)"
    " WITH (fastupdate = on, gin_pending_list_limit = 512)",
)
# The order of sort=date (undated last) as an index, so a large result is walked newest first.
BY_DATE_STATEMENT = (
    f"CREATE INDEX IF NOT EXISTS {BY_DATE_INDEX} ON documents"
    " (issued_date DESC NULLS LAST, received_at DESC NULLS LAST, id DESC)"
)


# --- the index ------------------------------------------------------------------------------------------------


def create(connection: Connection) -> None:
    """The table and its indexes (idempotent, inside the caller's transaction); the date index of `documents` too
    when that table is there."""
    for statement in CREATE_STATEMENTS:
        connection.execute(text(statement))
    lz4 = connection.execute(
        text("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")
    ).first()
    if lz4 is not None:
        connection.execute(text(f"ALTER TABLE {TABLE} ALTER COLUMN doc SET COMPRESSION lz4"))
    if connection.execute(text("SELECT to_regclass('documents')")).scalar() is not None:
        connection.execute(text(BY_DATE_STATEMENT))


def current(connection: Connection) -> bool:
    """The index is there, with the columns and the GIN index of this layout (read only)."""
    columns = connection.execute(
        text(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = :table ORDER BY ordinal_position"
        ),
        {"table": TABLE},
    ).scalars()
    if tuple(columns) != COLUMNS:
        return False
    return all(
        connection.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar() is not None
        for name in (GIN_INDEX, PAIRS_INDEX)
    )


def exists(connection: Connection) -> bool:
    """The index is there in this layout; one of another layout is dropped (to be created and filled)."""
    if current(connection):
        return True
    connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
    return False


def delete(connection: Connection, search_key: int | None) -> None:
    if search_key is None:
        return
    connection.execute(text(f"DELETE FROM {TABLE} WHERE search_key = :key"), {"key": search_key})


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _positions(tokens: list[str], first: int, weight: str, into: dict[str, list[str]]) -> None:
    for offset, word in enumerate(tokens):
        held = into.setdefault(word, [])
        if len(held) < MAX_POSITIONS_PER_LEXEME:
            held.append(f"{min(first + offset, MAX_POSITION)}{weight}")


def _pairs(words: list[str]) -> list[str]:
    return [f"{first} {second}" for first, second in zip(words, words[1:], strict=False)]


def pairs(title: str, body: str) -> str:
    """The tsvector literal of a page's folded word pairs (no positions): what narrows a phrase query to the pages
    holding each pair of its words before their positions are checked in `doc`."""
    found = dict.fromkeys(_pairs(_TOKEN.findall(fold(title))) + _pairs(_TOKEN.findall(fold(body))))
    parts, size = [], 0
    for pair in found:
        size += len(pair.encode()) + 6
        if len(pair.encode()) > MAX_LEXEME_BYTES:
            continue
        if size > MAX_VECTOR_BYTES:
            break
        parts.append(_lexeme(pair))
    return " ".join(parts)


def vector(title: str, body: str, tags: Sequence[str]) -> str:
    """The tsvector literal of one page (see the module's docstring)."""
    title_exact, body_exact = _TOKEN.findall(exact_form(title)), _TOKEN.findall(exact_form(body))
    title_folded, body_folded = _TOKEN.findall(fold(title)), _TOKEN.findall(fold(body))
    found: dict[str, list[str]] = {}
    _positions([EXACT_MARK + word for word in title_exact], 1, "A", found)
    _positions(title_folded, 1, "A", found)
    body_start = max(len(title_exact), len(title_folded)) + 2
    _positions([EXACT_MARK + word for word in body_exact], body_start, "", found)
    _positions(body_folded, body_start, "", found)
    parts, size = [], 0
    for word, positions in found.items():
        if len(word.encode()) > MAX_LEXEME_BYTES:
            continue  # longer than a lexeme may be: OCR noise, never typed
        part = f"{_lexeme(word)}:{','.join(positions)}"
        size += len(word.encode()) + 2 * len(positions) + 8
        if size > MAX_VECTOR_BYTES:
            break
        parts.append(part)
    parts += [_lexeme(TAG_MARK + tag) for tag in tags]
    return " ".join(parts)


def replace_pages(
    connection: Connection, search_key: int, title: str, page_texts: Sequence[str], tags: str = ""
) -> None:
    """Index a document's pages, replacing whatever was indexed for it before (reindexing is idempotent)."""
    delete(connection, search_key)
    tag_list = tags.split()
    rows = [
        {"key": search_key, "page": number, "doc": vector(title, body, tag_list), "pairs": pairs(title, body)}
        for number, body in enumerate(page_texts[:MAX_PAGE], start=1)
    ]
    if rows:
        connection.execute(
            text(
                f"INSERT INTO {TABLE} (search_key, page, doc, pairs)"
                " VALUES (:key, :page, CAST(:doc AS tsvector), CAST(:pairs AS tsvector))"
            ),
            rows,
        )


# --- queries --------------------------------------------------------------------------------------------------


def _phrase(words: list[str], prefix: bool, exact: bool, weight: str = "") -> str:
    mark = EXACT_MARK if exact else ""
    lexemes = [_lexeme(mark + word) for word in words]
    last = ":" + ("*" if prefix else "") + weight
    if last != ":":
        lexemes[-1] += last
    if weight:
        lexemes[:-1] = [lexeme + ":" + weight for lexeme in lexemes[:-1]]
    return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"


def _folded(term: Term, weight: str = "") -> str:
    return _phrase(term.folded_words, term.prefix, exact=False, weight=weight)


def _exact(term: Term) -> str:
    return _phrase(term.exact_words, term.prefix, exact=True)


def _excluded(term: Term) -> str:
    # Typed with diacritics, an exclusion means that exact word; typed without, every spelling of it.
    return _exact(term) if term.has_marks else _folded(term)


def _restricted(parsed: ParsedQuery, expression: str) -> str:
    groups = ["(" + " | ".join(_lexeme(TAG_MARK + tag) for tag in group) + ")" for group in parsed.restrict if group]
    return " & ".join([*groups, f"({expression})"]) if groups else expression


def exclusion_query(parsed: ParsedQuery) -> str | None:
    if not parsed.excluded:
        return None
    return " | ".join(_excluded(term) for term in parsed.excluded)


def _paired(term: Term) -> bool:
    """A phrase of two whole words: the pair index alone says where it is (its words side by side)."""
    return len(term.folded_words) == 2 and not term.prefix


def set_query(parsed: ParsedQuery, pairs_checked: bool = False) -> str | None:
    """The pages the query finds (every included term, none excluded, within the tag restrictions), from the
    folded lexemes; None without an included term. With `pairs_checked` (the pair index is queried too), a phrase
    of two words needs only its words here, so GIN answers it without reading any vector."""
    if not parsed.included:
        return None
    expression = " & ".join(
        " & ".join(_lexeme(word) for word in term.folded_words) if pairs_checked and _paired(term) else _folded(term)
        for term in parsed.included
    )
    exclusion = exclusion_query(parsed)
    if exclusion is not None:
        expression = f"({expression}) & !({exclusion})"
    return _restricted(parsed, expression)


def pairs_query(parsed: ParsedQuery) -> str | None:
    """Every pair of adjacent words of the included phrases (folded), which a page matching them must hold; None
    when no phrase has two whole words."""
    found: dict[str, None] = {}
    for term in parsed.included:
        words = term.folded_words[:-1] if term.prefix else term.folded_words
        found.update(dict.fromkeys(_pairs(words)))
    return " & ".join(_lexeme(pair) for pair in found) or None


def page_condition(parsed: ParsedQuery, params: dict[str, Any], alias: str = "s") -> str | None:
    """SQL of the index rows (`alias`) the query finds, its tsqueries put in `params`; None without an included
    term."""
    narrowing = pairs_query(parsed)
    query = set_query(parsed, pairs_checked=narrowing is not None)
    if query is None:
        return None
    params["q"] = query
    condition = f"{alias}.doc @@ CAST(:q AS tsquery)"
    if narrowing is not None:
        params["pairs"] = narrowing
        condition += f" AND {alias}.pairs @@ CAST(:pairs AS tsquery)"
    return condition


def rank_query(parsed: ParsedQuery) -> str:
    """What ts_rank weighs: every included term in its exact and its folded form."""
    forms = {form for term in parsed.included for form in (_exact(term), _folded(term))}
    return " | ".join(sorted(forms))


def tier_queries(parsed: ParsedQuery) -> tuple[str, str]:
    """(every term in its exact form, every term in the title), as `ParsedQuery.tier_matches`."""
    exact = " & ".join(_exact(term) for term in parsed.included)
    title = " & ".join(_folded(term, weight="A") for term in parsed.included)
    return exact, title


def _through_gin(connection: Connection, only: bool) -> None:
    """Whether the next statements read `search_pages` through its GIN indexes alone (bitmap scans).

    The planner prices `@@` like any cheap operator: for a common word it prefers walking the table or the primary
    key and testing every page's vector, which reads (detoasts) each one, ~10 µs a page; the GIN bitmap answers a
    word or prefix query without reading a vector (no recheck), and a phrase by reading only the pages holding its
    word pairs."""
    setting = "off" if only else "on"
    connection.execute(
        text("SELECT set_config('enable_seqscan', :on, true), set_config('enable_indexscan', :on, true)"),
        {"on": setting},
    )


@dataclass(frozen=True)
class Limits:
    """catalog.search's thresholds, read when the search is made (tests change them)."""

    counted_pages: int
    rank_all_up_to_documents: int
    ranked_pages: int


def _documents_only(parsed: ParsedQuery, where: Conditions) -> tuple[str, dict[str, Any]]:
    """SQL (after FROM) of the documents a query without included terms finds: conditions, minus exclusions."""
    params = dict(where.params)
    conditions = where.sql
    exclusion = exclusion_query(parsed)
    if exclusion is not None:
        params["exclude"] = exclusion
        conditions += (
            f" AND NOT EXISTS (SELECT 1 FROM {TABLE} x"
            " WHERE x.search_key = d.search_key AND x.doc @@ CAST(:exclude AS tsquery))"
        )
    return f"documents d WHERE {conditions}", params


def _overview(
    connection: Connection, parsed: ParsedQuery, where: Conditions, limits: Limits
) -> tuple[int, dict[str, dict[str, int]], bool]:
    """(total, facets, whether estimated) in one statement over one scan of the matching pages: counted exactly up
    to COUNTED_PAGES matching pages, beyond that estimated from the documents of the newest COUNTED_PAGES of them,
    scaled to the archive by document key (as on SQLite)."""
    params = dict(where.params, counted=limits.counted_pages)
    condition = page_condition(parsed, params)
    if condition is None:
        matching, only_params = _documents_only(parsed, where)
        total, counts = facets(connection, matching, only_params)
        return total, counts, False
    rows = connection.execute(
        text(
            f"WITH p AS MATERIALIZED (SELECT s.search_key, s.page FROM {TABLE} s WHERE {condition}),"
            " b AS (SELECT search_key, page FROM p ORDER BY search_key DESC, page DESC LIMIT 1 OFFSET :counted),"
            " m AS MATERIALIZED (SELECT d.doc_type AS doc_type, d.agency AS agency, d.year AS year"
            "  FROM (SELECT DISTINCT p.search_key AS k FROM p WHERE NOT EXISTS (SELECT 1 FROM b)"
            "   OR (p.search_key, p.page) > (SELECT b.search_key, b.page FROM b)) x"
            f"  JOIN documents d ON d.search_key = x.k WHERE {where.sql})"
            " SELECT 'total', CAST(NULL AS TEXT), COUNT(*), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),"
            "  CAST(NULL AS BIGINT) FROM m"
            " UNION ALL SELECT 'doc_type', doc_type, COUNT(*), NULL, NULL, NULL FROM m GROUP BY doc_type"
            " UNION ALL SELECT 'agency', agency, COUNT(*), NULL, NULL, NULL FROM m GROUP BY agency"
            " UNION ALL SELECT 'year', CAST(year AS TEXT), COUNT(*), NULL, NULL, NULL FROM m GROUP BY year"
            # Beyond the counted pages: the boundary's document key, the archive's first and last keys and its size.
            " UNION ALL SELECT 'sample', NULL, (SELECT search_key FROM b), MIN(search_key), MAX(search_key), COUNT(*)"
            "  FROM documents HAVING EXISTS (SELECT 1 FROM b)"
        ),
        params,
    ).all()
    counted: dict[str, dict[str, int]] = {"doc_type": {}, "agency": {}, "year": {}}
    total, scale, most, estimated = 0, 1.0, None, False
    for name, _, boundary, first, last, documents in rows:
        if name == "sample":
            estimated, most = True, documents
            scale = (last - first + 1) / max(1, last - boundary)
    for name, value, count, _, _, _ in rows:
        scaled = round(count * scale) if estimated else count
        if name == "total":
            total = scaled if most is None else min(scaled, most)
        elif name in counted and value is not None:
            counted[name][str(value)] = scaled
    ordered = {
        name: dict(sorted(values.items(), key=lambda item: (-item[1], item[0]))) for name, values in counted.items()
    }
    return total, ordered, estimated


def _ranked(
    connection: Connection,
    parsed: ParsedQuery,
    where: Conditions,
    sort: str,
    limit: int,
    offset: int,
    total: int,
    limits: Limits,
) -> list[tuple[str, int, float]]:
    params = dict(where.params, limit=limit, offset=offset)
    if not parsed.included:  # filters only: newest first, from the first page
        matching, params = _documents_only(parsed, where)
        rows = connection.execute(
            text(f"SELECT d.id FROM {matching} ORDER BY {BY_DATE} LIMIT :limit OFFSET :offset"),
            dict(params, limit=limit, offset=offset),
        ).all()
        return [(row[0], 1, 0.0) for row in rows]
    if sort == "date" and total > limits.rank_all_up_to_documents:
        # Many matches: walk the documents newest first (an index) and keep those with a matching page.
        condition = page_condition(parsed, params)
        rows = connection.execute(
            text(
                "SELECT d.id, p.page FROM documents d CROSS JOIN LATERAL"
                f" (SELECT MIN(s.page) AS page FROM {TABLE} s WHERE s.search_key = d.search_key AND {condition}) p"
                f" WHERE {where.sql} AND p.page IS NOT NULL ORDER BY {BY_DATE} LIMIT :limit OFFSET :offset"
            ),
            params,
        ).all()
        return [(row[0], int(row[1]), 0.0) for row in rows]
    _through_gin(connection, True)
    condition = page_condition(parsed, params)
    if sort == "date":
        rows = connection.execute(
            text(
                "SELECT d.id, m.page FROM"
                f" (SELECT s.search_key AS k, MIN(s.page) AS page FROM {TABLE} s WHERE {condition}"
                "  GROUP BY s.search_key) m"
                f" JOIN documents d ON d.search_key = m.k WHERE {where.sql}"
                f" ORDER BY {BY_DATE} LIMIT :limit OFFSET :offset"
            ),
            params,
        ).all()
        return [(row[0], int(row[1]), 0.0) for row in rows]
    if total > limits.rank_all_up_to_documents and offset + limit <= limits.rank_all_up_to_documents:
        newest = connection.execute(
            text(
                f"SELECT s.search_key, s.page FROM {TABLE} s JOIN documents d ON d.search_key = s.search_key"
                f" WHERE {condition} AND {where.sql}"
                " ORDER BY s.search_key DESC, s.page DESC LIMIT 1 OFFSET :cap"
            ),
            dict(params, cap=limits.ranked_pages - 1),
        ).first()
        if newest is not None:
            return _ranked_in_tiers(connection, parsed, where, (newest[0], newest[1]), limit, offset)
    # Only the pages of documents the conditions allow are ranked (reading a vector is what costs).
    rows = connection.execute(
        text(
            "SELECT d.id, m.page, m.score FROM"
            " (SELECT DISTINCT ON (s.search_key) s.search_key AS k, s.page,"
            f"  ts_rank(CAST(:weights AS float4[]), s.doc, CAST(:rank AS tsquery), {RANK_NORMALISATION}) AS score"
            f"  FROM {TABLE} s JOIN documents d ON d.search_key = s.search_key"
            f"  WHERE {condition} AND {where.sql} ORDER BY s.search_key, score DESC, s.page) m"
            " JOIN documents d ON d.search_key = m.k"
            " ORDER BY m.score DESC, d.id LIMIT :limit OFFSET :offset"
        ),
        dict(params, weights=RANK_WEIGHTS, rank=rank_query(parsed)),
    ).all()
    return [(row[0], int(row[1]), float(row[2])) for row in rows]


def _ranked_in_tiers(
    connection: Connection,
    parsed: ParsedQuery,
    where: Conditions,
    newest: tuple[int, int],
    limit: int,
    offset: int,
) -> list[tuple[str, int, float]]:
    """The first hits of a large result among its newest matching pages, in tiers (as catalog.search's own):
    every term exact scores 2, every term in the title 1 more; ties go to the newest document."""
    exact, in_title = tier_queries(parsed)
    params: dict[str, Any] = {"exact": exact, "title": in_title, "key": newest[0], "page": newest[1]}
    condition = page_condition(parsed, params)
    rows = connection.execute(
        text(
            "SELECT s.search_key, s.page, s.doc @@ CAST(:exact AS tsquery), s.doc @@ CAST(:title AS tsquery)"
            f" FROM {TABLE} s WHERE {condition} AND (s.search_key, s.page) >= (:key, :page)"
        ),
        params,
    ).all()
    best: dict[int, tuple[int, int]] = {}  # key -> (score, page)
    for key, page, is_exact, is_title in rows:
        score = 2 * bool(is_exact) + bool(is_title)
        held = best.get(key)
        if held is None or (score, -page) > (held[0], -held[1]):
            best[key] = (score, page)
    allowed: dict[int, str] = {
        key: doc_id
        for key, doc_id in connection.execute(
            text(f"SELECT d.search_key, d.id FROM documents d WHERE d.search_key = ANY(:keys) AND {where.sql}"),
            dict(where.params, keys=sorted(best)),
        )
    }
    ordered = sorted((key for key in best if key in allowed), key=lambda key: (-best[key][0], -key))
    return [(allowed[key], best[key][1], float(best[key][0])) for key in ordered[offset : offset + limit]]


def search(
    connection: Connection,
    parsed: ParsedQuery,
    where: Conditions,
    sort: str,
    limit: int,
    offset: int,
    limits: Limits,
) -> tuple[int, dict[str, dict[str, int]], list[tuple[str, int, float]], bool]:
    """(total, facets, (document id, best page, score) of the page of hits asked for, whether the total and the
    facets are estimated): what catalog.search does on SQLite, the same thresholds and the same estimates."""
    _through_gin(connection, True)
    total, counts, estimated = _overview(connection, parsed, where, limits)
    _through_gin(connection, False)
    ranked = _ranked(connection, parsed, where, sort, limit, offset, total, limits) if total > offset else []
    return total, counts, ranked, estimated
