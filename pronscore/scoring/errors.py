"""Error labels from scores.

phone: "omitted" is set by the scorer (deletion posterior above one half); otherwise a
phone is "mispronounced" when it scores below `mispronounced_below` and the "sounded like"
list names another phone first, or when it scores below `substituted_below` and another
phone takes at least `substitution_prob` (a clear substitution: the sound was there, but
it was another one); a phone below `accented_below` (or below `mispronounced_below` with
the target still most likely) is "accented". Word: "mispronounced" when any phone is
mispronounced or omitted, or its accuracy is below `word_mispronounced_below`; "accented"
when a phone is accented.

The score scale depends on the scorer, so the thresholds do too: a learned scorer file
carries thresholds tuned on out-of-fold predictions of rated speech (`train-scorer`:
`mispronounced_below` maximises F1 of detecting phones the experts rated 0,
`accented_below` F1 of phones rated below 2); the GOP heuristic uses `HEURISTIC`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from pronscore.result import Candidate, WordResult


@dataclass(frozen=True)
class ErrorThresholds:
    # 25 of 100 is 0.5 on the corpus's 0-2 phone scale, the MDD boundary; 45 maximized F1 of
    # 'not rated fully correct' with the heuristic scores on 300 rated speechocean762 utterances.
    mispronounced_below: float = 25.0
    accented_below: float = 45.0
    substituted_below: float = 60.0
    substitution_prob: float = 0.5
    word_mispronounced_below: float = 50.0

    def to_json(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any] | None) -> "ErrorThresholds":
        if not d:
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in d.items() if k in known})


HEURISTIC = ErrorThresholds()


def classify_phone(score: float, sounded_like: list[Candidate], target: str,
                   th: ErrorThresholds = HEURISTIC) -> str:
    top = sounded_like[0] if sounded_like else None
    other_is_top = top is not None and top.ipa != target
    if score < th.mispronounced_below:
        return "mispronounced" if other_is_top else "accented"
    if score < th.substituted_below and other_is_top and top.prob >= th.substitution_prob:
        return "mispronounced"
    if score < th.accented_below:
        return "accented"
    return "none"


def classify_word(word: WordResult, th: ErrorThresholds = HEURISTIC) -> str:
    errs = {p.error for p in word.phones}
    if "mispronounced" in errs or "omitted" in errs or word.scores.accuracy < th.word_mispronounced_below:
        return "mispronounced"
    if "accented" in errs:
        return "accented"
    return "none"


def best_f1_threshold(scores: np.ndarray, positive: np.ndarray, candidates: np.ndarray) -> tuple[float, float]:
    """The threshold t (flag score < t) with the highest F1 for `positive`, and that F1."""
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    flagged = scores[None, :] < np.asarray(candidates, dtype=np.float64)[:, None]  # [C, N]
    tp = (flagged & positive).sum(axis=1)
    fp = (flagged & ~positive).sum(axis=1)
    fn = (~flagged & positive).sum(axis=1)
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    best = int(np.argmax(f1))
    return float(candidates[best]), float(f1[best])


def tune_thresholds(product_scores: np.ndarray, gold: np.ndarray) -> tuple[ErrorThresholds, dict[str, float]]:
    """Thresholds on the product scale (0-100) from phone scores and expert ratings (0-2)."""
    grid = np.arange(2.0, 98.0, 1.0)
    mis, f1_mis = best_f1_threshold(product_scores, np.asarray(gold) < 0.5, grid)
    acc, f1_acc = best_f1_threshold(product_scores, np.asarray(gold) < 1.5, grid)
    acc = max(acc, mis)
    th = ErrorThresholds(mispronounced_below=mis, accented_below=acc,
                         substituted_below=max(HEURISTIC.substituted_below, acc))
    return th, {"mispronounced_f1": f1_mis, "not_fully_correct_f1": f1_acc}
