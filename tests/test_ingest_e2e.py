"""End to end: the sample dossier goes from scans to a searchable archive, on both storage backends."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conftest import run_sohoa

from catalog import Catalog
from schemas.doctypes import DocType
from schemas.settings import DEFAULT_ROLE_MAP, get_settings
from schemas.text import fold
from storage import open_store, store_from_settings

AGENCY = "000.00.00.H33"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_archived(reports: list[dict], documents, store) -> dict[str, str]:
    """Every sample archived with its type; its original stored byte for byte. Returns sample name -> id."""
    by_name = {Path(report["source"]).name: report for report in reports}
    assert sorted(by_name) == sorted(document.path.name for document in documents)
    ids = {}
    for document in documents:
        report = by_name[document.path.name]
        assert report["status"] == "archived", report
        assert report["error"] is None
        assert report["doc_type"] == document.doc_type
        assert report["pages"] == document.pages
        assert report["sha256"] == _sha256(document.path)
        assert set(report["keys"]) >= {"original", "archive", "ocr", "meta"}
        assert store.stat(report["keys"]["original"]).sha256 == report["sha256"]
        assert store.get_bytes(report["keys"]["original"]) == document.path.read_bytes()
        meta = json.loads(store.get_bytes(report["keys"]["meta"]))
        # The type's default role in its dossier (SOHOA_ROLE_MAP) is an event of its own when there is one.
        role_set = ["role_set"] if meta["role"] is not None else []
        assert [event["type"] for event in meta["events"]] == [
            "ingested",
            "ocr_done",
            "classified",
            *role_set,
            "archived",
        ]
        assert meta["role"] == DEFAULT_ROLE_MAP.get(DocType(document.doc_type), None)
        assert store.get_bytes(report["keys"]["archive"]).startswith(b"%PDF-")
        ids[document.path.name] = report["id"]
    return ids


def _check_found_by_body_words(search, documents, ids) -> None:
    for document in documents:
        for words in document.query_words:
            query = fold(words)
            assert query != words or words.isascii()
            hits = search(query)
            assert ids[document.path.name] in [hit["id"] for hit in hits], (document.path.name, query)


def test_sample_dossier_into_the_folder_store_through_the_cli(sample_dossier, sohoa_home):
    folder, documents = sample_dossier
    ingested = run_sohoa("ingest", str(folder), "--agency", AGENCY, "--json", check=True)
    reports = json.loads(ingested.stdout)["documents"]
    assert {report["dossier"] for report in reports} == {folder.name}
    store = store_from_settings(get_settings())
    assert store.url.startswith("file://")
    ids = _check_archived(reports, documents, store)

    def search(query):
        found = run_sohoa("search", query, "--json", check=True)
        return json.loads(found.stdout)["hits"]

    _check_found_by_body_words(search, documents, ids)
    decision = next(document for document in documents if document.doc_type == "quyet_dinh")
    hits = search("quyet dinh dat dai")
    assert hits and hits[0]["id"] == ids[decision.path.name]
    assert set(hits[0]) == {"id", "dossier", "agency", "doc_type", "title", "score", "snippet", "page"}

    # The same scans again: recognised as duplicates, nothing new written.
    keys_before = list(store.list())
    again = json.loads(run_sohoa("ingest", str(folder), "--agency", AGENCY, "--json", check=True).stdout)
    assert [report["status"] for report in again["documents"]] == ["duplicate"] * len(documents)
    assert [report["id"] for report in again["documents"]] == [report["id"] for report in reports]
    assert list(store.list()) == keys_before


def test_sample_dossier_into_s3_through_the_prefect_flow(
    sample_dossier, sohoa_home, s3_store_url, prefect_harness, monkeypatch
):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.ingest import ingest_dossier

    for name, value in s3_store_url.env().items():
        monkeypatch.setenv(name, value)
    folder, documents = sample_dossier
    state = ingest_dossier(paths=[str(folder)], agency=AGENCY, return_state=True)
    assert state.is_completed()
    reports = state.result()
    store = open_store(
        s3_store_url.url,
        endpoint=s3_store_url.endpoint,
        access_key=s3_store_url.access_key,
        secret_key=s3_store_url.secret_key,
    )
    ids = _check_archived(reports, documents, store)

    # One tracked task run per stage and document: the Prefect UI shows where each document is.
    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        )
    # Task runs are named "<stage> <dossier>.<ordinal>": never the file name, which may hold a citizen's name.
    names = sorted(run.name for run in task_runs)
    labels = [f"{folder.name}.{ordinal:03d}" for ordinal in range(1, len(documents) + 1)]
    for stage in ("triage", "ocr", "classify", "archival-pdf", "store", "index"):
        assert [name for name in names if name.split(" ")[0] == stage] == [f"{stage} {label}" for label in labels]
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(state.state_details.flow_run_id)
    assert flow_run.name == f"ingest {folder.name}"

    catalog = Catalog.from_settings(get_settings())
    try:
        _check_found_by_body_words(
            lambda query: [hit.model_dump() for hit in catalog.search(query).hits], documents, ids
        )
    finally:
        catalog.close()
