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
    c = confusion_counts([("θ", "s"), ("θ", "s"), ("ʌ", "ə"), ("d", "∅"), ("θ", "f")])
    assert c == {"θ": {"s": 2.0, "f": 1.0}}


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
