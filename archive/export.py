"""A dossier's archival metadata for archivists: JSON, or the spreadsheet they fill today (one row per document,
the dossier's columns repeated), with Vietnamese headers. Citizen ID numbers never leave through it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from schemas import DOC_TYPE_NAMES, Document, Dossier

# (header as archivists write it, Phụ lục VI field) for the dossier's columns, then the document's.
# ND30's "ngôn ngữ" of a document from its ISO 639-1 code; a document archived before languages were recorded: vi.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "Tiếng Anh", "fr": "Tiếng Pháp", "zh": "Tiếng Trung"}

DOSSIER_COLUMNS = [
    ("Mã hồ sơ", "code"),
    ("Mã cơ quan", "agency"),
    ("Năm hồ sơ", "year"),
    ("Số và ký hiệu hồ sơ", "notation"),
    ("Tiêu đề hồ sơ", "title"),
    ("Thời hạn bảo quản", "maintenance"),
    ("Chế độ sử dụng", "rights"),
    ("Người lập hồ sơ", "creator"),
    ("Ngôn ngữ", "language"),
    ("Thời gian bắt đầu", "start_date"),
    ("Thời gian kết thúc", "end_date"),
    ("Tổng số văn bản", "doc_total"),
    ("Tổng số trang", "page_total"),
    ("Ghi chú", "description"),
]
DOCUMENT_COLUMNS = [
    ("Số thứ tự văn bản", "ordinal"),
    ("Tên loại văn bản", "type_name"),
    ("Số văn bản", "number"),
    ("Ký hiệu văn bản", "notation"),
    ("Ngày tháng năm văn bản", "issued_date"),
    ("Tên cơ quan ban hành", "issuer"),
    ("Trích yếu nội dung", "subject"),
    ("Ngôn ngữ văn bản", "language"),
    ("Số trang", "pages"),
]


def _document_row(document: Document, position: int) -> dict:
    metadata = document.classification.metadata
    return {
        "ordinal": document.ordinal or position,
        "type_name": DOC_TYPE_NAMES[document.doc_type],
        "number": metadata.number,
        "notation": metadata.notation,
        "issued_date": metadata.issued_date,
        "issuer": metadata.issuer,
        "subject": metadata.subject,
        "language": LANGUAGE_NAMES.get(document.language or "vi", document.language),
        "pages": document.pages,
    }


def rows(dossier: Dossier, documents: list[Document]) -> list[dict]:
    """One row per document, dossier fields repeated (field names as keys)."""
    head = {field: getattr(dossier, field) for _, field in DOSSIER_COLUMNS}
    return [
        {"dossier": head, "document": _document_row(document, position)}
        for position, document in enumerate(documents, start=1)
    ]


def export_json(dossier: Dossier, documents: list[Document]) -> dict:
    return {
        "dossier": json.loads(dossier.model_dump_json(exclude={"documents", "updated_at", "applicant_id"})),
        "documents": [
            json.loads(json.dumps(_document_row(d, i), default=str)) | {"id": d.id}
            for i, d in enumerate(documents, start=1)
        ],
    }


def export_xlsx(dossier: Dossier, documents: list[Document], out: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Mục lục văn bản"
    sheet.append([header for header, _ in DOSSIER_COLUMNS + DOCUMENT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows(dossier, documents):
        values = [row["dossier"][field] for _, field in DOSSIER_COLUMNS]
        values += [row["document"][field] for _, field in DOCUMENT_COLUMNS]
        # Dates as dd/mm/yyyy text: what the archivists' forms show, whatever the spreadsheet's locale.
        sheet.append([value.strftime("%d/%m/%Y") if isinstance(value, date) else value for value in values])
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 18
    sheet.freeze_panes = "A2"
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return out
