"""Where an ingest runs: in this process by default, or through the `ingest` deployment when a Prefect server
is configured (PREFECT_API_URL), so that workers on other machines do the work.

The watcher and the scheduled sweeps call `run_ingest`; they never care which way it went: either way they get
one `DocumentReport` per input file, in order, and a file that could not be archived is `quarantined` with a
named reason. The one exception: a Prefect server that cannot be reached (or has no `ingest` deployment) raises
`PrefectUnavailable`, a named, retryable failure: nothing was started, so the files should wait and be tried
again, not be quarantined.

Getting each file's report back from a worker (`_through_deployment`)
----------------------------------------------------------------------
A flow run started through a deployment runs in another process, perhaps on another machine; Prefect hands the
caller only its final state. Two sources of truth are used, in this order:

1. The reports the run kept in the shared catalog under its flow run id (`archive.run_reports`: each file's as it
   is finished, all of them again at the end of the run) - exactly as an in-process ingest gives them, quarantine
   reasons included. The catalog is the one the workers write (the same SOHOA_CATALOG_URL, PostgreSQL across
   machines): no result storage and no folder shared between machines. A catalog that stays unreachable while
   they are read (a PostgreSQL restart lasting longer than the retries) is `ReportsUnreadable`, retryable.
2. Each file the run kept no report for (it failed, crashed - a worker killed, its machine lost, marked Crashed
   by the server's zombie-run automation when its heartbeats stop - or was cancelled; or it ran against another
   catalog) is looked up in the catalog by its document id (`storage.layout.document_id(dossier, sha256)`, the id
   ingest gives it): there, it is `archived` - or `duplicate` if the catalog already had it before the run
   started; not there, it is `quarantined` with a named reason that says what happened to the run and names it
   (`ingest_run_failed`, `ingest_run_crashed`, `ingest_run_cancelled`, `ingest_result_missing`). A run that
   crashed half-way through a dossier thus reports the files it did archive as archived.

The caller never unpickles anything (the reports are JSON) and never raises for a run that went wrong.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from functools import partial
from pathlib import Path
from typing import Any

from archive.ingest import IngestInput, expand_inputs, ingest_paths, run_name
from archive.stages import run_direct
from inbox.watch import InboxWorker, WatchOptions
from schemas import DocumentReport, DocumentStatus
from schemas.checksums import sha256_of_file
from schemas.failures import SohoaFailure
from schemas.settings import Settings, get_settings
from storage import layout

log = logging.getLogger("sohoa.dispatch")

DEPLOYMENT = "ingest-dossier/ingest"
# Seconds between two looks at a running flow run (starting short: a one-page dossier takes seconds).
POLL_SECONDS = (0.5, 1.0, 2.0)
# How often a long wait is logged (a run stays Scheduled, then Late, while no worker polls the pool).
WAITING_NOTE_SECONDS = 300.0
# How long the server may stay unreachable while a started run is awaited (a server restart takes ~15 s).
SERVER_GRACE_SECONDS = 60.0
# Settings of the caller that travel with the run to the worker: a backlog run that limits its OCR processes
# limits those of the ingest runs it starts (prefect.yaml, nightly-backlog).
FORWARDED_ENV = ("SOHOA_OCR_WORKERS",)


class PrefectUnavailable(SohoaFailure):
    code = "prefect_unavailable"
    vi = "Không kết nối được máy chủ Prefect (PREFECT_API_URL)"
    en = "The Prefect server (PREFECT_API_URL) cannot be reached"
    retryable = True


class IngestDeploymentMissing(PrefectUnavailable):
    code = "ingest_deployment_missing"
    vi = "Máy chủ Prefect chưa có deployment ingest-dossier/ingest (chạy prefect deploy --all)"
    en = "The Prefect server has no ingest-dossier/ingest deployment (run prefect deploy --all)"


# Whether a file is worth trying again (`retryable`: the watcher gives it back to the inbox instead of quarantining
# it). A run that failed or crashed as a whole says nothing about the file - the worker's settings, its machine, the
# archive - like an in-process ingest that raises. A cancelled run was stopped by someone on purpose, and a run
# that completed without archiving the file most likely quarantined it: those are quarantined, for a person to
# look at (`sohoa retry` puts them back).
class IngestRunFailed(SohoaFailure):
    code = "ingest_run_failed"
    vi = "Lượt chạy Prefect xử lý hồ sơ bị lỗi trước khi lưu trữ tệp này"
    en = "The Prefect flow run of the dossier failed before archiving this file"
    retryable = True


class IngestRunCrashed(SohoaFailure):
    code = "ingest_run_crashed"
    vi = "Lượt chạy Prefect xử lý hồ sơ bị dừng đột ngột trước khi lưu trữ tệp này"
    en = "The Prefect flow run of the dossier crashed before archiving this file"
    retryable = True


class IngestRunCancelled(SohoaFailure):
    code = "ingest_run_cancelled"
    vi = "Lượt chạy Prefect xử lý hồ sơ đã bị huỷ trước khi lưu trữ tệp này"
    en = "The Prefect flow run of the dossier was cancelled before archiving this file"


class IngestResultMissing(SohoaFailure):
    code = "ingest_result_missing"
    vi = "Lượt chạy Prefect đã xong nhưng không đọc được kết quả, và tệp không có trong danh mục"
    en = "The Prefect flow run completed but its reports cannot be read, and the file is not in the catalog"


class ReportsUnreadable(SohoaFailure):
    code = "ingest_reports_unreadable"
    vi = "Không đọc được báo cáo của lượt chạy Prefect từ danh mục (danh mục tạm thời không truy cập được)"
    en = "The Prefect flow run's reports cannot be read from the catalog (the catalog cannot be reached for now)"
    retryable = True


def prefect_server_configured() -> bool:
    if os.environ.get("PREFECT_API_URL"):
        return True
    try:
        from prefect.settings import PREFECT_API_URL

        return bool(PREFECT_API_URL.value())
    except Exception:  # a broken Prefect profile must not stop a direct run
        return False


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


def inbox_worker(folder: Path | str, settings: Settings | None = None) -> InboxWorker:
    """A worker on `folder` that ingests through `run_ingest` with these settings (use it as a context manager)."""
    settings = settings or get_settings()
    return InboxWorker(Path(folder), partial(run_ingest, settings=settings), WatchOptions.from_settings(settings))


def _through_deployment(
    paths: list[str],
    *,
    dossier: str | None,
    agency: str | None,
    settings: Settings,
    job_variables: dict[str, Any] | None = None,
) -> list[DocumentReport]:
    """Start the `ingest` deployment for these files, wait for the run, and give back one report per file."""
    _check_server()
    items = expand_inputs(paths, dossier)
    absolute = [str(Path(path).absolute()) for path in paths]  # the worker's working folder is not ours
    known_before = _catalog_meta_keys(settings, {item.dossier for item in items})
    flow_run = _start(absolute, dossier, agency, _job_variables(job_variables))
    flow_run = _wait(flow_run)
    reports, why_not = _run_reports(flow_run, settings)
    by_source: dict[str, list[DocumentReport]] = {}
    for report in reports:
        by_source.setdefault(report.source, []).append(report)
    results: list[DocumentReport | None] = []
    for item in items:
        found = by_source.get(str(item.path.absolute()))
        report = found.pop(0) if found else None
        results.append(report.model_copy(update={"source": str(item.path)}) if report else None)
    if any(report is None for report in results):
        failure = _run_failure(flow_run, why_not)
        if why_not.startswith(ReportsUnreadable.code):
            failure = ReportsUnreadable(f"flow run {flow_run.name!r} ({flow_run.id}), {flow_run.state.name}: {why_not}")
        missing = [item for item, report in zip(items, results) if report is None]
        fallback = iter(_reports_from_catalog(missing, settings, known_before, failure))
        results = [report if report is not None else next(fallback) for report in results]
    counts = {status: sum(r.status is status for r in results) for status in DocumentStatus}
    log.info(
        "flow run %r (%s): %s",
        flow_run.name,
        flow_run.id,
        ", ".join(f"{n} {status.value}" for status, n in counts.items() if n),
    )
    return results  # type: ignore[return-value]


def _job_variables(extra: dict[str, Any] | None) -> dict[str, Any] | None:
    env = {name: os.environ[name] for name in FORWARDED_ENV if os.environ.get(name)}
    variables = dict(extra or {})
    if env:
        variables["env"] = {**env, **variables.get("env", {})}
    return variables or None


def _api_url() -> str:
    try:
        from prefect.settings import PREFECT_API_URL

        return PREFECT_API_URL.value() or os.environ.get("PREFECT_API_URL", "")
    except Exception:
        return os.environ.get("PREFECT_API_URL", "")


def _check_server() -> None:
    """Before anything is started or read: a server that does not answer is PrefectUnavailable."""
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            unhealthy = client.api_healthcheck()
    except Exception as error:  # a malformed URL, a TLS problem: the server cannot be reached either
        unhealthy = error
    if unhealthy is not None:
        raise PrefectUnavailable(f"{_api_url()}: {type(unhealthy).__name__}: {unhealthy}")


def _start(paths: list[str], dossier: str | None, agency: str | None, job_variables: dict[str, Any] | None):
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        # Prefect's synchronous client: this function is synchronous whatever its caller runs (a flow run's
        # event loop included), with no private switch.
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name(DEPLOYMENT)
            flow_run = client.create_flow_run_from_deployment(
                deployment.id,
                parameters={"paths": paths, "dossier": dossier, "agency": agency},
                name=run_name(paths, dossier),
                job_variables=job_variables,
                tags=["sohoa-ingest"],
                # The client retries a request that timed out; the server may have made the run already. With a
                # key, the retry gets that run back instead of a second one (seen on a loaded machine: two runs).
                idempotency_key=f"sohoa-ingest-{uuid.uuid4()}",
            )
    except ObjectNotFound as error:
        raise IngestDeploymentMissing(f"{_api_url()}: {DEPLOYMENT}") from error
    except (OSError, ConnectionError) as error:
        raise PrefectUnavailable(f"{_api_url()}: {type(error).__name__}: {error}") from error
    except Exception as error:
        if _is_connection_error(error):
            raise PrefectUnavailable(f"{_api_url()}: {type(error).__name__}: {error}") from error
        raise
    log.info("flow run %r (%s) of deployment %s started; waiting for a worker", flow_run.name, flow_run.id, DEPLOYMENT)
    return flow_run


def _is_connection_error(error: BaseException) -> bool:
    import httpx
    from prefect.exceptions import PrefectHTTPStatusError

    if isinstance(error, httpx.TransportError):
        return True
    return isinstance(error, PrefectHTTPStatusError) and error.response.status_code >= 500


def _wait(flow_run):
    """Poll until the run is in a final state, however long it waits for a worker (a dossier's OCR can take
    minutes; the watcher must not give up on a run that is queued). A server that stays unreachable for
    SERVER_GRACE_SECONDS raises PrefectUnavailable (the run itself may still finish: ingesting its files again
    finds them archived)."""
    from prefect.client.orchestration import get_client

    polls = 0
    unreachable_since: float | None = None
    next_note = time.monotonic() + WAITING_NOTE_SECONDS
    with get_client(sync_client=True) as client:
        while flow_run.state is None or not flow_run.state.is_final():
            time.sleep(POLL_SECONDS[min(polls, len(POLL_SECONDS) - 1)])
            polls += 1
            if time.monotonic() > next_note:  # no worker on the pool shows here: the run stays Scheduled / Late
                log.warning(
                    "still waiting for flow run %r (%s): %s",
                    flow_run.name,
                    flow_run.id,
                    flow_run.state.name if flow_run.state else "no state",
                )
                next_note = time.monotonic() + WAITING_NOTE_SECONDS
            try:
                flow_run = client.read_flow_run(flow_run.id)
                unreachable_since = None
            except Exception as error:
                if not _is_connection_error(error):
                    raise
                unreachable_since = unreachable_since or time.monotonic()
                if time.monotonic() - unreachable_since > SERVER_GRACE_SECONDS:
                    raise PrefectUnavailable(
                        f"{_api_url()}: lost while waiting for flow run {flow_run.name!r} ({flow_run.id}): {error}"
                    ) from error
    return flow_run


def _run_reports(flow_run, settings: Settings) -> tuple[list[DocumentReport], str]:
    """The reports the run kept in the catalog (all, some or none of its files'); if not all, why not."""
    from archive.run_reports import recorded_reports

    state = flow_run.state
    try:
        reports = recorded_reports(str(flow_run.id), settings)
    except Exception as error:  # the catalog stays away: each file is looked up there again, then given back
        detail = f"{error.code}: {error.detail}" if isinstance(error, SohoaFailure) else type(error).__name__
        log.warning("reports of flow run %r (%s) not readable: %s", flow_run.name, flow_run.id, detail)
        return [], f"{ReportsUnreadable.code}: {detail}"
    if not state.is_completed():
        return reports, state.message or state.name
    return reports, "" if reports else "no report in the catalog"


def _run_failure(flow_run, why: str) -> SohoaFailure:
    state = flow_run.state
    failure = {"FAILED": IngestRunFailed, "CRASHED": IngestRunCrashed, "CANCELLED": IngestRunCancelled}.get(
        state.type.value, IngestResultMissing
    )
    detail = f"flow run {flow_run.name!r} ({flow_run.id}), {state.name}"
    return failure(f"{detail}: {why}" if why else detail)


def _catalog_meta_keys(settings: Settings, dossiers: set[str | None]) -> dict[str | None, set[str]]:
    """What the catalog already holds of these dossiers (their meta.json keys), before the run starts."""
    from catalog import Catalog

    try:
        catalog = Catalog.from_settings(settings)
    except Exception as error:
        log.warning("catalog not readable before the ingest run: %s", error)
        return {}
    try:
        return {dossier: catalog.meta_keys(dossier) for dossier in dossiers}
    except Exception as error:
        log.warning("catalog not readable before the ingest run: %s", error)
        return {}
    finally:
        catalog.close()


def _reports_from_catalog(
    items: list[IngestInput], settings: Settings, known_before: dict[str | None, set[str]], failure: SohoaFailure
) -> list[DocumentReport]:
    """Each file's outcome from the shared catalog, by its document id; not there: quarantined, `failure`."""
    from catalog import Catalog

    def quarantined(item: IngestInput, sha256: str | None = None, note: str = "") -> DocumentReport:
        detail = f"{failure.detail} [{note}]" if note else failure.detail
        return DocumentReport(
            id=layout.document_id(item.dossier, sha256) if sha256 else None,
            dossier=item.dossier,
            source=str(item.path),
            sha256=sha256,
            status=DocumentStatus.quarantined,
            failure=failure.as_data(detail),
        )

    try:
        catalog = Catalog.from_settings(settings)
    except Exception as error:
        return [quarantined(item, note=f"catalog not readable: {error}") for item in items]
    reports = []
    try:
        for item in items:
            try:
                sha256 = sha256_of_file(item.path)
            except OSError as error:
                reports.append(quarantined(item, note=f"{type(error).__name__}: {error.strerror or error}"))
                continue
            doc_id = layout.document_id(item.dossier, sha256)
            try:
                known = catalog.status_of(doc_id)
                document = catalog.get(doc_id) if known else None
            except Exception as error:
                reports.append(quarantined(item, sha256, f"catalog not readable: {error}"))
                continue
            if known is None or document is None or known[0] is not DocumentStatus.archived:
                reports.append(quarantined(item, sha256))
                continue
            keys = known[1]
            before = known_before.get(item.dossier, set())
            status = DocumentStatus.duplicate if keys.get(layout.META) in before else DocumentStatus.archived
            reports.append(
                DocumentReport(
                    id=doc_id,
                    dossier=item.dossier,
                    source=str(item.path),
                    doc_type=document.doc_type,
                    pages=document.pages,
                    sha256=sha256,
                    status=status,
                    keys=keys,
                )
            )
    finally:
        catalog.close()
    return reports
