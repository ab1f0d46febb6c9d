"""The `reindex` Prefect flow (deployment `reindex`, on demand): the catalog rebuilt from the store alone, as
`sohoa reindex` does, under Prefect's own test harness. Real folder store and SQLite catalog; no mocks."""

from __future__ import annotations

from _fixtures import archive_synthetic, set_env

from catalog import Catalog
from schemas.settings import get_settings
from storage import layout, store_from_settings

QUERIES = ("quyết định", "quyet dinh", "đất đai", "giay khai sinh", "không có từ này")


def _archive_two(tmp_path):
    store = store_from_settings(get_settings())
    first = archive_synthetic(
        store,
        tmp_path / "work",
        b"quyet dinh" * 100,
        ordinal=1,
        retention=None,
        text="QUYẾT ĐỊNH về việc giao đất đai cho hộ gia đình",
    )
    second = archive_synthetic(
        store, tmp_path / "work", b"khai sinh" * 100, ordinal=2, retention=None, text="GIẤY KHAI SINH bản sao"
    )
    catalog = Catalog.from_settings(get_settings())
    try:
        for archived, text in (
            (first, "QUYẾT ĐỊNH về việc giao đất đai cho hộ gia đình"),
            (second, "GIẤY KHAI SINH bản sao"),
        ):
            catalog.record(archived.document, archived.keys, [text])
    finally:
        catalog.close()
    return store, first, second


def _snapshot() -> tuple[list[dict], set[str]]:
    catalog = Catalog.from_settings(get_settings())
    try:
        return [catalog.search(query).model_dump() for query in QUERIES], catalog.ids()
    finally:
        catalog.close()


def _lose_the_catalog(home) -> None:
    for path in home.glob("catalog.db*"):
        path.unlink()


def test_the_reindex_flow_restores_the_catalog_and_says_what_it_did(tmp_path, monkeypatch, prefect_harness):
    from flows.reindex import reindex_archive

    home = tmp_path / "home"
    set_env(monkeypatch, {"SOHOA_HOME": str(home), "SOHOA_STORE_URL": (tmp_path / "store").as_uri()})
    for name in ("SOHOA_CATALOG_URL", "SOHOA_REPLICA_URL"):
        monkeypatch.delenv(name, raising=False)
    _, first, second = _archive_two(tmp_path)
    before = _snapshot()
    assert before[1] == {first.document.id, second.document.id}
    assert [result["total"] for result in before[0]] == [1, 1, 1, 1, 0]  # the queries do find things

    _lose_the_catalog(home)
    assert _snapshot() != before

    state = reindex_archive(return_state=True)
    assert state.is_completed()
    assert state.name == "Completed"
    assert state.result() == {"documents": 2, "pages": 2, "audits": 0, "dossiers": 0, "removed": [], "skipped": []}
    assert _snapshot() == before


def test_the_reindex_flow_fails_naming_what_it_could_not_read(tmp_path, monkeypatch, prefect_harness):
    from flows.reindex import reindex_archive

    home = tmp_path / "home"
    set_env(monkeypatch, {"SOHOA_HOME": str(home), "SOHOA_STORE_URL": (tmp_path / "store").as_uri()})
    for name in ("SOHOA_CATALOG_URL", "SOHOA_REPLICA_URL"):
        monkeypatch.delenv(name, raising=False)
    store, first, second = _archive_two(tmp_path)
    _lose_the_catalog(home)
    store.put_bytes(second.keys[layout.OCR], b"not json")

    state = reindex_archive(return_state=True)
    assert state.is_failed()
    assert "reindex_incomplete" in state.message and second.keys[layout.META] in state.message
    # What could be read is back in the catalog all the same.
    assert _snapshot()[1] == {first.document.id}
