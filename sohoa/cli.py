"""The `sohoa` command's entry point: every command module registers on `sohoa.app.app` when imported here."""

from __future__ import annotations

import os
import sys

import typer

import sohoa.cli_admin  # noqa: F401
import sohoa.cli_archive  # noqa: F401
import sohoa.cli_certify  # noqa: F401
import sohoa.cli_classify  # noqa: F401
import sohoa.cli_core  # noqa: F401
import sohoa.cli_inbox  # noqa: F401
import sohoa.cli_migrate  # noqa: F401
import sohoa.cli_serve  # noqa: F401
from schemas.failures import SohoaFailure
from sohoa.app import app, setup_logging


def main() -> None:
    setup_logging()
    try:
        app()
    except SohoaFailure as failure:
        typer.echo(f"Lỗi / Error: {failure}", err=True)
        sys.exit(1)
    except Exception as error:  # never a traceback for a person; SOHOA_DEBUG=1 shows it
        if os.environ.get("SOHOA_DEBUG"):
            raise
        typer.echo(f"Lỗi / Error: {_described(error)}", err=True)
        sys.exit(1)


def _described(error: Exception) -> str:
    """What an unexpected error says to a person: a database error's message carries the SQL and its parameters
    (a citizen's name, an ID), so only the kinds of error are named."""
    from sqlalchemy.exc import StatementError

    if isinstance(error, StatementError):
        cause = type(error.orig).__name__ if error.orig is not None else ""
        return f"{type(error).__name__} ({cause}); SOHOA_DEBUG=1 shows the detail"
    return f"{type(error).__name__}: {error}"
