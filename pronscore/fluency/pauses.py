"""The speech span (first to last speech) and the silent pauses inside it.

A pause is a stretch of non-speech frames (see `activity`) between the first and
the last speech, at least MIN_PAUSE_S long. Shorter gaps are stop closures and
ordinary transitions, not pauses. L2 fluency research uses 0.15 s to 0.25 s; we use
0.25 s (De Jong & Bosker 2013) because a stop closure across a word boundary in
synthesized speech ("milk please") measured 0.17 s and was counted as a pause at 0.15.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from pronscore.fluency.activity import Activity
from pronscore.prosody.timing import is_spoken
from pronscore.result import WordResult

MIN_PAUSE_S = 0.25
LONG_PAUSE_S = 0.4
RUN_BREAK_PAUSE_S = 0.25
#: How far the signal may extend the aligned first/last word to find speech edges.
#: CTC starts are usually late by a frame or two and word-final phones end early.
ONSET_SEARCH_S = 0.3
OFFSET_SEARCH_S = 0.5

PausePosition = Literal["between_words", "within_word"]


@dataclass(frozen=True)
class Pause:
    start: float
    end: float
    position: PausePosition

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "duration": self.duration, "position": self.position}


@dataclass(frozen=True)
class SpeechSpan:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return max(self.end - self.start, 0.0)


def speech_span(activity: Activity, words: Sequence[WordResult]) -> SpeechSpan | None:
    """From the onset of speech to its offset; None when there is no speech at all.

    With aligned words, the span runs from the first spoken word to the last one,
    each edge moved outward to the edge of the active stretch that touches it
    (within ONSET/OFFSET_SEARCH_S), so early-ending final phones do not shorten
    it and a cough far from the words does not lengthen it. Without aligned
    words, it runs from the first to the last active frame.
    """
    runs = activity.runs(True)
    spoken = [w for w in words if is_spoken(w)]
    if not spoken:
        if not runs:
            return None
        return SpeechSpan(runs[0][0], runs[-1][1])
    start = min(w.start for w in spoken)
    end = max(w.end for w in spoken)
    onset_candidates = [a for a, b in runs if a <= start + ONSET_SEARCH_S and b >= start - ONSET_SEARCH_S]
    offset_candidates = [b for a, b in runs if a <= end + OFFSET_SEARCH_S and b >= end - OFFSET_SEARCH_S]
    if onset_candidates:
        start = min(start, min(onset_candidates))
    if offset_candidates:
        end = max(end, max(offset_candidates))
    return SpeechSpan(start, end)


def find_pauses(activity: Activity, span: SpeechSpan | None, words: Sequence[WordResult]) -> list[Pause]:
    """Non-speech stretches of at least MIN_PAUSE_S strictly inside the speech span.

    A pause whose midpoint lies inside an aligned word is `within_word` (a break
    in the middle of a word), otherwise `between_words`.
    """
    if span is None:
        return []
    spans = [(w.start, w.end) for w in words if is_spoken(w)]
    pauses = []
    for start, end in activity.runs(False):
        start, end = max(start, span.start), min(end, span.end)
        if end - start < MIN_PAUSE_S:
            continue
        middle = (start + end) / 2
        inside = any(a < middle < b for a, b in spans)
        pauses.append(Pause(start, end, "within_word" if inside else "between_words"))
    return pauses
