"""Reference text -> canonical IPA phones per word (the text layer's entry point).

Pronunciation priority per word: explicit IPA override > user lexicon >
CMUdict (English only) > eSpeak NG (English words CMUdict lacks, and every
word of other languages). eSpeak NG output for English is mapped onto the
CMUdict inventory so one utterance uses one phone set.
"""
from __future__ import annotations

import re
import threading
import unicodedata

from pronscore.errors import CorpusError, LexiconError, MissingDependencyError, PronunciationNotFoundError, UnsupportedLanguageError
from pronscore.text.arpabet import arpabet_to_ipa
from pronscore.text.cmudict_g2p import CmudictLexicon
from pronscore.text.english_phones import to_english_inventory
from pronscore.text.ipa import split_ipa
from pronscore.text.lexicon import UserLexicon, lexicon_key
from pronscore.text.normalize import Token, is_english, sentence_type, tokenize
from pronscore.text.types import Reference, WordPronunciation

# eSpeak NG voice used for English words CMUdict does not know.
_ENGLISH_ESPEAK_VOICE = {"en": "en-us", "en-us": "en-us", "en-gb": "en-gb"}
_LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2,8}(-[a-z0-9]{1,8})*$")


def normalize_language(language: str) -> str:
    """Lower-case language code with "-" separators; UnsupportedLanguageError if malformed."""
    code = language.strip().lower().replace("_", "-")
    if not _LANGUAGE_CODE_RE.match(code):
        raise UnsupportedLanguageError(
            f"language {language!r} is not a language code; use e.g. 'en', 'en-gb', 'fr', 'de', 'es'"
        )
    return code


def _transcribe_word(espeak, spelling: str):
    """eSpeak NG transcription of one word.

    A one-letter word alone is read as the letter's *name* (Portuguese "é" ->
    "é agudo", French "y" -> "i grec"); followed by itself it is read as a
    word the first time, so we transcribe "X X" and keep the first reading.
    """
    letters = [c for c in unicodedata.normalize("NFC", spelling) if not unicodedata.combining(c)]
    if len(letters) == 1:
        doubled = espeak.transcribe(f"{spelling} {spelling}")
        readings = doubled.ipa.split()
        if len(readings) >= 2:
            return type(doubled)(ipa=readings[0], switched_to=doubled.switched_to)
    return espeak.transcribe(spelling)


def _has_latin_letter(word: str) -> bool:
    return any(c.isalpha() and "LATIN" in unicodedata.name(c, "") for c in word)


def _not_found(word: str, language: str, reason: str, espeak_missing: bool = False) -> PronunciationNotFoundError:
    fixes = f"give it with --ipa '{word}=IPA' or add it to a --lexicon file"
    if espeak_missing:
        fixes += ", or install eSpeak NG: pip install 'pronscore[espeak]'"
    return PronunciationNotFoundError(f"no pronunciation for {word!r} ({language}): {reason}. Fix: {fixes}")


class ReferenceBuilder:
    """Builds ``Reference`` objects; owns CMUdict and the eSpeak NG voices (one per Session).

    Resources load on first use (CMUdict on the first English word, ~0.25 s; an eSpeak NG
    voice on the first word that needs it, ~0.2 s), or all at once with `warm_up`.
    """

    def __init__(self, cmudict: CmudictLexicon | None = None) -> None:
        self._cmudict = cmudict if cmudict is not None else CmudictLexicon()
        self._espeak_voices: dict[str, object] = {}  # language -> EspeakG2P
        self._espeak_lock = threading.Lock()

    @property
    def cmudict(self) -> CmudictLexicon:
        """The CMUdict this builder reads (the Session shares it with the minimal-pair index)."""
        return self._cmudict

    def warm_up(self, language: str = "en") -> None:
        """Load now what the first ``build`` for ``language`` would: CMUdict for English, and
        the eSpeak NG voice when eSpeak NG is installed (it is optional; absent, this skips it)."""
        code = normalize_language(language)
        if code in _ENGLISH_ESPEAK_VOICE:
            self._cmudict.load()
        try:
            self._espeak(_ENGLISH_ESPEAK_VOICE.get(code, code))
        except MissingDependencyError:
            pass

    # -- eSpeak NG -----------------------------------------------------------------
    def _espeak(self, language: str):
        """The EspeakG2P for ``language``; raises MissingDependencyError / UnsupportedLanguageError."""
        with self._espeak_lock:
            if language not in self._espeak_voices:
                from pronscore.text.espeak import EspeakG2P  # optional GPL dependency, imported lazily

                self._espeak_voices[language] = EspeakG2P(language)
            return self._espeak_voices[language]

    def _check_language(self, language: str) -> None:
        """Reject languages eSpeak NG does not know, when eSpeak NG is installed."""
        if language in _ENGLISH_ESPEAK_VOICE:
            return
        try:
            self._espeak(language)
        except MissingDependencyError:
            pass  # words may still all come from overrides or the user lexicon

    # -- per-word lookup -----------------------------------------------------------
    def _from_espeak(self, token: Token, written: str, language: str, notes: list[str]) -> WordPronunciation:
        english = language in _ENGLISH_ESPEAK_VOICE
        voice = _ENGLISH_ESPEAK_VOICE.get(language, language)
        # Read what was written (case and accents help eSpeak: "café"), but
        # the spelled-out form for numerals in English ("TWENTY" for "25").
        spelling = token.text.lower() if (english and token.from_numeral) else written
        try:
            espeak = self._espeak(voice)
        except MissingDependencyError as exc:
            where = "it is not in CMUdict" if english else f"{language} words need eSpeak NG"
            raise _not_found(token.text, language, f"{where} and eSpeak NG is not installed", True) from exc
        transcription = _transcribe_word(espeak, spelling)
        ipa = transcription.ipa
        if not ipa:
            raise _not_found(token.text, language, "eSpeak NG produced no phones")
        if transcription.switched_to and not _has_latin_letter(written):
            # eSpeak names characters it cannot read in another language
            # (Japanese kanji come out as English "Chinese letter"): not a reading.
            raise _not_found(
                token.text, language,
                f"eSpeak NG cannot read these characters in {language} (it spelled out their names)",
            )
        try:
            phones, stress = split_ipa(ipa, stress_marked=True)
        except LexiconError as exc:
            raise _not_found(token.text, language, f"eSpeak NG output /{ipa}/ could not be segmented: {exc}") from exc
        if english:
            phones, stress = to_english_inventory(phones, stress)
        word = WordPronunciation(token.text, token.char_start, token.char_end, phones, stress, "espeak")
        if transcription.switched_to:
            notes.append(
                f"eSpeak NG read {written!r} with {'/'.join(transcription.switched_to)} rules: /{''.join(phones)}/"
            )
        return word

    def _pronounce(
        self,
        token: Token,
        written: str,
        language: str,
        lexicon: UserLexicon | None,
        overrides: dict[str, str],
        notes: list[str],
    ) -> WordPronunciation:
        span = (token.text, token.char_start, token.char_end)
        for key in (lexicon_key(written), lexicon_key(token.text)):
            if key in overrides:
                phones, stress = split_ipa(overrides[key])
                return WordPronunciation(*span, phones, stress, "override")
        if lexicon is not None:
            entry = lexicon.lookup(written) or lexicon.lookup(token.text)
            if entry is not None:
                return WordPronunciation(*span, entry.ipa, entry.stress, "lexicon", entry.arpabet)
        if language in _ENGLISH_ESPEAK_VOICE:
            arpabet = self._cmudict.lookup(token.text)
            if arpabet is not None:
                phones, stress = arpabet_to_ipa(arpabet)
                return WordPronunciation(*span, phones, stress, "cmudict", arpabet)
        return self._from_espeak(token, written, language, notes)

    # -- public ----------------------------------------------------------------------
    def build(
        self,
        text: str,
        language: str = "en",
        lexicon: UserLexicon | None = None,
        ipa_overrides: dict[str, str] | None = None,
    ) -> Reference:
        """Tokenize ``text`` and give every word its canonical phones (see module doc)."""
        code = normalize_language(language)
        self._check_language(code)
        overrides: dict[str, str] = {}
        for word, ipa in (ipa_overrides or {}).items():
            try:
                split_ipa(ipa)
            except LexiconError as exc:
                raise LexiconError(f"IPA override for {word!r}: {exc}") from exc
            overrides[lexicon_key(word)] = ipa
        tokens = tokenize(text, code)
        words: list[WordPronunciation] = []
        notes: list[str] = []
        for token in tokens:
            written = text[token.char_start : token.char_end]
            word = self._pronounce(token, written, code, lexicon, overrides, notes)
            if word.source == "espeak" and is_english(code):
                notes.append(f"{token.text!r} is not in CMUdict; pronunciation /{''.join(word.phones)}/ from eSpeak NG")
            words.append(word)
        return Reference(text=text, language=code, words=words, sentence_type=sentence_type(text, code), notes=notes)


def reference_from_arpabet(words: list[tuple[str, list[str]]], text: str, language: str = "en") -> Reference:
    """A Reference from corpus-given ARPAbet pronunciations (e.g. speechocean762 text-phone).

    Each word is found in ``text`` case-insensitively, left to right, to get
    its offsets; a word missing from the text raises CorpusError.
    """
    result: list[WordPronunciation] = []
    cursor = 0
    for word, arpabet in words:
        if not arpabet:
            raise CorpusError(f"word {word!r} has no phones")
        match = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE).search(text, cursor)
        if match is None:
            raise CorpusError(f"word {word!r} not found in the text {text!r} after position {cursor}")
        try:
            phones, stress = arpabet_to_ipa(arpabet)
        except LexiconError as exc:
            raise CorpusError(f"word {word!r}: {exc}") from exc
        arpabet_upper = [symbol.upper() for symbol in arpabet]
        result.append(WordPronunciation(word.upper(), match.start(), match.end(), phones, stress, "corpus", arpabet_upper))
        cursor = match.end()
    if not result:
        raise CorpusError(f"no words given for the text {text!r}")
    return Reference(text=text, language=normalize_language(language), words=result,
                     sentence_type=sentence_type(text, language))
