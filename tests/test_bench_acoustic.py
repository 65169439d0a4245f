"""`pronscore bench acoustic`: alignment and phone error rate on hand-made sequences, the
command on a tiny speechocean762-layout corpus, and the train-* flags."""
from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from pronscore.bench.acoustic import (
    CommonInventory, PerCounts, align, heldout_speakers, parse_speakers, per_counts, phone_error_rate, phone_ratings,
)


def run(*args):
    return subprocess.run([sys.executable, "-m", "pronscore.cli", *args], capture_output=True, timeout=600)


# --------------------------------------------------------------------------- alignment
def test_align_identical_is_all_matches():
    ops = align("abc", "abc")
    assert [(o.op, o.ref, o.hyp) for o in ops] == [("match", 0, 0), ("match", 1, 1), ("match", 2, 2)]


def test_align_substitution_deletion_insertion():
    ops = align(list("abcd"), list("xbd"))  # a -> x, c deleted
    assert [o.op for o in ops] == ["sub", "match", "del", "match"]
    assert [(o.ref, o.hyp) for o in ops] == [(0, 0), (1, 1), (2, None), (3, 2)]
    ins = align(list("ab"), list("axb"))
    assert [o.op for o in ins] == ["match", "ins", "match"]
    assert ins[1].gap == 1 and ins[1].hyp == 1 and ins[1].ref is None
    edge = align(list("ab"), list("xab"))
    assert edge[0].op == "ins" and edge[0].gap == 0
    end = align(list("ab"), list("abx"))
    assert end[-1].op == "ins" and end[-1].gap == 2


def test_align_empty_sides():
    assert [o.op for o in align([], list("ab"))] == ["ins", "ins"]
    assert [o.op for o in align(list("ab"), [])] == ["del", "del"]
    assert align([], []) == []


def test_per_counts_all_phones():
    full, part = per_counts(list("abcd"), list("axd"))
    assert (full.phones, full.substitutions, full.deletions, full.insertions) == (4, 1, 1, 0)
    assert full.rate == pytest.approx(0.5)
    assert part == full  # no scored flags: every position counts


def test_per_counts_only_rated_positions():
    # b is substituted but rated below 2 (not scored): only the deletion of d counts.
    full, part = per_counts(list("abcd"), list("axc"), [True, False, True, True])
    assert full.errors == 2
    assert (part.phones, part.substitutions, part.deletions, part.insertions) == (3, 0, 1, 0)
    assert part.rate == pytest.approx(1 / 3)


def test_per_counts_insertions_need_scored_neighbours_and_count_once():
    ref, hyp = list("abc"), list("axbc")  # x inserted between a and b
    assert per_counts(ref, hyp, [True, True, True])[1].insertions == 1  # once, not once per neighbour
    assert per_counts(ref, hyp, [True, False, True])[1].insertions == 0  # next to a phone marked down
    assert per_counts(ref, hyp, [False, True, True])[1].insertions == 0
    # Each inserted phone counts once: two inserted phones, two errors.
    full, part = per_counts(list("ab"), list("axyb"), [True, True])
    assert full.insertions == part.insertions == 2
    # At the edges the only neighbour decides.
    assert per_counts(list("ab"), list("xab"), [True, False])[1].insertions == 1
    assert per_counts(list("ab"), list("abx"), [True, False])[1].insertions == 0


def test_per_counts_edge_cases():
    full, part = per_counts([], list("ab"))
    assert full.insertions == 2 and full.phones == 0 and full.rate is None
    assert part.insertions == 0  # no reference phone next to them
    full, _ = per_counts(list("abc"), [])
    assert full.deletions == 3 and full.rate == 1.0
    with pytest.raises(ValueError):
        per_counts(list("ab"), list("ab"), [True])


def test_corpus_phone_error_rate_pools_counts():
    assert phone_error_rate([(list("ab"), list("ab")), (list("abcd"), list("abc"))]) == pytest.approx(1 / 6)
    total = PerCounts()
    total += PerCounts(phones=2, substitutions=1)
    total += PerCounts(phones=2, insertions=1)
    assert total.errors == 2 and total.rate == 0.5
    assert total.to_dict()["rate"] == 0.5


def test_common_inventory_merges_spellings_and_qualities():
    from pronscore.gop.phoneset import PhoneMapper

    vocab = ["<blank>", "g", "r", "ə", "ʌ", "ɝ", "e", "tʃ", "i", "iː"]
    inv = CommonInventory(PhoneMapper(vocab, list(range(1, len(vocab)))))
    assert inv.canonical("ɡ") == "ɡ"  # the corpus's /ɡ/ is the model's "g"
    assert inv.decoded("g") == "ɡ" and inv.decoded("r") == "ɹ" and inv.decoded("tʃ") == "t͡ʃ"
    assert inv.canonical("ə") == inv.decoded("ʌ") == inv.decoded("ə") == "ʌ"
    assert inv.canonical("ɚ") == "ɝ"
    assert inv.decoded("e") == "eɪ"
    assert inv.decoded("iː") == "i"
    assert len(inv.phones) == 39


def test_speaker_lists_and_ratings(tmp_path):
    assert parse_speakers("0002, 0001 0003") == ["0001", "0002", "0003"]
    f = tmp_path / "spk.txt"
    f.write_text("0005\n0004\n")
    assert parse_speakers(str(f)) == ["0004", "0005"]
    assert parse_speakers(None) is None
    entry = {"words": [{"phones-accuracy": [2.0, 1.5]}, {"phones-accuracy": [2.0]}]}
    assert phone_ratings(entry, [2, 2]) == [2.0, 1.5, None, None]  # second word misaligned
    assert phone_ratings(None, [1]) == [None]


def test_heldout_speakers_come_from_the_head_metadata(tmp_path):
    meta = {"data": f"{tmp_path} split train", "val_speakers": ["0002"], "excluded_speakers": ["0009"]}
    model = SimpleNamespace(weights=SimpleNamespace(meta=meta))
    spk, source, trained_here = heldout_speakers(model, None, tmp_path)
    assert spk == ["0002", "0009"] and "metadata" in source and trained_here
    spk, source, _ = heldout_speakers(model, ["0007"], tmp_path)
    assert spk == ["0007"] and "--heldout-speakers" in source


# --------------------------------------------------------------------------- the command
_UTTS = {  # utt: (speaker, text, [(word, ARPAbet)], phone ratings per word)
    "000010001": ("0001", "THE CAT SAT", [("THE", "DH AH0"), ("CAT", "K AE1 T"), ("SAT", "S AE1 T")],
                  [[2, 2], [2, 0, 2], [2, 2, 2]]),
    "000010002": ("0001", "WE CALL IT", [("WE", "W IY1"), ("CALL", "K AO1 L"), ("IT", "IH1 T")],
                  [[2, 2], [2, 2, 2], [2, 2]]),
    "000020001": ("0002", "THE CAT SAT", [("THE", "DH AH0"), ("CAT", "K AE1 T"), ("SAT", "S AE1 T")],
                  [[2, 2], [2, 2, 2], [2, 1, 2]]),
}


@pytest.fixture(scope="module")
def tiny_corpus(speaker, tmp_path_factory):
    """Three Piper utterances of two speakers in the speechocean762 layout, with ratings."""
    root = tmp_path_factory.mktemp("so762_tiny")
    (root / "test").mkdir()
    (root / "resource").mkdir()
    texts, wavs, u2s, tp, scores = [], [], [], [], {}
    lex = set()
    for utt, (spk, text, words, rates) in _UTTS.items():
        wav = root / "WAVE" / f"SPEAKER{spk}" / f"{utt}.WAV"
        wav.parent.mkdir(parents=True, exist_ok=True)
        wav.write_bytes(speaker.wav_bytes(text.lower() + "."))
        texts.append(f"{utt}\t{text}")
        wavs.append(f"{utt}\tWAVE/SPEAKER{spk}/{utt}.WAV")
        u2s.append(f"{utt} {spk}")
        for i, (w, arpa) in enumerate(words):
            tp.append(f"{utt}.{i} " + " ".join(p + "_I" for p in arpa.split()))
            lex.add(f"{w} {arpa}")
        scores[utt] = {"text": text, "words": [{"text": w, "phones": arpa.split(), "phones-accuracy": r}
                                               for (w, arpa), r in zip(words, rates)]}
    (root / "test" / "text").write_text("\n".join(texts) + "\n")
    (root / "test" / "wav.scp").write_text("\n".join(wavs) + "\n")
    (root / "test" / "utt2spk").write_text("\n".join(u2s) + "\n")
    (root / "resource" / "text-phone").write_text("\n".join(tp) + "\n")
    (root / "resource" / "lexicon.txt").write_text("\n".join(sorted(lex)) + "\n")
    (root / "resource" / "scores.json").write_text(json.dumps(scores))
    return root


def test_bench_acoustic_command_on_a_tiny_corpus(tiny_corpus, tmp_path):
    out = tmp_path / "acoustic.json"
    res = run("bench", "acoustic", "--root", str(tiny_corpus), "--split", "test", "--acoustic", "hama",
              "--out", str(out), "--heldout-speakers", "0002")
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    doc = json.loads(out.read_text())
    assert doc["acoustic"] == "hama" and doc["split"] == "test" and doc["n_utterances"] == 3
    assert doc["note"] and doc["date"] and "commit" in doc["git"] and doc["threads"] == 1
    assert doc["heldout_speakers"] == ["0002"]
    every, held = doc["metrics"]["all"], doc["metrics"]["heldout"]
    assert every["per"]["phones"] == 23 and every["rated_phones"] == 23
    assert every["per_rated2"]["phones"] == 21  # two phones rated below 2
    assert held["utterances"] == 1 and held["speakers"] == 1 and held["per"]["phones"] == 8
    # Clean synthetic speech: the recognizer gets most phones right, and it runs faster than real time.
    assert 0.0 <= every["per"]["rate"] < 0.6
    assert 0.0 < every["rtf_posteriors"] < 1.0
    assert every["audio_hours"] > 0
    assert "bench acoustic" in res.stderr.decode()  # progress on stderr


def test_bench_acoustic_bad_root_is_one_line_error(tmp_path):
    res = run("bench", "acoustic", "--root", str(tmp_path / "nope"), "--split", "test", "--out", str(tmp_path / "x.json"))
    assert res.returncode != 0
    err = res.stderr.decode().strip()
    assert "Traceback" not in err and "not found" in err


# --------------------------------------------------------------------------- train-* flags
def test_train_help_lists_the_new_flags():
    text = run("train-scorer", "--help").stdout.decode()
    for flag in ("--cache-dir", "--folds", "--learners", "--limit"):
        assert flag in text
    text = run("train-acoustic", "--help").stdout.decode()
    for flag in ("--epochs", "--seed", "--val-fraction", "--patience", "--min-epochs", "--threads", "--cache-dir",
                 "--init", "--lr"):
        assert flag in text
    text = run("bench", "acoustic", "--help").stdout.decode()
    for flag in ("--root", "--split", "--acoustic", "--acoustic-path", "--out", "--limit", "--speakers"):
        assert flag in text


def test_learner_names_in_help_match_the_trainer():
    from pronscore.cli import SCORER_LEARNERS
    from pronscore.scoring.train import LEARNERS

    assert set(SCORER_LEARNERS) == set(LEARNERS)


def test_train_commands_pass_the_flags_through(monkeypatch, tmp_path):
    import pronscore.acoustic.train_head as train_head
    import pronscore.scoring.train as train
    from pronscore import cli

    seen = {}
    monkeypatch.setattr(train, "train_scorer_cli", lambda args: seen.setdefault("scorer", args))
    monkeypatch.setattr(train_head, "main_train_acoustic", lambda args: seen.setdefault("acoustic", args) and {})
    assert cli.main(["train-scorer", "--root", str(tmp_path), "--out", "m.npz", "--cache-dir", "C", "--folds", "3",
                     "--learners", "lgbm, ridge", "--limit", "7"]) == 0
    a = seen["scorer"]
    assert (a.cache_dir, a.folds, a.learners, a.limit) == ("C", 3, ["lgbm", "ridge"], 7)
    assert a.acoustic == "hama"  # not the default whisper-ctc head, which was trained on the corpus
    assert cli.main(["train-acoustic", "--root", str(tmp_path), "--out", "h.npz", "--epochs", "2", "--seed", "4",
                     "--val-fraction", "0.2", "--patience", "1", "--min-epochs", "1", "--threads", "2",
                     "--cache-dir", "E", "--init", "start.npz", "--lr", "0.0005"]) == 0
    b = seen["acoustic"]
    assert (b.epochs, b.seed, b.val_fraction, b.patience, b.min_epochs, b.threads, b.cache_dir) == (2, 4, 0.2, 1, 1, 2, "E")
    assert (b.init, b.lr) == ("start.npz", 0.0005)


def test_train_scorer_refuses_the_shipped_whisper_head_without_folds(tmp_path):
    res = run("train-scorer", "--root", str(tmp_path), "--out", str(tmp_path / "m.npz"), "--acoustic", "whisper-ctc")
    err = res.stderr.decode()
    assert res.returncode != 0 and "--acoustic-folds" in err and "Traceback" not in err


def test_parallel_evidence_equals_one_process(tiny_corpus, tmp_path):
    from pronscore.bench.corpus import load_split
    from pronscore.scoring.train import build_cache

    utts = load_split(tiny_corpus, "test")
    one = build_cache(utts, "hama", None, tmp_path / "one", progress=False, workers=1)
    two = build_cache(utts, "hama", None, tmp_path / "two", progress=False, workers=2)
    assert [i.utt for i in one] == [i.utt for i in two] == [u.utt for u in utts]
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a.evidence.gop, b.evidence.gop)
        np.testing.assert_array_equal(a.ctx_vec, b.ctx_vec)
        assert len(a.injected) == len(b.injected)
    assert not list((tmp_path / "two").rglob("*.tmp.npz"))  # every worker's file renamed into place


@pytest.mark.parametrize("cmd, flag, value, needle", [
    ("train-scorer", "--workers", "0", "--workers"),
    ("train-acoustic", "--lr", "-0.1", "--lr"),
])
def test_train_commands_reject_nonsense_settings(tmp_path, cmd, flag, value, needle):
    res = run(cmd, "--root", str(tmp_path), "--out", str(tmp_path / "x.npz"), flag, value)
    err = res.stderr.decode()
    assert res.returncode != 0 and needle in err and "Traceback" not in err
