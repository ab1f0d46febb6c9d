"""Shared test fixtures: the generated sample dossier, an isolated SOHOA_HOME, the real S3 server and
Prefect's own test harness (each started at most once per session)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["s3server"]

os.environ["OMP_THREAD_LIMIT"] = "1"

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SAMPLE_DOSSIER = "000.00.00.H33-230607-0001"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not SHARED_CORPUS.is_dir():
        pytest.skip("../shared/corpus is not here (it is only on development and CI machines)")
    return SHARED_CORPUS


@pytest.fixture(scope="session")
def sample_dossier(tmp_path_factory):
    """The project's own sample dossier, rendered once (degraded like a 200 dpi scan)."""
    from sohoa.samples import render_dossier

    outdir = tmp_path_factory.mktemp("samples")
    documents = render_dossier(outdir, dpi=200, degrade=True, seed=7)
    return outdir / SAMPLE_DOSSIER, documents


@pytest.fixture
def sohoa_home(tmp_path, monkeypatch) -> Path:
    """An empty SOHOA_HOME with the embedded defaults (folder store, SQLite catalog)."""
    home = tmp_path / "sohoa-home"
    monkeypatch.setenv("SOHOA_HOME", str(home))
    for name in ("SOHOA_STORE_URL", "SOHOA_CATALOG_URL", "PREFECT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(scope="session")
def prefect_harness():
    """Prefect's own test harness: a temporary API and database for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def sohoa_command() -> list[str]:
    installed = Path(sys.executable).with_name("sohoa")
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "sohoa"]


def run_sohoa(*args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run the real `sohoa` command in a child process, as a clerk would."""
    completed = subprocess.run(
        [*sohoa_command(), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    if check:
        assert completed.returncode == 0, completed.stderr
    return completed
