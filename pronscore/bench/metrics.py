"""Metrics of speechocean762 predictions against the expert ratings.

Pearson per aspect (phone, word accuracy/stress/total, sentence accuracy/completeness/
fluency/prosodic/total) and mispronunciation detection (a phone rated below 0.5 of 2 is
mispronounced; a predicted phone score below 0.5 detects it): precision, recall, F1.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from pronscore.bench.corpus import load_ratings
from pronscore.errors import CorpusError

SENTENCE_ASPECTS = ("accuracy", "completeness", "fluency", "prosodic", "total")
WORD_ASPECTS = ("accuracy", "stress", "total")


def pearson(x: list[float], y: list[float]) -> float | None:
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def read_predictions(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.is_file():
        raise CorpusError(f"predictions file not found: {p}")
    rows = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{p}:{n}: not a JSON line ({exc.msg})") from exc
    return rows


def score_predictions(preds: list[dict[str, Any]], ratings: dict[str, Any]) -> dict[str, Any]:
    pairs: dict[str, tuple[list[float], list[float]]] = {}

    def add(name: str, pred: float, true: float) -> None:
        pairs.setdefault(name, ([], []))
        pairs[name][0].append(float(pred))
        pairs[name][1].append(float(true))

    tp = fp = fn = 0
    n_utts = 0
    for row in preds:
        gold = ratings.get(row["utt"])
        if gold is None:
            continue
        n_utts += 1
        for a in SENTENCE_ASPECTS:
            if a in gold and a in row["sentence"]:
                add(f"sentence_{a}", row["sentence"][a], gold[a])
        if len(gold["words"]) != len(row["words"]):
            raise CorpusError(f"{row['utt']}: {len(row['words'])} predicted words, {len(gold['words'])} rated")
        for pw, gw in zip(row["words"], gold["words"]):
            for a in WORD_ASPECTS:
                add(f"word_{a}", pw[a], gw[a])
            if len(pw["phones"]) != len(gw["phones-accuracy"]):
                raise CorpusError(f"{row['utt']} word '{gw['text']}': phone count differs from the ratings")
            for k, (pp, gp) in enumerate(zip(pw["phones"], gw["phones-accuracy"])):
                add("phone", pp, gp)
                if "gop" in pw:
                    add("phone_raw_gop", pw["gop"][k], gp)
                pred_bad, gold_bad = pp < 0.5, gp < 0.5
                tp += pred_bad and gold_bad
                fp += pred_bad and not gold_bad
                fn += gold_bad and not pred_bad
    pcc = {k: pearson(*v) for k, v in pairs.items()}
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"utterances": n_utts, "phones": len(pairs.get("phone", ([], []))[0]), "pearson": pcc,
            "mdd": {"precision": precision, "recall": recall, "f1": f1, "true_positive": tp,
                    "false_positive": fp, "false_negative": fn}}


def score_predictions_cli(args) -> None:
    ratings = load_ratings(args.root)
    if not ratings:
        raise CorpusError(f"no ratings (resource/scores.json) under {args.root}: cannot score predictions")
    metrics = score_predictions(read_predictions(args.predictions), ratings)
    metrics.update({"root_name": Path(args.root).resolve().name, "split": args.split,
                    "predictions": str(args.predictions)})
    out = Path(args.out or f"benchmarks/speechocean762-{args.split}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"pearson": metrics["pearson"], "mdd": metrics["mdd"]}, indent=2))
