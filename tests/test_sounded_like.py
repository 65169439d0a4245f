"""The "sounded like" ranking: views, phoneme merging, learner-confusion prior."""
import numpy as np
import pytest

from pronscore.gop.sounded_like import (ConfusionPrior, confusion_counts, merge_phonemes, mix_views,
                                        rank_candidates, view_distribution)
from pronscore.scoring.train_sounded_like import HeardPhone, evaluate, fit_sounded_like


def test_view_distribution_puts_deletion_mass_on_null():
    d = view_distribution(["s", "θ", "f"], np.array([0.2, 0.7, 0.1]), 0.5)
    assert d["∅"] == pytest.approx(0.5)
    assert d["θ"] == pytest.approx(0.35)
    assert sum(d.values()) == pytest.approx(1.0)


def test_same_phoneme_spellings_merge_into_the_target():
    d = {"ə": 0.3, "ʌ": 0.25, "æ": 0.4, "∅": 0.05}
    merged = merge_phonemes(d, "ʌ")
    assert merged["ʌ"] == pytest.approx(0.55) and "ə" not in merged
    # Split, /æ/ would win; merged, the target does.
    assert rank_candidates(d, "ʌ")[0].ipa == "ʌ"
    assert rank_candidates(d, "i")[0].ipa in ("ʌ", "ə")


def test_prior_reranks_only_other_phones():
    d = {"θ": 0.5, "s": 0.2, "f": 0.25, "∅": 0.05}
    prior = ConfusionPrior({"θ": {"s": 30.0, "f": 1.0}}, beta=1.0)
    ranked = rank_candidates(d, "θ", prior)
    assert ranked[0].ipa == "θ" and ranked[0].prob == pytest.approx(0.5)  # the target keeps its probability
    assert ranked[1].ipa == "s"  # /s/ overtakes /f/: learners say it far more often for /θ/
    assert ranked[1].prob + ranked[2].prob == pytest.approx(0.45)  # the mass of other phones is kept
    assert [c.ipa for c in rank_candidates(d, "θ")][:2] == ["θ", "f"]  # without the prior


def test_mix_views_weights():
    a, b = {"s": 1.0}, {"θ": 1.0}
    m = mix_views([(a, 0.25), (b, 0.75)])
    assert m == pytest.approx({"s": 0.25, "θ": 0.75})


def test_confusion_counts_skip_same_phoneme_and_deletions():
    pairs = [("θ", "s"), ("θ", "s"), ("ʌ", "ə"), ("d", "∅"), ("θ", "f")]
    assert confusion_counts(pairs) == {"θ": {"s": 2.0, "f": 1.0}}
    assert confusion_counts(pairs, deletions=True) == {"θ": {"s": 2.0, "f": 1.0}, "d": {"∅": 1.0}}


def test_deletion_prior_is_the_targets_deletion_share_smoothed():
    from pronscore.gop.sounded_like import DELETION_PRIOR_STRENGTH as m
    from pronscore.gop.sounded_like import RANKER_FEATURES_ONE_VIEW, CandidateRanker

    counts = {"d": {"∅": 9.0, "t": 1.0}, "θ": {"s": 9.0, "∅": 1.0}}
    r = CandidateRanker(RANKER_FEATURES_ONE_VIEW, np.zeros(len(RANKER_FEATURES_ONE_VIEW)), counts)
    rate = (10 + 1) / (20 + 2)  # all targets' share of deletions, Laplace-smoothed
    assert r.deletion_prior("d") == pytest.approx((9 + m * rate) / (10 + m))
    assert r.deletion_prior("θ") == pytest.approx((1 + m * rate) / (10 + m))
    assert r.deletion_prior("k") == pytest.approx(rate)  # never annotated: the share over all targets
    # No deletion annotated anywhere: a small prior, not log(0).
    none = CandidateRanker(RANKER_FEATURES_ONE_VIEW, np.ones(len(RANKER_FEATURES_ONE_VIEW)), {"θ": {"s": 4.0}})
    assert 0.0 < none.deletion_prior("θ") < 0.2
    assert np.isfinite(list(none.distribution([({"θ": 0.5, "s": 0.4, "∅": 0.1}, 1.0)], "θ").values())).all()
    # Same acoustics, a ranker that reads only the deletion prior (against an even share):
    # ∅ leads for /d/, which learners often drop, and comes last for /θ/.
    w = np.zeros(len(RANKER_FEATURES_ONE_VIEW))
    w[RANKER_FEATURES_ONE_VIEW.index("log_deletion_prior")] = 4.0
    w[RANKER_FEATURES_ONE_VIEW.index("is_deletion")] = -4.0 * np.log(0.5)
    ranker = CandidateRanker(RANKER_FEATURES_ONE_VIEW, w, counts)
    view = [({"d": 0.4, "θ": 0.4, "∅": 0.1, "s": 0.1}, 1.0)]
    d_dist, th_dist = ranker.distribution(view, "d"), ranker.distribution(view, "θ")
    assert d_dist["∅"] > th_dist["∅"]
    assert max((k for k in d_dist if k != "d"), key=d_dist.get) == "∅"
    assert min((k for k in th_dist if k != "θ"), key=th_dist.get) == "∅"


def test_fit_prefers_the_view_that_hears_the_substitution():
    rng = np.random.default_rng(0)
    ex = []
    for i in range(60):
        heard = "s" if i % 2 else "f"
        good = {"θ": 0.3, heard: 0.6, ("f" if heard == "s" else "s"): 0.1, "∅": 0.0}
        bad = {"θ": 0.9, "t": 0.1, "∅": 0.0}
        ex.append(HeardPhone(f"spk{i % 6}", "θ", heard, [bad, good]))
    folds = [np.array([i for i in range(60) if i % 6 in (f, f + 3)]) for f in range(3)]
    fit = fit_sounded_like(ex, folds)
    assert fit["view_weights"][1] >= 0.75
    assert fit["validation"]["chosen"]["top1"] == pytest.approx(1.0)
    r = evaluate(ex, {}, 0.0, 0.0)
    assert r["top1"] == 0  # the first view alone always names the target


# --------------------------------------------------------------------------- learned ranker
def _ranker_examples(n=80, seed=0):
    """View 0 is noise among three phones; view 1 names the phone heard (or ∅) at 0.4-0.6."""
    rng = np.random.default_rng(seed)
    ex = []
    for i in range(n):
        heard = ["s", "f", "t", "∅"][i % 4]
        noise = rng.dirichlet(np.ones(4))
        v0 = {"θ": 0.4, "s": 0.6 * noise[0], "f": 0.6 * noise[1], "t": 0.6 * noise[2], "∅": 0.6 * noise[3]}
        p = rng.uniform(0.4, 0.6)
        rest = [x for x in ("s", "f", "t", "∅") if x != heard]
        v1 = {"θ": 0.3, heard: 0.7 * p} | {x: 0.7 * (1 - p) / 3 for x in rest}
        ex.append(HeardPhone(f"spk{i % 8}", "θ", heard, [v0, v1]))
    return ex


def test_ranker_keeps_the_target_mass_and_shares_the_rest():
    from pronscore.gop.sounded_like import RANKER_FEATURES_TWO_VIEWS, CandidateRanker, rank_views

    w = np.zeros(len(RANKER_FEATURES_TWO_VIEWS))
    w[RANKER_FEATURES_TWO_VIEWS.index("log_p_view1")] = 1.0
    ranker = CandidateRanker(RANKER_FEATURES_TWO_VIEWS, w)
    views = [({"θ": 0.5, "f": 0.4, "s": 0.1}, 0.5), ({"θ": 0.3, "s": 0.6, "f": 0.1}, 0.5)]
    dist = ranker.distribution(views, "θ")
    assert dist["θ"] == pytest.approx(0.4) and sum(dist.values()) == pytest.approx(1.0)
    assert dist["s"] > dist["f"]  # the second view decides among the other phones
    ranked = rank_views(views, "θ", ranker=ranker)
    assert [c.ipa for c in ranked][:2] == ["s", "θ"] or [c.ipa for c in ranked][0] == "θ"
    again = CandidateRanker.from_json(ranker.to_json())
    assert again.distribution(views, "θ") == pytest.approx(dist)
    # Without a ranker: the mixture and prior path, unchanged.
    assert rank_views(views, "θ") == rank_candidates(mix_views(views), "θ")


def test_fitted_ranker_trusts_the_informative_view():
    from pronscore.scoring.train_sounded_like import evaluate_ranker, fit_ranker

    ex = _ranker_examples()
    ranker = fit_ranker(ex, confusion_counts(((e.target, e.heard) for e in ex), deletions=True), 0.5, 1.0)
    names = list(ranker.feature_names)
    assert ranker.weights[names.index("log_p_view1")] > abs(ranker.weights[names.index("log_p_view0")])
    held_out = _ranker_examples(seed=1)
    r = evaluate_ranker(held_out, ranker, 0.5)
    assert r["top1"] / r["substitutions"] > 0.9 and r["deletion_top1"] / r["deletions"] > 0.9


def test_fit_chooses_the_ranker_only_without_losing_deletions():
    ex = _ranker_examples()
    folds = [np.array([i for i in range(len(ex)) if i % 8 in (f, f + 4)]) for f in range(4)]
    fit = fit_sounded_like(ex, folds)
    val = fit["validation"]
    best_mixture = max(val["grid"], key=lambda r: r["top1"] + r["top3"])
    chosen = val["chosen"]
    assert chosen["deletion_top1"] >= best_mixture["deletion_top1"]
    assert chosen["top1"] + chosen["top3"] >= best_mixture["top1"] + best_mixture["top3"]
    assert (fit.get("ranker") is not None) == (chosen["method"] == "ranker")
    assert len(val["ranker_grid"]) == 25
    # The nested estimate makes the choice again on 3 of the 4 folds and scores the fourth: every
    # example is scored once, by settings chosen without it.
    nest = val["nested"]
    assert nest["n"] == chosen["n"] and nest["n_deletions"] == chosen["n_deletions"]
    assert len(nest["chosen_per_fold"]) == 4 and 0.0 <= nest["top1"] <= nest["top3"] <= 1.0
    assert "nested" not in fit_sounded_like(ex, folds, nested=False)["validation"]
