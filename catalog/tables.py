"""The catalog's tables: one row per document (where its objects are, what it is), its pages' text, dossier
records, fixity audits and ordinal reservations. `catalog.records` writes them; `catalog.search` reads them."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

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
    # What search filters, sorts and counts by (catalog.search), copied from the model so each is an index
    # lookup. A catalog made before these existed gets them when opened (catalog.records), filled from `document`.
    # search_key numbers the document's rows in the full-text index (rowid = search_key << 16 | page), so writing
    # or removing a document touches only its own rows.
    Column("search_key", Integer),
    Column("issued_date", String(10)),  # ISO date (YYYY-MM-DD) the document bears, if read
    Column("year", Integer),  # of issued_date
    Column("number", String(64)),  # search form (catalog.search.query.code_key) of the number ("12")
    Column("notation", String(128)),  # search form of the notation ("qd-ubnd")
    Column("issuer", Text),  # folded issuer, for coquan:
    # The document's role in its dossier (component / result / form, schemas.DocumentRole), what the digitisation
    # indicators count by (catalog.indicators). Added to an older catalog when opened, filled from `document`.
    Column("role", String(16)),
    # 1 while the document waits in the review queue (flagged, or its number or date empty, and no archivist has
    # confirmed it): the queue and its count read an index, not every document's model. Filled like `role`.
    Column("in_review", Integer),
    Index("ix_documents_search_key", "search_key", unique=True),
    # Covers what counting and faceting a search result reads per matching document (no table row read).
    Index("ix_documents_search_facets", "search_key", "status", "doc_type", "agency", "year"),
    Index("ix_documents_agency", "agency"),
    Index("ix_documents_year", "year"),
    Index("ix_documents_issued_date", "issued_date"),
    Index("ix_documents_by_date", "issued_date", "received_at", "id"),  # sort by date
    Index("ix_documents_number", "number"),
    Index("ix_documents_notation", "notation"),
    # Covers what the indicators read per document of a dossier, and what reuse matches on (no table row, hence no
    # model JSON, read).
    Index(
        "ix_documents_roles", "dossier", "status", "agency", "role", "received_at", "sha256", "number", "notation", "id"
    ),
    # An earlier result by its number and notation (reuse; notations alone are shared by thousands: "qd-ubnd"),
    # covering what is read of it.
    Index("ix_documents_number_notation", "number", "notation", "role", "status", "dossier", "agency"),
    Index("ix_documents_reuse_bytes", "sha256", "status", "dossier", "agency"),  # the same bytes elsewhere
    Index("ix_documents_review", "in_review", "status", "agency", "received_at", "id"),  # the queue, oldest first
)

# Where PostgreSQL takes new `search_key`s from (catalog.records._search_key).
SEARCH_KEY_SEQUENCE = "documents_search_key_seq"

# Columns added to `documents` after catalogs were first made: added (empty) to an older catalog when it is opened.
DOCUMENT_SEARCH_COLUMNS = ("search_key", "issued_date", "year", "number", "notation", "issuer")
# Likewise, filled from `document` by SQL alone (no search index to rebuild).
DOCUMENT_ROLE_COLUMNS = ("role", "in_review")

page_text = Table(
    "page_text",
    metadata,
    Column("doc_id", String(64), primary_key=True),
    Column("page", Integer, primary_key=True),
    Column("text", Text, nullable=False),
)


# The history of fixity audits (storage.fixity): one row per run, the full report as JSON. The same reports are
# kept in the store under _audits/, so `sohoa reindex` brings this history back too.
audit_runs = Table(
    "audits",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False, index=True),
    Column("finished_at", DateTime(timezone=True)),
    Column("checked", Integer, nullable=False),
    Column("ok", Integer, nullable=False),
    Column("problems", Integer, nullable=False),
    Column("repaired", Integer, nullable=False),
    Column("report", JSON, nullable=False),
)


# Dossiers' archival fields (schemas.Dossier): what the archivist set, kept also as dossier.json in the store.
dossiers = Table(
    "dossiers",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("dossier", JSON, nullable=False),
)


# The ordinal each document of a dossier holds (its folder `<dossier>.<ordinal>`): one holder per ordinal, one
# ordinal per document. Kept apart from `documents` because an ordinal is taken before the document is archived.
ordinals = Table(
    "ordinals",
    metadata,
    Column("dossier", String(64), primary_key=True),
    Column("ordinal", Integer, primary_key=True),
    Column("doc_id", String(64), nullable=False),
    UniqueConstraint("doc_id", name="one_ordinal_per_document"),
)


# Each file's report of an ingest flow run (flows/ingest.py), so that the caller that started the run on a worker of
# another machine reads them back from the shared catalog (flows/dispatch.py; catalog.reports). One row per input
# file, by its position among the run's inputs; written as each file finishes and again at the end of the run.
# Created by revision 0002 (catalog/migrations/versions/0002_ingest_reports.py).
ingest_reports = Table(
    "ingest_reports",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("source", Text, nullable=False),
    Column("report", JSON, nullable=False),  # schemas.DocumentReport as JSON
    Column("recorded_at", DateTime(timezone=True), nullable=False, index=True),
)


def insert_into(connection, table: Table):
    """An INSERT that can say what to do on a conflict (`on_conflict_do_update` / `_do_nothing`, the same
    spelling on both backends), in the dialect of `connection`."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


# The advisory locks sohoa takes on PostgreSQL, by what they serialise (any distinct numbers).
_ADVISORY_LOCKS = {"catalog": 0x50480A02, "access_log": 0x50480A03}


def take_write_lock(connection, what: str = "catalog") -> None:
    """Begin a transaction that holds the catalog's write lock for `what` until it ends: SQLite's one write lock
    (BEGIN IMMEDIATE), or a PostgreSQL advisory lock (other writers go on; those of the same `what` wait)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCKS[what]})")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
