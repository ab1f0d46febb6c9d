"""The `sohoa` command's application object and its output helpers: with --json, JSON on stdout; logs and
progress always go to stderr. Commands live in the `cli_*` modules and register on `app`; `sohoa.cli` imports
them all and is the entry point."""

from __future__ import annotations

import json
import logging
import os
import sys

import typer

from schemas.failures import SohoaFailure

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="sohoa: số hoá hồ sơ thủ tục hành chính / digitise public-service dossiers.",
)

JsonOption = typer.Option(False, "--json", help="In kết quả dạng JSON / print JSON on stdout.")


def setup_logging() -> None:
    level = logging.DEBUG if os.environ.get("SOHOA_DEBUG") else logging.INFO
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("prefect", "httpx", "urllib3", "PIL", "pikepdf"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def emit(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def fail(problem: SohoaFailure | str, as_json: bool) -> None:
    """Say what went wrong (stderr, and stdout as JSON with --json) and exit 1. A named failure also gives its
    code and both messages, so scripts can tell one refusal from another."""
    message = str(problem)
    if as_json:
        payload = {"error": message}
        if isinstance(problem, SohoaFailure):
            payload.update(code=problem.code, vi=problem.vi, en=problem.en)
            if problem.detail:
                payload["detail"] = problem.detail
        emit(payload)
    typer.echo(f"Lỗi / Error: {message}", err=True)
    raise typer.Exit(1)
