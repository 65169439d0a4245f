""""Sounded like": the phones a learner most likely said instead of the target.

The candidates come from the substitution posteriors of the GOP-SF-SD analysis (and the
deletion posterior, shown as ∅). Three things make them closer to what a listener hears
than one model's raw posterior:

1. **Views.** A Session may analyse the same phones with two acoustic models. A free phone
   recognizer (hama) names substitutions better than a head trained to recognise the
   canonical phones (whisper-ctc learns what *should* be said); the views are mixed with
   weights the scorer file states (`sounded_like.view_weights`), measured on rated speech.
2. **One phoneme, one candidate.** /ʌ/ and /ə/ (and /ɝ/, /ɚ/) are one English phoneme at
   two stress levels; listed apart, they split its probability and a third phone can win.
3. **Learner confusions.** Among the phones that are *not* the target, the probability is
   re-ranked by how often learners substitute each one for the target
   (`prior(heard | target) ** beta`, counts from expert-annotated substitutions, smoothed);
   the target's own probability and the deletion's are left as the acoustics gave them,
   so a correctly said phone still lists itself first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from pronscore.gop.analyze import DELETION_SYMBOL as DELETION
from pronscore.result import Candidate

# Pairs spelling one phoneme: merged into whichever of the two the target is (else the first).
SAME_PHONEME: tuple[tuple[str, str], ...] = (("ʌ", "ə"), ("ɝ", "ɚ"))
_PARTNER = {a: b for a, b in SAME_PHONEME} | {b: a for a, b in SAME_PHONEME}
MIN_PROB = 0.005  # candidates below this are noise, not worth showing


@dataclass
class ConfusionPrior:
    """How often learners said `heard` for `target` (IPA, counts), and how strongly to use it."""

    counts: dict[str, dict[str, float]] = field(default_factory=dict)
    beta: float = 0.5
    alpha: float = 5.0  # additive smoothing mass, spread evenly over the candidate phones

    def weights(self, target: str, labels: list[str]) -> np.ndarray:
        row = self.counts.get(target, {})
        c = np.array([float(row.get(lab, 0.0)) for lab in labels])
        prior = (c + self.alpha / max(len(labels), 1)) / (c.sum() + self.alpha)
        return prior ** self.beta

    def to_json(self) -> dict:
        return {"counts": self.counts, "beta": self.beta, "alpha": self.alpha}

    @classmethod
    def from_json(cls, d: dict | None) -> "ConfusionPrior | None":
        if not d:
            return None
        return cls(counts={t: {h: float(v) for h, v in row.items()} for t, row in d.get("counts", {}).items()},
                   beta=float(d.get("beta", 0.5)), alpha=float(d.get("alpha", 5.0)))


def view_distribution(inventory_ipa: Iterable[str], substitution: np.ndarray, deletion_prob: float) -> dict[str, float]:
    """One model's distribution over phones + ∅ for one canonical phone."""
    keep = 1.0 - float(deletion_prob)
    out: dict[str, float] = {}
    for ipa, p in zip(inventory_ipa, np.asarray(substitution, dtype=np.float64)):
        out[ipa] = out.get(ipa, 0.0) + keep * float(p)
    out[DELETION] = float(deletion_prob)
    return out


def mix_views(views: list[tuple[dict[str, float], float]]) -> dict[str, float]:
    """Weighted mean of view distributions (weights renormalised over the views present)."""
    total = sum(w for _, w in views) or 1.0
    out: dict[str, float] = {}
    for dist, w in views:
        for k, v in dist.items():
            out[k] = out.get(k, 0.0) + v * w / total
    return out


def merge_phonemes(dist: dict[str, float], target: str) -> dict[str, float]:
    out = dict(dist)
    for a, b in SAME_PHONEME:
        if a in out and b in out:
            keep, drop = (b, a) if target == b else (a, b)
            out[keep] += out.pop(drop)
    return out


def rank_candidates(dist: dict[str, float], target: str, prior: ConfusionPrior | None = None,
                    k: int = 3) -> list[Candidate]:
    """The top-k candidates of a phone's distribution (see the module docstring)."""
    dist = merge_phonemes(dist, target)
    same = _PARTNER.get(target)
    others = [lab for lab in dist if lab not in (target, same, DELETION)]
    if prior is not None and others:
        mass = np.array([dist[lab] for lab in others])
        if mass.sum() > 0:
            adj = mass * prior.weights(target, others)
            if adj.sum() > 0:
                adj = adj / adj.sum() * mass.sum()  # re-ranked among themselves, same total
                dist = dict(dist) | dict(zip(others, adj.tolist()))
    ranked = sorted(dist.items(), key=lambda kv: -kv[1])[:k]
    return [Candidate(ipa=lab, prob=float(p)) for lab, p in ranked if p > MIN_PROB]


def confusion_counts(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """(target IPA, heard IPA) pairs -> nested counts; a pair naming the same phoneme is skipped."""
    out: dict[str, dict[str, float]] = {}
    for target, heard in pairs:
        if heard == target or _PARTNER.get(target) == heard or heard == DELETION:
            continue
        row = out.setdefault(target, {})
        row[heard] = row.get(heard, 0.0) + 1.0
    return out
