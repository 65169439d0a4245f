"""Turn a user's audio source into float32 samples shaped (n_samples, n_channels).

Accepted sources:
  * a path (``str`` or ``os.PathLike``) to any container libsndfile decodes
    (WAV, FLAC, OGG/Vorbis, MP3 with libsndfile >= 1.1, AIFF, ...);
  * raw encoded bytes (``bytes``, ``bytearray``, ``memoryview``) of such a file;
  * a binary file-like object (anything with ``read``), seekable or not;
  * a numpy array of samples, in which case ``sample_rate`` is required.

The result is always two-dimensional, ``(n_samples, n_channels)``, float32 in
[-1, 1] for integer inputs, so callers never have to guess the layout. The
header of an encoded source is authoritative for its rate: ``sample_rate`` is
only used for numpy arrays and is ignored for encoded sources.

Before decoding an encoded source we read its header with ``soundfile.info``
and refuse anything longer than ``max_seconds``, so a huge upload is rejected
without ever being expanded into memory.
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
import soundfile as sf

from pronscore.errors import (
    AudioDecodeError,
    AudioError,
    AudioTooLongError,
    EmptyAudioError,
)

AudioSource = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO, np.ndarray]

#: A numpy array with at most this many rows (or columns) on one axis is read as
#: channels; microphone arrays and 7.1 audio fit, a short clip of samples does not.
MAX_CHANNELS = 8

DECODE_FAILURE = "could not decode audio: not a WAV/FLAC/OGG/MP3 file or corrupt"


def load_audio(
    source: AudioSource,
    sample_rate: int | None = None,
    *,
    max_seconds: float | None = None,
) -> tuple[np.ndarray, int]:
    """Decode ``source`` into ``(samples, rate)`` with samples float32 ``(n, channels)``.

    ``max_seconds`` (optional) rejects longer inputs with ``AudioTooLongError``
    before they are decoded. Raises ``AudioDecodeError`` for missing or
    undecodable files, ``EmptyAudioError`` for zero-length input and
    ``AudioError`` for arguments that do not describe audio (such as an array
    without a sample rate).
    """
    if isinstance(source, np.ndarray):
        if sample_rate is None:
            raise AudioError(
                "a numpy array needs its sample rate: pass sample_rate=... (e.g. 16000)"
            )
        samples = array_to_float_frames(source)
        rate = check_sample_rate(sample_rate)
        reject_if_too_long(samples.shape[0] / rate, max_seconds)
        return samples, rate
    if isinstance(source, (str, os.PathLike)):
        return _load_path(Path(source), max_seconds)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise EmptyAudioError("the audio data is empty (0 bytes)")
        return _decode_stream(io.BytesIO(data), "audio bytes", max_seconds)
    if hasattr(source, "read"):
        return _load_file_object(source, max_seconds)
    raise AudioError(
        f"unsupported audio source of type {type(source).__name__}: "
        "give a file path, bytes, a binary file object or a numpy array"
    )


def check_sample_rate(sample_rate: object) -> int:
    """Return ``sample_rate`` as a positive int or raise ``AudioError``."""
    if isinstance(sample_rate, (bool, np.bool_)) or not isinstance(
        sample_rate, (int, np.integer, float, np.floating)
    ):
        raise AudioError(f"sample_rate must be a number of samples per second, got {sample_rate!r}")
    if not np.isfinite(sample_rate) or sample_rate <= 0 or int(sample_rate) != sample_rate:
        raise AudioError(f"sample_rate must be a positive whole number of Hz, got {sample_rate!r}")
    return int(sample_rate)


def reject_if_too_long(duration_s: float, max_seconds: float | None) -> None:
    if max_seconds is not None and duration_s > max_seconds:
        raise AudioTooLongError(
            f"audio is {duration_s:.1f} s long; the maximum is {max_seconds:g} s"
        )


def array_to_float_frames(array: np.ndarray) -> np.ndarray:
    """Convert a user's sample array to float32 ``(n, channels)``.

    Integer samples are scaled by their type's full scale (int16 / 32768,
    uint8 is offset-binary around 128, as in 8-bit WAV). Float samples are
    taken as already in [-1, 1]. A 2-D array whose first axis has at most
    ``MAX_CHANNELS`` entries and is the shorter axis is read as (channels, n).
    """
    if array.size == 0:
        raise EmptyAudioError("the audio array is empty (0 samples)")
    if array.ndim == 1:
        frames = array[:, np.newaxis]
    elif array.ndim == 2:
        rows, cols = array.shape
        if cols <= MAX_CHANNELS and cols <= rows:
            frames = array
        elif rows <= MAX_CHANNELS:
            frames = array.T
        else:
            raise AudioError(
                f"cannot tell samples from channels in an array of shape {array.shape}: "
                f"expected (n,), (n, channels) or (channels, n) with at most {MAX_CHANNELS} channels"
            )
    else:
        raise AudioError(
            f"audio arrays must be 1-D or 2-D, got {array.ndim} dimensions (shape {array.shape})"
        )
    return _scale_to_float32(frames)


def _scale_to_float32(frames: np.ndarray) -> np.ndarray:
    kind = frames.dtype.kind
    if kind == "f":
        return np.ascontiguousarray(frames, dtype=np.float32)
    if kind == "i":
        full_scale = float(2 ** (8 * frames.dtype.itemsize - 1))
        return np.ascontiguousarray(frames.astype(np.float64) / full_scale, dtype=np.float32)
    if kind == "u":
        # Unsigned PCM is offset binary: the midpoint is silence.
        midpoint = float(2 ** (8 * frames.dtype.itemsize - 1))
        return np.ascontiguousarray((frames.astype(np.float64) - midpoint) / midpoint, dtype=np.float32)
    raise AudioError(
        f"audio samples must be integers or floats, got dtype {frames.dtype}"
    )


def _load_path(path: Path, max_seconds: float | None) -> tuple[np.ndarray, int]:
    if not path.exists():
        raise AudioDecodeError(f"audio file not found: {path}")
    if not path.is_file():
        raise AudioDecodeError(f"not a regular file: {path}")
    if path.stat().st_size == 0:
        raise EmptyAudioError(f"the audio file is empty (0 bytes): {path}")
    try:
        info = sf.info(str(path))
    except (sf.SoundFileError, RuntimeError) as exc:
        raise AudioDecodeError(f"{DECODE_FAILURE}: {path}") from exc
    _check_header(info, str(path), max_seconds)
    try:
        samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError) as exc:
        raise AudioDecodeError(f"{DECODE_FAILURE}: {path}") from exc
    return _checked_decoded(samples, rate, str(path))


def _load_file_object(stream: BinaryIO, max_seconds: float | None) -> tuple[np.ndarray, int]:
    # libsndfile needs to seek (headers, MP3 scanning). A non-seekable stream
    # (a pipe, an HTTP body) is read into memory first.
    seekable = getattr(stream, "seekable", None)
    if not (callable(seekable) and seekable()):
        data = stream.read()
        if not isinstance(data, (bytes, bytearray)):
            raise AudioError("the file object must be opened in binary mode ('rb')")
        if not data:
            raise EmptyAudioError("the audio stream is empty (0 bytes)")
        stream = io.BytesIO(data)
    return _decode_stream(stream, "audio stream", max_seconds)


def _decode_stream(stream: BinaryIO, label: str, max_seconds: float | None) -> tuple[np.ndarray, int]:
    start = stream.tell()
    probe = stream.read(1)
    if not probe:
        raise EmptyAudioError(f"the {label} is empty (0 bytes)")
    if not isinstance(probe, (bytes, bytearray)):
        raise AudioError("the file object must be opened in binary mode ('rb')")
    stream.seek(start)
    try:
        info = sf.info(stream)
        stream.seek(start)
        _check_header(info, label, max_seconds)
        samples, rate = sf.read(stream, dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError) as exc:
        raise AudioDecodeError(DECODE_FAILURE) from exc
    return _checked_decoded(samples, rate, label)


def _check_header(info: "sf._SoundFileInfo", label: str, max_seconds: float | None) -> None:
    if info.samplerate <= 0 or info.channels <= 0:
        raise AudioDecodeError(f"{DECODE_FAILURE}: {label} has an invalid header")
    # Some containers (streamed OGG, VBR MP3 without an index) may report an
    # unknown length; those are checked again after decoding by the validator.
    if info.frames > 0:
        reject_if_too_long(info.frames / info.samplerate, max_seconds)


def _checked_decoded(samples: np.ndarray, rate: int, label: str) -> tuple[np.ndarray, int]:
    if samples.shape[0] == 0:
        raise EmptyAudioError(f"the audio holds no samples (0 frames): {label}")
    return np.ascontiguousarray(samples, dtype=np.float32), int(rate)
