"""Where an ingest runs: in this process by default, or through the `ingest` deployment when a Prefect server
is configured (PREFECT_API_URL), so that workers on other machines do the work.

The watcher and the scheduled sweeps call `run_ingest`; they never care which way it went.
"""

from __future__ import annotations

from flows._runner import prefect_server_configured, run_direct
from flows.ingest import ingest_paths
from schemas import DocumentReport
from sohoa.settings import Settings, get_settings


def run_ingest(
    paths: list[str],
    *,
    dossier: str | None = None,
    agency: str | None = None,
    settings: Settings | None = None,
) -> list[DocumentReport]:
    """Ingest these files as one dossier; one report per input file, in order."""
    settings = settings or get_settings()
    if prefect_server_configured():
        return _through_deployment(paths, dossier=dossier, agency=agency, settings=settings)
    return ingest_paths(paths, dossier=dossier, agency=agency, settings=settings, run=run_direct)


def _through_deployment(paths, *, dossier, agency, settings) -> list[DocumentReport]:
    raise NotImplementedError("ingest through the Prefect deployment is not written yet")
