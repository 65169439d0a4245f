"""Phone and word times from a CTC Viterbi path.

CTC models are peaky: a phone is emitted on one or a few frames and blanks fill the rest.
We give each phone the span from its first emitted frame to the next phone's first
emitted frame inside a word; between words the blank stretch is silence or transition,
so a word-final phone keeps at most `tail_frames` of it and a word-initial phone starts
at most one frame before its first emission.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PathSpans:
    """Frame spans of each label of one Viterbi path (end exclusive)."""

    first: np.ndarray  # int [N]: first frame in the label's state
    last: np.ndarray  # int [N]: last frame in the label's state (inclusive)


def label_spans(path: np.ndarray, n_labels: int) -> PathSpans:
    first = np.full(n_labels, -1, dtype=np.int64)
    last = np.full(n_labels, -1, dtype=np.int64)
    is_label = path % 2 == 1
    frames = np.nonzero(is_label)[0]
    labels = (path[frames] - 1) // 2
    # frames are increasing, so the first/last occurrence of a label are its ends
    uniq, first_pos = np.unique(labels, return_index=True)
    _, last_pos_rev = np.unique(labels[::-1], return_index=True)
    first[uniq] = frames[first_pos]
    last[uniq] = frames[len(frames) - 1 - last_pos_rev]
    return PathSpans(first=first, last=last)


def phone_times(spans: PathSpans, word_of_phone: np.ndarray, n_frames: int, frame_s: float,
                tail_frames: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) seconds per phone."""
    n = len(spans.first)
    start = spans.first.astype(np.float64)
    end = spans.last.astype(np.float64) + 1
    for i in range(n):
        same_word_next = i + 1 < n and word_of_phone[i + 1] == word_of_phone[i]
        if same_word_next:
            end[i] = max(end[i], spans.first[i + 1])
        else:
            nxt = spans.first[i + 1] if i + 1 < n else n_frames
            end[i] = min(spans.last[i] + 1 + tail_frames, max(spans.last[i] + 1, nxt))
        word_initial = i == 0 or word_of_phone[i - 1] != word_of_phone[i]
        if word_initial:
            prev_end = spans.last[i - 1] + 1 if i > 0 else 0
            start[i] = max(prev_end, spans.first[i] - 1)
    return start * frame_s, end * frame_s
