"""Final intonation contour: does the utterance end rising, falling or level?

Method. Take the voiced frames of the last spoken word (searching up to
WORD_END_EXTENSION_S past its aligned end, because CTC lets word-final phones
end early) and keep the last FINAL_WINDOW_S of them. Smooth F0 in semitones
with a 5-frame median (removes single-frame octave errors). The *final
movement* is the last monotone stretch: if the contour turns after its later
extreme (the later of the window's minimum and maximum) and moves at least
MIN_EXCURSION_ST away from it over at least MIN_MOVEMENT_S, the final movement
runs from that extreme to the end (e.g. the rise of a fall-rise question);
otherwise it runs from the earlier extreme to the later one (a fall ending in
a flat low tail stays a fall). Its slope is the Theil-Sen slope in st/s.

Thresholds: the movement is "level" when its excursion is below
MIN_EXCURSION_ST (1 st, about the smallest pitch movement listeners reliably
hear as a rise or fall in running speech) or its slope is below
LEVEL_SLOPE_ST_PER_S (3 st/s: slower drifts are declination, not a boundary tone).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from pronscore.errors import TextError
from pronscore.prosody.acoustics import PitchTrack
from pronscore.prosody.timing import is_spoken
from pronscore.result import WordResult

Contour = Literal["rise", "fall", "level"]
FINAL_WINDOW_S = 0.5
MIN_EXCURSION_ST = 1.0
MIN_MOVEMENT_S = 0.06
SMOOTHING_FRAMES = 5
LEVEL_SLOPE_ST_PER_S = 3.0
MIN_VOICED_FRAMES = 5
WORD_START_MARGIN_S = 0.05
WORD_END_EXTENSION_S = 0.4

SENTENCE_TYPES = ("statement", "question", "yes_no_question", "exclamation")
_EXPECTED: dict[str, Contour] = {
    "yes_no_question": "rise",
    "statement": "fall",
    "question": "fall",  # wh-questions fall in English
    "exclamation": "fall",
}


@dataclass(frozen=True)
class FinalContour:
    contour: Contour
    slope_st_per_s: float | None
    window: tuple[float, float] | None  # seconds, the frames the slope was fitted on
    reason: str | None = None  # why the contour could not be measured (then "level")


def expected_contour(sentence_type: str) -> Contour | None:
    if sentence_type not in _EXPECTED:
        raise TextError(f"unknown sentence_type {sentence_type!r}; expected one of {', '.join(SENTENCE_TYPES)}")
    return _EXPECTED[sentence_type]


def classify_slope(slope_st_per_s: float) -> Contour:
    if slope_st_per_s >= LEVEL_SLOPE_ST_PER_S:
        return "rise"
    if slope_st_per_s <= -LEVEL_SLOPE_ST_PER_S:
        return "fall"
    return "level"


def final_contour(pitch: PitchTrack, words: Sequence[WordResult]) -> FinalContour:
    voiced = pitch.voiced
    if not voiced.any():
        return FinalContour("level", None, None, "no voiced frames: the final contour cannot be measured")
    spoken = [w for w in words if is_spoken(w) and w.error != "inserted"]
    region = voiced.copy()
    if spoken:
        last = max(spoken, key=lambda w: w.end)
        region &= (pitch.times >= last.start - WORD_START_MARGIN_S) & (pitch.times <= last.end + WORD_END_EXTENSION_S)
    if region.sum() < MIN_VOICED_FRAMES:
        return FinalContour("level", None, None, "too few voiced frames in the last word to measure the final contour")
    end = pitch.times[region][-1]
    window = region & (pitch.times >= end - FINAL_WINDOW_S)
    if window.sum() < MIN_VOICED_FRAMES:
        return FinalContour("level", None, None, "too few voiced frames at the end to measure the final contour")
    times = pitch.times[window]
    semitones = medfilt(12.0 * np.log2(pitch.f0_hz[window] / np.median(pitch.f0_hz[window])), SMOOTHING_FRAMES)
    first, last = final_movement(times, semitones)
    slope = float(theil_sen_slope(semitones[first:last + 1], times[first:last + 1]))
    excursion = float(semitones[last] - semitones[first])
    contour = classify_slope(slope) if abs(excursion) >= MIN_EXCURSION_ST else "level"
    return FinalContour(contour, slope, (float(times[first]), float(times[last])))


def final_movement(times: np.ndarray, semitones: np.ndarray) -> tuple[int, int]:
    """Indices (first, last) of the final monotone movement of a smoothed contour (see module doc)."""
    i_min, i_max = int(np.argmin(semitones)), int(np.argmax(semitones))
    earlier, later = sorted((i_min, i_max))
    end = semitones.size - 1
    turned = (
        abs(semitones[end] - semitones[later]) >= MIN_EXCURSION_ST
        and times[end] - times[later] >= MIN_MOVEMENT_S
    )
    if turned:
        return later, end
    if later == earlier:  # flat contour
        return 0, end
    return earlier, later


# numpy versions of the two SciPy calls this module needs, so that the assessment path does
# not import scipy.signal and scipy.stats (~0.4 s); tests/test_signal_equivalents.py checks
# them against SciPy.
def medfilt(x: np.ndarray, kernel_size: int) -> np.ndarray:
    """``scipy.signal.medfilt(x, kernel_size)`` for a 1-D float64 array of finite values and
    an odd kernel: the median of each `kernel_size`-sample window, zero-padded at both ends."""
    if kernel_size % 2 != 1:
        raise ValueError("kernel_size should be odd")
    x = np.asarray(x, dtype=np.float64)
    half = kernel_size // 2
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, half), kernel_size)
    return np.partition(windows, half, axis=-1)[:, half]


def theil_sen_slope(y: np.ndarray, x: np.ndarray) -> float:
    """``scipy.stats.theilslopes(y, x).slope``: the median of the slopes between every two
    points with different x."""
    y = np.asarray(y, dtype=float).ravel()
    x = np.asarray(x, dtype=float).ravel()
    if len(x) != len(y):
        raise ValueError("Array shapes are incompatible for broadcasting.")
    if len(x) < 2:
        raise ValueError("`x` and `y` must have length at least 2.")
    deltax = x[:, np.newaxis] - x
    deltay = y[:, np.newaxis] - y
    slopes = deltay[deltax > 0] / deltax[deltax > 0]
    slopes.sort()
    return np.median(slopes)
