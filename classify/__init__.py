"""Classification: what kind of document a page is (title rules now; a learned model later)."""

from classify.rules import classify_text
from schemas import Classification, OcrResult


def classify_document(result: OcrResult) -> Classification:
    """Classify from the first page that carries text (a blank separator sheet may come first)."""
    for page in result.pages:
        if not page.blank and page.text.strip():
            return classify_text(page.text)
    return classify_text("")


__all__ = ["classify_document", "classify_text"]
