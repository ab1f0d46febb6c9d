"""OCR of one prepared page: text, words with boxes and confidences, and the page's text layer."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from PIL import Image

from ocr import preprocess, tesseract
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


# ---------------------------------------------------------------- the quality gate (issue 14)
# Most pages are read once, as they are (Tesseract's own Otsu threshold). A page fails the gate when its paper is
# unevenly lit, when its words cover much less than its ink, or when it reads at a low confidence: it is read
# again evenly lit (divided by its paper's grey, ocr.preprocess.evenly_lit) and the better reading is kept, by
# the sum of its words' confidences (mean confidence × words found). Thresholds measured on bench/degrade_field.py
# pages beside the sample dossier's (BENCHMARKS.md, "Field-like degradations and language").
MIN_WORD_COVERAGE = 0.9  # share of the ink inside word boxes
GATE_CONFIDENCE = 60.0  # mean word confidence
MIN_WORDS_FOR_CONFIDENCE = 10
# A page read in a language with Vietnamese whose text has fewer Vietnamese letters (ă â đ ê ô ơ ư and the tone
# marks) than this share of its letters, over at least MIN_LETTERS_FOR_LANGUAGE letters, is read again in English
# and the reading with the higher mean confidence kept. Vietnamese prose has about a third of its letters marked.
VIETNAMESE_LETTER_SHARE = 0.04
MIN_LETTERS_FOR_LANGUAGE = 80
OTHER_LANGUAGE = "eng"


@dataclass
class Reading:
    text: str
    words: list[Word]
    text_pdf: bytes
    binarisation: str  # "otsu" (Tesseract's own, the page as given) or "even_light" (divided by its paper)
    language: str  # Tesseract language code of the page: "vie", "eng", ...
    lang: str  # the languages it was read with

    @property
    def score(self) -> float:
        return sum(word.confidence for word in self.words)


_VIETNAMESE_BASE = set("ăâđêôơưĂÂĐÊÔƠƯ")


def vietnamese_share(text: str) -> tuple[float, int]:
    """(share of the letters that only Vietnamese writes: ă â đ ê ô ơ ư or a tone mark, number of letters)."""
    letters = [c for c in unicodedata.normalize("NFC", text) if c.isalpha()]
    if not letters:
        return 0.0, 0
    marked = sum(
        1
        for c in letters
        if c in _VIETNAMESE_BASE or any(unicodedata.combining(m) for m in unicodedata.normalize("NFD", c))
    )
    return marked / len(letters), len(letters)


def looks_foreign(text: str) -> bool:
    """Too few Vietnamese letters for its length to be Vietnamese."""
    share, letters = vietnamese_share(text)
    return letters >= MIN_LETTERS_FOR_LANGUAGE and share < VIETNAMESE_LETTER_SHARE


def _language_of(lang: str, text: str) -> str:
    codes = [code for code in lang.split("+") if code]
    if len(codes) == 1 or not codes:
        return codes[0] if codes else lang
    if "vie" in codes and not looks_foreign(text):
        return "vie"
    return next((code for code in codes if code != "vie"), codes[0])


def _reading(image, *, lang: str, dpi: int, timeout: float, binarisation: str) -> Reading:
    text, words, text_pdf = recognise_page(image, lang=lang, dpi=dpi, timeout=timeout)
    return Reading(text, words, text_pdf, binarisation, _language_of(lang, text), lang)


def fails_gate(light: preprocess.Lighting, words: list[Word]) -> str | None:
    """Why a reading should be tried again evenly lit, or None."""
    if light.unevenness > preprocess.UNEVEN_LIGHT:
        return "uneven light"
    if preprocess.word_coverage(light, [word.box for word in words]) < MIN_WORD_COVERAGE:
        return "words cover little of the ink"
    if len(words) >= MIN_WORDS_FOR_CONFIDENCE and mean_confidence(words) < GATE_CONFIDENCE:
        return "low confidence"
    return None


def read_page(image: Image.Image, *, lang: str, dpi: int, timeout: float) -> Reading:
    """The best reading of one upright page image: read as it is; read again evenly lit if it fails the gate,
    and in English if it does not look Vietnamese; the better kept each time."""
    best = _reading(image, lang=lang, dpi=dpi, timeout=timeout, binarisation="otsu")
    gray = preprocess.to_gray(image)
    light = preprocess.lighting(gray, dpi)
    if fails_gate(light, best.words):
        even = preprocess.evenly_lit(image, dpi)
        again = _reading(even, lang=lang, dpi=dpi, timeout=timeout, binarisation="even_light")
        if again.score > best.score:
            best, image = again, even
    if "vie" in lang.split("+") and OTHER_LANGUAGE != lang and looks_foreign(best.text):
        other = _reading(image, lang=OTHER_LANGUAGE, dpi=dpi, timeout=timeout, binarisation=best.binarisation)
        if mean_confidence(other.words) > mean_confidence(best.words):
            best = other
    return best
