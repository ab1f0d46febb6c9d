"""When an inbox file is complete, and how one worker (and only one) takes it.

- Stable: a scanner or a copy over the network writes a file for a while; its size and modification time must
  stay the same for `stable_seconds` (watched with our own monotonic clock, not compared with the file's mtime:
  the clock of an SMB/NFS server may be off by minutes).
- Claimed: an atomic `os.rename` into `INBOX/.processing/<worker>/<same relative path>`. Of two workers renaming
  the same file only one succeeds; the other finds the file gone. The folder is inside the inbox, so the rename
  never crosses file systems.
- Alive: each worker touches `.processing/<worker>/.heartbeat` from a thread while it runs. Files in the folder of a
  worker whose heartbeat is older than `claim_timeout` (a crash, a killed process, a lost machine) go back to
  the inbox and are taken again; the age is measured against our own heartbeat's mtime, so both times come from
  the same (file server's) clock.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Callable

from inbox.convention import is_ignored
from schemas.failures import SohoaFailure

log = logging.getLogger("sohoa.inbox")

PROCESSING = ".processing"
HEARTBEAT = ".heartbeat"
_RECLAIM_PREFIX = ".reclaim-"
# A scanner that creates its file first and writes it when the page is scanned leaves an empty file meanwhile:
# an empty file must stay unchanged this many times longer before it is taken (and quarantined as empty).
EMPTY_FILE_FACTOR = 3


@dataclass(frozen=True)
class Signature:
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> "Signature | None":
        try:
            stat = path.stat()
        except OSError:
            return None
        return cls(stat.st_size, stat.st_mtime_ns)


def scan_files(root: Path) -> dict[PurePosixPath, Signature]:
    """Every file under `root` outside ignored folders (so never our own .processing/.done/.quarantine), by path
    relative to `root`. Ignored *files* are listed too: a growing `.part` tells that its dossier is incomplete."""
    found: dict[PurePosixPath, Signature] = {}
    for folder, folders, files in os.walk(root):
        relative_folder = PurePosixPath(Path(folder).relative_to(root).as_posix())
        folders[:] = [name for name in folders if not is_ignored(name)]  # pruned: never walked into
        for name in files:
            signature = Signature.of(Path(folder) / name)
            if signature is not None:  # gone between listing and stat: claimed by someone else
                found[relative_folder / name] = signature
    return found


class StabilityTracker:
    """Remembers each file's signature and since when (our clock) it has been unchanged."""

    def __init__(self, stable_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.stable_seconds = stable_seconds
        self._clock = clock
        self._since: dict[PurePosixPath, tuple[Signature, float]] = {}

    def observe(self, files: dict[PurePosixPath, Signature]) -> None:
        """Take a new scan: a changed file starts its wait again, a vanished one is forgotten."""
        now = self._clock()
        since = {}
        for path, signature in files.items():
            previous = self._since.get(path)
            since[path] = previous if previous is not None and previous[0] == signature else (signature, now)
        self._since = since

    def restart(self, path: PurePosixPath) -> None:
        """Wait a full window again for this file (a claim found it changed, or could not take it)."""
        known = self._since.get(path)
        if known is not None:
            self._since[path] = (known[0], self._clock())

    def signature(self, path: PurePosixPath) -> Signature | None:
        known = self._since.get(path)
        return known[0] if known else None

    def seconds_left(self, path: PurePosixPath) -> float:
        """0 once stable; how long it must still stay unchanged otherwise (inf for a file never seen)."""
        known = self._since.get(path)
        if known is None:
            return float("inf")
        signature, since = known
        window = self.stable_seconds * (EMPTY_FILE_FACTOR if signature.size == 0 else 1)
        return max(0.0, since + window - self._clock())

    def is_stable(self, path: PurePosixPath) -> bool:
        return self.seconds_left(path) == 0.0

    def next_due(self) -> float | None:
        """Seconds until the next file still waiting may become stable; None if none waits."""
        waiting = [left for path in self._since if (left := self.seconds_left(path)) > 0]
        return min(waiting) if waiting else None


def _free_names(target: Path):
    yield target
    for number in range(2, 10_000):
        yield target.with_name(f"{target.stem} ({number}){target.suffix}")
    raise FileExistsError(f"no free name for {target.name}")


def move_without_overwrite(source: Path, target: Path) -> Path:
    """Move `source` to `target`, or to `name (2).ext`, ... when taken: never replaces a file (a clerk may have put
    a new file of the same name there). Raises FileNotFoundError if `source` is gone. Only for files no other
    worker moves at the same time (our own claims, a folder taken over whole)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for candidate in _free_names(target):
        try:
            os.link(source, candidate)  # fails if the name is taken, atomically
        except FileExistsError:
            continue
        except FileNotFoundError:
            raise
        except OSError:  # no hard links on this share (some SMB/FAT): check, then rename
            if candidate.exists():
                continue
            os.rename(source, candidate)
            return candidate
        os.unlink(source)
        return candidate
    raise AssertionError("unreachable")


def prune_empty_folders(start: Path, stop: Path) -> None:
    """Remove `start` and its parents while they are empty, up to (not including) `stop`."""
    folder = start
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty (a new file arrived), or already gone
            return
        folder = folder.parent


def _remove_empty_tree(root: Path) -> None:
    """Remove every empty folder under `root` (deepest first), and `root` if it ends empty."""
    if not root.is_dir():
        return
    for folder, _, _ in sorted(os.walk(root), key=lambda entry: -len(Path(entry[0]).parts)):
        try:
            os.rmdir(folder)
        except OSError:
            pass


class WorkerNameInUse(SohoaFailure):
    code = "worker_name_in_use"
    vi = "Một tiến trình khác đang chạy với cùng tên (SOHOA_WORKER_NAME); mỗi tiến trình cần một tên riêng"
    en = "Another running worker has the same name (SOHOA_WORKER_NAME); each worker needs its own"


class ClaimRefused(Enum):
    gone = "gone"  # someone else claimed it first (or it was deleted)
    changed = "changed"  # it changed since it was seen stable: not complete after all
    busy = "busy"  # we still hold an earlier file of the same path


@dataclass(frozen=True)
class Claim:
    relative: PurePosixPath  # where it lay in the inbox
    path: Path  # where it lies now: INBOX/.processing/<worker>/<relative>
    signature: Signature


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _safe_folder_name(name: str) -> str:
    cleaned = "".join(char if char.isalnum() or char in "-_." else "-" for char in name).lstrip(".")
    return cleaned or default_worker_name()


def _process_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        return True
    return True


def _last_alive(folder: Path) -> float | None:
    try:
        return (folder / HEARTBEAT).stat().st_mtime
    except FileNotFoundError:
        try:
            return folder.stat().st_mtime
        except FileNotFoundError:
            return None


class WorkerClaims:
    """One worker's claims on an inbox, with its heartbeat. Use as a context manager: leaving releases every
    file still claimed back to the inbox and removes the worker's folder."""

    def __init__(self, inbox: Path, worker: str, claim_timeout: float):
        self.inbox = Path(inbox)
        self.worker = _safe_folder_name(worker)
        self.claim_timeout = claim_timeout
        self.processing = self.inbox / PROCESSING
        self.folder = self.processing / self.worker
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ life

    def __enter__(self) -> "WorkerClaims":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        if self._name_in_use():
            raise WorkerNameInUse(self.worker)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write_heartbeat()
        # Files left in a folder of our own name were claimed by an earlier run of this worker that died.
        for path in self.held():
            self.release(Claim(PurePosixPath(path.relative_to(self.folder).as_posix()), path, Signature(0, 0)))
        interval = max(0.05, min(self.claim_timeout / 4, 30.0))
        self._thread = threading.Thread(target=self._beat, args=(interval,), name="sohoa-inbox-heartbeat",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for path in self.held():
            self.release(Claim(PurePosixPath(path.relative_to(self.folder).as_posix()), path, Signature(0, 0)))
        (self.folder / HEARTBEAT).unlink(missing_ok=True)
        _remove_empty_tree(self.folder)
        prune_empty_folders(self.folder, self.processing)

    def _name_in_use(self) -> bool:
        """Another live worker already runs under this name (a fixed SOHOA_WORKER_NAME used twice): taking its
        folder would give its files back under its feet. A dead one's folder is ours to take over."""
        try:
            heartbeat = self.folder / HEARTBEAT
            about, beat = json.loads(heartbeat.read_text(encoding="utf-8")), heartbeat.stat().st_mtime
        except (OSError, ValueError):
            return False
        fresh = time.time() - beat <= self.claim_timeout
        if about.get("host") == socket.gethostname():  # a process here can be asked whether it still runs
            return fresh and about.get("pid") != os.getpid() and _process_alive(about.get("pid"))
        return fresh

    def _write_heartbeat(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        about = {"worker": self.worker, "host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}
        (self.folder / HEARTBEAT).write_text(json.dumps(about), encoding="utf-8")

    def _beat(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                os.utime(self.folder / HEARTBEAT)
            except FileNotFoundError:
                # Our folder was taken over (we were thought dead: a paused machine?): be seen alive again.
                log.warning("Thư mục nhận việc %s đã bị thu hồi; tạo lại / claim folder was reclaimed", self.worker)
                self._write_heartbeat()
            except OSError as error:  # a share that hiccups: the next beat will do
                log.debug("heartbeat failed: %s", error)

    def held(self) -> list[Path]:
        """Files this worker holds (claimed and not yet settled or released)."""
        if not self.folder.is_dir():
            return []
        return sorted(path for path in self.folder.rglob("*") if path.is_file() and path.name != HEARTBEAT)

    # ------------------------------------------------------------ claims

    def claim(self, relative: PurePosixPath, expected: Signature) -> Claim | ClaimRefused:
        """Take the inbox file at `relative` for this worker, if it still is as it was seen stable."""
        target = self.folder / relative
        if target.exists():
            return ClaimRefused.busy
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(self.inbox / relative, target)
        except FileNotFoundError:
            prune_empty_folders(target.parent, self.folder)
            return ClaimRefused.gone
        except OSError as error:  # e.g. still open on a Windows share (sharing violation): not complete yet
            log.debug("claim of a file refused by the file system: %s", error)
            prune_empty_folders(target.parent, self.folder)
            return ClaimRefused.changed
        claim = Claim(relative, target, expected)
        # Seen stable, but a writer may have added bytes between that scan and the rename.
        if Signature.of(target) != expected:
            self.release(claim)
            return ClaimRefused.changed
        return claim

    def settled(self, claim: Claim) -> None:
        """The claimed file has been moved on (done, quarantine): drop the folders it leaves empty."""
        prune_empty_folders(claim.path.parent, self.folder)

    def release(self, claim: Claim) -> Path | None:
        """Put a claimed file back where it came from in the inbox (beside it, renamed, if that name is taken)."""
        try:
            back = move_without_overwrite(claim.path, self.inbox / claim.relative)
        except FileNotFoundError:  # taken over by another worker meanwhile
            return None
        prune_empty_folders(claim.path.parent, self.folder)
        return back

    # ------------------------------------------------------------ dead workers

    def _share_now(self) -> float:
        """Now, by the clock of the file system holding the inbox: our own heartbeat's mtime, just touched."""
        try:
            os.utime(self.folder / HEARTBEAT)
            return (self.folder / HEARTBEAT).stat().st_mtime
        except OSError:
            return time.time()

    def reclaim_stale(self) -> list[PurePosixPath]:
        """Put back in the inbox the files of every worker whose heartbeat is older than the claim timeout."""
        returned: list[PurePosixPath] = []
        if not self.processing.is_dir():
            return returned
        now = self._share_now()
        for entry in sorted(self.processing.iterdir()):
            if entry.name == self.worker or not entry.is_dir():
                continue
            last = _last_alive(entry)
            if last is None or now - last <= self.claim_timeout:
                continue
            # One atomic rename makes the folder ours alone: two workers never move the same files back.
            taken = self.processing / f"{_RECLAIM_PREFIX}{uuid.uuid4().hex[:12]}"
            try:
                os.rename(entry, taken)
            except OSError:  # another worker took it over first
                continue
            (taken / HEARTBEAT).touch()  # ours now, and alive while we empty it
            for path in sorted(p for p in taken.rglob("*") if p.is_file() and p.relative_to(taken) != Path(HEARTBEAT)):
                relative = PurePosixPath(path.relative_to(taken).as_posix())
                move_without_overwrite(path, self.inbox / relative)
                prune_empty_folders(path.parent, taken)
                returned.append(relative)
            (taken / HEARTBEAT).unlink(missing_ok=True)
            prune_empty_folders(taken, self.processing)
            log.info("Thu hồi %d tệp của tiến trình đã dừng %s về hộp thư đến / reclaimed %d files of a stopped "
                     "worker", len(returned), entry.name, len(returned))
        return returned
