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
        typer.echo(f"Lỗi / Error: {type(error).__name__}: {error}", err=True)
        sys.exit(1)
