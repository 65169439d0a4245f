"""Diagnostic feedback: articulatory tips, L1 notes, minimal pairs, reference audio, LLM coach.

Entry point: ``FeedbackEngine(...).build(words, l1=..., reference_audio_dir=...)`` (or
``build_feedback``). Heavy resources (PanPhon table, CMUdict index, TTS voices) load
on first use and stay on the objects that loaded them.
"""
from pronscore.feedback.articulation import Articulation, PhoneDescription, describe, feature_differences
from pronscore.feedback.builder import FeedbackEngine, build_feedback, coach_errors
from pronscore.feedback.coach import CoachError, coach
from pronscore.feedback.l1 import L1Notes, l1_note, supported_l1s
from pronscore.feedback.minimal_pairs import MinimalPairIndex, minimal_pairs
from pronscore.feedback.tips import TipWriter, tip
from pronscore.feedback.tts import Synthesizer, say

__all__ = [
    "Articulation", "PhoneDescription", "describe", "feature_differences",
    "FeedbackEngine", "build_feedback", "coach_errors",
    "CoachError", "coach",
    "L1Notes", "l1_note", "supported_l1s",
    "MinimalPairIndex", "minimal_pairs",
    "TipWriter", "tip",
    "Synthesizer", "say",
]
