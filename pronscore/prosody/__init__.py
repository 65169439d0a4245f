"""Prosody: F0 and intensity (Parselmouth), final intonation, rhythm and word stress.

Import the submodules directly (`pronscore.prosody.analysis`, `.plot`, `.espeak_synth`);
the names below load lazily so importing the package stays cheap and free of cycles
with `pronscore.fluency`, which shares the acoustic tracks.
"""
from __future__ import annotations

__all__ = ["ProsodyAnalysis", "analyze_prosody", "compute_prosody", "prosody_score"]


def __getattr__(name: str):
    if name in ("ProsodyAnalysis", "analyze_prosody", "compute_prosody"):
        from pronscore.prosody import analysis

        return getattr(analysis, name)
    if name == "prosody_score":
        from pronscore.prosody.score import prosody_score

        return prosody_score
    raise AttributeError(name)
