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
    """Holds the PanPhon feature table (the process's shared one) and a per-phone cache."""

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
    peaks = find_peaks(db, height=float(np.median(db)), prominence=PEAK_DIP_DB)
    peak_times = times[peaks]
    if pitch is not None and pitch.times.size and peak_times.size:
        nearest = np.clip(np.searchsorted(pitch.times, peak_times), 0, pitch.times.size - 1)
        peak_times = peak_times[pitch.voiced[nearest]]
    return peak_times


def find_peaks(x: np.ndarray, height: float | None = None, prominence: float | None = None) -> np.ndarray:
    """Indices of the peaks of `x` that reach `height` and stand out by `prominence`.

    The same peaks as ``scipy.signal.find_peaks(x, height=height, prominence=prominence)[0]``
    for scalar lower bounds (tests/test_signal_equivalents.py checks it against SciPy), in a
    few numpy lines, so that counting syllables does not import scipy.signal (~0.4 s):

    * a peak is a sample, or the middle (rounded down) of a run of equal samples, whose
      neighbours on both sides are lower; the first and last samples are never peaks;
    * its prominence is its height above the higher of the two lowest points reached when
      walking left and right from it until a higher sample (or NaN, or the signal's end).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("`x` must be a 1-D array")
    n = x.size
    if n < 3:
        return np.zeros(0, dtype=np.intp)
    # Runs of equal samples (NaN never equals, so each NaN is a run of its own).
    starts = np.concatenate(([0], np.flatnonzero(x[1:] != x[:-1]) + 1))
    ends = np.concatenate((starts[1:] - 1, [n - 1]))
    inner = (starts >= 1) & (ends <= n - 2)
    starts, ends = starts[inner], ends[inner]
    is_peak = (x[starts - 1] < x[starts]) & (x[ends + 1] < x[starts])
    peaks = ((starts[is_peak] + ends[is_peak]) // 2).astype(np.intp)
    if height is not None:
        peaks = peaks[height <= x[peaks]]
    if prominence is not None and peaks.size:
        top = x[peaks][:, None]
        index = np.arange(n)
        at = peaks[:, None]
        stops = ~(x[None, :] <= top)  # a higher sample, or NaN, ends the walk
        left = np.where(stops & (index < at), index, -1).max(axis=1)[:, None] + 1
        right = np.where(stops & (index > at), index, n).min(axis=1)[:, None] - 1
        left_min = np.where((index >= left) & (index <= at), x, np.inf).min(axis=1)
        right_min = np.where((index >= at) & (index <= right), x, np.inf).min(axis=1)
        prominences = x[peaks] - np.maximum(left_min, right_min)
        peaks = peaks[prominence <= prominences]
    return peaks


@lru_cache(maxsize=1)
def default_syllable_counter() -> SyllableCounter:
    """One shared counter per process: the PanPhon table is immutable, so sharing is safe."""
    return SyllableCounter()
