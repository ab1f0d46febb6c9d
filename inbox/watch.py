"""The inbox service: notice new files, wait until they are complete, claim them, ingest each dossier, settle.

Change events (the `watchfiles` package) only wake the loop early: what is in the inbox is always read from a
scan, and the inbox is scanned again every `rescan_seconds` anyway, because a network share (SMB/NFS) delivers
no events for files written by other machines. The files of one dossier are claimed and ingested together, in
name order, so their ordinals follow that order. The ingest function is given (flows.dispatch.run_ingest in
production): this package never imports `flows`.

Only regular files are ever opened or given to the ingest. A link, FIFO, socket or device in the inbox is claimed
and quarantined as itself (`not_a_regular_file`) without being opened, so nothing outside the inbox is read and
nothing blocks; a file whose dossier code names another agency than its folder is quarantined (`agency_mismatch`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from inbox.claims import (
    EMPTY_FILE_FACTOR,
    PROCESSING,
    Claim,
    ClaimRefused,
    Signature,
    StabilityTracker,
    WorkerClaims,
    default_worker_name,
    prune_empty_folders,
    scan_entries,
)
from inbox.convention import dossier_code_prefix, generated_dossier_id, in_ignored_folder, place
from inbox.outcome import QUARANTINE, mark_done, quarantine, report_failure
from inbox.safe_paths import open_folder
from schemas import DocumentReport, DocumentStatus
from schemas.checksums import NotARegularFile, sha256_of_regular_file
from schemas.failures import SohoaFailure

log = logging.getLogger("sohoa.inbox")


class IngestFunction(Protocol):
    def __call__(self, paths: list[str], *, dossier: str | None, agency: str | None) -> list[DocumentReport]: ...


@dataclass
class WatchOptions:
    stable_seconds: float = 10.0
    rescan_seconds: float = 60.0
    claim_timeout_seconds: float = 600.0
    done_action: str = "move"  # or "delete"
    worker_name: str = ""  # default <host>-<pid>

    @classmethod
    def from_settings(cls, settings) -> WatchOptions:
        return cls(
            stable_seconds=settings.stable_seconds,
            rescan_seconds=settings.rescan_seconds,
            claim_timeout_seconds=settings.claim_timeout_seconds,
            done_action=settings.done_action,
            worker_name=settings.worker_name,
        )


@dataclass
class Group:
    """Files ingested together: one dossier's, or a single file that becomes a dossier of its own."""

    key: tuple[str, ...]
    agency: str | None
    dossier: str | None  # None: generated from the first file's bytes once claimed
    files: list[PurePosixPath] = field(default_factory=list)  # in name order
    waiting: bool = False  # a file of it (or a .part still growing) is not stable yet
    refusal: type[SohoaFailure] | None = None  # set: never ingested, each file quarantined with this failure


@dataclass
class SweepSummary:
    dossiers: int = 0
    archived: int = 0
    duplicate: int = 0
    quarantined: int = 0
    released: int = 0  # back in the inbox to be taken again: changed, archive unreachable, or stopping
    errors: int = 0  # of those, files the archive failed (not their fault): a scheduled run should say so

    def add(self, other: SweepSummary) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_json(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        line = (
            f"{self.dossiers} hồ sơ: {self.archived} tệp đã lưu, {self.duplicate} trùng, {self.quarantined} "
            f"cách ly, {self.released} trả lại hộp thư đến"
        )
        return line + (f" ({self.errors} do lỗi kho lưu trữ)" if self.errors else "")


def group_files(
    files: dict[PurePosixPath, Signature] | list[PurePosixPath], is_stable: Callable[[PurePosixPath], bool]
) -> list[Group]:
    """Group inbox files by dossier. A group waits while any of its files, ignored ones included (a `.part` still
    growing), is not stable. Groups with nothing to take (only ignored files) are left out. An entry that is not a
    regular file (signature `regular=False`) is a refused group of its own, never waiting: it will not change into
    a document by waiting, and must not hold its dossier back."""
    groups: dict[tuple[str, ...], Group] = {}
    for relative in sorted(files):
        placement = place(relative)
        if isinstance(files, dict) and not files[relative].regular:
            if not placement.ignored:  # an ignored name is never taken, whatever it is
                key = ("not_regular", *relative.parts)
                groups[key] = Group(key, placement.agency, placement.dossier, [relative], refusal=NotARegularFile)
            continue
        group = groups.setdefault(
            placement.group, Group(placement.group, placement.agency, placement.dossier, refusal=placement.refusal)
        )
        group.waiting = group.waiting or not is_stable(relative)
        if not placement.ignored:
            group.files.append(relative)
    return [group for group in groups.values() if group.files]


class InboxWorker:
    """One worker on one inbox. `with InboxWorker(...) as worker:` then `worker.sweep()` (one pass) or
    `worker.serve()` (until `request_stop()`); leaving the block gives back anything still claimed."""

    def __init__(
        self,
        inbox: Path,
        ingest: IngestFunction,
        options: WatchOptions | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.inbox = Path(inbox)
        self.ingest = ingest
        self.options = options or WatchOptions()
        self.claims = WorkerClaims(
            self.inbox, self.options.worker_name or default_worker_name(), self.options.claim_timeout_seconds
        )
        self.tracker = StabilityTracker(self.options.stable_seconds, clock)
        self._clock = clock
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._paused_until = 0.0

    def __enter__(self) -> InboxWorker:
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.claims.start()
        return self

    def __exit__(self, *exc) -> None:
        self.claims.close()

    @property
    def worker(self) -> str:
        return self.claims.worker

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def request_stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def abandon(self) -> None:
        """Give back every claimed file now, the dossier under way included (the process is about to end)."""
        self._stopping.set()
        self.claims.close()

    # ------------------------------------------------------------ what is ready

    def scan(self) -> tuple[list[Group], list[Group]]:
        """Scan the inbox: (groups complete and ready to take, groups still waiting for a file to settle)."""
        files = scan_entries(self.inbox)
        self.tracker.observe(files)
        groups = group_files(files, self.tracker.is_stable)
        return [group for group in groups if not group.waiting], [group for group in groups if group.waiting]

    def _claim_group(self, group: Group) -> list[Claim]:
        claims: list[Claim] = []
        for relative in group.files:
            expected = self.tracker.signature(relative)
            result = self.claims.claim(relative, expected) if expected else ClaimRefused.gone
            if isinstance(result, Claim):
                claims.append(result)
                continue
            if result is ClaimRefused.gone:
                # Another worker is taking this dossier (claims go in name order, so it has the rest too); a
                # file that was taken or removed after our scan is not ours to wait for either.
                if not claims:
                    return []
                continue
            # Changed, or refused by the file system: the dossier is not complete. Give back what we took and
            # watch it again for a full stability window.
            for claim in claims:
                self.claims.release(claim)
            for path in group.files:
                self.tracker.restart(path)
            return []
        return claims

    # ------------------------------------------------------------ one dossier

    def process(self, group: Group) -> SweepSummary:
        """Claim a ready group, ingest it as one dossier, settle each file. Never raises for a bad file."""
        summary = SweepSummary()
        claims = self._claim_group(group)
        if not claims:
            return summary
        settled: set[Path] = set()
        try:
            if group.refusal is not None:
                for claim in claims:
                    self._refuse(claim, group, summary)
                    settled.add(claim.path)
                    self.claims.settled(claim)
                self._tidy(claims)
                return summary
            try:
                dossier = group.dossier or generated_dossier_id(self._sha256_of_claim(claims[0]))
            except OSError as error:  # swapped for a link or a FIFO since it was claimed, or gone: not read
                log.warning(
                    "Một tệp không đọc được khi nhận (%s); trả lại hộp thư đến để xét lại",
                    getattr(error, "code", type(error).__name__),
                )
                return summary
            summary.dossiers = 1
            started = self._clock()
            log.info("Nhận hồ sơ %s (cơ quan %s): %d tệp", dossier, group.agency or "mặc định", len(claims))
            try:
                reports = self.ingest([str(claim.path) for claim in claims], dossier=dossier, agency=group.agency)
            except Exception as error:  # the archive or the catalog is unreachable, or a bug: no file's fault
                # A named failure says what it is; anything else is named by its type only (its text may hold
                # SQL or paths); SOHOA_DEBUG=1 shows the rest.
                reason = (
                    f"{error.code}: {error.vi} / {error.en}"
                    if isinstance(error, SohoaFailure)
                    else f"internal_error: {type(error).__name__}"
                )
                log.error("Hồ sơ %s chưa xử lý được (%s); các tệp được trả lại hộp thư đến để thử lại", dossier, reason)
                log.debug("ingest failed", exc_info=True)
                summary.errors = len(claims)
                self._pause()
                return summary
            if len(reports) != len(claims):
                log.error(
                    "Hồ sơ %s: %d báo cáo cho %d tệp; tệp không có báo cáo được trả lại hộp thư đến",
                    dossier,
                    len(reports),
                    len(claims),
                )
            for ordinal, (claim, report) in enumerate(zip(claims, reports), start=1):
                self._settle(claim, report, ordinal, len(claims), dossier, group.agency, summary)
                settled.add(claim.path)
                self.claims.settled(claim)
            self._tidy(claims)
            log.info(
                "Xong hồ sơ %s: %d đã lưu, %d trùng, %d cách ly, %d trả lại; %.1f s",
                dossier,
                summary.archived,
                summary.duplicate,
                summary.quarantined,
                summary.released,
                self._clock() - started,
            )
        finally:
            for claim in claims:
                if claim.path not in settled and self.claims.release(claim) is not None:
                    summary.released += 1
        return summary

    def _sha256_of_claim(self, claim: Claim) -> str:
        """The claimed file's SHA-256, opened through our own folders without following any link, and only if it
        is a regular file (NotARegularFile otherwise)."""
        parts = (PROCESSING, self.worker, *claim.relative.parts)
        with open_folder(self.inbox, parts[:-1]) as folder:
            return sha256_of_regular_file(parts[-1], dir_fd=folder)

    def _refuse(self, claim: Claim, group: Group, summary: SweepSummary) -> None:
        """Quarantine a claimed entry that is taken into no dossier (not a regular file, another agency's code);
        it is moved as itself and never opened."""
        assert group.refusal is not None  # only refused groups come here
        failure = group.refusal()
        where = f"Hồ sơ {group.dossier}" if group.dossier else "Một mục trong hộp thư đến"
        report = DocumentReport(
            id=None,
            dossier=group.dossier,
            source=claim.relative.name,
            status=DocumentStatus.quarantined,
            failure=failure.as_data(),
        )
        try:
            quarantine(self.inbox, claim.path, claim.relative, report, agency=group.agency, worker=self.worker)
        except OSError as error:
            self._not_moved(claim, where, error, summary)
            return
        summary.quarantined += 1
        log.warning(
            "%s (cơ quan %s): bị cách ly, không xử lý — %s: %s / %s (xem %s/)",
            where,
            group.agency or "mặc định",
            failure.code,
            failure.vi,
            failure.en,
            QUARANTINE,
        )

    def _not_moved(self, claim: Claim, where: str, error: OSError, summary: SweepSummary) -> None:
        """A claimed file could not be moved on: back to the inbox with it if it is still ours, and say honestly
        where it is."""
        reason = getattr(error, "code", None) or type(error).__name__
        if self.claims.release(claim) is not None:
            summary.released += 1
            log.error("%s: không chuyển được tệp sau khi xử lý (%s); đã trả lại hộp thư đến", where, reason)
        else:
            log.error(
                "%s: không chuyển được tệp sau khi xử lý (%s); tệp không còn trong %s/%s (đã được tiến trình "
                "khác nhận, hoặc xem %s/)",
                where,
                reason,
                PROCESSING,
                self.worker,
                QUARANTINE,
            )

    def _settle(
        self,
        claim: Claim,
        report: DocumentReport,
        ordinal: int,
        count: int,
        dossier: str,
        agency: str | None,
        summary: SweepSummary,
    ) -> None:
        where = f"Hồ sơ {dossier}, tệp {ordinal}/{count}"
        try:
            if report.status in (DocumentStatus.archived, DocumentStatus.duplicate):
                mark_done(self.inbox, claim.path, claim.relative, delete=self.options.done_action == "delete")
                if report.status is DocumentStatus.archived:
                    summary.archived += 1
                    log.info("%s: đã lưu (%s, %d trang)", where, report.doc_type.value, report.pages)
                else:
                    summary.duplicate += 1
                    log.info("%s: đã có trong kho (trùng), không lưu lại", where)
                return
            failure = report_failure(report)
            if failure.retryable or self.stopping:
                # Not the file's fault (still being written, archive unreachable), or it failed while we were
                # being stopped (a Ctrl-C reaches the OCR processes too): take it again later, do not quarantine.
                self.claims.release(claim)
                summary.released += 1
                log.warning(
                    "%s: chưa lưu được (%s: %s), trả lại hộp thư đến để thử lại", where, failure.code, failure.vi
                )
                if failure.retryable and failure.code != "source_changed":
                    summary.errors += 1
                    self._pause()
                return
            quarantine(self.inbox, claim.path, claim.relative, report, agency=agency, worker=self.worker)
            summary.quarantined += 1
            log.warning(
                "%s: bị cách ly — %s: %s / %s (xem %s/, tệp .error.json bên cạnh)",
                where,
                failure.code,
                failure.vi,
                failure.en,
                QUARANTINE,
            )
        except OSError as error:
            # Cannot move it on (the share went away, or our claim was taken over while we looked dead): back to
            # the inbox with it if it is still ours; taken again, it is found in the archive as a duplicate.
            self._not_moved(claim, where, error, summary)

    def _tidy(self, claims: list[Claim]) -> None:
        """Remove a dossier folder the watcher emptied (never an agency folder: those are set up for clerks)."""
        for claim in claims:
            parts = claim.relative.parts
            if len(parts) >= 3:
                prune_empty_folders(self.inbox / claim.relative.parent, self.inbox / parts[0])
            elif len(parts) == 2 and dossier_code_prefix(parts[0]) == parts[0].upper():  # one at the inbox root
                prune_empty_folders(self.inbox / parts[0], self.inbox)

    def _pause(self) -> None:
        """The archive failed us: let it recover before the next dossier costs OCR time for nothing."""
        self._paused_until = self._clock() + self.options.rescan_seconds

    # ------------------------------------------------------------ loops

    def sweep(self) -> SweepSummary:
        """One pass (`sohoa watch --once`, the scheduled flows): take every dossier that is complete, waiting at
        most one stability window (three for an empty file) for files still settling; leave the rest."""
        summary = SweepSummary()
        self.claims.reclaim_stale()
        patience_ends = self._clock() + self.options.stable_seconds * EMPTY_FILE_FACTOR
        tried: set[tuple[str, ...]] = set()
        while not self.stopping:
            ready, waiting = self.scan()
            fresh = [group for group in ready if group.key not in tried]
            for group in fresh:
                if self.stopping:
                    break
                tried.add(group.key)
                summary.add(self.process(group))
                if self._clock() < self._paused_until:  # the archive is unreachable: the next sweep will do
                    return summary
            if fresh:
                continue  # files that settled while those were ingested are ready now
            if not [group for group in waiting if group.key not in tried] or self._clock() >= patience_ends:
                return summary
            due = self.tracker.next_due() or 0.0
            self._wake.wait(max(0.01, min(due, patience_ends - self._clock())))
        return summary

    def serve(self) -> SweepSummary:
        """Run until `request_stop()`: a dossier under way is finished first; nothing stays claimed."""
        summary = SweepSummary()
        events = threading.Thread(target=self._watch_events, name="sohoa-inbox-events", daemon=True)
        events.start()
        log.info(
            "Đang theo dõi hộp thư đến %s (tiến trình %s; tệp ổn định sau %g s, quét lại mỗi %g s)",
            self.inbox,
            self.worker,
            self.options.stable_seconds,
            self.options.rescan_seconds,
        )
        next_rescan = 0.0
        while not self.stopping:
            if self._clock() >= next_rescan:
                self.claims.reclaim_stale()
                next_rescan = self._clock() + self.options.rescan_seconds
            self._wake.clear()
            ready, _ = self.scan()
            worked = False
            for group in ready:
                if self.stopping or self._clock() < self._paused_until:
                    break
                done = self.process(group)
                summary.add(done)
                worked = worked or done.dossiers > 0
            if worked:
                continue  # files may have arrived meanwhile: look again at once
            timeout = next_rescan - self._clock()
            if (due := self.tracker.next_due()) is not None:
                timeout = min(timeout, due)
            if ready and self._clock() < self._paused_until:
                timeout = min(timeout, self._paused_until - self._clock())
            self._wake.wait(max(0.01, timeout))
        log.info("Đã dừng theo dõi hộp thư đến: %s", summary.line())
        return summary

    def _relevant(self, _change, path: str) -> bool:
        try:
            relative = PurePosixPath(Path(path).relative_to(self.inbox).as_posix())
        except ValueError:
            return False
        return not in_ignored_folder(relative)

    def _watch_events(self) -> None:
        try:
            from watchfiles import watch

            for changes in watch(
                self.inbox,
                watch_filter=self._relevant,
                stop_event=self._stopping,
                debounce=400,
                step=50,
                rust_timeout=1000,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                if changes:
                    self._wake.set()
        except Exception as error:  # no inotify (limits, some shares): the rescans still find every file
            log.warning(
                "Không nhận được sự kiện thay đổi tệp (%s); chỉ quét lại mỗi %g s",
                type(error).__name__,
                self.options.rescan_seconds,
            )
