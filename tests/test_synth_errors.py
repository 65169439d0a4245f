"""Synthesized error clips (`train-scorer --synth-errors`): eSpeak NG says the substituted phone,
the plan is seeded, and the rows are labelled and only ever trained on."""
from __future__ import annotations

import numpy as np
import pytest

from pronscore.scoring.features import INVENTORY, phone_feature_names
from toy_rows import toy_arrays, toy_rows

from pronscore.scoring.synth_errors import (ESPEAK_MNEMONICS, Substitution, SynthErrorPlan, choose_sentences,
                                            phoneme_input, plan_sentence)

# "I think so." in canonical phones; think -> sink.
THINK = SynthErrorPlan("I think so.", (("aɪ",), ("θ", "ɪ", "ŋ", "k"), ("s", "oʊ")),
                       ((1,), (None, 1, None, None), (None, 1)), Substitution(1, 0, 1, "θ", "s"), "en-us", 160, 50)


def _needs_espeak():
    pytest.importorskip("espeakng_loader")


def test_every_canonical_phone_has_a_mnemonic_espeak_reads_back():
    _needs_espeak()
    from pronscore.prosody.espeak_synth import synthesize
    from pronscore.scoring.synth_errors import heard_phones
    from pronscore.text.ipa import is_vowel_phone

    assert set(ESPEAK_MNEMONICS) == set(INVENTORY)
    for p in INVENTORY:
        # Vowels between /b d/, consonants between stressed and unstressed /ɑ/.
        words, stress = ((("b", p, "d"),), ((None, 1, None),)) if is_vowel_phone(p) else ((("ɑ", p, "ɑ"),), ((1, None, 0),))
        s = synthesize(phoneme_input(words, stress), phoneme_input=True)
        assert heard_phones([x.ipa for x in s.phonemes]) == list(words[0]), p


def test_think_becomes_sink_and_the_recognizer_hears_it():
    _needs_espeak()
    import pronscore

    from pronscore.scoring.synth_errors import synthesize_clip

    assert THINK.phoneme_input() == "[['aI s'INk s'oU]]." and THINK.phoneme_input(clean=True) == "[['aI T'INk s'oU]]."
    wrong, clean = synthesize_clip(THINK), synthesize_clip(THINK, clean=True)
    assert wrong.heard == ["aɪ", "s", "ɪ", "ŋ", "k", "s", "oʊ"] and clean.heard[1] == "θ"
    assert wrong.substitution_said and wrong.said().all() and clean.said().all()
    assert wrong.key != clean.key
    # hama hears the word as well as the sound ("sink" in a "think" slot keeps some θ), so the
    # check is relative to the clean twin: more /s/, less /θ/, a lower GOP.
    heard = []
    session = pronscore.Session(acoustic="hama")  # the free phone recognizer, not the default head
    for clip in (wrong, clean):
        phone = session.assess(clip.audio, "I think so", sample_rate=16000).scored_words()[1].phones[0]
        probs = {c.ipa: c.prob for c in phone.sounded_like}
        heard.append((probs.get("s", 0.0), probs.get("θ", 0.0), phone.gop))
    (s_w, th_w, gop_w), (s_c, th_c, gop_c) = heard
    assert s_w > s_c + 0.1 and th_w < th_c and gop_w < gop_c


def test_clips_are_cached_by_what_they_say(tmp_path):
    _needs_espeak()
    from pronscore.scoring.synth_errors import cached_clip

    a = cached_clip(THINK, False, tmp_path)
    assert (tmp_path / f"{THINK.key()}.npz").is_file()
    b = cached_clip(THINK, False, tmp_path)  # from the file
    np.testing.assert_array_equal(a.audio, b.audio)
    assert a.heard == b.heard and b.substitution_said


def test_plan_is_seeded_and_changes_a_content_word():
    from pronscore.scoring.confusables import confusables

    conf = confusables()
    args = ("THE CAT SAT ON THE MAT", ["THE", "CAT", "SAT", "ON", "THE", "MAT"],
            [["ð", "ə"], ["k", "æ", "t"], ["s", "æ", "t"], ["ɑ", "n"], ["ð", "ə"], ["m", "æ", "t"]],
            [[None, 0], [None, 1, None], [None, 1, None], [1, None], [None, 0], [None, 1, None]])
    plans = [plan_sentence(*args, seed=s, confusables=conf) for s in range(12)]
    assert plan_sentence(*args, seed=3, confusables=conf) == plans[3]
    assert len({(p.substitution.flat, p.substitution.spoken, p.voice) for p in plans}) > 3  # the seed matters
    for p in plans:
        sub = p.substitution
        assert sub.word in (1, 2, 5)  # content words only
        assert args[2][sub.word][sub.position] == sub.canonical and sub.spoken in conf[sub.canonical]
        flat = [ph for w in args[2] for ph in w]
        assert flat[sub.flat] == sub.canonical and p.spoken_phones()[sub.flat] == sub.spoken
        assert p.spoken_phones(clean=True) == flat
        assert p.phoneme_input() != p.phoneme_input(clean=True)
    # Only function words: nothing to change.
    assert plan_sentence("OF THE", ["OF", "THE"], [["ə", "v"], ["ð", "ə"]], [[0, None], [None, 0]], 0, conf) is None
    first = choose_sentences(["b", "a", "c", "a", "d"], 2, seed=0)
    assert len(first) == 2 and choose_sentences(["d", "c", "b", "a"], 3, seed=0)[:2] == first


# --- rows: labels, and never in validation -------------------------------------------------
MARK = 123.0  # mean_log_post of every synthetic clip: finds their rows in a training matrix


def _synth_items(rng: np.random.Generator):
    from pronscore.scoring.train_synth import SynthItem

    items = []
    for j in range(4):
        said = np.ones(6, dtype=bool)
        if j == 3:
            said[4] = False  # eSpeak did not say the substituted phone: no row for that clip or its twin's phone
        items.append(SynthItem(f"w{j}", f"text {j}", False, toy_arrays(rng, MARK), said.copy(), 4))
        twin_said = np.ones(6, dtype=bool)
        twin_said[0] = j != 0  # one twin phone not said as asked
        items.append(SynthItem(f"c{j}", f"text {j}", True, toy_arrays(rng, MARK), twin_said, 4))
    return items


def test_synth_rows_are_labelled():
    from pronscore.scoring.train_synth import synth_rows

    rows = synth_rows(_synth_items(np.random.default_rng(0)), len(phone_feature_names()))
    assert rows.stats["wrong_rows"] == 3 and rows.stats["substitution_not_said"] == 1
    assert rows.stats["pair_rows"] == 3 and rows.stats["clean_rows"] == 4 * 6 - 1
    for rule, n2 in (("none", 0), ("pair", 3), ("all", 23)):
        X, y = rows.phone_rows(rule)
        assert (y == 0).sum() == 3 and (y == 2).sum() == n2 and len(X) == len(y)
    with pytest.raises(Exception):
        synth_rows(_synth_items(np.random.default_rng(0)), 5)  # other feature width: refused


def test_synth_rows_train_every_fold_and_are_never_validated(monkeypatch):
    pytest.importorskip("lightgbm")
    import pronscore.scoring.train as train
    from pronscore.scoring.train_synth import synth_rows

    rng = np.random.default_rng(1)
    monkeypatch.setattr(train, "_LGBM_LEVEL", {k: dict(v, n_estimators=3) for k, v in train._LGBM_LEVEL.items()})
    rows, ratings = toy_rows(rng)
    synth = synth_rows(_synth_items(rng), rows[0].phone_X.shape[1])
    col = phone_feature_names().index("mean_log_post")
    seen: list[tuple[int, int, int]] = []
    real_fit = train._fit

    def spy(spec, X, y, level, seed, weight=None):
        if level == "phone":
            marked = X[:, col] == MARK
            seen.append((int(marked.sum()), int((y[marked] == 0).sum()), len(X) - int(marked.sum())))
        return real_fit(spec, X, y, level, seed, weight)

    monkeypatch.setattr(train, "_fit", spy)
    res = train.cross_validate(train.LEARNERS["lgbm+synth+pair"], rows, ratings, 2, seed=0, progress=False,
                               synth=synth)
    # 2 outer folds x (3 inner + 1 final) phone models, each with all 3 + 3 synthetic rows.
    assert len(seen) == 8 and all(n == 6 and zeros == 3 for n, zeros, _ in seen)
    assert all(real < 12 * 6 for _, _, real in seen)  # a fold's training side never holds every utterance
    # Predictions exist for every real utterance, exactly once, and for nothing else.
    assert sorted(p["utt"] for p in res["predictions"]) == sorted(ratings)
    # The learners without synthesized rows ignore them.
    seen.clear()
    train.cross_validate(train.LEARNERS["lgbm"], rows, ratings, 2, seed=0, progress=False, synth=synth)
    assert seen and all(n == 0 for n, _, _ in seen)


def test_synth_learners_need_the_flag(tmp_path):
    from types import SimpleNamespace

    from pronscore.errors import CorpusError
    from pronscore.scoring.train import train_scorer_cli

    args = SimpleNamespace(root=str(tmp_path), split="train", out=str(tmp_path / "m.npz"), learners=["lgbm+synth"],
                           cache_dir=str(tmp_path), synth_errors=0, limit=10)
    with pytest.raises(CorpusError, match="--synth-errors"):  # refused before any corpus is read
        train_scorer_cli(args)


def test_cross_fitted_head_and_second_view_per_clip(tmp_path):
    import json

    from pronscore.scoring.train_synth import attach_synth_aux, fold_head_list, head_for_text

    (tmp_path / "folds.json").write_text(json.dumps({"weights": {"0": "fold0.npz", "1": "fold1.npz", "2": "fold2.npz"},
                                                     "utt_to_fold": {"a": 0, "b": 1, "c": 2, "d": 1}}))
    heads = fold_head_list(tmp_path)
    assert [h.name for h in heads] == ["fold0.npz", "fold1.npz", "fold2.npz"]
    picks = {t: head_for_text(t, heads) for t in (f"SENTENCE {i}" for i in range(30))}
    assert picks == {t: head_for_text(t, heads) for t in picks}  # deterministic
    assert len(set(picks.values())) == 3  # spread over the heads
    # The second backend's evidence of the same clip is paired by key; an unpaired clip is left out.
    rng = np.random.default_rng(2)
    items, aux = _synth_items(rng), _synth_items(rng)
    paired = attach_synth_aux(items, aux[2:])
    assert [it.key for it in paired] == [it.key for it in items[2:]]
    assert all(it.evidence.aux is a.evidence for it, a in zip(paired, aux[2:]))


def test_without_espeak_the_error_names_the_extra(monkeypatch):
    import importlib.util

    from pronscore.errors import MissingDependencyError
    from pronscore.scoring.synth_errors import synthesize_clip

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(MissingDependencyError, match=r"pronscore\[espeak\]"):
        synthesize_clip(THINK)
