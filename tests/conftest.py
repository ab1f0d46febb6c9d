"""Shared test fixtures: the generated sample dossier, an isolated SOHOA_HOME, the real S3 server, a throwaway
PostgreSQL cluster and Prefect's own test harness (each started at most once per session)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["s3server", "pgserver"]

os.environ["OMP_THREAD_LIMIT"] = "1"

# Recorded Tesseract output replayed, unless a real program is named (`make test` names `tesseract`, so the whole
# suite reads every page for real): the stand-in (tests/plugins/tesseract_cache.py) gives the real program's own
# output for a page it has seen, read and recorded by the real one on first sight. It makes the developer's loop
# (`pytest -m "not slow"`) fast where real OCR is not the point. Tests whose point is Tesseract's own behaviour
# (a timeout, a crash) name the real program themselves.
PLUGINS = Path(__file__).resolve().parent / "plugins"
REAL_TESSERACT = shutil.which("tesseract") or "/usr/bin/tesseract"
os.environ.setdefault("SOHOA_REAL_TESSERACT", REAL_TESSERACT)
os.environ.setdefault("SOHOA_TESSERACT_CMD", str(PLUGINS / "tesseract_cache.py"))

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
    from samples.dossier import render_dossier

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


# Whole files that start services or run the `sohoa` command in child processes (a second or more each).
SLOW_FILES = {
    "test_archive_hostile.py",
    "test_bad_input.py",
    "test_catalog_postgres.py",
    "test_certify_cli.py",
    "test_classify_cli.py",
    "test_cli_hostile.py",
    "test_deployments.py",
    "test_export.py",
    "test_inbox_flows.py",
    "test_inbox_hostile.py",
    "test_ingest_e2e.py",
    "test_ocr_cli.py",
    "test_reindex.py",
    "test_reindex_flow.py",
    "test_s3_faults.py",
    "test_scaleout.py",
    "test_watch.py",
    "test_watch_concurrency.py",
    "test_web_certify.py",
}
# Files whose tests read pages with Tesseract (real under `make test`, replayed otherwise).
TESSERACT_FILES = {
    "test_archive_pdf.py",
    "test_archive_smuggling.py",
    "test_bad_input.py",
    "test_classify_cli.py",
    "test_ingest_batch.py",
    "test_ingest_e2e.py",
    "test_ocr_cli.py",
    "test_ocr_engine.py",
    "test_page_queue.py",
    "test_preprocess.py",
    "test_reindex.py",
    "test_samples.py",
    "test_watch.py",
    "test_watch_concurrency.py",
}
PREFECT_FILES = {
    "test_deployments.py",
    "test_inbox_flows.py",
    "test_reindex_flow.py",
    "test_ingest_e2e.py",
    "test_scaleout.py",
}


def pytest_collection_modifyitems(config, items):
    """Markers from what a test uses: the S3 server, PostgreSQL, Prefect, a slow file; `-m "not slow"` is the fast
    loop (on the embedded defaults: the PostgreSQL half of a suite runs in `make test`)."""
    for item in items:
        name = item.path.name
        param_id = getattr(getattr(item, "callspec", None), "id", "")
        uses_s3 = "s3_server" in item.fixturenames or "s3_store_url" in item.fixturenames or "s3" in param_id
        if uses_s3:
            item.add_marker(pytest.mark.s3)
        if name in TESSERACT_FILES:
            item.add_marker(pytest.mark.tesseract)
        if "prefect_harness" in item.fixturenames or name in PREFECT_FILES:
            item.add_marker(pytest.mark.prefect)
        uses_postgres = "postgresql" in param_id or {"pg_server", "pg_catalog_url"} & set(item.fixturenames)
        if uses_postgres:
            item.add_marker(pytest.mark.postgres)
        if uses_s3 or uses_postgres or name in SLOW_FILES or item.get_closest_marker("prefect"):
            item.add_marker(pytest.mark.slow)
