"""Turning what a person types into an FTS5 query, and cutting snippets from the original text."""

from __future__ import annotations

import re

from schemas.text import fold, words

SNIPPET_CHARS = 160


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH string: every folded word must occur (AND), each quoted so no syntax leaks in."""
    terms = words(query)
    if not terms:
        return None
    return " ".join(f'"{term}"' for term in terms)


def snippet(original: str, query: str, width: int = SNIPPET_CHARS) -> str:
    """A window of the original text around the first query word found in it.

    Positions are found in the folded text; folding keeps offsets, so the same slice of the
    original shows the words with their diacritics.
    """
    folded = fold(original)
    terms = words(query)
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
