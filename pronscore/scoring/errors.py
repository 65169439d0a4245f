"""Error labels from scores.

phone: "omitted" is set by the scorer (deletion posterior above one half); otherwise a
phone is "mispronounced" when it scores below MISPRONOUNCED_BELOW and the substitution
posterior names another phone as most likely, or when it scores below
SUBSTITUTED_BELOW and another phone takes at least SUBSTITUTION_PROB of the posterior
(a clear substitution: the sound was there, but it was another one); a phone below
ACCENTED_BELOW (or below MISPRONOUNCED_BELOW with the target still most likely) is
"accented". Word: "mispronounced" when any
phone is mispronounced or omitted, or its accuracy is below WORD_MISPRONOUNCED_BELOW;
"accented" when a phone is accented.
"""
from __future__ import annotations

from pronscore.result import Candidate, WordResult

# 25 of 100 is 0.5 on the corpus's 0-2 phone scale, the MDD boundary; 45 maximized F1 of
# 'not rated fully correct' with the heuristic scores on 300 rated speechocean762 utterances.
MISPRONOUNCED_BELOW = 25.0
ACCENTED_BELOW = 45.0
SUBSTITUTED_BELOW = 60.0
SUBSTITUTION_PROB = 0.5
WORD_MISPRONOUNCED_BELOW = 50.0


def classify_phone(score: float, sounded_like: list[Candidate], target: str) -> str:
    top = sounded_like[0] if sounded_like else None
    other_is_top = top is not None and top.ipa != target
    if score < MISPRONOUNCED_BELOW:
        return "mispronounced" if other_is_top else "accented"
    if score < SUBSTITUTED_BELOW and other_is_top and top.prob >= SUBSTITUTION_PROB:
        return "mispronounced"
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
