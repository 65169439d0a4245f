"""Speech synthesis with eSpeak NG through ctypes (the library shipped by `espeakng-loader`).

Used by the tests to make audio with known structure (rate, inserted silence,
question intonation) and reusable by the feedback layer ("hear the target").
Besides the samples it returns eSpeak's own word and phoneme events, so callers
get reference timings without an aligner.

eSpeak NG keeps its state in the process (one voice, one callback), so a single
lock serialises every call; the library is initialised once per process.
The API used here is the stable `speak_lib.h` one:

* ``espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS=2, buflength_ms, data_path, options)``
  returns the sample rate (22050 Hz); ``options`` bit 0x1 asks for phoneme events,
  0x2 for IPA names in them.
* ``espeak_SetSynthCallback(cb)``: cb(short* wav, int numsamples, espeak_EVENT* events)
  receives audio chunks and an event list terminated by type 0; returning 0 continues.
* ``espeak_Synth(text, size, 0, POS_CHARACTER=1, 0, espeakCHARS_UTF8=1, NULL, NULL)``
  is blocking in synchronous mode.
"""
from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass, field

import numpy as np

from pronscore.errors import MissingDependencyError, PronscoreError, TextError

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_ESPEAK_PITCH = 3
_ESPEAK_RANGE = 4
_ESPEAK_WORDGAP = 7
# Event types of espeak_EVENT.type
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_END = 5
_EVENT_PHONEME = 7


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based character position in the text
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # milliseconds from the start of the synthesis
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass
class SynthWord:
    """A word event: the word's character span in the text and its audio onset."""

    text: str
    char_start: int  # 0-based offset into the synthesized text
    start: float  # seconds


@dataclass
class SynthPhoneme:
    ipa: str  # eSpeak's IPA for the phoneme ("" for pauses)
    start: float  # seconds


@dataclass
class Synthesis:
    audio: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    words: list[SynthWord] = field(default_factory=list)
    phonemes: list[SynthPhoneme] = field(default_factory=list)


class _Engine:
    """The process-wide eSpeak NG library handle (created on first use)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise MissingDependencyError("espeakng-loader is required for eSpeak NG synthesis") from exc
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        data_path = espeakng_loader.get_data_path().encode()
        options = _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA
        self.sample_rate = int(self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, options))
        if self.sample_rate <= 0:
            raise MissingDependencyError(f"eSpeak NG failed to initialise (data path {data_path.decode()})")
        # The active collector; the ctypes callback object must stay referenced for the
        # lifetime of the library, so it is created once here.
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, int, int, int, bytes]] = []
        self._callback = _CALLBACK(self._on_audio)
        self.lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav, num_samples, events) -> int:
        if num_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(num_samples,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            ev = events[i]
            self._events.append((ev.type, ev.text_position, ev.length, ev.audio_position, bytes(ev.id.string)))
            i += 1
        return 0

    def synthesize(self, text: str, voice: str, rate_wpm: int, pitch: int, pitch_range: int,
                   word_gap_10ms: int) -> Synthesis:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise TextError(f"eSpeak NG has no voice named {voice!r}")
        self.lib.espeak_SetParameter(_ESPEAK_RATE, int(rate_wpm), 0)
        self.lib.espeak_SetParameter(_ESPEAK_PITCH, int(pitch), 0)
        self.lib.espeak_SetParameter(_ESPEAK_RANGE, int(pitch_range), 0)
        self.lib.espeak_SetParameter(_ESPEAK_WORDGAP, int(word_gap_10ms), 0)
        self._chunks, self._events = [], []
        data = text.encode("utf-8") + b"\0"
        buf = ctypes.create_string_buffer(data)
        status = self.lib.espeak_Synth(buf, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if status != 0:
            raise PronscoreError(f"eSpeak NG synthesis failed with status {status}")
        pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        audio = (pcm.astype(np.float32) / 32768.0).astype(np.float32)
        return Synthesis(audio, self.sample_rate, *_decode_events(self._events, text))


def _decode_events(events, text: str) -> tuple[list[SynthWord], list[SynthPhoneme]]:
    # text_position counts characters of the text (1-based); our text is what we passed.
    words, phonemes = [], []
    for kind, position, length, audio_ms, ident in events:
        if kind == _EVENT_WORD:
            start = max(position - 1, 0)
            words.append(SynthWord(text[start:start + length], start, audio_ms / 1000.0))
        elif kind == _EVENT_PHONEME:
            ipa = ident.split(b"\0", 1)[0].decode("utf-8", errors="replace")
            phonemes.append(SynthPhoneme(ipa, audio_ms / 1000.0))
    return words, phonemes


_ENGINE: _Engine | None = None
_LOCK = threading.Lock()


def synthesize(text: str, *, voice: str = "en-us", rate_wpm: int = 175, pitch: int = 50,
               pitch_range: int = 50, word_gap_10ms: int = 0) -> Synthesis:
    """Synthesize `text` with eSpeak NG.

    rate_wpm: eSpeak's speaking rate (80-450 words per minute); pitch: 0-100 (50 = voice default);
    pitch_range: 0-100 intonation range (0 = monotone, 50 = default);
    word_gap_10ms: extra pause between words in units of 10 ms.
    Returns float32 audio at eSpeak's native rate (22050 Hz) with word and phoneme onsets.
    """
    global _ENGINE
    if not text.strip():
        raise TextError("nothing to synthesize: the text is empty")
    if not 80 <= rate_wpm <= 450:
        raise TextError(f"rate_wpm must be within 80-450, got {rate_wpm}")
    if not (0 <= pitch <= 100 and 0 <= pitch_range <= 100):
        raise TextError(f"pitch and pitch_range must be within 0-100, got {pitch}, {pitch_range}")
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE.synthesize(text, voice, rate_wpm, pitch, pitch_range, word_gap_10ms)
