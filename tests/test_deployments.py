"""prefect.yaml deployed to a real local Prefect server, and dossiers ingested through the `ingest` deployment by a
real process worker (flows/dispatch.py), as on a production machine once PREFECT_API_URL is set.

One server for the module: `prefect server start` on a free loopback port with its own PREFECT_HOME (SQLite, no
UI, no analytics), the `sohoa` process pool created and `prefect deploy --all` run from the repo with the
commands README gives; a `prefect worker start --pool sohoa` started by the tests that need one. Every process
started here is stopped at the end (its whole process group: terminate, then kill after a deadline). No mocks.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from _fixtures import AGENCY, archive_synthetic, sample_folder
from conftest import SAMPLE_DOSSIER

REPO = Path(__file__).resolve().parents[1]
PREFECT = Path(sys.executable).with_name("prefect")
POOL = "sohoa"
SERVER_START_SECONDS = 180  # a cold start takes ~12 s on a quiet machine, much longer on a busy one
STOP_SECONDS = 20


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clean_environment() -> dict[str, str]:
    """This process's environment without any Prefect or sohoa setting (the tests set their own)."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PREFECT_", "SOHOA_")) and name != "PWD"
    }


class Process:
    """A child process in its own process group, logging to a file; stop() ends the whole group."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path, cwd: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 60) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def alive(self) -> bool:
        return self.popen.poll() is None

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.popen.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL after STOP_SECONDS; then check that nothing of it is left."""
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline and (self.alive() or self._group_alive()):
            time.sleep(0.2)
        if self._group_alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=STOP_SECONDS)
        deadline = time.monotonic() + STOP_SECONDS
        while self._group_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        self._log.close()
        assert not self._group_alive(), f"{self.name}: processes left in group {self.popen.pid}"


@dataclass
class Server:
    api_url: str
    home: Path
    env: dict[str, str]  # what a Prefect command needs to talk to this server

    def settings(self):
        """The same, for this process: Prefect reads its settings once, so they are set in its context."""
        from prefect.settings import PREFECT_API_URL, PREFECT_CLI_PROMPT, temporary_settings

        return temporary_settings(updates={PREFECT_API_URL: self.api_url, PREFECT_CLI_PROMPT: False})


def _prefect(server: Server, *args: str, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [str(PREFECT), *args],
        env={**server.env, "PWD": str(cwd)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 0, f"prefect {' '.join(args)}:\n{completed.stdout}\n{completed.stderr}"
    return completed


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """`prefect server start` on loopback, with its own PREFECT_HOME; healthy, or the test fails with its log."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **_clean_environment(),
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_CLI_PROMPT": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    server = Process(
        "prefect-server",
        [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui", "--analytics-off"],
        env,
        home,
        cwd=home,
    )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            assert server.alive(), f"the Prefect server exited:\n{server.log_tail()}"
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"no /api/health after {SERVER_START_SECONDS} s:\n{server.log_tail()}"
            time.sleep(0.5)
        yield Server(api_url=api_url, home=home, env=env)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def deployed(prefect_server):
    """The `sohoa` process pool and every deployment of prefect.yaml, with README's commands, from the repo."""
    _prefect(prefect_server, "work-pool", "create", POOL, "--type", "process")
    result = _prefect(prefect_server, "--no-prompt", "deploy", "--all")
    return result.stdout


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory) -> dict[str, str]:
    """The archive the worker and this process share (folder store and SQLite catalog under SOHOA_HOME)."""
    home = tmp_path_factory.mktemp("sohoa-home")
    return {"SOHOA_HOME": str(home), "SOHOA_OCR_WORKERS": "1", "OMP_THREAD_LIMIT": "1"}


@pytest.fixture(scope="module")
def worker(prefect_server, deployed, shared_home, tmp_path_factory):
    """`prefect worker start --pool sohoa`, polling every second, running flows with the shared SOHOA_HOME."""
    workdir = tmp_path_factory.mktemp("worker")
    env = {
        **prefect_server.env,
        **shared_home,
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
    }
    process = Process(
        "prefect-worker",
        [str(PREFECT), "worker", "start", "--pool", POOL, "--name", "test-worker"],
        env,
        workdir,
        cwd=workdir,
    )
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def through_prefect(prefect_server, shared_home, monkeypatch):
    """This process configured like a clerk's machine with a Prefect server: PREFECT_API_URL set."""
    monkeypatch.setenv("PREFECT_API_URL", prefect_server.api_url)
    for name, value in shared_home.items():
        monkeypatch.setenv(name, value)
    for name in ("SOHOA_STORE_URL", "SOHOA_CATALOG_URL", "SOHOA_REPLICA_URL"):
        monkeypatch.delenv(name, raising=False)
    with prefect_server.settings():
        yield


def _deployments_in_yaml() -> dict[str, dict]:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    return {deployment["name"]: deployment for deployment in config["deployments"]}


def _flow_runs_named(name: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])))


def test_every_entrypoint_loads_the_way_a_worker_loads_it():
    # A worker loads `flows/x.py:flow` as a script, with flows/ first on sys.path: a module there named like a
    # package (flows/inbox.py and the inbox package) would hide it, and the run would crash before starting.
    entrypoints = [deployment["entrypoint"] for deployment in _deployments_in_yaml().values()]
    script = (
        "import sys\nfrom prefect.flows import load_flow_from_entrypoint\n"
        "for entrypoint in sys.argv[1:]:\n    load_flow_from_entrypoint(entrypoint, use_placeholder_flow=False)\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script, *entrypoints], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]


def test_prefect_yaml_asks_for_what_issue_6_needs():
    deployments = _deployments_in_yaml()
    assert set(deployments) >= {
        "ingest",
        "ingest-inbox",
        "nightly-backlog",
        "fixity-audit",
        "retrain-classifier",
        "reindex",
    }
    assert deployments["ingest-inbox"]["entrypoint"] == "flows/inbox_sweep.py:ingest_inbox"
    assert deployments["ingest-inbox"]["schedules"] == [{"interval": 300, "timezone": "Asia/Ho_Chi_Minh"}]
    assert deployments["nightly-backlog"]["entrypoint"] == "flows/inbox_sweep.py:nightly_backlog"
    assert deployments["nightly-backlog"]["schedules"] == [{"cron": "0 1 * * *", "timezone": "Asia/Ho_Chi_Minh"}]
    assert deployments["nightly-backlog"]["concurrency_limit"] == 1
    assert deployments["reindex"]["entrypoint"] == "flows/reindex.py:reindex_archive"
    assert "schedules" not in deployments["reindex"] and "schedules" not in deployments["ingest"]
    assert {deployment["work_pool"]["name"] for deployment in deployments.values()} == {POOL}


def _schedules(deployment) -> list[tuple]:
    """(interval seconds or cron, timezone, active) of each schedule the server holds for a deployment."""
    found = []
    for entry in deployment.schedules:
        schedule = entry.schedule
        every = schedule.interval.total_seconds() if hasattr(schedule, "interval") else schedule.cron
        found.append((every, schedule.timezone, entry.active))
    return found


FLOW_NAMES = {
    "ingest": "ingest-dossier",
    "fixity-audit": "fixity-audit",
    "retrain-classifier": "retrain-classifier",
    "reindex": "reindex",
}


def test_prefect_deploy_all_creates_every_deployment_with_its_schedule(prefect_server, deployed):
    from prefect.client.orchestration import get_client

    expected = _deployments_in_yaml()
    with prefect_server.settings(), get_client(sync_client=True) as client:
        flow_names = {flow.id: flow.name for flow in client.read_flows()}
        found = {deployment.name: deployment for deployment in client.read_deployments()}
        pool = client.read_work_pool(POOL)
    assert pool.type == "process"
    assert set(found) == set(expected), deployed
    for name, config in expected.items():
        deployment = found[name]
        assert deployment.entrypoint == config["entrypoint"], name
        if name in FLOW_NAMES:
            assert flow_names[deployment.flow_id] == FLOW_NAMES[name]
        assert deployment.work_pool_name == POOL, name
        # The code runs from this checkout on the worker's machine.
        assert deployment.pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}
        ], name
        assert deployment.job_variables == config["work_pool"].get("job_variables", {}), name
        assert _schedules(deployment) == [
            (schedule.get("interval", schedule.get("cron")), schedule["timezone"], True)
            for schedule in config.get("schedules", [])
        ], name
        configured = config.get("concurrency_limit")
        limit = deployment.global_concurrency_limit.limit if deployment.global_concurrency_limit else None
        assert limit == (configured["limit"] if isinstance(configured, dict) else configured), name

    # What issue 6 asks for, as the server holds it.
    assert _schedules(found["ingest-inbox"]) == [(300, "Asia/Ho_Chi_Minh", True)]
    assert _schedules(found["nightly-backlog"]) == [("0 1 * * *", "Asia/Ho_Chi_Minh", True)]
    assert _schedules(found["fixity-audit"]) == [("0 2 * * 0", "Asia/Ho_Chi_Minh", True)]
    assert _schedules(found["retrain-classifier"]) == [("30 1 * * *", "Asia/Ho_Chi_Minh", True)]
    assert _schedules(found["reindex"]) == [] and _schedules(found["ingest"]) == []
    assert found["nightly-backlog"].global_concurrency_limit.limit == 1
    assert int(found["nightly-backlog"].job_variables["env"]["SOHOA_OCR_WORKERS"]) >= 1
    assert found["ingest-inbox"].global_concurrency_limit.limit == 1
    assert found["ingest-inbox"].concurrency_options.collision_strategy.value == "CANCEL_NEW"
    # The ingest deployment persists no result (its reports go to the shared catalog, where flows/dispatch.py reads
    # them), and sends heartbeats that the zombie-run automation (flows/automations.yaml) watches.
    assert found["ingest"].job_variables["env"] == {
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        "PREFECT_TASKS_DEFAULT_PERSIST_RESULT": "false",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
    }
    assert "paths" in found["ingest"].parameter_openapi_schema["required"]


def test_a_dossier_ingested_through_the_deployment_on_a_worker(sample_dossier, tmp_path, worker, through_prefect):
    from catalog import Catalog
    from flows.dispatch import run_ingest
    from schemas.settings import get_settings

    folder = sample_folder(sample_dossier, tmp_path, ("001-quyet-dinh.jpg",))
    (folder / "009-trang-trong.pdf").write_bytes(b"")  # an empty file: quarantined by the worker, reason and all
    started = time.monotonic()
    reports = run_ingest([str(folder)], agency=AGENCY)
    took = time.monotonic() - started

    assert [(report.source, report.status.value) for report in reports] == [
        (str(folder / "001-quyet-dinh.jpg"), "archived"),
        (str(folder / "009-trang-trong.pdf"), "quarantined"),
    ]
    archived, empty = reports
    # The worker's own reports came back: the named reason of the quarantined file is the worker's triage.
    assert empty.error.startswith("empty_file:"), empty.error
    assert archived.dossier == SAMPLE_DOSSIER and archived.doc_type.value == "quyet_dinh"
    assert archived.keys["meta"].endswith(f"/{SAMPLE_DOSSIER}/{SAMPLE_DOSSIER}.001/meta.json")
    catalog = Catalog.from_settings(get_settings())
    try:
        assert catalog.status_of(archived.id)[0].value == "archived"
        assert [hit.id for hit in catalog.search("quyet dinh", dossier=SAMPLE_DOSSIER).hits] == [archived.id]
    finally:
        catalog.close()

    # The Prefect UI shows the dossier: the run is named after it and ran the `ingest` deployment, on the worker.
    [flow_run] = _flow_runs_named(f"ingest {SAMPLE_DOSSIER}")
    assert flow_run.state.is_completed()
    assert flow_run.parameters["paths"] == [str(folder.absolute())]
    assert flow_run.job_variables == {"env": {"SOHOA_OCR_WORKERS": "1"}}  # the caller's OCR limit went along
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment(flow_run.deployment_id)
        assert deployment.name == "ingest"
        assert client.read_flow(flow_run.flow_id).name == "ingest-dossier"
    assert flow_run.work_pool_name == POOL
    print(f"ingest through the deployment: {took:.1f} s")


def test_the_reindex_deployment_restores_the_catalog_on_the_worker(prefect_server, worker, through_prefect, tmp_path):
    from catalog import Catalog
    from schemas.settings import get_settings

    def catalog_ids() -> set[str]:
        catalog = Catalog.from_settings(get_settings())
        try:
            return catalog.ids()
        finally:
            catalog.close()

    _, _, known_id = _archived_and_empty(tmp_path, f"{SAMPLE_DOSSIER}-reindex", seed=99)
    before = catalog_ids()
    assert known_id in before
    for path in get_settings().home_dir.glob("catalog.db*"):  # lost (no run is using it now)
        path.unlink()
    assert catalog_ids() == set()
    # README's command, waiting for the run to end.
    _prefect(prefect_server, "deployment", "run", "reindex/reindex", "--watch", "--watch-timeout", "240")
    [flow_run] = _flow_runs_named("reindex")
    assert flow_run.state.is_completed(), flow_run.state
    assert flow_run.work_pool_name == POOL
    assert catalog_ids() == before  # rebuilt from the store alone, by the worker


def _tiny_jpeg(seed: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (64, 64), color=seed % 256).save(buffer, format="JPEG")
    return buffer.getvalue()


def _archived_and_empty(tmp_path, dossier: str, seed: int) -> tuple[Path, Path, str]:
    """A real JPEG already archived and in the catalog under `dossier` (no OCR), and an empty file."""
    from catalog import Catalog
    from schemas.settings import get_settings
    from storage import store_from_settings

    archived = archive_synthetic(
        store_from_settings(get_settings()), tmp_path / "scans", _tiny_jpeg(seed), dossier=dossier, retention=None
    )
    catalog = Catalog.from_settings(get_settings())
    try:
        catalog.record(archived.document, archived.keys, ["trang"])
    finally:
        catalog.close()
    original = tmp_path / "scans" / archived.document.source
    empty = tmp_path / "scans" / "trong.pdf"
    empty.write_bytes(b"")
    return original, empty, archived.document.id


def _set_pool_paused(paused: bool) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolUpdate

    with get_client(sync_client=True) as client:
        client.update_work_pool(POOL, WorkPoolUpdate(is_paused=paused))


def _cancel_when_queued(server: Server, name: str, deadline: float, errors: list) -> None:
    """Cancel the run named `name` as soon as it is queued (what a user does in the UI), from another thread.
    If that fails, the pool is resumed so that the run goes on and the test waiting for it ends (and fails)."""
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled

    with server.settings():  # Prefect's settings live in context variables: a new thread starts without them
        try:
            while time.monotonic() < deadline:
                runs = _flow_runs_named(name)
                if runs:
                    with get_client(sync_client=True) as client:
                        client.set_flow_run_state(runs[0].id, Cancelled(message="cancelled by the test"), force=True)
                    return
                time.sleep(0.2)
            errors.append(f"no flow run named {name!r} appeared")
        except Exception as error:
            errors.append(error)
        _set_pool_paused(False)


# Each way a run can end without its reports reaching the caller: the files are looked up in the shared catalog.
# Real runs on the real worker: `command: false` makes its process exit 1 (the worker marks the run Crashed); a
# worker whose SOHOA settings are invalid fails the flow (Failed); a run cancelled while queued in a paused pool;
# a run that completes but kept its reports in another catalog than the caller's (a worker set up wrongly).
# A run that failed or crashed whole is not the file's fault (retryable: the watcher gives the file back to the
# inbox); a cancelled run, or a completed one that did not archive the file, quarantines it for a person.
OUTCOMES = {
    "completed-elsewhere": (
        {"env": {"SOHOA_CATALOG_URL": "sqlite:///{tmp_path}/elsewhere.db"}},
        "ingest_result_missing",
        False,
    ),
    "failed": ({"env": {"SOHOA_CLASSIFY_THRESHOLD": "7"}}, "ingest_run_failed", True),
    "crashed": ({"command": "false"}, "ingest_run_crashed", True),
    "cancelled": (None, "ingest_run_cancelled", False),
}


@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_when_the_reports_do_not_come_back_the_catalog_tells(
    outcome, tmp_path, prefect_server, worker, through_prefect
):
    from flows import dispatch
    from flows.dispatch import _through_deployment
    from schemas.settings import get_settings

    job_variables, code, retryable = OUTCOMES[outcome]
    if outcome == "completed-elsewhere":
        job_variables = {"env": {"SOHOA_CATALOG_URL": f"sqlite:///{tmp_path}/elsewhere.db"}}
    dossier = f"{SAMPLE_DOSSIER}-{outcome}"
    original, empty, known_id = _archived_and_empty(tmp_path, dossier, seed=len(outcome))
    errors: list = []
    canceller = None
    if outcome == "cancelled":
        _set_pool_paused(True)
        canceller = threading.Thread(
            target=_cancel_when_queued,
            daemon=True,
            args=(prefect_server, f"ingest {dossier}", time.monotonic() + 60, errors),
        )
        canceller.start()
    try:
        reports = _through_deployment(
            [str(original), str(empty)],
            dossier=dossier,
            agency=AGENCY,
            settings=get_settings(),
            job_variables=job_variables,
        )
    finally:
        if canceller is not None:
            canceller.join(timeout=60)
            _set_pool_paused(False)
    assert not errors, errors

    [flow_run] = _flow_runs_named(f"ingest {dossier}")
    assert (
        flow_run.state.type.value
        == {
            "completed-elsewhere": "COMPLETED",
            "failed": "FAILED",
            "crashed": "CRASHED",
            "cancelled": "CANCELLED",
        }[outcome]
    )
    assert [(report.source, report.status.value) for report in reports] == [
        (str(original), "duplicate"),
        (str(empty), "quarantined"),
    ]
    assert reports[0].id == known_id and reports[0].keys["meta"]
    assert reports[1].error.startswith(f"{code}:"), reports[1].error
    failure = next(cls for cls in vars(dispatch).values() if getattr(cls, "code", None) == code)
    assert failure.retryable is retryable
    assert str(flow_run.id) in reports[1].error  # the reason names the run to look at in the UI


def test_an_unreachable_prefect_server_is_a_named_failure(monkeypatch, tmp_path):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.dispatch import PrefectUnavailable, run_ingest

    dead = f"http://127.0.0.1:{_free_port()}/api"
    monkeypatch.setenv("PREFECT_API_URL", dead)
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "home"))
    scan = tmp_path / "scan.jpg"
    scan.write_bytes(_tiny_jpeg(1))
    started = time.monotonic()
    with temporary_settings(updates={PREFECT_API_URL: dead}), pytest.raises(PrefectUnavailable) as raised:
        run_ingest([str(scan)], dossier="D")
    assert time.monotonic() - started < 30
    assert raised.value.code == "prefect_unavailable" and raised.value.retryable
    assert dead in str(raised.value)
    assert not (tmp_path / "home" / "store").exists()  # nothing was done in this process instead


def test_a_server_without_the_ingest_deployment_is_a_named_failure(
    prefect_server, through_prefect, monkeypatch, tmp_path
):
    import flows.dispatch
    from flows.dispatch import IngestDeploymentMissing, PrefectUnavailable, run_ingest

    monkeypatch.setattr(flows.dispatch, "DEPLOYMENT", "ingest-dossier/not-deployed")
    scan = tmp_path / "scan.jpg"
    scan.write_bytes(_tiny_jpeg(2))
    with pytest.raises(IngestDeploymentMissing) as raised:
        run_ingest([str(scan)], dossier="D")
    assert isinstance(raised.value, PrefectUnavailable) and "not-deployed" in str(raised.value)
