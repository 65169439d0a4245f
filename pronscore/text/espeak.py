"""eSpeak NG grapheme-to-phoneme through the optional ``espeakng-loader`` package.

eSpeak NG is GPL-3.0: it is only ever imported here, lazily, so the rest of
pronscore works (English in-vocabulary words, user lexicons, IPA overrides)
without it. Install with ``pip install 'pronscore[espeak]'``.

The C library keeps one global state per process (current voice, buffers), so
every call sets its voice and runs under one process-wide lock; the loaded
library itself is cached by ``_load_library`` (explicit lru_cache loader).
"""
from __future__ import annotations

import ctypes
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from pronscore.errors import MissingDependencyError, ModelError, PronscoreError, UnsupportedLanguageError

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_INITIALIZE_DONT_EXIT = 0x8000  # return an error instead of exit() on failure
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_PHONEMES_IPA = 0x02
_ESPEAK_PHONEMES_TIE = 0x80  # join the letters of one multi-letter phoneme with the char in bits 8-23
_TIE_BAR = 0x0361
# IPA output with eSpeak's own phoneme grouping marked by tie bars ("a͡ɪ", "t͡ʃ"),
# so split_ipa can keep multi-letter phonemes of any language together.
_PHONEME_MODE = _ESPEAK_PHONEMES_IPA | _ESPEAK_PHONEMES_TIE | (_TIE_BAR << 8)
_EE_OK = 0

# eSpeak marks words it reads with another language's rules: "(en)wiːkˈɛnd(fr)".
_LANGUAGE_SWITCH_RE = re.compile(r"\([^()]*\)")

# Common codes eSpeak NG names differently.
_LANGUAGE_ALIASES = {"zh": "cmn", "zh-cn": "cmn", "zh-hans": "cmn", "zh-tw": "cmn", "zh-hk": "yue", "nb": "no"}

# The library's global state makes one lock per process the honest granularity.
_ESPEAK_LOCK = threading.Lock()


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


@dataclass(frozen=True)
class EspeakTranscription:
    ipa: str  # stress marks and tie bars included; language-switch markers removed
    # Languages whose rules eSpeak NG switched to for part of the word
    # (French "weekend" -> English), or which it used to *name* characters it
    # cannot read (Japanese kanji -> English "Chinese letter").
    switched_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class _EspeakLibrary:
    lib: ctypes.CDLL
    voices: dict[str, str]  # language code (lower case) -> voice identifier for SetVoiceByName


def _import_loader():
    try:
        import espeakng_loader
    except ImportError as exc:
        raise MissingDependencyError(
            "eSpeak NG is needed for this word or language but is not installed; "
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


def _list_voices(lib: ctypes.CDLL) -> dict[str, str]:
    """Map each language code to the identifier of its preferred voice (lowest priority value)."""
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_EspeakVoice))
    lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
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


@lru_cache(maxsize=1)
def _load_library() -> _EspeakLibrary:
    """Load and initialise libespeak-ng once per process (about 5 ms)."""
    loader = _import_loader()
    try:
        lib = ctypes.CDLL(loader.get_library_path())
        data_path = loader.get_data_path()
    except (OSError, RuntimeError) as exc:
        raise ModelError(f"eSpeak NG is installed but could not be loaded: {exc}") from exc
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
    with _ESPEAK_LOCK:
        sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode("utf-8"), _ESPEAK_INITIALIZE_DONT_EXIT
        )
        if sample_rate <= 0:
            raise ModelError(f"eSpeak NG failed to initialise with data path {data_path}")
        voices = _list_voices(lib)
    return _EspeakLibrary(lib=lib, voices=voices)


def is_espeak_available() -> bool:
    """True when the optional eSpeak NG dependency can be loaded."""
    try:
        _load_library()
    except PronscoreError:
        return False
    return True


def _normalize_language(language: str) -> str:
    code = language.strip().lower().replace("_", "-")
    return _LANGUAGE_ALIASES.get(code, code)


class EspeakG2P:
    """Words -> IPA with eSpeak NG for one language. Safe to share between threads."""

    def __init__(self, language: str) -> None:
        self._library = _load_library()
        code = _normalize_language(language)
        if code not in self._library.voices:
            examples = ", ".join(sorted(c for c in ("en-us", "en-gb", "fr", "de", "es", "it", "pt", "cmn", "ja", "hi")
                                        if c in self._library.voices))
            raise UnsupportedLanguageError(
                f"language {language!r} is not supported by eSpeak NG; "
                f"use a code such as {examples} ({len(self._library.voices)} codes available)"
            )
        self.language = code
        self._voice = self._library.voices[code].encode("utf-8")
        self._lock = _ESPEAK_LOCK

    @staticmethod
    def supported_languages() -> list[str]:
        """All language codes eSpeak NG has a voice for (lower case, e.g. "en-us", "fr")."""
        return sorted(_load_library().voices)

    def word_to_ipa(self, word: str) -> str:
        """IPA for one written word (or short phrase), with stress marks and tie bars.

        Multi-letter phonemes are joined by tie bars ("a͡ɪ", "t͡ʃ"); clauses are
        joined by a space. Returns "" when eSpeak produces nothing.
        """
        return self.transcribe(word).ipa

    def transcribe(self, word: str) -> EspeakTranscription:
        """Like ``word_to_ipa`` but also reports switches to other languages' rules."""
        lib = self._library.lib
        buffer = ctypes.create_string_buffer(word.encode("utf-8"))
        text_pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        clauses: list[str] = []
        with self._lock:
            if lib.espeak_SetVoiceByName(self._voice) != _EE_OK:
                raise ModelError(f"eSpeak NG could not select the voice for {self.language!r}")
            # TextToPhonemes handles one clause per call and advances the
            # pointer, setting it to NULL after the last clause.
            while text_pointer.value:
                result = lib.espeak_TextToPhonemes(ctypes.byref(text_pointer), _ESPEAK_CHARS_UTF8, _PHONEME_MODE)
                if result:
                    clauses.append(result.decode("utf-8", "replace"))
        raw = " ".join(clause.strip() for clause in clauses if clause.strip())
        markers = [m.strip("()").replace(chr(_TIE_BAR), "") for m in _LANGUAGE_SWITCH_RE.findall(raw)]
        switched = tuple(dict.fromkeys(m for m in markers if m and not self.language.startswith(m)))
        # "-" joins a clitic to its host ("lˈə-"); it marks no sound.
        ipa = _LANGUAGE_SWITCH_RE.sub("", raw).replace("-", "").strip()
        return EspeakTranscription(ipa=ipa, switched_to=switched)
