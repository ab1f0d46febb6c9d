"""Object store in an S3 bucket (MinIO, SeaweedFS, AWS...) through the minio client.

Errors are translated in one place (`_translated_errors`): unreachable server -> StorageUnavailable (callers retry),
missing object -> ObjectNotFound, anything else -> StorageError. Messages name the endpoint, bucket and key, never
credentials.

Buckets are created with Object Lock (which implies versioning). A locked write carries its retention (mode and
retain-until date) and/or legal hold in the PUT itself, so no unlocked moment exists; the server then refuses to
delete that version. A plain DELETE would only add a delete marker, so the store refuses it while the lock holds.

A large object goes up as a multipart upload; a process killed in the middle leaves the upload open, its parts
taking space on the server though no listing of keys shows them. `leftovers` names those uploads (an hour old or
more) and `sohoa verify --repair` aborts them.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import BinaryIO, cast

import certifi
import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.retention import Retention as S3Retention
from minio.sse import SseS3
from minio.versioningconfig import ENABLED, SUSPENDED, VersioningConfig

from schemas.failures import InvalidSetting, SohoaFailure
from schemas.models import LockMode, ObjectLock, StoredObject
from storage.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    LEFTOVER_AGE_SECONDS,
    SHA256_METADATA_KEY,
    HashingReader,
    Leftover,
    LockUnavailable,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StorageUnavailable,
    _SourceReadFailed,
    decode_metadata_value,
    encode_metadata_value,
)

MIB = 1024 * 1024
DEFAULT_PART_SIZE = 16 * MIB
USER_METADATA_PREFIX = "x-amz-meta-"
_NOT_FOUND_CODES = {"NoSuchKey", "NoSuchBucket", "NoSuchVersion", "NoSuchObject"}
_TRANSIENT_CODES = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed"}
_BUCKET_ALREADY_OURS = {"BucketAlreadyOwnedByYou"}
_NO_LOCK_CONFIG = {"ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration"}


class EndpointWithCredentials(SohoaFailure):
    """The endpoint was written `http://key:secret@host`: refused, so the secret never reaches a message or a log
    (minio's own error would quote the endpoint whole)."""

    code = "s3_endpoint_credentials"
    vi = (
        "Địa chỉ máy chủ S3 (SOHOA_S3_ENDPOINT) không được chứa tài khoản, mật khẩu; hãy đặt chúng trong "
        "SOHOA_S3_ACCESS_KEY và SOHOA_S3_SECRET_KEY"
    )
    en = (
        "The S3 endpoint (SOHOA_S3_ENDPOINT) must not carry credentials; put them in SOHOA_S3_ACCESS_KEY and "
        "SOHOA_S3_SECRET_KEY"
    )


class S3Store(ObjectStore):
    """One bucket. Uploads stream in parts of `part_size`; memory stays near (parallel_uploads + 1) * part_size
    (minio reads the next part while the previous ones are still in flight)."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint: str,
        access_key: str = "",
        secret_key: str = "",
        secure: bool = False,
        region: str = "",
        part_size: int = DEFAULT_PART_SIZE,
        parallel_uploads: int = 2,
        connect_timeout: float = 3.0,
        read_timeout: float = 60.0,
        sse: bool = False,
    ):
        endpoint, secure = _split_endpoint(endpoint, secure)
        self.bucket = bucket
        self.endpoint = endpoint
        self.url = f"s3://{bucket}"
        self.part_size = part_size
        self.parallel_uploads = parallel_uploads
        self.sse = sse  # ask the server to encrypt every object at rest (SSE-S3, the server's own key)
        self.object_lock_enabled: bool | None = None  # known once the bucket has been prepared
        # minio's own pool waits 5 minutes to connect and retries 5 times: a dead server would hang a flow for ages.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            maxsize=max(10, parallel_uploads + 2),
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            retries=urllib3.Retry(
                total=2, connect=1, read=1, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
            ),
        )
        try:
            self._client = Minio(
                endpoint,
                access_key=access_key or None,
                secret_key=secret_key if access_key else None,
                secure=secure,
                region=region or None,
                http_client=http,
            )
        except ValueError as error:
            raise InvalidSetting(f"S3 endpoint {endpoint!r}: {error}") from None
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    # ---- primitives --------------------------------------------------------------------------------------------

    def _write(
        self,
        key: str,
        source: HashingReader,
        size: int,
        content_type: str,
        metadata: dict[str, str],
        lock: ObjectLock | None = None,
    ) -> str | None:
        self._ensure_bucket()
        retention = None
        if lock is not None:
            if not self.object_lock_enabled:
                raise LockUnavailable(
                    f"{self.url} at {self.endpoint}: the bucket has no Object Lock, so {key} cannot be kept under "
                    "retention; archive into a bucket created with Object Lock (sohoa creates its buckets so)"
                )
            if lock.retain_until is not None:
                # The mode was checked when the lock was made (schemas.LockMode).
                retention = S3Retention((lock.mode or LockMode.governance).value, lock.retain_until)
        # Prefixed explicitly: minio would otherwise send keys like "content-language" as standard headers.
        headers: dict[str, str | list[str] | tuple[str]] = {
            USER_METADATA_PREFIX + name: encode_metadata_value(value) for name, value in metadata.items()
        }
        with self._translated_errors("upload", key):
            result = self._client.put_object(
                self.bucket,
                key,
                cast(BinaryIO, source),  # a reader minio reads like a file: read(n) only
                length=size,
                content_type=content_type,
                metadata=headers,
                part_size=self.part_size,
                num_parallel_uploads=self.parallel_uploads,
                sse=SseS3() if self.sse else None,
                retention=retention,
                legal_hold=bool(lock and lock.legal_hold),
            )
        return result.version_id

    @contextmanager
    def _open(self, key: str, version: str | None = None) -> Iterator[BinaryIO]:
        with self._translated_errors("read", key):
            response = self._client.get_object(self.bucket, key, version_id=version)
        try:
            yield io.BufferedReader(_ResponseStream(response, self, key), buffer_size=CHUNK_SIZE)
        finally:
            response.close()
            response.release_conn()

    def _stat(self, key: str) -> StoredObject | None:
        with self._translated_errors("stat", key):
            try:
                found = self._client.stat_object(self.bucket, key)
            except S3Error as error:
                if error.code in _NOT_FOUND_CODES:
                    return None
                raise
        metadata = {
            name.lower().removeprefix(USER_METADATA_PREFIX): decode_metadata_value(value)
            for name, value in (found.metadata or {}).items()
            if name.lower().startswith(USER_METADATA_PREFIX)
        }
        sha256 = metadata.pop(SHA256_METADATA_KEY, "")
        return StoredObject(
            key=key,
            size=found.size or 0,
            sha256=sha256,
            content_type=found.content_type or DEFAULT_CONTENT_TYPE,
            metadata=metadata,
            lock=_lock_from_headers(found.metadata or {}),
        )

    def _list(self, prefix: str) -> Iterator[str]:
        # Sorted here, not trusted to the server: SeaweedFS lists folder by folder ("a/0" before "a-b"), unlike AWS
        # and MinIO (UTF-8 byte order). Costs the key names in memory; list under a prefix to keep that small.
        return iter(sorted(self._list_unordered(prefix)))

    def _list_unordered(self, prefix: str) -> Iterator[str]:
        with self._translated_errors("list", prefix or "(all keys)"):
            try:
                for found in self._client.list_objects(self.bucket, prefix=prefix or None, recursive=True):
                    if found.object_name and not found.is_dir and not found.object_name.endswith("/"):
                        yield found.object_name
            except S3Error as error:
                if error.code != "NoSuchBucket":
                    raise

    def _delete(self, key: str) -> None:
        # With versioning this adds a delete marker: every version stays, locked ones until their date.
        with self._translated_errors("delete", key):
            try:
                self._client.remove_object(self.bucket, key)
            except S3Error as error:
                if error.code != "NoSuchBucket":
                    raise

    def leftovers(self, older_than: float = LEFTOVER_AGE_SECONDS) -> list[Leftover]:
        """Multipart uploads begun `older_than` seconds ago or more and never completed nor aborted."""
        found = []
        now = datetime.now(UTC)
        key_marker = None
        with self._translated_errors("list uploads", ""):
            while True:
                try:
                    # minio has no public call for this S3 API (ListMultipartUploads).
                    page = self._client._list_multipart_uploads(self.bucket, key_marker=key_marker)
                except S3Error as error:
                    if error.code == "NoSuchBucket":
                        return []
                    raise
                for upload in page.uploads:
                    started = upload.initiated_time or now
                    age = (now - started).total_seconds()
                    if age >= older_than:
                        found.append(Leftover(upload.object_name, age, None, upload.upload_id or ""))
                if not page.is_truncated or not page.next_key_marker or page.next_key_marker == key_marker:
                    break
                key_marker = page.next_key_marker
        return sorted(found)

    def remove_leftover(self, leftover: Leftover) -> None:
        with self._translated_errors("abort upload", leftover.name):
            try:
                self._client._abort_multipart_upload(self.bucket, leftover.name, leftover.handle)
            except S3Error as error:
                if error.code != "NoSuchUpload":
                    raise

    # ---- helpers -----------------------------------------------------------------------------------------------

    def _ensure_bucket(self) -> None:
        """Create the bucket on first write, with Object Lock (and so versioning); make sure versioning is on
        unless someone deliberately suspended it; learn whether an existing bucket has Object Lock."""
        if self._bucket_ready:
            return
        with self._bucket_lock, self._translated_errors("prepare bucket", ""):
            if self._bucket_ready:
                return
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket, object_lock=True)
                except S3Error as error:
                    if error.code not in _BUCKET_ALREADY_OURS:
                        raise
            # Checked every time a store starts, so a crash between creating and versioning heals itself.
            if self._client.get_bucket_versioning(self.bucket).status not in (ENABLED, SUSPENDED):
                self._client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
            try:
                self._client.get_object_lock_config(self.bucket)
                self.object_lock_enabled = True
            except S3Error as error:
                if error.code not in _NO_LOCK_CONFIG:
                    raise
                self.object_lock_enabled = False
            self._bucket_ready = True

    @contextmanager
    def _translated_errors(self, action: str, key: str) -> Iterator[None]:
        where = f"{self.url}/{key}" if key else self.url
        try:
            yield
        except (StorageError, _SourceReadFailed):  # already ours, or the local source's (see HashingReader)
            raise
        except S3Error as error:
            if error.code in _NOT_FOUND_CODES:
                raise ObjectNotFound(f"{action} {where}: no such object ({error.code})") from error
            detail = f"{error.code}: {error.message}" if error.message else str(error.code)
            if self.sse and action == "upload" and error.code == "InternalError":
                detail += " (server-side encryption was asked for, SOHOA_S3_SSE=1: does the server have a key?)"
            if error.code in _TRANSIENT_CODES:
                raise StorageUnavailable(f"{action} {where} at {self.endpoint}: {detail}") from error
            raise StorageError(f"{action} {where} at {self.endpoint} failed: {detail}") from error
        except ServerError as error:
            hint = " (SOHOA_S3_SSE=1: does the server have an encryption key?)" if self.sse else ""
            raise StorageUnavailable(
                f"{action} {where}: S3 server {self.endpoint} answered HTTP {error.status_code}{hint}"
            ) from error
        except InvalidResponseError as error:
            raise StorageError(f"{action} {where}: S3 server {self.endpoint} sent a non-S3 response") from error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            # MaxRetryError/NewConnectionError/ProtocolError/timeouts, ConnectionError and socket errors.
            reason = getattr(error, "reason", None) or error
            hint = ""
            if self.sse and action == "upload" and "500" in str(reason):
                hint = " (server-side encryption was asked for, SOHOA_S3_SSE=1: does the server have a key?)"
            raise StorageUnavailable(
                f"{action} {where}: S3 server {self.endpoint} unreachable: {type(reason).__name__}: {reason}{hint}"
            ) from error


class _ResponseStream(io.RawIOBase):
    """An object's body as a raw stream, with network failures mid-read translated like every other S3 error."""

    def __init__(self, response: urllib3.BaseHTTPResponse, store: S3Store, key: str):
        self._response = response
        self._store = store
        self._key = key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        with self._store._translated_errors("read", self._key):
            # decode_content=False: the stored bytes exactly, even if someone set Content-Encoding on the object.
            data = self._response.read(len(buffer), decode_content=False)
        buffer[: len(data)] = data
        return len(data)


def _lock_from_headers(headers) -> ObjectLock | None:
    """The Object Lock of the version a HEAD described (x-amz-object-lock-* headers), None if it has none."""
    lowered = {name.lower(): value for name, value in headers.items()}
    mode = lowered.get("x-amz-object-lock-mode") or None
    until_text = lowered.get("x-amz-object-lock-retain-until-date") or ""
    legal_hold = lowered.get("x-amz-object-lock-legal-hold", "").upper() == "ON"
    retain_until = None
    if until_text:
        try:
            retain_until = datetime.fromisoformat(until_text.replace("Z", "+00:00"))
        except ValueError:
            retain_until = None
        if retain_until is not None and retain_until.tzinfo is None:
            retain_until = retain_until.replace(tzinfo=UTC)
    if retain_until is None and not legal_hold:
        return None
    return ObjectLock(mode=mode.upper() if mode else None, retain_until=retain_until, legal_hold=legal_hold)


def _without_secret(endpoint: str) -> str:
    """The endpoint as it may be shown: a password in it replaced by ***, a lone user part (perhaps a token) too.
    Everything before the last '@' is taken for credentials, since a password may hold '/' or '@' itself."""
    scheme, separator, rest = endpoint.rpartition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at:
        return endpoint
    user, colon, _secret = userinfo.partition(":")
    shown = f"{user}:***" if colon and "/" not in user else "***"
    return f"{scheme}{separator}{shown}@{host}"


def _split_endpoint(endpoint: str, secure: bool) -> tuple[str, bool]:
    """Accept "host:port" (the documented form) and also "http(s)://host:port" as people paste it."""
    endpoint = endpoint.strip()
    if not endpoint:
        raise InvalidSetting("an s3:// store needs an endpoint (host:port, SOHOA_S3_ENDPOINT)")
    masked = _without_secret(endpoint)
    if masked != endpoint:
        raise EndpointWithCredentials(masked)
    if endpoint.startswith("https://"):
        return endpoint.removeprefix("https://").rstrip("/"), True
    if endpoint.startswith("http://"):
        if secure:
            raise InvalidSetting(f"S3 endpoint {endpoint!r} says http:// but TLS (secure) was asked for")
        return endpoint.removeprefix("http://").rstrip("/"), False
    return endpoint, secure
