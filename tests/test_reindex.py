"""The catalog is an index of the store: lost, it is rebuilt from meta.json and ocr.json alone (`sohoa reindex`)
with the same search results; and an ingest without it still knows what is archived. Also the archival folder
names `<dossier code>.<ordinal>`. Real SeaweedFS and folders; no mocks."""

from __future__ import annotations

import json
from pathlib import Path

from _fixtures import (
    AGENCY,
    DOSSIER,
    archive_synthetic,
    fast_store_retries,
    object_versions,
    sample_folder,
    samples_named,
    set_env,
)
from conftest import run_sohoa

from archive.ingest import ingest_paths
from archive.reindex import rebuild_catalog
from archive.stages import run_direct
from catalog import Catalog
from schemas.settings import get_settings
from schemas.text import fold
from storage import layout, open_store, store_from_settings
from storage.archive import find_archived

SAMPLES = ("001-quyet-dinh.jpg", "004-giay-tiep-nhan.pdf")


def _queries(documents) -> list[str]:
    queries = ["quyết định", "quyet dinh dat dai", "hồ sơ", "ho so", "đất", "giấy tiếp nhận", "không có từ này"]
    for document in documents:
        for words in document.query_words:
            queries += [words, fold(words)]
    return queries


def _snapshot(queries, ids) -> tuple[list, dict]:
    catalog = Catalog.from_settings(get_settings())
    try:
        results = [catalog.search(query).model_dump() for query in queries]
        documents = {doc_id: catalog.get(doc_id) for doc_id in ids}
        return results, documents
    finally:
        catalog.close()


def _lose_the_catalog(home: Path) -> None:
    for path in home.glob("catalog.db*"):  # with the WAL and shared-memory files
        path.unlink()
    assert not list(home.glob("catalog.db*"))


def test_reindex_after_losing_the_catalog_gives_the_same_search_results(
    sample_dossier, sohoa_home, s3_store_url, monkeypatch, tmp_path
):
    set_env(monkeypatch, s3_store_url.env())
    folder = sample_folder(sample_dossier, tmp_path, SAMPLES)
    reports = ingest_paths([str(folder)], agency=AGENCY)
    assert [report.status.value for report in reports] == ["archived", "archived"]
    ids = [report.id for report in reports]
    queries = _queries(samples_named(sample_dossier, SAMPLES))
    before, documents_before = _snapshot(queries, ids)
    assert sum(result["total"] > 0 for result in before) >= len(queries) - 1  # the queries do find things
    run_sohoa("verify", check=True)  # leaves an audit report in the store, which reindex brings back

    _lose_the_catalog(sohoa_home)
    assert _snapshot(queries, ids)[0] != before  # an empty catalog finds nothing

    rebuilt = run_sohoa("reindex", "--json", check=True)
    summary = json.loads(rebuilt.stdout)
    assert summary["documents"] == 2 and summary["pages"] == 2 and summary["audits"] == 1
    assert summary["removed"] == [] and summary["skipped"] == []
    after, documents_after = _snapshot(queries, ids)
    assert after == before
    assert documents_after == documents_before
    assert json.loads(run_sohoa("search", "quyet dinh dat dai", "--json", check=True).stdout) == before[1]

    # Reindexing twice changes nothing.
    run_sohoa("reindex", check=True)
    assert _snapshot(queries, ids) == (before, documents_before)


def test_without_the_catalog_an_ingest_knows_what_the_store_holds(
    sample_dossier, sohoa_home, s3_store_url, monkeypatch, tmp_path
):
    set_env(monkeypatch, s3_store_url.env())
    folder = sample_folder(sample_dossier, tmp_path, SAMPLES)
    first = ingest_paths([str(folder)], agency=AGENCY)
    queries = _queries(samples_named(sample_dossier, SAMPLES))
    before, documents_before = _snapshot(queries, [report.id for report in first])
    versions = object_versions(s3_store_url.client(), s3_store_url.bucket)

    _lose_the_catalog(sohoa_home)
    stages: list[str] = []

    def recording_runner(stage, /, *args, **kwargs):
        stages.append(getattr(stage, "name", ""))
        return run_direct(stage, *args, **kwargs)

    again = ingest_paths([str(folder)], agency=AGENCY, run=recording_runner)
    assert [report.status.value for report in again] == ["duplicate", "duplicate"]
    assert [(report.id, report.keys) for report in again] == [(report.id, report.keys) for report in first]
    assert "ocr" not in stages and "store" not in stages  # found in the store before any OCR
    assert object_versions(s3_store_url.client(), s3_store_url.bucket) == versions  # nothing new written
    # ...and put back in the catalog as they were.
    assert _snapshot(queries, [report.id for report in first]) == (before, documents_before)


def test_the_store_stage_itself_refuses_to_archive_twice(tmp_path):
    """The last line of defence, without any catalog: meta.json already in the store means a duplicate."""
    store = open_store((tmp_path / "store").as_uri())
    first = archive_synthetic(store, tmp_path / "work", b"scan" * 1000)
    keys_before = {key: store.stat(key) for key in store.list()}
    again = archive_synthetic(store, tmp_path / "work", b"scan" * 1000)
    assert again.duplicate and again.keys == first.keys and again.document == first.document
    assert {key: store.stat(key) for key in store.list()} == keys_before


def test_documents_are_named_dossier_code_dot_ordinal(tmp_path):
    store = open_store((tmp_path / "store").as_uri())
    first = archive_synthetic(store, tmp_path / "work", b"first" * 1000, ordinal=1)
    second = archive_synthetic(store, tmp_path / "work", b"second" * 1000, ordinal=2)
    year = first.document.received_at.year
    assert first.keys == {
        "original": f"{AGENCY}/{year}/{DOSSIER}/{DOSSIER}.001/original.jpg",
        "archive": f"{AGENCY}/{year}/{DOSSIER}/{DOSSIER}.001/archive.pdf",
        "ocr": f"{AGENCY}/{year}/{DOSSIER}/{DOSSIER}.001/ocr.json",
        "meta": f"{AGENCY}/{year}/{DOSSIER}/{DOSSIER}.001/meta.json",
    }
    assert second.keys["meta"] == f"{AGENCY}/{year}/{DOSSIER}/{DOSSIER}.002/meta.json"
    assert json.loads(store.get_bytes(first.keys["meta"]))["ordinal"] == 1

    # A later ingest whose ordinal 1 is another file: that folder is never written into; the id names it.
    late = archive_synthetic(store, tmp_path / "work", b"added later" * 1000, ordinal=1)
    assert not late.duplicate
    assert late.keys["meta"] == f"{AGENCY}/{year}/{DOSSIER}/{late.document.id}/meta.json"
    assert store.get_bytes(first.keys["original"]) == b"first" * 1000

    # Without a dossier (or ordinal) the folder is the document id, as before.
    loose = archive_synthetic(store, tmp_path / "work", b"loose" * 1000, dossier=None, ordinal=None)
    assert loose.keys["meta"] == f"{AGENCY}/{year}/_/{loose.document.id}/meta.json"

    # The same file at another position (files added before it) is still found, by the dossier's meta.json.
    moved = first.document.model_copy(update={"ordinal": 3, "objects": {}, "events": []})
    assert find_archived(store, moved) is None  # not where ordinal 3 would put it...
    found = find_archived(store, moved, scan_dossier=True)
    assert found is not None and found.duplicate and found.keys == first.keys  # ...but in its dossier
    known = {first.keys["meta"]}
    assert find_archived(store, moved, scan_dossier=True, known_meta_keys=known) is None  # the catalog's job


def test_folder_ingest_numbers_files_in_order(sample_dossier, sohoa_home, tmp_path):
    folder = sample_folder(sample_dossier, tmp_path, ("004-giay-tiep-nhan.pdf",))
    [report] = ingest_paths([str(folder)], agency=AGENCY, run=fast_store_retries())
    assert report.keys["original"].endswith(f"/{DOSSIER}/{DOSSIER}.001/original.pdf")
    meta = json.loads(store_from_settings(get_settings()).get_bytes(report.keys["meta"]))
    assert meta["ordinal"] == 1 and meta["retention"] == {"permanent": False, "years": 10}


def test_reindex_drops_what_the_store_no_longer_has_and_reports_unreadable_documents(tmp_path, monkeypatch):
    set_env(monkeypatch, {"SOHOA_HOME": str(tmp_path / "home"), "SOHOA_STORE_URL": (tmp_path / "store").as_uri()})
    store = store_from_settings(get_settings())
    kept = archive_synthetic(store, tmp_path / "work", b"kept" * 100, ordinal=1, retention=None)
    gone = archive_synthetic(store, tmp_path / "work", b"gone" * 100, ordinal=2, retention=None)
    damaged = archive_synthetic(store, tmp_path / "work", b"damaged" * 100, ordinal=3, retention=None)
    catalog = Catalog.from_settings(get_settings())
    try:
        assert rebuild_catalog(store, catalog).documents == 3
        for key in gone.keys.values():
            store.delete(key)
        store.put_bytes(damaged.keys[layout.OCR], b"not json")
        report = rebuild_catalog(store, catalog)
        assert report.documents == 1 and report.removed == [gone.document.id]
        assert [skipped["key"] for skipped in report.skipped] == [damaged.keys[layout.META]]
        # The damaged document keeps its old catalog row; `sohoa verify` names the damaged object.
        assert catalog.ids() == {kept.document.id, damaged.document.id}
    finally:
        catalog.close()
    assert run_sohoa("reindex").returncode == 1
