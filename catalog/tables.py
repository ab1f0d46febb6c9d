"""The catalog's tables: one row per document (where its objects are, what it is), its pages' text, dossier
records, fixity audits and ordinal reservations. `catalog.records` writes them; `catalog.search` reads them."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint

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
