"""Where a query's words are on a page: the OCR word boxes (ocr.json) of the words matching the query's terms, as
fractions of the page size, so the web page can draw them over the page image at any width.

The boxes in ocr.json are in the pixels of the image Tesseract read: upright, straightened, maybe enlarged. The
page image shown is the archival PDF's page: upright but neither straightened nor enlarged. Each box's corners are
mapped back onto the shown page (`ocr.geometry.ocr_to_shown`, from the page's recorded size, dpi, rotation and
skew) and the box drawn is the upright rectangle around them.

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
from ocr import geometry
from schemas import OcrResult, Page
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
    to_shown = shown_page_map(page)
    shown_width, shown_height = geometry.upright_size(page.width, page.height, page.rotation)
    boxes = []
    for word in page.words:
        if matches(word.text, terms):
            left, top, width, height = geometry.map_box(to_shown, word.box)
            boxes.append((left / shown_width, top / shown_height, width / shown_width, height / shown_height))
            if len(boxes) >= MAX_BOXES:
                break
    return boxes


def shown_page_map(page: Page) -> geometry.Affine:
    """The map from the OCR image's pixels (the word boxes) to the shown page's, for a page of ocr.json: the
    inverse of what preprocessing applied after turning the page upright, told by what the page records (a page
    without a rotation, a correctable skew or a coarse dpi maps as it is)."""
    if page.rotation % 90:
        return geometry.IDENTITY
    return geometry.ocr_to_shown(
        page.width, page.height, page.rotation, geometry.applied_skew(page.skew), geometry.ocr_scale_for(page.dpi)
    )
