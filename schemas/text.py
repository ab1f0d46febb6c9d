"""Vietnamese text forms shared by every layer: diacritic folding (`hồ sơ` -> `ho so`, `Đất đai` -> `dat dai`).

Folding works character by character on NFC text and maps each character to exactly one character, so an
offset in the folded text is the same offset in the original: search snippets are cut from the original
text with the positions found in the folded one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# đ/Đ have no Unicode decomposition: stripping combining marks leaves them untouched.
_NO_DECOMPOSITION = {"đ": "d", "Đ": "d"}

_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _NO_DECOMPOSITION:
        return _NO_DECOMPOSITION[char]
    if char.isascii():
        return char.lower()
    decomposed = unicodedata.normalize("NFD", char)
    base = decomposed[0]
    if unicodedata.combining(base):  # a lone combining mark: drop it, keep the length with a space
        return " "
    base = _NO_DECOMPOSITION.get(base, base).lower()
    return base if len(base) == 1 else char


class _FoldTable(dict):
    """str.translate's table for `fold`, filled as characters are met (a dictionary lookup in C per character)."""

    def __missing__(self, codepoint: int) -> str:
        folded = self[codepoint] = _fold_char(chr(codepoint))
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Lower-case, diacritic-free copy of `text` with the same length as its NFC form."""
    return unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)


def words(text: str) -> list[str]:
    """The folded words of a text (what the index and the query both speak)."""
    return _WORD.findall(fold(text))


# Vietnamese tone marks (NFD combining characters). The vowel-quality marks (circumflex, breve, horn) are not tones.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
# The clusters whose tone two spelling habits place differently when they end a syllable: hoà / hòa, khoẻ / khỏe,
# thuỷ / thủy, uỷ / ủy. "qu" is a consonant (quý, quỳ), and a following letter or mark (hoàng, hoặc, khuyến, xoáy)
# fixes the place, so those are left alone.
_TWO_PLACES = re.compile(
    rf"(?<![qQ])([oOuU])([{_TONES}]?)([aAeEyY])([{_TONES}]?)(?![\w\u0300-\u036f])",
    re.UNICODE,
)


def _tone_on_first(found: re.Match) -> str:
    first, first_tone, second, second_tone = found.groups()
    if (first.lower(), second.lower()) not in {("o", "a"), ("o", "e"), ("u", "y")}:
        return found.group(0)
    return first + (first_tone or second_tone) + second


def normalise_tones(text: str) -> str:
    """NFC text with one tone placement for hoà/hòa, khoẻ/khỏe, thuỷ/thủy, uỷ/ủy (the mark on the first vowel), so
    both spellings are one word. Keeps the length of the NFC text, like `fold`."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _TWO_PLACES.sub(_tone_on_first, decomposed))


def exact_form(text: str) -> str:
    """The form the exact index and an exact query speak: NFC, lower-case, one tone placement."""
    return normalise_tones(unicodedata.normalize("NFC", text).lower())
