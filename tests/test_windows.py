"""Cutting long recordings into acoustic-model windows (acoustic/windows.py) and using them."""
import numpy as np
import pytest

from pronscore.acoustic.windows import quiet_cut_points


def test_short_audio_is_one_window():
    assert quiet_cut_points(np.zeros(1000), 2000) == [0, 1000]


@pytest.mark.parametrize("seconds", [15.01, 31.0, 61.3, 299.9])
def test_windows_are_bounded_aligned_and_cover_the_clip(seconds):
    audio = np.random.default_rng(1).normal(0, 0.1, int(seconds * 16000))
    cuts = quiet_cut_points(audio, 15 * 16000)
    sizes = np.diff(cuts)
    assert cuts[0] == 0 and cuts[-1] == len(audio)
    assert sizes.max() <= 15 * 16000 and sizes.min() > 5 * 16000  # bounded, and no sliver
    assert all(c % 320 == 0 for c in cuts[:-1])


def test_cuts_land_in_silence_near_the_split_point():
    rng = np.random.default_rng(2)
    audio = rng.normal(0, 0.1, 20 * 16000)
    audio[9 * 16000 + 6400: 9 * 16000 + 9600] = 0.0  # 200 ms of silence 0.6 s before the middle
    (_, cut, _) = quiet_cut_points(audio, 15 * 16000)
    assert 9 * 16000 + 6400 <= cut < 9 * 16000 + 9600


def test_hama_windows_line_up_with_one_pass():
    from pronscore.acoustic.hama_backend import HamaAcousticModel

    model = HamaAcousticModel()
    rng = np.random.default_rng(3)
    audio = (0.05 * rng.normal(size=18 * 16000)).astype(np.float32)
    windowed = model.posteriors(audio)
    single = model._run(audio)
    # Same frame grid as a single pass (one frame per 320 samples, plus the end frame).
    assert windowed.log_probs.shape == single.shape
    assert np.allclose(np.exp(windowed.log_probs).sum(axis=1), 1.0, atol=1e-4)
