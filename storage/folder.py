"""Object store in a local folder: bytes at <root>/<key>, metadata in <root>/.meta/<key>.json.

Every write goes to a hidden temp file in the target's directory, is fsynced, then renamed over the real name, so
a crash leaves either the old object or the new one, never half of one. Hidden names (leading '.') are the store's
own: keys may not contain them and listings skip them. A temp file a killed process left (`.tmp-*`) is listed by
`leftovers` once it is an hour old, and removed by `sohoa verify --repair`.

Retention: a locked object (an original) is made read-only (mode 0444) and its lock kept in the sidecar; the
store refuses to delete or replace it while the lock holds (storage.base). A folder cannot stop root or someone
with write access to the directory: the copy on S3 Object Lock, or on write-once media, is the enforced one.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from schemas.models import ObjectLock, StoredObject
from storage.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    LEFTOVER_AGE_SECONDS,
    SHA256_METADATA_KEY,
    HashingReader,
    Leftover,
    ObjectNotFound,
    ObjectStore,
    StorageError,
)

META_DIR = ".meta"
READ_ONLY = 0o444
TEMP_PREFIX = ".tmp-"


class FolderStore(ObjectStore):
    def __init__(self, root: str | os.PathLike[str]):
        root = Path(root)
        if not root.is_absolute():
            raise ValueError(f"folder store root must be an absolute path: {str(root)!r}")
        self.root = root
        self.url = root.as_uri()

    # Keys are already validated (no '..', no leading '/', no hidden segments), so joining cannot escape root.
    def _object_path(self, key: str) -> Path:
        return self.root / key

    def _sidecar_path(self, key: str) -> Path:
        return self.root / META_DIR / f"{key}.json"

    def _write(
        self,
        key: str,
        source: HashingReader,
        size: int,
        content_type: str,
        metadata: dict[str, str],
        lock: ObjectLock | None = None,
    ) -> str | None:
        target = self._object_path(key)
        sidecar = self._sidecar_path(key)
        user_metadata = {name: value for name, value in metadata.items() if name != SHA256_METADATA_KEY}
        record = {"content_type": content_type, "sha256": metadata[SHA256_METADATA_KEY], "metadata": user_metadata}
        if lock is not None:
            record["lock"] = lock.model_dump(mode="json")
        temp_files: list[Path] = []
        try:
            object_temp = _temp_beside(target)
            temp_files.append(object_temp)
            with open(object_temp, "xb") as out:
                while chunk := source.read(CHUNK_SIZE):
                    out.write(chunk)
                source.finish()  # a changed source aborts here, before anything is renamed into place
                out.flush()
                os.fsync(out.fileno())
            if lock is not None:
                os.chmod(object_temp, READ_ONLY)  # the rename keeps the mode
            sidecar_temp = _temp_beside(sidecar)
            temp_files.append(sidecar_temp)
            with open(sidecar_temp, "x", encoding="utf-8") as out:
                json.dump(record, out, ensure_ascii=False)
                out.flush()
                os.fsync(out.fileno())
            # Sidecar first: a crash in between leaves a sidecar without an object, which reads as "absent".
            os.replace(sidecar_temp, sidecar)
            os.replace(object_temp, target)
            temp_files.clear()
            _fsync_directory(sidecar.parent)
            _fsync_directory(target.parent)
        except (FileExistsError, NotADirectoryError, IsADirectoryError) as error:
            raise StorageError(
                f"{self.url} {key}: a folder store cannot hold both an object and objects under it as a folder "
                f"({error.strerror})"
            ) from error
        except OSError as error:
            raise StorageError(f"{self.url} {key}: write failed: {error}") from error
        finally:
            for temp in temp_files:
                temp.unlink(missing_ok=True)
        return None

    @contextmanager
    def _open(self, key: str, version: str | None = None) -> Iterator[BinaryIO]:
        try:
            stream = open(self._object_path(key), "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(f"{self.url} {key}: no such object") from None
        except OSError as error:
            raise StorageError(f"{self.url} {key}: cannot open: {error}") from error
        with stream:
            yield stream

    def _stat(self, key: str) -> StoredObject | None:
        try:
            size = os.stat(self._object_path(key)).st_size
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not self._object_path(key).is_file():
            return None  # a folder of other objects, not an object
        try:
            record = json.loads(self._sidecar_path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            record = {}  # bytes placed by hand: no checksum known
        except (OSError, ValueError) as error:
            raise StorageError(f"{self.url} {key}: unreadable metadata sidecar: {error}") from error
        return StoredObject(
            key=key,
            size=size,
            sha256=record.get("sha256", ""),
            content_type=record.get("content_type", DEFAULT_CONTENT_TYPE),
            metadata=record.get("metadata", {}),
            lock=ObjectLock.model_validate(record["lock"]) if record.get("lock") else None,
        )

    def _list(self, prefix: str) -> Iterator[str]:
        # Walk only the deepest folder the prefix names; sort at the end because a walk is not in key order
        # ("a-b" sorts before "a/c" but a walk visits them the other way round).
        folder = prefix if prefix.endswith("/") else prefix.rpartition("/")[0]
        start = self.root / folder if folder else self.root
        keys = []
        for directory, subdirectories, files in os.walk(start):
            subdirectories[:] = [name for name in subdirectories if not name.startswith(".")]
            relative = Path(directory).relative_to(self.root).as_posix()
            for name in files:
                if name.startswith("."):
                    continue  # temp files of writes in progress (or interrupted)
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def leftovers(self, older_than: float = LEFTOVER_AGE_SECONDS) -> list[Leftover]:
        """`.tmp-*` files (objects and sidecars) whose write stopped `older_than` seconds ago or more."""
        found = []
        now = time.time()
        for directory, _subdirectories, files in os.walk(self.root):
            for name in files:
                if not name.startswith(TEMP_PREFIX):
                    continue
                path = Path(directory) / name
                try:
                    stat = path.lstat()
                except FileNotFoundError:
                    continue  # its write just finished (renamed) or failed (removed)
                age = now - stat.st_mtime
                if age >= older_than:
                    found.append(Leftover(path.relative_to(self.root).as_posix(), age, stat.st_size))
        return sorted(found)

    def remove_leftover(self, leftover: Leftover) -> None:
        path = self.root / leftover.name
        # Only ever a temp file of this store: a name from anywhere else is refused, never unlinked.
        if not path.name.startswith(TEMP_PREFIX) or ".." in Path(leftover.name).parts:
            raise ValueError(f"not a temporary file of this store: {leftover.name!r}")
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise StorageError(f"{self.url} {leftover.name}: cannot remove: {error}") from error

    def _delete(self, key: str) -> None:
        try:
            self._object_path(key).unlink(missing_ok=True)
            self._sidecar_path(key).unlink(missing_ok=True)
        except (NotADirectoryError, IsADirectoryError):
            return  # not an object
        except OSError as error:
            raise StorageError(f"{self.url} {key}: delete failed: {error}") from error


def _temp_beside(target: Path) -> Path:
    """A hidden, unique name in the target's own directory (os.replace is only atomic within one filesystem)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Not derived from the name: that may already be 250 bytes.
    return target.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}")


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); other systems have no directory handles to sync."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
