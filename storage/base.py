"""What every object store does, written once: key rules, checksums while streaming, checking what was written.

Backends implement five primitives (_write, _open, _stat, _list, _delete); everything a caller sees goes through
`ObjectStore`, so the rules cannot drift between the folder and the S3 backend.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO, NamedTuple
from urllib.parse import quote, unquote

from schemas.failures import SohoaFailure
from schemas.models import ObjectLock, StoredObject

CHUNK_SIZE = 1024 * 1024  # read/write granularity: large enough to be fast, small enough to never matter in memory
MAX_KEY_BYTES = 1024  # the S3 limit, applied to every backend so a key valid in one is valid in all
MAX_SEGMENT_BYTES = 250  # a file name holds 255 bytes; the folder sidecar adds ".json"
MAX_METADATA_BYTES = 2048  # the S3 limit for user metadata (keys + values as sent)
SHA256_METADATA_KEY = "sha256"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# A write's temporary object untouched for this long belongs to a run that was killed: no write of the archive
# stalls for an hour between two chunks, so removing it cannot pull a file from under a running ingest.
LEFTOVER_AGE_SECONDS = 3600.0

_METADATA_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,127}")
_CONTENT_TYPE = re.compile(r"[\x21-\x7e][\x20-\x7e]*")
# Printable ASCII except '%' (the escape itself) and space (servers trim it at the ends of header values).
_METADATA_SAFE_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")


class StorageError(SohoaFailure):
    """The store failed to do what was asked."""

    code = "storage_failed"
    vi = "Không lưu được vào kho lưu trữ"
    en = "Could not store the document in the archive"
    retryable = True


class ObjectNotFound(StorageError):
    """No object under that key."""

    code = "object_not_found"
    vi = "Không tìm thấy đối tượng trong kho lưu trữ"
    en = "No such object in the archive store"
    retryable = False


class StorageUnavailable(StorageError):
    """The store cannot be reached right now; the same call may succeed later."""

    code = "storage_unavailable"
    vi = "Không kết nối được kho lưu trữ"
    en = "The archive store cannot be reached"


class ChecksumMismatch(StorageError):
    """Stored bytes do not hash to what was written."""

    code = "checksum_mismatch"
    vi = "Bản lưu không khớp mã kiểm tra (SHA-256)"
    en = "The stored copy does not match its SHA-256 checksum"


class SourceChanged(ChecksumMismatch):
    """The source file changed (size or content) while it was being stored; nothing was committed under the key."""

    code = "source_changed"
    vi = "Tệp gốc đã thay đổi trong khi xử lý"
    en = "The original file changed while it was being processed"
    retryable = False  # storing it again now would read the changed file: not in this run
    retry_later = True  # still being written: take it again once it is stable


class RetentionLocked(StorageError):
    """The object is under retention (or a legal hold): it cannot be deleted or replaced by other bytes."""

    code = "retention_locked"
    vi = "Bản gốc đang trong thời hạn bảo quản, không được xoá hoặc ghi đè"
    en = "The original is under retention and cannot be deleted or replaced"
    retryable = False


class LockUnavailable(StorageError):
    """Retention was asked for but the store cannot enforce it (an S3 bucket made without Object Lock)."""

    code = "lock_unavailable"
    vi = "Kho lưu trữ không hỗ trợ khoá thời hạn bảo quản (bucket tạo không có Object Lock)"
    en = "The store cannot enforce retention (the bucket was created without Object Lock)"
    retryable = False


class _SourceReadFailed(Exception):
    """Carries an OSError from the *local* source past backends that would take it for a network failure."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.error = error


def check_key(key: str) -> str:
    """Return `key` if it is a safe forward-slash path, else raise ValueError saying why."""
    if not isinstance(key, str) or not key:
        raise ValueError("object key must be a non-empty string")
    _check_path_chars(key, "object key")
    if key.startswith("/"):
        raise ValueError(f"object key must be relative, not start with '/': {key!r}")
    if key.endswith("/"):
        raise ValueError(f"object key must name an object, not end with '/': {key!r}")
    for segment in key.split("/"):
        _check_segment(segment, key)
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix follows the key rules, except that it may be empty or end with '/' or mid-segment."""
    if not isinstance(prefix, str):
        raise ValueError("prefix must be a string")
    if not prefix:
        return prefix
    _check_path_chars(prefix, "prefix")
    if prefix.startswith("/"):
        raise ValueError(f"prefix must be relative, not start with '/': {prefix!r}")
    segments = prefix.split("/")
    if segments[-1] == "":
        segments.pop()  # "a/b/" lists under the folder a/b
    for segment in segments:
        _check_segment(segment, prefix)
    return prefix


def _check_path_chars(value: str, what: str) -> None:
    if "\\" in value:
        raise ValueError(f"{what} must use '/', not backslashes: {value!r}")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise ValueError(f"{what} must not contain NUL or control characters: {value!r}")
    if len(value.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValueError(f"{what} is longer than {MAX_KEY_BYTES} bytes")


def _check_segment(segment: str, key: str) -> None:
    if segment == "":
        raise ValueError(f"object key has an empty segment ('//'): {key!r}")
    if segment in (".", ".."):
        raise ValueError(f"object key must not contain '.' or '..' segments: {key!r}")
    if segment.startswith("."):
        # Hidden names are the folder store's own (.meta, temp files); refusing them everywhere keeps backends alike.
        raise ValueError(f"object key segments must not start with '.': {key!r}")
    if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
        raise ValueError(f"object key segment longer than {MAX_SEGMENT_BYTES} bytes: {segment[:40]!r}...")


def check_content_type(content_type: str) -> str:
    if not isinstance(content_type, str) or not _CONTENT_TYPE.fullmatch(content_type):
        raise ValueError(f"content type must be printable ASCII: {content_type!r}")
    return content_type


def check_metadata(metadata: dict[str, str] | None) -> dict[str, str]:
    """Caller metadata: lowercase ASCII keys (S3 lowercases them anyway), any str values, within the S3 size limit."""
    checked: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not _METADATA_KEY.fullmatch(key):
            raise ValueError(
                f"metadata key {key!r} must be lowercase letters, digits and '-' (it travels as an HTTP header name)"
            )
        if key == SHA256_METADATA_KEY:
            raise ValueError(f"metadata key {key!r} is reserved: the store computes it")
        if not isinstance(value, str):
            raise ValueError(f"metadata value for {key!r} must be a str, not {type(value).__name__}")
        checked[key] = value
    wire_size = sum(len(key) + len(encode_metadata_value(value)) for key, value in checked.items())
    wire_size += len(SHA256_METADATA_KEY) + 64
    if wire_size > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is {wire_size} bytes once encoded; the limit is {MAX_METADATA_BYTES}")
    return checked


def encode_metadata_value(value: str) -> str:
    """S3 user metadata is ASCII on the wire: percent-encode UTF-8 (and '%', space, controls); decode undoes it."""
    return quote(value, safe=_METADATA_SAFE_CHARS)


def decode_metadata_value(value: str) -> str:
    return unquote(value)


class HashingReader:
    """Wraps a source stream: hashes every byte handed on, and refuses to hand on a source that changed.

    It knows the size and SHA-256 the source had when it was first measured. On the read that delivers the last
    expected byte it checks the digest and that no further bytes follow, raising SourceChanged *inside* the upload,
    so a backend aborts before committing (minio aborts the multipart upload; the folder never renames its temp file).
    """

    def __init__(self, raw: BinaryIO, expected_size: int, expected_sha256: str):
        self._raw = raw
        self.expected_size = expected_size
        self.expected_sha256 = expected_sha256
        self._hash = hashlib.sha256()
        self.bytes_read = 0
        self._finished = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        remaining = self.expected_size - self.bytes_read
        if size is None or size < 0 or size > remaining:
            size = remaining
        if size == 0:
            self.finish()
            return b""
        try:
            chunk = self._raw.read(size)
        except OSError as error:
            raise _SourceReadFailed(error) from error
        if not chunk:
            raise SourceChanged(f"source shrank while being stored: {self.bytes_read} of {self.expected_size} bytes")
        self._hash.update(chunk)
        self.bytes_read += len(chunk)
        if self.bytes_read == self.expected_size:
            self.finish()
        return chunk

    def finish(self) -> None:
        """Check the whole source went through unchanged (idempotent; backends that stop reading early rely on it)."""
        if self._finished:
            return
        if self.bytes_read != self.expected_size:
            raise SourceChanged(f"source gave {self.bytes_read} bytes, expected {self.expected_size}")
        try:
            extra = self._raw.read(1)
        except OSError as error:
            raise _SourceReadFailed(error) from error
        if extra:
            raise SourceChanged(f"source grew beyond {self.expected_size} bytes while being stored")
        if self._hash.hexdigest() != self.expected_sha256:
            raise SourceChanged("source content changed while being stored (SHA-256 differs between two reads)")
        self._finished = True

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class Leftover(NamedTuple):
    """A temporary object an interrupted write left behind (a folder store's `.tmp-*` file, an S3 multipart upload
    never completed): no key, no listing shows it, yet it takes space."""

    name: str  # where it is, for the report (a path under the store, or the key of the upload)
    age_seconds: float
    size: int | None = None
    handle: str = ""  # what the backend needs to remove it (an S3 upload id)


def sha256_of_stream(stream: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class ObjectStore(ABC):
    """An object store: keys to bytes plus content type, user metadata and the SHA-256 of the bytes."""

    url: str

    # ---- what backends implement -------------------------------------------------------------------------------

    @abstractmethod
    def _write(
        self,
        key: str,
        source: HashingReader,
        size: int,
        content_type: str,
        metadata: dict[str, str],
        lock: ObjectLock | None = None,
    ) -> str | None:
        """Store exactly `size` bytes read from `source` with `metadata` (which includes sha256), atomically,
        protected by `lock` if given (the backend enforces it against deletion).

        Returns a version token that `_open` accepts, so the check after writing reads this very write back."""

    @abstractmethod
    def _open(self, key: str, version: str | None = None) -> AbstractContextManager[BinaryIO]:
        """A readable stream of the object's bytes; raises ObjectNotFound."""

    @abstractmethod
    def _stat(self, key: str) -> StoredObject | None:
        """The object's size, content type, metadata (sha256 lifted out of it) and lock, or None if absent."""

    @abstractmethod
    def _list(self, prefix: str) -> Iterator[str]:
        """Keys starting with `prefix`, sorted, recursively, without any store internals."""

    @abstractmethod
    def _delete(self, key: str) -> None:
        """Remove the object; absent keys are fine."""

    # ---- the interface -----------------------------------------------------------------------------------------

    def put_file(
        self,
        key: str,
        path: str | os.PathLike[str],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: dict[str, str] | None = None,
        lock: ObjectLock | None = None,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        """Store a file. `lock` protects it from deletion (retention); `expected_sha256`, if given, refuses a file
        that no longer hashes to it (SourceChanged) before a byte is written."""
        key = check_key(key)
        content_type = check_content_type(content_type)
        caller_metadata = check_metadata(metadata)
        path = Path(path)
        # A first pass measures the file: S3 sends user metadata *before* the body, so the checksum must be known
        # up front. The upload then re-hashes the bytes it actually sends and aborts if they differ.
        with path.open("rb") as first_pass:
            sha256, size = sha256_of_stream(first_pass)
        if expected_sha256 is not None and sha256 != expected_sha256.strip().lower():
            raise SourceChanged(f"{path.name}: SHA-256 is now {sha256}, expected {expected_sha256}")
        with path.open("rb") as source:
            return self._put(key, source, size, sha256, content_type, caller_metadata, lock)

    def put_file_once(
        self,
        key: str,
        path: str | os.PathLike[str],
        *,
        sha256: str,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: dict[str, str] | None = None,
        lock: ObjectLock | None = None,
    ) -> StoredObject:
        """put_file, unless the key already holds exactly these bytes (re-read and re-hashed to be sure): then the
        stored copy is kept as it is. A retried upload of a locked original does not pile up versions."""
        existing = self.stat(key)
        if existing is not None and existing.sha256 == sha256 and self.verify(key, sha256):
            return existing
        return self.put_file(key, path, content_type=content_type, metadata=metadata, lock=lock, expected_sha256=sha256)

    def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: dict[str, str] | None = None,
        lock: ObjectLock | None = None,
    ) -> StoredObject:
        key = check_key(key)
        content_type = check_content_type(content_type)
        caller_metadata = check_metadata(metadata)
        data = bytes(data)
        sha256 = hashlib.sha256(data).hexdigest()
        return self._put(key, io.BytesIO(data), len(data), sha256, content_type, caller_metadata, lock)

    def get_bytes(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        with self._open(check_key(key)) as stream:
            yield stream

    def stat(self, key: str) -> StoredObject | None:
        return self._stat(check_key(key))

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def list(self, prefix: str = "") -> Iterator[str]:
        return self._list(check_prefix(prefix))

    def verify(self, key: str, expected_sha256: str) -> bool:
        """Re-read the stored bytes (streaming) and compare their SHA-256; raises ObjectNotFound if absent."""
        sha256, _ = self._hash_stored(check_key(key))
        return sha256 == expected_sha256.strip().lower()

    def lock_of(self, key: str) -> ObjectLock | None:
        """The lock protecting the object now (None if absent or unprotected)."""
        found = self.stat(key)
        return found.lock if found is not None else None

    def delete(self, key: str) -> None:
        """Remove the object; an original still under retention or a legal hold is refused (RetentionLocked)."""
        key = check_key(key)
        found = self._stat(key)
        if found is not None and found.lock is not None and found.lock.active():
            raise RetentionLocked(f"{self.url} {key}: {_describe_lock(found.lock)}")
        self._delete(key)

    def leftovers(self, older_than: float = LEFTOVER_AGE_SECONDS) -> builtins.list[Leftover]:
        """Temporary objects of interrupted writes untouched for `older_than` seconds (none, unless the backend
        has such things)."""
        return []

    def remove_leftover(self, leftover: Leftover) -> None:
        """Remove one temporary object `leftovers` named."""
        raise NotImplementedError(f"{type(self).__name__} leaves no temporary objects")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    # ---- shared machinery --------------------------------------------------------------------------------------

    def _put(
        self,
        key: str,
        source: BinaryIO,
        size: int,
        sha256: str,
        content_type: str,
        caller_metadata: dict[str, str],
        lock: ObjectLock | None = None,
    ) -> StoredObject:
        lock = self._lock_for_replacing(key, sha256, lock)
        reader = HashingReader(source, size, sha256)
        stored_metadata = {**caller_metadata, SHA256_METADATA_KEY: sha256}
        try:
            # `lock` only when there is one: backends (and test doubles) written before locks existed still work.
            extra = {"lock": lock} if lock is not None else {}
            version = self._write(key, reader, size, content_type, stored_metadata, **extra)
            reader.finish()  # for backends that never read past the last byte (or read nothing: empty objects)
        except _SourceReadFailed as failure:
            raise failure.error from None
        # The archive never reports a copy it has not read back.
        stored_sha256, stored_size = self._hash_stored(key, version)
        if stored_sha256 != sha256 or stored_size != size:
            raise ChecksumMismatch(
                f"{self.url} {key}: read back {stored_size} bytes with SHA-256 {stored_sha256}, "
                f"wrote {size} bytes with SHA-256 {sha256}"
            )
        return StoredObject(
            key=key, size=size, sha256=sha256, content_type=content_type, metadata=caller_metadata, lock=lock
        )

    def _lock_for_replacing(self, key: str, sha256: str, lock: ObjectLock | None) -> ObjectLock | None:
        """A key under an active lock takes only the same bytes again (a retry, or a repair of a damaged copy),
        and the new copy is locked at least as long as the old one."""
        current = self._stat(key)
        if current is None or current.lock is None or not current.lock.active():
            return lock
        if current.sha256 != sha256:
            raise RetentionLocked(f"{self.url} {key}: {_describe_lock(current.lock)}; other bytes refused")
        return merge_locks(current.lock, lock)

    def _hash_stored(self, key: str, version: str | None = None) -> tuple[str, int]:
        with self._open(key, version) as stream:
            return sha256_of_stream(stream)


def merge_locks(first: ObjectLock | None, second: ObjectLock | None) -> ObjectLock | None:
    """The stronger of two locks: the later retention date (its mode; COMPLIANCE wins a tie), a legal hold if any."""
    locks = [lock for lock in (first, second) if lock is not None]
    if not locks:
        return None
    dated = [lock for lock in locks if lock.retain_until is not None]
    latest = max(dated, key=lambda lock: (lock.retain_until, lock.mode == "COMPLIANCE"), default=None)
    return ObjectLock(
        mode=latest.mode if latest else None,
        retain_until=latest.retain_until if latest else None,
        legal_hold=any(lock.legal_hold for lock in locks),
    )


def _describe_lock(lock: ObjectLock) -> str:
    parts = []
    if lock.retain_until is not None:
        parts.append(f"retained ({lock.mode or 'GOVERNANCE'}) until {lock.retain_until.isoformat()}")
    if lock.legal_hold:
        parts.append("under legal hold (vĩnh viễn)")
    return " and ".join(parts) or "locked"
