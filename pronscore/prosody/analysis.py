"""Prosody of one utterance: pitch statistics, final intonation, rhythm and word stress.

`analyze_prosody` returns a `ProsodyAnalysis` that keeps the F0 and intensity
tracks (for plots and for the fluency layer) next to the JSON-ready dict;
`compute_prosody` is the tuple-returning shortcut of the engine contract.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from pronscore.fluency.syllables import SyllableCounter, default_syllable_counter
from pronscore.prosody.acoustics import IntensityTrack, PitchTrack, check_audio, extract_intensity, extract_pitch
from pronscore.prosody.intonation import expected_contour, final_contour
from pronscore.prosody.rhythm import intervals_from_words, rhythm_metrics
from pronscore.prosody.stress import WordStress, word_stress
from pronscore.prosody.timing import check_words
from pronscore.result import WordResult

PROSODY_KEYS = ("f0_median_hz", "f0_range_st", "f0_sd_st", "intonation", "rhythm", "stress")


@dataclass
class ProsodyAnalysis:
    pitch: PitchTrack
    intensity: IntensityTrack
    prosody: dict[str, Any]  # the Assessment JSON "prosody" object (keys PROSODY_KEYS)
    word_stress_scores: list[float | None]  # aligned with the input words
    stress: list[WordStress] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. why F0 fields are None

    def as_tuple(self) -> tuple[dict[str, Any], list[float | None]]:
        return self.prosody, self.word_stress_scores


def pitch_statistics(pitch: PitchTrack) -> dict[str, float | None]:
    """Median F0 (Hz), 5th-95th percentile range (st) and SD (st) relative to the speaker median."""
    median = pitch.median_hz()
    if median is None:
        return {"f0_median_hz": None, "f0_range_st": None, "f0_sd_st": None}
    semitones = pitch.semitones(median)[pitch.voiced]
    p5, p95 = np.percentile(semitones, [5, 95])
    return {"f0_median_hz": median, "f0_range_st": float(p95 - p5), "f0_sd_st": float(semitones.std())}


def analyze_prosody(
    audio: np.ndarray,
    sample_rate: int,
    words: Sequence[WordResult],
    sentence_type: str,
    *,
    syllable_counter: SyllableCounter | None = None,
) -> ProsodyAnalysis:
    expected = expected_contour(sentence_type)
    samples = check_audio(audio, sample_rate)
    check_words(words, samples.size / sample_rate)
    counter = syllable_counter or default_syllable_counter()
    pitch = extract_pitch(samples, sample_rate)
    intensity = extract_intensity(samples, sample_rate)
    warnings: list[str] = []

    statistics = pitch_statistics(pitch)
    if statistics["f0_median_hz"] is None:
        warnings.append("no voiced frames were found: F0 statistics are unavailable and the contour is 'level'")
    contour = final_contour(pitch, words)
    if contour.reason and statistics["f0_median_hz"] is not None:
        warnings.append(contour.reason)
    matches = None
    if expected is not None and contour.slope_st_per_s is not None:
        matches = contour.contour == expected
    judgements, scores = word_stress(words, pitch, intensity, counter.is_syllabic)
    prosody = {
        **statistics,
        "intonation": {
            "final_contour": contour.contour,
            "final_slope_st_per_s": contour.slope_st_per_s,
            "expected": expected,
            "matches": matches,
        },
        "rhythm": rhythm_metrics(intervals_from_words(words, counter.is_syllabic)),
        "stress": [j.to_dict() for j in judgements],
    }
    return ProsodyAnalysis(pitch, intensity, prosody, scores, judgements, warnings)


def compute_prosody(
    audio: np.ndarray, sample_rate: int, words: Sequence[WordResult], sentence_type: str
) -> tuple[dict[str, Any], list[float | None]]:
    """(prosody dict, per-word stress score 0-100 or None). See `analyze_prosody` for the tracks."""
    return analyze_prosody(audio, sample_rate, words, sentence_type).as_tuple()
