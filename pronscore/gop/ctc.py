"""CTC forward, backward and Viterbi in log space, batched over label sequences.

A batch is a set of label sequences for the same utterance (the canonical phones,
and variants with one position replaced by a wildcard or deleted). Each sequence is
expanded to the usual CTC state sequence `blank l1 blank l2 ... lN blank`. Emissions
are read from `log_probs` [T, V]; token ids may point one past the vocabulary to an
extra column (the wildcard) that the caller appends.

All recursions loop over time only; every step is one vectorized numpy operation over
[batch, states].

`ctc_forward` / `ctc_backward` run a batch of arbitrary sequences. GOP-SF-SD needs one
special batch, the canonical sequence and its single-edit variants (position i replaced by
the wildcard, or deleted); `edit_passes` computes the same numbers for it with a fraction of
the work, by sharing what the variants have in common with the canonical sequence (see
`_EditLattice`).

Exactness: every value `edit_passes` keeps is produced by the same float32 operations, in
the same order, as in `ctc_forward` / `ctc_backward`, so the results are equal to the last
bit. Left out are only operations whose result is known exactly: logaddexp(x, y) with
y <= NEG_INF (a forbidden skip, a state past the end) returns x, since exp(-1e30) is 0 in
float32 and x + log1p(0) == x; and states no path can have reached yet are NEG_INF.
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
    return np.where(valid[None], em, NEG_INF).astype(np.float32, copy=False)


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
    em = log_probs[:, graph.tokens[0]].astype(np.float32, copy=False)  # one sequence: no padded states
    T, S = em.shape
    skip_mask = np.where(graph.skip[0], 0.0, NEG_INF).astype(np.float32)
    # delta lives at padded[2:]; the two cells before it stay -inf, so padded[1:S+1] and
    # padded[:S] are delta shifted by one and two states without building new arrays.
    padded = np.full(S + 2, NEG_INF, dtype=np.float32)
    delta = padded[2:]
    delta[0] = em[0, 0]
    if S > 1:
        delta[1] = em[0, 1]
    # Back-pointers as two flags: came from s-1, came from s-2 (which wins over the first).
    from_step = np.zeros((T, S), dtype=bool)
    from_jump = np.zeros((T, S), dtype=bool)
    for t in range(1, T):
        step = padded[1 : S + 1]
        jump = padded[:S] + skip_mask
        # The argmax over (stay, step, jump) with its first-maximum tie-break: a later
        # candidate wins only when strictly greater.
        np.greater(step, delta, out=from_step[t])
        best = np.where(from_step[t], step, delta)
        np.greater(jump, best, out=from_jump[t])
        np.copyto(best, jump, where=from_jump[t])
        np.add(best, em[t], out=delta)
        np.maximum(delta, NEG_INF, out=delta)
    last = S - 1
    s = last if S == 1 or delta[last] >= delta[last - 1] else last - 1
    score = float(delta[s])
    path = np.empty(T, dtype=np.int64)
    for t in range(T - 1, -1, -1):
        path[t] = s
        s -= 2 if from_jump[t, s] else int(from_step[t, s])
    return path, score


# --- The canonical sequence and its single-edit variants ------------------------------------


@dataclass
class _EditLattice:
    """Every recursion GOP-SF-SD needs, as one flat vector of cells stepped by one set of
    numpy calls per frame.

    Forward. The wildcard variant W_i (label i replaced by the wildcard) and the deletion
    variant D_i (label i removed) agree with the canonical sequence on every state before
    2i+1: same tokens, same skips, hence the same forward values on every frame. So only the
    canonical sequence is computed from state 0; each variant keeps just its own states
    2i+1..end, about half of them on average. The recursion reads states s-1 and s-2: in
    front of each variant's own states sit two *ghost* cells holding the canonical values of
    states 2i-1 and 2i, refreshed after every frame.

    Backward. beta_t(s) depends only on states >= s, and past its wildcard W_i is the
    canonical sequence (that 2i+3 may always be entered from the wildcard matters only at
    the wildcard). So one backward pass over the canonical sequence, plus one cell per
    wildcard reading its successors 2i+2 and 2i+3 from it (as ghosts), gives beta at every
    wildcard state. The backward recursion is the forward one on the reversed states (r =
    S-1-s) and reversed time, so these cells sit in the same vector, fed the emissions of
    frame T-1-t at step t.

    Cells standing for a state before 0, or padding, are *dead*: always -inf, like the -inf
    that `_shift` shifts in. Every block starts at a cell of the parity of its first state,
    so label states (odd) are the odd cells and the skip term, which only they have, is one
    strided operation. Layout: forward canonical | pad | backward canonical | one 4-cell
    block per wildcard for the backward | W_0, D_0, W_1, D_1, ... Since the states of W_i
    and D_i cannot be reached before frame i, the cells to compute at frame t are a prefix
    of the vector, up to the end of D_t (`live_end`).
    """

    tokens: np.ndarray  # int [F]: token emitted in each cell (any for ghost and dead cells)
    backward: slice  # the cells that read emissions backwards in time
    skip_mask: np.ndarray  # float32 [F]: 0 where the cell's state may be entered from s-2 (r-2), else NEG_INF
    ghost: np.ndarray  # int [G]: ghost cells
    ghost_src: np.ndarray  # int [G]: the canonical cell each ghost mirrors
    dead: np.ndarray  # int [D]
    initial: np.ndarray  # int: cells of (reversed) states 0 and 1, where the recursions start
    alpha_wild: np.ndarray  # int [N]: cell of W_i's wildcard state, forward
    beta_wild: np.ndarray  # int [N]: cell of W_i's wildcard state, backward
    end: np.ndarray  # int [1 + 2N]: cell of the last state of canonical, W_0, D_0, W_1, D_1, ...
    before_end: np.ndarray  # int [1 + 2N]: cell of the state before it (a dead cell if there is none)
    live_end: np.ndarray  # int [N]: cells to compute at frame t: live_end[min(t, N - 1)]


def _edit_lattice(labels: list[int], blank_id: int, wildcard_id: int) -> _EditLattice:
    canon = build_graph([labels], blank_id, wildcard_id=wildcard_id)
    tok, skip = canon.tokens[0], canon.skip[0]
    S = len(tok)
    # Forward canonical block: cells 0, 1 dead (states -2, -1), then state s at cell 2 + s.
    fwd = {"tokens": np.concatenate([[blank_id, blank_id], tok]), "skip": np.concatenate([[False, False], skip])}
    # A dead pad cell keeps the parity; then the backward blocks, then the W/D blocks.
    bwd_start = S + 3
    bwd = _backward_blocks(skip, tok, blank_id, wildcard_id)
    var_start = bwd_start + len(bwd["tokens"])
    var = _variant_blocks(labels, tok, skip, blank_id, wildcard_id)
    pad = {"tokens": [blank_id], "skip": [False]}
    return _EditLattice(
        tokens=np.concatenate([fwd["tokens"], pad["tokens"], bwd["tokens"], var["tokens"]]),
        backward=slice(bwd_start, var_start),
        skip_mask=np.where(np.concatenate([fwd["skip"], pad["skip"], bwd["skip"], var["skip"]]),
                           0.0, NEG_INF).astype(np.float32),
        ghost=np.concatenate([bwd_start + bwd["ghost"], var_start + var["ghost"]]).astype(np.int64),
        ghost_src=np.concatenate([bwd_start + 2 + bwd["ghost_state"], 2 + var["ghost_state"]]).astype(np.int64),
        dead=np.concatenate([[0, 1, S + 2], bwd_start + bwd["dead"], var_start + var["dead"]]).astype(np.int64),
        initial=np.concatenate([2 + np.arange(min(S, 2)), bwd_start + bwd["initial"],
                                var_start + var["initial"]]).astype(np.int64),
        alpha_wild=var_start + var["wild"], beta_wild=bwd_start + bwd["wild"],
        end=np.concatenate([[2 + S - 1], var_start + var["end"]]).astype(np.int64),
        before_end=np.concatenate([[2 + S - 2], var_start + var["end"] - 1]).astype(np.int64),
        live_end=(var_start + var["live_end"]).astype(np.int64))


def _backward_blocks(skip: np.ndarray, tok: np.ndarray, blank_id: int, wildcard_id: int) -> dict:
    """The backward canonical block (two dead cells, then reversed state r = S-1-s at cell
    2 + r), then per wildcard W_i a block of four cells: ghosts of the canonical r-2 and
    r-1 (states 2i+3, 2i+2), the wildcard at r (state 2i+1), a dead pad. Cell indices are
    counted from the first block; ghost states are reversed canonical states."""
    S, n = len(tok), (len(tok) - 1) // 2
    # State s may go on to s+2 when s+2 may be entered by a skip: at r, skip[S+1-r].
    rev_skip = np.concatenate([np.zeros(2 + min(S, 2), dtype=bool), skip[::-1][: max(S - 2, 0)]])
    wild_r = S - 2 - 2 * np.arange(n)  # the reversed state of W_i's wildcard
    base = S + 2 + 4 * np.arange(n)
    wild_skip = np.zeros(4 * n, dtype=bool)
    wild_skip[2::4] = np.arange(n) < n - 1  # any label may follow the wildcard directly
    ghost_state = np.stack([wild_r - 2, wild_r - 1], axis=1).ravel()
    ghost = np.stack([base, base + 1], axis=1).ravel()
    wild_tokens = np.tile([blank_id, blank_id, wildcard_id, blank_id], n)
    return {"tokens": np.concatenate([[blank_id, blank_id], tok[::-1], wild_tokens]),
            "skip": np.concatenate([rev_skip, wild_skip]),
            "ghost": ghost[ghost_state >= 0], "ghost_state": ghost_state[ghost_state >= 0],
            "dead": np.concatenate([[0, 1], base + 3, ghost[ghost_state < 0]]),
            "initial": np.concatenate([2 + np.arange(min(S, 2)), base[wild_r == 1] + 2]),
            "wild": base + 2}


def _variant_blocks(labels: list[int], tok: np.ndarray, skip: np.ndarray, blank_id: int, wildcard_id: int) -> dict:
    """The forward blocks W_0, D_0, W_1, D_1, ...: two ghosts, then the variant's own states
    start..stop-1, with cell indices counted from the first block. Tokens and skips follow
    build_graph's rules for each variant's own label sequence."""
    n, S = len(labels), len(tok)
    i = np.repeat(np.arange(n), 2)
    is_deletion = np.tile([False, True], n)
    start = 2 * i + 1
    stop = np.where(is_deletion, S - 2, S)  # one past the variant's last state
    size = stop - start + 2
    base = np.cumsum(size) - size  # the cell of each block's first ghost (state start-2)
    block = np.repeat(np.arange(2 * n), size)
    state = np.arange(int(size.sum())) - base[block] + start[block] - 2  # variant state of each cell
    own = state >= start[block]
    # Past its edit a variant reads the canonical tokens and skips: at the same state for
    # W_i, two states on (one label later) for D_i. Ghosts read their own state.
    canon_state = np.clip(np.where(own & is_deletion[block], state + 2, state), 0, None)
    tokens = np.where(own, tok[canon_state], blank_id)
    var_skip = skip[canon_state] & own
    # ...except around the edit:
    w_state = base[0::2] + 2  # W_i's state 2i+1, the wildcard
    tokens[w_state] = wildcard_id
    var_skip[w_state] = np.arange(n) >= 1  # the wildcard may follow any label directly,
    var_skip[w_state[: max(n - 1, 0)] + 2] = True  # and any label may follow it directly.
    mid = np.arange(1, n - 1)  # D_i joins label i-1 to label i+1: a skip when they differ
    lab = np.asarray(labels, dtype=np.int64)
    var_skip[base[1::2][mid] + 2] = ((lab[mid - 1] != lab[mid + 1]) | (lab[mid - 1] == wildcard_id)
                                     | (lab[mid + 1] == wildcard_id))
    ghost = np.nonzero(~own & (state >= 0))[0]
    return {"tokens": tokens, "skip": var_skip, "ghost": ghost, "ghost_state": state[ghost],
            "dead": np.nonzero(~own & (state < 0))[0], "initial": np.nonzero(own & (state == 1))[0],
            "wild": w_state, "end": base + stop - start + 1,
            "live_end": np.concatenate([base[2::2], [int(size.sum())]])}


@dataclass
class EditPasses:
    """Forward and backward results for the canonical sequence and its single-edit variants."""

    loglik_canonical: float
    loglik_substituted: np.ndarray  # float64 [N]: label i replaced by the wildcard
    loglik_deleted: np.ndarray  # float64 [N]: label i removed
    alpha_substituted: np.ndarray  # float32 [T, N]: alpha_t at the wildcard state 2i+1 of variant i
    beta_substituted: np.ndarray  # float32 [T, N]: beta_t there


def edit_passes(log_probs: np.ndarray, labels: list[int], blank_id: int, wildcard_id: int) -> EditPasses:
    """The numbers `ctc_forward` gives for the batch [labels, wildcard variants, deletion
    variants] with keep = the wildcard state, and `ctc_backward` for the wildcard variants,
    computed on the shared lattice (`_EditLattice`)."""
    n = len(labels)
    lat = _edit_lattice(labels, blank_id, wildcard_id)
    em = log_probs[:, lat.tokens].astype(np.float32, copy=False)  # [T, F], a new array (fancy indexing)
    em[:, lat.backward] = em[::-1, lat.backward].copy()  # step t of the backward pass is frame T-1-t
    # A -inf emission keeps the dead cells at exactly NEG_INF through the clamp below (x +
    # NEG_INF rounds to NEG_INF or less for any x of a log-probability's size), so they
    # need no reset each frame.
    em[:, lat.dead] = NEG_INF
    T, F = em.shape
    jump_mask = lat.skip_mask[3::2]  # the label cells from 3 on (cell 1 is dead)
    # The values of every cell at the current step (alpha, or beta for the backward cells).
    vals = np.full(F, NEG_INF, dtype=np.float32)
    vals[lat.initial] = em[0, lat.initial]
    vals[lat.ghost] = vals[lat.ghost_src]
    nxt = np.full(F, NEG_INF, dtype=np.float32)  # cells past the live prefix stay -inf until it reaches them
    keep = np.concatenate([lat.alpha_wild, lat.beta_wild])
    kept = np.empty((T, 2 * n), dtype=np.float32)
    kept[0] = vals[keep]
    for t in range(1, T):
        live = lat.live_end[min(t, len(lat.live_end) - 1)]
        cur, new = vals[:live], nxt[:live]
        # The operations of ctc_forward / ctc_backward: logaddexp(logaddexp(stay, step), jump) + em.
        np.logaddexp(cur[1:], cur[:-1], out=new[1:])
        np.logaddexp(new[3::2], cur[1:-2:2] + jump_mask[: (live - 2) // 2], out=new[3::2])
        new += em[t, :live]
        np.maximum(new, NEG_INF, out=new)
        nxt[lat.ghost] = nxt[lat.ghost_src]
        kept[t] = nxt[keep]
        vals, nxt = nxt, vals
    loglik = np.logaddexp(vals[lat.end], vals[lat.before_end]).astype(np.float64)
    return EditPasses(loglik_canonical=float(loglik[0]), loglik_substituted=loglik[1::2],
                      loglik_deleted=loglik[2::2], alpha_substituted=kept[:, :n],
                      beta_substituted=kept[::-1, n:])
