"""The one owner of the process's eSpeak NG library (libespeak-ng from ``espeakng-loader``).

eSpeak NG is GPL-3.0 and optional: this module imports ``espeakng_loader`` only
when the library is first needed (``pip install 'pronscore[espeak]'``).

Why one owner
-------------
libespeak-ng keeps all of its state in C globals, one set per process, and
``ctypes.CDLL`` of the same path returns the same loaded library. pronscore has
two users of it: grapheme-to-phoneme (``pronscore.text.espeak``) and synthesis
(``pronscore.prosody.espeak_synth``). When each loaded and initialised the
library on its own, two things went wrong:

* ``espeak_Initialize`` options are global. The G2P initialised without phoneme
  events; when it loaded after the synthesizer, every later synthesis silently
  came back without phoneme events (so without phone timings).
* Synthesis leaves state behind that no API call resets: the wave generator's
  pitch-flutter phase (a function-static counter), its glottal-cycle counter and
  automatic gain control, the noise generator's seed. The same text synthesised
  twice in one process gives different audio (a few samples longer or shorter,
  a different pitch wobble), so what a call returns depended on everything
  synthesised before it in the process — in the tests, on which tests ran first.
  ``espeak_Initialize`` (even after ``espeak_Terminate``) does not reset it.

So this class owns the single handle and gives every use a known state:

* **synthesis** always starts from a freshly loaded library: ``espeak_Terminate``,
  ``dlclose`` (the library leaves memory, statics and all), ``dlopen``,
  ``espeak_Initialize``, synth callback, then the voice and *every* parameter
  (rate, volume, pitch, range, punctuation, capitals, word gap). This costs about
  1 ms plus about 5 ms to load the voice, and makes synthesis a pure function of
  its arguments: the same inputs give bit-identical audio whatever ran before.
* **G2P** selects its voice on every call, and reloads the library first when the
  previous use was a synthesis. Text-to-phonemes does not run the wave generator,
  so consecutive G2P calls share one load (a word costs well under a millisecond).

One initialisation mode serves both uses (synchronous output, phoneme events with
IPA names, return errors instead of exiting); the G2P ignores the events.

The reset relies on this object holding the only reference to the library: a
third party that loads the same ``libespeak-ng`` file in this process keeps it
mapped, and then synthesis is still correct but no longer independent of history.
Where ``dlclose`` is unavailable the engine falls back to re-initialising.

``default_engine()`` returns the process's engine (created lazily by an explicit
``lru_cache`` loader, like the other model loaders); ``EspeakG2P`` and
``synthesize`` take an ``engine`` argument and use it when given. Keep one engine
per library file in a process: two engines on the same file would share one C
state again. Every call runs under the engine's lock, because the C library is
not re-entrant.
"""
from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from pronscore.errors import MissingDependencyError, ModelError, PronscoreError, TextError

try:  # POSIX: dlclose; Windows: FreeLibrary
    from _ctypes import dlclose as _close_library
except ImportError:  # pragma: no cover - platform dependent
    try:
        from _ctypes import FreeLibrary as _close_library
    except ImportError:
        _close_library = None

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_INIT_DONT_EXIT = 0x8000  # return an error instead of exit() on failure
_INIT_OPTIONS = _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA | _INIT_DONT_EXIT
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PHONEMES = 0x100  # espeak_Synth flag: read eSpeak phoneme mnemonics written inside [[...]]
_EE_OK = 0
# espeak_PARAMETER
_RATE, _VOLUME, _PITCH, _RANGE, _PUNCTUATION, _CAPITALS, _WORDGAP = 1, 2, 3, 4, 5, 6, 7
_PUNCT_NONE = 0
# espeak_EVENT.type
_EVENT_LIST_TERMINATED = 0

Use = Literal["g2p", "synth"]


class UnknownVoiceError(TextError):
    """eSpeak NG has no voice of the name asked for."""


class _EspeakVoice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # sequence of (priority byte, NUL-terminated code), ends with byte 0
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


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


_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))

#: A raw synthesis event: (type, text_position, length, audio_position_ms, id bytes).
RawEvent = tuple[int, int, int, int, bytes]


@dataclass(frozen=True)
class SynthParameters:
    """Every parameter a synthesis sets (eSpeak's own defaults unless given)."""

    voice: str = "en-us"
    rate_wpm: int = 175
    pitch: int = 50
    pitch_range: int = 50
    word_gap_10ms: int = 0
    volume: int = 100
    # Read eSpeak phoneme mnemonics inside [[...]] ("[[T'INk]]") instead of spelling them out.
    phoneme_input: bool = False


@dataclass(frozen=True)
class RawSynthesis:
    pcm: np.ndarray  # int16 mono
    sample_rate: int
    events: list[RawEvent]


def _import_loader():
    try:
        import espeakng_loader
    except ImportError as exc:
        raise MissingDependencyError(
            "eSpeak NG is needed for this word, language or voice but is not installed; "
            "run: pip install 'pronscore[espeak]'"
        ) from exc
    return espeakng_loader


def _read_voice_languages(voice: _EspeakVoice) -> list[tuple[int, str]]:
    languages: list[tuple[int, str]] = []
    address = voice.languages
    while address:
        priority = ctypes.c_ubyte.from_address(address).value
        if priority == 0:
            break
        code = ctypes.string_at(address + 1)
        languages.append((priority, code.decode("utf-8", "replace").lower()))
        address += 1 + len(code) + 1
    return languages


class EspeakEngine:
    """Sole owner of the libespeak-ng handle; (re)initialises it for every use. Thread-safe."""

    def __init__(self, library_path: str | None = None, data_path: str | None = None) -> None:
        self._library_path = library_path
        self._data_path = data_path
        self._lock = threading.Lock()
        self._lib: ctypes.CDLL | None = None
        self._last_use: Use | None = None  # None: loaded and untouched since
        self._sample_rate = 0
        self._voices: dict[str, str] | None = None
        self._loads = 0
        # Buffers the callback fills during one synthesis (under the lock).
        self._chunks: list[np.ndarray] = []
        self._events: list[RawEvent] = []
        # The C library keeps a pointer to this callback; it lives as long as the engine.
        self._callback = _SYNTH_CALLBACK(self._on_audio)

    # --- loading -----------------------------------------------------------------------
    def _paths(self) -> tuple[str, str]:
        if self._library_path is None or self._data_path is None:
            loader = _import_loader()
            try:
                self._library_path = self._library_path or loader.get_library_path()
                self._data_path = self._data_path or loader.get_data_path()
            except (OSError, RuntimeError) as exc:
                raise ModelError(f"eSpeak NG is installed but could not be located: {exc}") from exc
        return str(self._library_path), str(self._data_path)

    def _load(self) -> None:
        library_path, data_path = self._paths()
        try:
            lib = ctypes.CDLL(library_path)
        except OSError as exc:
            raise ModelError(f"eSpeak NG is installed but could not be loaded: {exc}") from exc
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Terminate.restype = ctypes.c_int
        lib.espeak_Terminate.argtypes = []
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_EspeakVoice))
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode("utf-8"), _INIT_OPTIONS)
        if sample_rate <= 0:
            handle = lib._handle
            del lib
            if _close_library is not None:
                _close_library(handle)
            raise ModelError(f"eSpeak NG failed to initialise with data path {data_path}")
        lib.espeak_SetSynthCallback(self._callback)
        self._lib, self._sample_rate, self._last_use = lib, int(sample_rate), None
        self._loads += 1
        if self._voices is None:
            self._voices = self._list_voices(lib)

    def _unload(self) -> None:
        lib, self._lib = self._lib, None
        if lib is None:
            return
        lib.espeak_Terminate()
        handle = lib._handle
        del lib
        if _close_library is not None:
            _close_library(handle)

    def _ready(self, use: Use) -> ctypes.CDLL:
        """The library in a known state for `use` (call with the lock held)."""
        if self._lib is not None:
            # Synthesis wants a pristine library; G2P one that has not synthesised.
            stale = self._last_use is not None if use == "synth" else self._last_use == "synth"
            if stale:
                if _close_library is None:  # pragma: no cover - platform dependent
                    self._reinitialize()
                else:
                    self._unload()
        if self._lib is None:
            self._load()
        self._last_use = use
        assert self._lib is not None
        return self._lib

    def _reinitialize(self) -> None:  # pragma: no cover - only without dlclose
        """Best effort without dlclose: options, voice and parameters reset; wave-generator statics do not."""
        assert self._lib is not None
        self._lib.espeak_Terminate()
        _, data_path = self._paths()
        if self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode("utf-8"), _INIT_OPTIONS) <= 0:
            raise ModelError(f"eSpeak NG failed to initialise with data path {data_path}")
        self._lib.espeak_SetSynthCallback(self._callback)

    @staticmethod
    def _list_voices(lib: ctypes.CDLL) -> dict[str, str]:
        """Map each language code to the identifier of its preferred voice (lowest priority value)."""
        voice_array = lib.espeak_ListVoices(None)
        best: dict[str, tuple[int, str]] = {}
        index = 0
        while voice_array[index]:
            voice = voice_array[index].contents
            identifier = voice.identifier.decode("utf-8")
            for priority, code in _read_voice_languages(voice):
                if code not in best or priority < best[code][0]:
                    best[code] = (priority, identifier)
            index += 1
        return {code: identifier for code, (_, identifier) in best.items()}

    # --- public API -----------------------------------------------------------------------
    def voices(self) -> dict[str, str]:
        """Language code (lower case) -> identifier of its preferred voice (loads the library once)."""
        with self._lock:
            if self._voices is None and self._lib is None:
                self._load()  # lists the voices; marks no use
            assert self._voices is not None
            return dict(self._voices)

    @property
    def loads(self) -> int:
        """How many times the library has been loaded (for tests and diagnostics)."""
        return self._loads

    def text_to_phonemes(self, text: str, voice: str, phoneme_mode: int) -> list[str]:
        """eSpeak's phonemes of `text`, one string per clause, with `voice` selected for this call.

        `voice` is a voice name or identifier; `phoneme_mode` is espeak_TextToPhonemes's mode.
        Raises ModelError when the voice cannot be selected.
        """
        buffer = ctypes.create_string_buffer(text.encode("utf-8"))
        text_pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        clauses: list[str] = []
        with self._lock:
            lib = self._ready("g2p")
            if lib.espeak_SetVoiceByName(voice.encode("utf-8")) != _EE_OK:
                raise ModelError(f"eSpeak NG could not select the voice {voice!r}")
            # TextToPhonemes handles one clause per call and advances the pointer,
            # setting it to NULL after the last clause.
            while text_pointer.value:
                result = lib.espeak_TextToPhonemes(ctypes.byref(text_pointer), _CHARS_UTF8, phoneme_mode)
                if result:
                    clauses.append(result.decode("utf-8", "replace"))
        return clauses

    def synthesize(self, text: str, params: SynthParameters) -> RawSynthesis:
        """Synthesize `text` from a freshly loaded library with every parameter set.

        Raises UnknownVoiceError when eSpeak has no voice `params.voice`.
        """
        data = text.encode("utf-8") + b"\0"
        buffer = ctypes.create_string_buffer(data)
        with self._lock:
            lib = self._ready("synth")
            if lib.espeak_SetVoiceByName(params.voice.encode("utf-8")) != _EE_OK:
                raise UnknownVoiceError(f"eSpeak NG has no voice named {params.voice!r}")
            for parameter, value in ((_RATE, params.rate_wpm), (_VOLUME, params.volume), (_PITCH, params.pitch),
                                     (_RANGE, params.pitch_range), (_PUNCTUATION, _PUNCT_NONE), (_CAPITALS, 0),
                                     (_WORDGAP, params.word_gap_10ms)):
                lib.espeak_SetParameter(parameter, int(value), 0)
            self._chunks, self._events = [], []
            try:
                flags = _CHARS_UTF8 | (_PHONEMES if params.phoneme_input else 0)
                status = lib.espeak_Synth(buffer, len(data), 0, _POS_CHARACTER, 0, flags, None, None)
                if status != _EE_OK:
                    raise PronscoreError(f"eSpeak NG synthesis failed with status {status}")
                pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
                return RawSynthesis(pcm=pcm, sample_rate=self._sample_rate, events=self._events)
            finally:
                self._chunks, self._events = [], []

    def close(self) -> None:
        """Terminate and unload the library (the next call loads it again)."""
        with self._lock:
            self._unload()

    def _on_audio(self, wav, num_samples, events) -> int:
        if num_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(num_samples,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            ev = events[i]
            self._events.append((ev.type, ev.text_position, ev.length, ev.audio_position, bytes(ev.id.string)))
            i += 1
        return 0  # continue


@lru_cache(maxsize=1)
def default_engine() -> EspeakEngine:
    """The process's eSpeak NG engine (created on first use; the library loads on first call)."""
    return EspeakEngine()
