"""The meaning-changing substitution cap (scoring/meaning_change.py)."""
from __future__ import annotations

import math

import pytest

from pronscore.scoring.meaning_change import CAP_MARGIN, meaning_changing_cap


class FakeFinder:
    """cut -> cat and think -> sink exist; nothing else does."""

    words = {("k", "æ", "t"): "cat", ("s", "ɪ", "ŋ", "k"): "sink"}

    def swapped_word(self, phones, position, heard):
        swapped = tuple(phones[:position]) + (heard,) + tuple(phones[position + 1:])
        return self.words.get(swapped)


def test_cap_applies_to_a_clear_substitution_that_makes_another_word():
    cap = meaning_changing_cap("cut", ["k", "ʌ", "t"], 1, "æ", 0.95, -7.0, FakeFinder())
    assert cap == pytest.approx(100 * math.exp(-7.0 / 4) + CAP_MARGIN)


@pytest.mark.parametrize("word, phones, k, heard, prob", [
    ("cut", ["k", "ʌ", "t"], 1, "æ", 0.6),      # not clear enough
    ("cut", ["k", "ʌ", "t"], 1, "ɑ", 0.99),     # "kɑt" is no word here
    ("The", ["ð", "ə"], 1, "i", 0.99),          # function word ("thee" is a reading of "the")
    ("cut", ["k", "ʌ", "t"], 1, "ʌ", 0.99),     # the target itself
])
def test_cap_does_not_apply(word, phones, k, heard, prob):
    assert meaning_changing_cap(word, phones, k, heard, prob, -7.0, FakeFinder()) is None


def test_minimal_pair_index_finds_the_swapped_word():
    from pronscore.feedback.minimal_pairs import MinimalPairIndex

    index = MinimalPairIndex()
    assert index.swapped_word(["k", "ʌ", "t"], 1, "æ") == "cat"
    assert index.swapped_word(["θ", "ɪ", "ŋ", "k"], 0, "s") == "sink"
    assert index.swapped_word(["θ", "ɪ", "ŋ", "k"], 0, "∅") is None
    assert index.swapped_word(["k", "ʌ", "t"], 1, "ʌ") is None
    assert index.swapped_word(["k", "ʌ", "t"], 5, "æ") is None
