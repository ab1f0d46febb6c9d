"""A dossier's archival fields: derived from its documents, set by the archivist, exported as JSON and as the
spreadsheet archivists fill (one row per document, dossier columns repeated, Vietnamese headers)."""

from __future__ import annotations

import json

from conftest import run_sohoa
from openpyxl import load_workbook

from archive.dossiers import DOSSIER_NAME
from archive.export import DOCUMENT_COLUMNS, DOSSIER_COLUMNS
from catalog import Catalog
from classify import classify_text
from schemas import Document
from schemas.settings import get_settings
from storage import layout, store_from_settings
from storage.archive import put_meta

DOSSIER = "000.00.00.H33-230607-0001"
TEXTS = [
    "ỦY BAN NHÂN DÂN\nTỈNH HẬU GIANG\nSố: 125/QĐ-UBND\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Vị Thanh, ngày 05 tháng 8 năm 2023\nQUYẾT ĐỊNH\nVề việc giao đất\n",
    "SỞ NỘI VỤ\nSố: 45/SNV-VP\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nVị Thanh, ngày 3 tháng 4 năm 2023\n"
    "V/v báo cáo tình hình giải quyết hồ sơ\nKính gửi: Ủy ban nhân dân các huyện\n",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG\n"
    "Số định danh cá nhân: 001099000123\nVị Thanh, ngày 05 tháng 6 năm 2023\n",
]


def _archive(catalog: Catalog, store) -> list[Document]:
    documents = []
    for ordinal, text in enumerate(TEXTS, start=1):
        document = Document(
            id=f"d{ordinal}",
            dossier=DOSSIER,
            agency="000.00.00.H33",
            source=f"{ordinal}.jpg",
            sha256=f"{ordinal:064x}",
            size=1,
            pages=ordinal,
            ordinal=ordinal,
        )
        document.classification = classify_text(text)
        keys = layout.object_keys(document, "jpg")
        put_meta(store, keys[layout.META], document)
        catalog.record(document, {layout.META: keys[layout.META]}, [text])
        documents.append(document)
    return documents


def test_dossier_fields_set_and_exported(sohoa_home, tmp_path):
    settings = get_settings()
    catalog, store = Catalog.from_settings(settings), store_from_settings(settings)
    try:
        documents = _archive(catalog, store)
    finally:
        catalog.close()

    shown = json.loads(run_sohoa("dossier", "show", DOSSIER, "--json", check=True).stdout)
    assert (shown["doc_total"], shown["page_total"]) == (3, 6)  # derived
    assert (shown["start_date"], shown["end_date"]) == ("2023-04-03", "2023-08-05")

    run_sohoa(
        "dossier",
        "set",
        DOSSIER,
        "--title",
        "Hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ",
        "--maintenance",
        "vinh-vien",
        "--rights",
        "Hạn chế",
        "--creator",
        "Võ Thị Mẫu",
        check=True,
    )
    refused = run_sohoa("dossier", "set", DOSSIER, "--maintenance", "mãi mãi")
    assert refused.returncode != 0
    stored = json.loads(store.get_bytes(layout.dossier_prefix(documents[0]) + DOSSIER_NAME))
    assert stored["title"] == "Hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ" and stored["maintenance"] == "Vĩnh viễn"

    exported = json.loads(run_sohoa("export", DOSSIER, "--format", "json", check=True).stdout)
    assert exported["dossier"]["rights"] == "Hạn chế" and exported["dossier"]["doc_total"] == 3
    first = exported["documents"][0]
    assert (first["number"], first["notation"], first["issued_date"]) == ("125", "QĐ-UBND", "2023-08-05")
    assert first["type_name"] == "Quyết định"
    assert "001099000123" not in json.dumps(exported)  # the sheet has no column for personal data

    out = tmp_path / "muc-luc.xlsx"
    run_sohoa("export", DOSSIER, "--format", "xlsx", "--out", str(out), check=True)
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = [header for header, _ in DOSSIER_COLUMNS + DOCUMENT_COLUMNS]
    assert list(rows[0]) == headers
    assert "Trích yếu nội dung" in headers and "Thời hạn bảo quản" in headers
    assert len(rows) == 1 + len(documents)
    by_header = [dict(zip(headers, row)) for row in rows[1:]]
    assert [row["Số thứ tự văn bản"] for row in by_header] == [1, 2, 3]
    assert {row["Mã hồ sơ"] for row in by_header} == {DOSSIER}  # dossier columns repeated on every row
    assert {row["Thời hạn bảo quản"] for row in by_header} == {"Vĩnh viễn"}
    assert by_header[0]["Ngày tháng năm văn bản"] == "05/08/2023"
    assert by_header[1]["Tên loại văn bản"] == "Công văn"
    assert by_header[1]["Trích yếu nội dung"] == "báo cáo tình hình giải quyết hồ sơ"
    assert by_header[2]["Số trang"] == 3

    # The archivist's fields survive the loss of the catalog: reindex reads them back from dossier.json.
    from archive.reindex import rebuild_catalog

    (sohoa_home / "catalog.db").unlink()
    catalog = Catalog.from_settings(settings)
    try:
        assert rebuild_catalog(store, catalog).dossiers == 1
        restored = catalog.get_dossier(DOSSIER)
    finally:
        catalog.close()
    assert restored.title == "Hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ" and restored.rights == "Hạn chế"


def test_export_of_an_unknown_dossier_fails_plainly(sohoa_home):
    failed = run_sohoa("export", "khong-co", "--format", "json")
    assert failed.returncode == 1 and "khong-co" in failed.stderr


def test_each_documents_language_is_exported_as_recorded_and_older_ones_as_vietnamese():
    from archive.export import rows
    from schemas import Document, Dossier

    english = Document(id="en-doc", source="x.png", sha256="0" * 64, size=1, language="en")
    older = Document(id="old-doc", source="y.png", sha256="1" * 64, size=1)
    exported = rows(Dossier(code="000.00.00.H33-240101-0001"), [english, older])
    assert [row["document"]["language"] for row in exported] == ["Tiếng Anh", "Tiếng Việt"]
