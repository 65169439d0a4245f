"""The scorer interface: per-phone evidence in, scores on the product scale (0-100) out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from pronscore.gop.analyze import UtteranceEvidence


@dataclass
class ScoredUtterance:
    """Scores for one utterance, all 0-100 (stress may be None where not judged)."""

    phone_scores: np.ndarray  # [N phones]
    phone_omitted: np.ndarray  # bool [N]
    word_accuracy: np.ndarray  # [W]
    word_total: np.ndarray  # [W]
    word_stress: list[float | None]  # [W]
    word_omitted: np.ndarray  # bool [W]
    accuracy: float
    completeness: float
    fluency: float
    prosody: float
    overall: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class UtteranceContext:
    """What a scorer may use besides the phone evidence."""

    duration_s: float
    n_words: int
    fluency: dict[str, Any]
    prosody: dict[str, Any]
    word_stress: list[float | None]
    # The same reference analysed on a second acoustic model, for scorers trained on two views
    # (see `LearnedScorer.aux_acoustic`); None when the Session runs one model.
    aux_evidence: UtteranceEvidence | None = None


class Scorer(Protocol):
    name: str

    def score(self, ev: UtteranceEvidence, ctx: UtteranceContext) -> ScoredUtterance: ...

    def info(self) -> dict[str, Any]: ...
