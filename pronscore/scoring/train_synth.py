"""Evidence and training rows of synthesized error clips (`train-scorer --synth-errors N`).

The clips come from `pronscore.scoring.synth_errors` (eSpeak NG reading a corpus sentence
with one phone replaced, and its clean twin). Each clip goes through the same evidence
extraction as a real utterance (`EvidenceExtractor`: the Session's acoustic model, GOP and
fluency layers, against the *canonical* sentence), cached as one `.npz` per clip under
`<cache_dir>/<acoustic>/synth/` (audio under `<cache_dir>/synth-audio/`), keyed by what the
clip says and by which voice, rate and pitch.

Rows (phone level only, like error injection):
- the substituted phone of a clip: label 0 (the audio really says another phone);
- the clean twin's phones: label 2 (the audio says the canonical phone), either every phone
  ("all") or only the phone the twin substitutes ("pair": a matched contrast, same voice,
  same position, so a learner cannot tell the two apart by the voice alone).
A phone eSpeak did not say as asked (its own US English rules flap /t/, merge /ə ɹ/ into
[ɚ]) gets no row. The rows are training-only: no synthetic clip has ratings or a speaker of
the corpus, so none is ever validated on; `fit_stack` adds them to every training side.
"""
from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pronscore.bench.corpus import CorpusUtterance
from pronscore.errors import CorpusError, PronscoreError
from pronscore.scoring.features import EvidenceArrays

SYNTH_CACHE_VERSION = 1


@dataclass
class SynthItem:
    """The evidence of one synthesized clip, scored against its canonical sentence."""

    key: str  # the clip's cache key (text, phones said, voice, rate, pitch)
    text: str
    clean: bool  # the twin without the substitution
    evidence: EvidenceArrays
    said: np.ndarray  # bool [N]: eSpeak said the phone asked for
    flat: int  # index of the (substituted, or in the twin the would-be substituted) phone


@dataclass
class SynthRows:
    """Phone-level training rows from synthesized clips (features as `phone_features` gives them)."""

    wrong_X: np.ndarray  # [M, F], label 0
    clean_X: np.ndarray  # [C, F], label 2: every phone eSpeak said as asked in the clean twins
    pair_X: np.ndarray  # [P, F], label 2: the clean twin's phone at each substituted position
    stats: dict[str, int | float] = field(default_factory=dict)

    def phone_rows(self, clean: str) -> tuple[np.ndarray, np.ndarray]:
        """(X, y) for a learner: `clean` is "none", "pair" or "all"."""
        parts = [(self.wrong_X, 0.0)]
        if clean == "all":
            parts.append((self.clean_X, 2.0))
        elif clean == "pair":
            parts.append((self.pair_X, 2.0))
        elif clean != "none":
            raise ValueError(f"unknown clean-twin rule {clean!r}")
        X = np.concatenate([x for x, _ in parts])
        return X, np.concatenate([np.full(len(x), y) for x, y in parts])


def head_for_text(text: str, heads: list[Path]) -> Path:
    """A cross-fitted head for a synthetic clip, deterministic by sentence (no head heard eSpeak,
    so any will do; spreading the clips keeps each head's quirks in proportion)."""
    h = int(hashlib.sha1(f"synth-head:{text}".encode("utf-8")).hexdigest()[:12], 16)
    return heads[h % len(heads)]


def fold_head_list(folds_dir: str | Path) -> list[Path]:
    """The trained heads of a `folds.json` directory, in fold order."""
    from pronscore.scoring.train import load_fold_heads

    return sorted(set(load_fold_heads(folds_dir).values()), key=lambda p: p.name)


def canonical_sentences(utts: list[CorpusUtterance]) -> dict[str, CorpusUtterance]:
    """Sentence text -> the utterance whose canonical phones stand for it (the first by id:
    the corpus lists the same phones for every reading of a sentence)."""
    out: dict[str, CorpusUtterance] = {}
    for u in sorted(utts, key=lambda u: u.utt):
        out.setdefault(u.text, u)
    return out


def _load(path: Path) -> SynthItem | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as d:
            if int(d["version"][0]) != SYNTH_CACHE_VERSION:
                return None
            return SynthItem(str(d["key"]), str(d["text"]), bool(d["clean"]), EvidenceArrays.from_npz_dict(d, "canon/"),
                             d["said"].astype(bool), int(d["flat"]))
    except (OSError, KeyError, ValueError):
        return None  # a partial or stale file is rebuilt


def build_synth_cache(utts: list[CorpusUtterance], n: int, acoustic: str, acoustic_path: str | None, cache_dir: Path,
                      seed: int = 0, max_seconds: float = 300.0, fold_heads: str | Path | None = None,
                      clean: bool = True, progress: bool = True) -> tuple[list[SynthItem], dict[str, float]]:
    """Evidence of the synthesized clips of `n` sentences of `utts` (each substituted clip, and
    its clean twin when `clean`), computed once and reused. Returns the items and timing stats."""
    from tqdm import tqdm

    from pronscore.bench.so762 import corpus_reference
    from pronscore.scoring.confusables import confusables
    from pronscore.scoring.synth_errors import cached_clip, choose_sentences, plan_sentence
    from pronscore.scoring.train import EvidenceExtractor, cache_name

    by_text = canonical_sentences(utts)
    texts = choose_sentences(list(by_text), n, seed)
    heads = fold_head_list(fold_heads) if fold_heads is not None else None
    name = cache_name(acoustic, fold_heads)
    ev_dir = Path(cache_dir) / name / "synth"
    audio_dir = Path(cache_dir) / "synth-audio"
    ev_dir.mkdir(parents=True, exist_ok=True)
    conf = confusables()
    extractors: dict[str | None, EvidenceExtractor] = {}
    items: list[SynthItem] = []
    stats = {"sentences": len(texts), "no_substitution": 0, "clips_made": 0, "synth_s": 0.0, "evidence_s": 0.0}
    for text in tqdm(texts, desc=f"synthesized errors ({name})", disable=not progress, file=sys.stderr):
        ref = corpus_reference(by_text[text])
        plan = plan_sentence(text, [w.text for w in ref.words], [w.phones for w in ref.words],
                             [w.stress for w in ref.words], seed, conf)
        if plan is None:
            stats["no_substitution"] += 1
            continue
        model_path = acoustic_path if heads is None else str(head_for_text(text, heads))
        for is_clean in ((False, True) if clean else (False,)):
            key = plan.key(is_clean)
            fold_tag = "" if heads is None else f"-{Path(model_path).stem}"
            path = ev_dir / f"{key}{fold_tag}.npz"
            item = _load(path)
            if item is None:
                t = time.perf_counter()
                clip = cached_clip(plan, is_clean, audio_dir)
                t1 = time.perf_counter()
                extractor = extractors.get(model_path)
                if extractor is None:
                    extractor = extractors[model_path] = EvidenceExtractor(acoustic, model_path, max_seconds)
                try:
                    arrays = extractor.extract_clip(clip.audio, ref)
                except PronscoreError as exc:
                    print(f"synthesized {text!r}: skipped: {exc}", file=sys.stderr)
                    continue
                stats["synth_s"] += t1 - t
                stats["evidence_s"] += time.perf_counter() - t1
                stats["clips_made"] += 1
                arrays.update({"key": np.array(key), "text": np.array(text), "clean": np.array(is_clean),
                               "said": clip.said(), "flat": np.array(plan.substitution.flat),
                               "version": np.array([SYNTH_CACHE_VERSION])})
                tmp = path.with_suffix(".tmp.npz")
                np.savez_compressed(tmp, **arrays)
                tmp.replace(path)
                item = _load(path)
            if item is not None:
                items.append(item)
    return items, stats


def attach_synth_aux(items: list[SynthItem], aux_items: list[SynthItem]) -> list[SynthItem]:
    """Pair each clip's evidence with the second backend's evidence of the same clip (by key);
    an unpaired clip is left out, as for real utterances."""
    by_key = {(a.key, a.clean): a for a in aux_items}
    out = []
    for it in items:
        a = by_key.get((it.key, it.clean))
        if a is None or a.evidence.n_phones != it.evidence.n_phones:
            continue
        it.evidence.aux = a.evidence
        out.append(it)
    return out


def synth_rows(items: list[SynthItem], n_features: int) -> SynthRows:
    """Training rows of the clips (see the module docstring). `n_features` is the real rows'
    width: a clip whose features differ (no second view) cannot join them."""
    from pronscore.scoring.features import phone_features

    wrong, clean, pair = [], [], []
    said_wrong: set[str] = set()  # sentences whose substituted clip gives a label-0 row
    dropped = 0
    for it in items:
        if it.clean:
            continue
        X = phone_features(it.evidence)
        if X.shape[1] != n_features:
            raise CorpusError(f"synthesized clip features ({X.shape[1]}) differ from the utterances' ({n_features})")
        if not it.said[it.flat]:
            dropped += 1  # eSpeak's own rules undid the substitution: not known wrong
            continue
        wrong.append(X[it.flat])
        said_wrong.add(it.text)
    twins = [it for it in items if it.clean]
    for it in twins:
        X = phone_features(it.evidence)
        clean.append(X[it.said])
        if it.said[it.flat] and it.text in said_wrong:
            pair.append(X[it.flat])
    F = n_features
    rows = SynthRows(np.array(wrong).reshape(-1, F), np.concatenate(clean) if clean else np.zeros((0, F)),
                     np.array(pair).reshape(-1, F))
    rows.stats = {"substituted_clips": sum(1 for it in items if not it.clean), "clean_clips": len(twins),
                  "wrong_rows": len(rows.wrong_X), "clean_rows": len(rows.clean_X), "pair_rows": len(rows.pair_X),
                  "substitution_not_said": dropped}
    return rows
