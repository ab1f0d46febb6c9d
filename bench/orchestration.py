"""What orchestration costs on top of OCR, for a one-page scan.

Runs, on the same sample page: bare `tesseract`, `sohoa ocr`, `sohoa ingest` (direct, the CLI's default),
and the `ingest_dossier` Prefect flow with no server configured (Prefect then starts a temporary server).
Prints a Markdown table with the machine it ran on. Usage: .venv/bin/python bench/orchestration.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    tesseract = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    python = platform.python_version()
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.platform()}, Python {python}, {tesseract}"


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sohoa-bench-"))
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    env.pop("PREFECT_API_URL", None)
    subprocess.run([BIN / "sohoa", "samples", str(work / "samples")], check=True, capture_output=True, env=env)
    page = next((work / "samples").glob("*/001-*.jpg"))

    def fresh_home(tag: str, run: int) -> dict[str, str]:
        return {**env, "SOHOA_HOME": str(work / f"home-{tag}-{run}"), "PREFECT_HOME": str(work / f"prefect-{run}")}

    flow_call = (
        "import sys; from flows.ingest import ingest_dossier; ingest_dossier([sys.argv[1]], agency='000.00.00.H33')"
    )
    cases = {
        "bare tesseract (vie+eng)": lambda run: timed(["tesseract", str(page), "-", "-l", "vie+eng"], env),
        "sohoa ocr (OSD, deskew, OCR)": lambda run: timed([str(BIN / "sohoa"), "ocr", str(page), "--json"], env),
        "sohoa ingest (direct: CLI default)": lambda run: timed(
            [str(BIN / "sohoa"), "ingest", str(page), "--json"], fresh_home("direct", run)
        ),
        "ingest_dossier flow, temporary Prefect server": lambda run: timed(
            [sys.executable, "-c", flow_call, str(page)], fresh_home("flow", run)
        ),
    }
    print(f"Machine: {machine()}\n")
    print(f"Input: {page.name} (one A4 page, 200 dpi JPEG); median of {args.repeat} runs, wall-clock seconds\n")
    print("| run | seconds | over bare tesseract |")
    print("|---|---:|---:|")
    baseline = None
    for name, case in cases.items():
        seconds = statistics.median(case(run) for run in range(args.repeat))
        baseline = baseline or seconds
        print(f"| {name} | {seconds:.2f} | +{seconds - baseline:.2f} |", flush=True)


if __name__ == "__main__":
    main()
