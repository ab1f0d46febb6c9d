"""Past one machine (issue 15): a Prefect server on PostgreSQL, one process work pool with a concurrency limit, a
global limit on the OCR (`tesseract`) task runs, two workers pulling `ingest` runs, the catalog on PostgreSQL and
one store, and two `sohoa watch` processes on one inbox - every process real, started here, stopped at the end.

Twenty documents dropped in the inbox are archived exactly once, with unique ordinals per dossier, by both workers;
then a worker's machine is killed (the worker and its flow run, SIGKILL) mid-document and the PostgreSQL server
restarted mid-ingest: Prefect's zombie-run automation (flows/automations.yaml) marks the dead run Crashed when its
heartbeats stop, the watcher gives its files back to the inbox, and the other worker archives them, once.

Each file's report reaches its watcher through the catalog (flows/dispatch.py): the workers and the watchers share
no folder but the inbox (no Prefect result storage).
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from _pages import MARKERS, write_png
from conftest import sohoa_command
from test_deployments import (
    PREFECT,
    REPO,
    SERVER_START_SECONDS,
    Process,
    Server,
    _clean_environment,
    _free_port,
    _prefect,
)

POOL = "sohoa"
POOL_LIMIT = 2  # flow runs at once over the pool
TESSERACT_LIMIT = 1  # OCR task runs at once over every worker: one, so that the test can see it held
# The automation's window, shorter than flows/automations.yaml's 90 s to keep the test short; still two heartbeats
# of the ingest deployment (30 s, prefect.yaml).
ZOMBIE_WITHIN_SECONDS = 60
AGENCY = "000.00.00.H33"
SETTLE_SECONDS = 300  # everything archived and settled by then (2 cores shared with other work)


def dossier_code(sequence: int) -> str:
    return f"{AGENCY}-240115-{sequence:04d}"


@dataclass
class Cluster:
    server: Server
    catalog_url: str
    store: Path
    inbox: Path
    sohoa_env: dict[str, str]
    logs: Path
    workers: dict[str, Process] = field(default_factory=dict)
    watchers: list[Process] = field(default_factory=list)

    def start_worker(self, name: str) -> Process:
        env = {
            **self.server.env,
            **self.sohoa_env,
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        }
        workdir = self.logs / name
        workdir.mkdir(exist_ok=True)
        # --limit 1: each worker stands for a small machine taking one dossier at a time (only `ingest` is deployed
        # here: no sweep waits on the pool), so runs started together go to both.
        process = Process(
            name,
            [str(PREFECT), "worker", "start", "--pool", POOL, "--name", name, "--limit", "1"],
            env,
            self.logs,
            workdir,
        )
        self.workers[name] = process
        return process

    def start_watcher(self) -> Process:
        env = {
            **self.server.env,
            **self.sohoa_env,
            "SOHOA_STABLE_SECONDS": "0.5",
            "SOHOA_RESCAN_SECONDS": "1",
            "SOHOA_CLAIM_TIMEOUT_SECONDS": "60",
        }
        number = len(self.watchers) + 1
        process = Process(
            f"watch-{number}", [*sohoa_command(), "watch", str(self.inbox)], env, self.logs, cwd=self.logs
        )
        self.watchers.append(process)
        return process

    def settings(self):
        return self.server.settings()


def _wait_until(predicate, timeout: float, what: str, interval: float = 0.5, logs: list[Process] = ()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    tails = "\n".join(f"--- {process.name}\n{process.log_tail(30)}" for process in logs)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tails}")


def _start_server(env: dict[str, str], home: Path, database_url: str, port: int) -> Process:
    server = Process(
        "prefect-server",
        [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui", "--analytics-off"],
        {**env, "PREFECT_API_DATABASE_CONNECTION_URL": database_url},
        home,
        cwd=home,
    )
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        assert server.alive(), f"the Prefect server exited:\n{server.log_tail()}"
        try:
            if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"no /api/health after {SERVER_START_SECONDS} s:\n{server.log_tail()}"
        time.sleep(0.5)


def _zombie_automation() -> str:
    """flows/automations.yaml's automation, its window shortened for the test."""
    [automation] = yaml.safe_load((REPO / "flows" / "automations.yaml").read_text())["automations"]
    automation["trigger"]["within"] = ZOMBIE_WITHIN_SECONDS
    return json.dumps(automation)


@pytest.fixture(scope="module")
def cluster(pg_server, tmp_path_factory):
    """The server on PostgreSQL set up as README says (pool and its limit, the tesseract limit, the zombie-run
    automation, the ingest deployment), two workers and two watchers on one inbox, the catalog on PostgreSQL."""
    root = tmp_path_factory.mktemp("scaleout")
    home, logs = root / "prefect-home", root / "logs"
    home.mkdir()
    logs.mkdir()
    prefect_database = f"prefect_{uuid.uuid4().hex[:12]}"
    pg_server.create_database(prefect_database)
    database_url = f"postgresql+asyncpg://{pg_server.user}@127.0.0.1:{pg_server.port}/{prefect_database}"
    port = _free_port()
    env = {
        **_clean_environment(),
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_CLI_PROMPT": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    started: list[Process] = []
    cluster = None
    try:
        started.append(_start_server(env, home, database_url, port))
        server = Server(api_url=env["PREFECT_API_URL"], home=home, env=env)
        _prefect(server, "work-pool", "create", POOL, "--type", "process")
        _prefect(server, "work-pool", "set-concurrency-limit", POOL, str(POOL_LIMIT))
        _prefect(server, "concurrency-limit", "create", "tesseract", str(TESSERACT_LIMIT))
        _prefect(server, "automation", "create", "--from-json", _zombie_automation())
        _prefect(server, "--no-prompt", "deploy", "--name", "ingest")
        sohoa_env = {
            "SOHOA_HOME": str(root / "sohoa-home"),
            "SOHOA_CATALOG_URL": pg_server.create_database(),
            "SOHOA_STORE_URL": (root / "store").as_uri(),
            "SOHOA_OCR_LANG": "eng",
            "SOHOA_OCR_WORKERS": "1",
            "OMP_THREAD_LIMIT": "1",
        }
        cluster = Cluster(
            server=server,
            catalog_url=sohoa_env["SOHOA_CATALOG_URL"],
            store=root / "store",
            inbox=root / "inbox",
            sohoa_env=sohoa_env,
            logs=logs,
        )
        cluster.start_worker("worker-a")
        cluster.start_worker("worker-b")
        cluster.start_watcher()
        cluster.start_watcher()
        yield cluster
    finally:
        if cluster is not None:
            for process in [*cluster.watchers, *cluster.workers.values()]:  # watchers first: they give claims back
                process.stop()
        for process in started:
            process.stop()


# ---------------------------------------------------------------- what the archive holds


def _catalog_documents(cluster: Cluster) -> list:
    from catalog import Catalog

    catalog = Catalog(cluster.catalog_url)
    try:
        return [catalog.get(doc_id) for doc_id in sorted(catalog.ids())]
    finally:
        catalog.close()


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def _waiting(inbox: Path) -> list[Path]:
    """Files in the inbox itself or claimed (not yet settled)."""
    return [
        path
        for path in _files(inbox)
        if path.relative_to(inbox).parts[0] not in (".done", ".quarantine") and path.name != ".heartbeat"
    ]


def _drop(cluster: Cluster, dossier: str, name: str, text: str) -> Path:
    folder = cluster.inbox / AGENCY / dossier
    folder.mkdir(parents=True, exist_ok=True)
    staging = cluster.logs / "staging"
    staging.mkdir(exist_ok=True)
    written = write_png(staging / name, text)  # written aside, then moved in: complete when it appears
    target = folder / name
    written.rename(target)
    return target


def _settled(cluster: Cluster, expected: int) -> bool:
    return not _waiting(cluster.inbox) and len(_catalog_documents(cluster)) == expected


def _check_archive(cluster: Cluster, expected: int, per_dossier: dict[str, int]) -> list:
    documents = _catalog_documents(cluster)
    assert len(documents) == expected
    assert len({document.sha256 for document in documents}) == expected  # no document twice
    for dossier, count in per_dossier.items():
        ordinals = sorted(document.ordinal for document in documents if document.dossier == dossier)
        assert ordinals == list(range(1, count + 1)), (dossier, ordinals)  # unique, none skipped
    # In the store once each (meta.json is written last), nothing quarantined, every file done.
    assert len(list(cluster.store.rglob("meta.json"))) == expected
    assert _files(cluster.inbox / ".quarantine") == []
    assert len(_files(cluster.inbox / ".done")) == expected
    return documents


# ---------------------------------------------------------------- what Prefect saw


def _ingest_runs() -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["ingest"])), limit=200
        )


def _worker_of_runs() -> dict[str, str]:
    """flow run id -> the name of the worker that ran it (its `prefect.worker.executed-flow-run` event)."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

    found: dict[str, str] = {}
    with get_client(sync_client=True) as client:
        page = client.read_events(
            filter=EventFilter(
                event=EventNameFilter(name=["prefect.worker.executed-flow-run"]),
                occurred=EventOccurredFilter(since=datetime.now(UTC) - timedelta(hours=1)),
            ),
            limit=50,
        )
        while True:
            for event in page.events:
                for related in event.related:
                    if related.role == "flow-run":
                        found[related.id.removeprefix("prefect.flow-run.")] = event.resource.name
            if not page.next_page:
                break
            page = client.read_events_page(page.next_page)
    return found


def _ocr_task_runs(flow_run_ids: list) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=flow_run_ids)), limit=200)
    return [run for run in runs if run.name.split(" ")[0] == "ocr"]


def _most_at_once(intervals: list[tuple]) -> int:
    points = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    most = current = 0
    for _, step in points:  # an end sorts before a start at the same instant
        current += step
        most = max(most, current)
    return most


# ---------------------------------------------------------------- the tests


def test_twenty_documents_from_two_watchers_through_two_workers_are_archived_once(cluster):
    started = time.monotonic()
    first, second = {}, {}
    for sequence in range(1, 6):  # five dossiers of three files, then a fourth file each while they are ingested
        dossier = dossier_code(sequence)
        first[dossier] = [_drop(cluster, dossier, f"{n:02d}.png", f"{MARKERS[n]} {sequence}-{n}") for n in range(3)]
    _wait_until(lambda: _files(cluster.inbox / ".processing"), 60, "a dossier claimed", logs=cluster.watchers)
    for dossier in first:
        second[dossier] = [_drop(cluster, dossier, "03.png", f"{MARKERS[3]} {dossier[-1]}-3")]
    processes = [*cluster.watchers, *cluster.workers.values()]
    _wait_until(lambda: _settled(cluster, 20), SETTLE_SECONDS, "20 documents archived", logs=processes)
    took = time.monotonic() - started
    print(f"20 documents through 2 watchers and 2 workers: {took:.1f} s")

    _check_archive(cluster, 20, {dossier: 4 for dossier in first})
    for process in processes:
        assert process.alive(), process.log_tail()
    for watcher in cluster.watchers:
        assert "Traceback" not in watcher.log_path.read_text(errors="replace"), watcher.log_tail(80)

    with cluster.settings():
        runs = _ingest_runs()

        # Each worker says which runs it executed once they end (an event, stored a moment later).
        def every_runs_worker() -> dict[str, str] | None:
            found = _worker_of_runs()
            return found if all(str(run.id) in found for run in runs) else None

        workers = _wait_until(every_runs_worker, 60, "every run's worker")
        ocr_runs = _ocr_task_runs([run.id for run in runs])
    assert runs and all(run.state.is_completed() for run in runs), [(run.name, run.state.name) for run in runs]
    assert all(run.work_pool_name == POOL for run in runs)
    # The work went to both workers, and never more runs at once than the pool's limit.
    assert {workers.get(str(run.id)) for run in runs} == {"worker-a", "worker-b"}, workers
    assert _most_at_once([(run.start_time, run.end_time) for run in runs]) <= POOL_LIMIT
    # Every OCR task run carried the tag, and never more than the tag's limit ran at once over both workers.
    assert len(ocr_runs) == 20 and all("tesseract" in run.tags for run in ocr_runs)
    assert _most_at_once([(run.start_time, run.end_time) for run in ocr_runs]) <= TESSERACT_LIMIT
    print(f"20 documents through 2 watchers and 2 workers: {took:.1f} s, {len(runs)} flow runs")


def _flow_run_process(pid: int) -> tuple[int, int] | None:
    """(pid, parent pid) of a live process."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    parent = next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
    return pid, int(parent)


def _running_run_on_a_worker(cluster: Cluster):
    """A flow run in the middle of a document (a task run under way), and the worker whose child runs it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with cluster.settings(), get_client(sync_client=True) as client:
        for run in _ingest_runs():
            if not run.state.is_running() or not run.infrastructure_pid:
                continue
            tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
            if not any(task.state and task.state.is_running() and task.name.startswith("ocr") for task in tasks):
                continue
            found = _flow_run_process(int(str(run.infrastructure_pid).rsplit(":", 1)[-1]))
            if found is None:
                continue
            for name, worker in cluster.workers.items():
                if found[1] == worker.popen.pid:
                    return run, name, found[0]
    return None


def test_a_worker_killed_mid_document_and_postgresql_restarted_lose_and_double_nothing(cluster, pg_server):
    from prefect.client.orchestration import get_client

    before = len(_catalog_documents(cluster))
    started = time.monotonic()
    per_dossier = {}
    for sequence in range(11, 14):  # three dossiers of two files
        dossier = dossier_code(sequence)
        per_dossier[dossier] = 2
        for n in range(2):
            _drop(cluster, dossier, f"{n:02d}.png", f"{MARKERS[n + 4]} {sequence}-{n}")
    processes = [*cluster.watchers, *cluster.workers.values()]
    run, victim, flow_process = _wait_until(
        lambda: _running_run_on_a_worker(cluster), 120, "a run in the middle of OCR", interval=0.2, logs=processes
    )
    # The machine dies: its worker and the flow run it started (in a session of its own), SIGKILL.
    os.killpg(cluster.workers[victim].popen.pid, signal.SIGKILL)
    os.killpg(flow_process, signal.SIGKILL)
    killed_at = time.monotonic()
    # PostgreSQL restarts (the catalog's and the Prefect server's) while the other worker ingests.
    _wait_until(lambda: _files(cluster.inbox / ".processing"), 60, "another dossier under way")
    pg_server.restart()

    survivors = [*cluster.watchers, *(w for name, w in cluster.workers.items() if name != victim)]
    _wait_until(lambda: _settled(cluster, before + 6), SETTLE_SECONDS, "the 6 documents archived", logs=survivors)
    took = time.monotonic() - started
    documents = _check_archive(cluster, before + 6, per_dossier)
    assert {document.dossier for document in documents} >= set(per_dossier)

    with cluster.settings(), get_client(sync_client=True) as client:
        dead = client.read_flow_run(run.id)
    # Marked Crashed by the zombie-run automation when its heartbeats stopped (nobody else was left to).
    assert dead.state.type.value == "CRASHED", dead.state
    for watcher in cluster.watchers:
        assert watcher.alive(), watcher.log_tail()
    print(
        f"worker killed and PostgreSQL restarted: 6 documents settled in {took:.1f} s"
        f" ({time.monotonic() - killed_at:.1f} s after the kill)"
    )
