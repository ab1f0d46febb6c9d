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


def fold(text: str) -> str:
    """Lower-case, diacritic-free copy of `text` with the same length as its NFC form."""
    nfc = unicodedata.normalize("NFC", text)
    return "".join(_fold_char(char) for char in nfc)


def words(text: str) -> list[str]:
    """The folded words of a text (what the index and the query both speak)."""
    return _WORD.findall(fold(text))
