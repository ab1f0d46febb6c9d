"""Where a query's words are on a page: the OCR word boxes (ocr.json, in page pixels) of the words matching the
query's terms, as fractions of the page size, so the web page can draw them over the page image at any width.

Matching folds both sides (`schemas.text.fold`): `quyet dinh` finds the boxes of `QUYẾT ĐỊNH`. A phrase's words
are each matched on their own (a box per word); a prefix term (`dat*`) matches words starting with it; excluded
terms and field filters mark nothing. The document must be in the caller's scope (else `NotFound`), and its page
image must be one the caller may see (`personal_data_restricted` otherwise, as for the image itself).
"""

from __future__ import annotations

import re

from archive import reading
from archive.context import Archive
from catalog import views
from catalog.search.query import InvalidQuery, parse
from schemas import OcrResult
from schemas.access import NotFound, Principal
from schemas.text import fold, words
from storage import layout

MAX_BOXES = 500  # a page of a common word: enough to show, bounded to draw


def query_terms(query: str) -> list[tuple[str, bool]]:
    """(folded word, is a prefix) of each word the query asks to find; nothing for a query that cannot be read."""
    try:
        parsed = parse(query)
    except InvalidQuery:
        return []
    found: list[tuple[str, bool]] = []
    for term in parsed.included:
        folded = term.folded_words
        for position, word in enumerate(folded):
            # Only a prefix term's last word is a prefix ("giay chung*").
            entry = (word, term.prefix and position == len(folded) - 1)
            if entry not in found:
                found.append(entry)
    return found


def matches(text: str, terms: list[tuple[str, bool]]) -> bool:
    """Whether one OCR word (punctuation and all, e.g. `đai,`) is one of the terms."""
    for token in words(text):
        for word, prefix in terms:
            if token == word or (prefix and token.startswith(word)):
                return True
    return False


def highlight_spans(text: str, query: str) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is a query word) pieces, found on the folded text: folding keeps every offset, so the
    pieces are the original text with its diacritics."""
    terms = query_terms(query)
    if not terms or not text:
        return [(text, False)] if text else []
    folded = fold(text)
    if len(folded) != len(text):  # not NFC: positions would not agree; show it unmarked
        return [(text, False)]
    pieces: list[tuple[str, bool]] = []
    last = 0
    for found in re.finditer(r"\w+", folded):
        if any(found[0] == word or (prefix and found[0].startswith(word)) for word, prefix in terms):
            if found.start() > last:
                pieces.append((text[last : found.start()], False))
            pieces.append((text[found.start() : found.end()], True))
            last = found.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


def page_word_boxes(
    archive: Archive, principal: Principal, doc_id: str, number: int, query: str
) -> list[tuple[float, float, float, float]]:
    """(left, top, width, height) as fractions of page `number`'s size, of each word matching `query`'s terms."""
    reading._require(principal, reading.READERS)
    found = views.document(archive.catalog.engine, doc_id, principal.agencies)
    if found is None:
        raise NotFound("document")
    reading._scan_allowed(archive, principal, found)
    if not 1 <= number <= max(found.pages, 1):
        raise reading.PageOutOfRange(str(number))
    terms = query_terms(query)
    stored = found.objects.get(layout.OCR)
    if not terms or stored is None:
        return []
    ocr = OcrResult.model_validate_json(archive.store.get_bytes(stored.key))
    page = next((item for item in ocr.pages if item.number == number), None)
    if page is None or page.width <= 0 or page.height <= 0:
        return []
    boxes = []
    for word in page.words:
        if matches(word.text, terms):
            left, top, width, height = word.box
            boxes.append((left / page.width, top / page.height, width / page.width, height / page.height))
            if len(boxes) >= MAX_BOXES:
                break
    return boxes
