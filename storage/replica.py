"""A primary store and its replicas (two copies on independent media, Thông tư 02/2019/TT-BNV).

`MirroredStore` is an ObjectStore: every write goes to the primary, then to each replica, and each copy is read
back and checked by its own backend before the next starts, so a put that returns means every copy is stored
and verified. The same retention lock is applied on every copy. Reads come from the primary; `copies` gives each
store on its own, for the fixity audit (storage.fixity), which checks and repairs them one against another.

A replica may be any backend (a folder on another disk, a bucket on another S3 server): see SOHOA_REPLICA_URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from schemas.failures import InvalidSetting
from schemas.models import ObjectLock, StoredObject
from storage.base import DEFAULT_CONTENT_TYPE, HashingReader, ObjectStore, RetentionLocked, check_key


class MirroredStore(ObjectStore):
    def __init__(self, primary: ObjectStore, replicas: list[ObjectStore]):
        if not replicas:
            raise InvalidSetting("a mirrored store needs at least one replica")
        urls = [primary.url, *(replica.url for replica in replicas)]
        if len(set(urls)) != len(urls):
            raise InvalidSetting(f"a replica must be another store than the primary: {urls}")
        self.primary = primary
        self.replicas = list(replicas)
        self.url = primary.url

    @property
    def copies(self) -> list[ObjectStore]:
        return [self.primary, *self.replicas]

    def __repr__(self) -> str:
        return f"MirroredStore({self.primary!r}, replicas={self.replicas!r})"

    # ---- writes go to every copy, primary first ----------------------------------------------------------------

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
        options: dict[str, Any] = dict(
            content_type=content_type, metadata=metadata, lock=lock, expected_sha256=expected_sha256
        )
        stored = self.primary.put_file(key, path, **options)
        # The replica gets the bytes the primary took: a source changing in between is refused, not copied.
        options["expected_sha256"] = stored.sha256
        for replica in self.replicas:
            replica.put_file(key, path, **options)
        return stored

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
        options: dict[str, Any] = dict(sha256=sha256, content_type=content_type, metadata=metadata, lock=lock)
        stored = self.primary.put_file_once(key, path, **options)
        for replica in self.replicas:
            replica.put_file_once(key, path, **options)
        return stored

    def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: dict[str, str] | None = None,
        lock: ObjectLock | None = None,
    ) -> StoredObject:
        stored = self.primary.put_bytes(key, data, content_type=content_type, metadata=metadata, lock=lock)
        for replica in self.replicas:
            replica.put_bytes(key, data, content_type=content_type, metadata=metadata, lock=lock)
        return stored

    def delete(self, key: str) -> None:
        """Refused if any copy is locked; otherwise removed from every copy."""
        key = check_key(key)
        for copy in self.copies:
            lock = copy.lock_of(key)
            if lock is not None and lock.active():
                raise RetentionLocked(f"{copy.url} {key}: under retention")
        for copy in self.copies:
            copy.delete(key)

    # ---- reads: the primary --------------------------------------------------------------------------------------

    def _write(self, key, source: HashingReader, size, content_type, metadata, lock=None):  # pragma: no cover
        raise NotImplementedError("MirroredStore writes through put_file/put_bytes")

    @contextmanager
    def _open(self, key: str, version: str | None = None) -> Iterator[BinaryIO]:
        with self.primary._open(key, version) as stream:
            yield stream

    def _stat(self, key: str) -> StoredObject | None:
        return self.primary._stat(key)

    def _list(self, prefix: str) -> Iterator[str]:
        return self.primary._list(prefix)

    def _delete(self, key: str) -> None:  # pragma: no cover - delete() above is the way in
        for copy in self.copies:
            copy._delete(key)
