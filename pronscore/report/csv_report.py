"""One CSV row per phone: for spreadsheets and batch analysis."""
from __future__ import annotations

import csv
import io

from pronscore.result import Assessment

COLUMNS = ["utterance", "word_index", "word", "word_error", "word_accuracy", "phone_index", "phone", "phone_error",
           "phone_score", "gop", "start", "end", "sounded_like"]


def to_csv_rows(result: Assessment, utterance: str = "") -> list[dict]:
    rows = []
    for w in result.words:
        for k, p in enumerate(w.phones):
            rows.append({"utterance": utterance, "word_index": w.index, "word": w.text, "word_error": w.error,
                         "word_accuracy": round(w.scores.accuracy, 2), "phone_index": k, "phone": p.ipa,
                         "phone_error": p.error, "phone_score": round(p.score, 2), "gop": round(p.gop, 4),
                         "start": None if p.start is None else round(p.start, 3),
                         "end": None if p.end is None else round(p.end, 3),
                         "sounded_like": " ".join(f"{c.ipa}:{c.prob:.2f}" for c in p.sounded_like)})
    return rows


def to_csv(result: Assessment, utterance: str = "") -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(to_csv_rows(result, utterance))
    return buf.getvalue()
