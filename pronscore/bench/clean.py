"""`pronscore bench clean-readings`: false alarms on correct readings.

The Piper voice reads sentences exactly as written (deterministic synthesis), each reading is
assessed against its own text, and every word or phone given an error label is a false alarm
(as far as a natural synthetic voice counts as a correct reading). Content words and function
words are counted apart: function words are reduced in fluent speech, and a correct reading
should get no errors on its content words. Sentences come from a file (one per line), from
the distinct sentences of a speechocean762-layout split (evenly spaced in sorted order), or
else from the speed benchmark's six sentences.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pronscore.errors import CorpusError


def pick_sentences(texts: list[str], n: int) -> list[str]:
    """`n` of the distinct texts, evenly spaced in sorted order (deterministic)."""
    distinct = sorted({t.strip() for t in texts if t.strip()})
    if n >= len(distinct):
        return distinct
    step = len(distinct) / n
    return [distinct[int(i * step)] for i in range(n)]


def false_alarms(assessments: list[tuple[str, Any]]) -> dict[str, Any]:
    """Counts of error labels on (sentence, Assessment) pairs of correct readings."""
    from pronscore.scoring.meaning_change import is_function_word

    words = {"content": Counter(), "function": Counter()}
    phones: Counter = Counter()
    flagged = []
    for text, result in assessments:
        for w in result.words:
            if w.error == "inserted":
                words["content"]["inserted"] += 1
                flagged.append({"sentence": text, "word": w.text, "error": "inserted", "phones": []})
                continue
            kind = "function" if is_function_word(w.text) else "content"
            words[kind]["words"] += 1
            words[kind][w.error] += 1
            if w.error == "none":
                continue
            bad = [p for p in w.phones if p.error != "none"]
            for p in bad:
                heard = p.sounded_like[0].ipa if p.sounded_like else None
                phones[f"{p.ipa}>{heard} {p.error}"] += 1
            flagged.append({"sentence": text, "word": w.text, "kind": kind, "error": w.error,
                            "phones": [{"ipa": p.ipa, "score": round(p.score, 1), "error": p.error,
                                        "sounded_like": [c.ipa for c in p.sounded_like]} for p in bad]})
    content = words["content"]
    n_content = content["words"]
    return {
        "content_words": n_content,
        "content_words_flagged": n_content - content["none"],
        "content_word_false_alarm_rate": (n_content - content["none"]) / n_content if n_content else None,
        "by_error": {k: {e: c for e, c in v.items() if e != "words"} for k, v in words.items()},
        "function_words": words["function"]["words"],
        "function_words_flagged": words["function"]["words"] - words["function"]["none"],
        "sentences_without_content_errors": sum(
            1 for text, r in assessments
            if not any(f["sentence"] == text and f.get("kind", "content") == "content" for f in flagged)),
        "phone_labels": dict(phones.most_common()),
        "flagged": flagged,
    }


def run_clean_bench(args) -> None:
    from pronscore.api import Session
    from pronscore.bench.synth import PiperSpeaker

    if args.sentences:
        path = Path(args.sentences)
        if not path.is_file():
            raise CorpusError(f"sentence file not found: {path}")
        texts = path.read_text(encoding="utf-8").splitlines()
        source = str(path)
    elif args.root:
        from pronscore.bench.corpus import load_split

        texts = [u.text for u in load_split(args.root, args.split)]
        source = f"{Path(args.root).resolve().name}/{args.split}"
    else:
        from pronscore.bench.synth import SENTENCES

        texts, source = list(SENTENCES), "pronscore.bench.synth.SENTENCES"
    if args.limit is not None and args.limit < 1:
        raise CorpusError(f"--limit must be 1 or more, got {args.limit}")
    sentences = pick_sentences(texts, args.limit or len(texts))
    if not sentences:
        raise CorpusError(f"no sentences in {source}")
    speaker = PiperSpeaker()
    session = Session(acoustic=args.acoustic, acoustic_path=args.acoustic_path, scorer=args.scorer)
    t0 = time.perf_counter()
    assessments = []
    for text in sentences:
        # Piper reads sentence case better than the corpus's capitals (it spells some all-caps words).
        spoken = text[:1].upper() + text[1:].lower()
        assessments.append((text, session.assess(speaker.samples(spoken), text, sample_rate=speaker.sample_rate)))
    report = {
        "description": "Piper (joe-us, deterministic) reads each sentence as written; every error label on its own "
                       "reading is counted as a false alarm. Content vs function words as in "
                       "pronscore/scoring/meaning_change.py FUNCTION_WORDS.",
        "source": source, "sentences": len(sentences), "acoustic": args.acoustic,
        "scorer": getattr(session.scorer, "meta", {}).get("name", "heuristic"),
        **false_alarms(assessments),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{report['content_words_flagged']} of {report['content_words']} content words flagged "
          f"({report['by_error']['content']}), {report['function_words_flagged']} of {report['function_words']} "
          f"function words; {report['sentences_without_content_errors']} of {len(sentences)} sentences clean; "
          f"wrote {out}")
