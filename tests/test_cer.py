"""The benchmark's error-rate helpers (bench/_cer.py), on hand-checked examples."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from _cer import (  # noqa: E402  (bench/ is a folder of scripts, not a package)
    Score,
    bag_of_words_error_rate,
    bag_of_words_errors,
    cer,
    cer_folded,
    char_errors,
    normalise,
    tokens,
)


def test_normalise_composes_and_collapses_whitespace():
    assert normalise("  a\u0301  b\n\n\tc \f") == "á b c"
    # ệ written as e + dot below + circumflex composes to the single code point U+1EC7.
    assert normalise("Vie\u0323\u0302t") == "Vi\u1ec7t"


def test_identical_texts_have_no_errors_whatever_the_layout():
    assert cer("Số: 12/QĐ-UBND\nngày 05", "Số:  12/QĐ-UBND ngày 05\n") == 0.0
    assert cer("Việt Nam", "Vie\u0323\u0302t Nam") == 0.0  # decomposed OCR output is not an error


def test_one_substitution():
    assert char_errors("abcd", "abed") == (1, 4)
    assert cer("abcd", "abed") == 0.25


def test_a_lost_diacritic_counts_unless_folded():
    # hồ -> hô: one wrong character in five ("hồ sơ" is 5 characters).
    assert cer("hồ sơ", "hô sơ") == pytest.approx(1 / 5)
    assert cer_folded("hồ sơ", "hô sơ") == 0.0
    # Đ/đ have no decomposition: folding must still map them to d.
    assert cer("Đất đai", "dat dai") == pytest.approx(3 / 7)
    assert cer_folded("Đất đai", "dat dai") == 0.0


def test_folding_keeps_letter_errors():
    # QUYẾT -> QUYÉT is a diacritic error (folds away); QUYẾT -> QUYỂN is also a letter error (T -> N).
    assert cer_folded("QUYẾT", "QUYÉT") == 0.0
    assert cer_folded("QUYẾT", "QUYỂN") == pytest.approx(1 / 5)


def test_insertions_can_take_the_rate_above_one():
    assert cer("ab", "abxyz") == pytest.approx(3 / 2)


def test_empty_reference():
    assert cer("", " \n") == 0.0
    assert math.isinf(cer("", "x"))


def test_reading_order_costs_characters_but_not_bag_of_words():
    assert cer("a b c", "c b a") == pytest.approx(2 / 5)
    assert bag_of_words_errors("a b c", "c b a") == (0, 3)


def test_tokens_split_punctuation_from_words():
    assert tokens("Số: 12/QĐ-UBND") == ["Số", ":", "12", "/", "QĐ", "-", "UBND"]
    assert tokens("Số: 12/QĐ-UBND", folded=True) == ["so", ":", "12", "/", "qd", "-", "ubnd"]


def test_bag_of_words_counts_substitutions_then_surplus():
    assert bag_of_words_errors("the cat sat", "the cat") == (1, 3)  # one deletion
    # the, sat match; cat/dog is a substitution and "on" an insertion: max(3, 4) - 2.
    assert bag_of_words_errors("the cat sat", "the dog sat on") == (2, 3)
    assert bag_of_words_errors("the the cat", "the cat cat") == (1, 3)  # multiplicity counts
    assert bag_of_words_error_rate("tỉnh Hậu Giang", "tình Hâu Giang") == pytest.approx(2 / 3)
    assert bag_of_words_error_rate("tỉnh Hậu Giang", "tình Hâu Giang", folded=True) == 0.0


def test_score_sums_errors_before_dividing():
    score = Score().add("abcd", "abed").add("ab", "ab")
    assert (score.pages, score.chars, score.char_errors) == (2, 6, 1)
    assert score.cer == pytest.approx(1 / 6)  # not the mean of 1/4 and 0
    assert score.cer_folded == pytest.approx(1 / 6)
    assert (score.words, score.word_errors) == (2, 1)
    assert score.bag_wer == pytest.approx(1 / 2)
