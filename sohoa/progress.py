"""Progress of a batch the way a clerk watching it wants it: files done of all, pages read per minute, time left.

On a terminal it is a progress bar; otherwise (a log, a service) one line per file. Lines name the dossier and
the document's place in the batch, not the file: clerks' file names may hold a citizen's name.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from schemas import DocumentReport, DocumentStatus


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class BatchProgress:
    """A progress callback for `ingest_paths(progress=...)`: (files done, files in all, the last report)."""

    def __init__(self, stream: TextIO | None = None, bar: bool | None = None):
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty() if bar is None else bar
        self.started = time.monotonic()
        self.pages_read = 0
        self._rich = None

    def rate(self) -> float:
        """Pages read (OCR'd) per minute so far; duplicates cost no reading and do not count."""
        elapsed = time.monotonic() - self.started
        return self.pages_read / elapsed * 60 if elapsed > 0 else 0.0

    def line(self, done: int, total: int, report: DocumentReport) -> str:
        elapsed = time.monotonic() - self.started
        remaining = elapsed / done * (total - done) if done else 0.0
        status = {
            DocumentStatus.archived: "đã lưu",
            DocumentStatus.duplicate: "đã có (trùng)",
            DocumentStatus.quarantined: "cách ly",
        }.get(report.status, report.status.value)
        what = f"[{done}/{total}] hồ sơ {report.dossier or '-'}: {status}"
        if report.status is DocumentStatus.quarantined:
            what += f" — {report.error}"
        else:
            what += f" ({report.doc_type.value}, {report.pages} trang)"
        return f"{what} · {self.rate():.0f} trang/phút · còn lại ~{_duration(remaining)}"

    def __call__(self, done: int, total: int, report: DocumentReport) -> None:
        if report.status is DocumentStatus.archived:
            self.pages_read += report.pages
        if not self.bar:
            print(self.line(done, total, report), file=self.stream, flush=True)
            return
        self._show_bar(done, total, report)

    def _show_bar(self, done: int, total: int, report: DocumentReport) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        if self._rich is None:
            self._rich = Progress(
                TextColumn("Số hoá"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("tệp"),
                TextColumn("· {task.fields[rate]:.0f} trang/phút ·"),
                TextColumn("còn lại"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._task = self._rich.add_task("ingest", total=total, rate=0.0)
            self._rich.start()
        if report.status is DocumentStatus.quarantined:
            self._rich.console.print(f"cách ly: hồ sơ {report.dossier or '-'}, tệp {done}/{total} — {report.error}")
        self._rich.update(self._task, completed=done, rate=self.rate())
        if done >= total:
            self._rich.stop()
