"""Ingest of many files: pages are read ahead through the page workers, yet each file is archived once, in its
place in the dossier; a dossier's later files continue its numbering."""

from __future__ import annotations

import shutil

from _pages import MARKERS, write_png, write_tiff

from archive.ingest import ingest_paths
from catalog import Catalog
from schemas.settings import get_settings
from storage import store_from_settings

DOSSIER = "000.00.00.H33-231120-0042"


def statuses(reports) -> list[str]:
    return [report.status.value for report in reports]


def test_a_batch_read_ahead_archives_each_file_once_in_input_order(sohoa_home, tmp_path, monkeypatch):
    monkeypatch.setenv("SOHOA_OCR_WORKERS", "2")
    monkeypatch.setenv("SOHOA_OCR_LANG", "eng")
    folder = tmp_path / DOSSIER
    folder.mkdir()
    for number, marker in enumerate(MARKERS[:5], start=1):
        write_png(folder / f"{number:02d}.png", marker)
    write_tiff(folder / "06.tif", MARKERS[5:8])
    shutil.copy(folder / "02.png", folder / "07-copy-of-02.png")  # the same bytes twice in one batch
    (folder / "08.png").write_bytes(b"")  # empty: quarantined, the rest goes on

    reports = ingest_paths([str(folder)])

    assert statuses(reports) == ["archived"] * 6 + ["duplicate", "quarantined"]
    assert reports[6].id == reports[1].id
    assert "empty" in reports[7].error
    catalog = Catalog.from_settings(get_settings())
    try:
        documents = catalog.dossier_documents(DOSSIER)
        assert [document.ordinal for document in documents] == [1, 2, 3, 4, 5, 6]
        for document, marker in zip(documents, MARKERS):
            hits = catalog.search(marker.lower()).hits
            assert {hit.id for hit in hits} == {document.id}, marker
        assert documents[5].pages == 3
    finally:
        catalog.close()
    keys = store_from_settings(get_settings()).list("")
    assert sum(key.endswith("/meta.json") for key in keys) == 6


def test_a_dossiers_later_file_takes_the_next_ordinal(sohoa_home, tmp_path, monkeypatch):
    monkeypatch.setenv("SOHOA_OCR_LANG", "eng")
    first, later = tmp_path / "first" / DOSSIER, tmp_path / "later" / DOSSIER
    first.mkdir(parents=True)
    later.mkdir(parents=True)
    write_png(first / "a.png", MARKERS[0])
    write_png(first / "b.png", MARKERS[1])
    write_png(later / "c.png", MARKERS[2])  # the result, scanned a week later

    assert statuses(ingest_paths([str(first)])) == ["archived", "archived"]
    reports = ingest_paths([str(later)])

    assert statuses(reports) == ["archived"]
    assert f"{DOSSIER}.003/" in reports[0].keys["meta"]
    # Ingesting the first drop again changes nothing.
    assert statuses(ingest_paths([str(first)])) == ["duplicate", "duplicate"]
