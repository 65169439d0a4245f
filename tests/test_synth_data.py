"""Synthesized random-word training speech for the whisper-ctc head."""
import numpy as np
import pytest

pytest.importorskip("espeakng_loader")
pytest.importorskip("ctranslate2")

from pronscore.acoustic.synth_data import SyntheticSpeech, add_noise, synthetic_examples
from pronscore.acoustic.train_head import WILDCARD


def test_noise_at_the_requested_snr():
    rng = np.random.default_rng(0)
    clean = (0.3 * np.sin(np.linspace(0, 2000, 32000))).astype(np.float32)
    noisy = add_noise(clean, 15.0, rng)
    snr = 10 * np.log10(np.mean(clean ** 2) / np.mean((noisy - clean) ** 2))
    assert abs(snr - 15.0) < 0.5


def test_espeak_clips_are_repeatable_random_words():
    maker = SyntheticSpeech(engines=["espeak"], seed=3)
    a, b = maker.clip(7), maker.clip(7)
    assert a.text == b.text and np.array_equal(a.audio, b.audio)
    assert a.speaker.startswith("synth-espeak-")
    assert 4 <= len(a.text.split()) <= 9 and len(a.arpabet) == len(a.text.split())
    assert maker.clip(8).text != a.text
    assert 0.5 < len(a.audio) / 16000 < 15


def test_examples_mark_unstressed_vowels_as_wildcards(tmp_path):
    (ex,) = synthetic_examples(1, seed=1, engines=["espeak"], cache_dir=tmp_path, progress=False)
    clip = SyntheticSpeech(engines=["espeak"], seed=1).clip(0)
    phones = [p for w in clip.arpabet for p in w]
    assert len(ex.labels) == len(phones)
    assert all((lab == WILDCARD) == p.endswith("0") for lab, p in zip(ex.labels, phones))
    assert ex.vectors.shape[1] == 384 and ex.vectors.shape[0] >= len(phones)
