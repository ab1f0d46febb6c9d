"""Reads narrowed to a caller's agencies, in the SQL itself: a document, its pages, a dossier's documents, the review
queue, statistics. `agencies` None is the server's own unrestricted view (the CLI); a set, however small or empty,
is a scope: a record of an agency outside it is never read, so no route can tell it exists."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Engine, Select, func, select

from catalog.tables import documents, page_text
from schemas import Document, DocumentStatus


def _scoped(statement: Select[Any], agencies: Collection[str] | None) -> Select[Any]:
    if agencies is None:
        return statement
    return statement.where(documents.c.agency.in_(sorted(agencies)))


def document(engine: Engine, doc_id: str, agencies: Collection[str] | None) -> Document | None:
    statement = _scoped(
        select(documents.c.document).where(documents.c.id == doc_id, documents.c.status == DocumentStatus.archived),
        agencies,
    )
    with engine.connect() as connection:
        row = connection.execute(statement).first()
    return None if row is None else Document.model_validate(row.document)


def page_texts(engine: Engine, doc_id: str) -> list[str]:
    """The OCR text of each page, in order (call after `document` has found the document in scope)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(page_text.c.text).where(page_text.c.doc_id == doc_id).order_by(page_text.c.page)
        )
        return [row.text for row in rows]


def dossier_documents(engine: Engine, code: str, agencies: Collection[str] | None) -> list[Document]:
    """A dossier's archived documents in scope, in their order (ordinal, then arrival)."""
    statement = _scoped(
        select(documents.c.document).where(documents.c.dossier == code, documents.c.status == DocumentStatus.archived),
        agencies,
    )
    with engine.connect() as connection:
        found = [Document.model_validate(row.document) for row in connection.execute(statement)]
    return sorted(found, key=lambda item: (item.ordinal or 10**6, item.received_at, item.id))


def review_queue(
    engine: Engine, agencies: Collection[str] | None, *, limit: int = 50, offset: int = 0
) -> list[Document]:
    """Documents the classifier flagged, or whose number or date is empty, not yet confirmed by an archivist
    (`in_review`, kept by catalog.records): oldest first."""
    statement = _scoped(
        select(documents.c.document)
        .where(documents.c.in_review == 1, documents.c.status == DocumentStatus.archived)
        .order_by(documents.c.received_at, documents.c.id)
        .limit(limit)
        .offset(offset),
        agencies,
    )
    with engine.connect() as connection:
        return [Document.model_validate(row.document) for row in connection.execute(statement)]


def review_count(engine: Engine, agencies: Collection[str] | None) -> int:
    statement = _scoped(
        select(func.count())
        .select_from(documents)
        .where(documents.c.in_review == 1, documents.c.status == DocumentStatus.archived),
        agencies,
    )
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def statistics(engine: Engine, agencies: Collection[str] | None) -> dict[str, Any]:
    """Documents and pages per agency and month, documents per type, and the review backlog, in scope."""
    if engine.dialect.name == "postgresql":  # the month in UTC, as SQLite's strftime reads the stored time
        month = func.to_char(func.timezone("UTC", documents.c.received_at), "YYYY-MM")
    else:
        month = func.strftime("%Y-%m", documents.c.received_at)
    archived = documents.c.status == DocumentStatus.archived
    by_month = _scoped(
        select(documents.c.agency, month.label("month"), func.count().label("documents"), func.sum(documents.c.pages))
        .where(archived)
        .group_by(documents.c.agency, month)
        .order_by(documents.c.agency, month),
        agencies,
    )
    by_type = _scoped(
        select(documents.c.doc_type, func.count()).where(archived).group_by(documents.c.doc_type), agencies
    )
    with engine.connect() as connection:
        months = [
            {"agency": row[0], "month": row[1], "documents": int(row[2]), "pages": int(row[3] or 0)}
            for row in connection.execute(by_month)
        ]
        types = {row[0]: int(row[1]) for row in connection.execute(by_type)}
    return {
        "documents": sum(item["documents"] for item in months),
        "pages": sum(item["pages"] for item in months),
        "by_agency_month": months,
        "by_type": types,
        "review_backlog": review_count(engine, agencies),
    }
