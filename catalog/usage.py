"""How often records were used (lượt khai thác, which Thông tư 01/2019/TT-BNV asks the archive to report), counted
from the access log: a document read (its page opened, not each page image fetched) or downloaded, a dossier
opened or exported. Search listings and the review queue name records too but are not a use of them.

Scoped like every read: a document counts for the caller only if its agency is in scope; a dossier only if one of
its documents is."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Engine, bindparam, text

from catalog.identity import access_log
from catalog.tables import documents

# One row per (record named, kind of use), from the entries that are a use. SQLite's json_each and PostgreSQL's
# json_array_elements_text unnest the `records` list; the detail tells a document read from a page image fetch.
_USES = {
    "sqlite": """
        SELECT named.value AS record,
               CASE WHEN log.action = 'download' THEN 'download'
                    WHEN log.action = 'export' THEN 'export'
                    WHEN json_extract(log.detail, '$.what') = 'dossier' THEN 'dossier_view'
                    ELSE 'view' END AS use
        FROM {log} AS log, json_each(log.records) AS named
        WHERE log.action IN ('view', 'download', 'export')
          AND json_extract(log.detail, '$.page') IS NULL
          AND coalesce(json_extract(log.detail, '$.what'), 'dossier') = 'dossier'
    """,
    "postgresql": """
        SELECT named.value AS record,
               CASE WHEN log.action = 'download' THEN 'download'
                    WHEN log.action = 'export' THEN 'export'
                    WHEN log.detail::json ->> 'what' = 'dossier' THEN 'dossier_view'
                    ELSE 'view' END AS use
        FROM {log} AS log, json_array_elements_text(log.records::json) AS named(value)
        WHERE log.action IN ('view', 'download', 'export')
          AND log.detail::json ->> 'page' IS NULL
          AND coalesce(log.detail::json ->> 'what', 'dossier') = 'dossier'
    """,
}


def _scope_clause(agencies: Collection[str] | None, column: str) -> str:
    return "" if agencies is None else f" AND {column} IN :agencies"


def record_uses(engine: Engine, agencies: Collection[str] | None, *, limit: int = 20) -> dict[str, Any]:
    """The most used documents and dossiers in scope, with their counts, and the totals of each kind of use."""
    uses = _USES[engine.dialect.name].format(log=access_log.name)
    by_document = text(
        f"""
        WITH uses AS ({uses})
        SELECT d.id, d.title, d.dossier, d.agency,
               sum(CASE WHEN u.use = 'view' THEN 1 ELSE 0 END) AS views,
               sum(CASE WHEN u.use = 'download' THEN 1 ELSE 0 END) AS downloads
        FROM uses AS u JOIN {documents.name} AS d ON d.id = u.record
        WHERE u.use IN ('view', 'download'){_scope_clause(agencies, "d.agency")}
        GROUP BY d.id, d.title, d.dossier, d.agency
        ORDER BY count(*) DESC, d.id
        """
    )
    by_dossier = text(
        f"""
        WITH uses AS ({uses}),
             in_scope AS (SELECT DISTINCT dossier, agency FROM {documents.name}
                          WHERE dossier IS NOT NULL{_scope_clause(agencies, "agency")})
        SELECT u.record AS code, min(s.agency) AS agency,
               sum(CASE WHEN u.use = 'dossier_view' THEN 1 ELSE 0 END) AS views,
               sum(CASE WHEN u.use = 'export' THEN 1 ELSE 0 END) AS exports
        FROM uses AS u JOIN in_scope AS s ON s.dossier = u.record
        WHERE u.use IN ('dossier_view', 'export')
        GROUP BY u.record
        ORDER BY count(*) DESC, u.record
        """
    )
    if agencies is not None:
        scope = sorted(agencies)
        by_document = by_document.bindparams(bindparam("agencies", value=scope, expanding=True))
        by_dossier = by_dossier.bindparams(bindparam("agencies", value=scope, expanding=True))
    with engine.connect() as connection:
        document_rows = [dict(row._mapping) for row in connection.execute(by_document)]
        dossier_rows = [dict(row._mapping) for row in connection.execute(by_dossier)]
    return {
        "document_views": sum(int(row["views"]) for row in document_rows),
        "document_downloads": sum(int(row["downloads"]) for row in document_rows),
        "dossier_views": sum(int(row["views"]) for row in dossier_rows),
        "dossier_exports": sum(int(row["exports"]) for row in dossier_rows),
        "documents": document_rows[:limit],
        "dossiers": dossier_rows[:limit],
    }
