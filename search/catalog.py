"""The catalog: one row per document (where its objects are, what it is) plus the full-text index.

The object store is the source of truth; everything here can be rebuilt from the stored meta.json and
ocr.json files.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from schemas import Document, DocumentStatus, SearchHit, SearchResult
from search import _index
from search._query import match_expression, snippet

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("dossier", String(64), index=True),
    Column("agency", String(32)),
    Column("source", Text, nullable=False),
    Column("doc_type", String(32), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("keys", JSON, nullable=False),
    Column("received_at", DateTime(timezone=True)),
    Column("document", JSON, nullable=False),  # the full meta.json model, for the API and exports
)

page_text = Table(
    "page_text",
    metadata,
    Column("doc_id", String(64), primary_key=True),
    Column("page", Integer, primary_key=True),
    Column("text", Text, nullable=False),
)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web app read while an ingest writes; the busy timeout rides out short write locks.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Catalog:
    def __init__(self, url: str):
        if not url.startswith("sqlite:///"):
            raise ValueError("Only SQLite catalogs (sqlite:///path) are supported so far.")
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        self.engine: Engine = create_engine(url)
        event.listen(self.engine, "connect", _sqlite_pragmas)
        with self.engine.begin() as connection:
            metadata.create_all(connection)
            _index.create(connection)

    @classmethod
    def from_settings(cls, settings) -> "Catalog":
        return cls(settings.resolved_catalog_url)

    def close(self) -> None:
        self.engine.dispose()

    def status_of(self, doc_id: str) -> tuple[DocumentStatus, dict[str, str]] | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(documents.c.status, documents.c["keys"]).where(documents.c.id == doc_id)
            ).first()
        if row is None:
            return None
        return DocumentStatus(row.status), dict(row.keys)

    def get(self, doc_id: str) -> Document | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(documents.c.document).where(documents.c.id == doc_id)).first()
        return None if row is None else Document.model_validate(row.document)

    def record(self, document: Document, keys: dict[str, str], page_texts: list[str]) -> None:
        """Insert or replace an archived document and its pages in one transaction (idempotent)."""
        values = {
            "id": document.id,
            "dossier": document.dossier,
            "agency": document.agency,
            "source": document.source,
            "doc_type": document.doc_type.value,
            "title": document.title,
            "pages": document.pages,
            "sha256": document.sha256,
            "size": document.size,
            "status": DocumentStatus.archived.value,
            "keys": keys,
            "received_at": document.received_at,
            "document": json.loads(document.model_dump_json()),
        }
        with self.engine.begin() as connection:
            statement = sqlite_insert(documents).values(**values)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[documents.c.id],
                    set_={name: statement.excluded[name] for name in values if name != "id"},
                )
            )
            connection.execute(page_text.delete().where(page_text.c.doc_id == document.id))
            if page_texts:
                connection.execute(
                    page_text.insert(),
                    [
                        {"doc_id": document.id, "page": number, "text": body}
                        for number, body in enumerate(page_texts, start=1)
                    ],
                )
            _index.replace_pages(connection, document.id, document.title, page_texts)

    def search(
        self, query: str, *, doc_type: str | None = None, dossier: str | None = None, limit: int = 20
    ) -> SearchResult:
        match = match_expression(query)
        if match is None:
            return SearchResult(total=0, hits=[])
        with self.engine.connect() as connection:
            total, ranked = _index.best_pages(
                connection, match, doc_type=doc_type, dossier=dossier, limit=max(1, limit)
            )
            hits = []
            for doc_id, page, score in ranked:
                row = connection.execute(
                    select(documents.c.dossier, documents.c.doc_type, documents.c.title).where(
                        documents.c.id == doc_id
                    )
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
