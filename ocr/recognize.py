"""OCR of one prepared page: text, words with boxes and confidences, and the page's text layer."""

from __future__ import annotations

import csv
import io
import re
import unicodedata

from ocr import tesseract
from ocr.text_page import text_only_page
from schemas import Word

# Tesseract writes U+2044 FRACTION SLASH inside numbers it reads as fractions ("123⁄4"); the documents
# mean an ordinary slash ("Số: 12/QĐ-UBND").
_ARTEFACTS = str.maketrans({"\u2044": "/", "\u00ad": "", "\ufb01": "fi", "\ufb02": "fl"})
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """NFC, with Tesseract's typographic artefacts undone and whitespace tidied."""
    text = unicodedata.normalize("NFC", text).translate(_ARTEFACTS).replace("\f", "")
    text = _TRAILING_SPACE.sub("\n", text)
    return _MANY_BLANK_LINES.sub("\n\n", text).strip()


def parse_words(tsv: str) -> list[Word]:
    words = []
    reader = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        text = (row.get("text") or "").strip()
        try:
            confidence = float(row["conf"])
        except (KeyError, TypeError, ValueError):
            continue
        if not text or confidence < 0:
            continue
        line_id = int(row["block_num"]) * 10_000 + int(row["par_num"]) * 100 + int(row["line_num"])
        words.append(
            Word(
                text=clean_text(text),
                confidence=round(confidence, 2),
                box=(int(row["left"]), int(row["top"]), int(row["width"]), int(row["height"])),
                line=line_id,
            )
        )
    return words


def mean_confidence(words: list[Word]) -> float:
    if not words:
        return 0.0
    return round(sum(word.confidence for word in words) / len(words), 2)


def recognise_page(image, *, lang: str, dpi: int, timeout: float) -> tuple[str, list[Word], bytes]:
    """(clean text, words, text-only PDF page) of one upright page image."""
    output = tesseract.recognise(image, lang=lang, dpi=dpi, timeout=timeout)
    words = parse_words(output.tsv)
    text_pdf = text_only_page(words, width_px=image.width, height_px=image.height, dpi=dpi)
    return clean_text(output.text), words, text_pdf
