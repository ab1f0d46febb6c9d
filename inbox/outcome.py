"""What becomes of a claimed file once its ingest reported: done, deleted or quarantined; and `retry`.

- `archived` or `duplicate` means the original is in the archive and its checksum was verified: the file moves to
  `INBOX/.done/<date>/<where it lay>` (or is deleted when so configured).
- `quarantined` means the file itself is bad: it moves to `INBOX/.quarantine/<date>/<where it lay>` beside
  `<name>.error.json`, which says why in Vietnamese and English and where the file came from.
- `retry_quarantined` puts a quarantined file back where it came from and removes its error.json.
Dates are local (the clerk's day).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path, PurePosixPath

from inbox.claims import move_without_overwrite, prune_empty_folders
from schemas import DocumentReport
from schemas.failures import SohoaFailure

DONE = ".done"
QUARANTINE = ".quarantine"
ERROR_SUFFIX = ".error.json"

# Failures that say nothing about the file: it was changing (still being written), or the archive could not
# be reached. The file goes back to the inbox to be taken again, not to quarantine.
_NOT_THE_FILES_FAULT = {"source_changed"}

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


@dataclass(frozen=True)
class FailureText:
    """A report's error split back into the named failure's parts."""

    code: str
    vi: str
    en: str
    detail: str
    retryable: bool


def _failure_classes() -> dict[str, type[SohoaFailure]]:
    found, todo = {}, [SohoaFailure]
    while todo:
        cls = todo.pop()
        found.setdefault(cls.code, cls)
        todo.extend(cls.__subclasses__())
    return found


def failure_text(error: str | None) -> FailureText:
    """Read `code: vi / en (detail)` (how `SohoaFailure.__str__` writes it) back into its parts. The failure's
    class, when loaded in this process, gives the exact texts and whether it is worth trying again."""
    error = (error or "").strip()
    code, _, rest = error.partition(": ")
    known = _failure_classes().get(code) if re.fullmatch(r"[a-z0-9_]+", code) else None
    if known is not None and rest.startswith(f"{known.vi} / {known.en}"):
        detail = rest[len(f"{known.vi} / {known.en}"):].strip()
        detail = detail[1:-1] if detail.startswith("(") and detail.endswith(")") else detail
        return FailureText(code, known.vi, known.en, detail, known.retryable or code in _NOT_THE_FILES_FAULT)
    if not rest:  # not a named failure at all
        return FailureText("internal_error", "Lỗi không xác định", "Unknown failure", error, False)
    vi, _, en = rest.partition(" / ")
    detail_match = re.match(r"^(.*?) \((.*)\)$", en)
    en, detail = (detail_match.group(1), detail_match.group(2)) if detail_match else (en, "")
    return FailureText(code, vi, en or vi, detail, code in _NOT_THE_FILES_FAULT)


def error_json_path(quarantined_file: Path) -> Path:
    return quarantined_file.with_name(quarantined_file.name + ERROR_SUFFIX)


def _day_folder(inbox: Path, kind: str, day: date | None) -> Path:
    return inbox / kind / (day or date.today()).isoformat()


def mark_done(inbox: Path, claimed: Path, relative: PurePosixPath, *, delete: bool = False,
              day: date | None = None) -> Path | None:
    """The file is archived: move it under `.done/<date>/` (its path in the inbox kept), or delete it."""
    if delete:
        claimed.unlink()
        return None
    return move_without_overwrite(claimed, _day_folder(inbox, DONE, day) / relative)


def quarantine(inbox: Path, claimed: Path, relative: PurePosixPath, report: DocumentReport, *,
               agency: str | None = None, worker: str = "", day: date | None = None) -> Path:
    """Move a bad file to `.quarantine/<date>/` and write its `<name>.error.json` beside it; returns the file."""
    target = move_without_overwrite(claimed, _day_folder(inbox, QUARANTINE, day) / relative)
    failure = failure_text(report.error)
    about = {
        "file": target.name,
        "from": relative.as_posix(),  # where `sohoa retry` puts it back, inside the inbox
        "dossier": report.dossier,
        "agency": agency,
        "code": failure.code,
        "vi": failure.vi,
        "en": failure.en,
        "detail": failure.detail,
        "error": report.error,
        "sha256": report.sha256,
        "quarantined_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "worker": worker,
        "what_to_do": WHAT_TO_DO,
    }
    # Written whole under a hidden name, then renamed: a reader never sees half a file.
    error_path = error_json_path(target)
    partial = error_path.with_name(f".{error_path.name}.tmp")
    partial.write_text(json.dumps(about, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, error_path)
    return target


def _quarantine_root(path: Path) -> tuple[Path, Path]:
    """(inbox, the `.quarantine/<date>` folder) that `path` lies in."""
    resolved = path.resolve()
    for parent in resolved.parents:
        if parent.parent.name == QUARANTINE:
            return parent.parent.parent, parent
    raise NotQuarantined(path.name)


def quarantined_files(path: Path) -> list[Path]:
    """The quarantined files `path` names: itself, the file of an error.json, or every file under a folder."""
    path = Path(path)
    if path.is_dir():
        return sorted(
            found for found in path.rglob("*")
            if found.is_file() and not found.name.endswith(ERROR_SUFFIX) and not found.name.startswith(".")
        )
    if path.name.endswith(ERROR_SUFFIX):
        return [path.with_name(path.name[: -len(ERROR_SUFFIX)])]
    return [path]


def retry_quarantined(path: Path) -> Path:
    """Put one quarantined file back where it came from in the inbox and remove its error.json; returns where it
    is now. The watcher then takes it like any new file."""
    path = Path(path)
    inbox, day_folder = _quarantine_root(path)
    error_path = error_json_path(path)
    relative = PurePosixPath(path.resolve().relative_to(day_folder).as_posix())
    if error_path.is_file():
        try:
            relative = PurePosixPath(json.loads(error_path.read_text(encoding="utf-8"))["from"])
        except (ValueError, KeyError, TypeError):  # damaged error.json: where it lies tells the same
            pass
    if ".." in relative.parts or relative.is_absolute():
        raise NotQuarantined(path.name)
    target = inbox / relative
    if not path.is_file():
        raise NotQuarantined(path.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(path, target)  # fails if the name is taken, atomically: a file dropped again is never replaced
    except FileExistsError:
        raise RetryTargetTaken(relative.as_posix()) from None
    except OSError:  # no hard links on this share: check, then rename
        if target.exists():
            raise RetryTargetTaken(relative.as_posix()) from None
        os.rename(path, target)
    else:
        os.unlink(path)
    error_path.unlink(missing_ok=True)
    prune_empty_folders(path.parent, inbox / QUARANTINE)
    return target
