"""CTC forward/backward/Viterbi against brute-force enumeration of all alignments."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from pronscore.gop.ctc import build_graph, ctc_backward, ctc_forward, ctc_viterbi


def _collapse(path, blank):
    out, prev = [], None
    for p in path:
        if p != prev and p != blank:
            out.append(p)
        prev = p
    return out


def _brute(log_probs, labels, blank, wildcard_members=None):
    """Sum over every frame-level path whose CTC collapse equals `labels`.

    With wildcard_members, label -1 matches any member; a run of wildcard frames is one phone
    (the approximation the forward recursion makes for the wildcard state).
    """
    T, V = log_probs.shape
    total = -np.inf
    best = -np.inf
    for path in itertools.product(range(V), repeat=T):
        score = float(sum(log_probs[t, p] for t, p in enumerate(path)))
        if _collapse(path, blank) == labels:
            total = np.logaddexp(total, score)
            best = max(best, score)
    return total, best


def _random_log_probs(rng, T, V):
    x = rng.normal(size=(T, V)) * 2
    return (x - np.log(np.exp(x).sum(axis=1, keepdims=True))).astype(np.float32)


@pytest.mark.parametrize("seed", range(6))
def test_forward_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    T, V, blank = 5, 4, 0
    lp = _random_log_probs(rng, T, V)
    seqs = [[1, 2], [1, 1], [3], [2, 3, 1], []]
    graph = build_graph(seqs, blank)
    ll, _ = ctc_forward(lp, graph)
    for b, seq in enumerate(seqs):
        expected, _ = _brute(lp, seq, blank)
        assert ll[b] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("seed", range(4))
def test_viterbi_matches_best_path(seed):
    rng = np.random.default_rng(100 + seed)
    T, V, blank = 6, 4, 0
    lp = _random_log_probs(rng, T, V)
    labels = [2, 2, 3] if seed % 2 else [1, 3]
    path, score = ctc_viterbi(lp, labels, blank)
    _, best = _brute(lp, labels, blank)
    assert score == pytest.approx(best, abs=1e-4)
    # The path is a valid alignment: collapsing its tokens gives the labels back.
    graph = build_graph([labels], blank)
    tokens = graph.tokens[0][path]
    assert _collapse(list(tokens), blank) == labels
    # and its score is what Viterbi reports
    assert float(lp[np.arange(T), tokens].sum()) == pytest.approx(score, abs=1e-4)


@pytest.mark.parametrize("seed", range(4))
def test_backward_occupancy_sums_to_likelihood(seed):
    """alpha_t(s) * beta_t(s) / y_t(s) summed over s equals P for every t."""
    rng = np.random.default_rng(200 + seed)
    T, V, blank = 7, 5, 0
    lp = _random_log_probs(rng, T, V)
    labels = [1, 3, 3, 2]
    graph = build_graph([labels], blank)
    S = int(graph.lengths[0])
    ll, _ = ctc_forward(lp, graph)
    alphas = np.stack([ctc_forward(lp, graph, keep=np.array([s]))[1][:, 0] for s in range(S)], axis=1)
    betas = np.stack([ctc_backward(lp, graph, keep=np.array([s]))[:, 0] for s in range(S)], axis=1)
    em = lp[:, graph.tokens[0]]
    occ = np.logaddexp.reduce(alphas + betas - em, axis=1)
    np.testing.assert_allclose(occ, ll[0], atol=1e-3)


def test_wildcard_equals_brute_force_over_members():
    rng = np.random.default_rng(7)
    T, V, blank = 5, 4, 0
    lp = _random_log_probs(rng, T, V)
    members = [1, 2, 3]
    wild = np.logaddexp.reduce(lp[:, members], axis=1, keepdims=True)
    lp_ext = np.concatenate([lp, wild], axis=1)
    W = V
    graph = build_graph([[1, W]], blank, wildcard_id=W)
    ll, _ = ctc_forward(lp_ext, graph)
    # Brute force: the wildcard state is a run of member frames, any mixture of members.
    total = -np.inf
    for path in itertools.product(range(V + 1), repeat=T):
        # map frames to states: emulate by expanding path over the extended alphabet
        coll = _collapse(path, blank)
        if coll == [1, W]:
            total = np.logaddexp(total, float(sum(lp_ext[t, p] for t, p in enumerate(path))))
    assert ll[0] == pytest.approx(total, abs=1e-4)


def test_gop_sfsd_prefers_the_phone_that_was_said():
    """Frames that clearly say token 2 where the canonical sequence has token 1 give a low GOP
    at that position, and the substitution posterior names token 2."""
    from pronscore.gop.sfsd import gop_sfsd

    V, blank = 5, 0
    said = [0, 3, 3, 0, 2, 2, 0, 4, 0]  # frame-level: blank, 3, blank, 2, blank, 4
    lp = np.full((len(said), V), np.log(0.02), dtype=np.float32)
    lp[np.arange(len(said)), said] = np.log(0.92)
    inventory = [(1,), (2,), (3,), (4,)]  # entry k is token k+1
    res = gop_sfsd(lp, [(2,), (0,), (3,)], blank, inventory)
    assert res.gop.shape == (3,)
    assert res.gop[1] < res.gop[0] - 1.0 and res.gop[1] < res.gop[2] - 1.0
    inv = [1, 2, 3, 4]
    assert inv[int(np.argmax(res.substitution[1]))] == 2
    np.testing.assert_allclose(res.substitution.sum(axis=1), 1.0, atol=1e-6)

    # Read correctly everywhere, every phone scores near log(1) = 0.
    # Accepting token 2 as a realization of position 1 makes it good too.
    lenient = gop_sfsd(lp, [(2,), (0, 1), (3,)], blank, inventory)
    assert lenient.gop[1] > -0.5 and lenient.target_share[1] > 0.8
    ok = gop_sfsd(lp, [(2,), (1,), (3,)], blank, inventory)
    assert np.all(ok.gop > -0.5)  # the wildcard also sums the 2% floor of the other phones
    assert ok.deletion_prob.max() < 0.2
