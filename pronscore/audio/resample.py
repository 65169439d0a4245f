"""Downmix to mono and resample to the model rate (16 kHz) with a polyphase filter.

``scipy.signal`` is imported inside `resample`, when a source is not already at the
target rate: importing it takes 1-2 s on a laptop core (SciPy 1.17), which
``import pronscore.audio`` should not pay; 16 kHz input never loads it (the fluency and
prosody layers use numpy equivalents of find_peaks / medfilt).
"""
from __future__ import annotations

from fractions import Fraction
from math import gcd

import numpy as np

MODEL_SAMPLE_RATE = 16000

#: Largest up/down factor we let resample_poly use. Its anti-alias filter has
#: about 20 * max(up, down) taps, so an odd rate such as 44101 Hz (factors
#: 16000/44101) would design a ~900k-tap filter; beyond this limit the ratio
#: is approximated by the nearest fraction with a small denominator, an error
#: of a few parts per million in pitch and duration.
MAX_RESAMPLE_FACTOR = 2000


def downmix(frames: np.ndarray) -> np.ndarray:
    """Average the channels of ``(n, channels)`` (or pass through ``(n,)``) into float32 mono."""
    if frames.ndim == 1:
        return np.asarray(frames, dtype=np.float32)
    if frames.shape[1] == 1:
        return np.ascontiguousarray(frames[:, 0], dtype=np.float32)
    # Averaging (not summing) keeps the level in [-1, 1] for any channel count.
    return frames.mean(axis=1, dtype=np.float64).astype(np.float32)


def resample_factors(source_rate: int, target_rate: int) -> tuple[int, int]:
    """Return the reduced (up, down) pair with ``source_rate * up / down == target_rate``.

    Falls back to the closest fraction with factors <= MAX_RESAMPLE_FACTOR
    when the exact ratio would need a huge filter.
    """
    common = gcd(source_rate, target_rate)
    up, down = target_rate // common, source_rate // common
    if max(up, down) <= MAX_RESAMPLE_FACTOR:
        return up, down
    ratio = Fraction(target_rate, source_rate).limit_denominator(MAX_RESAMPLE_FACTOR)
    if ratio.numerator > MAX_RESAMPLE_FACTOR:
        # Extreme down-sampling ratios: bound the numerator instead.
        ratio = 1 / Fraction(source_rate, target_rate).limit_denominator(MAX_RESAMPLE_FACTOR)
    return ratio.numerator, ratio.denominator


def resample(mono: np.ndarray, source_rate: int, target_rate: int = MODEL_SAMPLE_RATE) -> np.ndarray:
    """Resample a 1-D signal from ``source_rate`` to ``target_rate`` (float32 out)."""
    if source_rate == target_rate:
        return np.asarray(mono, dtype=np.float32)
    from scipy.signal import resample_poly

    up, down = resample_factors(source_rate, target_rate)
    # Filter in float64 so accumulation over long filters adds no rounding
    # noise; the cost is small next to the acoustic model.
    resampled = resample_poly(np.asarray(mono, dtype=np.float64), up, down)
    return resampled.astype(np.float32)


def to_mono_16k(frames: np.ndarray, source_rate: int) -> np.ndarray:
    """Downmix ``(n, channels)`` audio and resample it to 16 kHz float32 mono."""
    return resample(downmix(frames), source_rate, MODEL_SAMPLE_RATE)
