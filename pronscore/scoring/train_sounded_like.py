"""Fitting the "sounded like" settings (gop/sounded_like.py) on expert-annotated substitutions.

speechocean762 annotates, for phones said as another phone, which phone the experts heard
(`mispronunciations` in scores.json). From them this module learns the confusion prior
(counts of heard phone per target) and chooses, by speaker-disjoint cross-validation, how
much weight each acoustic view gets and how strongly the prior re-ranks. The chosen
settings and the cross-validated top-1/top-3 rates are stored in the scorer file.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pronscore.gop.sounded_like import (_PARTNER, RANKER_FEATURES_ONE_VIEW, RANKER_FEATURES_TWO_VIEWS,
                                        CandidateRanker, ConfusionPrior, DELETION, SoundedLikeSettings,
                                        confusion_counts, mix_views, rank_candidates)
from pronscore.scoring.features import INVENTORY, EvidenceArrays
from pronscore.text.arpabet import arpabet_to_ipa

VIEW_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # weight of the second (aux) view
BETAS = (0.0, 0.25, 0.5, 1.0)
# Weight of an annotated deletion in the ranker's likelihood, relative to a substitution: the
# knob between naming the phone said instead and saying "∅" (deletions are 40% of the examples).
DELETION_WEIGHTS = (0.1, 0.2, 0.3, 0.5, 1.0)
RANKER_L2 = 1.0


@dataclass
class HeardPhone:
    speaker: str
    target: str  # IPA
    heard: str  # IPA, or ∅ for a deletion
    views: list[dict[str, float]]  # primary (and aux) distributions over phones + ∅


def _distribution(ea: EvidenceArrays, i: int) -> dict[str, float]:
    keep = 1.0 - float(ea.deletion_prob[i])
    out = {p: keep * float(v) for p, v in zip(INVENTORY, ea.substitution[i])}
    out[DELETION] = float(ea.deletion_prob[i])
    return out


def _ipa_of(symbol: str) -> str | None:
    base = "".join(c for c in symbol if not c.isdigit()).strip()
    try:
        return arpabet_to_ipa([base])[0][0]
    except Exception:  # an annotation outside ARPAbet (<unk>, X*, multi-phone): not usable
        return None


def heard_phones(items: list[Any], ratings: dict[str, Any]) -> list[HeardPhone]:
    """Every annotated substitution or deletion with the evidence of its phone.

    items: CachedUtterance objects (evidence.aux set when there is a second view)."""
    out: list[HeardPhone] = []
    for it in items:
        gold = ratings.get(it.utt)
        ea = it.evidence
        if gold is None or len(gold["words"]) != ea.n_words:
            continue
        for wi, gw in enumerate(gold["words"]):
            idx = np.nonzero(ea.word_index == wi)[0]
            for e in gw.get("mispronunciations") or []:
                heard_sym = str(e.get("pronounced-phone", "")).strip()
                k = int(e.get("index", -1))
                if not 0 <= k < len(idx) or "*" in heard_sym or " " in heard_sym or heard_sym == "<unk>":
                    continue
                target = ea.ipa[idx[k]]
                heard = DELETION if heard_sym == "<DEL>" else _ipa_of(heard_sym)
                if heard is None or heard == target or _PARTNER.get(target) == heard:
                    continue
                i = int(idx[k])
                views = [_distribution(ea, i)] + ([_distribution(ea.aux, i)] if ea.aux is not None else [])
                out.append(HeardPhone(it.speaker, target, heard, views))
    return out


def first_candidates(items: list[Any], sounded_like: dict[str, Any] | None) -> dict[str, list[tuple[str, float]]]:
    """utt -> the first "sounded like" candidate (IPA, probability) of every phone, ranked as a
    Session with these settings ranks them (None: the primary view alone, no prior)."""
    settings = SoundedLikeSettings.from_json(sounded_like)
    out = {}
    for it in items:
        ea = it.evidence
        use_aux = ea.aux is not None and settings.reads_aux
        firsts = []
        for i in range(len(ea.ipa)):
            ranked = settings.rank(ea.ipa[i], _distribution(ea, i), _distribution(ea.aux, i) if use_aux else None, k=1)
            firsts.append((ranked[0].ipa, ranked[0].prob) if ranked else (ea.ipa[i], 1.0))
        out[it.utt] = firsts
    return out


def _same(a: str, b: str) -> bool:
    return a == b or _PARTNER.get(a) == b


def evaluate(examples: list[HeardPhone], train_counts, aux_weight: float, beta: float) -> dict[str, Any]:
    """top-1/top-3 of substitutions and top-1 of deletions for one setting."""
    prior = ConfusionPrior(train_counts, beta=beta) if beta > 0 else None
    s1 = s3 = sn = d1 = dn = 0
    for ex in examples:
        views = [(ex.views[0], 1.0 - aux_weight)] + ([(ex.views[1], aux_weight)] if len(ex.views) > 1 else [])
        ranked = [c.ipa for c in rank_candidates(mix_views(views), ex.target, prior)]
        if ex.heard == DELETION:
            dn += 1
            d1 += bool(ranked) and ranked[0] == DELETION
        else:
            sn += 1
            s1 += bool(ranked) and _same(ranked[0], ex.heard)
            s3 += any(_same(r, ex.heard) for r in ranked[:3])
    return {"substitutions": sn, "top1": s1, "top3": s3, "deletions": dn, "deletion_top1": d1}


def _without(counts: dict[str, dict[str, float]], ex: HeardPhone) -> dict[str, dict[str, float]]:
    """Counts minus one example's own pair: its prior feature must not contain its label."""
    if ex.heard not in counts.get(ex.target, {}):
        return counts
    out = dict(counts)
    out[ex.target] = dict(counts[ex.target])
    out[ex.target][ex.heard] -= 1.0
    return out


def _ranker_rows(ranker: CandidateRanker, ex: HeardPhone, aux_weight: float):
    """(labels, features, index of the heard label or None, target probability) of one example."""
    views = [(ex.views[0], 1.0 - aux_weight)] + ([(ex.views[1], aux_weight)] if len(ex.views) > 1 else [])
    labels, features, p_target = ranker.candidates(views, ex.target)
    y = next((k for k, lab in enumerate(labels) if (lab == DELETION if ex.heard == DELETION else _same(lab, ex.heard))),
             None)
    return labels, features, y, p_target


@dataclass
class RankerData:
    """Examples as one padded [examples, candidates, features] block (features do not depend on
    the weights, so a grid over deletion weights and the evaluation reuse them)."""

    names: tuple[str, ...]
    X: np.ndarray  # [N, C, F]
    valid: np.ndarray  # [N, C] bool
    y: np.ndarray  # [N] index of the heard label, -1 when it is not among the candidates
    labels: list[list[str]]
    p_target: np.ndarray  # [N] the target's mixed probability
    is_deletion: np.ndarray  # [N] bool: the experts heard nothing
    heard: list[str]


def ranker_data(examples: list[HeardPhone], counts: dict[str, dict[str, float]], aux_weight: float, *,
                leave_one_out: bool) -> RankerData:
    """leave_one_out: each example's prior feature leaves its own pair out (training rows)."""
    names = RANKER_FEATURES_TWO_VIEWS if examples and len(examples[0].views) > 1 else RANKER_FEATURES_ONE_VIEW
    rows = []
    for ex in examples:
        probe = CandidateRanker(names, np.zeros(len(names)), _without(counts, ex) if leave_one_out else counts)
        rows.append(_ranker_rows(probe, ex, aux_weight))
    width = max((len(r[0]) for r in rows), default=1)
    X = np.zeros((len(rows), width, len(names)))
    valid = np.zeros((len(rows), width), dtype=bool)
    for i, (labels, F, _, _) in enumerate(rows):
        X[i, : len(labels)], valid[i, : len(labels)] = F, True
    return RankerData(names, X, valid, np.array([-1 if r[2] is None else r[2] for r in rows], dtype=np.int64),
                      [r[0] for r in rows], np.array([r[3] for r in rows]),
                      np.array([ex.heard == DELETION for ex in examples], dtype=bool), [ex.heard for ex in examples])


def fit_ranker_weights(data: RankerData, deletion_weight: float, l2: float = RANKER_L2) -> np.ndarray:
    """Maximum (weighted, L2-penalised) conditional likelihood of the heard phone among the
    non-target candidates. Convex (a conditional logit) with six weights: Newton's method with
    the exact Hessian converges in a handful of steps."""
    keep = data.y >= 0
    X, valid, y = data.X[keep], data.valid[keep], data.y[keep]
    wt = np.where(data.is_deletion[keep], deletion_weight, 1.0)
    picked = X[np.arange(len(y)), y]
    w = np.array([1.0 if n.startswith("log_p") or n == "log_prior" else 0.0 for n in data.names]) / 2.0
    if not len(y):
        return w

    def objective(w: np.ndarray) -> float:
        z = np.where(valid, X @ w, -np.inf)
        z_max = z.max(axis=1)
        log_norm = z_max + np.log(np.exp(z - z_max[:, None]).sum(axis=1))
        return -float(wt @ (picked @ w - log_norm)) + l2 * float(w @ w)

    for _ in range(50):
        z = np.where(valid, X @ w, -np.inf)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        mean = np.einsum("nc,ncf->nf", p, X)
        grad = -(wt[:, None] * (picked - mean)).sum(axis=0) + 2.0 * l2 * w
        hessian = np.einsum("n,nc,ncf,ncg->fg", wt, p, X, X) - np.einsum("n,nf,ng->fg", wt, mean, mean)
        step = np.linalg.solve(hessian + 2.0 * l2 * np.eye(len(w)), grad)
        # Backtracking keeps every step a descent step even far from the optimum.
        f0, t = objective(w), 1.0
        while objective(w - t * step) > f0 and t > 1e-4:
            t /= 2.0
        w = w - t * step
        if np.max(np.abs(t * step)) < 1e-7:
            break
    return w


def fit_ranker(examples: list[HeardPhone], counts: dict[str, dict[str, float]], aux_weight: float,
               deletion_weight: float, l2: float = RANKER_L2) -> CandidateRanker:
    """The ranker fitted on `examples` (priors from `counts`, each example's own pair left out)."""
    data = ranker_data(examples, counts, aux_weight, leave_one_out=True)
    return CandidateRanker(data.names, fit_ranker_weights(data, deletion_weight, l2), counts)


def _tally(data: RankerData, w: np.ndarray) -> dict[str, int]:
    """top-1/top-3 of substitutions and top-1 of deletions: the target at its mixed probability,
    the rest of the mass shared out by the ranker (as CandidateRanker.distribution does)."""
    z = np.where(data.valid, data.X @ w, -np.inf)
    share = np.exp(z - z.max(axis=1, keepdims=True))
    share = share / share.sum(axis=1, keepdims=True) * np.maximum(1.0 - data.p_target, 0.0)[:, None]
    out = {"substitutions": 0, "top1": 0, "top3": 0, "deletions": 0, "deletion_top1": 0}
    for i, labels in enumerate(data.labels):
        order = np.argsort(-share[i, : len(labels)], kind="stable")
        ranked = [labels[j] for j in order]
        # The target sits wherever its probability falls among the others.
        position = int((share[i, : len(labels)] > data.p_target[i]).sum())
        ranked.insert(position, "<target>")
        if data.is_deletion[i]:
            out["deletions"] += 1
            out["deletion_top1"] += ranked[0] == DELETION
        else:
            out["substitutions"] += 1
            out["top1"] += _same(ranked[0], data.heard[i])
            out["top3"] += any(_same(r, data.heard[i]) for r in ranked[:3])
    return out


def evaluate_ranker(examples: list[HeardPhone], ranker: CandidateRanker, aux_weight: float) -> dict[str, Any]:
    return _tally(ranker_data(examples, ranker.counts, aux_weight, leave_one_out=False), ranker.weights)


def _cross_validate_ranker(examples: list[HeardPhone], folds: list[np.ndarray], aux_weight: float,
                           deletion_weights: tuple[float, ...] = DELETION_WEIGHTS) -> list[dict[str, Any]]:
    totals = {dw: {"substitutions": 0, "top1": 0, "top3": 0, "deletions": 0, "deletion_top1": 0}
              for dw in deletion_weights}
    for val in folds:
        vs = set(val.tolist())
        train = [e for j, e in enumerate(examples) if j not in vs]
        counts = confusion_counts(((e.target, e.heard) for e in train), deletions=True)
        train_data = ranker_data(train, counts, aux_weight, leave_one_out=True)
        val_data = ranker_data([examples[j] for j in val], counts, aux_weight, leave_one_out=False)
        for dw in deletion_weights:
            r = _tally(val_data, fit_ranker_weights(train_data, dw))
            totals[dw] = {k: totals[dw][k] + r[k] for k in r}
    out = []
    for dw, tot in totals.items():
        n, nd = max(tot["substitutions"], 1), max(tot["deletions"], 1)
        out.append({"method": "ranker", "aux_weight": aux_weight, "deletion_weight": dw,
                    "top1": tot["top1"] / n, "top3": tot["top3"] / n, "deletion_top1": tot["deletion_top1"] / nd,
                    "n": tot["substitutions"], "n_deletions": tot["deletions"]})
    return out


def fit_sounded_like(examples: list[HeardPhone], folds: list[np.ndarray], *, ranker: bool = True,
                     nested: bool = True) -> dict[str, Any]:
    """Choose how candidates are ranked, by speaker-disjoint cross-validated top-1 + top-3.

    Two methods: the mixture (aux weight, prior beta: a grid), and the learned ranker (aux
    weight of the target's probability, deletion weight: a grid). The ranker is chosen only
    if it beats the best mixture on top-1 + top-3 *without* naming deletions less often
    (deletion top-1 at least the mixture's). Counts for the prior from all data.

    The chosen setting's figures are the best of a grid, so slightly optimistic; `nested` also
    reports the whole choice made again without each fold and scored on it (validation.nested).

    folds: speaker-disjoint index arrays over `examples`."""
    has_aux = bool(examples) and len(examples[0].views) > 1
    grid = [(w, b) for w in (VIEW_WEIGHTS if has_aux else (0.0,)) for b in BETAS]
    results = []
    for w, b in grid:
        tot = {"substitutions": 0, "top1": 0, "top3": 0, "deletions": 0, "deletion_top1": 0}
        for val in folds:
            vs = set(val.tolist())
            counts = confusion_counts((e.target, e.heard) for j, e in enumerate(examples) if j not in vs)
            r = evaluate([examples[j] for j in val], counts, w, b)
            tot = {k: tot[k] + r[k] for k in tot}
        n, nd = max(tot["substitutions"], 1), max(tot["deletions"], 1)
        results.append({"aux_weight": w, "beta": b, "top1": tot["top1"] / n, "top3": tot["top3"] / n,
                        "deletion_top1": tot["deletion_top1"] / nd, "n": tot["substitutions"],
                        "n_deletions": tot["deletions"]})
    best = max(results, key=lambda r: r["top1"] + r["top3"])
    best = {"method": "mixture"} | best
    counts = confusion_counts((e.target, e.heard) for e in examples)
    ranker_results: list[dict[str, Any]] = []
    if ranker and examples:
        ranker_results = [r for w in (VIEW_WEIGHTS if has_aux else (0.0,))
                          for r in _cross_validate_ranker(examples, folds, w)]
        allowed = [r for r in ranker_results if r["deletion_top1"] >= best["deletion_top1"]]
        top = max(allowed, key=lambda r: r["top1"] + r["top3"], default=None)
        if top is not None and top["top1"] + top["top3"] > best["top1"] + best["top3"]:
            best = top
    out = {
        "view_weights": [1.0 - best["aux_weight"], best["aux_weight"]],
        "prior": (ConfusionPrior(counts, beta=best["beta"]).to_json()
                  if best["method"] == "mixture" and best["beta"] > 0 else None),
        "validation": {"scheme": "speaker-disjoint folds; prior counts from the other folds",
                       "chosen": best, "grid": results, "ranker_grid": ranker_results},
    }
    if best["method"] == "ranker":
        ranker_counts = confusion_counts(((e.target, e.heard) for e in examples), deletions=True)
        out["ranker"] = fit_ranker(examples, ranker_counts, best["aux_weight"], best["deletion_weight"]).to_json()
    if nested and len(folds) > 2:
        out["validation"]["nested"] = _nested_validation(examples, folds, ranker)
    return out


def _nested_validation(examples: list[HeardPhone], folds: list[np.ndarray], ranker: bool) -> dict[str, Any]:
    """For each fold: the method and setting chosen on the other folds alone (their own
    speaker-disjoint inner folds), scored on the fold. Free of the grid's selection optimism."""
    from pronscore.scoring.train import speaker_folds

    tot = {"substitutions": 0, "top1": 0, "top3": 0, "deletions": 0, "deletion_top1": 0}
    chosen = []
    for val in folds:
        vs = set(val.tolist())
        train = [e for j, e in enumerate(examples) if j not in vs]
        held_out = [examples[j] for j in val]
        fit = fit_sounded_like(train, speaker_folds([e.speaker for e in train], len(folds) - 1, 1), ranker=ranker,
                               nested=False)
        c = fit["validation"]["chosen"]
        if c["method"] == "ranker":
            r = evaluate_ranker(held_out, CandidateRanker.from_json(fit["ranker"]), c["aux_weight"])
        else:
            r = evaluate(held_out, confusion_counts((e.target, e.heard) for e in train), c["aux_weight"], c["beta"])
        chosen.append({k: c.get(k) for k in ("method", "aux_weight", "beta", "deletion_weight")})
        tot = {k: tot[k] + r[k] for k in tot}
    n, nd = max(tot["substitutions"], 1), max(tot["deletions"], 1)
    return {"top1": tot["top1"] / n, "top3": tot["top3"] / n, "deletion_top1": tot["deletion_top1"] / nd,
            "n": tot["substitutions"], "n_deletions": tot["deletions"], "chosen_per_fold": chosen}
