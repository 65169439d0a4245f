"""Where to cut a long recording into windows an acoustic model runs on one at a time.

Models whose memory grows faster than linearly with length (self-attention) run long clips in
windows. Cutting at fixed points can split a phone in two; cutting in the quietest stretch near
each point rarely does. Pure numpy, no I/O.
"""
from __future__ import annotations

import numpy as np

#: Longest window at 16 kHz: self-attention memory grows with the square of the window (a 30 s
#: Whisper window peaks about 70 MB above a 15 s one), and the whisper-ctc head trained on clips
#: shorter than 15 s.
MAX_WINDOW_SAMPLES = 15 * 16000


def quiet_cut_points(audio: np.ndarray, max_window: int, *, step: int = 320, search: int = 16000) -> list[int]:
    """Sample indices [0, c1, ..., len(audio)] cutting `audio` into windows of at most `max_window`
    samples. The cuts start from an equal split and move to the quietest `step`-sample frame within
    `search` samples (1 s at 16 kHz) before each equal-split point; every cut is a multiple of `step`,
    so frame grids of the windows line up with the whole clip's."""
    n = int(len(audio))
    if n <= max_window:
        return [0, n]
    if max_window < 2 * step:
        raise ValueError(f"max_window must be at least {2 * step} samples")
    frames = n // step
    energy = np.square(np.asarray(audio[: frames * step], dtype=np.float64)).reshape(frames, step).sum(axis=1)
    cuts = [0]
    while n - cuts[-1] > max_window:
        # Equal split of what is left, so no window ends up a sliver.
        parts = -(-(n - cuts[-1]) // max_window)
        target = cuts[-1] + (n - cuts[-1]) // parts
        hi = min(target, cuts[-1] + max_window) // step  # the window may not exceed max_window
        lo = max(cuts[-1] // step + 1, (target - search) // step)
        frame = lo + int(np.argmin(energy[lo:hi])) if hi > lo else hi
        cuts.append(frame * step)
    cuts.append(n)
    return cuts
