"""An ingest whose reports are kept in the catalog under the run's id, for a caller on another machine.

A Prefect ingest run on a worker (flows/ingest.py) calls `ingest_recorded`; whoever started it (flows/dispatch.py)
calls `recorded_reports` with the same id once the run has ended. Each file's report is written as the file is
finished (a run that dies half-way has told about the files it did), and all of them again at the end of the run,
retried while the catalog is unreachable (a PostgreSQL restart): a run that cannot record its reports fails, and
its caller then looks each file up in the catalog instead. Nothing here knows Prefect.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from archive.context import Archive, opened
from archive.ingest import ingest_paths
from archive.stages import Stage, StageRunner, run_direct
from catalog import Catalog
from catalog.reports import prune_reports, record_reports, reports_of
from schemas import DocumentReport
from schemas.settings import Settings, get_settings

log = logging.getLogger("sohoa.ingest")

# Reports are read by their caller within minutes; a month of them tells what became of any run of the UI.
KEEP_REPORTS = timedelta(days=30)


def _record_all(archive: Archive, run_id: str, reports: list[DocumentReport], label: str = "") -> int:
    written = record_reports(archive.catalog, run_id, enumerate(reports, start=1))
    prune_reports(archive.catalog, datetime.now(UTC) - KEEP_REPORTS)
    return written


def _read(settings: Settings, run_id: str) -> list[tuple[int, DocumentReport]]:
    catalog = Catalog.from_settings(settings)
    try:
        return reports_of(catalog, run_id)
    finally:
        catalog.close()


# Retried like the index stage, longer: a PostgreSQL server restarting takes seconds, a failover tens of them.
RECORD_REPORTS = Stage("record-reports", _record_all, retries=5, retry_delay_seconds=(1, 3, 5, 10, 20))
READ_REPORTS = Stage("read-reports", _read, retries=5, retry_delay_seconds=(1, 3, 5, 10, 20))


def ingest_recorded(
    paths: list[str],
    *,
    run_id: str,
    dossier: str | None = None,
    agency: str | None = None,
    settings: Settings | None = None,
    archive: Archive | None = None,
    run: StageRunner = run_direct,
) -> list[DocumentReport]:
    """`archive.ingest.ingest_paths`, each file's report kept in the catalog under `run_id` (position = its place
    among the inputs, from 1)."""
    with opened(archive, settings) as archive:

        def finished(position: int, _total: int, report: DocumentReport) -> None:
            try:
                record_reports(archive.catalog, run_id, [(position, report)])
            except Exception as error:  # the catalog is away for now: the end of the run writes it again
                log.warning("report %d of run %s not recorded yet: %s", position, run_id, type(error).__name__)

        reports = ingest_paths(paths, dossier=dossier, agency=agency, archive=archive, run=run, progress=finished)
        # Bookkeeping, not a stage of the pipeline: run here with its retries, never as a task of its own.
        run_direct(RECORD_REPORTS, archive, run_id, reports)
    return reports


def recorded_reports(run_id: str, settings: Settings | None = None) -> list[DocumentReport]:
    """The reports run `run_id` kept, in input order (missing positions left out); raises a named failure
    (`catalog_unavailable`) if the catalog stays unreachable through the retries."""
    found = run_direct(READ_REPORTS, settings or get_settings(), run_id)
    return [report for _position, report in found]
