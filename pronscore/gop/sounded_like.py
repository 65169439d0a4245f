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
4. **A learned ranker** (`CandidateRanker`, when the scorer file has one) replaces 3: the
   target keeps its mixed probability, and the rest of the mass (other phones *and* ∅) is
   shared out by a log-linear model over each candidate's log probability in every view,
   its log prior, whether it is the deletion, how often learners drop the target (for ∅),
   and its PanPhon distance from the target, fitted on expert-annotated substitutions and
   deletions (scoring/train_sounded_like.py).
   A log-linear mix lets a view that is confident about *which* phone was said outweigh
   one that only knows the target was missed, and weighs ∅ against the phones on data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
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


def confusion_counts(pairs: Iterable[tuple[str, str]], deletions: bool = False) -> dict[str, dict[str, float]]:
    """(target IPA, heard IPA) pairs -> nested counts; a pair naming the same phoneme is skipped,
    and so is a deletion (heard ∅) unless `deletions`."""
    out: dict[str, dict[str, float]] = {}
    for target, heard in pairs:
        if heard == target or _PARTNER.get(target) == heard or (heard == DELETION and not deletions):
            continue
        row = out.setdefault(target, {})
        row[heard] = row.get(heard, 0.0) + 1.0
    return out


# --------------------------------------------------------------------------- learned ranker
RANKER_FEATURES_ONE_VIEW = ("log_p_view0", "log_prior", "is_deletion", "log_deletion_prior", "feature_distance")
RANKER_FEATURES_TWO_VIEWS = ("log_p_view0", "log_p_view1", "log_p_mix", "log_prior", "is_deletion",
                             "log_deletion_prior", "feature_distance")
_LOG_FLOOR = 1e-4  # probabilities below this carry no ranking information (and log(0) is -inf)
# Pseudo-annotations behind each target's deletion rate: a target with few annotated errors
# gets about the rate of all targets, one with many gets its own.
DELETION_PRIOR_STRENGTH = 3.0


@lru_cache(maxsize=4096)
def phone_distance(a: str, b: str) -> float:
    """PanPhon weighted feature edit distance between two IPA phones (a pure function, so cached)."""
    from pronscore.gop.phoneset import _feature_distance

    try:
        return float(_feature_distance().weighted_feature_edit_distance(a, b))
    except Exception:  # a symbol PanPhon cannot segment: as far as any two phones get
        return 10.0


@dataclass
class CandidateRanker:
    """Log-linear ranking of a phone's non-target candidates (see the module docstring, point 4).

    counts: annotated errors per target, heard phone -> count, with ∅ for the deletions (the
    phones give the confusion prior, ∅ against all of them the target's deletion rate)."""

    feature_names: tuple[str, ...]
    weights: np.ndarray
    counts: dict[str, dict[str, float]] = field(default_factory=dict)
    alpha: float = 5.0

    def __post_init__(self) -> None:
        deleted = sum(row.get(DELETION, 0.0) for row in self.counts.values())
        total = sum(sum(row.values()) for row in self.counts.values())
        # Laplace-smoothed: never 0 or 1, even when the counts hold no deletion (or only deletions).
        self._deletion_rate = (deleted + 1.0) / (total + 2.0)

    def deletion_prior(self, target: str) -> float:
        """Share of the target's annotated errors that were deletions, smoothed towards all targets' share."""
        row = self.counts.get(target, {})
        m = DELETION_PRIOR_STRENGTH
        return (row.get(DELETION, 0.0) + m * self._deletion_rate) / (sum(row.values()) + m)

    def candidate_features(self, views: list[dict[str, float]], mixed: dict[str, float], target: str,
                           labels: list[str]) -> np.ndarray:
        """[len(labels), len(feature_names)]: views and mixed are already merged per phoneme."""
        row = self.counts.get(target, {})
        phones = [lab for lab in labels if lab != DELETION]
        total = sum(row.get(lab, 0.0) for lab in phones)
        smooth = self.alpha / max(len(phones), 1)
        is_del = np.array([lab == DELETION for lab in labels], dtype=np.float64)
        columns = {
            "log_p_mix": np.log(np.array([mixed.get(lab, 0.0) for lab in labels]) + _LOG_FLOOR),
            "log_prior": np.where(is_del > 0, 0.0, np.log(
                (np.array([row.get(lab, 0.0) for lab in labels]) + smooth) / (total + self.alpha))),
            "is_deletion": is_del,
            "log_deletion_prior": np.where(is_del > 0, np.log(self.deletion_prior(target)), 0.0),
            "feature_distance": np.array([0.0 if lab == DELETION else phone_distance(target, lab) for lab in labels]),
        }
        for v, dist in enumerate(views):
            columns[f"log_p_view{v}"] = np.log(np.array([dist.get(lab, 0.0) for lab in labels]) + _LOG_FLOOR)
        return np.stack([columns[name] for name in self.feature_names], axis=1)

    def candidates(self, views: list[tuple[dict[str, float], float]], target: str
                   ) -> tuple[list[str], np.ndarray, float]:
        """(the non-target candidate labels, their features, the target's mixed probability)."""
        mixed = merge_phonemes(mix_views(views), target)
        merged = [merge_phonemes(d, target) for d, _ in views]
        same = _PARTNER.get(target)
        labels = sorted({lab for d in merged for lab in d} - {target, same})
        p_target = mixed.get(target, 0.0) + (mixed.get(same, 0.0) if same else 0.0)
        return labels, self.candidate_features(merged, mixed, target, labels), p_target

    def distribution(self, views: list[tuple[dict[str, float], float]], target: str) -> dict[str, float]:
        """The target's mixed probability, and the remaining mass shared out by the model."""
        labels, features, p_target = self.candidates(views, target)
        out = {target: p_target}
        if labels:
            score = features @ self.weights
            share = np.exp(score - score.max())
            out |= dict(zip(labels, (share / share.sum() * max(1.0 - p_target, 0.0)).tolist()))
        return out

    def to_json(self) -> dict:
        return {"feature_names": list(self.feature_names), "weights": [float(w) for w in self.weights],
                "counts": self.counts, "alpha": self.alpha}

    @classmethod
    def from_json(cls, d: dict | None) -> "CandidateRanker | None":
        if not d:
            return None
        return cls(feature_names=tuple(d["feature_names"]), weights=np.asarray(d["weights"], dtype=np.float64),
                   counts={t: {h: float(v) for h, v in row.items()} for t, row in d.get("counts", {}).items()},
                   alpha=float(d.get("alpha", 5.0)))


def rank_views(views: list[tuple[dict[str, float], float]], target: str, prior: ConfusionPrior | None = None,
               ranker: CandidateRanker | None = None, k: int = 3) -> list[Candidate]:
    """The top-k candidates from one or two views: the learned ranker if given, else mix + prior."""
    if ranker is None:
        return rank_candidates(mix_views(views), target, prior, k)
    ranked = sorted(ranker.distribution(views, target).items(), key=lambda kv: -kv[1])[:k]
    return [Candidate(ipa=lab, prob=float(p)) for lab, p in ranked if p > MIN_PROB]


@dataclass
class SoundedLikeSettings:
    """How a scorer file ranks "sounded like" (its `sounded_like` entry): the weights of the
    primary and second view, and the confusion prior or the learned ranker. The Session and
    train-scorer's threshold tuning both rank through this, so they cannot disagree."""

    view_weights: tuple[float, float] = (1.0, 0.0)
    prior: ConfusionPrior | None = None
    ranker: CandidateRanker | None = None

    @classmethod
    def from_json(cls, cfg: dict | None) -> "SoundedLikeSettings":
        cfg = cfg or {}
        w_primary, w_aux = (float(x) for x in cfg.get("view_weights", (1.0, 0.0)))
        return cls((w_primary, w_aux), ConfusionPrior.from_json(cfg.get("prior")),
                   CandidateRanker.from_json(cfg.get("ranker")))

    @property
    def reads_aux(self) -> bool:
        """Whether the second view matters: the ranker reads its probabilities even where it
        gives the target no weight."""
        return self.view_weights[1] > 0 or self.ranker is not None

    def rank(self, target: str, primary: dict[str, float], aux: dict[str, float] | None = None,
             k: int = 3) -> list[Candidate]:
        """The top-k candidates from the primary view's distribution (and the second view's)."""
        views = [(primary, self.view_weights[0])]
        if aux is not None and self.reads_aux:
            views.append((aux, self.view_weights[1]))
        return rank_views(views, target, self.prior, self.ranker, k)
