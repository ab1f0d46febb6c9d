"""The `accesslog-copy` flow: every finished day of the access log not yet copied goes to the object store as JSON
lines under `_accesslog/`, locked like an original (`archive.access.copy_pending_access_logs`); prefect.yaml runs it
daily. A missed night is caught up by the next run."""

from __future__ import annotations

from prefect import flow

from archive.access import copy_pending_access_logs
from archive.context import Archive


@flow(name="accesslog-copy", flow_run_name="access log copy", log_prints=True)
def copy_access_log() -> list[dict]:
    """Prefect flow: copy the finished days of the access log into the store."""
    with Archive.open() as archive:
        outcomes = copy_pending_access_logs(archive)
    for outcome in outcomes:
        print(f"access log {outcome['day']}: {outcome['entries']} entries, {outcome['status']} ({outcome['key']})")
    return outcomes
