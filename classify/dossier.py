"""A dossier's archival fields (Nghị định 30/2020, Phụ lục VI): derived from its documents where possible, set by
an archivist otherwise, kept in the catalog and in the store as `{agency}/{year}/{dossier}/dossier.json`, and
exported as JSON or as the spreadsheet archivists fill today (one row per document, dossier columns repeated)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

from schemas import DOC_TYPE_NAMES, DOSSIER_SETTABLE_FIELDS, Document, Dossier
from search import Catalog
from storage import layout

DOSSIER_NAME = layout.DOSSIER_NAME

# (header as archivists write it, Phụ lục VI field) for the dossier's columns, then the document's.
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


def dossier_key(documents: list[Document], dossier: Dossier) -> str:
    """`{agency}/{year}/{dossier}/dossier.json`, beside the dossier's documents."""
    if documents:
        return layout.dossier_prefix(documents[0]) + DOSSIER_NAME
    year = dossier.year or datetime.now(timezone.utc).year
    return f"{layout.safe_segment(dossier.agency)}/{year}/{layout.safe_segment(dossier.code)}/{DOSSIER_NAME}"


def derive(dossier: Dossier, documents: list[Document]) -> Dossier:
    """Counts, date span, agency and year from the documents, where the archivist set nothing."""
    dates = sorted(d.classification.metadata.issued_date for d in documents if d.classification.metadata.issued_date)
    derived = {
        "documents": [document.id for document in documents],
        "doc_total": len(documents),
        "page_total": sum(document.pages for document in documents),
        "agency": dossier.agency or next((d.agency for d in documents if d.agency), None),
        "year": dossier.year or (dates[0].year if dates else (documents[0].received_at.year if documents else None)),
        "start_date": dossier.start_date or (dates[0] if dates else None),
        "end_date": dossier.end_date or (dates[-1] if dates else None),
        "maintenance": dossier.maintenance or next((d.retention.label for d in documents if d.retention), None),
    }
    return dossier.model_copy(update=derived)


def load(catalog: Catalog, code: str) -> tuple[Dossier, list[Document]]:
    documents = catalog.dossier_documents(code)
    stored = catalog.get_dossier(code) or Dossier(code=code)
    return derive(stored, documents), documents


def set_fields(catalog: Catalog, store, code: str, values: dict) -> Dossier:
    """Set archivist fields (validated by the model); write dossier.json to the store, then the catalog."""
    unknown = set(values) - set(DOSSIER_SETTABLE_FIELDS)
    if unknown:
        raise ValueError(f"not a dossier field: {', '.join(sorted(unknown))}")
    documents = catalog.dossier_documents(code)
    current = catalog.get_dossier(code) or Dossier(code=code)
    updated = Dossier.model_validate({**json.loads(current.model_dump_json()), **values,
                                      "updated_at": datetime.now(timezone.utc).isoformat()})
    updated = derive(updated, documents)
    payload = json.dumps(json.loads(updated.model_dump_json()), ensure_ascii=False, indent=2).encode("utf-8")
    store.put_bytes(dossier_key(documents, updated), payload, content_type="application/json")
    catalog.record_dossier(updated)
    return updated


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
        "language": "Tiếng Việt",
        "pages": document.pages,
    }


def rows(dossier: Dossier, documents: list[Document]) -> list[dict]:
    """One row per document, dossier fields repeated (field names as keys)."""
    head = {field: getattr(dossier, field) for _, field in DOSSIER_COLUMNS}
    return [{"dossier": head, "document": _document_row(document, position)}
            for position, document in enumerate(documents, start=1)]


def export_json(dossier: Dossier, documents: list[Document]) -> dict:
    return {
        "dossier": json.loads(dossier.model_dump_json(exclude={"documents", "updated_at"})),
        "documents": [json.loads(json.dumps(_document_row(d, i), default=str)) | {"id": d.id}
                      for i, d in enumerate(documents, start=1)],
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
