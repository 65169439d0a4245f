"""`pronscore bench oof`: the benchmark artifact of a trained scorer's out-of-fold predictions.

`train-scorer` predicts every rated utterance with a model that never trained on its speaker
(speaker-disjoint folds) and writes those predictions to its cache directory; this command
scores them with the same metrics as `bench score` and records how they were made (from the
training report), so `benchmarks/` holds the honest held-out-speaker figures of the shipped scorer.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pronscore.bench.corpus import load_ratings
from pronscore.bench.metrics import read_predictions, score_predictions
from pronscore.errors import CorpusError


def oof_benchmark(report: dict[str, Any], predictions: list[dict[str, Any]], ratings: dict[str, Any]) -> dict[str, Any]:
    m = score_predictions(predictions, ratings)
    aux = report.get("aux_acoustic")
    views = report["acoustic"] + (f" + {aux} as a second view" if aux else "")
    heads = " (its evidence from speaker-disjoint cross-fitted heads)" if report.get("cross_fitted_heads") else ""
    return {
        "description": ("Out-of-fold, speaker-disjoint predictions: each utterance is scored by a model that never "
                        f"trained on its speaker ({report.get('validation', '')}); the phone-score calibration is "
                        f"cross-fitted on the same folds. Learner: {report['chosen']} (chosen among "
                        f"{len(report['learners'])} by mean out-of-fold Pearson, so its figures carry a small "
                        f"selection optimism); acoustic: {views}{heads}. Not comparable to published numbers on the "
                        "official test split."),
        "root_name": report["root_name"], "split": report["split"], "scorer": "learned-" + report["chosen"],
        "acoustic": report["acoustic"], "aux_acoustic": aux, "seed": report.get("seed"),
        **m,
        "sounded_like_fit": report.get("sounded_like"),
        "error_thresholds": report.get("error_thresholds"),
        "learners_compared": {k: {"mean_pearson": v["mean_pearson"], "pearson": v["pearson"], "mdd_f1": v["mdd"]["f1"]}
                              for k, v in report["learners"].items()},
    }


def run_oof_bench(args) -> None:
    report_path = Path(args.report)
    if not report_path.is_file():
        raise CorpusError(f"training report not found: {report_path}")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    ratings = load_ratings(args.root)
    if not ratings:
        raise CorpusError(f"no ratings under {args.root}")
    out = oof_benchmark(report, read_predictions(args.predictions), ratings)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({"pearson": out["pearson"], "mdd": out["mdd"]}, indent=1))
