"""Error labels from scores.

phone: "omitted" is set by the scorer (deletion posterior above one half); otherwise a
phone scoring below MISPRONOUNCED_BELOW is "mispronounced" when the substitution
posterior names another phone as most likely (or "accented" when it still names the
target), and a phone below ACCENTED_BELOW is "accented". Word: "mispronounced" when any
phone is mispronounced or omitted, or its accuracy is below WORD_MISPRONOUNCED_BELOW;
"accented" when a phone is accented.
"""
from __future__ import annotations

from pronscore.result import Candidate, WordResult

MISPRONOUNCED_BELOW = 40.0
ACCENTED_BELOW = 70.0
WORD_MISPRONOUNCED_BELOW = 50.0


def classify_phone(score: float, sounded_like: list[Candidate], target: str) -> str:
    if score < MISPRONOUNCED_BELOW:
        top = sounded_like[0].ipa if sounded_like else None
        return "mispronounced" if top is not None and top != target else "accented"
    if score < ACCENTED_BELOW:
        return "accented"
    return "none"


def classify_word(word: WordResult) -> str:
    errs = {p.error for p in word.phones}
    if "mispronounced" in errs or "omitted" in errs or word.scores.accuracy < WORD_MISPRONOUNCED_BELOW:
        return "mispronounced"
    if "accented" in errs:
        return "accented"
    return "none"
