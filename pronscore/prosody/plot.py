"""Headless assessment plot: waveform with pauses and coloured words, F0 contour below.

`prosody_track` is the `PitchTrack` kept on `ProsodyAnalysis.pitch` (or a
`(times, f0_hz)` pair, NaN where unvoiced), so the plot reuses the F0 the
prosody layer already computed. Word colours follow `scores.total`:
red below 60, amber below 80, green otherwise (grey for words without a score).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from pronscore.errors import PronscoreError
from pronscore.prosody.acoustics import PitchTrack, check_audio
from pronscore.prosody.timing import is_timed
from pronscore.result import WordResult

RED, AMBER, GREEN, GREY = "#d62728", "#ff9f1c", "#2ca02c", "#9e9e9e"


def score_colour(total: float | None) -> str:
    if total is None or not np.isfinite(total):
        return GREY
    return RED if total < 60 else AMBER if total < 80 else GREEN


def _track_arrays(prosody_track: PitchTrack | tuple | None) -> tuple[np.ndarray, np.ndarray]:
    if prosody_track is None:
        return np.zeros(0), np.zeros(0)
    if isinstance(prosody_track, PitchTrack):
        return prosody_track.times, prosody_track.f0_hz
    times, f0 = (np.asarray(a, dtype=np.float64) for a in prosody_track)
    if times.shape != f0.shape:
        raise PronscoreError(f"prosody_track times and F0 differ in shape: {times.shape} vs {f0.shape}")
    return times, f0


def plot_assessment(
    audio: np.ndarray,
    sample_rate: int,
    words: Sequence[WordResult],
    prosody_track: PitchTrack | tuple[np.ndarray, np.ndarray] | None,
    pauses: Sequence[dict[str, Any]],
    out_path: str | Path,
) -> Path:
    """Write a PNG/SVG/PDF (by extension) of the utterance and return its path."""
    import matplotlib

    matplotlib.use("Agg", force=True)  # headless; never opens a window
    import matplotlib.pyplot as plt

    samples = check_audio(audio, sample_rate)
    times, f0 = _track_arrays(prosody_track)
    out = Path(out_path)
    duration = samples.size / sample_rate

    fig, (ax_wave, ax_f0) = plt.subplots(2, 1, figsize=(12, 5), sharex=True, height_ratios=[1.2, 1])
    # Decimate the waveform for drawing: a min/max envelope per pixel column looks identical.
    step = max(1, samples.size // 4000)
    t = np.arange(samples.size) / sample_rate
    ax_wave.plot(t[::step], samples[::step], color="#444444", linewidth=0.5)
    ax_wave.set_ylabel("amplitude")
    for pause in pauses:
        for ax in (ax_wave, ax_f0):
            ax.axvspan(pause["start"], pause["end"], color="#1f77b4", alpha=0.15, linewidth=0)
    peak = float(np.abs(samples).max()) or 1.0
    for word in words:
        if not is_timed(word):
            continue
        colour = score_colour(word.scores.total if word.scores is not None else None)
        ax_wave.axvspan(word.start, word.end, ymin=0.0, ymax=0.06, color=colour)
        for edge in (word.start, word.end):
            ax_wave.axvline(edge, color=colour, linewidth=0.6, alpha=0.6)
        ax_wave.text((word.start + word.end) / 2, peak * 1.05, word.text, ha="center", va="bottom",
                     color=colour, fontsize=9, clip_on=False)
    ax_wave.set_ylim(-peak * 1.1, peak * 1.1)

    if np.isfinite(f0).any():
        ax_f0.plot(times, f0, ".", color="#1f77b4", markersize=2)
        ax_f0.set_ylabel("F0 (Hz)")
    else:
        ax_f0.text(0.5, 0.5, "no voiced frames", transform=ax_f0.transAxes, ha="center", va="center")
    ax_f0.set_xlabel("time (s)")
    ax_f0.set_xlim(0, duration)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
