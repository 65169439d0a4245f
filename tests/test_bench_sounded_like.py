"""speechocean762 bench: ARPAbet "sounded like" in the predictions and its top-1/top-3 metric
against the corpus's `mispronunciations` entries (pure functions on hand-made data)."""
from __future__ import annotations

import json

import pytest

from pronscore.bench.metrics import read_predictions, score_predictions, sounded_like_metrics
from pronscore.bench.so762 import prediction_line, sounded_like_arpabet
from pronscore.errors import CorpusError
from pronscore.result import Assessment, Candidate, PhoneResult, SentenceScores, WordResult, WordScores


def _gold_word(text, phones, mispronunciations=None):
    word = {"text": text, "phones": phones, "phones-accuracy": [2.0] * len(phones),
            "accuracy": 10, "stress": 10, "total": 10}
    if mispronunciations is not None:
        word["mispronunciations"] = mispronunciations
    return word


def _mis(canonical, index, heard):
    return {"canonical-phone": canonical, "index": index, "pronounced-phone": heard}


def _pred_word(text, sounded_like):
    n = len(sounded_like)
    return {"text": text, "accuracy": 9.0, "stress": 10.0, "total": 9.0, "phones": [1.5] * n, "gop": [-1.0] * n,
            "sounded_like": sounded_like}


SENTENCE = {"accuracy": 8, "completeness": 10, "fluency": 8, "prosodic": 8, "total": 8}

# THINK said as "sink" (top-1 right), THE as "de" (right but second), GREY with G -> F (not in the
# top 3), R deleted (deletion top-1), EY -> <unk> (skipped), and distorted / multi-phone entries.
RATINGS = {"u1": {**SENTENCE, "words": [
    _gold_word("THINK", ["TH", "IH1", "NG", "K"], [_mis("TH", 0, "S")]),
    _gold_word("THE", ["DH", "AH0"], [_mis("DH", 0, "D"), _mis("AH", 1, "AH*")]),
    _gold_word("GREY", ["G", "R", "EY1"], [_mis("G", 0, "F"), _mis("R", 1, "<DEL>"), _mis("EY", 2, "<unk>")]),
    _gold_word("CAT", ["K", "AE1", "T"], [_mis("AE", 1, "EH R"), _mis("T", 2, "T")]),
    _gold_word("OK", ["OW1", "K"]),
]}}

PRED = {"utt": "u1", "sentence": SENTENCE, "words": [
    _pred_word("THINK", [[["S", 0.81], ["TH", 0.1]], [["IH", 0.9]], [["NG", 0.9]], [["K", 0.95]]]),
    _pred_word("THE", [[["DH", 0.6], ["D", 0.3], ["Z", 0.05]], [["AH", 0.9]]]),
    _pred_word("GREY", [[["G", 0.7], ["K", 0.2], ["<DEL>", 0.05]], [["<DEL>", 0.6], ["R", 0.3]], [["EY", 0.9]]]),
    _pred_word("CAT", [[["K", 0.9]], [["AE", 0.9]], [["T", 0.9]]]),
    _pred_word("OK", [[["OW", 0.9]], [["K", 0.9]]]),
]}


def test_sounded_like_top1_top3_and_deletions_on_hand_made_data():
    m = sounded_like_metrics([PRED], RATINGS)
    # substitutions: TH->S (top-1), DH->D (top-3 only), G->F (missed)
    assert m["n"] == 3 and m["top1_count"] == 1 and m["top3_count"] == 2
    assert m["top1"] == pytest.approx(1 / 3) and m["top3"] == pytest.approx(2 / 3)
    assert m["top1_canonical_count"] == 2  # DH and G were heard as themselves
    assert m["deletions"] == {"n": 1, "top1": 1.0, "top1_count": 1, "top3": 1.0, "top3_count": 1,
                              "top1_canonical": 0.0, "top1_canonical_count": 0}
    assert m["skipped"] == {"unk": 1, "distorted": 1, "multi_phone": 1, "same_as_canonical": 1, "no_prediction": 0}
    assert "ARPAbet" in m["description"]


def test_comparison_ignores_stress_and_case():
    ratings = {"u": {**SENTENCE, "words": [_gold_word("BUT", ["B", "AH1", "T"], [_mis("AH", 1, "ER0")])]}}
    pred = {"utt": "u", "sentence": SENTENCE, "words": [_pred_word("BUT", [[["B", 1.0]], [["er", 0.7]], [["T", 1.0]]])]}
    m = sounded_like_metrics([pred], ratings)
    assert (m["n"], m["top1_count"]) == (1, 1)


def test_old_prediction_files_without_sounded_like_still_score():
    old = json.loads(json.dumps(PRED))
    for w in old["words"]:
        del w["sounded_like"]
    m = score_predictions([old], RATINGS)
    assert m["phones"] == 14 and "pearson" in m and "mdd" in m
    sl = m["sounded_like"]
    assert sl["n"] == 0 and sl["top1"] is None and sl["deletions"]["top3"] is None
    assert sl["skipped"]["no_prediction"] == 4  # 3 substitutions + 1 deletion could not be checked


def test_score_predictions_reports_sounded_like_and_checks_it_is_parallel(tmp_path):
    path = tmp_path / "pred.jsonl"
    path.write_text(json.dumps(PRED) + "\n", encoding="utf-8")
    m = score_predictions(read_predictions(path), RATINGS)
    assert m["sounded_like"]["top1_count"] == 1 and m["sounded_like"]["deletions"]["n"] == 1
    bad = json.loads(json.dumps(PRED))
    bad["words"][0]["sounded_like"].pop()
    with pytest.raises(CorpusError, match="parallel"):
        score_predictions([bad], RATINGS)


def test_ipa_candidates_become_arpabet_with_deletions_and_merged_vowels():
    cands = [Candidate("ʌ", 0.5), Candidate("ə", 0.2), Candidate("∅", 0.25), Candidate("θ", 0.05)]
    assert sounded_like_arpabet(cands) == [["AH", 0.7], ["<DEL>", 0.25], ["TH", 0.05]]
    assert sounded_like_arpabet([Candidate("ɝ", 0.3), Candidate("ɚ", 0.3), Candidate("iː", 0.4)]) == [["ER", 0.6],
                                                                                                    ["IY", 0.4]]
    assert sounded_like_arpabet([Candidate("x", 1.0)]) == [["x", 1.0]]  # outside ARPAbet: kept as IPA
    assert sounded_like_arpabet([]) == []


def test_prediction_line_writes_sounded_like_parallel_to_phones():
    phones = [PhoneResult("θ", 0.1, 0.2, 40.0, -3.0, sounded_like=[Candidate("s", 0.8), Candidate("θ", 0.15)]),
              PhoneResult("ɪ", 0.2, 0.3, 95.0, -0.1, sounded_like=[Candidate("ɪ", 0.97)])]
    word = WordResult("think", 0, 0, 5, 0.1, 0.3, WordScores(70.0, None, 70.0), "mispronounced", phones)
    result = Assessment("think", "en", SentenceScores(70.0, 80.0, 100.0, 75.0, 78.0), [word], 1.0)
    line = prediction_line("u1", result)
    (w,) = line["words"]
    assert w["phones"] == [0.8, 1.9] and w["gop"] == [-3.0, -0.1]
    assert w["sounded_like"] == [[["S", 0.8], ["TH", 0.15]], [["IH", 0.97]]]
