"""Segmentation-free GOP with substitution and deletion alternatives (GOP-SF-SD).

For phone i of the canonical sequence L:

    GOP_i = log P(L | O) - log( P(L with i as wildcard | O) + P(L without i | O) )

where the wildcard stands for any phone of the language's inventory (so its term is the
sum over the canonical phone and all its substitutions), computed with the CTC forward
algorithm over the whole utterance: no forced-alignment boundaries are needed.

The same wildcard pass, with a backward pass, gives how much each inventory phone
explains the frames the wildcard occupies: the substitution posterior ("sounded like").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pronscore.gop.ctc import NEG_INF, build_graph, ctc_backward, ctc_forward


@dataclass
class GopResult:
    """Per-phone evidence for one canonical sequence (N phones, K inventory phones)."""

    log_p_canonical: float
    log_p_wildcard: np.ndarray  # [N]
    log_p_deleted: np.ndarray  # [N]
    gop: np.ndarray  # [N] GOP-SF-SD (<= 0)
    substitution: np.ndarray  # [N, K] share of each inventory phone at position i (rows sum to 1)
    deletion_prob: np.ndarray  # [N] P(deleted) / (P(wildcard) + P(deleted))
    occupancy_frames: np.ndarray  # [N] expected number of frames the wildcard state emits


def gop_sfsd(log_probs: np.ndarray, labels: list[int], blank_id: int, inventory: np.ndarray) -> GopResult:
    """GOP-SF-SD for every position of `labels` (model token ids) over frames `log_probs` [T, V].

    inventory: token ids of the language's phones; the wildcard sums over them.
    """
    n = len(labels)
    T = log_probs.shape[0]
    inv = np.asarray(inventory, dtype=np.int64)
    inv_lp = log_probs[:, inv]  # [T, K]
    wild_col = np.logaddexp.reduce(inv_lp, axis=1)  # [T]
    lp_ext = np.concatenate([log_probs, wild_col[:, None]], axis=1)
    W = log_probs.shape[1]

    # One batch: canonical, N wildcard variants, N deletion variants.
    seqs = [list(labels)]
    seqs += [labels[:i] + [W] + labels[i + 1 :] for i in range(n)]
    seqs += [labels[:i] + labels[i + 1 :] for i in range(n)]
    graph = build_graph(seqs, blank_id, wildcard_id=W)
    keep = np.zeros(len(seqs), dtype=np.int64)
    keep[1 : n + 1] = 2 * np.arange(n) + 1  # the wildcard's state in each wildcard variant
    loglik, alpha_w = ctc_forward(lp_ext, graph, keep=keep)
    log_canon = float(loglik[0])
    log_wild = loglik[1 : n + 1]
    log_del = loglik[n + 1 :]
    gop = log_canon - np.logaddexp(log_wild, log_del)

    # Backward over the wildcard variants only, to get the wildcard state's occupancy.
    wild_graph = build_graph(seqs[1 : n + 1], blank_id, wildcard_id=W)
    beta_w = ctc_backward(lp_ext, wild_graph, keep=keep[1 : n + 1])  # [T, N]
    # gamma_t(i) = alpha * beta / emission / P(variant i)
    log_gamma = alpha_w[:, 1 : n + 1] + beta_w - wild_col[:, None] - log_wild[None, :]
    gamma = np.exp(np.clip(log_gamma, -80.0, 0.0)).astype(np.float64)  # [T, N]
    share = np.exp(inv_lp - wild_col[:, None]).astype(np.float64)  # [T, K]: each phone's part of the wildcard
    occupancy = gamma.sum(axis=0)  # [N]
    substitution = (gamma.T @ share) / np.maximum(occupancy, 1e-12)[:, None]
    deletion_prob = np.exp(log_del - np.logaddexp(log_wild, log_del))
    return GopResult(
        log_p_canonical=log_canon,
        log_p_wildcard=log_wild,
        log_p_deleted=log_del,
        gop=np.minimum(gop, 0.0),
        substitution=substitution,
        deletion_prob=deletion_prob,
        occupancy_frames=occupancy,
    )
