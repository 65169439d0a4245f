"""The numpy stand-ins for scipy.signal.find_peaks / medfilt and scipy.stats.theilslopes
give SciPy's results for the arguments pronscore uses, and the assessment path no longer
imports scipy.signal or scipy.stats (only resampling of non-16 kHz input does)."""
from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from pronscore.fluency.syllables import PEAK_DIP_DB, find_peaks
from pronscore.prosody.intonation import SMOOTHING_FRAMES, medfilt, theil_sen_slope


def _signals(rng: np.random.Generator):
    """Intensity-like and adversarial 1-D signals: plateaus, ties, edges, NaN and infinities."""
    for _ in range(400):
        n = int(rng.integers(0, 120))
        kind = rng.integers(0, 6)
        if kind == 0:  # smooth intensity contour in dB with syllable bumps
            t = np.linspace(0, 1, n)
            x = 60 + 10 * np.sin(2 * np.pi * rng.uniform(1, 8) * t) + rng.normal(0, 1.5, n)
        elif kind == 1:  # quantized: many plateaus and ties
            x = np.round(rng.normal(0, 3, n))
        elif kind == 2:  # few distinct levels, long plateaus
            x = rng.integers(0, 3, n).astype(float).repeat(rng.integers(1, 4))
        elif kind == 3:
            x = rng.normal(0, 1, n)
            if n:
                x[rng.integers(0, n, max(1, n // 10))] = rng.choice([np.nan, np.inf, -np.inf])
        elif kind == 4:
            x = np.cumsum(rng.normal(0, 1, n))
        else:
            x = rng.uniform(-5, 5, n).astype(np.float32)
        yield x


def test_find_peaks_matches_scipy():
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(0)
    checked = 0
    for x in _signals(rng):
        finite = x[np.isfinite(x)]
        heights = [None, float(np.median(x)) if x.size else 0.0, float(np.median(finite)) if finite.size else 0.0]
        for height in heights:
            for prominence in (None, PEAK_DIP_DB, 0.5, 0.0):
                with np.errstate(invalid="ignore"):
                    expected = signal.find_peaks(x, height=height, prominence=prominence)[0]
                got = find_peaks(x, height=height, prominence=prominence)
                assert got.dtype == expected.dtype
                np.testing.assert_array_equal(got, expected)
                checked += 1
    assert checked > 1000


def test_find_peaks_examples():
    x = np.array([0, 2, 2, 2, 1, 3, 3, 0, 5, 4, 4, 5])
    np.testing.assert_array_equal(find_peaks(x), [2, 5, 8])
    np.testing.assert_array_equal(find_peaks(x, height=3), [5, 8])
    np.testing.assert_array_equal(find_peaks(x, prominence=2), [5])  # 8 stands out by 1 only
    assert find_peaks(np.array([1.0, 2.0])).size == 0


def test_medfilt_matches_scipy():
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(1)
    for n in list(range(1, 12)) + [50, 200]:
        for _ in range(20):
            x = 12.0 * np.log2(rng.uniform(80, 300, n) / rng.uniform(80, 300))
            if rng.random() < 0.3:
                x = np.round(x)  # ties
            for k in (SMOOTHING_FRAMES, 3, 7):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # SciPy warns when the kernel is longer than x
                    expected = signal.medfilt(x, k)
                got = medfilt(x, k)
                assert got.dtype == expected.dtype and got.shape == expected.shape
                np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError):
        medfilt(np.zeros(5), 4)


def test_theil_sen_slope_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(2)
    for n in list(range(2, 10)) + [25, 50]:
        for _ in range(30):
            times = np.sort(rng.uniform(0, 0.5, n))
            if rng.random() < 0.3:
                times = np.round(times, 2)  # repeated x
            y = rng.normal(0, 2, n) + rng.uniform(-20, 20) * times
            if np.ptp(times) == 0:
                continue
            expected = stats.theilslopes(y, times)[0]
            assert theil_sen_slope(y, times) == expected
    with pytest.raises(ValueError):
        theil_sen_slope(np.zeros(1), np.zeros(1))


def test_warm_up_imports_neither_scipy_signal_nor_stats_nor_panphon():
    code = ("import sys, pronscore; s = pronscore.Session(); s.warm_up(); "
            "print(sorted(m for m in ('scipy.signal', 'scipy.stats', 'panphon', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
