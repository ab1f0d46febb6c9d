"""Error rates of OCR text against a true text, for the benchmarks (never asserted by the test suite).

Both texts are first NFC-normalised with all whitespace (line breaks included) collapsed to single spaces, the
convention of the shared corpus's ground truth: line breaks and spacing are layout, not characters read.

- `cer`: character error rate, Levenshtein distance / reference length. Sensitive to reading order: a block
  read in a different order than the true text lists it costs about twice its length.
- `cer_folded`: the same after `schemas.text.fold` (lower case, no diacritics, đ -> d). The gap between the two
  is what diacritics (and case) cost; what is left is wrong or missing letters.
- `bag_of_words_errors`: an order-free word error count. Words are matched as multisets, so reading order
  cannot matter; the unmatched words are counted as a minimum edit would (substitutions, then the surplus as
  insertions or deletions): max(|ref|, |hyp|) - |ref ∩ hyp|.

Each rate has an `*_errors` twin returning (errors, reference length), so a set of pages is scored as total
errors over total reference length rather than as a mean of per-page rates (which would weigh a short page
like a long one).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from schemas.text import fold

_WHITESPACE = re.compile(r"\s+")
# Punctuation glued to a word ("2023;", "(quick)") is split off, so a misread comma does not also cost the word.
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def normalise(text: str) -> str:
    """NFC, every run of whitespace as one space, no leading or trailing space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _folded(text: str) -> str:
    # fold maps each character to exactly one character: whitespace stays whitespace, so normalising after
    # folding equals folding after normalising (a lone combining mark folds to a space, which collapses).
    return normalise(fold(normalise(text)))


def char_errors(reference: str, hypothesis: str, *, folded: bool = False) -> tuple[int, int]:
    """(Levenshtein distance, reference length), in characters of the normalised (optionally folded) texts."""
    prepare = _folded if folded else normalise
    ref, hyp = prepare(reference), prepare(hypothesis)
    return Levenshtein.distance(ref, hyp), len(ref)


def _rate(errors: int, length: int) -> float:
    if length == 0:
        return 0.0 if errors == 0 else float("inf")
    return errors / length


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edits to turn the hypothesis into the reference, over the reference length."""
    return _rate(*char_errors(reference, hypothesis))


def cer_folded(reference: str, hypothesis: str) -> float:
    """Character error rate once case and diacritics are folded away (ồ -> o, Đ -> d)."""
    return _rate(*char_errors(reference, hypothesis, folded=True))


def tokens(text: str, *, folded: bool = False) -> list[str]:
    """Words and punctuation marks of the normalised (optionally folded) text."""
    return _TOKEN.findall(_folded(text) if folded else normalise(text))


def bag_of_words_errors(reference: str, hypothesis: str, *, folded: bool = False) -> tuple[int, int]:
    """(order-free word errors, reference word count): max(|ref|, |hyp|) minus the multiset intersection."""
    ref, hyp = Counter(tokens(reference, folded=folded)), Counter(tokens(hypothesis, folded=folded))
    n_ref, n_hyp = sum(ref.values()), sum(hyp.values())
    matched = sum((ref & hyp).values())
    return max(n_ref, n_hyp) - matched, n_ref


def bag_of_words_error_rate(reference: str, hypothesis: str, *, folded: bool = False) -> float:
    return _rate(*bag_of_words_errors(reference, hypothesis, folded=folded))


@dataclass
class Score:
    """Errors and reference lengths summed over pages; rates are total errors over total length."""

    pages: int = 0
    chars: int = 0
    char_errors: int = 0
    char_errors_folded: int = 0
    words: int = 0
    word_errors: int = 0
    word_errors_folded: int = 0

    def add(self, reference: str, hypothesis: str) -> Score:
        errors, length = char_errors(reference, hypothesis)
        # Folding can shorten a text only by a lone combining mark: the exact length is the denominator of both.
        errors_folded, _ = char_errors(reference, hypothesis, folded=True)
        word_errors, words = bag_of_words_errors(reference, hypothesis)
        word_errors_folded, _ = bag_of_words_errors(reference, hypothesis, folded=True)
        self.pages += 1
        self.chars += length
        self.char_errors += errors
        self.char_errors_folded += errors_folded
        self.words += words
        self.word_errors += word_errors
        self.word_errors_folded += word_errors_folded
        return self

    @property
    def cer(self) -> float:
        return _rate(self.char_errors, self.chars)

    @property
    def cer_folded(self) -> float:
        return _rate(self.char_errors_folded, self.chars)

    @property
    def bag_wer(self) -> float:
        return _rate(self.word_errors, self.words)

    @property
    def bag_wer_folded(self) -> float:
        return _rate(self.word_errors_folded, self.words)
