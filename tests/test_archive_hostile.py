"""The archive against careless and hostile conditions (issue 10): two ingests of one dossier at once, ordinals
that clashed before, temporary files of a killed run, a full disk under the catalog, credentials written into
the S3 endpoint. Real processes, real files, a real (tiny) file system; no mocks."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import threading
import time
import traceback
import uuid
from pathlib import Path

import pytest
from _fixtures import AGENCY, archive_synthetic
from _legacy import as_before_migrations
from _pages import MARKERS, write_png
from conftest import run_sohoa, sohoa_command

from archive.reindex import rebuild_catalog
from catalog import Catalog
from schemas.settings import get_settings
from storage import layout, open_store, store_from_settings

ROUNDS = 20
DOSSIER_STEM = "000.00.00.H33-240101-"


def _stored_ordinals(store, dossier: str) -> list[int]:
    """The ordinal in every meta.json of a dossier: what the archive itself says, whatever the catalog holds."""
    found = []
    for key in store.list(f"{AGENCY}/"):
        if layout.is_meta_key(key) and f"/{dossier}/" in key:
            found.append(json.loads(store.get_bytes(key))["ordinal"])
    return sorted(found)


def _ingest_rounds(files: list[str], barrier, failures) -> None:
    """One of two ingesting processes: round after round, its file into that round's dossier, started at the same
    moment as the other process's file (the barrier)."""
    from archive.ingest import ingest_paths

    try:
        for number, path in enumerate(files):
            barrier.wait(timeout=120)
            [report] = ingest_paths([path], dossier=f"{DOSSIER_STEM}{number:04d}", agency=AGENCY)
            if report.status.value != "archived":
                failures.put(f"round {number}: {report.status.value} {report.error}")
    except Exception as error:  # reported to the test, which fails with it
        failures.put(f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=-8)}")


def test_two_ingests_into_one_dossier_at_once_never_share_an_ordinal(sohoa_home, tmp_path, monkeypatch):
    monkeypatch.setenv("SOHOA_OCR_LANG", "eng")
    monkeypatch.setenv("SOHOA_OCR_WORKERS", "1")
    files = {side: [] for side in ("left", "right")}
    for number in range(ROUNDS):
        for side, marker in zip(files, (MARKERS[number % 8], MARKERS[(number + 3) % 8])):
            path = write_png(tmp_path / f"{side}-{number:02d}.png", f"{marker} {side} {number}")
            files[side].append(str(path))

    context = multiprocessing.get_context("spawn")
    barrier, failures = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_ingest_rounds, args=(files[side], barrier, failures)) for side in files]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
    hung = [worker for worker in workers if worker.is_alive()]
    for worker in hung:
        worker.kill()
    assert not hung, "an ingest process hung"
    problems = []
    while not failures.empty():
        problems.append(failures.get())
    assert not problems, problems

    store = store_from_settings(get_settings())
    catalog = Catalog.from_settings(get_settings())
    try:
        for number in range(ROUNDS):
            dossier = f"{DOSSIER_STEM}{number:04d}"
            assert _stored_ordinals(store, dossier) == [1, 2], f"round {number}"
            assert sorted(document.ordinal for document in catalog.dossier_documents(dossier)) == [1, 2]
    finally:
        catalog.close()


def test_opening_a_catalog_while_another_process_creates_it_waits_its_turn(tmp_path):
    """Switching a new SQLite file to WAL while another connection is writing it deadlocks, and SQLite answers
    SQLITE_BUSY at once, whatever the busy timeout (CI saw two ingests on a new archive fail so): the opener tries
    again until the writer is done. The writer is held open here so the clash happens every time."""
    path = tmp_path / "catalog.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE creating (x)")  # a new file, still in rollback-journal mode
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of creating the catalog

    # (It ends leaving the file empty of tables, so the opener then creates the catalog itself: a file holding a
    # table but no schema revision would be an older catalog, refused.)
    def finish() -> None:
        writer.execute("DROP TABLE creating")
        writer.execute("COMMIT")

    done = threading.Timer(0.5, finish)
    done.start()
    try:
        catalog = Catalog(f"sqlite:///{path}")
        assert catalog.ids() == set()
        catalog.close()
    finally:
        done.join()
        writer.close()


def test_two_sohoa_ingest_commands_at_once_on_a_new_archive(sohoa_home, tmp_path):
    """The command as clerks' scripts run it, twice at the same moment, on an archive not yet created: both
    succeed (neither trips over the other creating the catalog) and take different ordinals."""
    dossier = f"{DOSSIER_STEM}9999"
    pages = [write_png(tmp_path / f"{name}.png", name) for name in ("Kilo", "Lima")]
    env = {**os.environ, "SOHOA_OCR_LANG": "eng", "SOHOA_OCR_WORKERS": "1"}
    commands = [
        subprocess.Popen(
            [*sohoa_command(), "ingest", str(page), "--dossier", dossier, "--agency", AGENCY, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for page in pages
    ]
    outcomes = [command.communicate(timeout=300) for command in commands]
    for command, (_stdout, stderr) in zip(commands, outcomes):
        assert command.returncode == 0, stderr
        assert "Traceback" not in stderr and "OperationalError" not in stderr
    keys = [json.loads(stdout)["documents"][0]["keys"]["meta"] for stdout, _ in outcomes]
    assert sorted(key.split("/")[-2] for key in keys) == [f"{dossier}.001", f"{dossier}.002"]
    assert _stored_ordinals(store_from_settings(get_settings()), dossier) == [1, 2]


def test_a_catalog_from_before_ordinals_is_migrated_and_keeps_its_numbers(sohoa_home, tmp_path, monkeypatch):
    monkeypatch.setenv("SOHOA_OCR_LANG", "eng")
    dossier = f"{DOSSIER_STEM}0500"
    store = store_from_settings(get_settings())
    for ordinal in (1, 2):
        archive_synthetic(store, tmp_path / "work", f"document {ordinal}".encode(), dossier=dossier, ordinal=ordinal)
    catalog = Catalog.from_settings(get_settings())
    rebuild_catalog(store, catalog)
    catalog.close()
    # What the code before this change made: the same tables, without `ordinals`.
    with sqlite3.connect(sohoa_home / "catalog.db") as database:
        database.execute("DROP TABLE IF EXISTS ordinals")
    as_before_migrations(sohoa_home / "catalog.db")
    refused = run_sohoa("search", "document", env={"SOHOA_HOME": str(sohoa_home)})
    assert refused.returncode == 1 and "sohoa migrate" in refused.stderr  # refused as it is, nothing changed
    assert run_sohoa("migrate", env={"SOHOA_HOME": str(sohoa_home)}).returncode == 0

    from archive.ingest import ingest_paths

    [report] = ingest_paths([str(write_png(tmp_path / "later.png", "Mike"))], dossier=dossier, agency=AGENCY)

    assert report.status.value == "archived"
    assert f"/{dossier}.003/" in report.keys["meta"]
    assert run_sohoa("reindex", env={"SOHOA_HOME": str(sohoa_home)}).returncode == 0


def test_verify_names_a_duplicate_ordinal_made_before(sohoa_home, tmp_path):
    """What two concurrent ingests left before ordinals were reserved: ordinal 1 twice, one document in `.001`,
    the other in its id folder. `verify` names it; `reindex` still rebuilds the catalog."""
    dossier = f"{DOSSIER_STEM}0600"
    store = store_from_settings(get_settings())
    first = archive_synthetic(store, tmp_path / "work", b"first scan", dossier=dossier, ordinal=1)
    second = archive_synthetic(store, tmp_path / "work", b"second scan", dossier=dossier, ordinal=1)
    assert f"/{dossier}.001/" in first.keys["meta"] and f"/{second.document.id}/" in second.keys["meta"]
    assert run_sohoa("reindex").returncode == 0

    completed = run_sohoa("verify", "--json")

    assert completed.returncode == 1
    report = json.loads(completed.stdout)
    [issue] = report["duplicate_ordinal"]
    assert issue["document"] == second.document.id and issue["key"] == second.keys["meta"]
    assert first.document.id in issue["detail"] and "ordinal 1" in issue["detail"]
    assert report["problems"] == 1
    plain = run_sohoa("verify")
    assert "duplicate_ordinal" in plain.stdout and "duplicate ordinal 1" in plain.stderr


def _backdate(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_a_killed_runs_temporary_files_are_reported_then_removed_by_repair(sohoa_home, tmp_path):
    store = store_from_settings(get_settings())
    archived = archive_synthetic(store, tmp_path / "work", b"a scan", dossier=f"{DOSSIER_STEM}0700")
    assert run_sohoa("reindex").returncode == 0
    root = sohoa_home / "store"
    folder = root / archived.keys["archive"].rpartition("/")[0]
    # What `FolderStore._write` leaves when its process is killed: half an object, and a sidecar, under .tmp-*.
    stale_object = folder / f".tmp-{uuid.uuid4().hex}"
    stale_object.write_bytes(b"%PDF-1.7 half written")
    stale_sidecar = root / ".meta" / archived.keys["archive"].rpartition("/")[0] / f".tmp-{uuid.uuid4().hex}"
    stale_sidecar.write_text('{"content_type": "appl')
    for path in (stale_object, stale_sidecar):
        _backdate(path, hours=2)
    running = folder / f".tmp-{uuid.uuid4().hex}"  # a write in progress right now: never touched
    running.write_bytes(b"being written")

    completed = run_sohoa("verify", "--json")

    assert completed.returncode == 1
    reported = {issue["key"] for issue in json.loads(completed.stdout)["leftover_temporary"]}
    assert reported == {stale_object.relative_to(root).as_posix(), stale_sidecar.relative_to(root).as_posix()}
    assert stale_object.exists() and stale_sidecar.exists()  # reported only

    repaired = run_sohoa("verify", "--repair", "--json")

    assert repaired.returncode == 0, repaired.stderr
    assert all(issue["repaired"] for issue in json.loads(repaired.stdout)["leftover_temporary"])
    assert not stale_object.exists() and not stale_sidecar.exists()
    assert running.exists()
    again = json.loads(run_sohoa("verify", "--json").stdout)
    assert again["leftover_temporary"] == [] and again["problems"] == 0


def test_an_s3_upload_a_killed_run_never_completed_is_reported_and_aborted(s3_store_url, tmp_path):
    from storage.fixity import audit

    store = open_store(s3_store_url.url, **s3_store_url.store_options())
    store.put_bytes("seed/object.txt", b"the bucket exists")  # the first write creates the bucket
    client = s3_store_url.client()
    upload_id = client._create_multipart_upload(s3_store_url.bucket, "000.00.00.H33/2026/x/original.tif", {})

    [leftover] = store.leftovers(older_than=0)
    assert leftover.name == "000.00.00.H33/2026/x/original.tif" and leftover.handle == upload_id
    assert store.leftovers() == []  # younger than an hour: perhaps still being written

    report, _ = audit(store, repair=True, leftover_age_seconds=0)

    [issue] = report.leftover_temporary
    assert issue.repaired and issue.key == leftover.name
    assert store.leftovers(older_than=0) == []


def _mount_tiny_filesystem(mount_point: Path) -> None:
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a full disk is reproduced on a tiny tmpfs, which only root may mount")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")


def _fill(folder: Path) -> None:
    """Take every byte left on the file system (the catalog, its WAL and index files already there)."""
    try:
        with open(folder / "filler", "wb") as out:
            while True:
                out.write(b"\0" * 1024)
                out.flush()
    except OSError:
        pass
    assert os.statvfs(folder).f_bavail == 0


def test_verify_on_a_full_disk_is_a_named_failure(sohoa_home, tmp_path, monkeypatch):
    full = tmp_path / "full"
    _mount_tiny_filesystem(full)
    try:
        monkeypatch.setenv("SOHOA_CATALOG_URL", f"sqlite:///{full / 'catalog.db'}")
        store = store_from_settings(get_settings())
        archive_synthetic(store, tmp_path / "work", b"a scan", dossier=f"{DOSSIER_STEM}0800")
        assert run_sohoa("reindex").returncode == 0
        _fill(full)

        as_json = run_sohoa("verify", "--json")
        plain = run_sohoa("verify")

        assert as_json.returncode == 1 and plain.returncode == 1
        assert json.loads(as_json.stdout)["error"].startswith("disk_full: ")
        for completed in (as_json, plain):
            output = completed.stdout + completed.stderr
            assert "disk_full" in output and "Ổ đĩa" in output
            assert "OperationalError" not in output and "Traceback" not in output
            assert "SELECT" not in output and "INSERT" not in output
    finally:
        subprocess.run(["umount", "-l", str(full)], check=False)


SECRET = "Pa55-w0rd-S3cret"


@pytest.mark.parametrize(
    "variables",
    [
        {"SOHOA_STORE_URL": "s3://archive", "SOHOA_S3_ENDPOINT": f"http://ak:{SECRET}@127.0.0.1:9"},
        {"SOHOA_STORE_URL": "s3://archive", "SOHOA_S3_ENDPOINT": f"ak:{SECRET}@127.0.0.1:9"},
        {
            "SOHOA_STORE_URL": "s3://archive",
            "SOHOA_S3_ENDPOINT": f"http://ak:{SECRET}@127.0.0.1:9",
            "SOHOA_S3_SECURE": "1",
        },
        {"SOHOA_STORE_URL": "s3://archive", "SOHOA_S3_ENDPOINT": f"https://{SECRET}@127.0.0.1:9/"},
        {"SOHOA_REPLICA_URL": "s3://replica", "SOHOA_REPLICA_S3_ENDPOINT": f"http://ak:pa/{SECRET}@127.0.0.1:9"},
    ],
    ids=["http-userinfo", "bare-userinfo", "http-with-tls", "token", "replica-slash-in-password"],
)
def test_credentials_written_into_the_s3_endpoint_never_appear_in_output(sohoa_home, tmp_path, variables):
    page = write_png(tmp_path / "scan.png", "November")
    for command in (["verify", "--json"], ["reindex"], ["ingest", str(page), "--json"]):
        completed = run_sohoa(*command, env=variables)
        output = completed.stdout + completed.stderr
        assert completed.returncode != 0, output
        assert "s3_endpoint_credentials" in output, output
        assert SECRET not in output and "w0rd" not in output
