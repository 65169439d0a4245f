"""Whisper's log-mel spectrogram in plain numpy (no faster-whisper, PyAV, tokenizers or onnxruntime).

Reproduces `faster_whisper.feature_extractor.FeatureExtractor.__call__` (faster-whisper 1.x, called with its
defaults: `padding=160`, no chunk length) operation for operation and in the same dtypes, so the
Whisper encoder sees the same input it was trained on:

* append `padding` zeros, then reflect-pad n_fft // 2 samples at both ends (torch.stft's `center=True`);
* frames of n_fft = 400 samples every hop = 160 samples (25 ms / 10 ms at 16 kHz), periodic Hann window;
* power spectrum |rfft|^2 in complex64/float32; the last STFT frame is dropped (as Whisper does);
* 80 Slaney-style mel filters (librosa's `mel(htk=False, norm="slaney")`, as faster-whisper builds them);
* log10 of max(power, 1e-10), clamped to (global max - 8), then (x + 4) / 4.

The filterbank and the Hann window are adapted from faster-whisper's `feature_extractor.py`
(https://github.com/SYSTRAN/faster-whisper, MIT License, Copyright (c) 2023 SYSTRAN), which itself follows
librosa and OpenAI Whisper (both ISC/MIT).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP_LENGTH = 160
N_MELS = 80
DEFAULT_PADDING = 160  # faster-whisper's default: 10 ms of zeros appended before the STFT


@lru_cache(maxsize=8)
def _mel_filters_cached(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    # Adapted from faster-whisper (MIT): FeatureExtractor.get_mel_filters.
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sample_rate)  # centre frequency of each FFT bin
    # Mel band edges, uniformly spaced on the Slaney mel scale between 0 and mel(8000 Hz).
    mels = np.linspace(0.0, 45.245640471924965, n_mels + 2)
    f_min, f_sp = 0.0, 200.0 / 3  # linear part: 66.7 Hz per mel below 1 kHz
    freqs = f_min + f_sp * mels
    min_log_hz = 1000.0  # the log part starts at 1 kHz
    min_log_mel = (min_log_hz - f_min) / f_sp
    logstep = np.log(6.4) / 27.0
    log_t = mels >= min_log_mel
    freqs[log_t] = min_log_hz * np.exp(logstep * (mels[log_t] - min_log_mel))

    fdiff = np.diff(freqs)
    ramps = freqs.reshape(-1, 1) - fftfreqs.reshape(1, -1)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    # Slaney normalisation: roughly constant energy per channel.
    enorm = 2.0 / (freqs[2:n_mels + 2] - freqs[:n_mels])
    weights *= enorm[:, None]
    out = weights.astype(np.float32)
    out.setflags(write=False)  # shared by every caller through the cache: read-only
    return out


def mel_filters(sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Slaney-style mel filterbank float32 [n_mels, n_fft // 2 + 1] (read-only; a pure function of its args)."""
    return _mel_filters_cached(int(sample_rate), int(n_fft), int(n_mels))


def hann_window(n_fft: int = N_FFT) -> np.ndarray:
    """Periodic Hann window of n_fft samples, float32 (torch.hann_window's default)."""
    return np.hanning(n_fft + 1)[:-1].astype(np.float32)


def _frames(audio: np.ndarray, n_fft: int, hop: int, n_frames: int) -> np.ndarray:
    """Read-only strided view [n_frames, n_fft] of overlapping frames (no copy)."""
    return np.lib.stride_tricks.as_strided(
        audio, shape=(n_frames, n_fft), strides=(hop * audio.strides[0], audio.strides[0]), writeable=False,
    )


class WhisperLogMel:
    """Whisper's log-mel front end; holds its filterbank and window (built once per object)."""

    def __init__(self, n_mels: int = N_MELS, *, sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT,
                 hop_length: int = HOP_LENGTH) -> None:
        self.n_mels = int(n_mels)
        self.sample_rate = int(sample_rate)
        self.n_fft = int(n_fft)
        self.hop_length = int(hop_length)
        self.filters = mel_filters(self.sample_rate, self.n_fft, self.n_mels)
        self.window = hann_window(self.n_fft)

    def n_frames(self, n_samples: int, padding: int = DEFAULT_PADDING) -> int:
        """Number of mel frames for a clip of n_samples: (n_samples + padding) // hop."""
        return (int(n_samples) + int(padding)) // self.hop_length

    def __call__(self, audio: np.ndarray, padding: int = DEFAULT_PADDING) -> np.ndarray:
        """Log-mel float32 [n_mels, (len(audio) + padding) // hop] of mono 16 kHz audio."""
        x = np.asarray(audio, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"expected mono audio as a 1-D array, got shape {x.shape}")
        if padding:
            x = np.pad(x, (0, int(padding)))
        half = self.n_fft // 2
        x = np.pad(x, (half, half), mode="reflect")  # center=True
        if x.size < self.n_fft:
            raise ValueError(f"audio too short for a {self.n_fft}-sample STFT frame: {audio.shape}")
        # faster-whisper computes 1 + (len - n_fft) // hop frames and drops the last one; skip it outright.
        n_frames = (x.size - self.n_fft) // self.hop_length
        if n_frames < 1:
            return np.zeros((self.n_mels, 0), dtype=np.float32)
        frames = _frames(x, self.n_fft, self.hop_length, n_frames) * self.window  # float32 [T, n_fft]
        spectrum = np.fft.rfft(frames, n=self.n_fft, axis=-1).astype(np.complex64)  # [T, n_fft // 2 + 1]
        power = np.abs(spectrum) ** 2
        mel = self.filters @ power.T  # [n_mels, T]
        log_spec = np.log10(np.maximum(mel, 1e-10))
        log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
        log_spec = (log_spec + 4.0) / 4.0
        return np.ascontiguousarray(log_spec, dtype=np.float32)


def log_mel_spectrogram(audio: np.ndarray, n_mels: int = N_MELS, padding: int = DEFAULT_PADDING) -> np.ndarray:
    """One-off convenience: `WhisperLogMel(n_mels)(audio, padding)`."""
    return WhisperLogMel(n_mels)(audio, padding=padding)
