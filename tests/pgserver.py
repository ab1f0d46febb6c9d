"""pytest plugin: a real, throwaway PostgreSQL cluster (Debian's `postgresql` package) for the test session.

Loaded by `pytest_plugins` in tests/conftest.py. Fixtures:

- `pg_server`: one PostgresServer for the whole session (`initdb` in a temporary folder, on a free loopback port;
  restart/kill for tests that break it on purpose; stopped at the end).
- `pg_catalog_url`: a fresh, empty database per test, as a `postgresql://` URL for SOHOA_CATALOG_URL.

PostgreSQL refuses to run as root: when the tests run as root, its programs run as the `postgres` user
(`runuser`), on a data folder that user owns.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

INSTALL_HINT = "apt-get install postgresql postgresql-contrib (make test installs it)"
READY_TIMEOUT = 60.0


def find_bin_dir() -> Path:
    """The newest installed PostgreSQL's programs (/usr/lib/postgresql/<version>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(Path(path).parts[-3]))
    if not found:
        raise RuntimeError(f"PostgreSQL's initdb is not installed; the PostgreSQL tests need it: {INSTALL_HINT}")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster on 127.0.0.1:port, its data and socket under workdir, trust authentication."""

    user = "postgres"

    def __init__(self, workdir: str | os.PathLike[str]):
        self.bin_dir = find_bin_dir()
        self.workdir = Path(workdir)
        self.data_dir = self.workdir / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            # The postgres user must reach the folder; `workdir` is a folder of its own under /tmp (pytest's
            # temporary folders are private to root, and a concurrent pytest session resets their parents' mode).
            self.data_dir.mkdir(parents=True, exist_ok=True)
            shutil.chown(self.workdir, self.user)
            shutil.chown(self.data_dir, self.user)
        self.log_path = self.workdir / "postgres.log"

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / program), *args]
        if self.as_root:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120, cwd="/")

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", self.user, "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        if self.as_root:
            self.log_path.touch()
            shutil.chown(self.log_path, self.user)
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(self.log_path), "-w", "-t", "60", "start"
        )
        self._wait_ready()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "stop", check=False)

    def kill(self) -> None:
        """The postmaster killed outright (SIGKILL), as a crash or a power cut would."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        # Its backends notice their postmaster is gone and exit; the next start recovers from the WAL.

    def restart(self) -> None:
        self.stop()
        self.start()

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode == 0

    def ensure_running(self) -> None:
        if not self.running():
            self.start()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            ready = self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False)
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not become ready on port {self.port}: {self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its URL."""
        name = name or f"test_{uuid.uuid4().hex[:20]}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return self.database_url(name)


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> PostgresServer:
    workdir = Path(tempfile.mkdtemp(prefix="sohoa-test-postgres-"))
    try:
        server = PostgresServer(workdir)
    except RuntimeError as error:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.fail(str(error), pytrace=False)

    def stop_and_remove() -> None:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    request.addfinalizer(stop_and_remove)
    atexit.register(server.stop)  # pytest crashing before its finalisers
    try:
        server.init()
        server.start()
    except (RuntimeError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or ""
        pytest.fail(f"PostgreSQL did not start: {error} {detail} {server.log_tail()}", pytrace=False)
    return server


@pytest.fixture
def pg_catalog_url(pg_server: PostgresServer) -> str:
    """A fresh empty database on the session's server (SOHOA_CATALOG_URL)."""
    pg_server.ensure_running()  # an earlier test may have stopped it on purpose
    return pg_server.create_database()
