"""The full-text index: one SQLite FTS5 table with each page in two forms, exact and folded.

- exact: NFC, lower-case, one tone placement (`schemas.text.exact_form`: hoà and hòa are one word);
- folded: marks removed, đ -> d (`schemas.text.fold`; FTS5's own `remove_diacritics` leaves đ alone).

Each page is a row whose rowid is the document's `search_key` shifted left 16 bits, plus the page number: a
document's rows are one rowid range, so replacing or removing them is a range delete on the index's own b-trees,
whatever the size of the archive (deleting on an UNINDEXED column scanned the whole index per document). Counting
and faceting read only rowids (`rowid >> 16` is the document) and the indexed columns of `documents`.

A fifth column, `tags`, holds one token per value a search restricts by (agency, type, year, month, dossier; see
`tag`): a scoped or filtered query intersects their short lists inside FTS5 instead of reading every page that
holds a common word and dropping most of them in the join. Its bm25 weight is 0.

The original text stays in `page_text`, where snippets are cut from.

On PostgreSQL (`connection.dialect.name == "postgresql"`) the same functions keep `catalog.search.postgres`'s
index instead (a tsvector per page with a GIN index, the same two forms folded by the same Python functions): each
public function here dispatches on the connection's dialect, so callers never name a backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, text

from catalog.search import postgres
from catalog.search.common import tag
from schemas.text import exact_form, fold

__all__ = ["create", "current", "delete", "exists", "replace_pages", "tag", "tags_of", "table_name"]

FTS_TABLE = "search_pages_fts"
PAGE_BITS = 16
MAX_PAGE = (1 << PAGE_BITS) - 1  # pages beyond this one are not indexed (no scanned document has so many)

# bm25 weights of the columns, in their order: a title outweighs the body, an exact form its folded one (a page
# holding the word as typed scores both columns, one holding only its folded form scores one).
COLUMN_WEIGHTS = (6.0, 5.0, 1.2, 1.0, 0.0)
COLUMNS = ("t_exact", "t_folded", "b_exact", "b_folded", "tags")

CREATE_STATEMENTS = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    " t_exact, t_folded, b_exact, b_folded, tags,"
    " tokenize = 'unicode61 remove_diacritics 0')",
)
# Earlier indexes, dropped when a catalog is upgraded (and this one filled): the first (folded text only, deleted
# by an UNINDEXED doc_id) and one without month tags.
OLD_TABLES = ("page_fts", "search_fts")


def _on_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def table_name(connection: Connection) -> str:
    """The index's table on this connection's backend."""
    return postgres.TABLE if _on_postgres(connection) else FTS_TABLE


def create(connection: Connection) -> None:
    """Create the index if missing (idempotent; inside the caller's transaction on PostgreSQL)."""
    if _on_postgres(connection):
        postgres.create(connection)
        return
    for statement in CREATE_STATEMENTS:
        connection.execute(text(statement))
    weights = ", ".join(str(weight) for weight in COLUMN_WEIGHTS)
    connection.execute(
        text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('rank', :rank)"), {"rank": f"bm25({weights})"}
    )
    for table in OLD_TABLES:
        connection.execute(text(f"DROP TABLE IF EXISTS {table}"))


def current(connection: Connection) -> bool:
    """The index is there, with the columns of this layout (read only)."""
    if _on_postgres(connection):
        return postgres.current(connection)
    found = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": FTS_TABLE}
    ).first()
    if found is None:
        return False
    return tuple(row[1] for row in connection.execute(text(f"PRAGMA table_info({FTS_TABLE})"))) == COLUMNS


def exists(connection: Connection) -> bool:
    """The index is there with all its columns; one of an earlier layout is dropped (to be created and filled)."""
    if _on_postgres(connection):
        return postgres.exists(connection)
    if current(connection):
        return True
    connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
    return False


def tags_of(agency: str | None, doc_type: str, issued: date | None, dossier: str | None) -> str:
    values = [tag("ty", doc_type)]
    if agency:
        values.append(tag("ag", agency))
    if issued is not None:
        values += [tag("yr", issued.year), tag("mo", f"{issued:%Y-%m}")]
    if dossier:
        values.append(tag("ds", dossier))
    return " ".join(values)


def _rowid_range(search_key: int) -> tuple[int, int]:
    first = search_key << PAGE_BITS
    return first, first | MAX_PAGE


def delete(connection: Connection, search_key: int | None) -> None:
    """Remove one document's pages from the index (a rowid range: only its own rows are touched)."""
    if search_key is None:
        return
    if _on_postgres(connection):
        postgres.delete(connection, search_key)
        return
    first, last = _rowid_range(search_key)
    connection.execute(
        text(f"DELETE FROM {FTS_TABLE} WHERE rowid BETWEEN :first AND :last"), {"first": first, "last": last}
    )


def replace_pages(
    connection: Connection, search_key: int, title: str, page_texts: Sequence[str], tags: str = ""
) -> None:
    """Index a document's pages, replacing whatever was indexed for it before (reindexing is idempotent)."""
    if _on_postgres(connection):
        postgres.replace_pages(connection, search_key, title, page_texts, tags)
        return
    delete(connection, search_key)
    exact_title, folded_title = exact_form(title), fold(title)
    rows = [
        {
            "rowid": (search_key << PAGE_BITS) | number,
            "t_exact": exact_title,
            "t_folded": folded_title,
            "b_exact": exact_form(body),
            "b_folded": fold(body),
            "tags": tags,
        }
        for number, body in enumerate(page_texts[:MAX_PAGE], start=1)
    ]
    if rows:
        connection.execute(
            text(
                f"INSERT INTO {FTS_TABLE} (rowid, t_exact, t_folded, b_exact, b_folded, tags)"
                " VALUES (:rowid, :t_exact, :t_folded, :b_exact, :b_folded, :tags)"
            ),
            rows,
        )


def document_of(rowid: int) -> tuple[int, int]:
    """(search_key, page) of an index row."""
    return rowid >> PAGE_BITS, rowid & MAX_PAGE
