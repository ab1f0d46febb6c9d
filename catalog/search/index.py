"""The full-text index: one SQLite FTS5 table with each page in two forms, exact and folded.

- exact: NFC, lower-case, one tone placement (`schemas.text.exact_form`: hoà and hòa are one word);
- folded: marks removed, đ -> d (`schemas.text.fold`; FTS5's own `remove_diacritics` leaves đ alone).

Each page is a row whose rowid is the document's `search_key` shifted left 16 bits, plus the page number: a
document's rows are one rowid range, so replacing or removing them is a range delete on the index's own b-trees,
whatever the size of the archive (deleting on an UNINDEXED column scanned the whole index per document). Counting
and faceting read only rowids (`rowid >> 16` is the document) and the indexed columns of `documents`.

The original text stays in `page_text`, where snippets are cut from.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

from schemas.text import exact_form, fold

FTS_TABLE = "search_fts"
PAGE_BITS = 16
MAX_PAGE = (1 << PAGE_BITS) - 1  # pages beyond this one are not indexed (no scanned document has so many)

# bm25 weights of the columns, in their order: a title outweighs the body, an exact form its folded one (a page
# holding the word as typed scores both columns, one holding only its folded form scores one).
COLUMN_WEIGHTS = (6.0, 5.0, 1.2, 1.0)

CREATE_STATEMENTS = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    " t_exact, t_folded, b_exact, b_folded,"
    " tokenize = 'unicode61 remove_diacritics 0')",
)
# The index before this one (folded text only, deleted by an UNINDEXED doc_id): dropped when a catalog is upgraded.
OLD_TABLES = ("page_fts",)


def create(connection: Connection) -> None:
    for statement in CREATE_STATEMENTS:
        connection.execute(text(statement))
    weights = ", ".join(str(weight) for weight in COLUMN_WEIGHTS)
    connection.execute(
        text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('rank', :rank)"), {"rank": f"bm25({weights})"}
    )
    for table in OLD_TABLES:
        connection.execute(text(f"DROP TABLE IF EXISTS {table}"))


def exists(connection: Connection) -> bool:
    found = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": FTS_TABLE}
    ).first()
    return found is not None


def _rowid_range(search_key: int) -> tuple[int, int]:
    first = search_key << PAGE_BITS
    return first, first | MAX_PAGE


def delete(connection: Connection, search_key: int | None) -> None:
    """Remove one document's pages from the index (a rowid range: only its own rows are touched)."""
    if search_key is None:
        return
    first, last = _rowid_range(search_key)
    connection.execute(
        text(f"DELETE FROM {FTS_TABLE} WHERE rowid BETWEEN :first AND :last"), {"first": first, "last": last}
    )


def replace_pages(connection: Connection, search_key: int, title: str, page_texts: Sequence[str]) -> None:
    """Index a document's pages, replacing whatever was indexed for it before (reindexing is idempotent)."""
    delete(connection, search_key)
    exact_title, folded_title = exact_form(title), fold(title)
    rows = [
        {
            "rowid": (search_key << PAGE_BITS) | number,
            "t_exact": exact_title,
            "t_folded": folded_title,
            "b_exact": exact_form(body),
            "b_folded": fold(body),
        }
        for number, body in enumerate(page_texts[:MAX_PAGE], start=1)
    ]
    if rows:
        connection.execute(
            text(
                f"INSERT INTO {FTS_TABLE} (rowid, t_exact, t_folded, b_exact, b_folded)"
                " VALUES (:rowid, :t_exact, :t_folded, :b_exact, :b_folded)"
            ),
            rows,
        )


def document_of(rowid: int) -> tuple[int, int]:
    """(search_key, page) of an index row."""
    return rowid >> PAGE_BITS, rowid & MAX_PAGE
