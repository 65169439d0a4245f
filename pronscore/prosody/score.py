"""Heuristic prosody score (0-100) until the learned scorer exists.

score = 100 * (0.20 intonation + 0.20 pitch variation + 0.25 word stress
               + 0.15 rhythm + 0.20 phrasing)

components in [0, 1]:

* intonation: 1 when the final contour matches the sentence type, 0.4 when it
  does not, 0.7 when it could not be judged;
* pitch variation: (f0_range_st - 2) / (8 - 2) clipped (monotone speech is
  penalised; 8 st or more of 5-95 % range counts as lively); 0.5 when unvoiced;
* word stress: mean over judged words of P(expected syllable), i.e. the stress
  scores / 100 (0.7 when no word could be judged);
* rhythm: (nPVI-V - 30) / (55 - 30) clipped: English is stress-timed (nPVI-V
  around 55-65), learners from syllable-timed L1s are nearer 35-45; 0.6 when unknown;
* phrasing: (phonation_time_ratio - 0.5) / 0.4 clipped, from the fluency layer,
  because frequent pauses break the intonation phrase.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

PROSODY_WEIGHTS = {"intonation": 0.20, "pitch_variation": 0.20, "stress": 0.25, "rhythm": 0.15, "phrasing": 0.20}


def _unit(x: float) -> float:
    return float(np.clip(x, 0.0, 1.0))


def prosody_components(
    prosody: dict[str, Any], fluency: dict[str, Any], word_stress_scores: Sequence[float | None] | None = None
) -> dict[str, float]:
    matches = prosody["intonation"]["matches"]
    f0_range = prosody["f0_range_st"]
    if word_stress_scores is not None:
        judged = [s / 100.0 for s in word_stress_scores if s is not None]
    else:
        # Without the per-word scores, use correctness weighted by confidence.
        judged = [
            (j["confidence"] if j["correct"] else 1.0 - j["confidence"])
            for j in prosody["stress"] if j["correct"] is not None
        ]
    npvi = prosody["rhythm"]["npvi_v"]
    return {
        "intonation": 0.7 if matches is None else (1.0 if matches else 0.4),
        "pitch_variation": 0.5 if f0_range is None else _unit((f0_range - 2.0) / 6.0),
        "stress": float(np.mean(judged)) if judged else 0.7,
        "rhythm": 0.6 if npvi is None else _unit((npvi - 30.0) / 25.0),
        "phrasing": _unit((fluency["phonation_time_ratio"] - 0.5) / 0.4),
    }


def prosody_score(
    prosody: dict[str, Any], fluency: dict[str, Any], word_stress_scores: Sequence[float | None] | None = None
) -> float:
    if fluency.get("syllable_count", 0) == 0:
        return 0.0
    components = prosody_components(prosody, fluency, word_stress_scores)
    return float(100.0 * sum(PROSODY_WEIGHTS[k] * v for k, v in components.items()))
