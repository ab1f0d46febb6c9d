"""Number, notation and issued date taken from the document's own header only, each with a confidence (issue 14).

A document's header is what comes before its title (QUYẾT ĐỊNH, BÁO CÁO …) or, when it has none (a công văn),
before its first body line ("Kính gửi", "Căn cứ" …). In it:
- số/ký hiệu is the segment starting "Số" in the left column (the block under the issuing body);
- the date is the place-and-date segment in the right column ("<Place>, ngày 05 tháng 8 năm 2009").
Nothing is ever taken from a line starting "Căn cứ", "Theo", "Thực hiện", "Kính gửi", "Xét" or a quotation mark,
nor from anywhere below the title: those lines cite other documents, whose numbers and dates are not this one's.

Handwritten numbers and dates in printed blanks are often unreadable. The printed notation ("/QĐ-SYT") is kept
when the handwritten number is not read. Every field found gets a confidence in 0..1: the OCR confidence of the
words the value came from (the lowest of them), times the strictness of the match (1 for clean digits, less when
O/l had to be read as 0/1 or the blank's dots had to be cut away). A blank that is there but cannot be read
gives the field a confidence of 0, so the caller leaves it empty and asks for review.

Two entry points: `header_fields_from_page` (word boxes and lines from ocr.json: positions decide the columns)
and `header_fields_from_text` (plain text, order only; used when a page has no words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from schemas import Page, Word
from schemas.text import fold

DIGIT_LIKE = "0-9OoIl|i!"
_DIGIT_FIXES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "i": "1", "!": "1"})

# Lines that cite or address: never a source of this document's own fields. Folded, at the line's start.
BODY_LINE = re.compile(r"^\W*(can cu|theo\b|thuc hien|kinh gui|xet\b|xet de nghi|dieu \d)")
QUOTED_LINE = re.compile(r"^\s*[\"“”'‘’«»„]\s*[^\W\d_]")  # a quotation: a mark, then a letter

# "Số: 12/QĐ-SYT", "Số: ....../QĐ-SYT" (blank never read), "Số: 01/2023/TT-BTC". Folded text, at a segment start.
_NUMBER_LINE = re.compile(
    r"^\W{0,2}s[o0]\s*[:.;,]?\s*(?P<number>.{0,16}?)\s*/\s*"
    r"(?P<notation>(?:[0-9]{4}\s*/\s*)?[a-z][a-z0-9]*(?:\s*-\s*[a-z0-9]+|\.[a-z0-9]+)*)"
)
_NUMBER_ONLY = re.compile(rf"^(?P<digits>[0-9][{DIGIT_LIKE}]{{0,5}}|[{DIGIT_LIKE}]{{1,5}}[0-9])$")
_BLANK = re.compile(r"[\s.…_,:;\-~'`\"]+")
# A place-and-date line: "<place>, ngày .. tháng .. năm ....". Blanks may hold anything; the values are checked.
_DATE_LINE = re.compile(
    r"(?P<place>[,;:]\s*|^\s*|\s+)(?<![a-z])ngay(?![a-z])(?P<day>.{0,14}?)(?<![a-z])thang(?![a-z])(?P<month>.{0,14}?)"
    r"(?<![a-z])nam(?![a-z])(?P<year>.{0,12})"
)
_YEAR = re.compile(rf"^[{DIGIT_LIKE}]{{4}}$")
_DAY_MONTH = re.compile(rf"^[{DIGIT_LIKE}]{{1,2}}$")

# Strictness of a value: how much of it had to be guessed.
FIXED_DIGITS = 0.8  # O read as 0, l as 1 ...
CUT_FROM_BLANK = 0.95  # dots of the blank around the handwritten value
LOOSE_NOTATION = 0.75  # a notation without the hyphen of "QĐ-UBND" (one word: "UBND", "SNV")
# A number and notation read as ONE word in the strict printed form "125/QĐ-UBND": Tesseract gives any word holding
# Đ or a slash a low confidence (0.5-0.6 on clean 200 dpi prints), so the word's agreement with the grammar is the
# better evidence. A number written by hand into a blank is read apart from the printed "/QĐ-..." after it.
PRINTED_TOGETHER = 0.8
HANDWRITTEN_SLOT = 0.9
# A notation in the strict printed form of Nghị định 30/2020 Phụ lục III: a type or unit abbreviation, a hyphen, the
# issuing body's abbreviation ("QĐ-UBND", "TTr-SYT", "SXD-VP"). Its word is printed, and scored low for its Đ and
# its hyphen like the joined reference above; the form itself is the evidence.
PRINTED_NOTATION = 0.7
_PRINTED_NOTATION = re.compile(r"^(?:[0-9]{4}/)?(?:TTr|CTr|QyĐ|[A-ZĐ]{1,5})-[A-ZĐ]{2,8}(?:-[A-ZĐ0-9]{1,8})?$")
_PRINTED_REFERENCE = re.compile(r"^[0-9]{1,5}/[A-ZĐ][A-ZĐ0-9]*(-[A-ZĐ0-9]+){0,3}$")
TEXT_ONLY = 0.9  # no word confidences known (plain text): a clean match still says less than a read word
AFTER_TITLE = 2  # lines under the title where a number may still be printed ("HỢP ĐỒNG LAO ĐỘNG" / "Số: 65/...")


@dataclass
class HeaderFields:
    number: str | None = None
    notation: str | None = None
    issued_date: date | None = None
    # field name -> confidence (0..1), for every field the header has a place for, read or not.
    confidence: dict[str, float] = field(default_factory=dict)


@dataclass
class _Segment:
    """A run of words on one line, cut where a wide gap separates the header's two columns."""

    words: list[Word]
    text: str
    spans: list[tuple[int, int]]  # each word's characters in `text`
    left: int
    top: int
    right: int
    bottom: int

    def one_word(self, start: int, end: int) -> bool:
        """Whether characters start..end all lie in one word."""
        return sum(1 for s, e in self.spans if s < end and e > start) == 1

    def confidence(self, start: int, end: int) -> float:
        """The lowest OCR confidence (0..1) of the words holding characters start..end."""
        found = [w.confidence for w, (s, e) in zip(self.words, self.spans) if s < end and e > start]
        return min(found) / 100 if found else 0.0


def _segment(words: list[Word]) -> _Segment:
    parts, spans, cursor = [], [], 0
    for word in words:
        spans.append((cursor, cursor + len(word.text)))
        parts.append(word.text)
        cursor += len(word.text) + 1
    return _Segment(
        words=words,
        text=" ".join(parts),
        spans=spans,
        left=min(w.box[0] for w in words),
        top=min(w.box[1] for w in words),
        right=max(w.box[0] + w.box[2] for w in words),
        bottom=max(w.box[1] + w.box[3] for w in words),
    )


def page_segments(page: Page) -> list[_Segment]:
    """The page's lines, each cut at gaps wider than three times its height, top to bottom."""
    lines: dict[int, list[Word]] = {}
    for word in page.words:
        if word.text.strip():
            lines.setdefault(word.line, []).append(word)
    segments: list[_Segment] = []
    for words in lines.values():
        words.sort(key=lambda w: w.box[0])
        height = max(sorted(w.box[3] for w in words)[len(words) // 2], 1)
        run = [words[0]]
        for previous, word in zip(words, words[1:]):
            gap = word.box[0] - (previous.box[0] + previous.box[2])
            # Columns part at a wide gap opening into the right half; a blank left for a handwritten number
            # ("Số: ........ /QĐ-SYT") is a wide gap too, in the left half, and does not cut the line.
            if gap > 3 * height and (not page.width or word.box[0] > page.width * 0.45):
                segments.append(_segment(run))
                run = []
            run.append(word)
        segments.append(_segment(run))
    segments.sort(key=lambda s: (s.top, s.left))
    return segments


def _is_title(text: str) -> bool:
    from classify.metadata import capitals_ratio
    from classify.rules import match_title

    return capitals_ratio(text) >= 0.7 and match_title(text) is not None


def _fix_digits(raw: str) -> str:
    return re.sub(r"\s+", "", raw).translate(_DIGIT_FIXES)


def _number_value(raw: str) -> tuple[str | None, float]:
    """The number written in the blank and its strictness; (None, 0) when the blank holds no readable number."""
    core = _BLANK.sub(" ", raw).strip()
    strictness = CUT_FROM_BLANK if core != raw.strip() else 1.0
    core = core.replace(" ", "")
    found = _NUMBER_ONLY.match(core)
    if not found:
        return None, 0.0
    fixed = _fix_digits(core)
    return fixed, strictness * (1.0 if fixed == core else FIXED_DIGITS)


def _part_value(raw: str, pattern: re.Pattern) -> tuple[str | None, float]:
    core = _BLANK.sub(" ", raw).strip()
    strictness = CUT_FROM_BLANK if core != raw.strip() else 1.0
    core = core.replace(" ", "")
    if not pattern.match(core):
        return None, 0.0
    fixed = _fix_digits(core)
    return fixed, strictness * (1.0 if fixed == core else FIXED_DIGITS)


def parse_number_line(text: str, word_confidence, one_word=None) -> HeaderFields | None:
    """Number and notation of a "Số: ..." line (None if the line is not one). `word_confidence(start, end)` gives
    the OCR confidence of the characters start..end of `text`; `one_word(start, end)` whether they are one word."""
    folded = fold(text)
    found = _NUMBER_LINE.match(folded)
    if not found:
        return None
    fields = HeaderFields()
    notation = re.sub(r"\s+", "", text[found.start("notation") : found.end("notation")]).rstrip(".-")
    if notation:
        strict = 1.0 if "-" in notation or "/" in notation else LOOSE_NOTATION
        fields.notation = notation
        fields.confidence["notation"] = round(word_confidence(*found.span("notation")) * strict, 3)
        if _PRINTED_NOTATION.match(notation):
            fields.confidence["notation"] = max(fields.confidence["notation"], PRINTED_NOTATION)
    number, strictness = _number_value(folded[found.start("number") : found.end("number")])
    fields.number = number
    number_span = found.span("number")
    if number is None or number_span[0] == number_span[1]:
        fields.confidence["number"] = 0.0
    else:
        fields.confidence["number"] = round(word_confidence(*number_span) * strictness, 3)
    if number is not None and notation and one_word is not None and strictness == 1.0:
        start, end = number_span[0], found.end("notation")
        if one_word(start, end) and _PRINTED_REFERENCE.match(re.sub(r"\s+", "", text[start:end])):
            for name in ("number", "notation"):
                fields.confidence[name] = max(fields.confidence[name], PRINTED_TOGETHER)
            return fields
    if number is not None and one_word is not None and notation:
        # A number apart from the printed notation was written into the blank by hand: Tesseract, trained on print,
        # is surest exactly where it is wrong about handwriting, so its word confidence counts for less.
        fields.confidence["number"] = round(fields.confidence["number"] * HANDWRITTEN_SLOT, 3)
    return fields


def _year_part(raw: str) -> str:
    """The year's characters at the start of what follows "năm" (four digit-like ones, blanks between kept)."""
    digits, end = 0, 0
    for index, char in enumerate(raw):
        if re.match(rf"[{DIGIT_LIKE}]", char):
            digits, end = digits + 1, index + 1
            if digits == 4:
                break
        elif not _BLANK.match(char):
            break
    return raw[:end]


def parse_date_line(text: str, word_confidence, place: bool = True) -> tuple[date | None, float] | None:
    """The date of a place-and-date line and its confidence; None if the line is not one. With `place`, "ngày"
    must start the line or follow a comma (a place before it); without, its position decides (the caller's)."""
    folded = fold(text)
    found = _DATE_LINE.search(folded)
    if not found:
        return None
    starts_column = text[found.end("place") : found.end("place") + 1] == "N"  # "NGƯỜI NỘP TIỀN Ngày 17 ..."
    if place and found.start() > 0 and not found.group("place").strip() and not starts_column:
        return None
    values, strictness, spans = [], 1.0, []
    for part, pattern in (("day", _DAY_MONTH), ("month", _DAY_MONTH), ("year", _YEAR)):
        raw = folded[found.start(part) : found.end(part)]  # folded: "ỉ2" is "i2"
        if part == "year":
            raw = _year_part(raw)
        value, strict = _part_value(raw, pattern)
        if value is None:
            return None, 0.0
        values.append(int(value))
        strictness = min(strictness, strict)
        spans.append(found.span(part))
    try:
        when = date(values[2], values[1], values[0])
    except ValueError:
        return None, 0.0
    if not 1945 <= when.year <= 2100:
        return None, 0.0
    confidence = min(word_confidence(start, end) for start, end in spans)
    return when, round(confidence * strictness, 3)


def header_fields_from_page(page: Page) -> HeaderFields | None:
    """Header fields located by position (None when the page has no words, or no header is found)."""
    if not page.words or not page.width:
        return None
    segments = page_segments(page)
    if not segments:
        return None
    fallback_limit = page.height * 0.4 if page.height else None
    fields = HeaderFields()
    number_seen = date_seen = False
    after_title = -1  # segments after the title still looked at (a contract prints its number under its title)
    for segment in segments:
        folded = fold(segment.text)
        if BODY_LINE.match(folded) or after_title == 0:
            break
        if after_title < 0 and _is_title(segment.text):
            after_title = AFTER_TITLE
            continue
        if after_title < 0 and fallback_limit is not None and segment.top >= fallback_limit:
            break
        if after_title > 0:
            after_title -= 1
        if QUOTED_LINE.match(segment.text):
            continue
        centre = (segment.left + segment.right) / 2
        if not number_seen and (centre < page.width * 0.55 or after_title >= 0):
            found = parse_number_line(segment.text, segment.confidence, segment.one_word)
            if found is not None:
                number_seen = True
                fields.number, fields.notation = found.number, found.notation
                fields.confidence.update(found.confidence)
                continue
        if not date_seen and after_title < 0 and segment.right > page.width * 0.5:
            dated = parse_date_line(segment.text, segment.confidence, place=False)
            if dated is not None:
                date_seen = True
                fields.issued_date = dated[0]
                fields.confidence["issued_date"] = dated[1]
    return fields


def _text_confidence(start: int, end: int) -> float:
    return TEXT_ONLY


def header_lines(text: str, max_lines: int = 15) -> list[tuple[str, bool]]:
    """The lines before the title (or the first body line), without cited or quoted lines, each with whether it
    comes after the title (one of the AFTER_TITLE lines under it, where only a number is looked for)."""
    header: list[tuple[str, bool]] = []
    after_title = -1
    for line in [line.strip() for line in text.splitlines() if line.strip()][:max_lines]:
        if BODY_LINE.match(fold(line)) or after_title == 0:
            break
        if after_title < 0 and _is_title(line):
            after_title = AFTER_TITLE
            continue
        if after_title > 0:
            after_title -= 1
        if not QUOTED_LINE.match(line):
            header.append((line, after_title >= 0))
    return header


def header_fields_from_text(text: str, max_lines: int = 15) -> HeaderFields:
    """Header fields by order only: the "Số" and place-and-date of the lines before the title. Tesseract often
    reads both columns into one line ("Số: 125/QĐ-UBND Vị Thanh, ngày 05 tháng 8 năm 2023"), so the "Số" may start
    anywhere after the issuer's capitals, and a line is cut before its place-and-date."""
    fields = HeaderFields()
    number_seen = date_seen = False
    for line, after_title in header_lines(text, max_lines):
        folded = fold(line)
        if not number_seen:
            start = re.search(r"(?:^|\s)(s[o0]\s*[:.;,]?\s*[^/\s]{0,16}\s*/)", folded)
            if start:
                found = parse_number_line(line[start.start(1) :], _text_confidence)
                if found is not None:
                    number_seen = True
                    fields.number, fields.notation = found.number, found.notation
                    fields.confidence.update(found.confidence)
        if not date_seen and not after_title:
            dated = parse_date_line(line, _text_confidence)
            if dated is not None:
                date_seen = True
                fields.issued_date = dated[0]
                fields.confidence["issued_date"] = dated[1]
    return fields
