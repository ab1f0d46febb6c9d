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
  the same (file server's) clock. A worker that left its heartbeat on this machine and whose process is gone is
  known dead at once; files held by one that may still run wait, and the log says for whom and until when.
- Hostile entries: only what `lstat` shows as a regular file is a file to take; links, FIFOs, sockets and
  devices are listed apart (the watcher quarantines them, moved as themselves, never opened). Every move goes
  through `inbox.safe_paths`: never through a link, never out of the inbox.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath

from inbox.convention import is_ignored
from inbox.safe_paths import (
    entries_under,
    exists_in,
    move_inside,
    open_folder,
    relative_parts,
    remove_empty_folders,
)
from schemas.checksums import open_regular_file
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
    regular: bool = True  # False: a link, FIFO, socket or device (never opened; its own lstat)

    @classmethod
    def of(cls, path: Path) -> Signature | None:
        """The entry's own signature (`lstat`: a link is not followed); None if it is gone."""
        try:
            return cls.from_stat(os.lstat(path))
        except OSError:
            return None

    @classmethod
    def from_stat(cls, info: os.stat_result) -> Signature:
        return cls(info.st_size, info.st_mtime_ns, stat.S_ISREG(info.st_mode))


def scan_entries(root: Path) -> dict[PurePosixPath, Signature]:
    """Every entry under `root` outside ignored folders (so never our own .processing/.done/.quarantine), by path
    relative to `root`: regular files and, marked `regular=False`, links, FIFOs, sockets and devices. Nothing is
    followed or opened. Ignored *files* are listed too: a growing `.part` tells that its dossier is incomplete."""
    return {
        relative: Signature.from_stat(info) for relative, info in entries_under(root, skip_folder=is_ignored).items()
    }


def scan_files(root: Path) -> dict[PurePosixPath, Signature]:
    """The regular files of `scan_entries`."""
    return {relative: signature for relative, signature in scan_entries(root).items() if signature.regular}


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


def move_without_overwrite(source: Path, target: Path, *, root: Path | None = None) -> Path:
    """Move `source` to `target`, or to `name (2).ext`, ... when taken: never replaces a file (a clerk may have put
    a new file of the same name there). Raises FileNotFoundError if `source` is gone. Only for files no other
    worker moves at the same time (our own claims, a folder taken over whole). Both lie below `root` (default:
    the folder they share), and no folder between is a link (UnsafePath)."""
    if root is None:
        root = Path(os.path.commonpath([os.path.abspath(source.parent), os.path.abspath(target.parent)]))
    return move_inside(root, source, target)


def prune_empty_folders(start: Path, stop: Path) -> None:
    """Remove `start` and its parents while they are empty, up to (not including) `stop`."""
    remove_empty_folders(start, stop)


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
        return os.lstat(folder / HEARTBEAT).st_mtime
    except FileNotFoundError:
        try:
            return os.lstat(folder).st_mtime
        except FileNotFoundError:
            return None


def _heartbeat_about(folder: Path) -> dict:
    """What a worker wrote in its heartbeat (host, pid), or {} if it is missing, damaged or not a regular file
    (it is read without following a link and without blocking: the inbox is writable by every clerk)."""
    try:
        with open_regular_file(folder / HEARTBEAT) as stream:
            about = json.loads(stream.read(64 * 1024).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return about if isinstance(about, dict) else {}


def _known_dead(about: dict) -> bool:
    """The worker ran on this machine and its process is gone: it is dead, whatever its heartbeat's age."""
    pid = about.get("pid")
    return (
        about.get("host") == socket.gethostname()
        and isinstance(pid, int)
        and pid != os.getpid()
        and not _process_alive(pid)
    )


def _held_entries(folder: Path) -> list[PurePosixPath]:
    """What a worker's folder holds (its heartbeat aside), relative to it; links and the like are listed as
    entries, never followed."""
    return sorted(relative for relative in entries_under(folder) if relative != PurePosixPath(HEARTBEAT))


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
        self._told_waiting: dict[str, int] = {}  # workers whose held files we said wait, and how many

    # ------------------------------------------------------------ life

    def __enter__(self) -> WorkerClaims:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        if self._name_in_use():
            raise WorkerNameInUse(self.worker)
        self._write_heartbeat()
        # Files left in a folder of our own name were claimed by an earlier run of this worker that died.
        for path in self.held():
            self.release(Claim(PurePosixPath(path.relative_to(self.folder).as_posix()), path, Signature(0, 0)))
        interval = max(0.05, min(self.claim_timeout / 4, 30.0))
        self._thread = threading.Thread(target=self._beat, args=(interval,), name="sohoa-inbox-heartbeat", daemon=True)
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
        about, beat = _heartbeat_about(self.folder), _last_alive(self.folder)
        if not about or beat is None:
            return False
        fresh = time.time() - beat <= self.claim_timeout
        if about.get("host") == socket.gethostname():  # a process here can be asked whether it still runs
            return fresh and about.get("pid") != os.getpid() and _process_alive(about.get("pid"))
        return fresh

    def _write_heartbeat(self) -> None:
        """Make our folder (a real one: UnsafePath if a link is on the way) and write a new heartbeat in it, never
        through whatever a clerk may have left under that name."""
        about = {"worker": self.worker, "host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}
        with open_folder(self.inbox, (PROCESSING, self.worker), create=True) as folder:
            try:
                os.unlink(HEARTBEAT, dir_fd=folder)
            except FileNotFoundError:
                pass
            fd = os.open(
                HEARTBEAT, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=folder
            )
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                stream.write(json.dumps(about))

    def _beat(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                os.utime(self.folder / HEARTBEAT, follow_symlinks=False)
            except FileNotFoundError:
                # Our folder was taken over (we were thought dead: a paused machine?): be seen alive again.
                log.warning("Thư mục nhận việc %s đã bị thu hồi; tạo lại / claim folder was reclaimed", self.worker)
                try:
                    self._write_heartbeat()
                except OSError as error:  # a link put in its place (UnsafePath), a share that hiccups: next beat
                    log.warning("Không tạo lại được thư mục nhận việc (%s)", getattr(error, "code", error.errno))
            except OSError as error:  # a share that hiccups: the next beat will do
                log.debug("heartbeat failed: %s", error)

    def held(self) -> list[Path]:
        """Files this worker holds (claimed and not yet settled or released)."""
        if not self.folder.is_dir():
            return []
        return [self.folder / relative for relative in _held_entries(self.folder)]

    # ------------------------------------------------------------ claims

    def claim(self, relative: PurePosixPath, expected: Signature) -> Claim | ClaimRefused:
        """Take the inbox file at `relative` for this worker, if it still is as it was seen stable."""
        target = self.folder / relative
        try:
            parts = relative_parts(self.inbox, self.inbox / relative)
            # Folder by folder without following links on either side: a folder swapped for a link after the
            # scan is refused, and nothing from outside the inbox is ever taken in.
            with (
                open_folder(self.inbox, parts[:-1]) as source,
                open_folder(self.inbox, (PROCESSING, self.worker, *parts[:-1]), create=True) as into,
            ):
                if exists_in(into, parts[-1]):
                    return ClaimRefused.busy
                os.rename(parts[-1], parts[-1], src_dir_fd=source, dst_dir_fd=into)
                # Seen stable, but a writer may have added bytes (or swapped the entry) since that scan.
                now = Signature.from_stat(os.stat(parts[-1], dir_fd=into, follow_symlinks=False))
        except FileNotFoundError:
            prune_empty_folders(target.parent, self.folder)
            return ClaimRefused.gone
        except OSError as error:  # still open on a Windows share (sharing violation), a link on the way...
            log.debug("claim of a file refused by the file system: %s", error)
            prune_empty_folders(target.parent, self.folder)
            return ClaimRefused.changed
        claim = Claim(relative, target, expected)
        if now != expected:
            self.release(claim)
            return ClaimRefused.changed
        return claim

    def settled(self, claim: Claim) -> None:
        """The claimed file has been moved on (done, quarantine): drop the folders it leaves empty."""
        prune_empty_folders(claim.path.parent, self.folder)

    def release(self, claim: Claim) -> Path | None:
        """Put a claimed file back where it came from in the inbox (beside it, renamed, if that name is taken)."""
        try:
            back = move_without_overwrite(claim.path, self.inbox / claim.relative, root=self.inbox)
        except FileNotFoundError:  # taken over by another worker meanwhile
            return None
        except OSError as error:  # a link put on the way back (UnsafePath), or the share went away: keep it
            log.error(
                "Không trả được tệp về hộp thư đến (%s); tệp vẫn nằm trong %s/%s / could not put a file back",
                getattr(error, "code", type(error).__name__),
                PROCESSING,
                self.worker,
            )
            return None
        prune_empty_folders(claim.path.parent, self.folder)
        return back

    # ------------------------------------------------------------ dead workers

    def _share_now(self) -> float:
        """Now, by the clock of the file system holding the inbox: our own heartbeat's mtime, just touched."""
        try:
            os.utime(self.folder / HEARTBEAT, follow_symlinks=False)
            return os.lstat(self.folder / HEARTBEAT).st_mtime
        except OSError:
            return time.time()

    def reclaim_stale(self) -> list[PurePosixPath]:
        """Put back in the inbox the files of every worker whose heartbeat is older than the claim timeout."""
        returned: list[PurePosixPath] = []
        if not self.processing.is_dir():
            return returned
        now = self._share_now()
        for entry in sorted(self.processing.iterdir()):
            if entry.name == self.worker or entry.is_symlink() or not entry.is_dir():
                continue
            last = _last_alive(entry)
            if last is None:
                continue
            if now - last <= self.claim_timeout and not _known_dead(_heartbeat_about(entry)):
                self._tell_waiting(entry, self.claim_timeout - (now - last))
                continue
            self._told_waiting.pop(entry.name, None)
            # One atomic rename makes the folder ours alone: two workers never move the same files back.
            taken = self.processing / f"{_RECLAIM_PREFIX}{uuid.uuid4().hex[:12]}"
            try:
                os.rename(entry, taken)
            except OSError:  # another worker took it over first
                continue
            (taken / HEARTBEAT).unlink(missing_ok=True)  # a new one, ours now, alive while we empty the folder
            (taken / HEARTBEAT).touch()
            for relative in _held_entries(taken):
                path = taken / relative
                try:
                    move_without_overwrite(path, self.inbox / relative, root=self.inbox)
                except OSError as error:  # a link on the way back: leave that one where it is
                    log.error(
                        "Không trả được một tệp về hộp thư đến (%s) / could not put a file back",
                        getattr(error, "code", type(error).__name__),
                    )
                    continue
                prune_empty_folders(path.parent, taken)
                returned.append(relative)
            (taken / HEARTBEAT).unlink(missing_ok=True)
            prune_empty_folders(taken, self.processing)
            log.info(
                "Thu hồi %d tệp của tiến trình đã dừng %s về hộp thư đến / reclaimed %d files of a stopped worker",
                len(returned),
                entry.name,
                len(returned),
            )
        return returned

    def _tell_waiting(self, folder: Path, seconds_left: float) -> None:
        """Say (once, and again if it changes) that files wait in a worker's folder that may still run, and until
        when: otherwise a restarted service shows only "0 hồ sơ" for up to SOHOA_CLAIM_TIMEOUT_SECONDS."""
        held = len(_held_entries(folder))
        if held == 0 or self._told_waiting.get(folder.name) == held:
            return
        self._told_waiting[folder.name] = held
        until = time.strftime("%H:%M:%S", time.localtime(time.time() + max(0.0, seconds_left)))
        log.warning(
            "%d tệp đang do tiến trình %s giữ; sẽ thu hồi về hộp thư đến lúc %s (sau "
            "SOHOA_CLAIM_TIMEOUT_SECONDS=%g s không có nhịp) nếu tiến trình đó không còn chạy / %d files are "
            "held by worker %s; they go back to the inbox at %s if it is no longer running",
            held,
            folder.name,
            until,
            self.claim_timeout,
            held,
            folder.name,
            until,
        )
