"""The `ingest-dossier` flow: `archive.ingest` with each stage a tracked Prefect task run (its retries declared
once, in `archive.ingest`). The `ingest` deployment in prefect.yaml runs it on workers; flows.dispatch starts it.

Each file's report is kept in the shared catalog under the flow run's id (`archive.run_reports`): the caller, on
whatever machine, reads it there (no result storage, no shared folder)."""

from __future__ import annotations

from prefect import flow

from archive.ingest import run_name
from archive.run_reports import ingest_recorded
from flows._runner import run_as_task


def _flow_run_name() -> str:
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    return run_name(parameters.get("paths") or [], parameters.get("dossier"))


@flow(name="ingest-dossier", flow_run_name=_flow_run_name, log_prints=True)
def ingest_dossier(paths: list[str], dossier: str | None = None, agency: str | None = None) -> list[dict]:
    """Prefect flow: the same ingest, each stage a tracked task run (retries on storage and index); the reports
    kept in the catalog under this run's id, and returned."""
    from prefect.runtime import flow_run

    reports = ingest_recorded(paths, run_id=str(flow_run.id), dossier=dossier, agency=agency, run=run_as_task)
    return [report.model_dump(mode="json") for report in reports]
