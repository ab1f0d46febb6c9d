"""Fixity audits: `sohoa verify` re-hashes every copy, names what is missing, corrupt or orphaned, and with a
replica `--repair` restores it. Real SeaweedFS, real folders, real ingest; no mocks."""

from __future__ import annotations

import io
import json
import os
import random

from _fixtures import AGENCY, DOSSIER, archive_synthetic, sample_folder, samples_named, set_env, sha256
from conftest import run_sohoa

from archive.audit import run_audit
from archive.ingest import ingest_paths
from archive.reindex import rebuild_catalog
from catalog import Catalog
from schemas.settings import get_settings
from storage import MirroredStore, layout, open_store, store_from_settings

SAMPLE = "001-quyet-dinh.jpg"


def verify(*args: str) -> tuple[int, dict]:
    completed = run_sohoa("verify", "--json", *args)
    return completed.returncode, json.loads(completed.stdout)


def flip_one_byte_through_the_s3_api(target, key: str) -> bytes:
    """Rewrite the object with one byte changed, keeping its metadata (recorded SHA-256 included): with
    versioning this is a new current version, which is what a reader of a corrupted copy gets."""
    client = target.client()
    response = client.get_object(target.bucket, key)
    try:
        data = bytearray(response.read())
    finally:
        response.close()
        response.release_conn()
    data[len(data) // 2] ^= 0x01
    old = client.stat_object(target.bucket, key)
    kept = {name: value for name, value in old.metadata.items() if name.lower().startswith("x-amz-meta-")}
    client.put_object(
        target.bucket, key, io.BytesIO(bytes(data)), len(data), content_type=old.content_type, metadata=kept
    )
    return bytes(data)


def test_a_flipped_byte_is_named_and_repaired_from_the_replica(
    sample_dossier, sohoa_home, s3_store_url, monkeypatch, tmp_path
):
    replica_root = tmp_path / "replica"
    set_env(monkeypatch, {**s3_store_url.env(), "SOHOA_REPLICA_URL": replica_root.as_uri()})
    folder = sample_folder(sample_dossier, tmp_path, (SAMPLE,))
    [report] = ingest_paths([str(folder)], agency=AGENCY)
    assert report.status.value == "archived"
    original_key = report.keys[layout.ORIGINAL]
    sample_bytes = samples_named(sample_dossier, (SAMPLE,))[0].path.read_bytes()

    # Both copies were written and verified.
    store = store_from_settings(get_settings())
    assert isinstance(store, MirroredStore)
    primary, replica = store.copies
    assert sorted(primary.list()) == sorted(replica.list()) == sorted(report.keys.values())
    assert (replica_root / original_key).read_bytes() == sample_bytes

    code, clean = verify()
    assert code == 0, clean
    assert clean["checked"] == clean["ok"] == 8 and clean["problems"] == 0
    assert clean["stores"] == [s3_store_url.url, replica_root.as_uri()]

    flipped = flip_one_byte_through_the_s3_api(s3_store_url, original_key)

    code, found = verify()
    assert code == 1
    assert found["ok"] == found["checked"] - 1
    [corrupt] = found["corrupt"]
    assert corrupt["key"] == original_key and corrupt["store"] == s3_store_url.url and corrupt["role"] == "original"
    assert corrupt["expected_sha256"] == report.sha256 and corrupt["actual_sha256"] == sha256(flipped)
    assert found["missing"] == found["orphaned"] == [] and not corrupt["repaired"]

    code, repaired = verify("--repair")
    assert code == 0, repaired
    assert [issue["key"] for issue in repaired["repaired"]] == [original_key]
    assert repaired["repaired"][0]["detail"] == f"restored from {replica_root.as_uri()}"

    code, after = verify()
    assert code == 0 and after["problems"] == 0 and after["ok"] == after["checked"]
    assert primary.get_bytes(original_key) == sample_bytes
    assert primary.stat(original_key).lock.active()  # the restored version is under retention again

    # The repair is on record: a `verified` event in meta.json (both copies) and in the catalog.
    for copy in (primary, replica):
        events = json.loads(copy.get_bytes(report.keys[layout.META]))["events"]
        assert [event["type"] for event in events][-2:] == ["archived", "verified"]
        assert "repaired: original corrupt on " + s3_store_url.url in events[-1]["detail"]
    catalog = Catalog.from_settings(get_settings())
    try:
        assert catalog.get(report.id).events[-1].type.value == "verified"
        history = catalog.audits()
        assert [audit["problems"] for audit in history] == [0, 0, 1, 0]  # newest first
    finally:
        catalog.close()
    assert len(list(primary.list("_audits/"))) == 4


def test_missing_replica_objects_are_restored_and_orphans_reported(tmp_path, monkeypatch):
    primary_root, replica_root = tmp_path / "primary", tmp_path / "replica"
    set_env(
        monkeypatch,
        {
            "SOHOA_HOME": str(tmp_path / "home"),
            "SOHOA_STORE_URL": primary_root.as_uri(),
            "SOHOA_REPLICA_URL": replica_root.as_uri(),
        },
    )
    store = store_from_settings(get_settings())
    archived = [archive_synthetic(store, tmp_path / "work", f"scan {n}".encode() * 500, ordinal=n) for n in (1, 2)]
    catalog = Catalog.from_settings(get_settings())
    try:
        for item in archived:
            catalog.record(item.document, item.keys, ["trang một"])
    finally:
        catalog.close()

    lost = archived[0].keys[layout.ARCHIVE]
    (replica_root / lost).unlink()  # a disk of the replica lost a file
    original = archived[1].keys[layout.ORIGINAL]
    os.chmod(replica_root / original, 0o644)
    (replica_root / original).write_bytes(b"bit rot")  # and another rotted (read-only is no defence for root)
    open_store(primary_root.as_uri()).put_bytes(f"{AGENCY}/2026/{DOSSIER}/stray.bin", b"left over")

    report = run_audit()
    assert [(issue.key, issue.store) for issue in report.missing] == [(lost, replica_root.as_uri())]
    assert [(issue.key, issue.store) for issue in report.corrupt] == [(original, replica_root.as_uri())]
    assert [issue.key for issue in report.orphaned] == [f"{AGENCY}/2026/{DOSSIER}/stray.bin"]
    assert report.problems == 3

    repaired = run_audit(repair=True)
    assert sorted(issue.key for issue in repaired.repaired) == sorted([lost, original])
    assert repaired.problems == 1  # the orphan is reported, never deleted
    assert (replica_root / lost).read_bytes() == (primary_root / lost).read_bytes()
    assert (replica_root / original).read_bytes() == (primary_root / original).read_bytes()
    assert oct(os.stat(replica_root / original).st_mode & 0o777) == "0o444"
    assert open_store(replica_root.as_uri()).stat(original).lock.active()
    assert run_audit().problems == 1


def test_models_and_dossier_records_are_not_orphans(tmp_path, monkeypatch):
    set_env(monkeypatch, {"SOHOA_HOME": str(tmp_path / "home"), "SOHOA_STORE_URL": (tmp_path / "store").as_uri()})
    store = store_from_settings(get_settings())
    archived = archive_synthetic(store, tmp_path / "work", b"scan" * 500, ordinal=1)
    catalog = Catalog.from_settings(get_settings())
    try:
        catalog.record(archived.document, archived.keys, ["trang một"])
    finally:
        catalog.close()
    # What the classifier and the dossier records keep in the store beside the documents.
    store.put_bytes(f"{layout.MODELS_PREFIX}classifier/latest.json", b"{}")
    store.put_bytes(f"{AGENCY}/2026/{DOSSIER}/{layout.DOSSIER_NAME}", b"{}")
    store.put_bytes(f"{AGENCY}/2026/{DOSSIER}/stray.bin", b"left over")
    report = run_audit()
    assert [issue.key for issue in report.orphaned] == [f"{AGENCY}/2026/{DOSSIER}/stray.bin"]


def test_catalog_and_store_disagreements(tmp_path, monkeypatch):
    set_env(monkeypatch, {"SOHOA_HOME": str(tmp_path / "home"), "SOHOA_STORE_URL": (tmp_path / "store").as_uri()})
    store = store_from_settings(get_settings())
    in_store = archive_synthetic(store, tmp_path / "work", b"only in the store" * 100)
    ghost = archive_synthetic(
        open_store((tmp_path / "elsewhere").as_uri()), tmp_path / "work", b"ghost" * 100, ordinal=2
    )
    catalog = Catalog.from_settings(get_settings())
    try:
        catalog.record(ghost.document, ghost.keys, ["không có trong kho"])
    finally:
        catalog.close()

    report = run_audit()
    assert [issue.document for issue in report.not_in_catalog] == [in_store.document.id]
    assert [(issue.document, issue.store) for issue in report.missing] == [(ghost.document.id, "catalog")]
    assert report.problems == 2

    repaired = run_audit(repair=True)
    assert repaired.not_in_catalog[0].repaired and repaired.problems == 1  # the ghost cannot be conjured up
    catalog = Catalog.from_settings(get_settings())
    try:
        assert catalog.get(in_store.document.id) == in_store.document
        assert catalog.search("chuyen muc dich").hits[0].id == in_store.document.id
    finally:
        catalog.close()


def test_sampling_checks_a_share_of_the_documents(tmp_path, monkeypatch):
    set_env(monkeypatch, {"SOHOA_HOME": str(tmp_path / "home"), "SOHOA_STORE_URL": (tmp_path / "store").as_uri()})
    store = store_from_settings(get_settings())
    for n in range(1, 11):
        archive_synthetic(store, tmp_path / "work", f"document {n}".encode() * 100, ordinal=n, retention=None)
    catalog = Catalog.from_settings(get_settings())
    try:
        assert rebuild_catalog(store, catalog).documents == 10
    finally:
        catalog.close()
    report = run_audit(sample_pct=30, rng=random.Random(4))
    assert report.documents == 10 and report.sampled == 3 and report.checked == 3 * 4
    # Not-sampled documents are not called orphans, and bytes of a sampled one still get checked.
    assert report.problems == 0 and report.ok == report.checked
    code, payload = verify("--sample", "10")
    assert code == 0 and payload["sampled"] == 1
    assert run_sohoa("verify", "--sample", "0").returncode == 2  # usage error: a share must be above 0


def test_the_fixity_audit_flow_keeps_a_history_and_fails_on_problems(tmp_path, monkeypatch, prefect_harness):
    from flows.audit import fixity_audit

    set_env(monkeypatch, {"SOHOA_HOME": str(tmp_path / "home"), "SOHOA_STORE_URL": (tmp_path / "store").as_uri()})
    monkeypatch.delenv("SOHOA_REPLICA_URL", raising=False)
    store = store_from_settings(get_settings())
    archived = archive_synthetic(store, tmp_path / "work", b"weekly" * 100, retention=None)
    catalog = Catalog.from_settings(get_settings())
    try:
        catalog.record(archived.document, archived.keys, ["trang"])
    finally:
        catalog.close()

    healthy = fixity_audit(return_state=True)
    assert healthy.is_completed()
    assert healthy.result()["problems"] == 0

    (tmp_path / "store" / archived.keys[layout.OCR]).write_bytes(b"{}")
    broken = fixity_audit(return_state=True)
    assert broken.is_failed()

    catalog = Catalog.from_settings(get_settings())
    try:
        history = catalog.audits()
    finally:
        catalog.close()
    assert [audit["problems"] for audit in history] == [1, 0]
    assert history[0]["corrupt"][0]["key"] == archived.keys[layout.OCR]
    stored = sorted(store.list("_audits/"))
    assert [key.removeprefix("_audits/").removesuffix(".json") for key in stored] == sorted(a["id"] for a in history)
    assert json.loads(store.get_bytes(stored[-1]))["id"] == max(a["id"] for a in history)


def test_prefect_yaml_schedules_a_weekly_audit_and_keeps_ingest():
    from pathlib import Path

    import yaml

    config = yaml.safe_load((Path(__file__).parents[1] / "prefect.yaml").read_text())
    deployments = {deployment["name"]: deployment for deployment in config["deployments"]}
    assert deployments["ingest"]["entrypoint"] == "flows/ingest.py:ingest_dossier"
    audit = deployments["fixity-audit"]
    assert audit["entrypoint"] == "flows/audit.py:fixity_audit"
    [schedule] = audit["schedules"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert day == month == "*" and weekday != "*"  # once a week
    assert schedule["timezone"] == "Asia/Ho_Chi_Minh"
