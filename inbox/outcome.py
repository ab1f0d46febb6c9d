"""What becomes of a claimed file once its ingest reported: done, deleted or quarantined; and `retry`.

- `archived` or `duplicate` means the original is in the archive and its checksum was verified: the file moves to
  `INBOX/.done/<date>/<where it lay>` (or is deleted when so configured).
- `quarantined` means the file itself is bad: it moves to `INBOX/.quarantine/<date>/<where it lay>` beside
  `<name>.error.json`, which says why in Vietnamese and English and where the file came from. A name too long to
  take `.error.json` after it is shortened (its start, a short hash, its extension); error.json keeps the name.
- `retry_quarantined` puts a quarantined file back where it came from and removes its error.json. Where that is
  comes from error.json, which anyone who can write to the inbox can edit: it must be a plain path inside the
  inbox, outside its own folders, and no folder on the way may be a link (`UnsafePath`).
Dates are local (the clerk's day).
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

from inbox.claims import move_without_overwrite, prune_empty_folders
from inbox.convention import in_ignored_folder
from inbox.safe_paths import (
    NAME_MAX,
    UnsafePath,
    checked_relative,
    entries_under,
    fit_name,
    open_folder,
    place_new,
    relative_parts,
    remove_entry,
)
from schemas import DocumentReport
from schemas.checksums import NotARegularFile, open_regular_file
from schemas.failures import Failure, InternalError, SohoaFailure

DONE = ".done"
QUARANTINE = ".quarantine"
ERROR_SUFFIX = ".error.json"
# Room a quarantined name leaves for what goes after it: `.<name>.error.json.tmp` while error.json is written,
# ` (9999)` when the name is taken.
_QUARANTINE_NAME_MAX = NAME_MAX - len(f".{ERROR_SUFFIX}.tmp") - len(" (9999)")


WHAT_TO_DO = {
    "vi": "Sửa hoặc thay tệp này (giữ nguyên tên) rồi chạy: sohoa retry <đường dẫn tệp>; "
    "hoặc xoá tệp nếu không cần lưu.",
    "en": "Fix or replace this file (same name), then run: sohoa retry <path to the file>; "
    "or delete it if it need not be archived.",
}


class NotQuarantined(SohoaFailure):
    code = "not_quarantined"
    vi = "Tệp không nằm trong thư mục cách ly (.quarantine) của hộp thư đến"
    en = "The file is not in an inbox quarantine folder (.quarantine)"


class RetryTargetTaken(SohoaFailure):
    code = "retry_target_taken"
    vi = "Trong hộp thư đến đã có tệp cùng tên ở chỗ cũ; đổi tên hoặc chuyển tệp đó đi rồi thử lại"
    en = "A file of the same name is already back in the inbox; rename or move it, then retry"


def report_failure(report: DocumentReport) -> Failure:
    """The failure a report carries, as data (a quarantined report always has one)."""
    return report.failure or InternalError("report without a failure").as_data()


def error_json_path(quarantined_file: Path) -> Path:
    return quarantined_file.with_name(quarantined_file.name + ERROR_SUFFIX)


def _day_folder(inbox: Path, kind: str, day: date | None) -> Path:
    return inbox / kind / (day or date.today()).isoformat()


def mark_done(
    inbox: Path, claimed: Path, relative: PurePosixPath, *, delete: bool = False, day: date | None = None
) -> Path | None:
    """The file is archived: move it under `.done/<date>/` (its path in the inbox kept), or delete it."""
    if delete:
        remove_entry(inbox, claimed)
        return None
    return move_without_overwrite(claimed, _day_folder(inbox, DONE, day) / relative, root=inbox)


def quarantine(
    inbox: Path,
    claimed: Path,
    relative: PurePosixPath,
    report: DocumentReport,
    *,
    agency: str | None = None,
    worker: str = "",
    day: date | None = None,
) -> Path:
    """Move a bad file to `.quarantine/<date>/` and write its `<name>.error.json` beside it; returns the file.
    If error.json cannot be written, the file goes back where it was claimed (the caller gives it back to the
    inbox): a quarantined file never lies there without its reason."""
    wanted = _day_folder(inbox, QUARANTINE, day) / relative.parent / fit_name(relative.name, _QUARANTINE_NAME_MAX)
    target = move_without_overwrite(claimed, wanted, root=inbox)
    try:
        _write_error_json(inbox, target, relative, report, agency, worker)
    except BaseException:
        move_without_overwrite(target, claimed, root=inbox)
        raise
    return target


def _write_error_json(
    inbox: Path, target: Path, relative: PurePosixPath, report: DocumentReport, agency: str | None, worker: str
) -> None:
    failure = report_failure(report)
    about = {
        "file": target.name,
        "name": relative.name,  # the name it had (the quarantined one may be shortened)
        "from": relative.as_posix(),  # where `sohoa retry` puts it back, inside the inbox
        "dossier": report.dossier,
        "agency": agency,
        "code": failure.code,
        "vi": failure.vi,
        "en": failure.en,
        "detail": failure.detail,
        "retryable": failure.retryable,
        "error": report.error,
        "sha256": report.sha256,
        "quarantined_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "worker": worker,
        "what_to_do": WHAT_TO_DO,
    }
    # Written whole under a hidden name, then renamed: a reader never sees half a file. Through the folder's
    # descriptor, never following a link a clerk may have put under either name.
    name = error_json_path(target).name
    partial = f".{name}.tmp"
    with open_folder(inbox, relative_parts(inbox, target)[:-1]) as folder:
        try:
            os.unlink(partial, dir_fd=folder)
        except FileNotFoundError:
            pass
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(json.dumps(about, ensure_ascii=False, indent=2) + "\n")
        os.replace(partial, name, src_dir_fd=folder, dst_dir_fd=folder)


def _quarantine_root(path: Path) -> tuple[Path, Path]:
    """(inbox, the `.quarantine/<date>` folder) that `path` lies in."""
    resolved = _resolved_folders(path)
    for parent in resolved.parents:
        if parent.parent.name == QUARANTINE:
            return parent.parent.parent, parent
    raise NotQuarantined(path.name)


def quarantined_files(path: Path) -> list[Path]:
    """The quarantined files `path` names: itself, the file of an error.json, or every file under a folder."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        # Every entry, links and the like too (never followed): retry then says what each one is.
        return sorted(
            path / found
            for found in entries_under(path)
            if not found.name.endswith(ERROR_SUFFIX) and not found.name.startswith(".")
        )
    if path.name.endswith(ERROR_SUFFIX):
        return [path.with_name(path.name[: -len(ERROR_SUFFIX)])]
    return [path]


def retry_quarantined(path: Path) -> Path:
    """Put one quarantined file back where it came from in the inbox and remove its error.json; returns where it
    is now. The watcher then takes it like any new file."""
    path = _resolved_folders(Path(path))
    inbox, day_folder = _quarantine_root(path)
    error_path = error_json_path(path)
    relative = PurePosixPath(path.relative_to(day_folder).as_posix())
    try:
        with open_regular_file(error_path) as stream:
            relative = PurePosixPath(json.loads(stream.read(1 << 20).decode("utf-8"))["from"])
    except (OSError, ValueError, KeyError, TypeError):  # missing or damaged error.json: where it lies tells
        pass
    # Only a plain path into the inbox itself (not into .processing, .done, .quarantine or any hidden folder).
    relative = checked_relative(relative)
    if in_ignored_folder(relative):
        raise UnsafePath()
    try:
        kind = os.lstat(path).st_mode
    except FileNotFoundError:
        raise NotQuarantined(path.name) from None
    if not stat.S_ISREG(kind):  # a link, a FIFO...: it stays where it is; the clerk puts the real file there
        raise NotARegularFile()
    source = relative_parts(inbox, path)
    with (
        open_folder(inbox, source[:-1]) as from_folder,
        open_folder(inbox, relative.parts[:-1], create=True) as to_folder,
    ):
        # Never replaces a file dropped again under that name.
        if not place_new(from_folder, source[-1], to_folder, relative.name):
            raise RetryTargetTaken()
        try:
            os.unlink(error_path.name, dir_fd=from_folder)
        except FileNotFoundError:
            pass
    prune_empty_folders(path.parent, inbox / QUARANTINE)
    return inbox / relative


def _resolved_folders(path: Path) -> Path:
    """`path` with its folders resolved (the clerk may name it through any link) but not its last name: a
    quarantined link is the link itself, not what it points to."""
    return Path(path).absolute().parent.resolve() / Path(path).name


def quarantined_reasons(inbox: Path) -> list[dict]:
    """What each error.json under `.quarantine/` says of its file (agency, failure code and Vietnamese reason, when):
    the quarantine backlog the statistics page counts. An unreadable error.json is counted with code `unreadable`."""
    root = Path(inbox) / QUARANTINE
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob(f"*{ERROR_SUFFIX}")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            about = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            about = {"code": "unreadable"}
        if not isinstance(about, dict):
            about = {"code": "unreadable"}
        found.append({name: about.get(name) for name in ("agency", "code", "vi", "quarantined_at")})
    return found
