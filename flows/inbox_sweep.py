"""Inbox flows: `ingest_inbox`, one sweep of the watched inbox (the safety net run every 5 minutes beside
`sohoa watch`), and `nightly_backlog`, one sweep of a backlog folder laid out like the inbox.

Not named flows/inbox.py: Prefect loads an entrypoint as a script with flows/ on sys.path, where that name would
hide the `inbox` package.

Orchestration only: the work is `inbox.watch.InboxWorker`'s (stability, claims, done/quarantine); here it is
bound to `flows.dispatch.run_ingest` and the settings. Sweeps and watchers on the same folder share it safely:
each file is claimed by one of them only.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from flows.dispatch import inbox_worker
from inbox.watch import SweepSummary
from schemas.failures import SohoaFailure
from schemas.settings import Settings, get_settings


class InboxNotSwept(SohoaFailure):
    code = "inbox_not_swept"
    vi = "Có tệp chưa lưu được do lỗi kho lưu trữ; các tệp đó vẫn nằm trong hộp thư đến để chạy lại"
    en = "Some files could not be archived (archive failure); they are still in the inbox for the next run"


def sweep_inbox(inbox: Path | str | None = None, settings: Settings | None = None) -> SweepSummary:
    """Claim every complete file of the inbox (default SOHOA_INBOX), ingest each dossier, settle each file."""
    settings = settings or get_settings()
    with inbox_worker(Path(inbox) if inbox else settings.inbox_dir, settings) as worker:
        return worker.sweep()


def _inbox_run_name() -> str:
    return f"inbox {flow_run.parameters.get('inbox') or get_settings().inbox_dir}"


def _backlog_run_name() -> str:
    return f"backlog {flow_run.parameters.get('folder') or get_settings().backlog_dir}"


def _finish(summary: SweepSummary, what: str) -> dict:
    print(f"{what}: {summary.line()}")
    if summary.errors:
        raise InboxNotSwept(f"{summary.errors} files")
    return summary.as_json()


@flow(name="ingest-inbox", flow_run_name=_inbox_run_name, log_prints=True)
def ingest_inbox(inbox: str | None = None) -> dict:
    """Prefect flow: one sweep of the watched inbox (default SOHOA_INBOX); Failed if the archive failed some
    files (they stay in the inbox for the next run)."""
    settings = get_settings()
    folder = Path(inbox) if inbox else settings.inbox_dir
    return _finish(sweep_inbox(folder, settings), f"inbox {folder}")


@flow(name="nightly-backlog", flow_run_name=_backlog_run_name, log_prints=True)
def nightly_backlog(folder: str | None = None) -> dict:
    """Prefect flow: one sweep of a backlog folder (default SOHOA_BACKLOG), same layout as the inbox; done files
    go to its own `.done/`, bad ones to its own `.quarantine/`."""
    settings = get_settings()
    target = Path(folder) if folder else settings.backlog_dir
    return _finish(sweep_inbox(target, settings), f"backlog {target}")
