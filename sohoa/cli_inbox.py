"""`sohoa watch` and `sohoa retry`: the watched inbox as a service, and putting a quarantined file back."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path
from typing import Optional

import typer

from schemas.failures import SohoaFailure
from schemas.settings import get_settings
from sohoa.app import JsonOption, app, emit, fail

log = logging.getLogger("sohoa.inbox")


def _stop_now(worker) -> None:
    """A second stop signal during an ingest: give its files back to the inbox and end now, as a crash would (the
    archive is made to survive that). The processes we started go first (OCR workers, Tesseract), each by its id,
    the whole tree at once: a worker that outlived us would wait for pages forever."""
    from ocr.processes import kill_descendants

    worker.abandon()
    kill_descendants()
    log.info("Đã dừng ngay; hồ sơ đang xử lý được trả lại hộp thư đến")
    logging.shutdown()
    os._exit(0)


@app.command()
def watch(
    inbox: Optional[Path] = typer.Argument(
        None, help="Thư mục nhận hồ sơ (mặc định SOHOA_INBOX, tức SOHOA_HOME/inbox) / inbox folder."
    ),
    once: bool = typer.Option(False, "--once", help="Quét một lần rồi thoát / one sweep, then exit."),
    as_json: bool = JsonOption,
) -> None:
    """Theo dõi thư mục nhận hồ sơ và số hoá tệp mới / watch the inbox and archive new files.

    Dừng: SIGTERM hoặc Ctrl-C (xử lý xong hồ sơ đang làm rồi thoát; lần hai: trả hồ sơ về hộp thư, thoát ngay).

    Stop: SIGTERM or Ctrl-C (finishes the dossier under way; a second signal gives it back and exits at once).
    """
    from flows.dispatch import inbox_worker

    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # it logs every change it sees
    settings = get_settings()
    worker = inbox_worker(inbox or settings.inbox_dir, settings)

    def on_signal(signum, _frame) -> None:
        # A second signal ends the process now, whatever step it is in: none may keep a stopped service waiting.
        if worker.stopping:
            _stop_now(worker)
        log.info(
            "Nhận tín hiệu dừng (%s): xử lý xong hồ sơ đang làm rồi thoát; gửi lần nữa để dừng ngay",
            signal.Signals(signum).name,
        )
        worker.request_stop()

    previous = {number: signal.signal(number, on_signal) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        with worker:
            summary = worker.sweep() if once else worker.serve()
    except SohoaFailure as failure:
        fail(str(failure), as_json)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if as_json:
        emit(summary.as_json())
    typer.echo(f"Xong / done: {summary.line()}", err=True)
    if once and (summary.quarantined or summary.errors):
        raise typer.Exit(1)


@app.command()
def retry(
    paths: list[Path] = typer.Argument(
        ...,
        help="Tệp bị cách ly, tệp .error.json của nó, hoặc một thư mục trong .quarantine / a quarantined file, "
        "its .error.json, or a folder under .quarantine.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Đưa tệp bị cách ly trở lại hộp thư đến để xử lý lại / put quarantined files back in the inbox."""
    from inbox.outcome import quarantined_files, retry_quarantined

    retried, errors = [], []
    for path in paths:
        files = quarantined_files(path)
        if not files:
            errors.append({"file": str(path), "error": "Không có tệp bị cách ly ở đây / no quarantined file here"})
        for file in files:
            try:
                retried.append({"file": str(file), "to": str(retry_quarantined(file))})
            except (SohoaFailure, OSError) as failure:
                errors.append({"file": str(file), "error": str(failure)})
    if as_json:
        emit({"retried": retried, "errors": errors})
    for item in retried:
        typer.echo(f"đã trả lại hộp thư đến / back in the inbox: {item['to']}", err=True)
    for item in errors:
        typer.echo(f"Lỗi / Error: {item['file']}: {item['error']}", err=True)
    if errors:
        raise typer.Exit(1)
