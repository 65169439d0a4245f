"""Frame-level speech activity from intensity, optionally gated by VAD probabilities.

CTC phone times are peaky (word-final phones often "end" early), so pause edges
come from the signal, not from gaps between aligned words: a frame is speech
when its intensity is above an adaptive threshold AND (when VAD probabilities
are given) Silero calls it speech. Intensity is sharp at edges but fooled by
steady noise; Silero is robust to noise but has a hangover of ~100 ms; the
conjunction keeps the sharp edges in clean audio and lets VAD remove noise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pronscore.errors import AudioError
from pronscore.prosody.acoustics import IntensityTrack

#: Praat's "To TextGrid (silences)" default: silence is 25 dB below the loud frames.
SILENCE_BELOW_PEAK_DB = 25.0
#: In noisy audio the noise floor sits within 25 dB of speech; then the threshold
#: moves to this fraction of the way from the floor (p5) to the loud level (p95).
NOISE_FLOOR_FRACTION = 0.4
VAD_SPEECH_THRESHOLD = 0.35
#: Active stretches shorter than this (clicks, lip smacks) do not split a pause.
MIN_ACTIVE_RUN_S = 0.06


@dataclass(frozen=True)
class Activity:
    """Speech activity on the intensity frame grid."""

    times: np.ndarray  # frame centres, seconds
    active: np.ndarray  # bool per frame
    frame_s: float

    def runs(self, value: bool) -> list[tuple[float, float]]:
        """Maximal stretches (start_s, end_s) where `active == value`, edges at frame boundaries."""
        return [(self.edge(a), self.edge(b)) for a, b in bool_runs(self.active == value)]

    def edge(self, frame_index: int) -> float:
        """Time of the boundary before frame `frame_index` (after the last frame when == len)."""
        if frame_index >= self.times.size:
            return float(self.times[-1] + self.frame_s / 2)
        return float(self.times[frame_index] - self.frame_s / 2)


def bool_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of a boolean array."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    changes = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(changes[0::2].tolist(), changes[1::2].tolist()))


def silence_threshold_db(db: np.ndarray) -> float:
    """Adaptive intensity threshold between silence and speech (see module constants)."""
    p5, p95 = np.percentile(db, [5, 95])
    return float(max(p95 - SILENCE_BELOW_PEAK_DB, p5 + NOISE_FLOOR_FRACTION * (p95 - p5)))


def vad_on_times(vad_probs: np.ndarray, vad_frame_s: float, times: np.ndarray) -> np.ndarray:
    """VAD probability of the VAD frame containing each time (frame i covers [i*f, (i+1)*f))."""
    probs = np.asarray(vad_probs, dtype=np.float64)
    if probs.ndim != 1 or probs.size == 0:
        raise AudioError(f"vad_probs must be a non-empty 1-D array, got shape {probs.shape}")
    if not np.all(np.isfinite(probs)) or probs.min() < 0 or probs.max() > 1:
        raise AudioError("vad_probs must be probabilities in [0, 1]")
    if not vad_frame_s > 0:
        raise AudioError(f"vad_frame_s must be positive, got {vad_frame_s!r}")
    index = np.clip((times / vad_frame_s).astype(int), 0, probs.size - 1)
    return probs[index]


def speech_activity(
    intensity: IntensityTrack, vad_probs: np.ndarray | None = None, vad_frame_s: float = 0.02
) -> Activity:
    if intensity.times.size == 0:
        return Activity(np.zeros(0), np.zeros(0, dtype=bool), 0.01)
    frame_s = float(np.median(np.diff(intensity.times))) if intensity.times.size > 1 else 0.01
    active = intensity.db >= silence_threshold_db(intensity.db)
    if vad_probs is not None:
        active &= vad_on_times(vad_probs, vad_frame_s, intensity.times) >= VAD_SPEECH_THRESHOLD
    min_frames = int(round(MIN_ACTIVE_RUN_S / frame_s))
    for start, end in bool_runs(active):
        if end - start < min_frames:
            active[start:end] = False
    return Activity(intensity.times, active, frame_s)
