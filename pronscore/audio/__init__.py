"""Audio input: load any source, make it 16 kHz mono float32, refuse what cannot be scored.

``prepare_audio`` is the one entry point the Session uses:
load (header-checked against ``max_seconds`` before decoding) → downmix and
resample to 16 kHz → validate (finite, duration, not silent) with warnings
for clipping, very low level and narrow-band (< 16 kHz) sources.
Voice activity lives in ``pronscore.audio.vad`` (it loads a model).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pronscore.audio.load import AudioSource, load_audio
from pronscore.audio.resample import MODEL_SAMPLE_RATE, to_mono_16k
from pronscore.audio.validate import (
    DEFAULT_MAX_SECONDS,
    DEFAULT_MIN_SECONDS,
    check_finite,
    validate_audio,
)
from pronscore.errors import AudioError

__all__ = ["PreparedAudio", "prepare_audio", "load_audio", "MODEL_SAMPLE_RATE"]


@dataclass(kw_only=True)
class PreparedAudio:
    """16 kHz mono float32 audio ready for the acoustic model, with where it came from."""

    samples: np.ndarray
    sample_rate: int = MODEL_SAMPLE_RATE
    duration: float
    source_sample_rate: int
    source_channels: int
    warnings: list[str] = field(default_factory=list)


def narrowband_warning(source_rate: int) -> list[str]:
    if source_rate >= MODEL_SAMPLE_RATE:
        return []
    return [
        f"audio was recorded at {source_rate} Hz: sounds above {source_rate // 2} Hz "
        "(such as /s/ and /f/) are missing, so scores may be less reliable"
    ]


def prepare_audio(
    source: AudioSource,
    sample_rate: int | None = None,
    *,
    min_seconds: float = DEFAULT_MIN_SECONDS,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> PreparedAudio:
    """Load ``source`` and return validated 16 kHz mono audio.

    ``sample_rate`` is required for numpy arrays and ignored for encoded
    sources (their header says the rate). Raises a subclass of ``AudioError``
    for anything that cannot be scored.
    """
    if not 0 <= min_seconds <= max_seconds:
        raise AudioError(
            f"invalid duration limits: min_seconds={min_seconds}, max_seconds={max_seconds}"
        )
    frames, source_rate = load_audio(source, sample_rate, max_seconds=max_seconds)
    # Check before resampling: the filter would spread one NaN over its whole length.
    check_finite(frames)
    mono16k = to_mono_16k(frames, source_rate)
    warnings = validate_audio(
        mono16k,
        MODEL_SAMPLE_RATE,
        min_seconds=min_seconds,
        max_seconds=max_seconds,
        clip_reference=frames,
    )
    return PreparedAudio(
        samples=mono16k,
        duration=len(mono16k) / MODEL_SAMPLE_RATE,
        source_sample_rate=source_rate,
        source_channels=int(frames.shape[1]),
        warnings=narrowband_warning(source_rate) + warnings,
    )
