"""Each file's report of an ingest run, kept in the catalog (`ingest_reports`) by the run that made it and read back
by whoever started it - on another machine, perhaps: the catalog is the one thing every machine of an archive
shares (besides the store and the inbox), so the reports need no shared folder.

One row per input file, by its position among the run's inputs: writing a report again (the run writes each file's
as it finishes, then all of them at the end) replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, select

from catalog.records import Catalog
from catalog.tables import ingest_reports, insert_into
from schemas import DocumentReport


def record_reports(catalog: Catalog, run_id: str, reports: Iterable[tuple[int, DocumentReport]]) -> int:
    """Keep these (position, report) of run `run_id`, in one transaction; how many were written."""
    now = datetime.now(UTC)
    rows = [
        {
            "run_id": run_id,
            "position": position,
            "source": report.source,
            "report": report.model_dump(mode="json"),
            "recorded_at": now,
        }
        for position, report in reports
    ]
    if not rows:
        return 0
    with catalog.engine.begin() as connection:
        statement = insert_into(connection, ingest_reports)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[ingest_reports.c.run_id, ingest_reports.c.position],
                set_={
                    "source": statement.excluded.source,
                    "report": statement.excluded.report,
                    "recorded_at": statement.excluded.recorded_at,
                },
            ),
            rows,
        )
    return len(rows)


def reports_of(catalog: Catalog, run_id: str) -> list[tuple[int, DocumentReport]]:
    """The reports run `run_id` kept, by position (none: the run recorded nothing, or ran elsewhere)."""
    with catalog.engine.connect() as connection:
        rows = connection.execute(
            select(ingest_reports.c.position, ingest_reports.c.report)
            .where(ingest_reports.c.run_id == run_id)
            .order_by(ingest_reports.c.position)
        ).all()
    return [(row.position, DocumentReport.model_validate(row.report)) for row in rows]


def prune_reports(catalog: Catalog, older_than: datetime) -> int:
    """Forget the reports recorded before `older_than` (their callers have long read them); how many rows."""
    with catalog.engine.begin() as connection:
        result = connection.execute(delete(ingest_reports).where(ingest_reports.c.recorded_at < older_than))
    return result.rowcount or 0
