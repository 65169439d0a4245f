"""Checks and small helpers over the aligned words (`pronscore.result.WordResult`)."""
from __future__ import annotations

import math
from typing import Sequence

from pronscore.errors import AlignmentTimingError, PronscoreError
from pronscore.result import PhoneResult, WordResult

#: Aligned times may overrun the audio by a frame or two (20 ms CTC frames, rounding).
END_TOLERANCE_S = 0.05



def _check_span(label: str, start: float | None, end: float | None, duration_s: float) -> None:
    if (start is None) != (end is None):
        raise AlignmentTimingError(f"{label} has only one of start/end set ({start!r}, {end!r})")
    if start is None:
        return
    if not (math.isfinite(start) and math.isfinite(end)):
        raise AlignmentTimingError(f"{label} has non-finite times ({start!r}, {end!r})")
    if start < -END_TOLERANCE_S or end < start or end > duration_s + END_TOLERANCE_S:
        raise AlignmentTimingError(
            f"{label} spans {start:.3f}-{end:.3f} s, outside the {duration_s:.3f} s of audio or reversed"
        )


def check_words(words: Sequence[WordResult], duration_s: float) -> None:
    """Raise AlignmentTimingError when any word or phone timing is unusable."""
    for i, word in enumerate(words):
        if not isinstance(word, WordResult):
            raise AlignmentTimingError(f"words[{i}] is a {type(word).__name__}, not a WordResult")
        _check_span(f"word {i} {word.text!r}", word.start, word.end, duration_s)
        for j, phone in enumerate(word.phones):
            _check_span(f"phone {j} {phone.ipa!r} of word {i} {word.text!r}", phone.start, phone.end, duration_s)


def is_timed(item: WordResult | PhoneResult) -> bool:
    return item.start is not None and item.end is not None


def is_spoken(word: WordResult) -> bool:
    """A word that produced sound: not omitted and with a time span."""
    return word.error != "omitted" and is_timed(word)
