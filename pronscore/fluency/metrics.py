"""Fluency measures over the aligned words and the audio."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from pronscore.fluency.activity import speech_activity
from pronscore.fluency.hesitations import find_hesitations
from pronscore.fluency.pauses import LONG_PAUSE_S, RUN_BREAK_PAUSE_S, Pause, find_pauses, speech_span
from pronscore.fluency.syllables import Nucleus, SyllableCounter, default_syllable_counter, intensity_peak_times
from pronscore.prosody.acoustics import PitchTrack, check_audio, extract_intensity, extract_pitch
from pronscore.prosody.timing import check_words
from pronscore.result import WordResult

#: Word errors that still count as correctly read for WCPM.
CORRECT_WORD_ERRORS = frozenset({"none", "accented"})

FLUENCY_KEYS = (
    "speech_rate_sps", "articulation_rate_sps", "phonation_time_ratio", "pause_count", "mean_pause_s",
    "long_pause_count", "mean_length_of_run", "wcpm", "pauses", "hesitations", "syllable_count",
    "speech_duration_s",
)


def mean_length_of_run(nuclei: Sequence[Nucleus], pauses: Sequence[Pause]) -> float:
    """Mean number of syllables between pauses of at least RUN_BREAK_PAUSE_S (runs with no syllable skipped).

    Nuclei without a time (words never aligned) cannot be placed in a run; they are
    spread over the runs in proportion, i.e. ignored in the mean's numerator share.
    """
    timed = np.array([n.time for n in nuclei if n.time is not None])
    untimed = len(nuclei) - timed.size
    breaks = sorted((p.start + p.end) / 2 for p in pauses if p.duration >= RUN_BREAK_PAUSE_S)
    if timed.size == 0:
        return len(nuclei) / (len(breaks) + 1) if nuclei else 0.0
    counts = np.bincount(np.searchsorted(breaks, timed), minlength=len(breaks) + 1)
    runs = counts[counts > 0]
    return float((runs.sum() + untimed) / runs.size)


def compute_fluency(
    audio: np.ndarray,
    sample_rate: int,
    words: Sequence[WordResult],
    vad_probs: np.ndarray | None = None,
    vad_frame_s: float = 0.02,
    *,
    pitch: PitchTrack | None = None,
    syllable_counter: SyllableCounter | None = None,
) -> dict[str, Any]:
    """Fluency measures of one utterance.

    Pauses are non-speech stretches of at least 0.25 s between the first and the
    last speech (`pauses.MIN_PAUSE_S`); `pause_count`, `mean_pause_s` and the
    phonation time use those; `long_pause_count` counts pauses >= 0.4 s;
    `mean_length_of_run` splits the syllables at pauses >= 0.25 s. Rates are in
    syllables per second: `speech_rate_sps` over the speech span (leading and
    trailing silence excluded), `articulation_rate_sps` over the phonation time
    (span minus pauses). `wcpm` counts words whose error is "none" or "accented"
    per minute of the speech span. Optional `pitch` reuses a track computed by
    the prosody layer; `syllable_counter` reuses a loaded PanPhon table.
    Audio with no speech gives zero rates and counts (never an exception).
    """
    samples = check_audio(audio, sample_rate)
    check_words(words, samples.size / sample_rate)
    intensity = extract_intensity(samples, sample_rate)
    pitch = pitch if pitch is not None else extract_pitch(samples, sample_rate)
    counter = syllable_counter or default_syllable_counter()

    activity = speech_activity(intensity, vad_probs, vad_frame_s)
    span = speech_span(activity, words)
    pauses = find_pauses(activity, span, words)
    nuclei = counter.nuclei(words, intensity, pitch)
    if not any(w.start is not None for w in words) and span is not None:
        # No alignment at all: count syllables from the signal over the whole speech span.
        peaks = intensity_peak_times(intensity, pitch, span.start, span.end)
        nuclei = [Nucleus(float(t), -1, "intensity") for t in peaks]
    hesitations = find_hesitations(samples, sample_rate, words, activity, pitch)

    duration = span.duration if span is not None else 0.0
    paused = float(sum(p.duration for p in pauses))
    phonation = max(duration - paused, 0.0)
    syllables = len(nuclei)
    correct_words = sum(1 for w in words if w.error in CORRECT_WORD_ERRORS)
    long_pauses = [p for p in pauses if p.duration >= LONG_PAUSE_S]
    return {
        "speech_rate_sps": syllables / duration if duration > 0 else 0.0,
        "articulation_rate_sps": syllables / phonation if phonation > 0 else 0.0,
        "phonation_time_ratio": phonation / duration if duration > 0 else 0.0,
        "pause_count": len(pauses),
        "mean_pause_s": paused / len(pauses) if pauses else 0.0,
        "long_pause_count": len(long_pauses),
        "mean_length_of_run": mean_length_of_run(nuclei, pauses),
        "wcpm": 60.0 * correct_words / duration if duration > 0 else 0.0,
        "pauses": [p.to_dict() for p in pauses],
        "hesitations": [h.to_dict() for h in hesitations],
        "syllable_count": syllables,
        "speech_duration_s": duration,
    }

