"""Filled pauses ("uh", "um", "er"): voiced, spectrally steady, non-lexical sound between words.

Two sources:

* material the aligner marked as inserted whose text is a known filler or whose
  phones are all filler-like (central vowels and nasals);
* stretches of speech not covered by any aligned word that are voiced for at
  least MIN_HESITATION_S, with a flat F0 (SD <= MAX_F0_SD_ST semitones) and a
  steady spectrum (median spectral change, see `spectral_change`, below
  STEADY_SPECTRUM_RATIO times the median change over the utterance's speech).
  A word's span is extended by WORD_END_MARGIN_S because CTC alignment lets
  word-final phones end early; a drawled final vowel longer than that margin
  is reported too, which is also a hesitation phenomenon.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.ndimage import uniform_filter1d

from pronscore.fluency.activity import Activity, bool_runs
from pronscore.prosody.acoustics import PitchTrack
from pronscore.prosody.timing import is_spoken, is_timed
from pronscore.result import WordResult

FILLER_WORDS = frozenset({"uh", "um", "uhm", "er", "erm", "ah", "eh", "hm", "hmm", "mm", "em"})
FILLER_PHONES = frozenset({"ə", "ʌ", "ɜ", "ɜː", "ɚ", "ɝ", "ɐ", "a", "æ", "ɛ", "e", "m", "n", "əː", "ʌː"})
MIN_HESITATION_S = 0.2
MAX_F0_SD_ST = 1.5
STEADY_SPECTRUM_RATIO = 0.4
WORD_START_MARGIN_S = 0.03
WORD_END_MARGIN_S = 0.12
SPECTRUM_WINDOW_S = 0.03
SPECTRUM_LAG_FRAMES = 4
N_BANDS = 24


@dataclass(frozen=True)
class Hesitation:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "duration": self.duration}


def spectral_change(audio: np.ndarray, sample_rate: int, times: np.ndarray) -> np.ndarray:
    """Spectral change around each time: RMS over bands (dB) of the difference between the
    log band spectra SPECTRUM_LAG_FRAMES / 2 frames after and before it.

    Bands are equal-width on a log-frequency axis between 100 Hz and 7 kHz (or Nyquist),
    a cheap stand-in for a mel filterbank. Spectra are averaged over 3 frames and compared
    ~40 ms apart because frame-to-frame differences are dominated by harmonic jitter;
    at this lag a sustained "uh" changes ~2 dB while running speech changes ~12 dB.
    """
    n = int(round(SPECTRUM_WINDOW_S * sample_rate))
    if times.size <= SPECTRUM_LAG_FRAMES or audio.size < n:
        return np.zeros(times.size)
    centres = np.clip((times * sample_rate).astype(int), n // 2, audio.size - n // 2 - 1)
    frames = audio[centres[:, None] + np.arange(n)[None, :] - n // 2] * np.hanning(n)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, 1 / sample_rate)
    edges = np.geomspace(100.0, min(7000.0, sample_rate / 2 - 1), N_BANDS + 1)
    band = np.digitize(freqs, edges) - 1
    valid = (band >= 0) & (band < N_BANDS)
    energies = np.zeros((times.size, N_BANDS))
    np.add.at(energies.T, band[valid], power[:, valid].T)
    log_bands = uniform_filter1d(10 * np.log10(energies + 1e-10), 3, axis=0)
    lag = SPECTRUM_LAG_FRAMES
    difference = np.sqrt(np.mean((log_bands[lag:] - log_bands[:-lag]) ** 2, axis=1))
    change = np.empty(times.size)
    change[lag // 2: lag // 2 + difference.size] = difference
    change[: lag // 2] = difference[0]
    change[lag // 2 + difference.size:] = difference[-1]
    return change


def _is_filler_word(word: WordResult) -> bool:
    if word.text.strip(" .,!?-").lower() in FILLER_WORDS:
        return True
    return bool(word.phones) and all(p.ipa in FILLER_PHONES for p in word.phones)


def find_hesitations(
    audio: np.ndarray,
    sample_rate: int,
    words: Sequence[WordResult],
    activity: Activity,
    pitch: PitchTrack,
) -> list[Hesitation]:
    found = [
        Hesitation(w.start, w.end)
        for w in words
        if w.error == "inserted" and is_timed(w) and _is_filler_word(w)
    ]
    lexical = [w for w in words if is_spoken(w) and not (w.error == "inserted" and _is_filler_word(w))]
    if not lexical or activity.times.size == 0 or pitch.times.size == 0:
        return sorted(found, key=lambda h: h.start)
    times = activity.times
    covered = np.zeros(times.size, dtype=bool)
    for w in lexical:
        covered |= (times >= w.start - WORD_START_MARGIN_S) & (times <= w.end + WORD_END_MARGIN_S)
    for h in found:
        covered |= (times >= h.start) & (times <= h.end)
    f0 = np.interp(times, pitch.times, pitch.f0_hz, left=np.nan, right=np.nan)
    # np.interp blends NaN neighbours into NaN, so unvoiced frames stay unvoiced.
    voiced = np.isfinite(f0)
    candidate = activity.active & voiced & ~covered
    min_frames = int(np.ceil(MIN_HESITATION_S / activity.frame_s))
    runs = [(a, b) for a, b in bool_runs(candidate) if b - a >= min_frames]
    if runs:
        change = spectral_change(np.asarray(audio, dtype=np.float64), sample_rate, times)
        speech_change = float(np.median(change[activity.active])) if activity.active.any() else 0.0
        for a, b in runs:
            semitones = 12 * np.log2(f0[a:b] / np.median(f0[a:b]))
            steady = float(np.median(change[a:b]))
            if np.std(semitones) <= MAX_F0_SD_ST and steady < STEADY_SPECTRUM_RATIO * speech_change:
                found.append(Hesitation(activity.edge(a), activity.edge(b)))
    return sorted(found, key=lambda h: h.start)
