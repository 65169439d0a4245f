"""Metrics of speechocean762 predictions against the expert ratings.

Pearson per aspect (phone, word accuracy/stress/total, sentence accuracy/completeness/
fluency/prosodic/total) and mispronunciation detection (a phone rated below 0.5 of 2 is
mispronounced; a predicted phone score below 0.5 detects it): precision, recall, F1.

"Sounded like" identification (`sounded_like_metrics`): the corpus's per-word
`mispronunciations` entries name the phone the annotators heard instead of the canonical
one. For each entry whose heard phone is a real phone other than the canonical one, is
the prediction's `sounded_like` top-1 that phone, and is it among the top 3? Deletions
(`<DEL>`) are counted separately; `<unk>`, distorted phones (`X*`, the canonical phone
said with an accent) and multi-phone realisations ("IH R") are skipped and counted.
Phones are compared as ARPAbet without stress, so vowels the acoustic models do not
tell apart cannot count as errors: AH0/AH1 (ə/ʌ) are both AH, ER0/ER1 (ɚ/ɝ) both ER
(whisper-ctc has one token for each pair; hama's separate tokens are summed).
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from pronscore.bench.corpus import load_ratings
from pronscore.errors import CorpusError

SENTENCE_ASPECTS = ("accuracy", "completeness", "fluency", "prosodic", "total")
WORD_ASPECTS = ("accuracy", "stress", "total")
CORPUS_DELETION = "<DEL>"  # speechocean762's "pronounced-phone" for a deleted phone
CORPUS_UNKNOWN = "<unk>"
SOUNDED_LIKE_DESCRIPTION = (
    "For each corpus mispronunciation whose heard phone is a real phone other than the canonical one: "
    "share where the predicted sounded_like top-1 is that phone (top1) or it is among the top 3 (top3). "
    "ARPAbet without stress (AH0/AH1 = ə/ʌ and ER0/ER1 = ɚ/ɝ compare equal; the acoustic models merge them). "
    "top1_canonical: share where the top-1 was the canonical phone. Deletions (<DEL>) separately; "
    "<unk>, distorted (X*) and multi-phone entries skipped; no_prediction: entries whose prediction "
    "file has no sounded_like."
)
_STRESS_DIGIT = re.compile(r"[012]$")


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


def _base_symbol(symbol: str) -> str:
    """ARPAbet without stress digit, upper case ("ah0" -> "AH"); special tokens unchanged."""
    symbol = symbol.strip()
    return symbol if symbol.startswith("<") else _STRESS_DIGIT.sub("", symbol.upper())


def _entry_kind(heard: str, canonical: str) -> str:
    if heard == CORPUS_DELETION:
        return "deletion"
    if heard.lower() == CORPUS_UNKNOWN:
        return "unk"
    if heard.endswith("*"):
        return "distorted"
    if len(heard.split()) > 1:
        return "multi_phone"
    if _base_symbol(heard) == canonical:
        return "same_as_canonical"
    return "substitution"


class _SoundedLikeTally:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()

    def add(self, predicted: list | None, gold_word: dict[str, Any]) -> None:
        """`predicted`: the word's `sounded_like` (None for predictions without it)."""
        for entry in gold_word.get("mispronunciations") or []:
            heard = str(entry.get("pronounced-phone", "")).strip()
            canonical = _base_symbol(str(entry.get("canonical-phone", "")))
            kind = _entry_kind(heard, canonical)
            if kind not in ("substitution", "deletion"):
                self.skipped[kind] += 1
                continue
            index = int(entry["index"])
            if predicted is None or not 0 <= index < len(predicted) or not predicted[index]:
                self.skipped["no_prediction"] += 1
                continue
            ranked = [_base_symbol(str(candidate[0])) for candidate in predicted[index]]
            target = heard if kind == "deletion" else _base_symbol(heard)
            prefix = "del_" if kind == "deletion" else ""
            self.counts[prefix + "n"] += 1
            self.counts[prefix + "top1"] += ranked[0] == target
            self.counts[prefix + "top3"] += target in ranked[:3]
            self.counts[prefix + "top1_canonical"] += ranked[0] == canonical

    def result(self) -> dict[str, Any]:
        def block(prefix: str) -> dict[str, Any]:
            n = self.counts[prefix + "n"]
            out: dict[str, Any] = {"n": n}
            for key in ("top1", "top3", "top1_canonical"):
                out[key] = self.counts[prefix + key] / n if n else None
                out[key + "_count"] = self.counts[prefix + key]
            return out

        return {**block(""), "deletions": block("del_"),
                "skipped": {k: self.skipped[k] for k in
                            ("unk", "distorted", "multi_phone", "same_as_canonical", "no_prediction")},
                "description": SOUNDED_LIKE_DESCRIPTION}


def sounded_like_metrics(preds: list[dict[str, Any]], ratings: dict[str, Any]) -> dict[str, Any]:
    """"Sounded like" identification of the corpus's mispronunciation entries (module docstring).

    Returns {"n", "top1", "top3", "top1_canonical" (rates, None when n is 0) and their
    "*_count"s, "deletions": the same for <DEL> entries, "skipped": counts per reason,
    "description"}. Words must line up as in `score_predictions`.
    """
    tally = _SoundedLikeTally()
    for row in preds:
        gold = ratings.get(row["utt"])
        if gold is None:
            continue
        for pw, gw in zip(row["words"], gold["words"]):
            tally.add(pw.get("sounded_like"), gw)
    return tally.result()


def score_predictions(preds: list[dict[str, Any]], ratings: dict[str, Any]) -> dict[str, Any]:
    pairs: dict[str, tuple[list[float], list[float]]] = {}

    def add(name: str, pred: float, true: float) -> None:
        pairs.setdefault(name, ([], []))
        pairs[name][0].append(float(pred))
        pairs[name][1].append(float(true))

    tp = fp = fn = 0
    n_utts = 0
    sounded_like = _SoundedLikeTally()
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
            if "sounded_like" in pw and len(pw["sounded_like"]) != len(pw["phones"]):
                raise CorpusError(f"{row['utt']} word '{gw['text']}': sounded_like is not parallel to phones")
            sounded_like.add(pw.get("sounded_like"), gw)
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
                    "false_positive": fp, "false_negative": fn},
            "sounded_like": sounded_like.result()}


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
    summary = {k: v for k, v in metrics["sounded_like"].items() if k != "description"}
    print(json.dumps({"pearson": metrics["pearson"], "mdd": metrics["mdd"], "sounded_like": summary}, indent=2))
