"""`pronscore bench speechocean762`: one JSON line of predictions per utterance, on the
corpus's own scales, phones in the corpus's canonical order.

Reads only audio, `{split}/text`, `{split}/wav.scp`, `resource/text-phone` and
`resource/lexicon.txt` (never the ratings), so it runs on a test split without answers.

One line::

    {"utt": "000010011",
     "sentence": {"accuracy": 0-10, "completeness": 0-10, "fluency": 0-10, "prosodic": 0-10, "total": 0-10},
     "words": [{"text": "WE", "accuracy": 0-10, "stress": 5-10, "total": 0-10,
                "phones": [0-2, ...],            # phone i = the corpus's phone i of the word
                "gop": [raw GOP-SF-SD, ...],
                "sounded_like": [[["W", 0.93], ["<DEL>", 0.04]], ...]}]}

`sounded_like` (added after the first files were written; readers treat it as optional)
is parallel to `phones`: for each phone, at most 3 candidates of its substitution
posterior, best first, as `[symbol, probability]` with the symbol in ARPAbet without
stress (the corpus's `mispronunciations` use the same symbols) and a deletion as
`"<DEL>"`, the corpus's deletion token. It is `PhoneResult.sounded_like` (IPA) mapped
with `ipa_to_arpabet`; IPA candidates that fall on one ARPAbet symbol (ʌ and ə -> AH,
ɝ and ɚ -> ER) are summed. A phone outside ARPAbet keeps its IPA.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from pronscore.bench.corpus import CorpusUtterance, load_split
from pronscore.bench.metrics import CORPUS_DELETION
from pronscore.errors import PronscoreError
from pronscore.gop.analyze import DELETION_SYMBOL
from pronscore.result import Assessment, Candidate
from pronscore.text.arpabet import ipa_to_arpabet
from pronscore.text.reference import reference_from_arpabet
from pronscore.text.types import Reference


def corpus_reference(utt: CorpusUtterance) -> Reference:
    """The utterance's canonical phones, exactly as the corpus lists them."""
    return reference_from_arpabet([(w.text, list(w.phones)) for w in utt.words], utt.text)


SOUNDED_LIKE_TOP_K = 3


def sounded_like_arpabet(candidates: list[Candidate], k: int = SOUNDED_LIKE_TOP_K) -> list[list[Any]]:
    """IPA "sounded like" candidates -> up to `k` `[ARPAbet symbol without stress, prob]`, best first.

    A deletion (∅) becomes "<DEL>"; candidates that map to one symbol are summed.
    """
    merged: dict[str, float] = {}
    for c in candidates:
        symbol = CORPUS_DELETION if c.ipa == DELETION_SYMBOL else (ipa_to_arpabet(c.ipa) or c.ipa)
        merged[symbol] = merged.get(symbol, 0.0) + float(c.prob)
    ranked = sorted(merged.items(), key=lambda item: -item[1])[:k]
    return [[symbol, round(prob, 4)] for symbol, prob in ranked]


def prediction_line(utt: str, result: Assessment) -> dict[str, Any]:
    """Product scale (0-100) -> corpus scales: sentence and word 0-10, stress 5-10, phones 0-2;
    per phone also the raw GOP and the ARPAbet "sounded like" candidates (module docstring)."""
    s = result.scores
    words = []
    for w in result.scored_words():
        stress = w.scores.stress
        words.append({
            "text": w.text,
            "accuracy": round(w.scores.accuracy / 10.0, 4),
            "stress": round(10.0 if stress is None else 5.0 + stress / 20.0, 4),
            "total": round(w.scores.total / 10.0, 4),
            "phones": [round(p.score / 50.0, 4) for p in w.phones],
            "gop": [round(p.gop, 5) for p in w.phones],
            "sounded_like": [sounded_like_arpabet(p.sounded_like) for p in w.phones],
        })
    return {"utt": utt, "sentence": {"accuracy": round(s.accuracy / 10.0, 4), "completeness": round(s.completeness / 10.0, 4),
                                     "fluency": round(s.fluency / 10.0, 4), "prosodic": round(s.prosody / 10.0, 4),
                                     "total": round(s.overall / 10.0, 4)},
            "words": words}


def _warn_if_trained_on(session, utts: list[CorpusUtterance], root: str | Path) -> None:
    """A head trained on this corpus (whisper-ctc): say so when its training speakers are scored,
    since their scores are optimistic (the head's unseen speakers are recorded in its weights)."""
    from pronscore.bench.acoustic import heldout_speakers

    unseen, _, trained_here = heldout_speakers(session.acoustic, None, Path(root))
    seen = sorted({u.speaker for u in utts} - set(unseen))
    if trained_here and seen:
        print(f"note: the {session.acoustic.name} head was trained on this corpus; {len(seen)} of the speakers here "
              f"may be among its training speakers, whose scores are optimistic. Held-out figures: speakers "
              f"{', '.join(unseen)}, or `pronscore bench oof`.", file=sys.stderr)


def predict_corpus(args) -> None:
    from pronscore.api import Session

    utts = load_split(args.root, args.split)
    if args.limit:
        utts = utts[: args.limit]
    session = Session(acoustic=args.acoustic, acoustic_path=args.acoustic_path, scorer=args.scorer,
                      max_seconds=args.max_seconds)
    _warn_if_trained_on(session, utts, args.root)
    out = Path(args.predictions)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    failures = 0
    with out.open("w", encoding="utf-8") as f:
        for k, utt in enumerate(utts, 1):
            try:
                result = session.assess(utt.wav_path, corpus_reference(utt))
            except PronscoreError as exc:
                # One unreadable file must not lose the rest; it is reported and left out.
                failures += 1
                print(f"{utt.utt}: skipped: {exc}", file=sys.stderr)
                continue
            f.write(json.dumps(prediction_line(utt.utt, result)) + "\n")
            if k % 50 == 0 or k == len(utts):
                print(f"[{k}/{len(utts)}] {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    print(f"wrote {len(utts) - failures} predictions to {out} ({failures} skipped)", file=sys.stderr)
