"""The query language (one parser for the CLI, the API and the UI), its translation into an FTS5 MATCH expression
over the exact and folded columns, and snippets cut from the original text.

What a person types:

- words: `giao đất` (every word must occur); typed with diacritics, a word ranks pages holding it exactly above
  pages holding only its folded form ("má" before "ma"); typed without, it finds both;
- `"quoted phrases"`, `prefix*`, `-excluded` (a word, a phrase or a prefix);
- numbers and notations as typed: `12/QĐ-UBND`, `QĐ-UBND`, `1.001234`, `000.00.00.H33-230607-0001` (a token with
  inner punctuation is the phrase of its parts);
- field filters: `type:` (slug), `agency:`, `dossier:`, `so:` (number), `kyhieu:` (notation, or number/notation),
  `ngay:2023-08-05` / `ngay:2023-08` / `ngay:2023-01..2023-06` (issued date; also 5/8/2023), `coquan:` (issuer),
  `nam:2023` or `nam:2020..2023` (year). A field's value may be quoted: `coquan:"Ủy ban nhân dân"`.

Anything the parser cannot read is `InvalidQuery` (code `invalid_query`), saying what is wrong, never an SQL
error: nothing typed reaches FTS5 except words inside double quotes.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from schemas.doctypes import DocType
from schemas.failures import SohoaFailure
from schemas.text import exact_form, fold, words

SNIPPET_CHARS = 160
MAX_QUERY_CHARS = 1000
MAX_TERMS = 40
MIN_PREFIX_CHARS = 2

# The index's columns (catalog.search.index): title and body, each in the exact and the folded form.
EXACT_COLUMNS = "{t_exact b_exact}"
FOLDED_COLUMNS = "{t_folded b_folded}"

FIELDS = ("type", "agency", "dossier", "so", "kyhieu", "ngay", "coquan", "nam")
_WORD = re.compile(r"\w", re.UNICODE)
_FIELD = re.compile(r"^([^\W\d_]+):(.*)$", re.UNICODE | re.DOTALL)


class InvalidQuery(SohoaFailure):
    code = "invalid_query"
    vi = "Câu tìm kiếm không hợp lệ"
    en = "The search query is not valid"
    retryable = False


def _invalid(vi: str, en: str) -> InvalidQuery:
    return InvalidQuery(f"{vi} / {en}")


@dataclass(frozen=True)
class Term:
    """A word, a phrase (several words in a row) or a prefix, as typed (NFC) and in its two index forms."""

    typed: str
    prefix: bool = False

    @property
    def exact_words(self) -> list[str]:
        return re.findall(r"\w+", exact_form(self.typed).replace("_", " "))

    @property
    def folded_words(self) -> list[str]:
        return [word for word in words(self.typed.replace("_", " "))]

    @property
    def has_marks(self) -> bool:
        return self.exact_words != self.folded_words


@dataclass
class Filters:
    doc_types: set[str] = field(default_factory=set)
    agencies: set[str] = field(default_factory=set)
    dossiers: set[str] = field(default_factory=set)
    years: list[tuple[int, int]] = field(default_factory=list)  # ranges, any of them
    dates: list[tuple[str, str]] = field(default_factory=list)  # ISO ranges, all of them
    numbers: list[str] = field(default_factory=list)
    notations: list[tuple[str | None, str]] = field(default_factory=list)  # (number or None, notation)
    issuers: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (
                self.doc_types,
                self.agencies,
                self.dossiers,
                self.years,
                self.dates,
                self.numbers,
                self.notations,
                self.issuers,
            )
        )


@dataclass
class ParsedQuery:
    included: list[Term] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    # Tag groups (catalog.search.index.tag) the pages must hold: any token of each group, every group.
    restrict: list[list[str]] = field(default_factory=list)

    def _restricted(self, expression: str) -> str:
        groups = [f"tags : ({' OR '.join(group)})" for group in self.restrict if group]
        return " AND ".join([*groups, f"({expression})"]) if groups else expression

    @property
    def empty(self) -> bool:
        return not self.included and not self.excluded and not self.filters

    def match(self) -> str | None:
        """The FTS5 MATCH expression of the included terms, minus the excluded ones (None: no included term),
        each term in both forms so that a page holding it exactly ranks above one holding only its folded form."""
        if not self.included:
            return None
        expression = " AND ".join(_either_form(term) for term in self.included)
        if self.excluded:
            expression = f"({expression}) NOT ({self.exclusion_match()})"
        return self._restricted(expression)

    def set_match(self) -> str | None:
        """The same pages as `match` for counting, faceting and sorting by date, read from the folded columns
        alone: a word's exact form always folds to its folded form, so the folded columns find the same pages with
        half the index lists read."""
        if not self.included:
            return None
        expression = " AND ".join(
            f"{FOLDED_COLUMNS} : {_phrase(term.folded_words, term.prefix)}" for term in self.included
        )
        if self.excluded:
            expression = f"({expression}) NOT ({self.exclusion_match()})"
        return self._restricted(expression)

    def tier_matches(self) -> tuple[str, str] | None:
        """(every term in its exact form, every term in a title): what the cheap ranking of a large result weighs
        (see catalog.search), restricted like `match`."""
        if not self.included:
            return None
        exact = " AND ".join(f"{EXACT_COLUMNS} : {_phrase(term.exact_words, term.prefix)}" for term in self.included)
        title = " AND ".join(f"{{t_folded}} : {_phrase(term.folded_words, term.prefix)}" for term in self.included)
        return self._restricted(exact), self._restricted(title)

    def exclusion_match(self) -> str | None:
        if not self.excluded:
            return None
        return " OR ".join(_excluded_form(term) for term in self.excluded)

    def snippet_words(self) -> list[str]:
        return [word for term in self.included for word in term.folded_words]


def _phrase(tokens: list[str], prefix: bool) -> str:
    # Tokens are \w+ runs: no double quote can be inside, so nothing typed is read as FTS5 syntax.
    return '"' + " ".join(tokens) + '"' + (" *" if prefix else "")


def _either_form(term: Term) -> str:
    """A term found in the exact columns or in the folded ones: a page with both scores both (exact first)."""
    exact = f"{EXACT_COLUMNS} : {_phrase(term.exact_words, term.prefix)}"
    folded = f"{FOLDED_COLUMNS} : {_phrase(term.folded_words, term.prefix)}"
    return f"({exact} OR {folded})"


def _excluded_form(term: Term) -> str:
    # Typed with diacritics, an exclusion means that exact word; typed without, every spelling of it.
    if term.has_marks:
        return f"{EXACT_COLUMNS} : {_phrase(term.exact_words, term.prefix)}"
    return f"{FOLDED_COLUMNS} : {_phrase(term.folded_words, term.prefix)}"


def code_key(value: str) -> str:
    """The search form of a number or a notation: folded, without spaces; a number without leading zeros."""
    key = re.sub(r"\s+", "", fold(value))
    return key.lstrip("0") or key if key.isdigit() else key


def _split_tokens(query: str) -> list[tuple[str, bool]]:
    """(token, quoted) pairs: whitespace separates tokens except inside double quotes; a quoted part may follow
    `-` or `field:`."""
    tokens: list[tuple[str, bool]] = []
    position = 0
    length = len(query)
    while position < length:
        if query[position].isspace():
            position += 1
            continue
        start = position
        quoted = False
        while position < length and not query[position].isspace():
            if query[position] == '"':
                closing = query.find('"', position + 1)
                if closing < 0:
                    raise _invalid(
                        'Thiếu dấu ngoặc kép đóng cụm từ (dấu " lẻ)',
                        'A quoted phrase is not closed (a lone ")',
                    )
                quoted = True
                position = closing + 1
            else:
                position += 1
        tokens.append((query[start:position], quoted))
    return tokens


def _check_parentheses(query: str) -> None:
    depth = 0
    for char in query:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise _invalid(
            "Dấu ngoặc đơn không khớp (ví dụ NEAR( thiếu dấu đóng)",
            "Unbalanced parentheses (e.g. NEAR( without its closing one)",
        )


def _unquote(value: str) -> str:
    if '"' in value:
        if not (value.startswith('"') and value.endswith('"') and value.count('"') == 2):
            raise _invalid(
                f"Dấu ngoặc kép đặt sai chỗ trong «{value[:40]}»",
                f"A double quote in the wrong place in «{value[:40]}»",
            )
        return value[1:-1]
    return value


def _term(body: str) -> Term | None:
    """A word, prefix or phrase from a token (quotes removed); None if it holds no word at all."""
    prefix = body.endswith("*")
    if prefix:
        body = body[:-1]
    if "*" in body:
        raise _invalid(
            "Dấu * chỉ đặt ở cuối một từ (tìm theo tiền tố, ví dụ quyet*)",
            "A * goes only at the end of a word (a prefix search, e.g. quyet*)",
        )
    term = Term(body, prefix=prefix)
    if not term.folded_words:
        if prefix:
            raise _invalid("Dấu * phải đi sau một từ", "A * must follow a word")
        return None
    if prefix and len(term.folded_words[-1]) < MIN_PREFIX_CHARS:
        raise _invalid(
            f"Tiền tố quá ngắn: cần ít nhất {MIN_PREFIX_CHARS} ký tự trước dấu *",
            f"Prefix too short: at least {MIN_PREFIX_CHARS} characters before the *",
        )
    return term


def _month_or_day(text: str, end: bool) -> str:
    """An ISO date from 2023, 2023-08, 2023-08-05 or 5/8/2023: the first day of the period, or the last if `end`."""
    try:
        if re.fullmatch(r"\d{4}", text):
            year, month, day = int(text), (12 if end else 1), None
        elif found := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            year, month, day = int(found[1]), int(found[2]), None
        elif found := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
            year, month, day = int(found[1]), int(found[2]), int(found[3])
        elif found := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
            year, month, day = int(found[3]), int(found[2]), int(found[1])
        else:
            raise ValueError(text)
        if day is None:
            day = calendar.monthrange(year, month)[1] if end else 1
        return date(year, month, day).isoformat()
    except ValueError:
        raise _invalid(
            f"Ngày không hợp lệ «{text[:20]}»: dùng 2023-08-05, 2023-08, 2023 hoặc 5/8/2023",
            f"Not a valid date «{text[:20]}»: use 2023-08-05, 2023-08, 2023 or 5/8/2023",
        ) from None


def _date_range(value: str) -> tuple[str, str]:
    if ".." in value:
        start, _, end = value.partition("..")
        if not start and not end:
            raise _invalid("Khoảng ngày trống", "An empty date range")
        return (
            _month_or_day(start, end=False) if start else "0000-01-01",
            _month_or_day(end, end=True) if end else "9999-12-31",
        )
    return _month_or_day(value, end=False), _month_or_day(value, end=True)


def _year(text: str) -> int:
    if not re.fullmatch(r"\d{4}", text):
        raise _invalid(
            f"Năm không hợp lệ «{text[:20]}»: bốn chữ số, ví dụ nam:2023 hoặc nam:2020..2023",
            f"Not a valid year «{text[:20]}»: four digits, e.g. nam:2023 or nam:2020..2023",
        )
    return int(text)


def _year_range(value: str) -> tuple[int, int]:
    if ".." in value:
        start, _, end = value.partition("..")
        return (_year(start) if start else 0, _year(end) if end else 9999)
    year = _year(value)
    return year, year


def doc_type_slug(value: str) -> str:
    """A type as typed (slug or name, with or without diacritics) -> its slug, else InvalidQuery."""
    slug = "_".join(words(value))
    if slug in DocType.__members__:
        return slug
    raise _invalid(
        f"Không có loại văn bản «{value[:40]}» (ví dụ type:quyet_dinh)",
        f"No document type «{value[:40]}» (e.g. type:quyet_dinh)",
    )


def _add_filter(filters: Filters, name: str, value: str) -> None:
    if not value.strip():
        raise _invalid(f"Trường {name}: thiếu giá trị", f"Field {name}: no value given")
    value = value.strip()
    if name == "type":
        filters.doc_types.add(doc_type_slug(value))
    elif name == "agency":
        filters.agencies.add(value.upper())
    elif name == "dossier":
        filters.dossiers.add(value)
    elif name == "so":
        filters.numbers.append(code_key(value))
    elif name == "kyhieu":
        number, slash, notation = value.partition("/")
        if slash and code_key(number).isdigit() and notation:
            filters.notations.append((code_key(number), code_key(notation)))
        else:
            filters.notations.append((None, code_key(value)))
    elif name == "ngay":
        filters.dates.append(_date_range(value))
    elif name == "coquan":
        issuer = " ".join(words(value))
        if not issuer:
            raise _invalid(f"Trường {name}: thiếu giá trị", f"Field {name}: no value given")
        filters.issuers.append(issuer)
    elif name == "nam":
        filters.years.append(_year_range(value))


def parse(query: str) -> ParsedQuery:
    """What a person typed -> terms and filters; InvalidQuery for what cannot be read."""
    if len(query) > MAX_QUERY_CHARS:
        raise _invalid(
            f"Câu tìm kiếm quá dài ({len(query)} ký tự, tối đa {MAX_QUERY_CHARS})",
            f"The query is too long ({len(query)} characters, at most {MAX_QUERY_CHARS})",
        )
    if "\x00" in query:
        raise _invalid("Câu tìm kiếm chứa ký tự điều khiển", "The query holds a control character")
    _check_parentheses(query)
    parsed = ParsedQuery()
    for token, quoted in _split_tokens(query):
        found = _FIELD.match(token)
        if found and fold(found[1]) in FIELDS:
            _add_filter(parsed.filters, fold(found[1]), _unquote(found[2]))
            continue
        excluded = token.startswith("-")
        body = token[1:] if excluded else token
        if excluded and not body:
            raise _invalid(
                "Dấu - phải đứng ngay trước từ cần loại trừ (ví dụ -nhap)",
                "A - must stand right before the word to leave out (e.g. -draft)",
            )
        if quoted:
            body = _unquote(body)
            if not words(body):
                raise _invalid("Cụm từ trong ngoặc kép trống", "An empty quoted phrase")
        term = _term(body)
        if term is None:
            if excluded:
                raise _invalid(
                    "Dấu - phải đứng ngay trước từ cần loại trừ (ví dụ -nhap)",
                    "A - must stand right before the word to leave out (e.g. -draft)",
                )
            continue  # punctuation between words
        (parsed.excluded if excluded else parsed.included).append(term)
    if len(parsed.included) + len(parsed.excluded) > MAX_TERMS:
        raise _invalid(
            f"Quá nhiều từ tìm kiếm (tối đa {MAX_TERMS})",
            f"Too many search terms (at most {MAX_TERMS})",
        )
    if parsed.excluded and not parsed.included and not parsed.filters:
        raise _invalid(
            "Cần ít nhất một từ cần tìm hoặc một bộ lọc, không chỉ từ loại trừ",
            "At least one word to find or one filter is needed, not only words to leave out",
        )
    return parsed


def match_expression(query: str) -> str | None:
    """Every folded word of `query` as its own quoted FTS5 string (AND), so no syntax leaks in: the plain form
    of a query, without the query language."""
    terms = words(query)
    if not terms:
        return None
    return " ".join(f'"{term}"' for term in terms)


def snippet(original: str, query: str | list[str], width: int = SNIPPET_CHARS) -> str:
    """A window of the original text around the first query word found in it.

    Positions are found in the folded text; folding keeps offsets, so the same slice of the
    original shows the words with their diacritics.
    """
    folded = fold(original)
    terms = words(query) if isinstance(query, str) else query
    start = len(folded)
    for term in terms:
        found = re.search(rf"(?<!\w){re.escape(term)}(?!\w)", folded)
        if found:
            start = min(start, found.start())
    if start == len(folded):
        start = 0
    left = max(0, start - width // 3)
    right = min(len(original), left + width)
    # Widen to whole words so the snippet does not begin or end mid-word.
    while left > 0 and not original[left - 1].isspace():
        left -= 1
    while right < len(original) and not original[right].isspace():
        right += 1
    text = " ".join(original[left:right].split())
    return ("…" if left > 0 else "") + text + ("…" if right < len(original) else "")
