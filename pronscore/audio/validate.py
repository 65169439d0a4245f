"""Checks on decoded audio: errors for input we cannot score, warnings for input we can.

Thresholds (all on float samples in [-1, 1]):
  * silence: the *active level* is the RMS of the audio's loud part, defined
    as the level that at least 0.15 s of 20 ms frames reach (the 8th loudest
    frame), after removing the DC offset. Audio whose active level is below
    -55 dBFS is refused as silent. Ranking frames (rather than averaging the
    whole file) means a short word in a long, quiet recording is not called
    silence, and a single click (one loud frame) does not count as sound.
    For scale: speech recorded at an ordinary level sits around -20 to -30
    dBFS, a quiet laptop microphone around -35 to -45, a muted input or room
    noise below -60.
  * quiet: an active level below -40 dBFS is accepted with a warning.
  * clipping: the share of samples with |x| >= 0.99 above 0.1 % is accepted
    with a warning. 0.99 rather than 0.999 because the positive full scale of
    8-bit audio is 127/128 = 0.992.
"""
from __future__ import annotations

import numpy as np

from pronscore.errors import (
    AudioTooLongError,
    AudioTooShortError,
    NonFiniteAudioError,
    SilentAudioError,
)

DEFAULT_MIN_SECONDS = 0.3
DEFAULT_MAX_SECONDS = 300.0

LEVEL_FRAME_S = 0.020
ACTIVE_MIN_SECONDS = 0.15
SILENCE_DBFS = -55.0
QUIET_DBFS = -40.0
CLIP_LEVEL = 0.99
CLIP_SHARE_WARNING = 0.001
#: Floor for converting a zero RMS to decibels.
MIN_DBFS = -200.0


def check_finite(samples: np.ndarray) -> None:
    finite = np.isfinite(samples)
    if not finite.all():
        bad = int(samples.size - np.count_nonzero(finite))
        raise NonFiniteAudioError(
            f"audio contains {bad} NaN or infinite sample(s); it cannot be scored"
        )


def check_duration(
    n_samples: int,
    sample_rate: int,
    min_seconds: float = DEFAULT_MIN_SECONDS,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> float:
    """Return the duration in seconds, or raise if it is outside [min, max]."""
    duration = n_samples / sample_rate
    if duration < min_seconds:
        raise AudioTooShortError(
            f"audio is {duration:.3f} s long; at least {min_seconds:g} s is needed"
        )
    if duration > max_seconds:
        raise AudioTooLongError(
            f"audio is {duration:.1f} s long; the maximum is {max_seconds:g} s"
        )
    return duration


def to_dbfs(rms: float) -> float:
    return float(20.0 * np.log10(rms)) if rms > 0 else MIN_DBFS


def active_level_dbfs(samples: np.ndarray, sample_rate: int) -> float:
    """RMS level in dBFS of the loudest part of a mono signal (see module notes)."""
    centred = samples.astype(np.float64) - float(np.mean(samples, dtype=np.float64))
    if centred.size == 0:
        return MIN_DBFS
    frame_len = min(len(centred), max(1, int(round(LEVEL_FRAME_S * sample_rate))))
    n_frames = len(centred) // frame_len
    usable = centred[: n_frames * frame_len]
    frame_power = np.mean(usable.reshape(n_frames, frame_len) ** 2, axis=1)
    # Power of the k-th loudest frame: reached by at least ACTIVE_MIN_SECONDS of audio.
    k = min(n_frames, int(np.ceil(ACTIVE_MIN_SECONDS / LEVEL_FRAME_S - 1e-9)))
    kth_loudest = float(np.partition(frame_power, n_frames - k)[n_frames - k])
    return to_dbfs(float(np.sqrt(kth_loudest)))


def check_not_silent(samples: np.ndarray, sample_rate: int) -> float:
    """Return the active level in dBFS, or raise SilentAudioError below SILENCE_DBFS."""
    level = active_level_dbfs(samples, sample_rate)
    if level <= MIN_DBFS:
        raise SilentAudioError("audio is silent: every sample is zero or constant; check the microphone")
    if level < SILENCE_DBFS:
        peak = float(np.max(np.abs(samples))) if samples.size else 0.0
        raise SilentAudioError(
            f"audio is silent (loudest part at {level:.0f} dBFS, peak {to_dbfs(peak):.0f} dBFS; "
            f"speech needs at least {SILENCE_DBFS:.0f} dBFS): check the microphone"
        )
    return level


def clipping_fraction(samples: np.ndarray) -> float:
    """Share of samples (any shape, all channels) at or beyond CLIP_LEVEL."""
    if samples.size == 0:
        return 0.0
    return float(np.count_nonzero(np.abs(samples) >= CLIP_LEVEL)) / samples.size


def level_warnings(level_dbfs: float, clipped_share: float) -> list[str]:
    warnings: list[str] = []
    if clipped_share > CLIP_SHARE_WARNING:
        warnings.append(
            f"audio is clipped ({clipped_share:.2%} of samples at full scale); "
            "scores may be less reliable: record with lower input gain"
        )
    if level_dbfs < QUIET_DBFS:
        warnings.append(
            f"audio is very quiet (loudest part at {level_dbfs:.0f} dBFS); "
            "scores may be less reliable: move closer to the microphone"
        )
    return warnings


def validate_audio(
    samples: np.ndarray,
    sample_rate: int = 16000,
    *,
    min_seconds: float = DEFAULT_MIN_SECONDS,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    clip_reference: np.ndarray | None = None,
) -> list[str]:
    """Check mono audio and return warnings; raise a typed AudioError if it cannot be scored.

    Order: non-finite, duration, silence, then warnings. ``clip_reference``
    is the audio before downmixing and resampling, where clipping is exact
    (the resampling filter smears flat-topped peaks); by default clipping is
    measured on ``samples`` itself.
    """
    check_finite(samples)
    check_duration(len(samples), sample_rate, min_seconds, max_seconds)
    level = check_not_silent(samples, sample_rate)
    clipped = clipping_fraction(samples if clip_reference is None else clip_reference)
    return level_warnings(level, clipped)
