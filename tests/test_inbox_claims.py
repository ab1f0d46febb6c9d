"""Stability, claims, heartbeats and the reclaim of a dead worker's files, on real files."""

import json
import multiprocessing
import os
import socket
import time
from pathlib import Path
from pathlib import PurePosixPath as P

import pytest

from inbox.claims import (
    HEARTBEAT,
    PROCESSING,
    Claim,
    ClaimRefused,
    Signature,
    StabilityTracker,
    WorkerClaims,
    WorkerNameInUse,
    move_without_overwrite,
    scan_files,
)


class Clock:
    """A clock the test moves by hand: stability is about time, and the test must not sleep for it."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def _write(path: Path, data: bytes = b"scan") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_file_is_stable_only_after_staying_unchanged_for_the_window(tmp_path):
    clock = Clock()
    tracker = StabilityTracker(stable_seconds=5, clock=clock)
    scan = _write(tmp_path / "a.pdf", b"%PDF-1.4 half")
    tracker.observe(scan_files(tmp_path))
    assert not tracker.is_stable(P("a.pdf")) and tracker.next_due() == 5
    clock.now += 4
    with scan.open("ab") as stream:  # the scanner writes more
        stream.write(b" and the rest")
    tracker.observe(scan_files(tmp_path))
    clock.now += 4.9
    tracker.observe(scan_files(tmp_path))
    assert not tracker.is_stable(P("a.pdf"))  # the wait started again at the change
    clock.now += 0.1
    tracker.observe(scan_files(tmp_path))
    assert tracker.is_stable(P("a.pdf")) and tracker.next_due() is None
    # A file touched without new bytes (mtime only) is also a change.
    os.utime(scan, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    tracker.observe(scan_files(tmp_path))
    assert not tracker.is_stable(P("a.pdf"))
    # A file that disappears is forgotten; one never seen is not stable.
    scan.unlink()
    tracker.observe(scan_files(tmp_path))
    assert tracker.signature(P("a.pdf")) is None and not tracker.is_stable(P("a.pdf"))


def test_an_empty_file_must_wait_longer(tmp_path):
    clock = Clock()
    tracker = StabilityTracker(stable_seconds=2, clock=clock)
    _write(tmp_path / "empty.pdf", b"")
    _write(tmp_path / "full.pdf", b"x")
    tracker.observe(scan_files(tmp_path))
    clock.now += 2
    assert tracker.is_stable(P("full.pdf")) and not tracker.is_stable(P("empty.pdf"))
    clock.now += 4
    assert tracker.is_stable(P("empty.pdf"))


def test_scan_lists_files_outside_our_own_folders(tmp_path):
    _write(tmp_path / "000.00.00.H33" / "D" / "a.jpg")
    _write(tmp_path / "000.00.00.H33" / "D" / "b.jpg.part")  # listed: it tells its dossier is incomplete
    _write(tmp_path / PROCESSING / "w1" / "c.jpg")
    _write(tmp_path / ".done" / "2024-01-01" / "d.jpg")
    _write(tmp_path / ".quarantine" / "2024-01-01" / "e.jpg")
    _write(tmp_path / ".git" / "f")
    assert sorted(scan_files(tmp_path)) == [P("000.00.00.H33/D/a.jpg"), P("000.00.00.H33/D/b.jpg.part")]


def _claim_all(inbox: str, worker: str, names: list[str], start, results) -> None:
    claims = WorkerClaims(Path(inbox), worker, claim_timeout=60)
    claims.folder.mkdir(parents=True, exist_ok=True)
    signatures = {name: Signature.of(Path(inbox) / name) for name in names}
    start.wait()
    won = [name for name in names if isinstance(claims.claim(P(name), signatures[name]), Claim)]
    results.put((worker, won))


def test_two_processes_claiming_the_same_files_each_file_goes_to_exactly_one(tmp_path):
    names = [f"{number:03d}.png" for number in range(150)]
    for name in names:
        _write(tmp_path / name, name.encode())
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_claim_all, args=(str(tmp_path), f"w{n}", names, start, results)) for n in (1, 2)]
    for worker in workers:
        worker.start()
    time.sleep(0.2)  # both ready at the start line
    start.set()
    won = dict(results.get(timeout=30) for _ in workers)
    for worker in workers:
        worker.join(timeout=10)
    assert sorted(won["w1"] + won["w2"]) == names  # every file claimed, none twice
    assert not set(won["w1"]) & set(won["w2"])
    for worker, names_won in won.items():  # and each lies in its winner's folder, with its bytes
        for name in names_won:
            assert (tmp_path / PROCESSING / worker / name).read_bytes() == name.encode()
    assert not [path for path in tmp_path.iterdir() if path.is_file()]


def test_a_claim_is_refused_if_the_file_changed_since_it_was_seen_stable(tmp_path):
    scan = _write(tmp_path / "A" / "D" / "1.pdf", b"first part")
    seen = Signature.of(scan)
    with scan.open("ab") as stream:
        stream.write(b" and more")
    with WorkerClaims(tmp_path, "w1", claim_timeout=60) as claims:
        assert claims.claim(P("A/D/1.pdf"), seen) is ClaimRefused.changed
        assert scan.read_bytes() == b"first part and more"  # back where it was
        assert claims.held() == []
        # Gone: another worker took it (or a clerk removed it).
        assert claims.claim(P("A/D/2.pdf"), seen) is ClaimRefused.gone


def test_a_new_file_of_a_name_we_still_hold_waits(tmp_path):
    first = _write(tmp_path / "1.pdf", b"one")
    with WorkerClaims(tmp_path, "w1", claim_timeout=60) as claims:
        claim = claims.claim(P("1.pdf"), Signature.of(first))
        assert isinstance(claim, Claim)
        second = _write(tmp_path / "1.pdf", b"a new scan with the same name")
        assert claims.claim(P("1.pdf"), Signature.of(second)) is ClaimRefused.busy
        assert claim.path.read_bytes() == b"one" and second.read_bytes() == b"a new scan with the same name"


def test_leaving_gives_back_every_claimed_file_and_removes_the_worker_folder(tmp_path):
    scan = _write(tmp_path / "000.00.00.H33" / "D" / "1.pdf", b"one")
    with WorkerClaims(tmp_path, "w1", claim_timeout=60) as claims:
        claim = claims.claim(P("000.00.00.H33/D/1.pdf"), Signature.of(scan))
        assert claim.path == tmp_path / PROCESSING / "w1" / "000.00.00.H33" / "D" / "1.pdf"
        assert not scan.exists() and (tmp_path / PROCESSING / "w1" / HEARTBEAT).is_file()
    assert scan.read_bytes() == b"one"
    assert list((tmp_path / PROCESSING).iterdir()) == []


def test_a_restarted_worker_of_the_same_name_gives_back_what_it_held(tmp_path):
    _write(tmp_path / PROCESSING / "scanner-1" / "000.00.00.H33" / "D" / "1.pdf", b"one")
    with WorkerClaims(tmp_path, "scanner-1", claim_timeout=60) as claims:
        assert claims.held() == []
        assert (tmp_path / "000.00.00.H33" / "D" / "1.pdf").read_bytes() == b"one"


def _age(folder: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(folder / HEARTBEAT, (past, past))


def test_the_claims_of_a_dead_worker_go_back_to_the_inbox_after_the_timeout(tmp_path):
    dead = WorkerClaims(tmp_path, "dead", claim_timeout=2)
    dead.start()
    scans = [_write(tmp_path / "000.00.00.H33" / "D" / f"{n}.pdf", bytes([n])) for n in range(3)]
    for scan in scans:
        assert isinstance(dead.claim(P(scan.relative_to(tmp_path).as_posix()), Signature.of(scan)), Claim)
    dead._stop.set()  # it dies: no more heartbeats, nothing given back
    dead._thread.join()
    alive = WorkerClaims(tmp_path, "alive", claim_timeout=60)
    alive.start()
    busy = _write(tmp_path / "x.pdf", b"x")
    alive.claim(P("x.pdf"), Signature.of(busy))
    with WorkerClaims(tmp_path, "me", claim_timeout=2) as me:
        assert me.reclaim_stale() == []  # the dead worker's heartbeat is still recent
        _age(dead.folder, 3)  # as if 3 s had passed since its last beat
        returned = me.reclaim_stale()
    assert sorted(returned) == [P(f"000.00.00.H33/D/{n}.pdf") for n in range(3)]
    assert [scan.read_bytes() for scan in scans] == [bytes([n]) for n in range(3)]
    assert not dead.folder.exists()
    assert (alive.folder / "x.pdf").is_file()  # a live worker's claim is left alone
    alive.close()


def test_a_reclaimed_file_never_replaces_a_new_one_of_the_same_name(tmp_path):
    dead = WorkerClaims(tmp_path, "dead", claim_timeout=1)
    dead.start()
    scan = _write(tmp_path / "1.pdf", b"old")
    dead.claim(P("1.pdf"), Signature.of(scan))
    dead._stop.set()
    _write(tmp_path / "1.pdf", b"a new scan")
    _age(dead.folder, 5)
    with WorkerClaims(tmp_path, "me", claim_timeout=1) as me:
        me.reclaim_stale()
    assert (tmp_path / "1.pdf").read_bytes() == b"a new scan"
    assert (tmp_path / "1 (2).pdf").read_bytes() == b"old"


def test_move_without_overwrite(tmp_path):
    source = _write(tmp_path / "in" / "a.pdf", b"1")
    _write(tmp_path / "out" / "a.pdf", b"taken")
    assert move_without_overwrite(source, tmp_path / "out" / "a.pdf") == tmp_path / "out" / "a (2).pdf"
    assert (tmp_path / "out" / "a.pdf").read_bytes() == b"taken" and not source.exists()
    with pytest.raises(FileNotFoundError):  # moving a file that is gone says so
        move_without_overwrite(source, tmp_path / "out" / "b.pdf")


def test_a_name_a_live_worker_uses_is_refused_and_a_dead_ones_is_taken_over(tmp_path):
    live = multiprocessing.get_context("fork").Process(target=time.sleep, args=(30,))
    live.start()
    try:
        folder = tmp_path / PROCESSING / "scanner-1"
        _write(folder / HEARTBEAT, json.dumps({"host": socket.gethostname(), "pid": live.pid}).encode())
        _write(folder / "000.00.00.H33" / "D" / "1.pdf", b"being read by the live worker")
        with pytest.raises(WorkerNameInUse):
            WorkerClaims(tmp_path, "scanner-1", claim_timeout=60).start()
        assert (folder / "000.00.00.H33" / "D" / "1.pdf").is_file()  # left to its worker
    finally:
        live.kill()
        live.join()
    # The same worker dead (a crash, then a restart under the same name): its files come back at once.
    with WorkerClaims(tmp_path, "scanner-1", claim_timeout=60):
        assert (tmp_path / "000.00.00.H33" / "D" / "1.pdf").read_bytes() == b"being read by the live worker"
