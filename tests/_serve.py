"""`sohoa serve` run for real in the tests: on a free loopback port, its output in a file (never a pipe nobody reads,
which would block the server once full), stopped at the end and checked for tracebacks."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import sohoa_command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    base: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def running_server(env: dict[str, str], log_path: Path, start_timeout: float = 60) -> Iterator[Server]:
    port = free_port()
    server = Server(f"http://127.0.0.1:{port}", log_path)
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [*sohoa_command(), "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{server.base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"sohoa serve did not start: {server.log()[-2000:]}")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "Traceback" not in server.log(), server.log()[-3000:]
