"""One queue of pages for every document in flight: the worker processes never wait for a document to finish.

A batch of one-page scans (a clerk's dossier, the night backlog) would keep one core busy if documents were read
one after another. Here every submitted document's pages join one queue, served in submission order by a pool of
worker processes (one Tesseract thread each), so the pages of the next files are read while the caller builds
the archival PDF and stores the previous one.

Memory stays bounded: only `workers + 1` pages are handed to the pool at a time (each worker decodes its own
page); the queue itself holds page plans, a few numbers each. A worker that dies (killed, out of memory) breaks
the pool and every page in flight with it: those pages are tried again in a new pool, each alone, so a page
that kills its worker again is known for certain and fails its document with `ocr_crashed`, and the innocent
pages that were in flight beside it are read.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ocr.rasterize import PagePlan
from schemas import SourceFile
from schemas.failures import OcrCrashed

log = logging.getLogger(__name__)

# Seconds between a page worker's looks at whether the process that owns it is still alive.
OWNER_CHECK_SECONDS = 2.0


def _start_page_worker(owner_pid: int) -> None:
    """Set up a page worker process.

    Ctrl-C in a terminal reaches the whole process group; the owner decides what stops (a watcher finishes its
    dossier first), so a worker ignores it instead of dying with a traceback. And a worker dies with its owner:
    workers are children of multiprocessing's fork server, not of the owner, so when the owner is killed outright
    (SIGKILL, the OOM killer) nothing else would ever stop them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch_owner() -> None:
        while True:
            time.sleep(OWNER_CHECK_SECONDS)
            try:
                os.kill(owner_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # alive, under another user: cannot be ours, but it exists
                continue

    threading.Thread(target=watch_owner, name="sohoa-owner-watch", daemon=True).start()


class OcrTicket:
    """The OCR of one document, under way; `wait()` gives its pages in page order or raises its failure."""

    def __init__(
        self,
        source: SourceFile,
        plans: list[PagePlan],
        options,
        workdir: Path,
        progress: Callable[[int, int], None] | None = None,
    ):
        self.source, self.plans, self.options, self.workdir = source, plans, options, workdir
        self.progress = progress
        self._results: dict[int, tuple] = {}
        self._failure: BaseException | None = None
        self._finished = threading.Event()
        if not plans:
            self._finished.set()

    @property
    def failed(self) -> bool:
        return self._failure is not None

    def done(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> list[tuple]:
        if not self._finished.wait(timeout):
            raise TimeoutError("OCR still running")
        if self._failure is not None:
            raise self._failure
        return [self._results[plan.number] for plan in self.plans]

    def _page_read(self, number: int, result: tuple) -> None:
        if self._finished.is_set():
            return
        self._results[number] = result
        if self.progress:
            try:
                self.progress(len(self._results), len(self.plans))
            except Exception:  # a broken progress display must not lose the page
                log.debug("progress callback failed", exc_info=True)
        if len(self._results) == len(self.plans):
            self._finished.set()

    def _fail(self, failure: BaseException) -> None:
        if not self._finished.is_set():
            self._failure = failure
            self._finished.set()


class PageQueue:
    """A pool of page workers fed from one queue of (document, page) in submission order."""

    def __init__(self, workers: int, page_function: Callable):
        self.workers = max(1, workers)
        self._page_function = page_function  # ocr.document.ocr_page: (source, plan, options, workdir)
        # (document, page, suspect): a suspect page was in flight when a worker died; it is read alone.
        self._queue: deque[tuple[OcrTicket, PagePlan, bool]] = deque()
        self._condition = threading.Condition()
        self._in_flight = 0
        self._isolating = False  # a suspect page is being read alone
        self._pool: ProcessPoolExecutor | None = None
        self._pool_broken = False
        self._closed = False
        self._feeder = threading.Thread(target=self._feed, name="sohoa-page-feeder", daemon=True)
        self._feeder.start()

    def submit(
        self,
        source: SourceFile,
        plans: list[PagePlan],
        options,
        workdir: Path,
        progress: Callable[[int, int], None] | None = None,
    ) -> OcrTicket:
        ticket = OcrTicket(source, plans, options, workdir, progress)
        with self._condition:
            if self._closed:
                raise RuntimeError("the page queue is closed")
            self._queue.extend((ticket, plan, False) for plan in plans)
            self._condition.notify_all()
        return ticket

    def cancel(self, ticket: OcrTicket) -> None:
        """Drop the document's pages still waiting (its pages being read finish and are discarded)."""
        with self._condition:
            self._queue = deque(item for item in self._queue if item[0] is not ticket)
        ticket._fail(OcrCrashed("cancelled"))

    def close(self) -> None:
        with self._condition:
            self._closed = True
            for ticket, _, _ in self._queue:
                ticket._fail(OcrCrashed("cancelled"))
            self._queue.clear()
            self._condition.notify_all()
        self._feeder.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # ------------------------------------------------------------ inside

    def _new_pool(self) -> ProcessPoolExecutor:
        # forkserver: a fork of a process that runs threads (Prefect does, and so does this queue) can deadlock;
        # spawn is slower to start.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["ocr.document"])
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_start_page_worker, initargs=(os.getpid(),)
        )

    def _next_page(self) -> tuple[OcrTicket, PagePlan, bool] | None:
        """Wait for a page to hand out and a free place among the workers; None once closed."""
        with self._condition:
            while True:
                if self._closed:
                    return None
                if self._queue and self._queue[0][0].failed:  # its document is lost: spend no worker on it
                    self._queue.popleft()
                    continue
                # Only a few pages in flight beyond the workers: memory is bounded by pages being read.
                free = self._in_flight < self.workers + 1 and not self._isolating
                if self._queue and free and (not self._queue[0][2] or self._in_flight == 0):
                    ticket, plan, suspect = self._queue.popleft()
                    self._in_flight += 1
                    self._isolating = suspect
                    return ticket, plan, suspect
                self._condition.wait()

    def _feed(self) -> None:
        while (item := self._next_page()) is not None:
            ticket, plan, suspect = item
            try:
                if self._pool is None or self._pool_broken:
                    if self._pool is not None:
                        self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool, self._pool_broken = self._new_pool(), False
                future = self._pool.submit(self._page_function, ticket.source, plan, ticket.options, ticket.workdir)
            except BrokenProcessPool as error:
                self._page_done(ticket, plan, suspect, None, error)
                continue
            except Exception as error:  # cannot start workers at all: the document fails, the queue goes on
                self._page_done(ticket, plan, suspect, None, OcrCrashed(f"no page worker: {type(error).__name__}"))
                continue
            future.add_done_callback(
                lambda done, ticket=ticket, plan=plan, suspect=suspect: self._page_done(ticket, plan, suspect, done)
            )

    def _page_done(
        self,
        ticket: OcrTicket,
        plan: PagePlan,
        suspect: bool,
        future: Future | None,
        error: BaseException | None = None,
    ) -> None:
        if future is not None:
            error = future.exception() if not future.cancelled() else OcrCrashed("cancelled")
        with self._condition:
            self._in_flight -= 1
            if suspect:
                self._isolating = False
            if isinstance(error, BrokenProcessPool):
                self._pool_broken = True
                if not suspect and not self._closed:
                    self._queue.appendleft((ticket, plan, True))  # again, alone, in a new pool
                    self._condition.notify_all()
                    return
                error = OcrCrashed(f"page {plan.number}: the page worker process died")
            self._condition.notify_all()
        if error is not None:
            ticket._fail(error)
        else:
            ticket._page_read(plan.number, future.result())
