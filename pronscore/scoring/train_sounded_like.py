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

from pronscore.gop.sounded_like import (_PARTNER, ConfusionPrior, DELETION, confusion_counts, mix_views,
                                        rank_candidates)
from pronscore.scoring.features import INVENTORY, EvidenceArrays
from pronscore.text.arpabet import arpabet_to_ipa

VIEW_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # weight of the second (aux) view
BETAS = (0.0, 0.25, 0.5, 1.0)


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


def fit_sounded_like(examples: list[HeardPhone], folds: list[np.ndarray]) -> dict[str, Any]:
    """Choose (aux weight, beta) by cross-validated top-1 + top-3; counts for the prior from all data.

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
    counts = confusion_counts((e.target, e.heard) for e in examples)
    return {
        "view_weights": [1.0 - best["aux_weight"], best["aux_weight"]],
        "prior": ConfusionPrior(counts, beta=best["beta"]).to_json() if best["beta"] > 0 else None,
        "validation": {"scheme": "speaker-disjoint folds; prior counts from the other folds",
                       "chosen": best, "grid": results},
    }
