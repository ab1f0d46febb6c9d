"""An archivist fills or corrects a document's archival fields (số, ký hiệu, ngày ban hành, cơ quan ban hành, trích
yếu) where extraction left them empty or got them wrong: into its meta.json in the store (the source of truth, so
`sohoa reindex` keeps them) and the catalog's search columns, with an event naming the fields (never their values:
a subject may name a citizen)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime

from archive.labels import UnknownDocument
from catalog import Catalog
from schemas import Document, Event, EventType
from schemas.failures import SohoaFailure
from storage import ObjectStore, layout
from storage.archive import put_meta

# The fields a person may set, with the longest value each takes (Phụ lục VI's widths, rounded up).
EDITABLE_FIELDS = {"number": 20, "notation": 60, "issued_date": 10, "issuer": 200, "subject": 1000}
FIELD_NAMES_VI = {
    "number": "Số",
    "notation": "Ký hiệu",
    "issued_date": "Ngày ban hành",
    "issuer": "Cơ quan ban hành",
    "subject": "Trích yếu",
}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


class InvalidFieldValue(SohoaFailure):
    code = "invalid_field_value"
    vi = "Giá trị không hợp lệ cho trường"
    en = "Invalid value for the field"
    retryable = False


class UnknownField(SohoaFailure):
    code = "unknown_field"
    vi = "Không có trường này (chỉ sửa được: số, ký hiệu, ngày ban hành, cơ quan ban hành, trích yếu)"
    en = "No such field (editable: number, notation, issued_date, issuer, subject)"
    retryable = False


def parse_issued_date(text: str, today: date | None = None) -> date:
    """A date as typed at a Vietnamese counter (dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy) or by a date input (yyyy-mm-dd);
    none in the future (a document is not issued tomorrow)."""
    value = text.strip()
    try:
        found = _DAY_MONTH_YEAR.fullmatch(value)
        parsed = date(int(found[3]), int(found[2]), int(found[1])) if found else date.fromisoformat(value)
    except ValueError:
        raise InvalidFieldValue(f"{FIELD_NAMES_VI['issued_date']}: dd/mm/yyyy") from None
    if parsed > (today or date.today()) or parsed.year < 1945:
        raise InvalidFieldValue(f"{FIELD_NAMES_VI['issued_date']}: {parsed.isoformat()}")
    return parsed


def _clean(name: str, value: str) -> str | None:
    """One line of text, NFC (what search folds), no control characters; empty means "not known"."""
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise InvalidFieldValue(FIELD_NAMES_VI[name])
    if len(text) > EDITABLE_FIELDS[name]:
        raise InvalidFieldValue(f"{FIELD_NAMES_VI[name]}: ≤ {EDITABLE_FIELDS[name]}")
    return text or None


def checked_changes(values: Mapping[str, str]) -> dict[str, object]:
    """The typed values, checked: every field named must be editable and its value valid (all or nothing)."""
    changes: dict[str, object] = {}
    for name, value in values.items():
        if name not in EDITABLE_FIELDS:
            raise UnknownField(name[:40])
        text = _clean(name, str(value))
        changes[name] = parse_issued_date(text) if name == "issued_date" and text else text
    return changes


def describe_document(
    catalog: Catalog, store: ObjectStore, doc_id: str, values: Mapping[str, str], who: str
) -> tuple[Document, list[str]]:
    """Set the fields in `values` (a missing field is left as it is; an empty one is cleared). Returns the document as
    stored and the names of the fields that changed (nothing changed: nothing written)."""
    changes = checked_changes(values)
    document = catalog.get(doc_id)
    known = catalog.status_of(doc_id)
    if document is None or known is None or layout.META not in known[1]:
        raise UnknownDocument(doc_id)
    current = document.classification.metadata
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    if not changed:
        return document, []
    # A value a person typed is as sure as the archive gets; a field a person emptied is no longer "in doubt".
    confidence = {**current.confidence, **{name: 1.0 for name in changed if changes[name] is not None}}
    for name in changed:
        if changes[name] is None:
            confidence.pop(name, None)
    metadata = current.model_copy(update={**{name: changes[name] for name in changed}, "confidence": confidence})
    document.classification = document.classification.model_copy(update={"metadata": metadata})
    document.events.append(
        Event(type=EventType.described, agent=who, at=datetime.now(UTC), detail="fields: " + ", ".join(changed))
    )
    put_meta(store, known[1][layout.META], document)  # meta.json is not locked: only originals are
    catalog.update_classification(document)
    return document, changed
