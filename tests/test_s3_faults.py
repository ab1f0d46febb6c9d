"""The S3 server going away mid-ingest, and encryption at rest, against real SeaweedFS processes. No mocks."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time

import pytest
from _fixtures import AGENCY, fast_store_retries, object_versions, sample_folder, samples_named, set_env
from s3server import SeaweedServer

from archive.audit import run_audit
from archive.ingest import ingest_paths
from catalog import Catalog
from schemas.settings import get_settings
from storage import StorageUnavailable, layout, open_store, store_from_settings

SAMPLES = ("001-quyet-dinh.jpg", "004-giay-tiep-nhan.pdf")


class KillAfterFirstWrite:
    """The store a stage gets, which crashes the S3 server right after the first object is stored and verified,
    and has it restarted (same ports, same data) `down_for` seconds later by another thread."""

    def __init__(self, store, server: SeaweedServer, down_for: float = 3.0):
        self._store = store
        self._server = server
        self._down_for = down_for
        self.killed_after: str | None = None
        self.restarter: threading.Thread | None = None

    def __getattr__(self, name):
        return getattr(self._store, name)

    def _after_write(self, key: str) -> None:
        if self.killed_after is not None:
            return
        self.killed_after = key
        self._server.kill()

        def restart() -> None:
            time.sleep(self._down_for)
            self._server.start()

        self.restarter = threading.Thread(target=restart, name="restart-seaweedfs")
        self.restarter.start()

    def put_file_once(self, key, *args, **kwargs):
        stored = self._store.put_file_once(key, *args, **kwargs)
        self._after_write(key)
        return stored

    def put_file(self, key, *args, **kwargs):
        stored = self._store.put_file(key, *args, **kwargs)
        self._after_write(key)
        return stored

    def put_bytes(self, key, *args, **kwargs):
        stored = self._store.put_bytes(key, *args, **kwargs)
        self._after_write(key)
        return stored


def test_server_killed_mid_ingest_the_run_completes_with_nothing_lost_or_doubled(
    sample_dossier, sohoa_home, s3_server, s3_store_url, monkeypatch, tmp_path
):
    set_env(monkeypatch, s3_store_url.env())
    folder = sample_folder(sample_dossier, tmp_path, SAMPLES)
    inputs = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in folder.iterdir()}
    killer: list[KillAfterFirstWrite] = []
    attempts: list[str] = []

    def wrap(store):
        if not killer:
            killer.append(KillAfterFirstWrite(store, s3_server))
        return killer[0]

    try:
        reports = ingest_paths([str(folder)], agency=AGENCY, run=fast_store_retries(wrap_store=wrap, attempts=attempts))
    finally:
        if killer and killer[0].restarter is not None:
            killer[0].restarter.join(60)
    assert s3_server.running

    # The server really died after the first object of the dossier, and the store stage had to try again.
    assert killer[0].killed_after.endswith(".001/original.jpg")
    first_id = reports[0].id
    assert attempts.count(first_id) >= 2, attempts

    # Every document archived once, each object where meta.json says with the right SHA-256.
    assert [report.status.value for report in reports] == ["archived", "archived"], reports
    store = store_from_settings(get_settings())
    client = s3_store_url.client()
    versions = object_versions(client, s3_store_url.bucket)
    assert len(versions) == 4 * len(SAMPLES)
    assert set(versions.values()) == {1}, versions  # no object written twice (no retried upload stacked up)
    for report, sample in zip(reports, samples_named(sample_dossier, SAMPLES)):
        assert report.doc_type.value == sample.doc_type
        assert store.get_bytes(report.keys[layout.ORIGINAL]) == sample.path.read_bytes()
        assert store.stat(report.keys[layout.ORIGINAL]).lock.active()
        meta = store.get_bytes(report.keys[layout.META])
        for role, stored in json.loads(meta)["objects"].items():
            assert hashlib.sha256(store.get_bytes(stored["key"])).hexdigest() == stored["sha256"], role

    # The inputs were never touched.
    assert {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in folder.iterdir()} == inputs

    catalog = Catalog.from_settings(get_settings())
    try:
        assert catalog.ids() == {report.id for report in reports}
    finally:
        catalog.close()
    audit = run_audit()
    assert audit.problems == 0 and audit.checked == audit.ok == 4 * len(SAMPLES)


def test_ingest_while_the_server_is_down_quarantines_with_the_input_untouched(
    sample_dossier, sohoa_home, s3_server, s3_store_url, monkeypatch, tmp_path
):
    """When the server does not come back within the retries, the document is reported, never 'archived'."""
    set_env(monkeypatch, s3_store_url.env())
    folder = sample_folder(sample_dossier, tmp_path, ("001-quyet-dinh.jpg",))
    before = (folder / "001-quyet-dinh.jpg").read_bytes()

    class KillBeforeWriting:
        def __init__(self, store):
            self._store = store

        def __getattr__(self, name):
            if name.startswith("put"):
                s3_server.kill()
            return getattr(self._store, name)

    try:
        reports = ingest_paths(
            [str(folder)], agency=AGENCY, run=fast_store_retries(retries=2, delay=0.1, wrap_store=KillBeforeWriting)
        )
    finally:
        s3_server.ensure_running()
    assert reports[0].status.value == "quarantined"
    assert "storage_unavailable" in reports[0].error
    assert (folder / "001-quyet-dinh.jpg").read_bytes() == before
    catalog = Catalog.from_settings(get_settings())
    try:
        assert catalog.ids() == set()
    finally:
        catalog.close()


# ---- encryption at rest ------------------------------------------------------------------------------------------


def test_sse_without_a_server_key_fails_with_a_hint(s3_store_url):
    """SeaweedFS with no SSE key configured answers SSE-S3 uploads with HTTP 500 InternalError."""
    store = open_store(s3_store_url.url, **s3_store_url.store_options(), sse=True)
    with pytest.raises(StorageUnavailable) as failed:
        store.put_bytes("a/secret.bin", b"x")
    assert "SOHOA_S3_SSE" in str(failed.value)
    assert not store.exists("a/secret.bin")


def test_sse_is_requested_and_honoured_by_a_server_with_a_key(tmp_path_factory, request):
    server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs-sse"), environment={"WEED_S3_SSE_KEY": "5a" * 32})
    request.addfinalizer(lambda: server.stop(timeout=3))
    server.start()
    store = open_store(
        "s3://encrypted-archive",
        endpoint=server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
        sse=True,
    )
    data = bytes(range(256)) * 100
    stored = store.put_bytes("a/original.jpg", data, content_type="image/jpeg")  # read back and checked
    assert store.get_bytes("a/original.jpg") == data and store.verify("a/original.jpg", stored.sha256)
    headers = server.client().stat_object("encrypted-archive", "a/original.jpg").metadata
    assert headers.get("x-amz-server-side-encryption") == "AES256"
    # Multipart uploads are encrypted too.
    store.part_size = 5 * 1024 * 1024
    big = tmp_path_factory.mktemp("big") / "scan.tif"
    big.write_bytes(io.BytesIO(b"s" * (6 * 1024 * 1024)).getvalue())
    store.put_file("a/scan.tif", big)
    assert (
        server.client().stat_object("encrypted-archive", "a/scan.tif").metadata.get("x-amz-server-side-encryption")
        == "AES256"
    )


def test_sse_setting(monkeypatch, s3_store_url):
    set_env(monkeypatch, {**s3_store_url.env(), "SOHOA_S3_SSE": "1"})
    assert store_from_settings(get_settings()).sse is True
    monkeypatch.delenv("SOHOA_S3_SSE")
    assert store_from_settings(get_settings()).sse is False
