"""Data passed from the text layer to the rest of the engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PronunciationSource = Literal["cmudict", "espeak", "lexicon", "override", "corpus"]


@dataclass
class WordPronunciation:
    """One word of the reference text and its canonical (target) phones."""

    text: str  # the word as looked up (normalized, e.g. "twenty" for part of "25")
    char_start: int  # offsets of the written token in the original reference text
    char_end: int
    phones: list[str]  # IPA, one entry per phone (diphthongs and affricates are one entry: "aɪ", "t͡ʃ")
    stress: list[int | None]  # per phone: 0/1/2 for vowels where the lexicon says, else None
    source: PronunciationSource
    arpabet: list[str] | None = None  # ARPAbet with stress digits when the source is ARPAbet


@dataclass
class Reference:
    """The reference text prepared for scoring."""

    text: str  # the original text as given
    language: str  # language code, e.g. "en", "en-us", "fr"
    words: list[WordPronunciation]
    sentence_type: Literal["statement", "question", "yes_no_question", "exclamation"] = "statement"
    notes: list[str] = field(default_factory=list)  # e.g. words that went through eSpeak NG
