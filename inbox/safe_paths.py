"""Moving entries inside one root folder (the inbox) without ever leaving it.

Clerks can write anywhere in a shared inbox, so any folder on the way to a file may be a symbolic link to
somewhere else, put there on purpose, or swapped in between a check and a move. Every move, folder creation and
removal here goes folder by folder from the root through open descriptors (`O_DIRECTORY | O_NOFOLLOW`), and acts
on names inside the last open folder (`dir_fd`): a symbolic link on the way is refused (`UnsafePath`), never
followed, and a link that is itself moved is moved as a link, never read through. The root itself may be a link
(the administrator's choice of where the inbox lives).
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from schemas.failures import SohoaFailure

# Longest name most file systems take (ext4, XFS, NTFS via SMB count 255 bytes or characters).
NAME_MAX = 255


class UnsafePath(SohoaFailure, OSError):
    """Also an OSError, so that code handling a file that cannot be moved handles this one too."""

    code = "unsafe_path"
    vi = (
        "Đường dẫn đi qua một liên kết tượng trưng (symlink) hoặc ra ngoài thư mục gốc; không ghi gì vào đó. "
        "Xoá liên kết, dùng thư mục thật"
    )
    en = (
        "The path goes through a symbolic link or out of its root folder; nothing is written there. "
        "Remove the link and use a real folder"
    )


def relative_parts(root: Path, path: Path | PurePosixPath) -> tuple[str, ...]:
    """The names leading from `root` to `path` (read from the path as written, nothing resolved); UnsafePath if
    `path` is not below `root`."""
    base = os.path.abspath(root)
    full = os.path.abspath(os.path.join(base, path))  # a relative `path` is taken inside the root
    if full == base or os.path.commonpath([base, full]) != base:
        raise UnsafePath()
    return tuple(PurePosixPath(os.path.relpath(full, base)).parts)


def checked_relative(relative: PurePosixPath | str) -> PurePosixPath:
    """A relative path made only of plain names (no root, no `..`, no `.`): what a path read from a file (an
    error.json) must be before anything is written there."""
    relative = PurePosixPath(relative)
    if (
        relative.is_absolute()
        or not relative.parts
        or any(part in ("", ".", "..") for part in relative.parts)
        or "\\" in str(relative)
        or "\x00" in str(relative)
    ):
        raise UnsafePath()
    return relative


@contextmanager
def open_folder(root: Path, parts: tuple[str, ...] | list[str], *, create: bool = False) -> Iterator[int]:
    """A descriptor of the folder `root/parts...`, reached one name at a time without following links; missing
    folders are made when `create`. UnsafePath if one of them is a link or not a folder."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts:
            if part in ("", ".", "..") or "/" in part:
                raise UnsafePath()
            if create:
                try:
                    os.mkdir(part, dir_fd=fd)
                except FileExistsError:
                    pass
            try:
                child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafePath() from None
                raise
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


def exists_in(fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def place_new(source_fd: int, source_name: str, target_fd: int, target_name: str) -> bool:
    """Move the entry `source_name` to `target_name` unless that name is taken (False then). A link, a FIFO, a
    device is moved as itself. FileNotFoundError if the source is gone."""
    try:
        # Fails if the name is taken, atomically; follow_symlinks=False links a symbolic link itself.
        os.link(source_name, target_name, src_dir_fd=source_fd, dst_dir_fd=target_fd, follow_symlinks=False)
    except FileExistsError:
        return False
    except FileNotFoundError:
        raise
    except OSError:  # no hard links on this share (some SMB/FAT), or not allowed here: check, then rename
        if exists_in(target_fd, target_name):
            return False
        os.rename(source_name, target_name, src_dir_fd=source_fd, dst_dir_fd=target_fd)
        return True
    os.unlink(source_name, dir_fd=source_fd)
    return True


def fit_name(name: str, limit: int = NAME_MAX) -> str:
    """`name` if it fits in `limit` bytes; otherwise its start, a short hash of the whole name (two long names
    with the same start stay apart) and its extension, within `limit` bytes."""
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension.encode("utf-8", "surrogateescape")) > 16:
        stem, extension = name, ""
    tail = f"~{hashlib.sha256(encoded).hexdigest()[:8]}" + (f".{extension}" if extension else "")
    room = limit - len(tail.encode("utf-8", "surrogateescape"))
    start = stem.encode("utf-8", "surrogateescape")[: max(room, 1)].decode("utf-8", "ignore")
    return start + tail


def free_names(name: str) -> Iterator[str]:
    """`name`, then `name (2).ext`, `name (3).ext`... each within NAME_MAX bytes."""
    yield name
    path = PurePosixPath(name)
    for number in range(2, 10_000):
        mark = f" ({number}){path.suffix}"
        room = NAME_MAX - len(mark.encode("utf-8", "surrogateescape"))
        stem = path.stem.encode("utf-8", "surrogateescape")[:room].decode("utf-8", "ignore")
        yield f"{stem}{mark}"
    raise FileExistsError(errno.EEXIST, "no free name")


def move_inside(root: Path, source: Path, target: Path) -> Path:
    """Move the entry `source` to `target`, or to `name (2).ext`... when taken, both below `root`: never replaces
    anything, never goes through a link. Returns where it is now; FileNotFoundError if `source` is gone."""
    source_parts, target_parts = relative_parts(root, source), relative_parts(root, target)
    with (
        open_folder(root, source_parts[:-1]) as source_fd,
        open_folder(root, target_parts[:-1], create=True) as target_fd,
    ):
        for name in free_names(target_parts[-1]):
            if place_new(source_fd, source_parts[-1], target_fd, name):
                return Path(target).with_name(name)
    raise AssertionError("unreachable")


def remove_entry(root: Path, path: Path) -> None:
    """Remove the entry `path` below `root` (a link is removed as a link)."""
    parts = relative_parts(root, path)
    with open_folder(root, parts[:-1]) as fd:
        os.unlink(parts[-1], dir_fd=fd)


def remove_empty_folders(start: Path, stop: Path) -> None:
    """Remove `start` and its parents while they are empty, up to (not including) `stop`; never through a link."""
    try:
        parts = relative_parts(stop, start)
    except UnsafePath:  # not below `stop`: nothing of ours
        return
    while parts:
        try:
            with open_folder(stop, parts[:-1]) as fd:
                os.rmdir(parts[-1], dir_fd=fd)
        except OSError:  # not empty (a new file arrived), already gone, or not a real folder
            return
        parts = parts[:-1]


def entries_under(root: Path, *, skip_folder=lambda name: False) -> dict[PurePosixPath, os.stat_result]:
    """Every entry under `root` that is not a folder (files, links, FIFOs, devices), with its own `lstat`, by
    path relative to `root`. Links are never followed, folders named so that `skip_folder(name)` never entered.
    An entry or folder gone (or unreadable) meanwhile is left out."""
    found: dict[PurePosixPath, os.stat_result] = {}
    todo = [(Path(root), PurePosixPath())]
    while todo:
        folder, relative = todo.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if entry.is_dir(follow_symlinks=False):
                if not skip_folder(entry.name):
                    todo.append((Path(entry.path), relative / entry.name))
            else:
                found[relative / entry.name] = info
    return found
