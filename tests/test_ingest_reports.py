"""Ingest reports kept in the catalog under a run's id (catalog.reports, archive.run_reports), on SQLite and
PostgreSQL: what a caller on another machine reads back instead of Prefect's result storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archive.run_reports import ingest_recorded, recorded_reports
from catalog import Catalog
from catalog.reports import prune_reports, record_reports, reports_of
from schemas import DocumentReport, DocumentStatus
from schemas.settings import get_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    return request.getfixturevalue("pg_catalog_url")


def _report(source: str, status: DocumentStatus = DocumentStatus.archived) -> DocumentReport:
    return DocumentReport(id=None, dossier="D", source=source, status=status)


def test_reports_are_kept_by_run_and_position_and_written_again_in_place(catalog_url):
    catalog = Catalog(catalog_url)
    try:
        assert reports_of(catalog, "run-1") == []
        record_reports(catalog, "run-1", [(2, _report("/in/b.pdf", DocumentStatus.quarantined))])
        record_reports(catalog, "run-1", [(1, _report("/in/a.pdf")), (2, _report("/in/b.pdf"))])
        record_reports(catalog, "run-2", [(1, _report("/in/c.pdf"))])
        found = reports_of(catalog, "run-1")
        assert [(position, report.source, report.status) for position, report in found] == [
            (1, "/in/a.pdf", DocumentStatus.archived),
            (2, "/in/b.pdf", DocumentStatus.archived),  # the second write replaced the first
        ]
        assert prune_reports(catalog, datetime.now(UTC) - timedelta(days=1)) == 0
        assert prune_reports(catalog, datetime.now(UTC) + timedelta(seconds=1)) == 3
        assert reports_of(catalog, "run-2") == []
    finally:
        catalog.close()


def test_an_ingest_keeps_each_files_report_under_its_run_id(catalog_url, sohoa_home, monkeypatch, tmp_path):
    monkeypatch.setenv("SOHOA_CATALOG_URL", catalog_url)
    empty, missing = tmp_path / "trong.pdf", tmp_path / "khong-co.pdf"
    empty.write_bytes(b"")
    reports = ingest_recorded([str(empty), str(missing)], run_id="run-x", dossier="D", settings=get_settings())
    assert [report.status for report in reports] == [DocumentStatus.quarantined] * 2
    assert recorded_reports("run-x", get_settings()) == reports  # as the run gave them, in input order
    assert recorded_reports("another-run", get_settings()) == []
