"""Feature vectors for the learned scorer, from GOP evidence and the utterance context.

Three levels, each a pure function of numpy arrays:

- phone:     `phone_features(ev_arrays)` -> [N phones, F_phone]
- word:      `word_features(ev_arrays, ctx_vec, phone_pred)` -> [W, F_word]
             (aggregates of the phone model's predictions plus word-level evidence)
- utterance: `utterance_features(ev_arrays, ctx_vec, phone_pred, word_pred)` -> [1, F_utt]

`EvidenceArrays` is the numeric part of `UtteranceEvidence` that the features need. It is
what the training cache stores, so the features can change without re-running the
acoustic model, and at run time `LearnedScorer` builds it from the evidence directly;
both paths go through the same functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pronscore.gop.analyze import UtteranceEvidence
from pronscore.scoring.base import UtteranceContext
from pronscore.text.arpabet import ENGLISH_PHONES

# Bump when a feature's meaning or order changes: a model trained on other features must not load.
FEATURE_VERSION = 1

INVENTORY: tuple[str, ...] = tuple(ENGLISH_PHONES)
_INVENTORY_INDEX = {p: i for i, p in enumerate(INVENTORY)}
_EPS = 1e-6

# Numeric fluency/prosody metrics, read by dotted path; a missing or non-numeric value
# becomes 0 with a "missing" indicator so a tree or a linear model can tell the difference.
CONTEXT_KEYS: tuple[str, ...] = (
    "fluency.speech_rate_sps", "fluency.articulation_rate_sps", "fluency.phonation_time_ratio",
    "fluency.pause_count", "fluency.mean_pause_s", "fluency.long_pause_count",
    "fluency.mean_length_of_run", "fluency.wcpm", "fluency.syllable_count", "fluency.speech_duration_s",
    "prosody.f0_median_hz", "prosody.f0_range_st", "prosody.f0_sd_st",
    "prosody.intonation.final_slope_st_per_s", "prosody.intonation.matches",
    "prosody.rhythm.npvi_v", "prosody.rhythm.percent_v", "prosody.rhythm.delta_c",
    "prosody.rhythm.varco_v", "prosody.rhythm.varco_c",
)
# Derived context numbers appended after CONTEXT_KEYS (values, then the missing flags).
CONTEXT_DERIVED: tuple[str, ...] = (
    "duration_s", "n_words", "words_per_s", "hesitation_count", "total_pause_s",
    "stress_checked", "stress_correct_share", "stress_confidence_mean", "word_stress_mean",
    "word_stress_judged_share",
)


@dataclass
class EvidenceArrays:
    """Per-phone evidence of one utterance as arrays (N phones, K = len(INVENTORY))."""

    ipa: list[str]
    word_index: np.ndarray  # int [N]
    phone_index: np.ndarray  # int [N], position inside the word
    stress: np.ndarray  # int [N], 0/1/2, -1 where the lexicon gives none
    gop: np.ndarray
    lpr: np.ndarray
    deletion_prob: np.ndarray
    occupancy_frames: np.ndarray
    target_share: np.ndarray
    mean_log_post: np.ndarray
    start: np.ndarray
    end: np.ndarray
    substitution: np.ndarray  # [N, K] over INVENTORY (phones outside it dropped)
    n_words: int
    n_insertions: int
    num_frames: int
    frame_s: float
    log_p_canonical: float
    # The same canonical phones scored by a second acoustic model (a scorer trained with one
    # reads both: two models' errors are partly independent). Not stored in npz dicts.
    aux: "EvidenceArrays | None" = None

    @property
    def n_phones(self) -> int:
        return len(self.ipa)

    def to_npz_dict(self, prefix: str = "") -> dict[str, np.ndarray]:
        scalars = np.array([self.n_words, self.n_insertions, self.num_frames, self.frame_s, self.log_p_canonical])
        out = {f"{prefix}ipa": np.array(self.ipa, dtype=str), f"{prefix}scalars": scalars}
        for name in _ARRAY_FIELDS:
            out[f"{prefix}{name}"] = getattr(self, name)
        return out

    @classmethod
    def from_npz_dict(cls, d: Any, prefix: str = "") -> "EvidenceArrays":
        s = d[f"{prefix}scalars"]
        arrays = {name: np.asarray(d[f"{prefix}{name}"]) for name in _ARRAY_FIELDS}
        return cls(ipa=[str(x) for x in d[f"{prefix}ipa"]], n_words=int(s[0]), n_insertions=int(s[1]),
                   num_frames=int(s[2]), frame_s=float(s[3]), log_p_canonical=float(s[4]), **arrays)


_ARRAY_FIELDS = ("word_index", "phone_index", "stress", "gop", "lpr", "deletion_prob", "occupancy_frames",
                 "target_share", "mean_log_post", "start", "end", "substitution")


def evidence_arrays(ev: UtteranceEvidence, n_words: int) -> EvidenceArrays:
    """The numeric evidence of an utterance; substitution columns reordered to INVENTORY."""
    phones = ev.phones
    cols = np.array([_INVENTORY_INDEX.get(p, -1) for p in ev.inventory_ipa], dtype=np.int64)
    sub = np.zeros((len(phones), len(INVENTORY)))
    if phones:
        raw = np.stack([np.asarray(p.substitution, dtype=np.float64) for p in phones])
        keep = cols >= 0
        sub[:, cols[keep]] = raw[:, keep]

    def col(name: str) -> np.ndarray:
        return np.array([getattr(p, name) for p in phones], dtype=np.float64)

    return EvidenceArrays(
        ipa=[p.ipa for p in phones],
        word_index=np.array([p.word_index for p in phones], dtype=np.int64),
        phone_index=np.array([p.phone_index for p in phones], dtype=np.int64),
        stress=np.array([-1 if p.stress is None else int(p.stress) for p in phones], dtype=np.int64),
        gop=col("gop"), lpr=col("lpr"), deletion_prob=col("deletion_prob"),
        occupancy_frames=col("occupancy_frames"), target_share=col("target_share"),
        mean_log_post=col("mean_log_post"), start=col("start"), end=col("end"), substitution=sub,
        n_words=int(n_words), n_insertions=len(ev.insertions), num_frames=int(ev.num_frames),
        frame_s=float(ev.frame_s), log_p_canonical=float(ev.log_p_canonical),
    )


# ---------------------------------------------------------------------------------------
# Utterance context (fluency / prosody metrics) -> fixed-length vector
def _lookup(d: dict[str, Any], dotted: str) -> float | None:
    cur: Any = d
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    if isinstance(cur, bool):
        return 1.0 if cur else 0.0
    if isinstance(cur, (int, float, np.integer, np.floating)) and np.isfinite(cur):
        return float(cur)
    return None


def context_vector(ctx: UtteranceContext) -> np.ndarray:
    """[2 * (len(CONTEXT_KEYS) + len(CONTEXT_DERIVED))]: values then missing flags."""
    src = {"fluency": ctx.fluency or {}, "prosody": ctx.prosody or {}}
    values: list[float | None] = [_lookup(src, k) for k in CONTEXT_KEYS]
    fl, pr = src["fluency"], src["prosody"]
    pauses = fl.get("pauses") if isinstance(fl.get("pauses"), list) else []
    hes = fl.get("hesitations") if isinstance(fl.get("hesitations"), list) else None
    checks = [s for s in (pr.get("stress") or []) if isinstance(s, dict)] if isinstance(pr.get("stress"), list) else []
    judged = [float(s) for s in (ctx.word_stress or []) if s is not None]
    total_pause = sum(float(p.get("duration", p.get("end", 0.0) - p.get("start", 0.0)))
                      for p in pauses if isinstance(p, dict)) if pauses else 0.0
    values += [
        float(ctx.duration_s), float(ctx.n_words), ctx.n_words / max(ctx.duration_s, _EPS),
        None if hes is None else float(len(hes)),
        total_pause,
        float(len(checks)),
        float(np.mean([bool(c.get("correct")) for c in checks])) if checks else None,
        float(np.mean([float(c.get("confidence") or 0.0) for c in checks])) if checks else None,
        float(np.mean(judged)) if judged else None,
        len(judged) / max(ctx.n_words, 1),
    ]
    vals = np.array([0.0 if v is None else v for v in values])
    missing = np.array([1.0 if v is None else 0.0 for v in values])
    return np.concatenate([vals, missing])


def context_names() -> list[str]:
    base = list(CONTEXT_KEYS) + list(CONTEXT_DERIVED)
    return base + [f"{n}.missing" for n in base]


# ---------------------------------------------------------------------------------------
# Phone level
def _phone_identity(ipa: list[str]) -> np.ndarray:
    out = np.zeros((len(ipa), len(INVENTORY) + 1))
    idx = np.array([_INVENTORY_INDEX.get(p, len(INVENTORY)) for p in ipa], dtype=np.int64)
    out[np.arange(len(ipa)), idx] = 1.0  # the last column: a phone outside the English inventory
    return out


def _group_reduce(values: np.ndarray, groups: np.ndarray, n_groups: int, how: str) -> np.ndarray:
    """Per-group mean/min/max/std of `values`, 0 for empty groups; vectorised with ufunc.at."""
    counts = np.bincount(groups, minlength=n_groups).astype(np.float64)
    if how in ("mean", "std"):
        s = np.bincount(groups, weights=values, minlength=n_groups)
        mean = s / np.maximum(counts, 1.0)
        if how == "mean":
            return mean
        sq = np.bincount(groups, weights=values ** 2, minlength=n_groups) / np.maximum(counts, 1.0)
        return np.sqrt(np.maximum(sq - mean ** 2, 0.0))
    fill, op = (np.inf, np.minimum) if how == "min" else (-np.inf, np.maximum)
    out = np.full(n_groups, fill)
    op.at(out, groups, values)
    return np.where(counts > 0, out, 0.0)


def _neighbour(values: np.ndarray, shift: int, fill: float) -> np.ndarray:
    out = np.full_like(values, fill)
    if shift > 0:
        out[shift:] = values[:-shift]
    else:
        out[:shift] = values[-shift:]
    return out


PHONE_NUMERIC_NAMES: tuple[str, ...] = (
    "gop", "exp_gop", "exp_gop_t4", "lpr", "deletion_prob", "target_share", "log_occupancy", "duration_s",
    "mean_log_post", "sub_entropy", "top_competitor", "top_competitor_minus_target",
    "phone_index", "phones_in_word", "first_in_word", "last_in_word", "word_position",
    "stress_none", "stress_0", "stress_1", "stress_2",
    "prev_gop", "next_gop", "prev_deletion", "next_deletion", "has_prev", "has_next",
    "word_mean_gop", "word_min_gop", "utt_mean_gop", "utt_min_gop", "gop_minus_word_mean",
    "word_duration_s", "n_words", "n_phones",
)


AUX_PHONE_NAMES: tuple[str, ...] = (
    "gop", "exp_gop_t4", "lpr", "deletion_prob", "target_share", "mean_log_post", "sub_entropy",
    "top_competitor", "top_competitor_minus_target", "prev_gop", "next_gop", "word_mean_gop", "word_min_gop",
    "utt_mean_gop", "gop_minus_word_mean", "duration_s", "gop_mean_of_both", "gop_min_of_both",
)


def phone_feature_names(aux: bool = False) -> list[str]:
    names = (list(PHONE_NUMERIC_NAMES) + [f"sub:{p}" for p in INVENTORY]
             + [f"is:{p}" for p in INVENTORY] + ["is:other"])
    if aux:
        names += [f"aux:{n}" for n in AUX_PHONE_NAMES] + [f"aux:sub:{p}" for p in INVENTORY]
    return names


def _competition(ea: EvidenceArrays) -> tuple[np.ndarray, np.ndarray]:
    """(probability of the strongest other phone, entropy) of each phone's substitution posterior."""
    sub = ea.substitution
    target = np.array([_INVENTORY_INDEX.get(p, -1) for p in ea.ipa], dtype=np.int64)
    competitors = sub.copy()
    has_target = target >= 0
    competitors[np.nonzero(has_target)[0], target[has_target]] = 0.0
    entropy = -(sub * np.log(np.clip(sub, 1e-12, 1.0))).sum(axis=1)
    return competitors.max(axis=1), entropy


def aux_phone_features(ea: EvidenceArrays, aux: EvidenceArrays) -> np.ndarray:
    """[N, len(AUX_PHONE_NAMES) + K]: the second model's view of the same canonical phones."""
    n = ea.n_phones
    if aux.n_phones != n:
        raise ValueError(f"second-view evidence has {aux.n_phones} phones, the primary {n}")
    if n == 0:
        return np.zeros((0, len(AUX_PHONE_NAMES) + len(INVENTORY)))
    w = ea.word_index
    W = max(ea.n_words, int(w.max()) + 1)
    top_comp, entropy = _competition(aux)
    word_mean = _group_reduce(aux.gop, w, W, "mean")
    numeric = np.column_stack([
        aux.gop, np.exp(aux.gop / 4.0), aux.lpr, aux.deletion_prob, aux.target_share,
        np.maximum(aux.mean_log_post, -30.0), entropy, top_comp, top_comp - aux.target_share,
        _neighbour(aux.gop, 1, 0.0), _neighbour(aux.gop, -1, 0.0),
        word_mean[w], _group_reduce(aux.gop, w, W, "min")[w], np.full(n, aux.gop.mean()), aux.gop - word_mean[w],
        np.maximum(aux.end - aux.start, 0.0), (aux.gop + ea.gop) / 2.0, np.minimum(aux.gop, ea.gop),
    ])
    return np.nan_to_num(np.concatenate([numeric, aux.substitution], axis=1), nan=0.0, posinf=0.0, neginf=0.0)


def phone_features(ea: EvidenceArrays) -> np.ndarray:
    """[N, len(phone_feature_names(ea.aux is not None))]; finite everywhere."""
    n = ea.n_phones
    if n == 0:
        return np.zeros((0, len(phone_feature_names(ea.aux is not None))))
    w = ea.word_index
    W = max(ea.n_words, int(w.max()) + 1)
    sub = ea.substitution
    top_comp, entropy = _competition(ea)
    phones_in_word = np.bincount(w, minlength=W)[w].astype(np.float64)
    word_mean = _group_reduce(ea.gop, w, W, "mean")
    word_min = _group_reduce(ea.gop, w, W, "min")
    w_start = _group_reduce(ea.start, w, W, "min")
    w_end = _group_reduce(ea.end, w, W, "max")
    has_prev = np.r_[0.0, np.ones(n - 1)]
    has_next = np.r_[np.ones(n - 1), 0.0]
    stress_onehot = np.stack([ea.stress == s for s in (-1, 0, 1, 2)], axis=1).astype(np.float64)
    # Degenerate evidence (a -inf GOP from an empty path) gives inf - inf below; nan_to_num at the end cleans it.
    with np.errstate(invalid="ignore", over="ignore"):
        numeric = np.column_stack([
            ea.gop, np.exp(ea.gop), np.exp(ea.gop / 4.0), ea.lpr, ea.deletion_prob, ea.target_share,
            np.log1p(np.maximum(ea.occupancy_frames, 0.0)), np.maximum(ea.end - ea.start, 0.0),
            np.maximum(ea.mean_log_post, -30.0), entropy, top_comp, top_comp - ea.target_share,
            ea.phone_index.astype(np.float64), phones_in_word,
            (ea.phone_index == 0).astype(np.float64), (ea.phone_index == phones_in_word - 1).astype(np.float64),
            w / max(W - 1, 1),
            stress_onehot,
            _neighbour(ea.gop, 1, 0.0), _neighbour(ea.gop, -1, 0.0),
            _neighbour(ea.deletion_prob, 1, 0.0), _neighbour(ea.deletion_prob, -1, 0.0), has_prev, has_next,
            word_mean[w], word_min[w], np.full(n, ea.gop.mean()), np.full(n, ea.gop.min()), ea.gop - word_mean[w],
            np.maximum(w_end - w_start, 0.0)[w], np.full(n, float(W)), np.full(n, float(n)),
        ])
    feats = np.concatenate([numeric, sub, _phone_identity(ea.ipa)], axis=1)
    if ea.aux is not None:
        feats = np.concatenate([feats, aux_phone_features(ea, ea.aux)], axis=1)
    return np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0.0)


# ---------------------------------------------------------------------------------------
# Word level: the phone model's predictions (0-2 scale) aggregated, plus word evidence
WORD_NAMES: tuple[str, ...] = (
    "pred_mean", "pred_min", "pred_max", "pred_std", "pred_share_below_1", "pred_share_below_1_5",
    "gop_mean", "gop_min", "deletion_max", "deletion_mean", "n_phones", "duration_s", "phones_per_s",
    "word_position", "is_first", "is_last", "stressed_vowels", "vowel_pred_mean", "stress_score",
    "stress_missing", "utt_pred_mean", "utt_gop_mean", "heuristic_word",
)
_VOWELS = frozenset({"ɑ", "æ", "ʌ", "ə", "ɔ", "aʊ", "aɪ", "ɛ", "ɝ", "ɚ", "eɪ", "ɪ", "i", "oʊ", "ɔɪ", "ʊ", "u"})


AUX_WORD_NAMES: tuple[str, ...] = ("aux_gop_mean", "aux_gop_min", "aux_deletion_max", "aux_target_share_mean")


def word_feature_names(aux: bool = False) -> list[str]:
    return list(WORD_NAMES) + (list(AUX_WORD_NAMES) if aux else [])


def word_features(ea: EvidenceArrays, word_stress: list[float | None], phone_pred: np.ndarray) -> np.ndarray:
    """[W, len(WORD_NAMES)]. word_stress: the prosody layer's 0-100 score per word (None: not judged)."""
    W = ea.n_words
    w = ea.word_index
    if W == 0:
        return np.zeros((0, len(word_feature_names(ea.aux is not None))))
    pred = np.asarray(phone_pred, dtype=np.float64)
    counts = np.bincount(w, minlength=W).astype(np.float64)
    start = _group_reduce(ea.start, w, W, "min")
    end = _group_reduce(ea.end, w, W, "max")
    dur = np.maximum(end - start, 0.0)
    vowel = np.array([p in _VOWELS for p in ea.ipa], dtype=np.float64)
    stressed = vowel * (ea.stress >= 1)
    vowel_pred = np.bincount(w, weights=pred * vowel, minlength=W) / np.maximum(np.bincount(w, weights=vowel, minlength=W), 1.0)
    ws = list(word_stress) + [None] * max(0, W - len(word_stress))
    stress_val = np.array([0.0 if s is None else float(s) / 100.0 for s in ws[:W]])
    stress_missing = np.array([1.0 if s is None else 0.0 for s in ws[:W]])
    pos = np.arange(W, dtype=np.float64)
    feats = np.column_stack([
        _group_reduce(pred, w, W, "mean"), _group_reduce(pred, w, W, "min"), _group_reduce(pred, w, W, "max"),
        _group_reduce(pred, w, W, "std"),
        np.bincount(w, weights=(pred < 1.0).astype(float), minlength=W) / np.maximum(counts, 1.0),
        np.bincount(w, weights=(pred < 1.5).astype(float), minlength=W) / np.maximum(counts, 1.0),
        _group_reduce(ea.gop, w, W, "mean"), _group_reduce(ea.gop, w, W, "min"),
        _group_reduce(ea.deletion_prob, w, W, "max"), _group_reduce(ea.deletion_prob, w, W, "mean"),
        counts, dur, counts / np.maximum(dur, 0.02),
        pos / max(W - 1, 1), (pos == 0).astype(float), (pos == W - 1).astype(float),
        np.bincount(w, weights=stressed, minlength=W), vowel_pred, stress_val, stress_missing,
        np.full(W, pred.mean() if len(pred) else 0.0), np.full(W, ea.gop.mean() if len(pred) else 0.0),
        _group_reduce(_heuristic_phone(ea), w, W, "mean"),
    ])
    if ea.aux is not None:
        a = ea.aux
        feats = np.column_stack([
            feats, _group_reduce(a.gop, w, W, "mean"), _group_reduce(a.gop, w, W, "min"),
            _group_reduce(a.deletion_prob, w, W, "max"), _group_reduce(a.target_share, w, W, "mean"),
        ])
    return np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0.0)


# ---------------------------------------------------------------------------------------
# Utterance level
UTT_NAMES: tuple[str, ...] = (
    "phone_pred_mean", "phone_pred_min", "phone_pred_std", "phone_pred_p10", "phone_pred_share_below_1",
    "phone_pred_share_below_0_5", "word_acc_mean", "word_acc_min", "word_acc_std", "word_acc_share_below_6",
    "word_stress_mean", "word_stress_min", "word_total_mean", "word_total_min",
    "gop_mean", "gop_min", "gop_std", "gop_p10", "deletion_mean", "deletion_max", "omitted_share",
    "word_omitted_share", "n_insertions", "insertions_per_word", "log_p_canonical_per_frame", "n_phones",
    "phones_per_s", "lpr_mean", "target_share_mean", "heuristic_accuracy",
)


def _heuristic_phone(ea: EvidenceArrays) -> np.ndarray:
    # The heuristic scorer's phone score on 0-1 (exp(GOP/4), 0 when omitted): a strong single feature.
    return np.where(ea.deletion_prob > 0.5, 0.0, np.exp(ea.gop / 4.0))


AUX_UTT_NAMES: tuple[str, ...] = ("aux_gop_mean", "aux_gop_min", "aux_gop_std", "aux_gop_p10", "aux_deletion_mean",
                                   "aux_log_p_canonical_per_frame", "aux_target_share_mean", "aux_heuristic_accuracy")


def utterance_feature_names(aux: bool = False) -> list[str]:
    return list(UTT_NAMES) + (list(AUX_UTT_NAMES) if aux else []) + context_names()


def utterance_features(ea: EvidenceArrays, ctx_vec: np.ndarray, phone_pred: np.ndarray,
                       word_pred: np.ndarray) -> np.ndarray:
    """[1, len(utterance_feature_names())]. word_pred: [W, 3] accuracy, stress, total (0-10)."""
    p = np.asarray(phone_pred, dtype=np.float64)
    wp = np.asarray(word_pred, dtype=np.float64).reshape(-1, 3)
    n, W = ea.n_phones, max(ea.n_words, 1)

    def stat(x: np.ndarray, f, default: float = 0.0) -> float:
        return float(f(x)) if len(x) else default

    omitted = ea.deletion_prob > 0.5
    word_omitted = (_group_reduce(omitted.astype(float), ea.word_index, W, "mean") > 0.5) if n else np.zeros(W, bool)
    dur = max(float(ctx_vec[len(CONTEXT_KEYS)]), _EPS)  # duration_s is the first derived value
    u = np.array([
        stat(p, np.mean), stat(p, np.min), stat(p, np.std), stat(p, lambda x: np.percentile(x, 10)),
        stat(p, lambda x: np.mean(x < 1.0)), stat(p, lambda x: np.mean(x < 0.5)),
        stat(wp[:, 0], np.mean), stat(wp[:, 0], np.min), stat(wp[:, 0], np.std),
        stat(wp[:, 0], lambda x: np.mean(x < 6.0)),
        stat(wp[:, 1], np.mean), stat(wp[:, 1], np.min), stat(wp[:, 2], np.mean), stat(wp[:, 2], np.min),
        stat(ea.gop, np.mean), stat(ea.gop, np.min), stat(ea.gop, np.std),
        stat(ea.gop, lambda x: np.percentile(x, 10)),
        stat(ea.deletion_prob, np.mean), stat(ea.deletion_prob, np.max), stat(omitted, np.mean),
        float(word_omitted.mean()), float(ea.n_insertions), ea.n_insertions / W,
        ea.log_p_canonical / max(ea.num_frames, 1), float(n), n / dur,
        stat(ea.lpr, np.mean), stat(ea.target_share, np.mean), stat(_heuristic_phone(ea), np.mean),
    ])
    if ea.aux is not None:
        a = ea.aux
        u = np.concatenate([u, [
            stat(a.gop, np.mean), stat(a.gop, np.min), stat(a.gop, np.std), stat(a.gop, lambda x: np.percentile(x, 10)),
            stat(a.deletion_prob, np.mean), a.log_p_canonical / max(a.num_frames, 1), stat(a.target_share, np.mean),
            stat(_heuristic_phone(a), np.mean),
        ]])
    feats = np.concatenate([u, np.asarray(ctx_vec, dtype=np.float64)])[None, :]
    return np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0.0)
