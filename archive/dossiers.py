"""A dossier's archival fields (Nghị định 30/2020, Phụ lục VI): derived from its documents where possible, set by
an archivist otherwise, kept in the catalog and in the store as `{agency}/{year}/{dossier}/dossier.json`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from catalog import Catalog
from schemas import DOSSIER_SETTABLE_FIELDS, Document, Dossier
from schemas.failures import SohoaFailure
from storage import ObjectStore, layout

DOSSIER_NAME = layout.DOSSIER_NAME


class NotADossierField(SohoaFailure):
    code = "not_a_dossier_field"
    vi = "Không phải trường thông tin của hồ sơ"
    en = "Not a field of a dossier"


def dossier_key(documents: list[Document], dossier: Dossier) -> str:
    """`{agency}/{year}/{dossier}/dossier.json`, beside the dossier's documents."""
    if documents:
        return layout.dossier_prefix(documents[0]) + DOSSIER_NAME
    year = dossier.year or datetime.now(UTC).year
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


def set_fields(catalog: Catalog, store: ObjectStore, code: str, values: dict) -> Dossier:
    """Set archivist fields (validated by the model); write dossier.json to the store, then the catalog."""
    unknown = set(values) - set(DOSSIER_SETTABLE_FIELDS)
    if unknown:
        raise NotADossierField(", ".join(sorted(unknown)))
    documents = catalog.dossier_documents(code)
    current = catalog.get_dossier(code) or Dossier(code=code)
    updated = Dossier.model_validate(
        {**json.loads(current.model_dump_json()), **values, "updated_at": datetime.now(UTC).isoformat()}
    )
    updated = derive(updated, documents)
    payload = json.dumps(json.loads(updated.model_dump_json()), ensure_ascii=False, indent=2).encode("utf-8")
    store.put_bytes(dossier_key(documents, updated), payload, content_type="application/json")
    catalog.record_dossier(updated)
    return updated
