"""`bench oof`: scoring a trained scorer's out-of-fold predictions."""
from pronscore.bench.oof import oof_benchmark


def _ratings():
    words = [{"text": "A", "accuracy": 9, "stress": 10, "total": 9, "phones-accuracy": [2.0, 1.0]},
             {"text": "B", "accuracy": 4, "stress": 10, "total": 5, "phones-accuracy": [0.0]}]
    return {f"u{i}": {"accuracy": 5 + i, "completeness": 10, "fluency": 6 + i, "prosodic": 6 + i, "total": 5 + i,
                      "words": words} for i in range(4)}


def _pred(i):
    return {"utt": f"u{i}", "sentence": {"accuracy": 5 + i, "completeness": 10, "fluency": 6 + i, "prosodic": 6 + i,
                                          "total": 5 + i},
            "words": [{"text": "A", "accuracy": 9, "stress": 10, "total": 9, "phones": [1.9, 1.1]},
                      {"text": "B", "accuracy": 4, "stress": 10, "total": 5, "phones": [0.2]}]}


def test_oof_benchmark_scores_and_describes():
    report = {"root_name": "so", "split": "train", "chosen": "lgbm", "acoustic": "whisper-ctc", "aux_acoustic": "hama",
              "cross_fitted_heads": True, "seed": 0, "validation": "speaker-disjoint 5-fold",
              "learners": {"lgbm": {"mean_pearson": 0.5, "pearson": {}, "mdd": {"f1": 0.4}}}}
    out = oof_benchmark(report, [_pred(i) for i in range(4)], _ratings())
    assert out["pearson"]["sentence_accuracy"] > 0.99 and out["pearson"]["phone"] > 0.9
    assert out["mdd"]["f1"] == 1.0  # the phone rated 0 is the only one predicted below 0.5
    assert "hama as a second view" in out["description"] and "cross-fitted heads" in out["description"]
