"""Word stress: which syllable of each multi-syllable word is the most prominent?

Each syllable is represented by its aligned nucleus (syllabic phone). Three cues
are measured per nucleus and z-scored over all nuclei of the utterance (so a
word's syllables are compared on the speaker's own scale):

* F0: mean F0 in semitones over the voiced frames of the nucleus, weight 0.4;
* intensity: peak intensity (dB) in the nucleus, weight 0.4;
* duration: log duration of the nucleus, weight 0.2 (lower because CTC
  alignment places phone boundaries only approximately).

Nuclei shorter than MIN_NUCLEUS_WINDOW_S are measured over a window of that
length centred on them (CTC spikes can be a single 20 ms frame). A missing cue
(unvoiced nucleus) contributes 0, the utterance mean.

prominence = 0.4 z_F0 + 0.4 z_intensity + 0.2 z_duration; P(syllable is stressed)
= softmax(prominence / SOFTMAX_TEMPERATURE) within the word. The detected
syllable is the argmax, its confidence is its probability, and the word's stress
score is 100 * P(expected syllable), the expected one being the nucleus with
lexical primary stress (phone.stress == 1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from pronscore.prosody.acoustics import IntensityTrack, PitchTrack
from pronscore.result import PhoneResult, WordResult

F0_WEIGHT = 0.4
INTENSITY_WEIGHT = 0.4
DURATION_WEIGHT = 0.2
SOFTMAX_TEMPERATURE = 0.5
MIN_NUCLEUS_WINDOW_S = 0.06


@dataclass(frozen=True)
class WordStress:
    word: str
    word_index: int  # WordResult.index (position in the reference text)
    expected_syllable: int | None  # 0-based among the word's nuclei; None when the lexicon gives no stress
    detected_syllable: int
    correct: bool | None
    confidence: float  # probability of the detected syllable
    score: float | None  # 100 * P(expected syllable)

    def to_dict(self) -> dict:
        return {
            "word": self.word, "word_index": self.word_index, "expected_syllable": self.expected_syllable,
            "detected_syllable": self.detected_syllable, "correct": self.correct, "confidence": self.confidence,
        }


def _zscore(values: np.ndarray) -> np.ndarray:
    """z-scores over the finite entries; NaN (missing cue) becomes 0, as does a constant cue."""
    finite = np.isfinite(values)
    out = np.zeros_like(values)
    if finite.sum() >= 2:
        sd = values[finite].std()
        if sd > 0:
            out[finite] = (values[finite] - values[finite].mean()) / sd
    return out


def _window(phone: PhoneResult) -> tuple[float, float]:
    half = max((phone.end - phone.start) / 2, MIN_NUCLEUS_WINDOW_S / 2)
    middle = (phone.start + phone.end) / 2
    return middle - half, middle + half


def nucleus_cues(nuclei: Sequence[PhoneResult], pitch: PitchTrack, intensity: IntensityTrack) -> np.ndarray:
    """[n, 3] array of (mean F0 semitones, peak intensity dB, log duration) per nucleus; NaN when missing."""
    median = pitch.median_hz()
    semitones = pitch.semitones(median) if median else np.full(pitch.times.shape, np.nan)
    cues = np.full((len(nuclei), 3), np.nan)
    for i, phone in enumerate(nuclei):
        a, b = _window(phone)
        frames = (pitch.times >= a) & (pitch.times <= b) & np.isfinite(semitones)
        if frames.any():
            cues[i, 0] = semitones[frames].mean()
        loud = (intensity.times >= a) & (intensity.times <= b)
        if loud.any():
            cues[i, 1] = intensity.db[loud].max()
        cues[i, 2] = np.log(max(phone.end - phone.start, 0.01))
    return cues


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def word_stress(
    words: Sequence[WordResult],
    pitch: PitchTrack,
    intensity: IntensityTrack,
    is_syllabic: Callable[[str], bool],
) -> tuple[list[WordStress], list[float | None]]:
    """Stress judgements for the multi-syllable spoken words, and a per-word score list
    aligned with `words` (None for single-syllable, omitted or unaligned words)."""
    per_word: list[list[PhoneResult]] = []
    for word in words:
        nuclei = [p for p in word.phones if is_syllabic(p.ipa)]
        usable = word.error not in ("omitted", "inserted") and len(nuclei) >= 2
        usable = usable and all(p.start is not None and p.end is not None for p in nuclei)
        per_word.append(nuclei if usable else [])
    flat = [p for nuclei in per_word for p in nuclei]
    scores: list[float | None] = [None] * len(words)
    if not flat:
        return [], scores
    cues = nucleus_cues(flat, pitch, intensity)
    weights = np.array([F0_WEIGHT, INTENSITY_WEIGHT, DURATION_WEIGHT])
    prominence = np.column_stack([_zscore(cues[:, k]) for k in range(3)]) @ weights
    judgements, offset = [], 0
    for position, (word, nuclei) in enumerate(zip(words, per_word)):
        if not nuclei:
            continue
        probs = softmax(prominence[offset:offset + len(nuclei)] / SOFTMAX_TEMPERATURE)
        offset += len(nuclei)
        detected = int(np.argmax(probs))
        primary = [i for i, p in enumerate(nuclei) if p.stress == 1]
        expected = primary[0] if primary else None
        score = float(100.0 * probs[expected]) if expected is not None else None
        scores[position] = score
        judgements.append(WordStress(
            word.text, word.index, expected, detected,
            (detected == expected) if expected is not None else None, float(probs[detected]), score,
        ))
    return judgements, scores
