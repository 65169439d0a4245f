"""Rhythm metrics over vocalic (V) and consonantal (C) intervals.

Definitions (durations in seconds):

* ``percent_v`` = 100 * total V duration / total duration (Ramus et al. 1999);
* ``delta_c`` = standard deviation of C durations, in seconds (Ramus et al. 1999);
* ``varco_v`` / ``varco_c`` = 100 * SD / mean of V / C durations (Dellwo 2006; White & Mattys 2007);
* ``npvi_v`` = 100 / (m - 1) * sum |d_k - d_(k+1)| / ((d_k + d_(k+1)) / 2) over successive
  V intervals (Grabe & Low 2002).

Standard deviations are population SDs (ddof = 0). A metric that needs more
intervals than the utterance has (two V intervals for nPVI-V, one C for ΔC) is None.
"""
from __future__ import annotations

from typing import Literal, Sequence

import numpy as np

from pronscore.prosody.timing import AlignmentTimingError
from pronscore.result import WordResult

IntervalKind = Literal["V", "C"]
#: A gap longer than this between aligned phones (a pause) ends the current interval
#: and breaks the V/C sequence: rhythm is measured within stretches of speech.
MAX_JOIN_GAP_S = 0.1


def rhythm_metrics(intervals: Sequence[tuple[str, float]]) -> dict[str, float | None]:
    """nPVI-V, %V, ΔC, VarcoV, VarcoC from ("V" | "C", duration) intervals in temporal order.

    Adjacent intervals of the same kind are expected to be merged already
    (`intervals_from_words` does it); pairs for nPVI are taken between
    successive V intervals of the list, whatever lies between them.
    """
    for kind, duration in intervals:
        if kind not in ("V", "C"):
            raise AlignmentTimingError(f"interval kind must be 'V' or 'C', got {kind!r}")
        if not (np.isfinite(duration) and duration > 0):
            raise AlignmentTimingError(f"interval durations must be positive, got {duration!r}")
    v = np.array([d for k, d in intervals if k == "V"], dtype=np.float64)
    c = np.array([d for k, d in intervals if k == "C"], dtype=np.float64)
    total = v.sum() + c.sum()
    npvi = None
    if v.size >= 2:
        pairs = np.abs(np.diff(v)) / ((v[:-1] + v[1:]) / 2)
        npvi = float(100.0 * pairs.mean())
    return {
        "npvi_v": npvi,
        "percent_v": float(100.0 * v.sum() / total) if total > 0 else None,
        "delta_c": float(c.std()) if c.size else None,
        "varco_v": float(100.0 * v.std() / v.mean()) if v.size else None,
        "varco_c": float(100.0 * c.std() / c.mean()) if c.size else None,
    }


def intervals_from_words(words: Sequence[WordResult], is_syllabic) -> list[tuple[str, float]]:
    """Merge the aligned phones of the spoken words into V/C intervals.

    `is_syllabic(ipa) -> bool` decides V vs C (the fluency layer's PanPhon test).
    Phones without times (omitted) are skipped; a gap above MAX_JOIN_GAP_S
    closes the current interval instead of merging across it.
    """
    phones = [
        p for w in words if w.error != "omitted"
        for p in w.phones if p.start is not None and p.end is not None and p.end > p.start
    ]
    phones.sort(key=lambda p: p.start)
    intervals: list[list] = []
    previous_end = None
    for phone in phones:
        kind = "V" if is_syllabic(phone.ipa) else "C"
        joined = previous_end is not None and phone.start - previous_end <= MAX_JOIN_GAP_S
        if intervals and joined and intervals[-1][0] == kind:
            intervals[-1][1] += phone.end - phone.start
        else:
            intervals.append([kind, phone.end - phone.start])
        previous_end = phone.end
    return [(kind, duration) for kind, duration in intervals]
