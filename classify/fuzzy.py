"""Fuzzy title matching on folded text: OCR damage a fold cannot undo ("TỜ TRlNH", "HỒ S0", "ĐJNH").

A title is compared with whole words from the beginning of the line (squeezed together, so "QU YẾT" is one
candidate), never with a cut inside a word: "CHI TIẾT" is not a damaged "CHỈ THỊ" just because "CHI TI" is
one letter from it. Edits allowed grow with the length of the title: none below 6 letters, one up to 9, two
from 10.
"""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein


def allowed_edits(key: str) -> int:
    if len(key) < 6:
        return 0
    return 1 if len(key) < 10 else 2


def fuzzy_prefix_length(words: list[str], key: str) -> int | None:
    """Length (in squeezed letters) of the first words of a line that match `key` within the allowed edits,
    the closest match winning; None if none does. `words` are the line's folded words, each squeezed."""
    budget = allowed_edits(key)
    if budget == 0:
        return None
    best: tuple[int, int] | None = None
    candidate = ""
    for word in words:
        candidate += word
        if len(candidate) > len(key) + budget:
            break
        if len(candidate) < len(key) - budget:
            continue
        distance = Levenshtein.distance(candidate, key, score_cutoff=budget)
        if distance <= budget and (best is None or distance < best[0]):
            best = (distance, len(candidate))
    return None if best is None else best[1]


def fuzzy_startswith(squeezed: str, words: list[str], keys: tuple[str, ...]) -> bool:
    """Whether the line begins with one of `keys`, exactly or within the allowed edits."""
    return squeezed.startswith(keys) or any(fuzzy_prefix_length(words, key) is not None for key in keys)
