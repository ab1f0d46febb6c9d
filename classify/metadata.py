"""Archival metadata of one document read from its OCR text, robust to what Tesseract does to it.

Every pattern runs on the diacritic-folded text (schemas.text.fold keeps offsets), and values are cut from the
original text at the same offsets, so "Số : 01 / QĐ-CC" gives the notation as printed ("QĐ-CC").

Number and notation: "Số: 12/QĐ-UBND" gives number "12", notation "QĐ-UBND". For legal normative documents the
year sits between them ("Số: 01/2023/TT-BTC"); the number stays the ordinal ("01") and the notation is the rest as
printed ("2023/TT-BTC"), so number + "/" + notation gives back the printed form and CodeNumber (11 characters in
Nghị định 30/2020 Phụ lục VI) holds only the ordinal.

Digits: O/o read for 0 and l/I/i/| (ỉ, í after folding) read for 1 are put right inside numbers and dates only.
Citizen IDs are personal data: they are returned in their own field and never logged or put in an error message.
"""

from __future__ import annotations

import re
from datetime import date

from classify.header import (
    BODY_LINE,
    QUOTED_LINE,
    TEXT_ONLY,
    HeaderFields,
    header_fields_from_text,
    parse_date_line,
)
from schemas import DocumentMetadata
from schemas.text import fold

# Below this confidence (0..1) a number, notation or date is left empty and the document flagged for review
# (SOHOA_FIELD_MIN_CONFIDENCE).
DEFAULT_FIELD_MIN_CONFIDENCE = 0.6
HEADER_FIELDS = ("number", "notation", "issued_date")

# Lines of the page's top that may hold the issuer, the number, the motto and the place and date.
HEADER_LINES = 15

_DIGIT_LIKE = "0-9OoIl|i!"

# "so: 125/qd-ubnd" (folded). The number may carry OCR confusions; the notation starts with a letter.
_NUMBER = re.compile(
    rf"\bso\s*[:.;]?\s*(?P<number>[0-9][{_DIGIT_LIKE}]{{0,5}}|[{_DIGIT_LIKE}]{{1,5}}[0-9])\s*/\s*"
    r"(?P<notation>(?:[0-9]{4}\s*/\s*)?[a-z][a-z0-9]*(?:\s*-\s*[a-z0-9]+|\.[a-z0-9]+)*)"
)
# "ngay 05 thang 8 nam 2009", blanks dotted around handwritten digits ("ngay ..05.. thang .01. nam 2010").
_DAY_MONTH_YEAR = re.compile(
    rf"\bngay[\s.…_]*(?P<day>[{_DIGIT_LIKE}]{{1,2}})[\s.…_]*thang[\s.…_]*(?P<month>[{_DIGIT_LIKE}]{{1,2}})"
    rf"[\s.…_]*nam[\s.…_]*(?P<year>[{_DIGIT_LIKE}]{{4}})"
)
_REFERENCE_LINE = re.compile(r"^\s*(can cu|theo de nghi|xet de nghi)")

_MOTTO_START = re.compile(r"c[o0]ng\s*h[o0]a\s*x|\bd[o0]c\s*l[a4]p\b")
_SUBJECT = re.compile(r"^\s*(v\s*/\s*v|ve viec)\b")

# Dossier code of a procedure (Thông tư 01/2018/TT-VPCP): agency code, YYMMDD received, sequence of the day.
_DOSSIER_CODE = re.compile(
    r"(?<![0-9.])(?P<agency>\d{3}\.\d{2}\.\d{2}\.[a-z]\d{2})\s*-\s*(?P<day>\d{6})\s*-\s*(?P<seq>\d{4})(?!\d)"
)
# Procedure code: level digit and six digits, optionally the agency of a local variant.
_PROCEDURE_CODE = re.compile(
    r"(?<![0-9.])(?P<code>[1-3]\.\d{6})(?P<agency>\.\d{3}\.\d{2}\.\d{2}\.[a-z]\d{2})?(?![0-9])"
)
_CCCD = re.compile(r"(?<![0-9])(\d{12})(?![0-9])")
_CMND_LABELLED = re.compile(r"(cmnd|chung minh nhan dan|chung minh thu)[^0-9\n]{0,25}(\d{9})(?![0-9])")

# Province codes of the CCCD (the first three digits: where the citizen was born).
CCCD_PROVINCES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 "
    "040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 "
    "083 084 086 087 089 091 092 093 094 095 096".split()
)


def _squeeze(folded: str) -> str:
    return re.sub(r"[^a-z0-9]", "", folded)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def capitals_ratio(line: str) -> float:
    letters = [char for char in line if char.isalpha()]
    return sum(char.isupper() for char in letters) / len(letters) if letters else 0.0


def number_and_notation(text: str) -> tuple[str | None, str | None]:
    """("125", "QĐ-UBND") from "Số: 125/QĐ-UBND" in the page's header (the lines before the title, never a "Căn
    cứ ..." line); (None, "QĐ-SYT") when the blank of "Số: ....../QĐ-SYT" is not read; (None, None) when there is
    none. Whatever the confidence (classify.header)."""
    fields = header_fields_from_text(text, HEADER_LINES)
    return fields.number, fields.notation


def issued_date(text: str) -> date | None:
    """The date of issue: "<Place>, ngày 05 tháng 8 năm 2009", the first place-and-date line (the header's, or a
    citizen's signature block); never a date cited in a "Căn cứ ..." line, a quoted line or a sentence."""
    return _place_and_date(text)[0]


def _place_and_date(text: str) -> tuple[date | None, float]:
    for line in _lines(text):
        folded = fold(line)
        if BODY_LINE.match(folded) or QUOTED_LINE.match(line):
            continue
        dated = parse_date_line(line, lambda start, end: TEXT_ONLY)
        if dated is not None and dated[0] is not None:
            return dated
    return None, 0.0


def _left_column(line: str) -> tuple[str, bool]:
    """The part of a header line in the left column, and whether the line holds the number.

    Tesseract often reads both header columns into one line ("ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI ..."): the left part
    ends where the motto, the number or the place-and-date begins; a place name before the date is mixed case and
    is dropped with any other trailing word that is not in capitals."""
    folded = fold(line)
    cuts = [len(line)]
    number = _NUMBER.search(folded)
    for found in (_MOTTO_START.search(folded), number, _DAY_MONTH_YEAR.search(folded)):
        if found:
            cuts.append(found.start())
    words = line[: min(cuts)].split()
    while words and capitals_ratio(words[-1]) < 1.0:
        words.pop()
    return " ".join(words), number is not None


def issuer(text: str) -> str | None:
    """The issuing body: the capitals lines of the top-left block, above "Số: ..." (None when there is no such
    block, as on a citizen's application, which starts with the motto)."""
    from classify.rules import match_title  # rules do not need metadata; importing late keeps that one-way

    block: list[str] = []
    for line in _lines(text)[:HEADER_LINES]:
        if match_title(line) is not None:
            break
        left, holds_number = _left_column(line)
        if left and capitals_ratio(left) >= 0.7 and len(_squeeze(fold(left))) >= 3:
            block.append(left)
        elif block and left:
            break
        if holds_number:
            break
    return _issuing_body(block[-3:])


# A first header line that names a whole body (a place or a ministry in it) is the parent body (cơ quan chủ
# quản), printed above the issuing body: "UBND TỈNH LÂM ĐỒNG" over "SỞ TÀI CHÍNH". "ỦY BAN NHÂN DÂN" alone is the
# start of a name that goes on in the next line ("TỈNH HẬU GIANG").
_WHOLE_BODY = re.compile(r"^(ubnd|bo|tong cuc|ubnd)\b|\b(tinh|huyen|thanh pho|quan|thi xa|xa|phuong)\b")


def _issuing_body(block: list[str]) -> str | None:
    """OrganName: the issuing body, without its parent body."""
    if len(block) >= 2 and _WHOLE_BODY.search(fold(block[0])):
        block = block[1:]
    return " ".join(block) or None


def subject(text: str) -> str | None:
    """Trích yếu: what follows "V/v" under the number, or "Về việc" under the title, with its continuation
    lines (lower-case starts, as a wrapped centred subject prints)."""
    lines = _lines(text)
    for index, line in enumerate(lines[: HEADER_LINES + 10]):
        introduced = _SUBJECT.match(fold(line))
        if not introduced:
            continue
        # "V/v" / "Về việc" introduces the trích yếu; it is not part of it (Subject holds what follows).
        parts = [line[introduced.end() :].strip(" :.-")]
        for following in lines[index + 1 : index + 3]:
            if following[:1].islower() and not _REFERENCE_LINE.match(fold(following)):
                parts.append(following)
            else:
                break
        return " ".join(part for part in parts if part) or None
    return _subject_under_title(lines)


def _subject_under_title(lines: list[str]) -> str | None:
    """A BÁO CÁO, KẾ HOẠCH or HƯỚNG DẪN often gives its subject right under the title, lower-case, without
    "Về việc": "BÁO CÁO" / "kết quả công tác cải cách hành chính năm 2022"."""
    from classify.rules import match_title

    for index, line in enumerate(lines[: HEADER_LINES + 10]):
        if capitals_ratio(line) < 0.7 or match_title(line) is None:
            continue
        parts = []
        for following in lines[index + 1 : index + 4]:
            if not following[:1].islower() or _REFERENCE_LINE.match(fold(following)):
                break
            parts.append(following)
        return " ".join(parts) or None
    return None


def dossier_codes(text: str) -> list[str]:
    found = []
    for match in _DOSSIER_CODE.finditer(fold(text)):
        day = match.group("day")
        try:
            date(2000 + int(day[:2]), int(day[2:4]), int(day[4:]))
        except ValueError:
            continue
        code = f"{match.group('agency').upper()}-{day}-{match.group('seq')}"
        if code not in found:
            found.append(code)
    return found


def procedure_codes(text: str) -> list[str]:
    folded = fold(text)
    dossier_spans = [match.span() for match in _DOSSIER_CODE.finditer(folded)]
    found = []
    for match in _PROCEDURE_CODE.finditer(folded):
        if any(start <= match.start() < end for start, end in dossier_spans):
            continue
        code = match.group("code") + (match.group("agency") or "").upper()
        if code not in found:
            found.append(code)
    return found


def _plausible_cccd(digits: str, today: date) -> bool:
    if digits[:3] not in CCCD_PROVINCES:
        return False
    century = 1900 + 100 * (int(digits[3]) // 2)
    return century + int(digits[4:6]) <= today.year


def citizen_ids(text: str, today: date | None = None) -> list[str]:
    """12-digit CCCD numbers that fit the structure; 9-digit CMND numbers only where labelled as such."""
    today = today or date.today()
    folded = fold(text)
    found = [digits for digits in _CCCD.findall(folded) if _plausible_cccd(digits, today)]
    found += [match.group(2) for match in _CMND_LABELLED.finditer(folded)]
    return list(dict.fromkeys(found))


def extract_metadata(text: str, header: HeaderFields | None = None) -> DocumentMetadata:
    """Every field that can be read from the document's text; None (or []) where it cannot. Number, notation and
    date come from the header only (`header`, when read from the page's word boxes; else from the text's lines
    before the title), each with its confidence; no threshold is applied here (see `hold_doubtful_fields`)."""
    header = header if header is not None else header_fields_from_text(text, HEADER_LINES)
    confidence = dict(header.confidence)
    when = header.issued_date
    if "issued_date" not in confidence:
        # No place-and-date line in the header: a citizen's form is dated in its signature block.
        when, found = _place_and_date(text)
        if when is not None:
            confidence["issued_date"] = found
    dossiers = dossier_codes(text)
    procedures = procedure_codes(text)
    return DocumentMetadata(
        number=header.number,
        notation=header.notation,
        issued_date=when,
        issuer=issuer(text),
        subject=subject(text),
        dossier_code=dossiers[0] if dossiers else None,
        procedure_code=procedures[0] if procedures else None,
        citizen_ids=citizen_ids(text),
        confidence=confidence,
    )


def hold_doubtful_fields(metadata: DocumentMetadata, min_confidence: float = DEFAULT_FIELD_MIN_CONFIDENCE) -> bool:
    """Empty every header field whose confidence is below `min_confidence` (its confidence stays recorded, so a
    reviewer sees what was doubted); True when one was, or when a blank was there but not read: review needed."""
    doubtful = False
    for name in HEADER_FIELDS:
        confidence = metadata.confidence.get(name)
        if confidence is not None and confidence < min_confidence:
            setattr(metadata, name, None)
            doubtful = True
    return doubtful
