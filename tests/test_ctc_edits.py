"""edit_passes (the shared lattice of GOP-SF-SD) gives exactly the numbers of the plain
batched ctc_forward / ctc_backward over the canonical sequence and its single-edit variants."""
from __future__ import annotations

import numpy as np
import pytest

from pronscore.gop.ctc import build_graph, ctc_backward, ctc_forward, edit_passes


def _reference(lp, labels, blank, wild):
    n = len(labels)
    seqs = [labels]
    seqs += [labels[:i] + [wild] + labels[i + 1 :] for i in range(n)]
    seqs += [labels[:i] + labels[i + 1 :] for i in range(n)]
    keep = np.zeros(len(seqs), dtype=np.int64)
    keep[1 : n + 1] = 2 * np.arange(n) + 1
    loglik, alpha = ctc_forward(lp, build_graph(seqs, blank, wildcard_id=wild), keep=keep)
    beta = ctc_backward(lp, build_graph(seqs[1 : n + 1], blank, wildcard_id=wild), keep=keep[1 : n + 1])
    return loglik, alpha[:, 1 : n + 1], beta


@pytest.mark.parametrize("seed", range(40))
def test_edit_passes_equal_the_batched_recursions(seed):
    rng = np.random.default_rng(seed)
    V = int(rng.integers(3, 9))
    n = int(rng.integers(1, 9))
    T = int(rng.integers(1, 3 * n + 4))  # includes T shorter than the sequence
    blank, wild = 0, V
    labels = [int(x) for x in rng.integers(1, V, size=n)]
    if n > 2 and seed % 3 == 0:
        labels[1] = labels[0]  # a repeated label (no skip between them)
        labels[-1] = labels[-3]  # deleting the label between two equal ones joins them
    x = rng.normal(size=(T, V)) * rng.choice([1.0, 4.0, 15.0])
    lp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    lp = np.concatenate([lp, np.logaddexp.reduce(lp[:, 1:], axis=1, keepdims=True)], axis=1)
    lp = lp.astype(np.float32 if seed % 2 else np.float64)

    loglik, alpha, beta = _reference(lp, labels, blank, wild)
    got = edit_passes(lp, labels, blank, wild)
    # Same float32 operations in the same order: equal to the last bit, not just close.
    assert got.loglik_canonical == loglik[0]
    np.testing.assert_array_equal(got.loglik_substituted, loglik[1 : n + 1])
    np.testing.assert_array_equal(got.loglik_deleted, loglik[n + 1 :])
    np.testing.assert_array_equal(got.alpha_substituted, alpha)
    np.testing.assert_array_equal(got.beta_substituted, beta)
