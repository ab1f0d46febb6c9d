"""The SHA-256 of a file, read in blocks: what every layer checks a document by (triage, the inbox, the catalog).

`open_regular_file` opens without following a symbolic link and without blocking (a FIFO would wait for a writer
for ever, `/dev/zero` never ends), then checks what was opened (`fstat` on the descriptor, not the path, which can
change in between): only a regular file is read. The inbox reads what clerks drop through it.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

from schemas.failures import SohoaFailure

_BLOCK = 1 << 20


class NotARegularFile(SohoaFailure, OSError):
    """Also an OSError, so that code handling a file that cannot be moved or read handles this one too."""

    code = "not_a_regular_file"
    vi = (
        "Không phải tệp thường (liên kết tượng trưng, FIFO, socket hoặc thiết bị); không đọc, không lưu. "
        "Hãy chép chính tệp tài liệu vào hộp thư đến"
    )
    en = (
        "Not a regular file (a symbolic link, FIFO, socket or device); it is neither read nor archived. "
        "Copy the document file itself into the inbox"
    )


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def open_regular_file(path: Path | str, *, dir_fd: int | None = None) -> BinaryIO:
    """`path` opened for reading if it is a regular file; NotARegularFile if it is a symbolic link (never
    followed), a FIFO, a socket or a device. With `dir_fd`, `path` is a name inside that open folder."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError as error:
        if error.errno == errno.ELOOP:  # the last component is a symbolic link
            raise NotARegularFile() from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotARegularFile()
        # A regular file never blocks; clear the flag so reads behave as usual.
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sha256_of_regular_file(path: Path | str, *, dir_fd: int | None = None) -> str:
    """Like `sha256_of_file`, for a regular file only (see `open_regular_file`)."""
    digest = hashlib.sha256()
    with open_regular_file(path, dir_fd=dir_fd) as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()
