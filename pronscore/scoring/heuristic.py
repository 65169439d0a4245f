"""First scores: a documented, monotone mapping from GOP-SF-SD to 0-100.

Phone: exp(GOP) is the posterior of the canonical phone against its substitutions and
its deletion, in (0, 1]. A small acoustic model is often unsure of phones experts rate
as fine, so the posterior is tempered before it becomes a score:

    phone = 100 * exp(GOP / temperature),  temperature = 4

(GOP -1 -> 78, -3 -> 47, -6 -> 22). On 300 rated speechocean762 utterances this keeps
the correlation of raw GOP with expert phone scores (0.30) where a clipped linear map of
the posterior lost some (0.28).

A phone whose deletion posterior exceeds 0.5 is omitted and scores 0.
Word accuracy: mean of its phone scores, omitted phones included as 0.
Word omitted: more than half of its phones omitted.
Sentence accuracy: mean phone score over all phones of words that were not omitted.
Completeness: 100 * share of words not omitted.
Fluency and prosody: the score the fluency/prosody layers put under "score" when they
give one, else `fluency_from_metrics` / `prosody_from_metrics` below; both are scaled by
completeness (fluent silence is not fluency).
Overall: 0.5 accuracy + 0.2 fluency + 0.15 completeness + 0.15 prosody.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from pronscore.gop.analyze import UtteranceEvidence
from pronscore.scoring.base import ScoredUtterance, UtteranceContext

OVERALL_WEIGHTS = {"accuracy": 0.5, "fluency": 0.2, "completeness": 0.15, "prosody": 0.15}


class HeuristicScorer:
    name = "gop-heuristic"

    def __init__(self, temperature: float = 4.0, omit_threshold: float = 0.5):
        self.temperature = temperature
        self.omit_threshold = omit_threshold

    def phone_scores(self, gop: np.ndarray, deletion_prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        score = 100.0 * np.exp(np.asarray(gop, dtype=np.float64) / self.temperature)
        omitted = np.asarray(deletion_prob) > self.omit_threshold
        return np.where(omitted, 0.0, score), omitted

    def score(self, ev: UtteranceEvidence, ctx: UtteranceContext) -> ScoredUtterance:
        gop = np.array([p.gop for p in ev.phones])
        dele = np.array([p.deletion_prob for p in ev.phones])
        scores, omitted = self.phone_scores(gop, dele)
        word_of = np.array([p.word_index for p in ev.phones])
        W = ctx.n_words
        word_acc = np.array([scores[word_of == w].mean() for w in range(W)])
        word_omit = np.array([omitted[word_of == w].mean() > 0.5 for w in range(W)])
        stress = list(ctx.word_stress) if ctx.word_stress else [None] * W
        word_total = np.array([_word_total(a, s) for a, s in zip(word_acc, stress)])
        kept = ~word_omit[word_of]
        accuracy = float(scores[kept].mean()) if kept.any() else 0.0
        completeness = 100.0 * float((~word_omit).mean()) if W else 0.0
        fluency = float(ctx.fluency.get("score", fluency_from_metrics(ctx.fluency)))
        prosody = float(ctx.prosody.get("score", prosody_from_metrics(ctx.prosody, fluency)))
        # Without the words, fluency and prosody mean nothing: scale by completeness.
        fluency *= completeness / 100.0
        prosody *= completeness / 100.0
        overall = (OVERALL_WEIGHTS["accuracy"] * accuracy + OVERALL_WEIGHTS["fluency"] * fluency
                   + OVERALL_WEIGHTS["completeness"] * completeness + OVERALL_WEIGHTS["prosody"] * prosody)
        return ScoredUtterance(phone_scores=scores, phone_omitted=omitted, word_accuracy=word_acc,
                               word_total=word_total, word_stress=stress, word_omitted=word_omit,
                               accuracy=accuracy, completeness=completeness, fluency=fluency,
                               prosody=prosody, overall=float(overall))

    def info(self) -> dict[str, Any]:
        return {"scorer": self.name, "temperature": self.temperature}


def _word_total(accuracy: float, stress: float | None) -> float:
    # Stress weighs a fifth of a word's total where it was judged.
    return float(accuracy if stress is None else 0.8 * accuracy + 0.2 * stress)


def fluency_from_metrics(fl: dict[str, Any]) -> float:
    """Fluency 0-100 from articulation rate and pauses when the fluency layer gave no score.

    Natural read English runs at about 3.5-5.5 syllables per second of articulation; each
    long pause costs 10 points and the share of time spent pausing costs up to 40.
    """
    if not fl:
        return 50.0
    rate = float(fl.get("articulation_rate_sps") or 0.0)
    rate_part = 100.0 * min(1.0, rate / 3.5) if rate < 5.5 else max(0.0, 100.0 - 15.0 * (rate - 5.5))
    ptr = float(fl.get("phonation_time_ratio") or 1.0)
    long_pauses = float(fl.get("long_pause_count") or 0.0)
    return float(np.clip(rate_part - 10.0 * long_pauses - 40.0 * (1.0 - ptr), 0.0, 100.0))


def prosody_from_metrics(pr: dict[str, Any], fluency: float) -> float:
    """Prosody 0-100 when the prosody layer gave no score: pitch movement and fluency.

    Monotone speech (F0 range under 4 semitones) loses up to 40 points; a final contour
    that contradicts the sentence type costs 15.
    """
    if not pr:
        return fluency
    rng = pr.get("f0_range_st")
    lively = 1.0 if rng is None else min(1.0, float(rng) / 4.0)
    into = (pr.get("intonation") or {}).get("matches")
    penalty = 15.0 if into is False else 0.0
    return float(np.clip(0.6 * fluency + 40.0 * lively - penalty, 0.0, 100.0))
