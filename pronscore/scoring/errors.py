"""Error labels from scores.

phone: "omitted" when "sounded like" names nothing (∅) first and the phone scores below
`mispronounced_below`; otherwise "mispronounced" when it scores below `mispronounced_below`
and the "sounded like" list names another phone first, or when it scores below
`substituted_below` and another phone takes at least `substitution_prob` (a clear
substitution: the sound was there, but it was another one); a phone below `accented_below`
(or below `mispronounced_below` with the target still most likely) is "accented". Word:
"mispronounced" when any phone is mispronounced or omitted, or its accuracy is below
`word_mispronounced_below`; "accented" when a phone is accented; "omitted" when most of
its phones are omitted (the scorer's completeness counts a word missing when most of its
phones have a deletion posterior above one half, which can differ). The meaning-changing
cap (scoring/meaning_change.py) lowers a score and the label follows the score: forcing
"mispronounced" on capped phones would be wrong for 73 of the 78 corpus phones the cap
touches out of fold (the experts rated 61 of them fully correct, 5 wrong).

An omission needs the low score as well as the ∅: one acoustic model's deletion posterior
alone (the rule until 2026-12-03) flagged 867 phones of the rated corpus out of fold, 440
of them rated fully correct by the experts (precision 0.12 against the annotated deletions);
∅ first in "sounded like" and a score below `mispronounced_below`: 279 phones, precision
0.44, recall 0.55, 37 rated fully correct (whisper-ctc scorer).

The score scale depends on the scorer, so the thresholds do too: a learned scorer file
carries thresholds tuned on out-of-fold predictions of rated speech (`train-scorer`:
`mispronounced_below` maximises F1 of detecting phones the experts rated 0,
`accented_below` F1 of phones rated below 2, `substituted_below` F1 of the mispronounced
and omitted labels for phones rated 0, given the "sounded like" lists); the GOP heuristic
uses `HEURISTIC`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from pronscore.gop.analyze import DELETION_SYMBOL as DELETION
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
    if score < th.mispronounced_below and top is not None and top.ipa == DELETION:
        return "omitted"
    other_is_top = top is not None and top.ipa not in (target, DELETION)
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


def tune_thresholds(product_scores: np.ndarray, gold: np.ndarray, other_top_prob: np.ndarray | None = None,
                    deletion_top: np.ndarray | None = None) -> tuple[ErrorThresholds, dict[str, float]]:
    """Thresholds on the product scale (0-100) from phone scores and expert ratings (0-2).

    other_top_prob: per phone, the probability of the first "sounded like" candidate when it is
    another phone (0 when it is the target or ∅); deletion_top: whether ∅ comes first. With
    them, `substituted_below` is tuned too (between the other two thresholds, the lowest of
    equal F1), else it stays at its default."""
    scores = np.asarray(product_scores, dtype=np.float64)
    wrong = np.asarray(gold) < 0.5
    grid = np.arange(2.0, 98.0, 1.0)
    mis, f1_mis = best_f1_threshold(scores, wrong, grid)
    acc, f1_acc = best_f1_threshold(scores, np.asarray(gold) < 1.5, grid)
    acc = max(acc, mis)
    info = {"mispronounced_f1": f1_mis, "not_fully_correct_f1": f1_acc}
    substituted = max(HEURISTIC.substituted_below, acc)
    if other_top_prob is not None and deletion_top is not None:
        other = np.asarray(other_top_prob, dtype=np.float64)
        below_mis = scores < mis
        base = below_mis & ((other > 0) | np.asarray(deletion_top, dtype=bool))
        clear = other >= HEURISTIC.substitution_prob
        candidates = np.arange(mis, acc + 1.0, 1.0)
        flagged = base[None, :] | ((scores[None, :] < candidates[:, None]) & clear[None, :])
        tp = (flagged & wrong).sum(axis=1)
        f1 = 2 * tp / np.maximum(flagged.sum(axis=1) + wrong.sum(), 1)
        best = int(np.argmax(f1))
        substituted = float(candidates[best])
        info["mispronounced_label_f1"] = float(f1[best])
    th = ErrorThresholds(mispronounced_below=mis, accented_below=acc, substituted_below=substituted)
    return th, info
