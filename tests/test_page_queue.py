"""Many documents through one queue of page workers: every file's pages come back to it, in order; a worker
that dies costs its page one more try, not the batch; a caller that stops early leaves nothing running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _pages import MARKERS, write_png, write_tiff

from ocr import OcrOptions, finish_document, ocr_files, read_ahead
from ocr.document import ocr_page
from ocr.page_queue import PageQueue
from ocr.rasterize import plan_pages
from ocr.triage import triage
from schemas.failures import OcrCrashed

OPTIONS = OcrOptions(lang="eng", detect_orientation=False, workers=2)


def test_a_batch_of_files_comes_back_in_order_each_with_its_own_text(tmp_path):
    inputs = [write_png(tmp_path / f"{n}.png", marker) for n, marker in enumerate(MARKERS[:4])]
    inputs.insert(2, tmp_path / "broken.png")
    inputs[2].write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)  # a PNG signature and nothing behind it
    inputs.append(write_tiff(tmp_path / "three.tif", MARKERS[4:7]))
    archive_dir = tmp_path / "archive"
    archive_dir.mkdir()

    outcomes = list(ocr_files(inputs, OPTIONS, archive_dir=archive_dir))

    assert [outcome.path for outcome in outcomes] == inputs
    broken = outcomes[2]
    assert broken.result is None and broken.failure is not None and broken.failure.code == "corrupt_file"
    read = [outcome for outcome in outcomes if outcome is not broken]
    for outcome, marker in zip(read[:4], MARKERS[:4]):
        assert outcome.failure is None
        assert marker in outcome.result.text
        assert all(other not in outcome.result.text for other in MARKERS if other != marker)
        layer = subprocess.run(["pdftotext", str(outcome.archive_pdf_path), "-"], capture_output=True, text=True)
        assert marker in layer.stdout
    pages = read[4].result.pages
    assert [page.number for page in pages] == [1, 2, 3]
    assert [marker in page.text for page, marker in zip(pages, MARKERS[4:7])] == [True, True, True]


def test_read_ahead_starts_the_next_items_before_the_caller_finishes_one():
    events = []

    def start(item):
        events.append(f"start {item}")
        return item

    for item, _started in read_ahead(range(5), start, lambda _: 1, pages_ahead=2):
        events.append(f"finish {item}")
    # Item 0 is yielded only once items 1 and 2 are started (two pages waiting behind it).
    assert events[:4] == ["start 0", "start 1", "start 2", "finish 0"]
    assert [event for event in events if event.startswith("finish")] == [f"finish {n}" for n in range(5)]


def test_read_ahead_abandons_what_it_started_when_the_caller_stops():
    abandoned = []
    ahead = read_ahead(range(10), lambda item: item, lambda _: 1, pages_ahead=3, abandon=abandoned.append)
    assert next(ahead) == (0, 0)
    ahead.close()
    assert abandoned == [1, 2, 3]


# ---------------------------------------------------------------- faults, injected as page functions


def die_once_on_page_two(source, plan, options, workdir):
    """Kills its own worker the first time it is given page 2, as the kernel's OOM killer would."""
    marker = Path(workdir) / "page-2-killed-once"
    if plan.number == 2 and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return ocr_page(source, plan, options, workdir)


def die_on_poison(source, plan, options, workdir):
    """Kills its worker every time it is given a page of a file named poison*."""
    if Path(source.path).name.startswith("poison"):
        os.kill(os.getpid(), signal.SIGKILL)
    return ocr_page(source, plan, options, workdir)


def submit(queue: PageQueue, path: Path, workdir: Path):
    source = triage(path, max_bytes=OPTIONS.max_bytes, max_pixels=OPTIONS.max_pixels, max_pages=OPTIONS.max_pages)
    workdir.mkdir()
    return queue.submit(source, plan_pages(source), OPTIONS, workdir)


@pytest.fixture
def queue_with(request):
    queues = []

    def make(page_function):
        queues.append(PageQueue(2, page_function))
        return queues[-1]

    yield make
    for queue in queues:
        queue.close()


def test_a_worker_killed_in_the_middle_of_a_page_costs_that_page_one_more_try(tmp_path, queue_with):
    queue = queue_with(die_once_on_page_two)
    ticket = submit(queue, write_tiff(tmp_path / "three.tif", MARKERS[:3]), tmp_path / "work")
    document = finish_document(ticket, timeout=120)
    assert [page.number for page in document.result.pages] == [1, 2, 3]
    assert MARKERS[1] in document.result.pages[1].text
    assert (tmp_path / "work" / "page-2-killed-once").exists()  # the fault did happen


def test_a_page_that_kills_every_worker_fails_its_document_and_no_other(tmp_path, queue_with):
    queue = queue_with(die_on_poison)
    poisoned = submit(queue, write_png(tmp_path / "poison.png", MARKERS[0]), tmp_path / "work-poison")
    healthy = submit(queue, write_tiff(tmp_path / "healthy.tif", MARKERS[1:3]), tmp_path / "work-healthy")
    with pytest.raises(OcrCrashed) as failure:
        finish_document(poisoned, timeout=120)
    assert "worker process died" in str(failure.value)
    document = finish_document(healthy, timeout=120)
    assert [MARKERS[n + 1] in page.text for n, page in enumerate(document.result.pages)] == [True, True]


OWNER_SCRIPT = """
import sys, time
from pathlib import Path
from ocr import OcrOptions, ocr_files
from ocr.document import page_queue

if __name__ == "__main__":
    options = OcrOptions(lang="eng", detect_orientation=False, workers=2)
    outcomes = list(ocr_files([Path(p) for p in sys.argv[1:]], options))
    assert all(outcome.failure is None for outcome in outcomes)
    print(" ".join(str(pid) for pid in page_queue(2)._pool._processes), flush=True)
    time.sleep(600)
"""


def test_page_workers_die_with_their_owner_killed_outright(tmp_path):
    # Workers are children of multiprocessing's fork server, not of the owner (a watcher): killed with SIGKILL,
    # the owner would leave them behind for ever unless they watch it.
    inputs = [str(write_png(tmp_path / f"{n}.png", marker)) for n, marker in enumerate(MARKERS[:2])]
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT, *inputs],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
    finally:
        owner.kill()
        owner.wait()
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A dead child of a dead parent is reaped by init at once; a zombie would still answer kill(pid, 0).
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split(") ", 1)[1][0] != "Z"
