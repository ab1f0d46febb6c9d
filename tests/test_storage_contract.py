"""One contract, two backends: a folder on tmp_path and a bucket on a real SeaweedFS S3 server. No mocks."""

from __future__ import annotations

import hashlib
import io
import json
import random
import socket
import time
import tracemalloc

import pytest

from schemas.models import StoredObject
from schemas.settings import Settings
from storage import (
    ChecksumMismatch,
    FolderStore,
    ObjectNotFound,
    ObjectStore,
    S3Store,
    SourceChanged,
    StorageError,
    StorageUnavailable,
    open_store,
    store_from_settings,
)
from storage.base import HashingReader

MIB = 1024 * 1024
KEY = "000.00.00.H33/2026/000.00.00.H33-230607-0001/ab12cd/original.jpg"
BINARY = bytes(range(256)) * 64 + b"\x00\xff\r\n\x1a"  # every byte value, NULs and line endings
VIETNAMESE = {
    "issuer": "Ủy ban nhân dân tỉnh Hà Tĩnh",
    "subject": 'Quyết định số 12/QĐ-UBND về việc phê duyệt 100% kinh phí; "trích yếu"  ',
    "ascii": "plain value",
}


@pytest.fixture(params=["folder", "s3"])
def store(request: pytest.FixtureRequest, tmp_path) -> ObjectStore:
    if request.param == "folder":
        return open_store((tmp_path / "store").as_uri())
    target = request.getfixturevalue("s3_store_url")  # the S3 server only starts if an S3 test runs
    return open_store(target.url, **target.store_options())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def overwrite_behind_the_store(store: ObjectStore, request: pytest.FixtureRequest, key: str, data: bytes) -> None:
    """Change an object's bytes the way bit rot or a stray tool would: its recorded sha256 stays as it was."""
    if isinstance(store, FolderStore):
        (store.root / key).write_bytes(data)
        return
    target = request.getfixturevalue("s3_store_url")
    client = target.client()
    old = client.stat_object(target.bucket, key)
    kept = {name: value for name, value in old.metadata.items() if name.lower().startswith("x-amz-meta-")}
    client.put_object(target.bucket, key, io.BytesIO(data), len(data), metadata=kept)


# ---- round trips -------------------------------------------------------------------------------------------------


def test_put_bytes_round_trip(store: ObjectStore):
    stored = store.put_bytes(KEY, BINARY, content_type="image/jpeg", metadata={"role": "original"})

    assert stored == StoredObject(
        key=KEY, size=len(BINARY), sha256=sha256(BINARY), content_type="image/jpeg", metadata={"role": "original"}
    )
    assert store.get_bytes(KEY) == BINARY
    with store.open(KEY) as stream:
        assert stream.read(10) == BINARY[:10]
        assert stream.read() == BINARY[10:]


def test_empty_object(store: ObjectStore):
    stored = store.put_bytes("a/empty.bin", b"")
    assert stored.size == 0 and stored.sha256 == sha256(b"")
    assert store.get_bytes("a/empty.bin") == b""
    assert store.verify("a/empty.bin", sha256(b""))


def test_put_file_round_trip(store: ObjectStore, tmp_path):
    source = tmp_path / "scan.pdf"
    source.write_bytes(BINARY * 3)
    stored = store.put_file(KEY, source, content_type="application/pdf")
    assert stored.sha256 == sha256(BINARY * 3) and stored.size == len(BINARY) * 3
    assert store.get_bytes(KEY) == BINARY * 3


def test_overwrite_replaces_bytes_and_metadata(store: ObjectStore):
    store.put_bytes(KEY, b"first", metadata={"version": "1"})
    store.put_bytes(KEY, b"second", content_type="text/plain", metadata={"version": "2"})
    assert store.get_bytes(KEY) == b"second"
    assert store.stat(KEY) == StoredObject(
        key=KEY, size=6, sha256=sha256(b"second"), content_type="text/plain", metadata={"version": "2"}
    )


def test_large_file_streams_with_bounded_memory(store: ObjectStore, tmp_path, request: pytest.FixtureRequest):
    data = random.Random(20260607).randbytes(12 * MIB)
    source = tmp_path / "big.tif"
    source.write_bytes(data)
    expected = sha256(data)
    del data
    if isinstance(store, S3Store):
        store.part_size = 5 * MIB  # S3's minimum part: the 12 MiB file goes up in 3 parts
        store.parallel_uploads = 1  # sequential parts, so the memory bound below is exact

    tracemalloc.start()
    try:
        stored = store.put_file("big/scan.tif", source, content_type="image/tiff")
        upload_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        assert store.verify("big/scan.tif", expected)
        verify_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert stored.sha256 == expected and stored.size == 12 * MIB
    assert verify_peak < 5 * MIB, f"verify held {verify_peak / MIB:.1f} MiB"  # a few 1 MiB read buffers
    if isinstance(store, FolderStore):
        assert upload_peak < 3 * MIB, f"put_file held {upload_peak / MIB:.1f} MiB"  # 1 MiB chunks
    else:
        # minio holds the part being sent and the next one it reads: two 5 MiB parts, never the 12 MiB file.
        assert upload_peak < 2 * store.part_size + 1 * MIB, f"put_file held {upload_peak / MIB:.1f} MiB"
        target = request.getfixturevalue("s3_store_url")
        etag = target.client().stat_object(target.bucket, "big/scan.tif").etag
        assert etag.endswith("-3"), f"expected a 3-part multipart upload, ETag is {etag}"


# ---- stat, list, exists, delete ----------------------------------------------------------------------------------


def test_stat_reports_size_checksum_type_and_metadata(store: ObjectStore):
    store.put_bytes(KEY, BINARY, content_type="image/jpeg", metadata={"role": "original", "pages": "3"})
    assert store.stat(KEY) == StoredObject(
        key=KEY,
        size=len(BINARY),
        sha256=sha256(BINARY),
        content_type="image/jpeg",
        metadata={"role": "original", "pages": "3"},
    )
    assert store.stat("no/such/key") is None


def test_vietnamese_metadata_survives(store: ObjectStore, request: pytest.FixtureRequest):
    store.put_bytes(KEY, b"x", metadata=VIETNAMESE)
    assert store.stat(KEY).metadata == VIETNAMESE
    if isinstance(store, S3Store):  # and what went over the wire is ASCII
        target = request.getfixturevalue("s3_store_url")
        raw = target.client().stat_object(target.bucket, KEY).metadata
        issuer = raw["x-amz-meta-issuer"]
        assert issuer.isascii() and issuer != VIETNAMESE["issuer"]


def test_metadata_rules(store: ObjectStore):
    for bad in ({"sha256": "forged"}, {"Doc-Id": "1"}, {"doc_id": "1"}, {"x": 1}, {"big": "ệ" * 300}):
        with pytest.raises(ValueError):
            store.put_bytes(KEY, b"x", metadata=bad)
    with pytest.raises(ValueError):
        store.put_bytes(KEY, b"x", content_type="text/plain\r\nX-Injected: 1")
    assert not store.exists(KEY)


def test_list_is_sorted_recursive_and_without_internals(store: ObjectStore):
    keys = ["b/2.txt", "a/1.txt", "a/b/c.txt", "a-b.txt", "a/0.txt", "c.txt", "a/Đơn.pdf", "ab/x"]
    for key in keys:
        store.put_bytes(key, key.encode())
    if isinstance(store, FolderStore):  # an interrupted write leaves a hidden temp file: never a key
        (store.root / "a" / ".tmp-interrupted").write_bytes(b"half")

    assert list(store.list()) == sorted(keys)
    assert list(store.list("a/")) == ["a/0.txt", "a/1.txt", "a/b/c.txt", "a/Đơn.pdf"]
    assert list(store.list("a")) == sorted(k for k in keys if k.startswith("a"))
    assert list(store.list("a/b/")) == ["a/b/c.txt"]
    assert list(store.list("a/b")) == ["a/b/c.txt"]
    assert list(store.list("zzz/")) == []
    assert list(store.list("c.txt")) == ["c.txt"]


def test_list_of_empty_store(store: ObjectStore):
    assert list(store.list()) == []


def test_exists_and_delete(store: ObjectStore):
    assert not store.exists(KEY)
    store.put_bytes(KEY, b"x")
    assert store.exists(KEY)
    store.delete(KEY)
    assert not store.exists(KEY)
    assert list(store.list()) == []
    store.delete(KEY)  # deleting what is gone is not an error


def test_missing_key_raises_object_not_found(store: ObjectStore):
    store.put_bytes("present/one", b"1")
    for missing in ("absent", "present/two", "present/one/deeper"):
        with pytest.raises(ObjectNotFound):
            store.get_bytes(missing)
        with pytest.raises(ObjectNotFound):
            with store.open(missing):
                pass
        with pytest.raises(ObjectNotFound):
            store.verify(missing, sha256(b"1"))
        assert store.stat(missing) is None
    with pytest.raises(ObjectNotFound):  # a "folder" is not an object
        store.get_bytes("present")
    assert store.stat("present") is None and not store.exists("present")
    assert issubclass(ObjectNotFound, StorageError)


@pytest.mark.parametrize(
    "bad_key",
    ["", "/abs/key", "a/../b", "..", "a/./b", "a\\b", "a\x00b", "a\nb", "a//b", "a/", ".meta/x.json", "a/.hidden"],
)
def test_bad_keys_are_refused(store: ObjectStore, bad_key: str):
    for operation in (
        lambda: store.put_bytes(bad_key, b"x"),
        lambda: store.get_bytes(bad_key),
        lambda: store.stat(bad_key),
        lambda: store.exists(bad_key),
        lambda: store.verify(bad_key, sha256(b"x")),
        lambda: store.delete(bad_key),
    ):
        with pytest.raises(ValueError):
            operation()
    with pytest.raises(ValueError):
        with store.open(bad_key):
            pass


@pytest.mark.parametrize("bad_prefix", ["/a", "../", "a/../", "a\\", "a\x00", ".meta/"])
def test_bad_prefixes_are_refused(store: ObjectStore, bad_prefix: str):
    with pytest.raises(ValueError):
        list(store.list(bad_prefix))


# ---- integrity ---------------------------------------------------------------------------------------------------


def test_verify_detects_a_changed_object(store: ObjectStore, request: pytest.FixtureRequest):
    stored = store.put_bytes(KEY, BINARY)
    assert store.verify(KEY, stored.sha256)
    assert store.verify(KEY, stored.sha256.upper())
    assert not store.verify(KEY, sha256(b"something else"))

    overwrite_behind_the_store(store, request, KEY, BINARY[:-1] + b"\x00")

    assert store.stat(KEY).sha256 == stored.sha256  # the record still claims the old checksum...
    assert not store.verify(KEY, stored.sha256)  # ...and verify catches the bytes that changed under it


def test_a_source_that_changes_mid_write_is_never_committed(store: ObjectStore):
    """The reader feeding a backend knows the size and hash measured before; a mismatch aborts the write."""
    original = b"A" * 1000
    for changed in (b"B" * 1000, b"A" * 999, b"A" * 1001):
        reader = HashingReader(io.BytesIO(changed), len(original), sha256(original))
        metadata = {"sha256": sha256(original)}
        with pytest.raises(SourceChanged):
            store._write("changing/source", reader, len(original), "application/octet-stream", metadata)
            reader.finish()
        assert not store.exists("changing/source")
        assert list(store.list()) == []
    assert issubclass(SourceChanged, ChecksumMismatch)


def test_put_reads_back_what_it_wrote(tmp_path):
    """A backend that corrupts bytes on the way to disk: put_bytes must not report the copy as stored."""

    class BitFlippingFolder(FolderStore):
        def _write(self, key, source, size, content_type, metadata):
            super()._write(key, source, size, content_type, metadata)
            path = self._object_path(key)
            path.write_bytes(bytes([path.read_bytes()[0] ^ 1]) + path.read_bytes()[1:])

    with pytest.raises(ChecksumMismatch):
        BitFlippingFolder(tmp_path / "store").put_bytes(KEY, BINARY)


def test_folder_layout(tmp_path):
    root = tmp_path / "not-yet-there"
    store = FolderStore(root)
    store.put_bytes(KEY, b"bytes", content_type="image/jpeg", metadata={"issuer": "Bộ Nội vụ"})
    assert (root / KEY).read_bytes() == b"bytes"
    sidecar = json.loads((root / ".meta" / f"{KEY}.json").read_text(encoding="utf-8"))
    assert sidecar == {"content_type": "image/jpeg", "sha256": sha256(b"bytes"), "metadata": {"issuer": "Bộ Nội vụ"}}
    leftovers = [p for p in root.rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []


# ---- URLs, settings, the server --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["ftp://host/x", "file://relative/dir", "file:", "s3://", "s3://Bad_Bucket", "s3://bucket/path", "s3://k:s@bucket"],
)
def test_open_store_refuses_bad_urls(url: str):
    with pytest.raises(ValueError) as refused:
        open_store(url, endpoint="127.0.0.1:1")
    assert "k:s" not in str(refused.value)


def test_s3_store_needs_an_endpoint():
    with pytest.raises(ValueError, match="endpoint"):
        open_store("s3://archive")


def test_folder_url_round_trips(tmp_path):
    store = open_store((tmp_path / "kho lưu trữ").as_uri())
    assert isinstance(store, FolderStore) and store.root == tmp_path / "kho lưu trữ"
    assert open_store(store.url).root == store.root


def test_store_from_settings_folder_default(tmp_path, monkeypatch):
    monkeypatch.delenv("SOHOA_STORE_URL", raising=False)
    store = store_from_settings(Settings(home=tmp_path))
    assert isinstance(store, FolderStore) and store.root == tmp_path / "store"


def test_store_from_settings_s3(s3_store_url, monkeypatch):
    for name, value in s3_store_url.env().items():
        monkeypatch.setenv(name, value)
    store = store_from_settings(Settings())
    assert isinstance(store, S3Store) and store.url == s3_store_url.url
    store.put_bytes("hello.txt", "xin chào".encode())
    assert store.get_bytes("hello.txt") == "xin chào".encode()


def test_s3_bucket_is_created_with_versioning(s3_store_url):
    store = open_store(s3_store_url.url, **s3_store_url.store_options())
    store.put_bytes("k", b"v")
    assert s3_store_url.client().get_bucket_versioning(s3_store_url.bucket).status == "Enabled"


def test_s3_unreachable_server_is_reported_quickly():
    with socket.socket() as placeholder:  # a port nothing listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    store = open_store("s3://archive", endpoint=f"127.0.0.1:{port}", access_key="ak", secret_key="very-secret-key")
    for operation in (lambda: store.put_bytes(KEY, b"x"), lambda: store.stat(KEY), lambda: list(store.list())):
        started = time.monotonic()
        with pytest.raises(StorageUnavailable) as unavailable:
            operation()
        assert time.monotonic() - started < 5
        assert f"127.0.0.1:{port}" in str(unavailable.value)
        assert "very-secret-key" not in str(unavailable.value)


def test_s3_store_survives_a_server_crash(s3_server, s3_store_url):
    """What later tests rely on: kill the server, start it on the same ports and data, the store carries on."""
    store = open_store(s3_store_url.url, **s3_store_url.store_options())
    stored = store.put_bytes(KEY, BINARY)
    s3_server.kill()
    with pytest.raises(StorageUnavailable):
        store.stat(KEY)
    s3_server.start()
    assert store.verify(KEY, stored.sha256)
    store.put_bytes("after/restart", b"ok")
    assert list(store.list()) == sorted([KEY, "after/restart"])
