"""Learned scorer: features, numpy model, shipped default, and a quick corpus check."""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from pronscore.gop.analyze import PhoneEvidence, UtteranceEvidence
from pronscore.gop.phoneset import PhoneMapping
from pronscore.scoring.base import UtteranceContext
from pronscore.scoring.features import (INVENTORY, context_names, context_vector, evidence_arrays, phone_feature_names,
                                        phone_features, utterance_feature_names, utterance_features,
                                        word_feature_names, word_features)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "speechocean762"
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "pronscore" / "models" / "scorer" / "hama.npz"

# "the cat" as /ð ə k æ t/
WORDS = [["ð", "ə"], ["k", "æ", "t"]]
GOPS = [-0.2, -1.0, -0.1, -0.5, -0.3]


def _evidence(gops=GOPS, deletion=None) -> UtteranceEvidence:
    inv = list(INVENTORY)
    phones = []
    k = 0
    deletion = deletion or [0.01] * len(gops)
    for wi, w in enumerate(WORDS):
        for pi, ipa in enumerate(w):
            sub = np.full(len(inv), 0.2 / (len(inv) - 1))
            sub[inv.index(ipa)] = 0.8
            phones.append(PhoneEvidence(
                word_index=wi, phone_index=pi, ipa=ipa, mapping=PhoneMapping(ipa, ipa, 0, "exact"),
                stress=1 if ipa in ("ə", "æ") else None, gop=gops[k], lpr=min(gops[k], 0.0),
                deletion_prob=deletion[k], occupancy_frames=4.0, target_share=0.8, substitution=sub,
                mean_log_post=-0.4, start=0.1 + 0.1 * k, end=0.2 + 0.1 * k))
            k += 1
    return UtteranceEvidence(phones=phones, inventory_symbols=inv, inventory_ipa=inv,
                             word_spans=[(0.1, 0.3), (0.3, 0.6)], insertions=[], frame_s=0.02, num_frames=40,
                             log_p_canonical=-3.0, viterbi_path=np.zeros(40, dtype=np.int64))


def _context() -> UtteranceContext:
    return UtteranceContext(
        duration_s=0.8, n_words=2,
        fluency={"speech_rate_sps": 3.0, "articulation_rate_sps": 3.5, "phonation_time_ratio": 0.9,
                 "pause_count": 0, "mean_pause_s": 0.0, "long_pause_count": 0, "mean_length_of_run": 2.0,
                 "pauses": [], "hesitations": []},
        prosody={"f0_range_st": 5.0, "intonation": {"matches": True, "final_slope_st_per_s": -3.0},
                 "rhythm": {"npvi_v": 40.0}},
        word_stress=[None, 90.0])


def test_feature_shapes_and_finite_values():
    ev, ctx = _evidence(), _context()
    ea = evidence_arrays(ev, ctx.n_words)
    X = phone_features(ea)
    assert X.shape == (5, len(phone_feature_names()))
    assert np.isfinite(X).all()
    names = phone_feature_names()
    # Identity one-hot: exactly one phone column set per row, on the right phone.
    ident = X[:, names.index(f"is:{INVENTORY[0]}"):]
    assert (ident.sum(axis=1) == 1).all() and ident[0, INVENTORY.index("ð")] == 1
    assert X[1, names.index("prev_gop")] == pytest.approx(GOPS[0])
    cv = context_vector(ctx)
    assert cv.shape == (len(context_names()),) and np.isfinite(cv).all()
    # f0_median_hz was not given: its value is 0 and its missing flag is set.
    assert cv[context_names().index("prosody.f0_median_hz.missing")] == 1.0
    W = word_features(ea, ctx.word_stress, np.full(5, 1.5))
    assert W.shape == (2, len(word_feature_names())) and np.isfinite(W).all()
    U = utterance_features(ea, cv, np.full(5, 1.5), np.full((2, 3), 8.0))
    assert U.shape == (1, len(utterance_feature_names())) and np.isfinite(U).all()


def test_features_survive_degenerate_values():
    ea = evidence_arrays(_evidence(gops=[-np.inf, 0.0, -50.0, 0.0, 0.0]), 2)
    assert np.isfinite(phone_features(ea)).all()


@pytest.fixture(scope="module")
def scorer():
    if not DEFAULT_MODEL.is_file():
        pytest.skip("no shipped scorer model")
    from pronscore.scoring.learned import LearnedScorer

    return LearnedScorer.load(DEFAULT_MODEL)


def test_shipped_model_scores_in_range_and_deterministic(scorer):
    ev, ctx = _evidence(), _context()
    a = scorer.score(ev, ctx)
    b = scorer.score(copy.deepcopy(ev), copy.deepcopy(ctx))
    assert a.phone_scores.shape == (5,) and a.word_accuracy.shape == (2,)
    for s in (a.phone_scores, a.word_accuracy, a.word_total, np.array(a.word_stress, dtype=float),
              np.array([a.accuracy, a.completeness, a.fluency, a.prosody, a.overall])):
        assert np.all((s >= 0.0) & (s <= 100.0))
    np.testing.assert_array_equal(a.phone_scores, b.phone_scores)
    np.testing.assert_array_equal(a.word_total, b.word_total)
    assert (a.accuracy, a.fluency, a.overall) == (b.accuracy, b.fluency, b.overall)
    info = scorer.info()
    assert info["scorer"].startswith("learned")


def test_much_lower_gop_gives_lower_phone_score(scorer):
    good = scorer.score(_evidence(), _context())
    bad_gops = list(GOPS)
    bad_gops[3] = -9.0  # /æ/ of "cat" far from what was heard
    bad = scorer.score(_evidence(gops=bad_gops), _context())
    assert bad.phone_scores[3] < good.phone_scores[3] - 10.0
    assert bad.word_accuracy[1] < good.word_accuracy[1]


def test_deleted_phone_is_omitted_and_word_omitted_when_most_are(scorer):
    s = scorer.score(_evidence(deletion=[0.01, 0.01, 0.9, 0.8, 0.01]), _context())
    assert list(s.phone_omitted) == [False, False, True, True, False]
    assert list(s.word_omitted) == [False, True]


def test_wrong_model_file_is_a_clear_error(tmp_path):
    from pronscore.errors import ModelNotFoundError, PronscoreError
    from pronscore.scoring.learned import LearnedScorer

    with pytest.raises(ModelNotFoundError):
        LearnedScorer.load(tmp_path / "absent.npz")
    bogus = tmp_path / "bogus.npz"
    np.savez(bogus, meta=np.array('{"format": "something-else"}'))
    with pytest.raises(PronscoreError, match="not a pronscore scorer model"):
        LearnedScorer.load(bogus)


def test_tree_export_matches_lightgbm():
    lgb = pytest.importorskip("lightgbm")
    from pronscore.scoring.train import export_lgbm

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    y = X[:, 0] * 2 - np.abs(X[:, 3]) + rng.normal(scale=0.1, size=400)
    model = lgb.LGBMRegressor(n_estimators=30, num_leaves=7, verbose=-1, n_jobs=1).fit(X, y)
    np.testing.assert_allclose(export_lgbm(model.booster_).predict(X), model.predict(X), atol=1e-9)


def test_speaker_folds_are_disjoint_and_cover_everyone():
    from pronscore.scoring.train import speaker_folds

    speakers = [f"s{i % 7}" for i in range(40)]
    folds = speaker_folds(speakers, 3, seed=1)
    assert sorted(np.concatenate(folds).tolist()) == list(range(40))
    seen = [{speakers[i] for i in f} for f in folds]
    assert all(not (seen[a] & seen[b]) for a in range(3) for b in range(a + 1, 3))


@pytest.mark.skipif(not CORPUS.is_dir(), reason="speechocean762 subset not present")
def test_corpus_handful_scores_track_ratings(session, scorer):
    """Three utterances through the real pipeline: in range, and phone counts match the corpus."""
    from pronscore.bench.corpus import load_ratings, load_split
    from pronscore.bench.so762 import corpus_reference
    from pronscore.scoring.train import EvidenceExtractor  # noqa: F401  (importable without torch)

    utts = load_split(CORPUS, "train")[:3]
    ratings = load_ratings(CORPUS)
    old = session.scorer
    session.scorer = scorer
    try:
        for u in utts:
            r = session.assess(u.wav_path, corpus_reference(u))
            gold = ratings[u.utt]
            assert len(r.scored_words()) == len(gold["words"])
            for w, gw in zip(r.scored_words(), gold["words"]):
                assert len(w.phones) == len(gw["phones-accuracy"])
                assert all(0.0 <= p.score <= 100.0 for p in w.phones)
            assert 0.0 <= r.scores.overall <= 100.0
            # A model trained on these ratings lands within 3 points (of 10) of the experts' total.
            assert abs(r.scores.overall / 10.0 - gold["total"]) < 3.0
    finally:
        session.scorer = old


def test_numpy_transformer_matches_torch():
    torch = pytest.importorskip("torch")
    from pronscore.scoring.learned import PhoneTransformer
    from pronscore.scoring.train import TRANSFORMER, _torch_transformer

    torch.manual_seed(0)
    cfg = dict(TRANSFORMER, d=8, heads=2, layers=1, ff=16)
    F, Fc = len(phone_feature_names()), len(context_names())
    net = _torch_transformer(F, Fc, cfg).eval()
    w = {k: t.detach().numpy().astype(np.float64) for k, t in net.state_dict().items()}
    w["utt_head.weight"], w["utt_head.bias"] = w.pop("utt_head_weight"), w.pop("utt_head_bias")
    w.update({"phone_mean": np.zeros(F), "phone_scale": np.ones(F), "ctx_mean": np.zeros(Fc), "ctx_scale": np.ones(Fc)})
    ea = evidence_arrays(_evidence(), 2)
    X, C = phone_features(ea), context_vector(_context())
    ph, wd, ut = PhoneTransformer(w, 1, 2).forward(X, C, ea.word_index, 2)
    with torch.no_grad():
        tph, twd, tut = net(torch.tensor(X[None], dtype=torch.float32), torch.tensor(C[None], dtype=torch.float32),
                            torch.zeros(1, len(X), dtype=torch.bool))
    np.testing.assert_allclose(ph, tph[0].numpy(), atol=1e-4)
    np.testing.assert_allclose(ut, tut[0].numpy(), atol=1e-4)
    np.testing.assert_allclose(wd[1], twd[0, 2:].numpy().mean(axis=0), atol=1e-4)  # word 1 = phones 2..4


def test_registry_default_is_the_shipped_model_and_heuristic_by_name():
    from pronscore.errors import ModelNotFoundError
    from pronscore.scoring.heuristic import HeuristicScorer
    from pronscore.scoring.learned import LearnedScorer
    from pronscore.scoring.registry import load_scorer

    if DEFAULT_MODEL.is_file():
        assert isinstance(load_scorer(None), LearnedScorer)
    assert isinstance(load_scorer("heuristic"), HeuristicScorer)
    with pytest.raises(ModelNotFoundError):
        load_scorer("/nonexistent/scorer.npz")


def test_phone_calibration_keeps_order_and_stretches_the_low_end(scorer):
    if scorer.phone_calibration is None:
        pytest.skip("model without phone calibration")
    r = np.linspace(0.0, 2.0, 41)
    c = scorer.calibrate_phone(r)
    assert np.all(np.diff(c) >= 0)
    assert c[np.searchsorted(r, 1.0)] < 1.0  # a middling prediction is a likely error: pushed down


def test_error_thresholds_tuned_for_f1():
    from pronscore.scoring.errors import ErrorThresholds, best_f1_threshold, tune_thresholds

    rng = np.random.default_rng(0)
    gold = rng.choice([0.0, 1.0, 2.0], size=2000, p=[0.1, 0.2, 0.7])
    # Scores separate the classes around 30 and 70 with noise.
    scores = np.select([gold == 0, gold == 1], [15.0, 50.0], 85.0) + rng.normal(0, 8, size=gold.shape)
    t, f1 = best_f1_threshold(scores, gold < 0.5, np.arange(2.0, 98.0))
    assert 25 <= t <= 40 and f1 > 0.9
    th, info = tune_thresholds(scores, gold)
    assert th.mispronounced_below <= th.accented_below
    assert 60 <= th.accented_below <= 80 and info["not_fully_correct_f1"] > 0.9
    assert ErrorThresholds.from_json(th.to_json()) == th
    assert ErrorThresholds.from_json(None) == ErrorThresholds()
    # With "sounded like" firsts: clear substitutions among the rated-1 phones are wrong only
    # when the experts said so; here they never are, so the substitution rule stays off...
    other = np.where(gold == 1, 0.9, 0.0)
    th2, info2 = tune_thresholds(scores, gold, other, np.zeros(len(gold), dtype=bool))
    assert th2.substituted_below == th2.mispronounced_below and "mispronounced_label_f1" in info2
    # ...and when clear substitutions between the thresholds are rated 0, it reaches up to them.
    gold3 = gold.copy()
    gold3[(gold == 1) & (rng.uniform(size=gold.shape) < 0.8)] = 0.0
    th3, _ = tune_thresholds(scores, gold3, np.where(gold == 1, 0.9, 0.0), np.zeros(len(gold), dtype=bool))
    assert th3.substituted_below >= 50


def test_phone_labels_omitted_needs_the_deletion_first_and_a_low_score():
    from pronscore.result import Candidate
    from pronscore.scoring.errors import ErrorThresholds, classify_phone

    th = ErrorThresholds(mispronounced_below=40, accented_below=80, substituted_below=60)
    gone = [Candidate("∅", 0.7), Candidate("t", 0.2)]
    assert classify_phone(20, gone, "t", th) == "omitted"
    assert classify_phone(95, gone, "t", th) == "none"  # the scorer heard the phone: not an omission
    assert classify_phone(70, gone, "t", th) == "accented"  # ∅ is not a substitution
    assert classify_phone(20, [Candidate("s", 0.6)], "θ", th) == "mispronounced"
    assert classify_phone(50, [Candidate("s", 0.6)], "θ", th) == "mispronounced"
    assert classify_phone(70, [Candidate("s", 0.6)], "θ", th) == "accented"
    assert classify_phone(20, [Candidate("θ", 0.6)], "θ", th) == "accented"


def test_second_view_features_and_scorer_requirement(scorer):
    from pronscore.scoring.learned import LearnedScorer, ScorerModelError

    ev, ctx = _evidence(), _context()
    ea = evidence_arrays(ev, ctx.n_words)
    ea.aux = evidence_arrays(_evidence(gops=[-3.0, -1.0, -0.1, -4.0, -0.3]), ctx.n_words)
    X = phone_features(ea)
    names = phone_feature_names(aux=True)
    assert X.shape == (5, len(names)) and np.isfinite(X).all()
    assert X[3, names.index("aux:gop")] == pytest.approx(-4.0)
    assert X[3, names.index("aux:gop_min_of_both")] == pytest.approx(-4.0)
    # Without the second view the primary features are unchanged (old one-view models still load).
    assert np.array_equal(X[:, : len(phone_feature_names())], phone_features(evidence_arrays(ev, 2)))
    cv = context_vector(ctx)
    assert word_features(ea, ctx.word_stress, np.full(5, 1.5)).shape == (2, len(word_feature_names(aux=True)))
    assert utterance_features(ea, cv, np.full(5, 1.5), np.full((2, 3), 8.0)).shape == \
        (1, len(utterance_feature_names(aux=True)))
    # A scorer trained on two views refuses to score one.
    two_view = LearnedScorer(scorer.models, {**scorer.meta, "aux_acoustic": "hama"}, scorer.transformer,
                             scorer.phone_calibration)
    with pytest.raises(ScorerModelError, match="second view"):
        two_view.score(ev, ctx)


def test_word_is_omitted_only_when_most_phones_are():
    from pronscore.api import _classify_errors
    from pronscore.result import Candidate, PhoneResult, WordResult, WordScores
    from pronscore.scoring.errors import ErrorThresholds

    th = ErrorThresholds(mispronounced_below=40, accented_below=80, substituted_below=50)

    def word(scores):
        phones = [PhoneResult(p, 0.1 * k, 0.1 * k + 0.1, sc, -3.0, [Candidate("∅", 0.7), Candidate(p, 0.3)])
                  for k, (p, sc) in enumerate(zip("kæt", scores))]
        return WordResult("cat", 0, 0, 3, 0.0, 0.3, WordScores(50.0, None, 50.0), "none", phones)

    gone, heard, one = word([5, 10, 95]), word([99, 98, 97]), word([99, 98, 10])
    _classify_errors([gone, heard, one], th)
    assert gone.error == "omitted" and gone.start is None and all(p.error == "omitted" and p.start is None for p in gone.phones)
    assert heard.error == "none" and [p.error for p in heard.phones] == ["none"] * 3  # ∅ first, but scored as said
    assert one.error == "mispronounced" and [p.error for p in one.phones] == ["none", "none", "omitted"]
    assert one.start == 0.0
