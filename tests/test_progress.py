"""The batch progress a clerk sees: files done, pages read per minute, time left; never the file's name."""

from __future__ import annotations

import io
import time

from schemas import DocumentReport, DocumentStatus
from sohoa.progress import BatchProgress

DOSSIER = "000.00.00.H33-231120-0042"


def report(status: DocumentStatus, pages: int, name: str, error: str | None = None) -> DocumentReport:
    return DocumentReport(id=None, dossier=DOSSIER, source=f"/inbox/{name}", pages=pages, status=status, error=error)


def test_lines_give_progress_rate_and_time_left_without_file_names():
    stream = io.StringIO()
    progress = BatchProgress(stream, bar=False)
    progress.started = time.monotonic() - 60  # a minute into the batch
    progress(1, 4, report(DocumentStatus.archived, 10, "nguyen-van-a.pdf"))
    progress(2, 4, report(DocumentStatus.duplicate, 5, "tran-thi-b.pdf"))
    progress(3, 4, report(DocumentStatus.quarantined, 0, "le-van-c.pdf", error="empty_file: Tệp rỗng"))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"[1/4] hồ sơ {DOSSIER}: đã lưu")
    # Ten pages read in a minute; the duplicate was not read and does not count.
    assert "10 trang/phút" in lines[1]
    assert "còn lại ~0:20" in lines[2]  # three files in 60 s: one more takes about 20 s
    assert "empty_file" in lines[2]
    assert not any(name in stream.getvalue() for name in ("nguyen", "tran-thi", "le-van"))


def test_on_a_terminal_it_draws_a_bar():
    stream = io.StringIO()
    progress = BatchProgress(stream, bar=True)
    progress(1, 2, report(DocumentStatus.archived, 3, "a.pdf"))
    progress(2, 2, report(DocumentStatus.archived, 3, "b.pdf"))
    shown = stream.getvalue()
    assert "2/2" in shown and "trang/phút" in shown and "Số hoá" in shown
