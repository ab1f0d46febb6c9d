"""The `sohoa` command's application object and its output helpers: with --json, JSON on stdout; logs and
progress always go to stderr. Commands live in the `cli_*` modules and register on `app`; `sohoa.cli` imports
them all and is the entry point."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from schemas.failures import SohoaFailure

if TYPE_CHECKING:  # the application layer loads when a command runs, not when the CLI starts
    from archive import Archive

T = TypeVar("T")

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


def in_archive(work: Callable[[Archive], T], as_json: bool) -> T:
    """`work` on the archive the settings name, opened for it and closed after; a named failure ends the command
    as `fail` says (what every account, token and agency command does around its one call)."""
    from archive import Archive

    try:
        with Archive.open() as archive:
            return work(archive)
    except SohoaFailure as failure:
        fail(failure, as_json)
        raise  # fail has exited; for the type checker
