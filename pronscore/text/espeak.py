"""eSpeak NG grapheme-to-phoneme through the optional ``espeakng-loader`` package.

eSpeak NG is GPL-3.0: it is only ever imported here and in
``pronscore.prosody.espeak_synth``, lazily, so the rest of pronscore works
(English in-vocabulary words, user lexicons, IPA overrides) without it. Install
with ``pip install 'pronscore[espeak]'``.

The C library keeps one global state per process, shared with synthesis, so this
module never touches it directly: an ``EspeakEngine``
(``pronscore.text.espeak_engine``, the process's ``default_engine()`` unless one
is passed) owns the library, serialises every call and hands each use the
library in a known state; every transcription selects its voice.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pronscore.errors import PronscoreError, UnsupportedLanguageError
from pronscore.text.espeak_engine import EspeakEngine, default_engine

_ESPEAK_PHONEMES_IPA = 0x02
_ESPEAK_PHONEMES_TIE = 0x80  # join the letters of one multi-letter phoneme with the char in bits 8-23
_TIE_BAR = 0x0361
# IPA output with eSpeak's own phoneme grouping marked by tie bars ("a͡ɪ", "t͡ʃ"),
# so split_ipa can keep multi-letter phonemes of any language together.
_PHONEME_MODE = _ESPEAK_PHONEMES_IPA | _ESPEAK_PHONEMES_TIE | (_TIE_BAR << 8)

# eSpeak marks words it reads with another language's rules: "(en)wiːkˈɛnd(fr)".
_LANGUAGE_SWITCH_RE = re.compile(r"\([^()]*\)")

# Common codes eSpeak NG names differently.
_LANGUAGE_ALIASES = {"zh": "cmn", "zh-cn": "cmn", "zh-hans": "cmn", "zh-tw": "cmn", "zh-hk": "yue", "nb": "no"}


@dataclass(frozen=True)
class EspeakTranscription:
    ipa: str  # stress marks and tie bars included; language-switch markers removed
    # Languages whose rules eSpeak NG switched to for part of the word
    # (French "weekend" -> English), or which it used to *name* characters it
    # cannot read (Japanese kanji -> English "Chinese letter").
    switched_to: tuple[str, ...] = ()


def is_espeak_available(engine: EspeakEngine | None = None) -> bool:
    """True when the optional eSpeak NG dependency can be loaded."""
    try:
        (engine or default_engine()).voices()
    except PronscoreError:
        return False
    return True


def _normalize_language(language: str) -> str:
    code = language.strip().lower().replace("_", "-")
    return _LANGUAGE_ALIASES.get(code, code)


class EspeakG2P:
    """Words -> IPA with eSpeak NG for one language. Safe to share between threads."""

    def __init__(self, language: str, engine: EspeakEngine | None = None) -> None:
        self._engine = engine or default_engine()
        voices = self._engine.voices()
        code = _normalize_language(language)
        if code not in voices:
            examples = ", ".join(sorted(c for c in ("en-us", "en-gb", "fr", "de", "es", "it", "pt", "cmn", "ja", "hi")
                                        if c in voices))
            raise UnsupportedLanguageError(
                f"language {language!r} is not supported by eSpeak NG; "
                f"use a code such as {examples} ({len(voices)} codes available)"
            )
        self.language = code
        self._voice = voices[code]

    @staticmethod
    def supported_languages(engine: EspeakEngine | None = None) -> list[str]:
        """All language codes eSpeak NG has a voice for (lower case, e.g. "en-us", "fr")."""
        return sorted((engine or default_engine()).voices())

    def word_to_ipa(self, word: str) -> str:
        """IPA for one written word (or short phrase), with stress marks and tie bars.

        Multi-letter phonemes are joined by tie bars ("a͡ɪ", "t͡ʃ"); clauses are
        joined by a space. Returns "" when eSpeak produces nothing.
        """
        return self.transcribe(word).ipa

    def transcribe(self, word: str) -> EspeakTranscription:
        """Like ``word_to_ipa`` but also reports switches to other languages' rules."""
        clauses = self._engine.text_to_phonemes(word, self._voice, _PHONEME_MODE)
        raw = " ".join(clause.strip() for clause in clauses if clause.strip())
        markers = [m.strip("()").replace(chr(_TIE_BAR), "") for m in _LANGUAGE_SWITCH_RE.findall(raw)]
        switched = tuple(dict.fromkeys(m for m in markers if m and not self.language.startswith(m)))
        # "-" joins a clitic to its host ("lˈə-"); it marks no sound.
        ipa = _LANGUAGE_SWITCH_RE.sub("", raw).replace("-", "").strip()
        return EspeakTranscription(ipa=ipa, switched_to=switched)
