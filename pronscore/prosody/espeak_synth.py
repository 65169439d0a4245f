"""Speech synthesis with eSpeak NG (the library shipped by `espeakng-loader`).

Used by the tests to make audio with known structure (rate, inserted silence,
question intonation) and reusable by the feedback layer ("hear the target").
Besides the samples it returns eSpeak's own word and phoneme events, so callers
get reference timings without an aligner.

The library itself belongs to an ``EspeakEngine``
(``pronscore.text.espeak_engine``; the process's ``default_engine()`` unless one
is passed), which it shares with eSpeak G2P. The engine starts every synthesis
from a freshly loaded library (initialised with synchronous output and phoneme
events with IPA names) and sets the voice and every parameter, so the result
depends only on the arguments: not on earlier syntheses (eSpeak's wave
generator keeps a pitch-flutter phase and other state across calls that no API
call resets) nor on what the G2P did.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pronscore.errors import TextError
from pronscore.text.espeak_engine import EspeakEngine, RawEvent, SynthParameters, default_engine

# Event types of espeak_EVENT.type
_EVENT_WORD = 1
_EVENT_PHONEME = 7


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


def _decode_events(events: list[RawEvent], text: str) -> tuple[list[SynthWord], list[SynthPhoneme]]:
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


def synthesize(text: str, *, voice: str = "en-us", rate_wpm: int = 175, pitch: int = 50,
               pitch_range: int = 50, word_gap_10ms: int = 0, phoneme_input: bool = False,
               engine: EspeakEngine | None = None) -> Synthesis:
    """Synthesize `text` with eSpeak NG.

    rate_wpm: eSpeak's speaking rate (80-450 words per minute); pitch: 0-100 (50 = voice default);
    pitch_range: 0-100 intonation range (0 = monotone, 50 = default);
    word_gap_10ms: extra pause between words in units of 10 ms;
    phoneme_input: read eSpeak phoneme mnemonics written inside [[...]] (e.g. "[[s'INk]]").
    Returns float32 audio at eSpeak's native rate (22050 Hz) with word and phoneme onsets.
    The same arguments give the same audio, whatever was synthesised or transcribed before.
    Raises TextError for empty text, out-of-range parameters or an unknown voice.
    """
    if not text.strip():
        raise TextError("nothing to synthesize: the text is empty")
    if not 80 <= rate_wpm <= 450:
        raise TextError(f"rate_wpm must be within 80-450, got {rate_wpm}")
    if not (0 <= pitch <= 100 and 0 <= pitch_range <= 100):
        raise TextError(f"pitch and pitch_range must be within 0-100, got {pitch}, {pitch_range}")
    params = SynthParameters(voice=voice, rate_wpm=rate_wpm, pitch=pitch, pitch_range=pitch_range,
                             word_gap_10ms=word_gap_10ms, phoneme_input=phoneme_input)
    raw = (engine or default_engine()).synthesize(text, params)
    audio = (raw.pcm.astype(np.float32) / 32768.0).astype(np.float32)
    return Synthesis(audio, raw.sample_rate, *_decode_events(raw.events, text))
