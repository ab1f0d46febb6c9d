"""The catalog: one row per document (where its objects are, what it is) plus the full-text index.

The object store is the source of truth; everything here can be rebuilt from the stored meta.json and
ocr.json files.

Ordinals (the `.NNN` of a document's folder) are handed out by `reserve_ordinal`: a row per (dossier, ordinal)
under a unique constraint, so two ingests of one dossier running at once (two processes, one catalog) can never
take the same one. A catalog made before this table existed gets it, filled from its documents, when opened.

Search (`catalog.search`) reads the `documents` columns it filters and counts by (agency, type, year, date,
number, notation, issuer) and the two-form full-text index; `record` writes both in the document's transaction,
touching only that document's rows. A catalog made before those columns and that index existed gets them when
opened, filled from the stored models and page texts (`sohoa reindex` refills everything from the store).

SQLite failing under us (disk full, file unreadable, locked for too long) is a named failure (`disk_full`,
`catalog_unavailable`), never a raw OperationalError with SQL in it.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from catalog import schema
from catalog.search import index as search_index
from catalog.search import search as search_documents
from catalog.search.query import code_key
from catalog.tables import (
    DOCUMENT_ROLE_COLUMNS,
    DOCUMENT_SEARCH_COLUMNS,
    SEARCH_KEY_SEQUENCE,
    audit_runs,
    documents,
    dossiers,
    insert_into,
    metadata,
    ordinals,
    page_text,
)
from schemas import DOC_TYPE_NAMES, Document, DocumentStatus, Dossier, SearchResult
from schemas.failures import InvalidSetting, SohoaFailure
from schemas.text import fold


class CatalogUnavailable(SohoaFailure):
    code = "catalog_unavailable"
    vi = (
        "Không đọc/ghi được danh mục: tệp catalog.db bị khoá, chỉ đọc, hỏng hoặc lỗi đĩa,"
        " hoặc không kết nối được máy chủ PostgreSQL"
    )
    en = (
        "The catalog cannot be read or written: catalog.db locked, read-only, damaged or a disk error,"
        " or the PostgreSQL server cannot be reached"
    )
    retryable = True


class DiskFull(CatalogUnavailable):
    code = "disk_full"
    vi = "Ổ đĩa chứa danh mục (catalog.db) đã đầy, không ghi được"
    en = "The disk holding the catalog (catalog.db) is full; nothing could be written"
    retryable = False  # it does not free itself in the seconds a retry waits


# SQLite's primary result codes (the low byte of an extended one) that mean "the file or disk", not "the SQL".
_SQLITE_BUSY = 5
_BUSY_TIMEOUT_MS = 30_000
_SQLITE_IOERR = 10
_SQLITE_FULL = 13
_SQLITE_FILE_PROBLEMS = {3, _SQLITE_BUSY, 6, 8, _SQLITE_IOERR, 11, _SQLITE_FULL, 14, 15, 26}
# Less free space than this where the catalog lives, and an I/O error is the disk being full (SQLite says
# SQLITE_FULL only for some writes: growing the WAL index on a full disk is an SQLITE_IOERR_SHMSIZE).
_NEARLY_FULL_BYTES = 1024 * 1024


def _disk_is_full(database: str) -> bool:
    try:
        found = os.statvfs(Path(database).parent)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False
    return found.f_bavail * found.f_frsize < _NEARLY_FULL_BYTES


def _named_failure(context) -> None:
    """SQLAlchemy's handle_error hook: the file-level SQLite errors become named failures (their message names
    the SQLite code and the catalog file, never the SQL or its parameters); anything else (a bug) goes on as it
    was."""
    error = context.original_exception
    if context.engine is not None and context.engine.dialect.name == "postgresql":
        import psycopg

        if isinstance(error, psycopg.OperationalError) or context.is_disconnect:
            # Never the server's message: it may quote the statement or its parameters.
            url = context.engine.url
            raise CatalogUnavailable(f"{url.host}:{url.port}/{url.database}: {type(error).__name__}") from None
        return
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(error, sqlite3.Error) or code is None or code & 0xFF not in _SQLITE_FILE_PROBLEMS:
        return
    name = getattr(error, "sqlite_errorname", None) or str(code)
    database = (context.engine.url.database if context.engine is not None else "") or ""
    if code & 0xFF == _SQLITE_FULL or (code & 0xFF == _SQLITE_IOERR and database and _disk_is_full(database)):
        raise DiskFull(f"{database}: {name}") from None
    raise CatalogUnavailable(f"{database}: {name}") from None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web app read while an ingest writes; the busy timeout rides out short write locks (set first:
    # switching a new file to WAL takes a lock that another process opening it may hold).
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _switch_to_wal(cursor) -> None:
    """`PRAGMA journal_mode=WAL`, tried again while another process holds the file: two processes switching a new
    catalog at the same moment each hold a shared lock and want the exclusive one, and SQLite answers one of them
    SQLITE_BUSY at once (waiting would deadlock), whatever the busy timeout. The other finishes in milliseconds."""
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            busy = (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF == _SQLITE_BUSY
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))


def _keep_ordinal(connection, document: Document) -> None:
    """An archived document's ordinal is its own (kept when the catalog is rebuilt from the store); a number
    another document already holds is left to that one (`sohoa verify` reports the clash)."""
    if document.dossier and document.ordinal is not None:
        connection.execute(
            insert_into(connection, ordinals)
            .values(dossier=document.dossier, ordinal=document.ordinal, doc_id=document.id)
            .on_conflict_do_nothing()
        )


def _backfill_ordinals(connection) -> None:
    """A catalog from before `ordinals` existed (SQLite only: PostgreSQL catalogs came later): its documents'
    ordinals, from their stored model, earliest arrival first (if two claim one number, the first keeps it)."""
    if connection.dialect.name != "sqlite":
        return
    ordinal = func.json_extract(documents.c.document, "$.ordinal")
    rows = connection.execute(
        select(documents.c.dossier, ordinal, documents.c.id)
        .where(documents.c.dossier.is_not(None), ordinal.is_not(None))
        .order_by(documents.c.received_at, documents.c.id)
    ).all()
    for dossier, number, doc_id in rows:
        connection.execute(
            insert_into(connection, ordinals)
            .values(dossier=dossier, ordinal=int(number), doc_id=doc_id)
            .on_conflict_do_nothing()
        )


def display_title(document: Document) -> str:
    """What a hit shows: the printed heading (or the type's name) and the trích yếu, never the received file's
    name (which may hold a citizen's name)."""
    heading = document.classification.title or DOC_TYPE_NAMES.get(document.doc_type, document.doc_type.value)
    subject = (document.classification.metadata.subject or "").strip()
    if subject and fold(subject) not in fold(heading):
        return f"{heading}: {subject}"
    return heading


def _search_columns(document: Document) -> dict[str, Any]:
    """The `documents` columns search filters, sorts and counts by, from the document's classification."""
    fields = document.classification.metadata
    issued = fields.issued_date
    return {
        "doc_type": document.doc_type.value,
        "title": display_title(document),
        "issued_date": issued.isoformat() if issued else None,
        "year": issued.year if issued else None,
        "number": code_key(fields.number) if fields.number else None,
        "notation": code_key(fields.notation) if fields.notation else None,
        "issuer": " ".join(fold(fields.issuer).split()) if fields.issuer else None,
        "role": document.role.value if document.role else None,
        "in_review": int(in_review(document)),
    }


def _tags(document: Document) -> str:
    return search_index.tags_of(
        document.agency, document.doc_type.value, document.classification.metadata.issued_date, document.dossier
    )


def _search_key(connection: Connection, doc_id: str) -> int:
    """The document's key in the full-text index: its own, or a new one. SQLite: the next free one (taken under the
    write lock the caller's upsert of the row already holds); PostgreSQL: from a sequence (writers run side by
    side there, and two reading the same highest key would collide)."""
    key = connection.execute(select(documents.c.search_key).where(documents.c.id == doc_id)).scalar_one()
    if key is None:
        if connection.dialect.name == "postgresql":
            fresh = f"nextval('{SEARCH_KEY_SEQUENCE}')"
        else:
            fresh = "(SELECT COALESCE(MAX(search_key), 0) + 1 FROM documents)"
        connection.execute(text(f"UPDATE documents SET search_key = {fresh} WHERE id = :id"), {"id": doc_id})
        key = connection.execute(select(documents.c.search_key).where(documents.c.id == doc_id)).scalar_one()
    return int(key)


def _page_texts(connection: Connection, doc_id: str) -> list[str]:
    rows = connection.execute(
        select(page_text.c.page, page_text.c.text).where(page_text.c.doc_id == doc_id).order_by(page_text.c.page)
    ).all()
    texts = [""] * (max((row.page for row in rows), default=0))
    for row in rows:
        texts[row.page - 1] = row.text
    return texts


# How an older catalog's new column is filled from the stored model, in SQL (the same rule as _search_columns).
_FILLED_FROM_MODEL = {
    "role": "json_extract(document, '$.role')",
    "in_review": (
        "CASE WHEN json_extract(document, '$.classification.confirmed_by') IS NULL"
        " AND (json_extract(document, '$.classification.needs_review') = 1"
        " OR json_extract(document, '$.classification.metadata.number') IS NULL"
        " OR json_extract(document, '$.classification.metadata.issued_date') IS NULL) THEN 1 ELSE 0 END"
    ),
}


def in_review(document: Document) -> bool:
    """Whether the document waits in the review queue: flagged, or its number or issued date empty, and not yet
    confirmed by an archivist."""
    classification = document.classification
    fields = classification.metadata
    unsure = classification.needs_review or fields.number is None or fields.issued_date is None
    return classification.confirmed_by is None and unsure


def _upgrade_for_roles(connection: Connection) -> None:
    """A catalog from before documents had a role: the column added and filled from each stored model, in SQL."""
    if not inspect(connection).has_table(documents.name):
        return
    present = {column["name"] for column in inspect(connection).get_columns(documents.name)}
    for name in DOCUMENT_ROLE_COLUMNS:
        if name not in present:
            column_type = documents.c[name].type.compile(dialect=connection.dialect)
            connection.exec_driver_sql(f"ALTER TABLE documents ADD COLUMN {name} {column_type}")
            connection.exec_driver_sql(f"UPDATE documents SET {name} = {_FILLED_FROM_MODEL[name]}")


def _upgrade_for_search(connection: Connection, index_was_there: bool) -> None:
    """A catalog from before search's columns and index: the columns added, filled from each stored model, and
    the pages indexed from `page_text` (one pass, when the catalog is first opened by this version)."""
    present = {column["name"] for column in inspect(connection).get_columns(documents.name)}
    missing = [name for name in DOCUMENT_SEARCH_COLUMNS if name not in present]
    for name in missing:
        column_type = documents.c[name].type.compile(dialect=connection.dialect)
        connection.exec_driver_sql(f"ALTER TABLE documents ADD COLUMN {name} {column_type}")
    for table_index in documents.indexes:
        table_index.create(connection, checkfirst=True)
    if not missing and index_was_there:
        return
    for row in connection.execute(select(documents.c.id, documents.c.document)).all():
        document = Document.model_validate(row.document)
        connection.execute(documents.update().where(documents.c.id == row.id).values(**_search_columns(document)))
        key = _search_key(connection, row.id)
        search_index.replace_pages(
            connection, key, display_title(document), _page_texts(connection, row.id), _tags(document)
        )


# The tables of the baseline revision: a table added later is created by its own revision, not here.
BASELINE_TABLES = (
    "documents",
    "page_text",
    "audits",
    "dossiers",
    "ordinals",
    "agencies",
    "agency_successors",
    "users",
    "user_agencies",
    "tokens",
    "token_agencies",
    "access_log",
)


def create_or_complete_schema(connection: Connection) -> None:
    """The baseline revision's work (catalog/migrations/versions/0001_baseline.py), under the caller's lock: every
    table, index and the full-text index created; a catalog from before migrations completed in place (columns
    added and filled from each stored model, pages indexed, ordinals reserved)."""
    had_ordinals = inspect(connection).has_table(ordinals.name)
    had_index = search_index.exists(connection)  # (an index of an earlier layout is dropped here)
    _upgrade_for_roles(connection)  # before create_all makes the index on the role column
    metadata.create_all(connection, tables=[metadata.tables[name] for name in BASELINE_TABLES])
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"CREATE SEQUENCE IF NOT EXISTS {SEARCH_KEY_SEQUENCE}")
    search_index.create(connection)
    _upgrade_for_search(connection, had_index)
    if not had_ordinals:
        _backfill_ordinals(connection)


def engine_url(url: str) -> str:
    """The SQLAlchemy URL of a catalog setting: sqlite:///path, or postgresql://... read with psycopg 3."""
    for scheme in ("postgresql://", "postgres://", "postgresql+psycopg://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    if url.startswith("sqlite:///"):
        return url
    raise InvalidSetting("SOHOA_CATALOG_URL: sqlite:///path or postgresql://user@host:port/database")


def open_engine(url: str) -> Engine:
    """An engine on the catalog `url` names (see engine_url), with SQLite's settings and the named failures; the
    schema not checked (catalog.schema does that; Catalog opens through it)."""
    sqlalchemy_url = engine_url(url)
    if sqlalchemy_url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(sqlalchemy_url)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # pool_pre_ping: a connection the server dropped (a restart) is replaced, not handed out broken.
        engine = create_engine(sqlalchemy_url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    event.listen(engine, "handle_error", _named_failure)
    return engine


class Catalog:
    def __init__(self, url: str):
        self.engine: Engine = open_engine(url)
        self.url = str(self.engine.url)
        try:
            self._prepare_schema()
        except BaseException:
            self.engine.dispose()
            raise

    def _prepare_schema(self) -> None:
        """Check the schema's revision (catalog.schema): an empty database is created at the latest one, an
        older or newer catalog refused (nothing written: a catalog on read-only media still opens)."""
        with self.engine.connect() as connection:
            found = schema.check(connection)
        if found == "empty":
            schema.migrate(self.engine)

    @classmethod
    def from_settings(cls, settings) -> Catalog:
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
            "pages": document.pages,
            "sha256": document.sha256,
            "size": document.size,
            "status": DocumentStatus.archived.value,
            "keys": keys,
            "received_at": document.received_at,
            "document": json.loads(document.model_dump_json()),
            **_search_columns(document),
        }
        with self.engine.begin() as connection:
            statement = insert_into(connection, documents).values(**values)
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
            key = _search_key(connection, document.id)
            search_index.replace_pages(connection, key, values["title"], page_texts, _tags(document))
            _keep_ordinal(connection, document)

    def update_document(self, document: Document) -> None:
        """Replace the stored model of an archived document (new events, e.g. a repair), leaving its pages."""
        with self.engine.begin() as connection:
            connection.execute(
                documents.update()
                .where(documents.c.id == document.id)
                .values(document=json.loads(document.model_dump_json()))
            )

    def update_classification(self, document: Document) -> None:
        """A document's type changed (an archivist's label): its model, search columns and indexed title follow."""
        with self.engine.begin() as connection:
            connection.execute(
                documents.update()
                .where(documents.c.id == document.id)
                .values(document=json.loads(document.model_dump_json()), **_search_columns(document))
            )
            key = _search_key(connection, document.id)
            search_index.replace_pages(
                connection, key, display_title(document), _page_texts(connection, document.id), _tags(document)
            )

    def page_texts(self, doc_id: str) -> list[str]:
        """A document's pages' text, in order (empty strings for pages without text)."""
        with self.engine.connect() as connection:
            return _page_texts(connection, doc_id)

    def first_page_texts(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """The first page with text of each document (what classification reads)."""
        found: dict[str, str] = {}
        with self.engine.connect() as connection:
            for doc_id in doc_ids:
                rows = connection.execute(
                    select(page_text.c.text).where(page_text.c.doc_id == doc_id).order_by(page_text.c.page)
                ).scalars()
                found[doc_id] = next((body for body in rows if body.strip()), "")
        return found

    def confirmed_documents(self) -> list[Document]:
        """Documents whose type an archivist confirmed or corrected: the training set of the classifier."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(documents.c.document).order_by(documents.c.id))
            found = [Document.model_validate(row.document) for row in rows]
        return [document for document in found if document.classification.confirmed_by]

    def dossier_documents(self, code: str) -> list[Document]:
        """The archived documents of a dossier, in their order (ordinal, then arrival)."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(documents.c.document).where(documents.c.dossier == code))
            found = [Document.model_validate(row.document) for row in rows]
        return sorted(found, key=lambda document: (document.ordinal or 10**6, document.received_at, document.id))

    def reserve_ordinal(self, dossier: str, wanted: int, doc_id: str) -> int:
        """The ordinal `doc_id` holds in `dossier`: the one it already has, else `wanted` or the next one no other
        document holds, taken now. The unique constraint decides between two ingests choosing the same number at
        the same moment; the loser looks again. An ordinal stays with its document (an ingest of the same bytes
        that failed before gets its number back)."""
        while True:
            with self.engine.connect() as connection:
                held = connection.execute(select(ordinals.c.ordinal).where(ordinals.c.doc_id == doc_id)).first()
                if held is not None:
                    return held.ordinal
                taken = set(
                    connection.execute(
                        select(ordinals.c.ordinal).where(ordinals.c.dossier == dossier, ordinals.c.ordinal >= wanted)
                    ).scalars()
                )
            ordinal = wanted
            while ordinal in taken:
                ordinal += 1
            try:
                with self.engine.begin() as connection:
                    connection.execute(ordinals.insert().values(dossier=dossier, ordinal=ordinal, doc_id=doc_id))
                return ordinal
            except IntegrityError:
                continue  # another ingest took this ordinal (or reserved this document) since we looked

    def get_dossier(self, code: str) -> Dossier | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(dossiers.c.dossier).where(dossiers.c.code == code)).first()
        return None if row is None else Dossier.model_validate(row.dossier)

    def record_dossier(self, dossier: Dossier) -> None:
        values = {"code": dossier.code, "dossier": json.loads(dossier.model_dump_json())}
        with self.engine.begin() as connection:
            statement = insert_into(connection, dossiers).values(**values)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[dossiers.c.code], set_={"dossier": statement.excluded.dossier}
                )
            )

    def dossier_codes(self, prefix: str) -> set[str]:
        """Every dossier code starting with `prefix` the catalog knows: of archived documents and of the register."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.engine.connect() as connection:
            held = set(
                connection.execute(select(documents.c.dossier).where(documents.c.dossier.like(pattern, "\\"))).scalars()
            )
            named = set(
                connection.execute(select(dossiers.c.code).where(dossiers.c.code.like(pattern, "\\"))).scalars()
            )
        return {code for code in held | named if code}

    def claim_dossier(self, dossier: Dossier) -> bool:
        """Enter a new dossier, unless its code is taken (False): two clerks asking for a new code at the same
        moment never get the same one."""
        values = {"code": dossier.code, "dossier": json.loads(dossier.model_dump_json())}
        with self.engine.begin() as connection:
            # RETURNING says whether the row went in (psycopg's rowcount for this statement is not to be relied on).
            statement = insert_into(connection, dossiers).values(**values).on_conflict_do_nothing()
            return connection.execute(statement.returning(dossiers.c.code)).first() is not None

    def ids(self) -> set[str]:
        with self.engine.connect() as connection:
            return set(connection.execute(select(documents.c.id)).scalars())

    def meta_keys(self, dossier: str | None) -> set[str]:
        """The meta.json keys of a dossier's documents (what the catalog already knows is in the store)."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(documents.c["keys"]).where(documents.c.dossier == dossier))
            return {row.keys.get("meta") for row in rows if row.keys.get("meta")}

    def fixity_index(self) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
        """(id, role -> key, role -> sha256) for every document: what the audit compares the store with."""
        with self.engine.connect() as connection:
            for row in connection.execute(select(documents.c.id, documents.c["keys"], documents.c.document)):
                objects = (row.document or {}).get("objects", {})
                yield row.id, dict(row.keys), {role: stored.get("sha256", "") for role, stored in objects.items()}

    def prune(self, keep: Iterable[str]) -> list[str]:
        """Remove every document whose id is not in `keep` (with its pages); return the ids removed."""
        keep = set(keep)
        removed = sorted(self.ids() - keep)
        with self.engine.begin() as connection:
            for doc_id in removed:
                key = connection.execute(select(documents.c.search_key).where(documents.c.id == doc_id)).scalar()
                connection.execute(page_text.delete().where(page_text.c.doc_id == doc_id))
                search_index.delete(connection, key)
                connection.execute(documents.delete().where(documents.c.id == doc_id))
                connection.execute(ordinals.delete().where(ordinals.c.doc_id == doc_id))
        return removed

    def record_audit(self, report: dict) -> None:
        """Keep one audit's report (idempotent on its id)."""
        from datetime import datetime

        values = {
            "id": report["id"],
            "started_at": datetime.fromisoformat(report["started_at"]),
            "finished_at": datetime.fromisoformat(report["finished_at"]) if report.get("finished_at") else None,
            "checked": report.get("checked", 0),
            "ok": report.get("ok", 0),
            "problems": report.get("problems", 0),
            "repaired": len(report.get("repaired", [])),
            "report": report,
        }
        with self.engine.begin() as connection:
            statement = insert_into(connection, audit_runs).values(**values)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[audit_runs.c.id],
                    set_={name: statement.excluded[name] for name in values if name != "id"},
                )
            )

    def audits(self, limit: int = 20) -> list[dict]:
        """The latest audit reports, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(audit_runs.c.report).order_by(audit_runs.c.started_at.desc()).limit(limit))
            return [row.report for row in rows]

    def search(
        self,
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
        """Full-text search (catalog.search) over this catalog; `agencies` is the caller's scope (None: all)."""
        return search_documents(
            self.engine,
            query,
            agencies=agencies,
            doc_type=doc_type,
            agency=agency,
            dossier=dossier,
            limit=limit,
            offset=offset,
            sort=sort,
        )
