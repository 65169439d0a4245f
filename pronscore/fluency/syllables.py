"""Syllable nuclei: aligned syllabic phones, with an intensity-peak fallback.

A phone is a nucleus when PanPhon gives its first segment ``syl = +1`` (vowels,
diphthongs, syllabic consonants such as ``n̩``). Words whose alignment is
missing or poor (the word has a time span but some of its nuclei have none)
fall back to counting intensity peaks inside the word's span, following
de Jong & Wempe (2009): a peak counts when it is a local intensity maximum with
at least 2 dB of dip on both sides, above the span's median, and voiced.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Sequence

import numpy as np
from scipy.signal import find_peaks

from pronscore.prosody.acoustics import IntensityTrack, PitchTrack
from pronscore.prosody.timing import is_timed
from pronscore.result import WordResult

#: Symbols PanPhon lacks but our lexicons emit (r-coloured and central vowels from eSpeak / CMUdict).
_EXTRA_SYLLABIC = frozenset("ɝɚᵻᵿ")
PEAK_DIP_DB = 2.0

NucleusSource = Literal["alignment", "intensity", "lexicon"]


@dataclass(frozen=True)
class Nucleus:
    """One syllable nucleus. `time` is None when the word has no timing at all."""

    time: float | None
    word_position: int  # index into the `words` list given to the counter
    source: NucleusSource


class SyllableCounter:
    """Holds the PanPhon feature table (about 1 s to load) and a per-phone cache."""

    def __init__(self) -> None:
        from pronscore.text.panphon_table import panphon_feature_table

        self._table = panphon_feature_table()  # the process's one read-only table, shared with feedback
        self._syllabic: dict[str, bool] = {}

    def is_syllabic(self, ipa: str) -> bool:
        cached = self._syllabic.get(ipa)
        if cached is None:
            cached = self._lookup(ipa)
            self._syllabic[ipa] = cached
        return cached

    def _lookup(self, ipa: str) -> bool:
        text = unicodedata.normalize("NFD", ipa).replace("\u0361", "").replace("\u035c", "")
        if text[:1] in _EXTRA_SYLLABIC:
            return True
        segments = self._table.word_fts(text)
        return bool(segments) and segments[0]["syl"] == 1

    def nuclei(
        self,
        words: Sequence[WordResult],
        intensity: IntensityTrack,
        pitch: PitchTrack | None = None,
    ) -> list[Nucleus]:
        """Nuclei of every word that was spoken (omitted words contribute none), in time order."""
        found: list[Nucleus] = []
        for position, word in enumerate(words):
            if word.error == "omitted":
                continue
            vowels = [p for p in word.phones if p.error != "omitted" and self.is_syllabic(p.ipa)]
            if vowels and all(is_timed(p) for p in vowels):
                found += [Nucleus((p.start + p.end) / 2, position, "alignment") for p in vowels]
            elif is_timed(word) and word.end > word.start:
                peaks = intensity_peak_times(intensity, pitch, word.start, word.end)
                if peaks.size == 0 and vowels:
                    # Too short or too flat to show peaks: trust the lexicon's count, spread evenly.
                    peaks = word.start + (np.arange(len(vowels)) + 0.5) * (word.end - word.start) / len(vowels)
                found += [Nucleus(float(t), position, "intensity") for t in peaks]
            else:
                found += [Nucleus(None, position, "lexicon") for _ in vowels]
        return sorted(found, key=lambda n: (n.time is None, n.time or 0.0))


def intensity_peak_times(
    intensity: IntensityTrack, pitch: PitchTrack | None, start: float, end: float
) -> np.ndarray:
    """Times of syllable-like intensity peaks within [start, end] (de Jong & Wempe 2009)."""
    inside = (intensity.times >= start) & (intensity.times <= end)
    if inside.sum() < 3:
        return np.zeros(0)
    times, db = intensity.times[inside], intensity.db[inside]
    peaks, _ = find_peaks(db, height=float(np.median(db)), prominence=PEAK_DIP_DB)
    peak_times = times[peaks]
    if pitch is not None and pitch.times.size and peak_times.size:
        nearest = np.clip(np.searchsorted(pitch.times, peak_times), 0, pitch.times.size - 1)
        peak_times = peak_times[pitch.voiced[nearest]]
    return peak_times


@lru_cache(maxsize=1)
def default_syllable_counter() -> SyllableCounter:
    """One shared counter per process: the PanPhon table is immutable, so sharing is safe."""
    return SyllableCounter()
