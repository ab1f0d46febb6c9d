"""Retention (thời hạn bảo quản) on both backends: a folder and a bucket with Object Lock on a real SeaweedFS server.

An archived original under retention cannot be deleted or replaced by other bytes (named failure
`retention_locked`); vĩnh viễn is a legal hold; the other objects of a document stay replaceable. No mocks.
"""

from __future__ import annotations

import io
import json
import os
import stat
import time
from datetime import UTC, datetime, timedelta

import pytest
from _fixtures import archive_synthetic, sha256, store  # noqa: F401  (store is a fixture)
from minio.error import S3Error
from pydantic import ValidationError

from schemas.failures import SohoaFailure
from schemas.models import ObjectLock, Retention
from schemas.settings import Settings
from storage import (
    FolderStore,
    LockUnavailable,
    MirroredStore,
    RetentionLocked,
    S3Store,
    StorageError,
    layout,
    open_store,
)
from storage.retention import add_years, lock_for

KEY = "000.00.00.H33/2026/000.00.00.H33-230607-0001/000.00.00.H33-230607-0001.001/original.jpg"
DATA = bytes(range(256)) * 40


def s3_version_id(request, key: str) -> str:
    target = request.getfixturevalue("s3_store_url")
    return target.client().stat_object(target.bucket, key).version_id


# ---- the mapping -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10", Retention(years=10)),
        ("10 năm", Retention(years=10)),
        (" 5 years", Retention(years=5)),
        (70, Retention(years=70)),
        ("vĩnh viễn", Retention(permanent=True)),
        ("Vĩnh viễn", Retention(permanent=True)),
        ("vinh-vien", Retention(permanent=True)),
        ("permanent", Retention(permanent=True)),
    ],
)
def test_retention_is_read_as_people_write_it(text, expected):
    assert Retention.model_validate(text) == expected
    assert Settings(retention=str(text)).retention == str(text)


@pytest.mark.parametrize("bad", ["", "0", "-3", "mười năm", "forever and ever", "10 tháng"])
def test_bad_retention_is_refused_when_settings_load(bad):
    with pytest.raises(ValidationError, match="retention"):
        Settings(retention=bad)


def test_lock_mode_setting():
    assert Settings().lock_mode == "GOVERNANCE"
    assert Settings(lock_mode="compliance").lock_mode == "COMPLIANCE"
    with pytest.raises(ValidationError):
        Settings(lock_mode="WORM")


def test_years_map_to_a_retention_date_and_permanent_to_a_legal_hold():
    now = datetime(2024, 2, 29, 8, 30, 15, 123456, tzinfo=UTC)
    assert lock_for(Retention(years=10), "GOVERNANCE", now) == ObjectLock(
        mode="GOVERNANCE", retain_until=datetime(2034, 2, 28, 8, 30, 15, tzinfo=UTC)
    )
    leap = datetime(2028, 2, 29, 8, 30, 15, tzinfo=UTC)
    assert lock_for(Retention(years=4), "COMPLIANCE", now).retain_until == leap
    assert lock_for(Retention(permanent=True), "GOVERNANCE", now) == ObjectLock(legal_hold=True)
    assert lock_for(None) is None
    assert add_years(datetime(2023, 3, 1), 1) == datetime(2024, 3, 1)


# ---- the contract, on both backends ------------------------------------------------------------------------------


def test_a_locked_original_cannot_be_deleted_or_replaced(store, request):
    lock = lock_for(Retention(years=10))
    stored = store.put_bytes(KEY, DATA, content_type="image/jpeg", lock=lock)
    assert stored.lock == lock and store.stat(KEY).lock == lock

    with pytest.raises(RetentionLocked) as refused:
        store.delete(KEY)
    assert refused.value.code == "retention_locked" and not refused.value.retryable
    assert isinstance(refused.value, SohoaFailure) and isinstance(refused.value, StorageError)
    assert "retention_locked" in str(refused.value) and "thời hạn bảo quản" in str(refused.value)
    with pytest.raises(RetentionLocked):
        store.put_bytes(KEY, DATA[:-1] + b"!", content_type="image/jpeg")  # other bytes under the same name
    assert store.get_bytes(KEY) == DATA and store.exists(KEY)

    # The same bytes again (a retried upload, a repair) are taken, and the lock is never shortened.
    store.put_bytes(KEY, DATA, content_type="image/jpeg", lock=lock_for(Retention(years=1)))
    assert store.stat(KEY).lock == lock

    # Not only the application: the backend itself protects it.
    if isinstance(store, FolderStore):
        assert stat.S_IMODE(os.stat(store.root / KEY).st_mode) == 0o444
    else:
        target = request.getfixturevalue("s3_store_url")
        client = target.client()
        versions = [v.version_id for v in client.list_objects(target.bucket, KEY, include_version=True)]
        assert len(versions) == 2
        for version in versions:
            with pytest.raises(S3Error) as denied:
                client.remove_object(target.bucket, KEY, version_id=version)
            assert denied.value.code == "AccessDenied"
        retention = client.get_object_retention(target.bucket, KEY)
        assert retention.mode == "GOVERNANCE" and retention.retain_until_date == lock.retain_until


def test_permanent_retention_is_a_legal_hold(store, request):
    lock = lock_for(Retention.model_validate("vĩnh viễn"))
    store.put_bytes(KEY, DATA, lock=lock)
    found = store.stat(KEY).lock
    assert found.legal_hold and found.retain_until is None and found.active()
    with pytest.raises(RetentionLocked, match="legal hold"):
        store.delete(KEY)
    if isinstance(store, S3Store):
        target = request.getfixturevalue("s3_store_url")
        client = target.client()
        assert client.is_object_legal_hold_enabled(target.bucket, KEY)
        with pytest.raises(S3Error) as denied:
            client.remove_object(target.bucket, KEY, version_id=s3_version_id(request, KEY))
        assert denied.value.code == "AccessDenied"


def test_compliance_mode(store):
    lock = lock_for(Retention(years=1), "COMPLIANCE")
    store.put_bytes(KEY, DATA, lock=lock)
    assert store.stat(KEY).lock.mode == "COMPLIANCE"
    with pytest.raises(RetentionLocked):
        store.delete(KEY)


def test_a_lock_ends_at_its_date(store):
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    store.put_bytes(KEY, DATA, lock=ObjectLock(mode="GOVERNANCE", retain_until=until))
    with pytest.raises(RetentionLocked):
        store.delete(KEY)
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.1)
    assert not store.stat(KEY).lock.active()
    store.delete(KEY)
    assert not store.exists(KEY)


def test_only_the_original_of_an_archived_document_is_locked(store, tmp_path):
    archived = archive_synthetic(store, tmp_path / "work", DATA, retention="10")
    keys = archived.keys
    assert not archived.duplicate
    assert keys[layout.ORIGINAL].endswith("/000.00.00.H33-230607-0001.001/original.jpg")

    meta = json.loads(store.get_bytes(keys[layout.META]))
    assert meta["retention"] == {"permanent": False, "years": 10}
    assert meta["objects"]["original"]["lock"]["mode"] == "GOVERNANCE"
    recorded_until = datetime.fromisoformat(meta["objects"]["original"]["lock"]["retain_until"])
    assert store.stat(keys[layout.ORIGINAL]).lock.retain_until == recorded_until
    assert 9.9 < (recorded_until - datetime.now(UTC)).days / 365.25 < 10.1

    with pytest.raises(RetentionLocked):
        store.delete(keys[layout.ORIGINAL])
    for role in (layout.ARCHIVE, layout.OCR, layout.META):
        assert store.stat(keys[role]).lock is None
        store.put_bytes(keys[role], b"replaced " + role.encode())  # derived objects can be replaced...
        assert store.get_bytes(keys[role]) == b"replaced " + role.encode()
    store.delete(keys[layout.ARCHIVE])  # ...and deleted
    assert not store.exists(keys[layout.ARCHIVE])
    assert store.get_bytes(keys[layout.ORIGINAL]) == DATA


def test_permanent_document_original_under_legal_hold(store, tmp_path):
    archived = archive_synthetic(store, tmp_path / "work", DATA, retention="vĩnh viễn")
    original = archived.document.objects[layout.ORIGINAL]
    assert original.lock == ObjectLock(legal_hold=True)
    assert store.stat(original.key).lock.legal_hold
    assert json.loads(store.get_bytes(archived.keys[layout.META]))["retention"] == {"permanent": True, "years": None}
    with pytest.raises(RetentionLocked):
        store.delete(original.key)


def test_the_replica_gets_the_same_lock(s3_store_url, tmp_path):
    primary = open_store(s3_store_url.url, **s3_store_url.store_options())
    replica = open_store((tmp_path / "replica").as_uri())
    mirrored = MirroredStore(primary, [replica])
    archived = archive_synthetic(mirrored, tmp_path / "work", DATA, retention="10")
    key = archived.keys[layout.ORIGINAL]
    assert primary.stat(key).lock == replica.stat(key).lock == archived.document.objects["original"].lock
    for copy in (mirrored, primary, replica):
        with pytest.raises(RetentionLocked):
            copy.delete(key)
    assert sorted(primary.list()) == sorted(replica.list())


def test_a_bucket_without_object_lock_refuses_retention_clearly(s3_store_url):
    client = s3_store_url.client()
    client.make_bucket(s3_store_url.bucket)  # made by someone else, without Object Lock
    store = open_store(s3_store_url.url, **s3_store_url.store_options())
    store.put_bytes("plain/object", b"fine without a lock")
    with pytest.raises(LockUnavailable) as refused:
        store.put_bytes(KEY, DATA, lock=lock_for(Retention(years=10)))
    assert refused.value.code == "lock_unavailable" and not refused.value.retryable
    assert "Object Lock" in str(refused.value)
    assert not store.exists(KEY)


def test_sohoa_buckets_are_made_with_object_lock(s3_store_url):
    store = open_store(s3_store_url.url, **s3_store_url.store_options())
    store.put_bytes("k", b"v")
    client = s3_store_url.client()
    assert client.get_bucket_versioning(s3_store_url.bucket).status == "Enabled"
    client.get_object_lock_config(s3_store_url.bucket)  # raises if the bucket has none
    assert store.object_lock_enabled


def test_a_version_written_behind_the_store_is_not_locked_but_the_first_stays(s3_store_url):
    """What a corrupted copy looks like on S3: a new, unlocked version over the locked one, which stays."""
    store = open_store(s3_store_url.url, **s3_store_url.store_options())
    lock = lock_for(Retention(years=10))
    store.put_bytes(KEY, DATA, lock=lock)
    client = s3_store_url.client()
    current = client.put_object(s3_store_url.bucket, KEY, io.BytesIO(b"overwritten"), 11).version_id
    assert store.stat(KEY).lock is None  # the current version has no lock...
    versions = list(client.list_objects(s3_store_url.bucket, KEY, include_version=True))
    locked = [v for v in versions if v.version_id != current]
    assert len(versions) == 2 and len(locked) == 1
    with pytest.raises(S3Error):  # ...the locked one is still protected by the server
        client.remove_object(s3_store_url.bucket, KEY, version_id=locked[0].version_id)
    assert sha256(client.get_object(s3_store_url.bucket, KEY, version_id=locked[0].version_id).read()) == sha256(DATA)
