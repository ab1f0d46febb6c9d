"""Ingest throughput past one machine's process: Prefect workers pulling `ingest` runs, with 1 and 2 workers,
beside the bare tool and a direct `sohoa ingest` on the same pages, in one run.

What runs (all on this machine, nothing mocked): a throwaway PostgreSQL cluster (tests/pgserver.py) holding the
Prefect server's database and, per configuration, a fresh sohoa catalog; `prefect server start` on it; the `sohoa`
process pool and `prefect deploy --name ingest` as README says; then for each configuration N workers
(`prefect worker start --pool sohoa --limit 1`, each flow run with SOHOA_OCR_WORKERS=1: one worker, one core) and
the same dossiers submitted at once through flows.dispatch.run_ingest (as the watchers do). Baselines on the same
pages: bare `tesseract` one page after another (one core), and `sohoa ingest` of each dossier in this process
with SOHOA_OCR_WORKERS=1 (one core, no Prefect).

Pages per hour are wall-clock: from the first submission to the last report. Usage:
  .venv/bin/python bench/scaleout_bench.py [--dossiers 4] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
BIN = Path(sys.executable).parent

from orchestration import machine  # noqa: E402  (bench/orchestration.py: the machine line)
from pgserver import PostgresServer  # noqa: E402

AGENCY = "000.00.00.H33"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Service:
    """A child process in its own process group, logging to a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logs: Path):
        self.log = (logs / f"{name}.log").open("wb")
        self.popen = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )

    def stop(self) -> None:
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()


def _environment(**extra: str) -> dict[str, str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("PREFECT_", "SOHOA_"))}
    return {**clean, "DO_NOT_TRACK": "1", "PREFECT_CLI_PROMPT": "false", **extra}


def _prefect(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=ROOT, check=True, capture_output=True, timeout=600)


def _wait_for_server(api_url: str, server: Service) -> None:
    import httpx

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.popen.poll() is not None:
            raise SystemExit("the Prefect server exited (see its log)")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the Prefect server did not answer in 180 s")


def _dossiers(samples: Path, count: int, work: Path) -> list[tuple[str, list[str]]]:
    """`count` copies of the sample dossier under their own codes (the same pages, other documents)."""
    made = []
    for number in range(1, count + 1):
        code = f"{AGENCY}-241201-{number:04d}"
        folder = work / code
        shutil.copytree(samples, folder)
        made.append((code, sorted(str(path) for path in folder.iterdir() if path.is_file())))
    return made


def page_images(dossiers: list[tuple[str, list[str]]], work: Path) -> list[str]:
    """Every page as an image file (a PDF's pages rasterised at 300 dpi): what bare tesseract reads."""
    from pdf2image import convert_from_path
    from PIL import Image

    images = []
    for _, files in dossiers:
        for name in files:
            if name.lower().endswith(".pdf"):
                for index, page in enumerate(convert_from_path(name, dpi=300)):
                    target = work / f"{Path(name).stem}-{uuid.uuid4().hex[:6]}-{index}.png"
                    page.save(target)
                    images.append(str(target))
            else:
                with Image.open(name) as image:
                    frames = getattr(image, "n_frames", 1)
                    if frames == 1:
                        images.append(name)
                        continue
                    for index in range(frames):  # a multi-page TIFF: each page its own image, as sohoa reads it
                        image.seek(index)
                        target = work / f"{Path(name).stem}-{uuid.uuid4().hex[:6]}-{index}.png"
                        image.save(target)
                        images.append(str(target))
    return images


def bare_tesseract(images: list[str]) -> float:
    """Seconds for bare tesseract over every page, one after another."""
    started = time.perf_counter()
    for image in images:
        subprocess.run(
            ["tesseract", image, "-", "-l", "vie+eng"],
            capture_output=True,
            check=True,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
    return time.perf_counter() - started


def direct_ingest(dossiers, work: Path, catalog_url: str) -> float:
    env = _environment(
        SOHOA_HOME=str(work / "direct-home"),
        SOHOA_CATALOG_URL=catalog_url,
        SOHOA_STORE_URL=(work / "direct-store").as_uri(),
        SOHOA_OCR_WORKERS="1",
        OMP_THREAD_LIMIT="1",
    )
    started = time.perf_counter()
    for code, files in dossiers:
        subprocess.run(
            [str(BIN / "sohoa"), "ingest", *files, "--dossier", code, "--agency", AGENCY],
            env=env,
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def through_workers(
    dossiers, workers: int, work: Path, api_env: dict[str, str], catalog_url: str, poll: float | None
) -> float:
    logs = work / f"logs-{workers}"
    logs.mkdir()
    sohoa_env = {
        "SOHOA_HOME": str(work / f"home-{workers}"),
        "SOHOA_CATALOG_URL": catalog_url,
        "SOHOA_STORE_URL": (work / f"store-{workers}").as_uri(),
        "SOHOA_OCR_WORKERS": "1",
        "OMP_THREAD_LIMIT": "1",
    }
    started_workers = [
        Service(
            f"worker-{number}",
            [str(BIN / "prefect"), "worker", "start", "--pool", "sohoa", "--limit", "1", "--name", f"w{number}"],
            {**api_env, **sohoa_env, **({"PREFECT_WORKER_QUERY_SECONDS": str(poll)} if poll else {})},
            logs,
        )
        for number in range(workers)
    ]
    saved = dict(os.environ)
    os.environ.update({**api_env, **sohoa_env})
    try:
        from flows.dispatch import run_ingest

        time.sleep(5)  # the workers register and poll
        started = time.perf_counter()
        with ThreadPoolExecutor(len(dossiers)) as pool:
            reports = list(
                pool.map(lambda dossier: run_ingest(dossier[1], dossier=dossier[0], agency=AGENCY), dossiers)
            )
        elapsed = time.perf_counter() - started
    finally:
        os.environ.clear()
        os.environ.update(saved)
        for service in started_workers:
            service.stop()
    statuses = {report.status.value for batch in reports for report in batch}
    if statuses != {"archived"}:
        raise SystemExit(f"not every file was archived with {workers} worker(s): {statuses} (logs in {logs})")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--poll-seconds", type=float, default=None, help="the workers' PREFECT_WORKER_QUERY_SECONDS (Prefect: 10)"
    )
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sohoa-scaleout-bench-"))
    postgres = PostgresServer(Path(tempfile.mkdtemp(prefix="sohoa-bench-postgres-")))
    server = None
    try:
        from samples.dossier import render_dossier

        [first, *_] = render_dossier(work / "samples", dpi=200, degrade=True, seed=7)
        samples = first.path.parent
        dossiers = _dossiers(samples, options.dossiers, work / "inputs")
        (work / "pages").mkdir()
        images = page_images(dossiers, work / "pages")
        pages = len(images)
        postgres.init()
        postgres.start()
        prefect_db = postgres.create_database("prefect_bench")
        port = _free_port()
        api_env = _environment(
            PREFECT_HOME=str(work / "prefect-home"),
            PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_UI_ENABLED="false",
        )
        server = Service(
            "prefect-server",
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
            {
                **api_env,
                "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db.replace("postgresql://", "postgresql+asyncpg://"),
            },
            work,
        )
        _wait_for_server(api_env["PREFECT_API_URL"], server)
        _prefect(api_env, "work-pool", "create", "sohoa", "--type", "process")
        _prefect(api_env, "--no-prompt", "deploy", "--name", "ingest")

        rows = [("bare tesseract, one page after another", bare_tesseract(images))]
        rows.append(("sohoa ingest, direct, 1 OCR process", direct_ingest(dossiers, work, postgres.create_database())))
        for workers in options.workers:
            seconds = through_workers(
                dossiers, workers, work, api_env, postgres.create_database(), options.poll_seconds
            )
            polling = f", polling every {options.poll_seconds:g} s" if options.poll_seconds else ""
            rows.append((f"Prefect, {workers} worker(s) x 1 OCR process{polling}, catalog on PostgreSQL", seconds))
        print(f"Machine: {machine()}\n")
        print(f"Input: {len(dossiers)} copies of the sample dossier, {pages} pages in all.\n")
        print("| run | seconds | pages/hour | vs bare tesseract |")
        print("|---|---:|---:|---:|")
        bare = rows[0][1]
        for name, seconds in rows:
            print(f"| {name} | {seconds:.1f} | {pages * 3600 / seconds:,.0f} | {bare / seconds:.2f}x |")
    finally:
        if server is not None:
            server.stop()
        postgres.stop()
        shutil.rmtree(postgres.workdir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
