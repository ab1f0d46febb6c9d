"""Object storage for the archive: a local folder (file:///abs/dir) or an S3 bucket (s3://bucket).

    store = open_store("s3://archive", endpoint="127.0.0.1:9000", access_key=..., secret_key=...)
    stored = store.put_file("000.00.00.H33/2026/.../original.jpg", path, content_type="image/jpeg")

Every write is hashed while it streams, its SHA-256 kept in the object's metadata, and read back before put_*
returns; see storage.base for the rules every backend shares. With SOHOA_REPLICA_URL set, store_from_settings
returns a MirroredStore that writes every object to both stores (storage.replica).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from urllib.request import url2pathname

from schemas.failures import InvalidSetting
from storage.base import (
    ChecksumMismatch,
    LockUnavailable,
    ObjectNotFound,
    ObjectStore,
    RetentionLocked,
    SourceChanged,
    StorageError,
    StorageUnavailable,
)
from storage.folder import FolderStore
from storage.replica import MirroredStore
from storage.s3 import S3Store

if TYPE_CHECKING:
    from schemas.settings import Settings

__all__ = [
    "ChecksumMismatch",
    "FolderStore",
    "LockUnavailable",
    "MirroredStore",
    "ObjectNotFound",
    "ObjectStore",
    "RetentionLocked",
    "S3Store",
    "SourceChanged",
    "StorageError",
    "StorageUnavailable",
    "open_store",
    "store_from_settings",
]

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def open_store(
    url: str,
    *,
    endpoint: str = "",
    access_key: str = "",
    secret_key: str = "",
    secure: bool = False,
    region: str = "",
    sse: bool = False,
) -> ObjectStore:
    """The store a URL names: "file:///abs/dir" or "s3://bucket" (the other arguments apply to the latter)."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        # Not echoing the URL: whatever precedes '@' is probably a secret.
        raise InvalidSetting("store URL must not carry credentials; use SOHOA_S3_ACCESS_KEY / SOHOA_S3_SECRET_KEY")
    if parts.query or parts.fragment:
        raise InvalidSetting(f"store URL takes no query or fragment: {url!r}")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise InvalidSetting(f"file store URL must be file:///absolute/path, not a remote host: {url!r}")
        path = Path(url2pathname(parts.path))
        if not parts.path or not path.is_absolute():
            raise InvalidSetting(f"file store URL must name an absolute folder (file:///abs/dir): {url!r}")
        return FolderStore(path)
    if parts.scheme == "s3":
        bucket = parts.netloc
        if parts.path not in ("", "/"):
            raise InvalidSetting(f"s3 store URL is s3://BUCKET, without a path: {url!r}")
        if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
            raise InvalidSetting(f"not a valid S3 bucket name (3-63 of a-z 0-9 . -): {bucket!r}")
        return S3Store(
            bucket,
            endpoint=endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            sse=sse,
        )
    raise InvalidSetting(f"unsupported store URL {url!r}: use file:///abs/dir or s3://bucket")


def store_from_settings(settings: Settings) -> ObjectStore:
    """The archive store; with SOHOA_REPLICA_URL, a MirroredStore writing every object to both."""
    primary = open_store(
        settings.resolved_store_url,
        endpoint=settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        secure=settings.s3_secure,
        region=settings.s3_region,
        sse=settings.s3_sse,
    )
    replica_url = getattr(settings, "replica_url", "")
    if not replica_url:
        return primary
    # Each SOHOA_REPLICA_S3_* left unset means "the same as SOHOA_S3_*" (another bucket on the same server).
    replica = open_store(
        replica_url,
        endpoint=settings.replica_s3_endpoint or settings.s3_endpoint,
        access_key=settings.replica_s3_access_key or settings.s3_access_key,
        secret_key=settings.replica_s3_secret_key or settings.s3_secret_key,
        secure=settings.s3_secure if settings.replica_s3_secure is None else settings.replica_s3_secure,
        region=settings.replica_s3_region or settings.s3_region,
        sse=settings.s3_sse,
    )
    return MirroredStore(primary, [replica])
