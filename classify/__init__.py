"""Classification: what kind of document a page is, and the archival metadata its text carries.

Title rules first (classify.rules, fuzzy against OCR damage), then, once archivists have labelled documents and a
model was trained (flows/retrain.py), the learned model (classify.model); classify.combine mixes the two into one
confidence. Metadata comes from classify.metadata.
"""

from __future__ import annotations

from classify.combine import DEFAULT_THRESHOLD, combine
from classify.header import TEXT_ONLY, header_fields_from_page
from classify.metadata import (
    DEFAULT_FIELD_MIN_CONFIDENCE,
    citizen_ids,
    dossier_codes,
    extract_metadata,
    hold_doubtful_fields,
    issued_date,
    issuer,
    procedure_codes,
)
from classify.model import TypeModel
from classify.rules import classify_text as classify_by_rules
from schemas import Classification, OcrResult, Page


def classify_text(
    text: str,
    model: TypeModel | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    whole_text: str | None = None,
    field_min_confidence: float = DEFAULT_FIELD_MIN_CONFIDENCE,
    page: Page | None = None,
) -> Classification:
    """The type of a document from its first page's text, with its metadata.

    Without a model the rules alone decide. Codes and citizen IDs are looked for in `whole_text` (every page)
    when given, the header fields in `text` only: located by the word boxes of `page` when it has them, else by
    the order of the text's lines. A header field read with a confidence below `field_min_confidence` is left
    empty (its confidence kept) and the document flagged for review."""
    result = combine(classify_by_rules(text), model, text, threshold)
    header = header_fields_from_page(page) if page is not None else None
    metadata = extract_metadata(text, header)
    if whole_text is not None and whole_text != text:
        dossiers, procedures = dossier_codes(whole_text), procedure_codes(whole_text)
        metadata.dossier_code = metadata.dossier_code or (dossiers[0] if dossiers else None)
        metadata.procedure_code = metadata.procedure_code or (procedures[0] if procedures else None)
        metadata.citizen_ids = list(dict.fromkeys([*metadata.citizen_ids, *citizen_ids(whole_text)]))
        # A citizen's form is dated at its end, maybe on a later page (a header with a date line never is).
        if "issued_date" not in metadata.confidence:
            metadata.issued_date = issued_date(whole_text)
            if metadata.issued_date is not None:
                metadata.confidence["issued_date"] = TEXT_ONLY
    if hold_doubtful_fields(metadata, field_min_confidence):
        result.needs_review = True
    result.metadata = metadata
    return result


def classify_document(
    result: OcrResult,
    model: TypeModel | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    field_min_confidence: float = DEFAULT_FIELD_MIN_CONFIDENCE,
) -> Classification:
    """Classify from the first page that carries text (a blank separator sheet may come first)."""
    for page in result.pages:
        if not page.blank and page.text.strip():
            classification = classify_text(
                page.text, model, threshold, result.text, field_min_confidence=field_min_confidence, page=page
            )
            left_issuer = issuer(_header_left_column(page))
            if left_issuer:
                classification.metadata.issuer = left_issuer
            return classification
    return classify_text("", model, threshold, field_min_confidence=field_min_confidence)


def _header_left_column(page: Page) -> str:
    """The text of the header's left column, from the word boxes: Tesseract reads both header columns into one
    line, and a place name it reads in capitals ("VỊ Thanh, ngày ...") cannot be told from the issuer in text."""
    if not page.words or not page.width or not page.height:
        return ""
    lines: dict[int, list[str]] = {}
    for word in page.words:
        left, top, width, _ = word.box
        if top < page.height * 0.3 and left + width <= page.width * 0.5:
            lines.setdefault(word.line, []).append(word.text)
    return "\n".join(" ".join(words) for words in lines.values())


__all__ = ["classify_document", "classify_text"]
