"""`pronscore bench acoustic`: how good is an acoustic backend on its own?

For every utterance of a speechocean762-layout split, the backend's `posteriors()` runs once
(timed alone, one thread) and gives:

- phone error rate (PER) of the greedy CTC decode against the canonical phones
  (`resource/text-phone`, lexicon fallback), over all phones and over the phones the experts
  rated 2 of 2 (where `resource/scores.json` has ratings);
- raw GOP-SF-SD per canonical phone, computed exactly as `Session.assess` computes it
  (`pronscore.gop.analyze.analyze` with the Session's phone mapper and inventory), and its
  Pearson correlation with the expert phone scores;
- real-time factor of `posteriors()` alone, and the hours of audio measured.

Every metric is reported on all utterances and on a held-out speaker subset: the shipped
whisper-ctc head was trained on speechocean762 utterances, so only speakers it never heard
give a fair figure (see the `note` in the output JSON).

Common inventory for the PER: the canonical IPA phone goes through the Session's
`PhoneMapper` onto the backend's vocabulary (as the GOP code does); that symbol and every
decoded symbol are then mapped onto the 39 ARPAbet phones (as IPA) by model spellings
(`gop.variants.SPELLINGS`) and a second `PhoneMapper` (exact, variant, base symbol, PanPhon
nearest), with ə counted as ʌ and ɚ as ɝ: speechocean762 marks most monosyllables with stress 0
("CUP K AH0 P"), so its labels cannot tell those qualities apart. Non-phone tokens (blank, word
boundary, bare diacritics) are dropped from the decode.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
_CHILD_ENV = "PRONSCORE_BENCH_ACOUSTIC_CHILD"
RATED_FULL = 2.0  # "rated 2": the experts' mean phone score is 2 of 2
#: Qualities the corpus's labels cannot separate (see the module docstring).
MERGED = {"ə": "ʌ", "ɚ": "ɝ"}


# =======================================================================================
# Alignment and phone error rate (pure functions)
@dataclass
class AlignOp:
    op: str  # "match" | "sub" | "del" | "ins"
    ref: int | None  # index into the reference (None for an insertion)
    hyp: int | None  # index into the hypothesis (None for a deletion)
    gap: int | None = None  # for an insertion: it lies before reference position `gap` (0..len(ref))


def align(ref: Sequence[Any], hyp: Sequence[Any]) -> list[AlignOp]:
    """Levenshtein alignment of hyp to ref with a backtrace (unit costs).

    Ties prefer a match or substitution, then a deletion, then an insertion, so the
    alignment is deterministic. Every insertion records the gap it lies in: gap g is
    between reference positions g-1 and g (gap 0 before the first, gap len(ref) after the last).
    """
    n, m = len(ref), len(hyp)
    dist = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        dist[i][0] = i
    for j in range(1, m + 1):
        dist[0][j] = j
    for i in range(1, n + 1):
        row, prev = dist[i], dist[i - 1]
        r = ref[i - 1]
        for j in range(1, m + 1):
            row[j] = min(prev[j - 1] + (r != hyp[j - 1]), prev[j] + 1, row[j - 1] + 1)
    ops: list[AlignOp] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and dist[i][j] == dist[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            ops.append(AlignOp("match" if ref[i - 1] == hyp[j - 1] else "sub", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and dist[i][j] == dist[i - 1][j] + 1:
            ops.append(AlignOp("del", i - 1, None))
            i -= 1
        else:
            ops.append(AlignOp("ins", None, j - 1, gap=i))
            j -= 1
    ops.reverse()
    return ops


@dataclass
class PerCounts:
    """Edit operations against `phones` reference phones."""

    phones: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float | None:
        return self.errors / self.phones if self.phones else None

    def __iadd__(self, other: "PerCounts") -> "PerCounts":
        self.phones += other.phones
        self.substitutions += other.substitutions
        self.deletions += other.deletions
        self.insertions += other.insertions
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"rate": _round(self.rate), "errors": self.errors, **asdict(self)}


def per_counts(ref: Sequence[Any], hyp: Sequence[Any],
               scored: Sequence[bool] | None = None) -> tuple[PerCounts, PerCounts]:
    """(counts over all reference phones, counts over the scored phones only).

    scored[i] marks the reference positions that count (the phones rated 2); None: all count.
    Over the scored phones, a substitution or deletion counts when it falls on a scored
    position, and an inserted phone counts once (not once per neighbour) when every reference
    position next to its gap is scored: next to a phone the experts marked down, an extra
    sound may be what the speaker actually said.
    """
    n = len(ref)
    scored = [True] * n if scored is None else [bool(s) for s in scored]
    if len(scored) != n:
        raise ValueError(f"{len(scored)} scored flags for {n} reference phones")
    full = PerCounts(phones=n)
    part = PerCounts(phones=sum(scored))
    for a in align(ref, hyp):
        if a.op == "match":
            continue
        if a.op == "sub":
            full.substitutions += 1
            part.substitutions += scored[a.ref]
        elif a.op == "del":
            full.deletions += 1
            part.deletions += scored[a.ref]
        else:
            full.insertions += 1
            neighbours = [k for k in (a.gap - 1, a.gap) if 0 <= k < n]
            if neighbours and all(scored[k] for k in neighbours):
                part.insertions += 1
    return full, part


def phone_error_rate(pairs: Iterable[tuple[Sequence[Any], Sequence[Any]]]) -> float | None:
    """Corpus-level PER: total edit operations over total reference phones."""
    total = PerCounts()
    for ref, hyp in pairs:
        total += per_counts(ref, hyp)[0]
    return total.rate


# =======================================================================================
# The common inventory
class CommonInventory:
    """Maps canonical phones and decoded model symbols onto the 39 ARPAbet phones (IPA)."""

    def __init__(self, session_mapper) -> None:
        from pronscore.gop.phoneset import PhoneMapper
        from pronscore.gop.variants import SPELLINGS
        from pronscore.text.arpabet import ARPABET_TO_IPA

        self.phones = list(dict.fromkeys(ARPABET_TO_IPA.values()))
        self._session_mapper = session_mapper
        self._to_inventory = PhoneMapper(self.phones, list(range(len(self.phones))))
        self._spelling = {s: ipa for ipa, spells in SPELLINGS.items() for s in spells}
        self.decoded_methods: Counter = Counter()  # how decoded symbols reached the inventory
        self.decoded_nearest: Counter = Counter()  # which symbols needed the PanPhon nearest phone

    def symbol(self, sym: str) -> tuple[str, str]:
        """(inventory phone, mapping method) of a model symbol or IPA phone."""
        sym = self._spelling.get(sym, sym)
        sym = MERGED.get(sym, sym)
        m = self._to_inventory.map(sym)
        return MERGED.get(m.symbol, m.symbol), m.method

    def canonical(self, ipa: str) -> str:
        """A reference phone: onto the backend's vocabulary as the GOP code maps it, then onto the inventory."""
        return self.symbol(self._session_mapper.map(ipa).symbol)[0]

    def decoded(self, sym: str) -> str:
        phone, method = self.symbol(sym)
        self.decoded_methods[method] += 1
        if method == "nearest":
            self.decoded_nearest[f"{sym}->{phone}"] += 1
        return phone


def decode_phones(log_probs, blank_id: int, vocab: Sequence[str], phone_ids: Iterable[int]) -> list[str]:
    """Greedy CTC decode, keeping only phone tokens (no blank, word boundary or bare diacritic)."""
    from pronscore.acoustic.whisper_ctc import greedy_decode

    keep = set(phone_ids)
    return [vocab[t] for t in greedy_decode(log_probs, blank_id=blank_id) if t in keep]


# =======================================================================================
# Helpers
def parse_speakers(value: str | None) -> list[str] | None:
    """A comma/space-separated list, or a file with one speaker per line (or the same list)."""
    if not value:
        return None
    p = Path(value)
    text = p.read_text(encoding="utf-8") if p.is_file() else value
    return sorted({s.strip() for s in text.replace(",", " ").split() if s.strip()})


def phone_ratings(entry: dict | None, word_lengths: list[int]) -> list[float | None]:
    """Expert phone scores parallel to the canonical phones; None where the word is unrated or misaligned."""
    out: list[float | None] = []
    words = (entry or {}).get("words", [])
    for i, n in enumerate(word_lengths):
        acc = words[i].get("phones-accuracy", []) if i < len(words) else []
        out.extend([float(a) for a in acc] if len(acc) == n else [None] * n)
    return out


def _round(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(float(x), nd)


def _git_commit() -> dict[str, Any]:
    repo = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return {"commit": None}
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "pronscore"], cwd=repo,
                                capture_output=True, text=True, timeout=10)
        return {"commit": commit.stdout.strip(), "pronscore_tree_modified": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None}


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _progress(items: list, desc: str):
    try:
        from tqdm import tqdm
    except ImportError:
        return _SimpleProgress(items, desc)
    return tqdm(items, desc=desc, file=sys.stderr, unit="utt")


class _SimpleProgress:
    def __init__(self, items: list, desc: str) -> None:
        self.items, self.desc = items, desc

    def __iter__(self):
        t0 = time.perf_counter()
        n = len(self.items)
        for k, item in enumerate(self.items, 1):
            yield item
            if k % 25 == 0 or k == n:
                print(f"{self.desc}: {k}/{n} ({time.perf_counter() - t0:.0f}s)", file=sys.stderr, flush=True)


# =======================================================================================
# The benchmark
@dataclass
class UttResult:
    utt: str
    speaker: str
    audio_s: float
    posteriors_s: float
    per_all: PerCounts
    per_rated2: PerCounts
    per_rated2_free_errors: int  # training-style validation PER (train_head.free_position_edit_distance)
    gop: list[float]
    mean_log_post: list[float]
    ratings: list[float | None]


def heldout_speakers(model: Any, override: list[str] | None, root: Path) -> tuple[list[str], str, bool]:
    """(speakers, where they come from, whether the measured model was trained on this corpus)."""
    meta = getattr(getattr(model, "weights", None), "meta", None)
    trained_here = False
    if isinstance(meta, dict):
        data = str(meta.get("data", ""))
        trained_root = data.rsplit(" split ", 1)[0] if data else ""
        try:
            trained_here = bool(trained_root) and Path(trained_root).resolve() == root.resolve()
        except OSError:
            trained_here = False
        if not trained_here and trained_root:
            trained_here = Path(trained_root).name == root.resolve().name
    if override:
        return override, "given with --heldout-speakers", trained_here
    if isinstance(meta, dict) and meta.get("val_speakers"):
        spk = sorted(set(meta["val_speakers"]) | set(meta.get("excluded_speakers") or []))
        return spk, "validation (never trained on) speakers of the measured head, from its weights' metadata", trained_here
    try:
        from pronscore.acoustic.whisper_ctc import CtcHeadWeights, default_weights_path

        shipped = CtcHeadWeights.load(default_weights_path()).meta
        if shipped.get("val_speakers"):
            return (sorted(shipped["val_speakers"]),
                    "validation speakers of the shipped whisper-ctc head (so both backends are compared on the "
                    "same phones)", trained_here)
    except Exception:  # noqa: BLE001 - the shipped head is optional here
        pass
    return [], "none available", trained_here


def _summary(results: list[UttResult]) -> dict[str, Any]:
    from pronscore.bench.metrics import pearson

    if not results:
        return {"utterances": 0}
    per_all, per_r2 = PerCounts(), PerCounts()
    free_err = 0
    gop_x, gop_y, lp_x = [], [], []
    for r in results:
        per_all += r.per_all
        per_r2 += r.per_rated2
        free_err += r.per_rated2_free_errors
        for g, lp, y in zip(r.gop, r.mean_log_post, r.ratings):
            if y is not None:
                gop_x.append(g)
                lp_x.append(lp)
                gop_y.append(y)
    audio = sum(r.audio_s for r in results)
    post = sum(r.posteriors_s for r in results)
    rtfs = sorted(r.posteriors_s / r.audio_s for r in results if r.audio_s > 0)
    gop_r = pearson(gop_x, gop_y)
    lp_r = pearson(lp_x, gop_y)
    return {
        "utterances": len(results),
        "speakers": len({r.speaker for r in results}),
        "audio_hours": round(audio / 3600.0, 4),
        "per": per_all.to_dict(),
        "per_rated2": per_r2.to_dict(),
        "per_rated2_free": _round(free_err / per_r2.phones) if per_r2.phones else None,
        "rated_phones": len(gop_y),
        "gop_pearson": _round(gop_r),
        "mean_log_post_pearson": _round(lp_r),
        "rtf_posteriors": _round(post / audio if audio else None),
        "rtf_posteriors_median": _round(rtfs[len(rtfs) // 2] if rtfs else None),
        "posteriors_seconds": round(post, 2),
    }


def measure(args) -> dict[str, Any]:
    """Run the benchmark in this process and return the report (see `run_acoustic_bench`)."""
    from pronscore.acoustic.train_head import free_position_edit_distance
    from pronscore.api import Session
    from pronscore.audio import prepare_audio
    from pronscore.bench.corpus import load_ratings, load_split
    from pronscore.bench.so762 import corpus_reference
    from pronscore.errors import PronscoreError
    from pronscore.gop.analyze import analyze

    t_start = time.perf_counter()
    load_before = _load_average()
    root = Path(args.root)
    utts = load_split(root, args.split)
    only = parse_speakers(getattr(args, "speakers", None))
    if only:
        utts = [u for u in utts if u.speaker in set(only)]
    if getattr(args, "limit", None):
        utts = utts[: args.limit]
    if not utts:
        from pronscore.errors import CorpusError

        raise CorpusError(f"no utterances to measure under {root}/{args.split} (check --speakers)")
    ratings = load_ratings(root)
    # The heuristic scorer: the benchmark never scores, so it needs no learned scorer loaded.
    session = Session(acoustic=args.acoustic, acoustic_path=args.acoustic_path, scorer="heuristic",
                      max_seconds=getattr(args, "max_seconds", 300.0) or 300.0)
    model = session.acoustic
    inventory = CommonInventory(session.mapper)
    phone_ids = session._phone_ids  # the tokens Session treats as phones
    held, held_source, trained_here = heldout_speakers(model, parse_speakers(getattr(args, "heldout_speakers", None)),
                                                       root)

    results: list[UttResult] = []
    skipped: list[dict[str, str]] = []
    warmed = False
    load_samples: list[float | None] = []
    for u in _progress(utts, f"bench acoustic {args.acoustic}"):
        try:
            ref = corpus_reference(u)
            audio = prepare_audio(u.wav_path, None, min_seconds=session.min_seconds, max_seconds=session.max_seconds)
            if not warmed:  # lazy initialisation inside a backend is not part of its speed
                model.posteriors(audio.samples, audio.sample_rate)
                warmed = True
            t = time.perf_counter()
            post = model.posteriors(audio.samples, audio.sample_rate)
            post_s = time.perf_counter() - t
            ev = analyze(post, [w.phones for w in ref.words], [w.stress for w in ref.words], session.mapper,
                         session._inventory(ref.language), ref.language)
        except PronscoreError as exc:
            skipped.append({"utt": u.utt, "error": str(exc)})
            print(f"{u.utt}: skipped: {exc}", file=sys.stderr)
            continue
        canon = [inventory.canonical(p) for w in ref.words for p in w.phones]
        hyp = [inventory.decoded(s) for s in decode_phones(post.log_probs, post.blank_id, post.vocab, phone_ids)]
        rated = phone_ratings(ratings.get(u.utt), [len(w.phones) for w in ref.words])
        scored = [r is not None and r >= RATED_FULL for r in rated]
        full, part = per_counts(canon, hyp, scored)
        free_err = free_position_edit_distance(hyp, canon, [not s for s in scored]) if any(scored) else 0
        if len(results) % 50 == 0:
            load_samples.append(_load_average())
        results.append(UttResult(
            utt=u.utt, speaker=u.speaker, audio_s=float(audio.duration), posteriors_s=post_s,
            per_all=full, per_rated2=part, per_rated2_free_errors=int(free_err),
            gop=[float(p.gop) for p in ev.phones], mean_log_post=[float(p.mean_log_post) for p in ev.phones],
            ratings=rated,
        ))

    held_set = set(held)
    held_results = [r for r in results if r.speaker in held_set]
    name = args.acoustic
    if trained_here:
        note = (f"The {name} backend's weights were trained on this corpus ({root.resolve().name}); the 'all' figures "
                f"include utterances it was trained on and are optimistic. Only 'heldout' ({len(held)} speakers the "
                f"head never trained on; they also chose its early-stopping epoch, so still slightly optimistic) "
                f"estimates performance on new speakers.")
    elif name == "hama":
        note = ("hama is a third-party multilingual phone recognizer; speechocean762 is not known to be in its "
                "training data. 'heldout' is the whisper-ctc head's validation speaker subset, reported so the "
                "backends can be compared on the same phones; for whisper-ctc only that subset is fair.")
    else:
        note = ("The measured weights do not record this corpus as their training data; 'heldout' is the speaker "
                "subset named in heldout_source.")
    report = {
        "command": "pronscore bench acoustic",
        "acoustic": name,
        "backend": model.info(),
        "root": str(root),
        "root_name": root.resolve().name,
        "split": args.split,
        "utterances_requested": len(utts),
        "n_utterances": len(results),
        "skipped": skipped,
        "note": note,
        "heldout_speakers": held,
        "heldout_source": held_source,
        "trained_on_this_corpus": trained_here,
        "metrics": {"all": _summary(results), "heldout": _summary(held_results)},
        "decoded_symbols": {"mapping_methods": dict(inventory.decoded_methods),
                            "nearest_mapped": dict(inventory.decoded_nearest.most_common(20))},
        "definitions": {
            "per": "greedy CTC decode (argmax per frame, repeats merged, blanks and non-phone tokens dropped) vs the "
                   "canonical phones, Levenshtein alignment: (substitutions + deletions + insertions) / canonical "
                   "phones, summed over utterances",
            "per_rated2": "same alignment, over the canonical phones whose expert score is 2 of 2 (utterances without "
                          "ratings contribute nothing): substitutions and deletions at those positions, plus each "
                          "inserted phone whose neighbouring canonical phones are all rated 2 (counted once)",
            "per_rated2_free": "training-style validation PER (pronscore.acoustic.train_head): phones rated below 2 "
                               "may be matched, substituted or deleted at no cost; over the phones rated 2",
            "inventory": "39 ARPAbet phones as IPA; the canonical phone is mapped by the Session's PhoneMapper onto "
                         "the backend's vocabulary first (as the GOP code does); model spellings merged "
                         "(gop.variants.SPELLINGS); decoded symbols outside the inventory take the nearest phone "
                         "(PanPhon); ə counted as ʌ and ɚ as ɝ (the corpus's stress marks cannot separate them)",
            "gop_pearson": "Pearson r of raw GOP-SF-SD (as Session.assess computes it) with the expert phone "
                           "scores (0-2), over all rated phones",
            "mean_log_post_pearson": "Pearson r of the mean log posterior of the canonical symbol over its "
                                     "Viterbi-aligned frames with the expert phone scores",
            "rtf_posteriors": "seconds in the backend's posteriors() call alone / seconds of audio, one thread, "
                              "after one warm-up call; audio loading, resampling and GOP are not included",
        },
        "threads": 1,
        "thread_env": {v: os.environ.get(v) for v in THREAD_VARS},
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(),
                    # other jobs share the machine: a load above 1 per core slows the timed calls
                    "load_average_1min": {"start": load_before, "end": _load_average(),
                                          "mean_during": _round(_mean([x for x in load_samples if x is not None]), 2)}},
        "git": _git_commit(),
        "date": time.strftime("%Y-%m-%d"),
        "seconds": round(time.perf_counter() - t_start, 1),
    }
    return report


def _child_argv(args) -> list[str]:
    argv = ["bench", "acoustic", "--root", str(args.root), "--split", args.split, "--acoustic", args.acoustic,
            "--out", str(_out_path(args))]
    for flag, attr in (("--acoustic-path", "acoustic_path"), ("--limit", "limit"), ("--speakers", "speakers"),
                       ("--heldout-speakers", "heldout_speakers"), ("--max-seconds", "max_seconds")):
        value = getattr(args, attr, None)
        if value is not None:
            argv += [flag, str(value)]
    return argv


def _out_path(args) -> Path:
    return Path(getattr(args, "out", None) or f"benchmarks/acoustic-{args.acoustic}.json")


def run_acoustic_bench(args) -> None:
    """`pronscore bench acoustic`: writes the report JSON (default benchmarks/acoustic-<name>.json).

    The measurement runs in a child process whose BLAS/OpenMP pools are limited to one thread
    (set before numpy or the backend loads), so the RTF is a one-core figure.
    """
    if os.environ.get(_CHILD_ENV) != "1":
        env = dict(os.environ, **{v: "1" for v in THREAD_VARS}, **{_CHILD_ENV: "1"})
        rc = subprocess.run([sys.executable, "-m", "pronscore.cli", *_child_argv(args)], env=env).returncode
        if rc != 0:
            raise SystemExit(rc)
        return
    report = measure(args)
    out = _out_path(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for part in ("all", "heldout"):
        m = report["metrics"][part]
        if not m.get("utterances"):
            print(f"{part}: no utterances", file=sys.stdout)
            continue
        print(f"{part}: {m['utterances']} utts, {m['speakers']} speakers, {m['audio_hours']} h; "
              f"PER {m['per']['rate']}, PER(rated 2) {m['per_rated2']['rate']}, "
              f"GOP r {m['gop_pearson']}, RTF {m['rtf_posteriors']}")
    print(f"-> {out}")


__all__ = ["AlignOp", "align", "PerCounts", "per_counts", "phone_error_rate", "CommonInventory", "decode_phones",
           "parse_speakers", "phone_ratings", "heldout_speakers", "measure", "run_acoustic_bench"]
