"""Title rules: a document says what it is in its own heading (QUYẾT ĐỊNH, TỜ KHAI, ...).

The heading is a line near the top, mostly capitals, that begins with a type title. Lines in the body that
merely mention a type ("Căn cứ Quyết định số ...") are not headings: they are not in capitals. Matching is on
diacritic-folded text with spaces removed, so OCR damage such as "QUYÉT ĐỊNH" or "QU YẾT ĐỊNH" still matches;
what folding cannot undo ("TỜ TRlNH", "HỒ S0") is matched within a few edits (classify.fuzzy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from classify.fuzzy import fuzzy_prefix_length, fuzzy_startswith
from schemas import Classification, DocType
from schemas.text import fold

# Folded title beginnings, longest first within a type so the most specific wins.
TITLE_PATTERNS: list[tuple[str, DocType]] = [
    ("giay tiep nhan ho so", DocType.giay_tiep_nhan),
    ("phieu tiep nhan ho so", DocType.giay_tiep_nhan),
    ("bien nhan ho so", DocType.giay_tiep_nhan),
    ("giay bien nhan", DocType.giay_tiep_nhan),
    ("giay chung nhan quyen su dung dat", DocType.gcn_quyen_su_dung_dat),
    ("giay chung nhan dang ky doanh nghiep", DocType.gcn_dang_ky_kinh_doanh),
    ("giay chung nhan dang ky ho kinh doanh", DocType.gcn_dang_ky_kinh_doanh),
    ("giay chung nhan dang ky kinh doanh", DocType.gcn_dang_ky_kinh_doanh),
    ("can cuoc cong dan", DocType.can_cuoc),
    ("the can cuoc", DocType.can_cuoc),
    ("chung minh nhan dan", DocType.can_cuoc),
    ("giay khai sinh", DocType.giay_khai_sinh),
    ("giay uy quyen", DocType.giay_uy_quyen),
    ("giay moi", DocType.giay_moi),
    ("giay phep", DocType.giay_phep),
    ("bien lai", DocType.bien_lai),
    ("quyet dinh", DocType.quyet_dinh),
    ("nghi quyet", DocType.nghi_quyet),
    ("chi thi", DocType.chi_thi),
    ("huong dan", DocType.huong_dan),
    ("bao cao", DocType.bao_cao),
    ("to trinh", DocType.to_trinh),
    ("thong bao", DocType.thong_bao),
    ("ke hoach", DocType.ke_hoach),
    ("bien ban", DocType.bien_ban),
    ("hop dong", DocType.hop_dong),
    ("to khai", DocType.to_khai),
    ("don", DocType.don),
]

# "ĐƠN" alone is too short to trust as a prefix ("ĐƠN VỊ" is a unit): it must stand alone or be followed
# by what an application says next.
_DON_CONTINUATIONS = ("", "denghi", "xin", "dangky", "khieunai", "tocao", "yeucau", "kiennghi", "phananh")

# Lines of the standard header that are capitals but never a title.
_HEADER_LINES = ("conghoaxahoichunghia", "doclap", "uybannhandan", "hoidongnhandan", "so:", "kinhgui")

# Headings sit in the top part of the first page.
HEADING_SEARCH_LINES = 30
MIN_CAPITALS_RATIO = 0.7

CONFIDENCE_HEADING = 0.9
CONFIDENCE_CONG_VAN = 0.7

_CONG_VAN_SUBJECT = re.compile(r"^\s*v\s*/\s*v\b")
_SUBJECT_LINE = re.compile(r"^\s*(ve viec|v\s*/\s*v)\b")


@dataclass
class _Heading:
    doc_type: DocType
    line_index: int


def _squeeze(folded: str) -> str:
    return re.sub(r"[^a-z0-9:]", "", folded)


def capitals_ratio(line: str) -> float:
    letters = [char for char in line if char.isalpha()]
    if not letters:
        return 0.0
    return sum(char.isupper() for char in letters) / len(letters)


def match_title(line: str) -> DocType | None:
    """The type a line's beginning names as a title (capitals are checked by the caller), or None."""
    folded = fold(line)
    squeezed = _squeeze(folded)
    words = [word for word in (_squeeze(part) for part in folded.split()) if word]
    if not squeezed or fuzzy_startswith(squeezed, words, _HEADER_LINES):
        return None
    # Exact beginnings first, over every pattern, so a damaged line is never preferred to a clean match.
    for exact in (True, False):
        for pattern, doc_type in TITLE_PATTERNS:
            matched = _match_pattern(squeezed, words, pattern.replace(" ", ""), doc_type, exact)
            if matched is not None:
                return matched
    return None


def _match_pattern(squeezed: str, words: list[str], key: str, doc_type: DocType, exact: bool) -> DocType | None:
    if exact:
        if not squeezed.startswith(key):
            return None
    else:
        length = fuzzy_prefix_length(words, key)
        if length is None:
            return None
        key = squeezed[:length]
    rest = squeezed[len(key) :]
    if doc_type is DocType.don and rest not in _DON_CONTINUATIONS and not rest.startswith(_DON_CONTINUATIONS[1:]):
        return None
    return doc_type


def _find_heading(lines: list[str]) -> _Heading | None:
    for index, line in enumerate(lines[:HEADING_SEARCH_LINES]):
        doc_type = match_title(line)
        if doc_type is not None and capitals_ratio(line) >= MIN_CAPITALS_RATIO:
            return _Heading(doc_type, index)
    return None


def _title_text(lines: list[str], heading: _Heading) -> str:
    """The heading, with the capitals line that continues it and the "Về việc ..." subject under it."""
    parts = [lines[heading.line_index].strip()]
    for line in lines[heading.line_index + 1 : heading.line_index + 3]:
        stripped = line.strip()
        if not stripped:
            continue
        if _SUBJECT_LINE.match(fold(stripped)) or (
            capitals_ratio(stripped) >= MIN_CAPITALS_RATIO and match_title(stripped) is None
        ):
            parts.append(stripped)
        else:
            break
    return " ".join(parts)


def classify_text(text: str) -> Classification:
    """The document type from its first page's text, with how sure the rules are."""
    lines = [line for line in text.splitlines() if line.strip()]
    heading = _find_heading(lines)
    if heading is not None:
        return Classification(
            doc_type=heading.doc_type,
            confidence=CONFIDENCE_HEADING,
            title=_title_text(lines, heading),
            method="title-rules",
        )
    for line in lines[:HEADING_SEARCH_LINES]:
        if _CONG_VAN_SUBJECT.match(fold(line)):
            return Classification(
                doc_type=DocType.cong_van, confidence=CONFIDENCE_CONG_VAN, title=line.strip(), method="title-rules"
            )
    return Classification(doc_type=DocType.khac, confidence=0.0, title=None, method="title-rules", needs_review=True)
