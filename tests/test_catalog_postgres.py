"""The province's catalog on PostgreSQL (issue 15): an office's SQLite catalog moved into it with `sohoa
migrate-catalog` (every kind of record, counted on both sides, safe to run again), `sohoa reindex` into it from
the store alone, the same search results as SQLite on the same data, and ingests from several processes at once
into one PostgreSQL catalog and one S3 bucket that lose and double nothing. Real servers: PostgreSQL
(tests/pgserver.py), SeaweedFS (tests/s3server.py); real OCR under `make test`."""

from __future__ import annotations

import json
import multiprocessing
import traceback

import pytest
from _fixtures import AGENCY, sample_folder, samples_named, set_env
from _pages import MARKERS, write_png
from conftest import run_sohoa
from test_reindex import _queries  # the same queries as the SQLite reindex test

from archive import Archive
from archive.access import add_agency, add_user, create_token, record_access, verify_access_log
from archive.audit import run_audit
from archive.dossiers import set_fields
from archive.ingest import ingest_paths
from archive.labels import label_document
from catalog import Catalog
from schemas.doctypes import DocType
from schemas.settings import get_settings
from storage import layout, store_from_settings

pytestmark = pytest.mark.slow
PASSWORD = "Mật-khẩu-chuyển-kho-4410"
SAMPLES = ("001-quyet-dinh.jpg", "004-giay-tiep-nhan.pdf")


def _results(url: str, queries: list[str]) -> list[dict]:
    """Each query's result on the catalog at `url`, without the scores (each backend ranks with its own formula;
    the order, the totals, the facets, the snippets must be the same)."""
    catalog = Catalog(url)
    try:
        found = []
        for query in queries:
            result = catalog.search(query).model_dump()
            for hit in result["hits"]:
                hit.pop("score")
            found.append(result)
        return found
    finally:
        catalog.close()


def test_an_office_catalog_moves_into_postgresql_whole_and_reindex_rebuilds_it_from_the_store(
    sample_dossier, sohoa_home, s3_store_url, pg_server, monkeypatch, tmp_path
):
    set_env(monkeypatch, {**s3_store_url.env(), "SOHOA_OCR_LANG": "vie"})
    reports = ingest_paths([str(sample_folder(sample_dossier, tmp_path, SAMPLES))], agency=AGENCY)
    assert [report.status.value for report in reports] == ["archived", "archived"]
    office = f"sqlite:///{sohoa_home / 'catalog.db'}"
    with Archive.open() as archive:  # what an office's catalog holds besides documents
        add_agency(archive, AGENCY, "UBND huyện Thử Nghiệm")
        add_user(archive, "lan", "archivist", [AGENCY], PASSWORD)
        create_token(archive, "mot-cua", "clerk", [AGENCY])
        label_document(archive.catalog, archive.store, reports[0].id, DocType.quyet_dinh, who="lan")
        set_fields(archive.catalog, archive.store, reports[0].dossier, {"title": "Hồ sơ giao đất"})
        for report in reports:
            record_access(archive, None, "view", [report.id], "10.0.0.9", {"what": "document"})
    run_audit(sample_pct=100, repair=False, settings=get_settings())
    queries = _queries(samples_named(sample_dossier, SAMPLES))
    on_sqlite = _results(office, queries)
    assert sum(result["total"] > 0 for result in on_sqlite) >= len(queries) - 1  # the queries do find things

    province = pg_server.create_database()
    moved = run_sohoa("migrate-catalog", "--from", office, "--to", province, "--json", check=True)
    report = json.loads(moved.stdout)
    counts = {kind["kind"]: kind for kind in report["kinds"]}
    assert report["ok"] is True
    for kind, expected in {"documents": 2, "users": 1, "tokens": 1, "agencies": 1, "dossiers": 1, "audits": 1}.items():
        assert (counts[kind]["source"], counts[kind]["copied"], counts[kind]["missing"]) == (expected, expected, 0)
    assert counts["access_log"]["source"] == counts["access_log"]["copied"] >= 5 and counts["ordinals"]["missing"] == 0
    assert PASSWORD not in moved.stdout + moved.stderr and "postgres@" not in moved.stderr.replace("postgres@127", "")

    assert _results(province, queries) == on_sqlite
    monkeypatch.setenv("SOHOA_CATALOG_URL", province)
    with Archive.open() as archive:
        assert verify_access_log(archive) == []  # the moved entries extend the province's chain
        labelled = archive.catalog.get(reports[0].id)
        assert labelled is not None and labelled.classification.confirmed_by == "lan"
        assert archive.catalog.get_dossier(reports[0].dossier).title == "Hồ sơ giao đất"
        assert len(archive.catalog.audits()) == 1
    assert run_sohoa("user", "list", "--json", check=True).stdout.count('"lan"') == 1

    again = json.loads(run_sohoa("migrate-catalog", "--from", office, "--to", province, "--json", check=True).stdout)
    assert again["ok"] is True and all(kind["copied"] == 0 for kind in again["kinds"])  # nothing twice

    # The store alone rebuilds the same documents into another, empty PostgreSQL catalog.
    rebuilt_url = pg_server.create_database()
    monkeypatch.setenv("SOHOA_CATALOG_URL", rebuilt_url)
    summary = json.loads(run_sohoa("reindex", "--json", check=True).stdout)
    assert summary["documents"] == 2 and summary["skipped"] == [] and summary["audits"] == 1
    assert _results(rebuilt_url, queries) == on_sqlite


def _ingest_rounds(files: list[str], dossiers: list[str], barrier, failures) -> None:
    """One of several ingesting processes: round after round, its file into that round's dossier, at the same
    moment as the others (the barrier)."""
    try:
        for path, dossier in zip(files, dossiers):
            barrier.wait(timeout=120)
            [report] = ingest_paths([path], dossier=dossier, agency=AGENCY)
            if report.status.value != "archived":
                failures.put(f"{dossier}: {report.status.value} {report.error}")
            # The same file again (a retry after a lost answer): known, never a second copy.
            [again] = ingest_paths([path], dossier=dossier, agency=AGENCY)
            if again.status.value != "duplicate" or again.id != report.id:
                failures.put(f"{dossier}: a retry gave {again.status.value}")
    except Exception as error:  # reported to the test, which fails with it
        failures.put(f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=-8)}")


def test_three_ingests_at_once_into_one_postgresql_catalog_and_one_bucket_lose_and_double_nothing(
    sohoa_home, s3_store_url, pg_catalog_url, monkeypatch, tmp_path
):
    rounds, sides = 4, 3
    set_env(
        monkeypatch,
        {**s3_store_url.env(), "SOHOA_CATALOG_URL": pg_catalog_url, "SOHOA_OCR_LANG": "eng", "SOHOA_OCR_WORKERS": "1"},
    )
    dossiers = [f"{AGENCY}-240301-{number:04d}" for number in range(rounds)]
    files: list[list[str]] = [[] for _ in range(sides)]
    for number in range(rounds):
        for side in range(sides):
            marker = MARKERS[(number + 3 * side) % len(MARKERS)]
            files[side].append(str(write_png(tmp_path / f"{side}-{number}.png", f"{marker} {side} {number}")))
    context = multiprocessing.get_context("spawn")
    barrier, failures = context.Barrier(sides), context.Queue()
    workers = [
        context.Process(target=_ingest_rounds, args=(files[side], dossiers, barrier, failures)) for side in range(sides)
    ]
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
    catalog = Catalog(pg_catalog_url)
    try:
        assert len(catalog.ids()) == rounds * sides
        for dossier in dossiers:
            held = sorted(document.ordinal for document in catalog.dossier_documents(dossier))
            assert held == list(range(1, sides + 1)), dossier
            stored = sorted(
                json.loads(store.get_bytes(key))["ordinal"]
                for key in store.list(f"{AGENCY}/")
                if layout.is_meta_key(key) and f"/{dossier}/" in key
            )
            assert stored == held, dossier
    finally:
        catalog.close()
