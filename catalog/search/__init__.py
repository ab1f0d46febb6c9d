"""Search behind the catalog: the query language (`query`), the FTS5 index over diacritic-folded pages (`index`),
and `search`, which ranks documents by their best page and gives each hit a snippet."""

from __future__ import annotations

from sqlalchemy import Engine, select

from catalog.search import index
from catalog.search.query import match_expression, snippet
from catalog.tables import documents, page_text
from schemas import SearchHit, SearchResult


def search(
    engine: Engine, query: str, *, doc_type: str | None = None, dossier: str | None = None, limit: int = 20
) -> SearchResult:
    match = match_expression(query)
    if match is None:
        return SearchResult(total=0, hits=[])
    with engine.connect() as connection:
        total, ranked = index.best_pages(connection, match, doc_type=doc_type, dossier=dossier, limit=max(1, limit))
        hits = []
        for doc_id, page, score in ranked:
            row = connection.execute(
                select(documents.c.dossier, documents.c.doc_type, documents.c.title).where(documents.c.id == doc_id)
            ).one()
            body = connection.execute(
                select(page_text.c.text).where(page_text.c.doc_id == doc_id, page_text.c.page == page)
            ).scalar_one_or_none()
            hits.append(
                SearchHit(
                    id=doc_id,
                    dossier=row.dossier,
                    doc_type=row.doc_type,
                    title=row.title,
                    score=round(score, 4),
                    snippet=snippet(body or "", query),
                    page=page,
                )
            )
    return SearchResult(total=total, hits=hits)
