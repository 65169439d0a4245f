"""Per-phone evidence for one utterance: GOP-SF-SD features, "sounded like", timings and
inserted material, from the acoustic posteriors and the canonical phones.

Long utterances are cut at word boundaries (found by a Viterbi alignment of the whole
utterance) into chunks of at most `max_chunk_phones` phones, so the batched forward over
all variants stays linear in the utterance length instead of quadratic.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pronscore.acoustic.base import Posteriors
from pronscore.gop.ctc import ctc_viterbi
from pronscore.gop.phoneset import PhoneMapper, PhoneMapping
from pronscore.gop.sfsd import gop_sfsd
from pronscore.gop.timing import label_spans, phone_times
from pronscore.gop.variants import SPELLINGS, accepted_realizations

DELETION_SYMBOL = "∅"


@dataclass
class PhoneEvidence:
    word_index: int
    phone_index: int  # position inside the word
    ipa: str
    mapping: PhoneMapping
    stress: int | None
    gop: float  # GOP-SF-SD
    lpr: float  # log P(canonical) - log P(wildcard): substitution evidence only
    deletion_prob: float
    occupancy_frames: float
    target_share: float  # share of the canonical symbol in the substitution posterior
    substitution: np.ndarray  # [K] over the inventory
    mean_log_post: float  # mean log posterior of the canonical symbol over its aligned frames
    start: float
    end: float


@dataclass
class Insertion:
    """Speech the canonical path explains badly, decoded as free phones."""

    before_word: int  # inserted before this word index (== number of words when at the end)
    start: float
    end: float
    phones: list[str]
    confidence: float


@dataclass
class UtteranceEvidence:
    phones: list[PhoneEvidence]
    inventory_symbols: list[str]  # K symbols of the substitution vectors
    inventory_ipa: list[str]  # the reference-language phone each symbol stands for
    word_spans: list[tuple[float, float]]
    insertions: list[Insertion]
    frame_s: float
    num_frames: int
    log_p_canonical: float
    viterbi_path: np.ndarray = field(repr=False)


def analyze(post: Posteriors, words_ipa: list[list[str]], words_stress: list[list[int | None]],
            mapper: PhoneMapper, inventory_ipa: list[str], language: str = "en", *, max_chunk_phones: int = 48) -> UtteranceEvidence:
    """words_ipa: canonical IPA phones per word. inventory_ipa: the language's phones."""
    maps = [[mapper.map(p) for p in w] for w in words_ipa]
    labels = [m.token_id for w in maps for m in w]
    word_of_phone = np.array([wi for wi, w in enumerate(maps) for _ in w], dtype=np.int64)
    flat_ipa = [p for w in words_ipa for p in w]
    flat_stress = [s for w in words_stress for s in w]
    flat_maps = [m for w in maps for m in w]
    pos_in_word = [pi for w in maps for pi in range(len(w))]

    # The inventory: every language phone, plus any reference phone outside it (overrides).
    # Each entry is the set of model symbols that spell that phone.
    inv_ipa: list[str] = []
    inv_sets: list[tuple[int, ...]] = []
    entry_of_token: dict[int, int] = {}
    for ipa in list(inventory_ipa) + flat_ipa:
        tid = mapper.map(ipa).token_id
        if tid in entry_of_token:
            continue
        spell = {tid} | {mapper.index[s] for s in SPELLINGS.get(ipa, ()) if s in mapper.index}
        spell -= set(entry_of_token)
        for t in spell:
            entry_of_token[t] = len(inv_ipa)
        inv_sets.append(tuple(sorted(spell, key=lambda t: t != tid)))
        inv_ipa.append(ipa)

    def entry(ipa: str) -> int:
        return entry_of_token[mapper.map(ipa).token_id]

    accepted = []
    for ipa, st in zip(flat_ipa, flat_stress):
        alts = [entry(a) for a in accepted_realizations(ipa, language, st) if mapper.map(a).token_id in entry_of_token]
        own = entry(ipa)
        accepted.append(tuple([own] + sorted(set(alts) - {own})))
    lp = post.log_probs
    T = lp.shape[0]
    n = len(labels)

    path, _ = ctc_viterbi(lp, labels, post.blank_id)
    spans = label_spans(path, n)
    if np.any(spans.first < 0):  # more phones than frames: the recording is far too short
        missing = spans.first < 0
        spans.first[missing] = np.maximum.accumulate(np.where(missing, 0, spans.first))[missing]
        spans.last[missing] = spans.first[missing]
    starts, ends = phone_times(spans, word_of_phone, T, post.frame_s)
    duration = T * post.frame_s
    starts = np.clip(starts + post.time_offset_s, 0.0, duration)
    ends = np.clip(ends + post.time_offset_s, starts, duration)

    gop = np.zeros(n)
    lpr = np.zeros(n)
    dele = np.zeros(n)
    occ = np.zeros(n)
    subst = np.zeros((n, len(inv_sets)))
    tshare = np.zeros(n)
    log_canon = 0.0
    for p0, p1, f0, f1 in _chunks(spans, word_of_phone, T, max_chunk_phones):
        res = gop_sfsd(lp[f0:f1], accepted[p0:p1], post.blank_id, inv_sets)
        gop[p0:p1] = res.gop
        lpr[p0:p1] = np.minimum(res.log_p_canonical - res.log_p_wildcard, 0.0)
        dele[p0:p1] = res.deletion_prob
        occ[p0:p1] = res.occupancy_frames
        subst[p0:p1] = res.substitution
        tshare[p0:p1] = res.target_share
        log_canon += res.log_p_canonical

    # The path never goes back to an earlier state, so the frames of label i (state 2i+1)
    # are one run, found by binary search.
    frame_tokens = np.asarray(path)
    label_states = 2 * np.arange(n) + 1
    run_lo = np.searchsorted(frame_tokens, label_states, side="left")
    run_hi = np.searchsorted(frame_tokens, label_states, side="right")
    phones: list[PhoneEvidence] = []
    for i in range(n):
        sel = np.arange(run_lo[i], run_hi[i])
        mean_lp = float(lp[sel, labels[i]].mean()) if len(sel) else float(lp[:, labels[i]].max())
        phones.append(PhoneEvidence(
            word_index=int(word_of_phone[i]), phone_index=pos_in_word[i], ipa=flat_ipa[i], mapping=flat_maps[i],
            stress=flat_stress[i], gop=float(gop[i]), lpr=float(lpr[i]), deletion_prob=float(dele[i]),
            occupancy_frames=float(occ[i]), target_share=float(tshare[i]),
            substitution=subst[i], mean_log_post=mean_lp, start=float(starts[i]), end=float(ends[i]),
        ))
    word_spans = []
    for wi in range(len(words_ipa)):
        idx = np.nonzero(word_of_phone == wi)[0]
        word_spans.append((float(starts[idx[0]]), float(ends[idx[-1]])) if len(idx) else (0.0, 0.0))
    insertions = find_insertions(post, path, word_of_phone, spans, entry_of_token, inv_ipa)
    return UtteranceEvidence(phones=phones, inventory_symbols=[post.vocab[t[0]] for t in inv_sets],
                             inventory_ipa=inv_ipa, word_spans=word_spans, insertions=insertions,
                             frame_s=post.frame_s, num_frames=T, log_p_canonical=log_canon, viterbi_path=path)


def _chunks(spans, word_of_phone: np.ndarray, T: int, max_phones: int):
    """(phone_start, phone_end, frame_start, frame_end) chunks cut between words."""
    n = len(word_of_phone)
    if n <= max_phones:
        yield 0, n, 0, T
        return
    bounds = [0]
    start = 0
    while n - start > max_phones:
        # the last word boundary that keeps the chunk within max_phones
        cut = start + max_phones
        while cut > start + 1 and word_of_phone[cut] == word_of_phone[cut - 1]:
            cut -= 1
        if cut <= start + 1:  # a single word longer than the chunk: cut inside it
            cut = start + max_phones
        bounds.append(cut)
        start = cut
    bounds.append(n)
    frame_cuts = [0]
    for b in bounds[1:-1]:
        gap_start = int(spans.last[b - 1]) + 1
        gap_end = int(spans.first[b])
        frame_cuts.append((gap_start + gap_end) // 2 if gap_end > gap_start else gap_end)
    frame_cuts.append(T)
    for k in range(len(bounds) - 1):
        yield bounds[k], bounds[k + 1], frame_cuts[k], frame_cuts[k + 1]


def find_insertions(post: Posteriors, path: np.ndarray, word_of_phone: np.ndarray, spans,
                    entry_of_token: dict[int, int], inv_ipa: list[str], *, min_prob: float = 0.6,
                    max_gap: int = 6, min_phones: int = 2) -> list[Insertion]:
    """Runs of confidently emitted phones on frames the canonical path spends in a blank
    between words (or before the first / after the last word)."""
    lp = post.log_probs
    T = lp.shape[0]
    n_words = int(word_of_phone.max()) + 1 if len(word_of_phone) else 0
    best = np.argmax(lp, axis=1)
    best_p = np.exp(lp[np.arange(T), best])
    is_phone = np.isin(best, np.fromiter(entry_of_token, dtype=np.int64)) & (best_p >= min_prob)
    # Which word boundary each frame lies at: frames before the first emission of word w and
    # after the last emission of word w-1 belong to gap w.
    first_of_word = np.array([spans.first[np.nonzero(word_of_phone == w)[0][0]] for w in range(n_words)])
    last_of_word = np.array([spans.last[np.nonzero(word_of_phone == w)[0][-1]] for w in range(n_words)])
    gap_of_frame = np.full(T, -1, dtype=np.int64)
    lo = 0
    for w in range(n_words + 1):
        hi = first_of_word[w] - 1 if w < n_words else T  # keep one frame of margin before the word
        if hi > lo:
            gap_of_frame[lo:hi] = w
        if w < n_words:
            lo = last_of_word[w] + 2  # and one after it: CTC spikes spread over neighbours
    candidate = is_phone & (gap_of_frame >= 0) & (path % 2 == 0)
    # CTC emits each phone as a spike between blanks, so a run is a chain of candidate
    # frames at most `max_gap` frames apart within one gap; it needs `min_phones` phones.
    frames = np.nonzero(candidate)[0]
    out: list[Insertion] = []
    if len(frames) == 0:
        return out
    breaks = np.nonzero((np.diff(frames) > max_gap) | (np.diff(gap_of_frame[frames]) != 0))[0] + 1
    for group in np.split(frames, breaks):
        toks = [int(x) for x in best[group]]
        collapsed = [x for k, x in enumerate(toks) if k == 0 or x != toks[k - 1] or group[k] - group[k - 1] > 1]
        if len(collapsed) < min_phones:
            continue
        start = max(0.0, group[0] * post.frame_s + post.time_offset_s)
        out.append(Insertion(before_word=int(gap_of_frame[group[0]]), start=float(start),
                             end=float(max(start, (group[-1] + 1) * post.frame_s + post.time_offset_s)),
                             phones=[inv_ipa[entry_of_token[x]] for x in collapsed],
                             confidence=float(best_p[group].mean())))
    return out
