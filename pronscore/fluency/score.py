"""Heuristic fluency score (0-100) until the learned scorer exists.

score = 100 * (0.30 articulation + 0.25 phonation + 0.20 run length
               + 0.15 long pauses + 0.10 pause length) - hesitation penalty

with each component in [0, 1]:

* articulation: (articulation_rate - 1.5) / (4.0 - 1.5) clipped; 4 syllables/s is a
  comfortable natural rate, faster speech is not rewarded further;
* phonation: (phonation_time_ratio - 0.5) / (0.95 - 0.5) clipped;
* run length: (mean_length_of_run - 2) / (10 - 2) clipped;
* long pauses: exp(-0.7 * long pauses per 10 syllables);
* pause length: 1 - (mean_pause_s - 0.3) / 1.2 clipped (no pauses -> 1);
* hesitations: 5 points each, at most 20.

Every component is monotone, so faster articulation (up to 4 syll/s), fewer and
shorter pauses and fewer hesitations never lower the score. No speech -> 0.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def _unit(x: float) -> float:
    return float(np.clip(x, 0.0, 1.0))


def fluency_components(fluency: dict[str, Any]) -> dict[str, float]:
    syllables = max(int(fluency["syllable_count"]), 1)
    return {
        "articulation": _unit((fluency["articulation_rate_sps"] - 1.5) / 2.5),
        "phonation": _unit((fluency["phonation_time_ratio"] - 0.5) / 0.45),
        "run_length": _unit((fluency["mean_length_of_run"] - 2.0) / 8.0),
        "long_pauses": math.exp(-0.7 * 10.0 * fluency["long_pause_count"] / syllables),
        "pause_length": _unit(1.0 - (fluency["mean_pause_s"] - 0.3) / 1.2) if fluency["pause_count"] else 1.0,
    }


FLUENCY_WEIGHTS = {"articulation": 0.30, "phonation": 0.25, "run_length": 0.20, "long_pauses": 0.15,
                   "pause_length": 0.10}


def fluency_score(fluency: dict[str, Any]) -> float:
    if fluency["syllable_count"] == 0 or fluency["speech_duration_s"] <= 0:
        return 0.0
    components = fluency_components(fluency)
    base = 100.0 * sum(FLUENCY_WEIGHTS[k] * v for k, v in components.items())
    penalty = min(5.0 * len(fluency.get("hesitations", [])), 20.0)
    return float(np.clip(base - penalty, 0.0, 100.0))
