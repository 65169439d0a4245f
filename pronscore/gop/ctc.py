"""CTC forward, backward and Viterbi in log space, batched over label sequences.

A batch is a set of label sequences for the same utterance (the canonical phones,
and variants with one position replaced by a wildcard or deleted). Each sequence is
expanded to the usual CTC state sequence `blank l1 blank l2 ... lN blank`. Emissions
are read from `log_probs` [T, V]; token ids may point one past the vocabulary to an
extra column (the wildcard) that the caller appends.

All recursions loop over time only; every step is one vectorized numpy operation over
[batch, states].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEG_INF = np.float32(-1e30)  # finite "minus infinity": keeps logaddexp free of nan


@dataclass
class StateGraph:
    """Expanded CTC state sequences of a batch, padded to a common length S."""

    tokens: np.ndarray  # int [B, S]: token id emitted in each state (blank in even states)
    skip: np.ndarray  # bool [B, S]: state s may be entered from s-2
    lengths: np.ndarray  # int [B]: number of valid states per sequence (2L+1)


def build_graph(label_seqs: list[list[int]], blank_id: int, wildcard_id: int | None = None) -> StateGraph:
    """Expand label sequences into CTC state graphs.

    A label may be entered directly from the previous label (skipping the blank) when the
    two differ; the wildcard may always be, because it stands for any phone.
    """
    lengths = np.array([2 * len(seq) + 1 for seq in label_seqs], dtype=np.int64)
    s_max = int(lengths.max())
    tokens = np.full((len(label_seqs), s_max), blank_id, dtype=np.int64)
    skip = np.zeros((len(label_seqs), s_max), dtype=bool)
    for b, seq in enumerate(label_seqs):
        if not seq:
            continue
        labels = np.asarray(seq, dtype=np.int64)
        tokens[b, 1 : 2 * len(seq) : 2] = labels
        if len(seq) > 1:
            prev, cur = labels[:-1], labels[1:]
            ok = prev != cur
            if wildcard_id is not None:
                ok |= (prev == wildcard_id) | (cur == wildcard_id)
            skip[b, 3 : 2 * len(seq) : 2] = ok
    return StateGraph(tokens=tokens, skip=skip, lengths=lengths)


def _emissions(log_probs: np.ndarray, graph: StateGraph) -> np.ndarray:
    """[T, B, S] emission log-probabilities; padded states get -inf."""
    em = log_probs[:, graph.tokens]  # fancy indexing: [T, B, S]
    valid = np.arange(graph.tokens.shape[1])[None, :] < graph.lengths[:, None]
    return np.where(valid[None], em, NEG_INF).astype(np.float32)


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    """x[..., s-k] with -inf shifted in (k > 0 shifts right, k < 0 left)."""
    out = np.full_like(x, NEG_INF)
    if k > 0:
        out[..., k:] = x[..., :-k]
    else:
        out[..., :k] = x[..., -k:]
    return out


def ctc_forward(log_probs: np.ndarray, graph: StateGraph, keep: np.ndarray | None = None):
    """Log-likelihood log P(labels | audio) per sequence.

    keep: optional int [B] state index per sequence whose alpha to return for every frame
    (used for the occupancy of the wildcard state). Returns (loglik [B], kept [T, B] or None).
    """
    em = _emissions(log_probs, graph)
    T, B, S = em.shape
    skip_mask = np.where(graph.skip, 0.0, NEG_INF).astype(np.float32)
    alpha = np.full((B, S), NEG_INF, dtype=np.float32)
    alpha[:, 0] = em[0, :, 0]
    if S > 1:
        alpha[:, 1] = em[0, :, 1]
    kept = None
    rows = np.arange(B)
    if keep is not None:
        kept = np.empty((T, B), dtype=np.float32)
        kept[0] = alpha[rows, keep]
    for t in range(1, T):
        a1 = _shift(alpha, 1)
        a2 = _shift(alpha, 2) + skip_mask
        alpha = np.logaddexp(np.logaddexp(alpha, a1), a2) + em[t]
        np.maximum(alpha, NEG_INF, out=alpha)
        if kept is not None:
            kept[t] = alpha[rows, keep]
    last = graph.lengths - 1
    end = np.logaddexp(alpha[rows, last], np.where(last >= 1, alpha[rows, np.maximum(last - 1, 0)], NEG_INF))
    return end.astype(np.float64), kept


def ctc_backward(log_probs: np.ndarray, graph: StateGraph, keep: np.ndarray):
    """beta_t(s) (including the emission at t) at one state per sequence: [T, B]."""
    em = _emissions(log_probs, graph)
    T, B, S = em.shape
    # Entering s+2 from s is allowed when s+2 may be entered by a skip.
    skip_next = np.where(_shift(graph.skip.astype(np.float32), -2) > 0, 0.0, NEG_INF).astype(np.float32)
    rows = np.arange(B)
    last = graph.lengths - 1
    beta = np.full((B, S), NEG_INF, dtype=np.float32)
    beta[rows, last] = em[T - 1, rows, last]
    has_prev = last >= 1
    beta[rows[has_prev], last[has_prev] - 1] = em[T - 1, rows[has_prev], last[has_prev] - 1]
    kept = np.empty((T, B), dtype=np.float32)
    kept[T - 1] = beta[rows, keep]
    for t in range(T - 2, -1, -1):
        b1 = _shift(beta, -1)
        b2 = _shift(beta, -2) + skip_next
        beta = np.logaddexp(np.logaddexp(beta, b1), b2) + em[t]
        np.maximum(beta, NEG_INF, out=beta)
        kept[t] = beta[rows, keep]
    return kept


def ctc_viterbi(log_probs: np.ndarray, labels: list[int], blank_id: int) -> tuple[np.ndarray, float]:
    """Best state path for one label sequence: state index per frame (even = blank, 2i+1 = label i)."""
    graph = build_graph([labels], blank_id)
    em = _emissions(log_probs, graph)[:, 0, :]
    T, S = em.shape
    skip_mask = np.where(graph.skip[0], 0.0, NEG_INF).astype(np.float32)
    delta = np.full(S, NEG_INF, dtype=np.float32)
    delta[0] = em[0, 0]
    if S > 1:
        delta[1] = em[0, 1]
    back = np.zeros((T, S), dtype=np.int8)
    for t in range(1, T):
        cand = np.stack([delta, _shift(delta, 1), _shift(delta, 2) + skip_mask])
        arg = np.argmax(cand, axis=0)
        back[t] = arg
        delta = cand[arg, np.arange(S)] + em[t]
        np.maximum(delta, NEG_INF, out=delta)
    last = S - 1
    s = last if S == 1 or delta[last] >= delta[last - 1] else last - 1
    score = float(delta[s])
    path = np.empty(T, dtype=np.int64)
    for t in range(T - 1, -1, -1):
        path[t] = s
        s -= int(back[t, s])
    return path, score
