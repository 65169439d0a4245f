"""Typed results. `Assessment.to_dict()` produces the Assessment JSON published in
`pronscore/schema/assessment.schema.json`; tests validate every output against it."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

WordError = Literal["none", "accented", "mispronounced", "omitted", "inserted"]
PhoneError = Literal["none", "accented", "mispronounced", "omitted", "inserted"]


@dataclass
class Candidate:
    """One "sounded like" candidate: an IPA phone ("∅" for a deletion) and its probability."""

    ipa: str
    prob: float


@dataclass
class PhoneResult:
    ipa: str  # canonical (target) phone, IPA
    start: float | None  # seconds; None when the phone was omitted
    end: float | None
    score: float  # 0-100
    gop: float  # raw GOP-SF-SD (natural log, <= 0)
    sounded_like: list[Candidate] = field(default_factory=list)
    error: PhoneError = "none"
    model_symbol: str = ""  # symbol of the acoustic model the phone was scored as
    stress: int | None = None  # lexical stress of a vowel (0, 1, 2) where the lexicon gives it


@dataclass
class WordScores:
    accuracy: float  # 0-100
    stress: float | None  # 0-100, None until prosody has judged it
    total: float  # 0-100


@dataclass
class WordResult:
    text: str
    index: int  # position in the reference text (-1 for inserted material)
    char_start: int  # offsets into the original reference text (-1 for inserted)
    char_end: int
    start: float | None
    end: float | None
    scores: WordScores
    error: WordError
    phones: list[PhoneResult]
    pronunciation_source: str = ""  # cmudict | espeak | lexicon | override | heard


@dataclass
class SentenceScores:
    accuracy: float
    fluency: float
    completeness: float
    prosody: float
    overall: float


@dataclass
class Assessment:
    text: str
    language: str
    scores: SentenceScores
    words: list[WordResult]
    duration: float  # seconds of audio assessed
    fluency: dict[str, Any] = field(default_factory=dict)
    prosody: dict[str, Any] = field(default_factory=dict)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    phone_mapping: list[dict[str, Any]] = field(default_factory=list)
    coach: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return _round_floats(d)

    def scored_words(self) -> list[WordResult]:
        """Words of the reference text, without inserted material."""
        return [w for w in self.words if w.error != "inserted"]


def _round_floats(obj: Any, ndigits: int = 4) -> Any:
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, dict):
        return {k: _round_floats(v, ndigits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round_floats(v, ndigits) for v in obj]
    return obj
