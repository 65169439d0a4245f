"""Fluency: speech and articulation rate, pauses, runs, WCPM and filled pauses over the aligned words."""
from __future__ import annotations

from pronscore.fluency.metrics import FLUENCY_KEYS, compute_fluency
from pronscore.fluency.score import fluency_score
from pronscore.fluency.syllables import SyllableCounter

__all__ = ["FLUENCY_KEYS", "SyllableCounter", "compute_fluency", "fluency_score"]
