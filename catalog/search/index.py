"""The full-text index: SQLite FTS5 over a diacritic-folded copy of every page.

FTS5's own `remove_diacritics` leaves đ alone, so the index holds text already folded by `schemas.text.fold`
(the tokenizer still folds anything we missed). The original text lives in `page_text` for snippets.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from schemas.text import fold

# Title matches weigh more than body matches in the ranking (bm25 column weights).
TITLE_WEIGHT = 5.0
BODY_WEIGHT = 1.0

CREATE_STATEMENTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS page_fts USING fts5("
    " title, body, doc_id UNINDEXED, page UNINDEXED,"
    " tokenize = 'unicode61 remove_diacritics 2')",
)


def create(connection: Connection) -> None:
    for statement in CREATE_STATEMENTS:
        connection.execute(text(statement))


def replace_pages(connection: Connection, doc_id: str, title: str, page_texts: list[str]) -> None:
    """Index a document's pages, replacing whatever was indexed for it before (reindexing is idempotent)."""
    connection.execute(text("DELETE FROM page_fts WHERE doc_id = :doc_id"), {"doc_id": doc_id})
    folded_title = fold(title)
    rows = [
        {"title": folded_title, "body": fold(page_text), "doc_id": doc_id, "page": number}
        for number, page_text in enumerate(page_texts, start=1)
    ]
    if rows:
        connection.execute(
            text("INSERT INTO page_fts (title, body, doc_id, page) VALUES (:title, :body, :doc_id, :page)"),
            rows,
        )


def delete(connection: Connection, doc_id: str) -> None:
    connection.execute(text("DELETE FROM page_fts WHERE doc_id = :doc_id"), {"doc_id": doc_id})


def best_pages(
    connection: Connection,
    match: str,
    *,
    doc_type: str | None,
    dossier: str | None,
    limit: int,
) -> tuple[int, list[tuple[str, int, float]]]:
    """(number of matching documents, [(doc_id, best page, score)] best first, at most `limit`)."""
    filters = ["d.status = 'archived'"]
    params: dict[str, object] = {"match": match, "limit": limit}
    if doc_type:
        filters.append("d.doc_type = :doc_type")
        params["doc_type"] = doc_type
    if dossier:
        filters.append("d.dossier = :dossier")
        params["dossier"] = dossier
    where = " AND ".join(filters)
    # bm25() is only allowed in the full-text query itself, so rank there (materialised), group after.
    ranked = f"""
        WITH ranked AS MATERIALIZED (
            SELECT doc_id, page, bm25(page_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS rank
            FROM page_fts WHERE page_fts MATCH :match
        ),
        per_document AS (
            SELECT r.doc_id AS doc_id, r.page AS page, r.rank AS rank,
                   ROW_NUMBER() OVER (PARTITION BY r.doc_id ORDER BY r.rank, r.page) AS position
            FROM ranked r JOIN documents d ON d.id = r.doc_id
            WHERE {where}
        )
    """
    total = connection.execute(
        text(ranked + "SELECT COUNT(*) FROM per_document WHERE position = 1"), params
    ).scalar_one()
    rows = connection.execute(
        text(
            ranked + "SELECT doc_id, page, rank FROM per_document WHERE position = 1 ORDER BY rank, doc_id LIMIT :limit"
        ),
        params,
    ).all()
    return total, [(row.doc_id, int(row.page), -float(row.rank)) for row in rows]
