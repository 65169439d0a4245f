"""F0 and intensity tracks from Parselmouth (Praat), shared by the fluency and prosody layers.

Pitch uses the two-pass, speaker-adaptive range common in prosody research
(Hirst 2011; De Looze & Rauzy 2009): a first pass at 60-600 Hz, then a second
pass with floor = 0.75 * q15 and ceiling = 1.5 * q85 of the first pass's voiced
F0. The wide first pass finds the speaker's register; the narrow second pass
removes most octave jumps and spurious low-F0 creak.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pronscore.errors import AudioError, EmptyAudioError, NonFiniteAudioError

FIRST_PASS_FLOOR_HZ = 60.0
FIRST_PASS_CEILING_HZ = 600.0
#: Limits for the adapted range, so a handful of bad first-pass frames cannot
#: produce an absurd second pass.
ADAPTED_FLOOR_LIMITS_HZ = (40.0, 300.0)
ADAPTED_CEILING_LIMITS_HZ = (150.0, 900.0)
TIME_STEP_S = 0.01
#: Intensity frames more than this far below the loudest frame are clipped:
#: digital silence gives -300 dB in Praat, which would dominate any statistic.
INTENSITY_DYNAMIC_RANGE_DB = 80.0


@dataclass(frozen=True)
class PitchTrack:
    """F0 per frame; ``f0_hz`` is NaN where the frame is unvoiced."""

    times: np.ndarray  # frame centres, seconds
    f0_hz: np.ndarray
    floor_hz: float
    ceiling_hz: float

    @property
    def voiced(self) -> np.ndarray:
        return np.isfinite(self.f0_hz)

    def median_hz(self) -> float | None:
        voiced = self.f0_hz[self.voiced]
        return float(np.median(voiced)) if voiced.size else None

    def semitones(self, reference_hz: float) -> np.ndarray:
        """F0 in semitones relative to `reference_hz` (NaN where unvoiced)."""
        return 12.0 * np.log2(self.f0_hz / reference_hz)

    @staticmethod
    def empty() -> "PitchTrack":
        return PitchTrack(np.zeros(0), np.zeros(0), FIRST_PASS_FLOOR_HZ, FIRST_PASS_CEILING_HZ)


@dataclass(frozen=True)
class IntensityTrack:
    times: np.ndarray  # frame centres, seconds
    db: np.ndarray

    def at(self, times: np.ndarray) -> np.ndarray:
        """Intensity interpolated at arbitrary times (held constant past the ends)."""
        if self.times.size == 0:
            return np.full(np.shape(times), np.nan)
        return np.interp(times, self.times, self.db)


def check_audio(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Validate mono audio for analysis and return it as float64 (Praat's type)."""
    samples = np.asarray(audio)
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise AudioError(f"sample_rate must be a positive integer, got {sample_rate!r}")
    if samples.ndim != 1:
        raise AudioError(f"expected 1-D mono audio, got an array of shape {samples.shape}")
    if samples.size == 0:
        raise EmptyAudioError("the audio has no samples")
    if not np.issubdtype(samples.dtype, np.floating):
        raise AudioError(f"expected float audio in [-1, 1], got dtype {samples.dtype}")
    if not np.all(np.isfinite(samples)):
        raise NonFiniteAudioError("the audio contains NaN or infinite samples")
    return samples.astype(np.float64)


def _sound(samples: np.ndarray, sample_rate: int):
    import parselmouth

    return parselmouth.Sound(samples, sampling_frequency=float(sample_rate))


def _pitch_pass(sound, floor_hz: float, ceiling_hz: float) -> tuple[np.ndarray, np.ndarray]:
    import parselmouth

    try:
        pitch = sound.to_pitch_ac(time_step=TIME_STEP_S, pitch_floor=floor_hz, pitch_ceiling=ceiling_hz)
    except parselmouth.PraatError:
        # Praat refuses sounds shorter than its analysis window (3 periods of the floor).
        return np.zeros(0), np.zeros(0)
    f0 = pitch.selected_array["frequency"].astype(np.float64)
    f0[f0 <= 0] = np.nan
    return np.asarray(pitch.xs(), dtype=np.float64), f0


def adapted_pitch_range(first_pass_f0: np.ndarray) -> tuple[float, float] | None:
    """Speaker-adaptive (floor, ceiling) = (0.75 * q15, 1.5 * q85) of voiced F0, clamped to sane limits."""
    voiced = first_pass_f0[np.isfinite(first_pass_f0)]
    if voiced.size < 5:
        return None
    q15, q85 = np.percentile(voiced, [15, 85])
    floor = float(np.clip(0.75 * q15, *ADAPTED_FLOOR_LIMITS_HZ))
    ceiling = float(np.clip(1.5 * q85, *ADAPTED_CEILING_LIMITS_HZ))
    return floor, max(ceiling, floor * 2.0)


def extract_pitch(audio: np.ndarray, sample_rate: int) -> PitchTrack:
    """Two-pass speaker-adaptive Praat pitch (autocorrelation), 10 ms frames."""
    sound = _sound(check_audio(audio, sample_rate), sample_rate)
    times, f0 = _pitch_pass(sound, FIRST_PASS_FLOOR_HZ, FIRST_PASS_CEILING_HZ)
    adapted = adapted_pitch_range(f0)
    if adapted is None:
        return PitchTrack(times, f0, FIRST_PASS_FLOOR_HZ, FIRST_PASS_CEILING_HZ)
    times2, f02 = _pitch_pass(sound, *adapted)
    if times2.size == 0:
        return PitchTrack(times, f0, FIRST_PASS_FLOOR_HZ, FIRST_PASS_CEILING_HZ)
    return PitchTrack(times2, f02, *adapted)


def extract_intensity(audio: np.ndarray, sample_rate: int, minimum_pitch_hz: float = 100.0) -> IntensityTrack:
    """Praat intensity (dB) at 10 ms steps; a 100 Hz minimum pitch gives a ~32 ms effective window,
    sharp enough to place pause edges within a frame or two."""
    import parselmouth

    sound = _sound(check_audio(audio, sample_rate), sample_rate)
    try:
        intensity = sound.to_intensity(minimum_pitch=minimum_pitch_hz, time_step=TIME_STEP_S)
    except parselmouth.PraatError:
        return IntensityTrack(np.zeros(0), np.zeros(0))
    db = np.asarray(intensity.values[0], dtype=np.float64)
    if db.size:
        db = np.maximum(db, db.max() - INTENSITY_DYNAMIC_RANGE_DB)
    return IntensityTrack(np.asarray(intensity.xs(), dtype=np.float64), db)
