"""Segmentation-free GOP with substitution and deletion alternatives (GOP-SF-SD).

For phone i of the canonical sequence L:

    GOP_i = log P(L | O) - log( P(L with i as wildcard | O) + P(L without i | O) )

where the wildcard stands for any phone of the language's inventory (so its term is the
sum over the canonical phone and all its substitutions), computed with the CTC forward
algorithm over the whole utterance: no forced-alignment boundaries are needed.

Phones are given as *sets* of model columns: an inventory entry may stand for several
model symbols that spell the same phone (hama writes /ɡ/ as "g"), and a canonical
position may accept several inventory entries (an unstressed /ə/ said as [ɪ]). A set
state emits the log-sum of its members on every frame, like the wildcard does.

The wildcard pass, with a backward pass, also gives how much each inventory phone
explains the frames the wildcard occupies: the substitution posterior ("sounded like").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pronscore.gop.ctc import edit_passes


@dataclass
class GopResult:
    """Per-phone evidence for one canonical sequence (N phones, K inventory entries)."""

    log_p_canonical: float
    log_p_wildcard: np.ndarray  # [N]
    log_p_deleted: np.ndarray  # [N]
    gop: np.ndarray  # [N] GOP-SF-SD (<= 0)
    substitution: np.ndarray  # [N, K] share of each inventory entry at position i (rows sum to 1)
    target_share: np.ndarray  # [N] share of the accepted entries of position i
    deletion_prob: np.ndarray  # [N] P(deleted) / (P(wildcard) + P(deleted))
    occupancy_frames: np.ndarray  # [N] expected number of frames the wildcard state emits


def _lse_columns(log_probs: np.ndarray, groups: list[tuple[int, ...]]) -> np.ndarray:
    cols = [log_probs[:, g[0]] if len(g) == 1 else np.logaddexp.reduce(log_probs[:, list(g)], axis=1) for g in groups]
    return np.stack(cols, axis=1) if cols else np.zeros((log_probs.shape[0], 0), dtype=log_probs.dtype)


def gop_sfsd(log_probs: np.ndarray, accepted: list[tuple[int, ...]], blank_id: int,
             inventory: list[tuple[int, ...]]) -> GopResult:
    """GOP-SF-SD for every canonical position.

    log_probs: [T, V] model log-posteriors.
    inventory: K entries, each a tuple of model token ids (the symbols of one phone).
    accepted: per canonical position, the inventory entry indices it accepts (first = target).
    """
    n = len(accepted)
    inv_lp = _lse_columns(log_probs, inventory)  # [T, K]
    K = inv_lp.shape[1]
    set_keys = sorted({a for a in accepted if len(a) > 1})
    set_cols = _lse_columns(inv_lp, set_keys)
    wild = np.logaddexp.reduce(inv_lp, axis=1)
    # Compact emission matrix: blank | K entries | accepted sets | wildcard.
    lp = np.concatenate([log_probs[:, [blank_id]], inv_lp, set_cols, wild[:, None]], axis=1)
    set_id = {key: 1 + K + j for j, key in enumerate(set_keys)}
    W = lp.shape[1] - 1
    labels = [set_id[a] if len(a) > 1 else 1 + a[0] for a in accepted]

    # The canonical sequence, position i as the wildcard, position i deleted (every i).
    # And the forward/backward values at the wildcard state, for its occupancy.
    passes = edit_passes(lp, labels, 0, W)
    log_canon = passes.loglik_canonical
    log_wild = passes.loglik_substituted
    log_del = passes.loglik_deleted
    gop = log_canon - np.logaddexp(log_wild, log_del)

    # occupancy gamma_t(i) = alpha * beta / emission / P(variant i)
    log_gamma = passes.alpha_substituted + passes.beta_substituted - wild[:, None] - log_wild[None, :]
    gamma = np.exp(np.clip(log_gamma, -80.0, 0.0)).astype(np.float64)
    share = np.exp(inv_lp - wild[:, None]).astype(np.float64)  # [T, K]
    occupancy = gamma.sum(axis=0)
    substitution = (gamma.T @ share) / np.maximum(occupancy, 1e-12)[:, None]
    target_share = np.array([substitution[i, list(a)].sum() for i, a in enumerate(accepted)])
    deletion_prob = np.exp(log_del - np.logaddexp(log_wild, log_del))
    return GopResult(log_p_canonical=log_canon, log_p_wildcard=log_wild, log_p_deleted=log_del,
                     gop=np.minimum(gop, 0.0), substitution=substitution, target_share=target_share,
                     deletion_prob=deletion_prob, occupancy_frames=occupancy)
