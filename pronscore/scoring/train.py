"""`pronscore train-scorer`: fit the learned scorer on a speechocean762-layout directory.

Steps:
1. Evidence cache: the Session's acoustic model, GOP analysis and fluency/prosody layers run
   once per utterance; the numeric evidence (`EvidenceArrays`), the context vector and
   error-injected variants are stored as one `.npz` per utterance under
   `<cache_dir>/<acoustic>/` (default `~/.cache/pronscore/features`, env `PRONSCORE_FEATURE_CACHE`).
2. Error injection (self-supervised rows): the real audio is re-analysed against a reference
   where one well-rated phone is replaced by a PanPhon-near English phone, or where a phone
   the speaker never said is inserted. The changed phone is known wrong: label 0.
   Synthesized errors (`--synth-errors N`, `train_synth.py`): the mirror image, eSpeak NG reads
   a corpus sentence with one phone replaced; scored against the canonical sentence, that
   phone is known wrong (label 0), and its clean twin's phones are right (label 2).
   Training-only rows, added to every fold's training side.
3. Speaker-disjoint K-fold: every learner is trained on the same folds; predictions are
   made with the exported numpy model exactly as `LearnedScorer` makes them at run time,
   and scored with `pronscore.bench.metrics.score_predictions`.
4. The best learner (by mean validation Pearson over the aspects) is refit on all
   utterances and written as a numpy-only `.npz`, next to a report JSON.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pronscore.bench.corpus import CorpusUtterance, load_ratings, load_split
from pronscore.errors import CorpusError, PronscoreError
from pronscore.gop.analyze import DELETION_SYMBOL
from pronscore.scoring.base import UtteranceContext
from pronscore.scoring.features import FEATURE_VERSION, INVENTORY, EvidenceArrays, context_vector, evidence_arrays

if TYPE_CHECKING:
    from pronscore.scoring.train_synth import SynthRows

DEFAULT_CACHE_DIR = Path(os.environ.get("PRONSCORE_FEATURE_CACHE", Path.home() / ".cache" / "pronscore" / "features"))
CACHE_VERSION = 2  # of the stored evidence (independent of FEATURE_VERSION: features are rebuilt from it)
INJECTIONS_PER_UTTERANCE = 3  # two substitutions and one inserted phone


# =======================================================================================
# 1. Evidence cache
@dataclass
class CachedUtterance:
    utt: str
    speaker: str
    evidence: EvidenceArrays
    ctx_vec: np.ndarray
    word_stress: list[float | None]
    injected: list[tuple[EvidenceArrays, int, int]]  # (variant evidence, changed phone index, source phone index or -1)


def _confusables() -> dict[str, list[str]]:
    """For each English phone, the 3 nearest other English phones (see `pronscore.scoring.confusables`)."""
    from pronscore.scoring.confusables import confusables

    return confusables()


def _utt_rng(utt: str, seed: int) -> np.random.Generator:
    h = int(hashlib.sha1(f"{utt}:{seed}".encode()).hexdigest()[:12], 16)
    return np.random.default_rng(h)


def _injection_plans(words_ipa: list[list[str]], rng: np.random.Generator,
                     confusables: dict[str, list[str]]) -> list[tuple[list[list[str]], int, int]]:
    """(changed words, changed flat phone index, source flat index or -1 for an insertion)."""
    flat = [(wi, pi, p) for wi, w in enumerate(words_ipa) for pi, p in enumerate(w)]
    plans = []
    candidates = [k for k, (_, _, p) in enumerate(flat) if confusables.get(p)]
    for k in rng.permutation(candidates)[:2] if candidates else []:
        wi, pi, p = flat[int(k)]
        new = [list(w) for w in words_ipa]
        new[wi][pi] = str(rng.choice(confusables[p]))
        plans.append((new, int(k), int(k)))
    # A phone nobody said: a consonant inserted inside a word (never next to the same phone).
    consonants = [p for p in INVENTORY if p in ("p", "t", "k", "s", "f", "m", "n", "l", "d", "b", "ɡ", "z")]
    if flat:
        k = int(rng.integers(0, len(flat) + 1))
        wi, pi = (flat[k][0], flat[k][1]) if k < len(flat) else (flat[-1][0], len(words_ipa[flat[-1][0]]))
        neighbours = {words_ipa[wi][j] for j in (pi - 1, pi) if 0 <= j < len(words_ipa[wi])}
        choices = [c for c in consonants if c not in neighbours]
        new = [list(w) for w in words_ipa]
        new[wi].insert(pi, str(rng.choice(choices)))
        plans.append((new, k, -1))
    return plans


class _RecordingAcoustic:
    """Wraps a Session's acoustic model and keeps the last posteriors (re-used for error injection)."""

    def __init__(self, inner: Any):
        self._inner = inner
        self.last = None

    def posteriors(self, *args: Any, **kwargs: Any):
        self.last = self._inner.posteriors(*args, **kwargs)
        return self.last

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _CapturingScorer:
    """Stands in for the Session's scorer: records the evidence and context the scorer receives."""

    name = "capture"

    def __init__(self) -> None:
        from pronscore.scoring.heuristic import HeuristicScorer

        self._heuristic = HeuristicScorer()
        self.last: tuple[Any, UtteranceContext, np.ndarray] | None = None

    def score(self, ev, ctx: UtteranceContext):
        # The context vector is taken now: the Session updates the fluency dict after scoring (WCPM).
        self.last = (ev, ctx, context_vector(ctx))
        return self._heuristic.score(ev, ctx)

    def info(self) -> dict[str, Any]:
        return {"scorer": self.name}


class EvidenceExtractor:
    """Runs `Session.assess` and keeps what its scorer receives, so training features are exactly
    those a scorer sees at run time (whatever the fluency/prosody layers compute today).
    The feedback step is skipped on this private Session: it does not feed the scorer."""

    def __init__(self, acoustic: str, acoustic_path: str | None = None, max_seconds: float = 300.0):
        from pronscore.api import Session

        self.session = Session(acoustic=acoustic, acoustic_path=acoustic_path, scorer="heuristic",
                               max_seconds=max_seconds)
        self.acoustic = _RecordingAcoustic(self.session.acoustic)
        self.capture = _CapturingScorer()
        self.session.acoustic = self.acoustic
        self.session.scorer = self.capture
        if hasattr(self.session, "_add_feedback"):
            self.session._add_feedback = lambda *a, **k: None  # feedback text does not feed the scorer
        self.confusables = _confusables()

    def _assess(self, audio: Any, ref, sample_rate: int | None = None) -> tuple[Any, UtteranceContext, dict[str, np.ndarray]]:
        """(evidence, context, npz dict of the canonical evidence, context vector and word stress)."""
        self.capture.last = None
        self.session.assess(audio, ref, sample_rate=sample_rate)
        ev, ctx, ctx_vec = self.capture.last
        out = evidence_arrays(ev, len(ref.words)).to_npz_dict("canon/")
        out["ctx_vec"] = ctx_vec
        out["word_stress"] = np.array([np.nan if v is None else float(v) for v in ctx.word_stress], dtype=np.float64)
        return ev, ctx, out

    def extract_clip(self, audio: np.ndarray, ref, sample_rate: int = 16000) -> dict[str, np.ndarray]:
        """The evidence of a synthesized clip against `ref` (no error injection: the audio carries the error)."""
        return self._assess(audio, ref, sample_rate)[2]

    def extract(self, utt: CorpusUtterance, seed: int) -> dict[str, np.ndarray]:
        from pronscore.bench.so762 import corpus_reference
        from pronscore.gop.analyze import analyze

        s = self.session
        ref = corpus_reference(utt)
        ev, ctx, out = self._assess(utt.wav_path, ref)
        post = self.acoustic.last
        inventory = list(ev.inventory_ipa)
        words_ipa = [w.phones for w in ref.words]
        stress = [w.stress for w in ref.words]
        meta = []
        for j, (new_words, changed, source) in enumerate(_injection_plans(words_ipa, _utt_rng(utt.utt, seed), self.confusables)):
            # Stress marks follow the word's phones: an inserted consonant carries none.
            new_stress = [list(st) for st in stress]
            if source < 0:
                wi, pi = _word_pos(words_ipa, changed)
                new_stress[wi].insert(pi, None)
            v = analyze(post, new_words, new_stress, s.mapper, inventory, ref.language)
            out.update(evidence_arrays(v, len(ref.words)).to_npz_dict(f"inj{j}/"))
            meta.append((changed, source))
        out["inj_meta"] = np.array(meta, dtype=np.int64).reshape(-1, 2)
        out["version"] = np.array([CACHE_VERSION, int(round(ctx.duration_s * 16000))])
        return out


def _word_pos(words_ipa: list[list[str]], flat_k: int) -> tuple[int, int]:
    k = 0
    for wi, w in enumerate(words_ipa):
        if flat_k <= k + len(w) - 1 or (wi == len(words_ipa) - 1):
            return wi, flat_k - k
        k += len(w)
    return len(words_ipa) - 1, len(words_ipa[-1])


def cache_path(cache_dir: Path, acoustic: str, utt: str) -> Path:
    return Path(cache_dir) / acoustic / f"{utt}.npz"


def load_cached(path: Path, utt: CorpusUtterance) -> CachedUtterance | None:
    if not path.is_file():
        return None
    try:
        d = np.load(path, allow_pickle=False)
        if int(d["version"][0]) != CACHE_VERSION:
            return None
        ev = EvidenceArrays.from_npz_dict(d, "canon/")
        meta = d["inj_meta"]
        injected = [(EvidenceArrays.from_npz_dict(d, f"inj{j}/"), int(meta[j, 0]), int(meta[j, 1]))
                    for j in range(len(meta))]
        ws = [None if np.isnan(v) else float(v) for v in d["word_stress"]]
        return CachedUtterance(utt.utt, utt.speaker, ev, np.asarray(d["ctx_vec"]), ws, injected)
    except (OSError, KeyError, ValueError):
        return None  # a partial or stale file is rebuilt


def load_fold_heads(folds_dir: str | Path) -> dict[str, Path]:
    """utterance id -> the cross-fitted acoustic head that never heard its speaker
    (`folds.json` written by `train_speaker_folds` / `pronscore train-acoustic --folds`)."""
    folds_dir = Path(folds_dir)
    spec_path = folds_dir / "folds.json"
    if not spec_path.is_file():
        raise CorpusError(f"{spec_path} not found: cross-fitted heads come from `pronscore train-acoustic --folds K`")
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    weights = {int(k): folds_dir / v for k, v in spec.get("weights", {}).items()}
    missing = sorted({int(f) for f in spec["utt_to_fold"].values()} - set(weights))
    if missing:
        raise CorpusError(f"{folds_dir}: fold head(s) {missing} not trained yet")
    return {u: weights[int(f)] for u, f in spec["utt_to_fold"].items()}


def cache_name(acoustic: str, fold_heads: str | Path | None) -> str:
    """Cached evidence of cross-fitted heads never mixes with that of the shipped model."""
    return acoustic if fold_heads is None else f"{acoustic}@{Path(fold_heads).name}"


# Extractors of one worker process (see _extract_to_cache): each model is loaded once per worker.
# Only ever filled inside pool workers, never in the process that calls build_cache.
_WORKER_EXTRACTORS: dict[tuple[str, str | None], "EvidenceExtractor"] = {}


def _save_evidence(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")  # per process: parallel workers never share one
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)


def _extract_to_cache(job: tuple) -> tuple[str, str | None]:
    """Pool worker: one utterance's evidence into the cache; (utterance id, error message or None)."""
    utt, acoustic, model_path, max_seconds, seed, path = job
    key = (acoustic, model_path)
    if key not in _WORKER_EXTRACTORS:
        _WORKER_EXTRACTORS[key] = EvidenceExtractor(acoustic, model_path, max_seconds)
    try:
        arrays = _WORKER_EXTRACTORS[key].extract(utt, seed)
    except PronscoreError as exc:
        return utt.utt, str(exc)
    _save_evidence(Path(path), arrays)
    return utt.utt, None


def default_workers() -> int:
    """Evidence workers: one per CPU, at most 4 (each holds its own models, ~0.3-0.5 GB)."""
    return max(1, min(os.cpu_count() or 1, 4))


def build_cache(utts: list[CorpusUtterance], acoustic: str, acoustic_path: str | None, cache_dir: Path,
                seed: int = 0, max_seconds: float = 300.0, progress: bool = True,
                fold_heads: str | Path | None = None, workers: int = 1) -> list[CachedUtterance]:
    """Evidence for every utterance, computed once and reused; unreadable files are skipped and reported.

    fold_heads: a directory of cross-fitted heads (see `load_fold_heads`); each utterance is then
    analysed by the head trained without its speaker, so a scorer learns from posteriors as good
    (and as bad) as the shipped head gives on new speakers.
    """
    from tqdm import tqdm

    out: list[CachedUtterance] = []
    head_of = load_fold_heads(fold_heads) if fold_heads is not None else None
    extractors: dict[str | None, EvidenceExtractor] = {}
    name = cache_name(acoustic, fold_heads)
    (Path(cache_dir) / name).mkdir(parents=True, exist_ok=True)

    def model_path_of(utt: CorpusUtterance) -> str | None:
        if head_of is None:
            return acoustic_path
        if utt.utt not in head_of:
            raise CorpusError(f"no cross-fitted head covers utterance {utt.utt} ({fold_heads}/folds.json)")
        return str(head_of[utt.utt])

    failed: dict[str, str] = {}
    missing = [u for u in utts if not cache_path(cache_dir, name, u.utt).is_file()]
    if workers > 1 and len(missing) > 1:
        # The acoustic models run one thread each: a process per CPU fills the cache about
        # `workers` times faster. "spawn": the native model engines are not fork-safe.
        import multiprocessing

        jobs = [(u, acoustic, model_path_of(u), max_seconds, seed, str(cache_path(cache_dir, name, u.utt)))
                for u in missing]
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for utt_id, error in tqdm(pool.imap_unordered(_extract_to_cache, jobs, chunksize=4), total=len(jobs),
                                      desc=f"evidence ({name}, {workers} workers)", disable=not progress,
                                      file=sys.stderr):
                if error is not None:
                    failed[utt_id] = error
    for utt in tqdm(utts, desc=f"evidence ({name})", disable=not progress, file=sys.stderr):
        path = cache_path(cache_dir, name, utt.utt)
        if utt.utt in failed:
            print(f"{utt.utt}: skipped: {failed[utt.utt]}", file=sys.stderr)
            continue
        item = load_cached(path, utt)
        if item is None:
            model_path = model_path_of(utt)
            extractor = extractors.get(model_path)
            if extractor is None:
                extractor = extractors[model_path] = EvidenceExtractor(acoustic, model_path, max_seconds)
            try:
                arrays = extractor.extract(utt, seed)
            except PronscoreError as exc:
                print(f"{utt.utt}: skipped: {exc}", file=sys.stderr)
                continue
            _save_evidence(path, arrays)
            item = load_cached(path, utt)
        if item is not None:
            out.append(item)
    return out


def attach_aux(items: list[CachedUtterance], aux_items: list[CachedUtterance]) -> list[CachedUtterance]:
    """Pair each utterance's evidence with the second model's evidence of the same phones.

    Error injections are seeded by utterance, so both caches hold the same variants; a variant
    whose plan differs is dropped rather than paired with the wrong one."""
    by_utt = {a.utt: a for a in aux_items}
    out = []
    for it in items:
        a = by_utt.get(it.utt)
        if a is None or a.evidence.n_phones != it.evidence.n_phones:
            print(f"{it.utt}: no matching second-view evidence, left out", file=sys.stderr)
            continue
        it.evidence.aux = a.evidence
        aux_inj = {(c, src): ev for ev, c, src in a.injected}
        kept = []
        for ev, c, src in it.injected:
            other = aux_inj.get((c, src))
            if other is not None and other.n_phones == ev.n_phones:
                ev.aux = other
                kept.append((ev, c, src))
        it.injected = kept
        out.append(it)
    return out


# =======================================================================================
# 2. Training rows
@dataclass
class UttRows:
    """One rated utterance ready for training: features of its phones and its labels."""

    item: CachedUtterance
    words_text: list[str]
    phone_X: np.ndarray  # [N, F]
    phone_y: np.ndarray  # [N] 0-2
    word_y: np.ndarray  # [W, 3] accuracy, stress, total
    utt_y: np.ndarray  # [5] accuracy, completeness, fluency, prosodic, total
    injected_X: np.ndarray  # [M, F] known-wrong phones (label 0)


def build_rows(items: list[CachedUtterance], utts: dict[str, CorpusUtterance], ratings: dict[str, Any]) -> list[UttRows]:
    """Pairs cached evidence with ratings; utterances whose phones differ from the ratings are left out."""
    from pronscore.scoring.features import phone_features

    rows: list[UttRows] = []
    for it in items:
        gold = ratings.get(it.utt)
        if gold is None:
            continue
        phone_y = np.array([float(v) for w in gold["words"] for v in w["phones-accuracy"]])
        if len(phone_y) != it.evidence.n_phones or len(gold["words"]) != it.evidence.n_words:
            print(f"{it.utt}: phones differ from the ratings, left out", file=sys.stderr)
            continue
        word_y = np.array([[w["accuracy"], w["stress"], w["total"]] for w in gold["words"]], dtype=np.float64)
        utt_y = np.array([gold[a] for a in ("accuracy", "completeness", "fluency", "prosodic", "total")], dtype=np.float64)
        inj = []
        for ev, changed, source in it.injected:
            # A substitution of a phone the experts rated as imperfect may match what was said: not known wrong.
            if source >= 0 and phone_y[source] < 2.0:
                continue
            inj.append(phone_features(ev)[changed])
        F = len(phone_features(it.evidence)[0]) if it.evidence.n_phones else 0
        rows.append(UttRows(it, [w["text"] for w in gold["words"]], phone_features(it.evidence), phone_y, word_y,
                            utt_y, np.array(inj).reshape(-1, F)))
    return rows


# =======================================================================================
# 3. Learners, exported to the numpy regressors of `learned.py`
# Ridge penalty per level (standardised features): fewer rows above the phone level, more shrinkage.
_RIDGE_ALPHA = {"phone": 10.0, "word": 30.0, "utt": 100.0}


@dataclass
class LearnerSpec:
    name: str
    kind: str  # "lgbm", "ridge", "transformer" or "ensemble"
    use_injection: bool
    params: dict[str, Any]
    # Rows of synthesized error clips (`--synth-errors`); params["synth_clean"] says which
    # clean-twin phones join them as label 2: "none", "pair" (the substituted position) or "all".
    use_synth: bool = False


# The clean-twin rule of the combined learners (lgbm+inject+synth...): see train_synth.py.
SYNTH_CLEAN = "pair"

LEARNERS: dict[str, LearnerSpec] = {
    "lgbm": LearnerSpec("lgbm", "lgbm", False, {}),
    "lgbm+inject": LearnerSpec("lgbm+inject", "lgbm", True, {}),
    "ridge": LearnerSpec("ridge", "ridge", False, {"alpha": _RIDGE_ALPHA}),
    "ridge+inject": LearnerSpec("ridge+inject", "ridge", True, {"alpha": _RIDGE_ALPHA}),
    "lgbm+inject0.3": LearnerSpec("lgbm+inject0.3", "lgbm", True, {"inject_weight": 0.3}),
    "transformer": LearnerSpec("transformer", "transformer", False, {}),
    "lgbm+transformer": LearnerSpec("lgbm+transformer", "ensemble", False, {}),
    "lgbm+inject+transformer": LearnerSpec("lgbm+inject+transformer", "ensemble", True, {}),
    "lgbm+synth": LearnerSpec("lgbm+synth", "lgbm", False, {"synth_clean": "none"}, True),
    "lgbm+synth+pair": LearnerSpec("lgbm+synth+pair", "lgbm", False, {"synth_clean": "pair"}, True),
    "lgbm+synth+clean": LearnerSpec("lgbm+synth+clean", "lgbm", False, {"synth_clean": "all"}, True),
    "lgbm+inject+synth": LearnerSpec("lgbm+inject+synth", "lgbm", True, {"synth_clean": SYNTH_CLEAN}, True),
    "lgbm+inject+synth+transformer": LearnerSpec("lgbm+inject+synth+transformer", "ensemble", True,
                                                 {"synth_clean": SYNTH_CLEAN}, True),
}

# Tree sizes per level: phones have tens of thousands of rows, utterances a thousand.
_LGBM_LEVEL = {
    "phone": dict(n_estimators=400, learning_rate=0.04, num_leaves=31, min_child_samples=40),
    "word": dict(n_estimators=250, learning_rate=0.04, num_leaves=15, min_child_samples=30),
    "utt": dict(n_estimators=250, learning_rate=0.03, num_leaves=7, min_child_samples=20),
}


def fit_ridge(X: np.ndarray, y: np.ndarray, alpha: float, weight: np.ndarray | None = None) -> "LinearModel":
    from pronscore.scoring.learned import LinearModel

    wt = np.ones(len(y)) if weight is None else weight
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    Z = (X - mean) / scale
    ybar = float(np.average(y, weights=wt))
    Zw = Z * wt[:, None]
    coef = np.linalg.solve(Z.T @ Zw + alpha * np.eye(Z.shape[1]), Zw.T @ (y - ybar))
    return LinearModel(mean=mean, scale=scale, coef=coef, intercept=ybar)


def fit_lgbm(X: np.ndarray, y: np.ndarray, level: str, seed: int, weight: np.ndarray | None = None) -> "TreeEnsemble":
    import lightgbm as lgb

    params = dict(_LGBM_LEVEL[level], subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0,
                  random_state=seed, n_jobs=1, verbose=-1)
    model = lgb.LGBMRegressor(**params).fit(X, y, sample_weight=weight)
    trees = export_lgbm(model.booster_)
    # The export must agree with LightGBM itself, or the shipped scores would differ from the measured ones.
    probe = X[: min(len(X), 256)]
    if not np.allclose(trees.predict(probe), model.predict(probe), atol=1e-6):
        raise RuntimeError("LightGBM export disagrees with LightGBM predictions")
    return trees


def export_lgbm(booster) -> "TreeEnsemble":
    """LightGBM trees -> flat node arrays (numerical splits, decision `<=`, no missing values in our features)."""
    from pronscore.scoring.learned import TreeEnsemble

    feature, threshold, left, right, value, roots = [], [], [], [], [], []
    max_depth = 0

    def add(node: dict, depth: int) -> int:
        nonlocal max_depth
        idx = len(feature)
        feature.append(-1); threshold.append(0.0); left.append(-1); right.append(-1); value.append(0.0)
        if "leaf_value" in node or "split_feature" not in node:
            value[idx] = float(node.get("leaf_value", 0.0))
            max_depth = max(max_depth, depth)
            return idx
        if node.get("decision_type", "<=") != "<=":
            raise RuntimeError("categorical splits are not supported by the numpy export")
        feature[idx] = int(node["split_feature"])
        threshold[idx] = float(node["threshold"])
        left[idx] = add(node["left_child"], depth + 1)
        right[idx] = add(node["right_child"], depth + 1)
        return idx

    for tree in booster.dump_model()["tree_info"]:
        roots.append(add(tree["tree_structure"], 0))
    return TreeEnsemble(feature=np.array(feature, dtype=np.int32), threshold=np.array(threshold),
                        left=np.array(left, dtype=np.int32), right=np.array(right, dtype=np.int32),
                        value=np.array(value), roots=np.array(roots, dtype=np.int32), base=0.0, max_depth=max_depth)


def _fit(spec: LearnerSpec, X: np.ndarray, y: np.ndarray, level: str, seed: int, weight: np.ndarray | None = None):
    if spec.kind in ("lgbm", "ensemble"):
        return fit_lgbm(X, y, level, seed, weight)
    if spec.kind == "ridge":
        return fit_ridge(X, y, spec.params["alpha"][level], weight)
    raise ValueError(f"unknown learner kind {spec.kind}")


def speaker_folds(speakers: list[str], k: int, seed: int) -> list[np.ndarray]:
    """Fold index per utterance; every speaker's utterances fall in one fold (balanced by count)."""
    rng = np.random.default_rng(seed)
    uniq = sorted(set(speakers))
    order = [uniq[i] for i in rng.permutation(len(uniq))]
    counts = {s: speakers.count(s) for s in uniq}
    load = np.zeros(k)
    fold_of: dict[str, int] = {}
    for s in sorted(order, key=lambda s: -counts[s]):  # greedy: largest speakers first into the lightest fold
        f = int(np.argmin(load))
        fold_of[s] = f
        load[f] += counts[s]
    return [np.array([i for i, s in enumerate(speakers) if fold_of[s] == f]) for f in range(k)]


def _word_X(r: UttRows, phone_pred: np.ndarray) -> np.ndarray:
    from pronscore.scoring.features import word_features

    return word_features(r.item.evidence, r.item.word_stress, phone_pred)


def _utt_X(r: UttRows, phone_pred: np.ndarray, word_pred: np.ndarray) -> np.ndarray:
    from pronscore.scoring.features import utterance_features

    return utterance_features(r.item.evidence, r.item.ctx_vec, phone_pred, word_pred)


def _clip(target: str, x: np.ndarray) -> np.ndarray:
    from pronscore.scoring.learned import TARGET_RANGE

    lo, hi = TARGET_RANGE[target]
    return np.clip(x, lo, hi)


def fit_stack(spec: LearnerSpec, rows: list[UttRows], seed: int, inner_folds: int = 3,
              synth: "SynthRows | None" = None) -> dict[str, Any]:
    """Phone model, word models on the phone model's cross-fitted predictions, utterance models on both.

    The word and utterance models must learn from phone predictions as noisy as those they
    will see on new speakers, so their inputs come from inner speaker-disjoint folds.
    Synthesized-error rows (`synth`, phone level) join every phone model's training side,
    inner folds included: they belong to no speaker and are never predicted.
    """
    from pronscore.scoring.learned import UTT_TARGETS, WORD_TARGETS

    inject_weight = float(spec.params.get("inject_weight", 1.0))

    def phone_data(sel: list[UttRows]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        X = [r.phone_X for r in sel]
        y = [r.phone_y for r in sel]
        w = [np.ones(len(r.phone_y)) for r in sel]
        if spec.use_injection:
            X += [r.injected_X for r in sel]
            y += [np.zeros(len(r.injected_X)) for r in sel]
            w += [np.full(len(r.injected_X), inject_weight) for r in sel]
        if spec.use_synth and synth is not None:
            sx, sy = synth.phone_rows(spec.params.get("synth_clean", "none"))
            X.append(sx)
            y.append(sy)
            w.append(np.ones(len(sy)))
        return np.concatenate(X), np.concatenate(y), np.concatenate(w)

    folds = speaker_folds([r.item.speaker for r in rows], inner_folds, seed + 1)
    phone_oof: list[np.ndarray] = [np.zeros(0)] * len(rows)
    for f, val in enumerate(folds):
        train = [rows[i] for i in np.setdiff1d(np.arange(len(rows)), val)]
        Xp, yp, wp = phone_data(train)
        m = _fit(spec, Xp, yp, "phone", seed, wp)
        for i in val:
            phone_oof[i] = _clip("phone", m.predict(rows[i].phone_X))
    word_X = [_word_X(r, p) for r, p in zip(rows, phone_oof)]
    word_oof = [np.zeros((len(x), 3)) for x in word_X]
    for f, val in enumerate(folds):
        tr = np.setdiff1d(np.arange(len(rows)), val)
        Xw = np.concatenate([word_X[i] for i in tr])
        for j, t in enumerate(WORD_TARGETS):
            m = _fit(spec, Xw, np.concatenate([rows[i].word_y[:, j] for i in tr]), "word", seed)
            for i in val:
                word_oof[i][:, j] = _clip(t, m.predict(word_X[i]))
    Xp, yp, wp = phone_data(rows)
    models: dict[str, Any] = {"phone": _fit(spec, Xp, yp, "phone", seed, wp)}
    Xw_all = np.concatenate(word_X)
    for j, t in enumerate(WORD_TARGETS):
        models[t] = _fit(spec, Xw_all, np.concatenate([r.word_y[:, j] for r in rows]), "word", seed)
    Xu = np.concatenate([_utt_X(r, p, w) for r, p, w in zip(rows, phone_oof, word_oof)])
    for j, t in enumerate(UTT_TARGETS):
        models[t] = _fit(spec, Xu, np.array([r.utt_y[j] for r in rows]), "utt", seed)
    return models


# =======================================================================================
# 4. Evaluation with the exported numpy models
def prediction_line(utt: str, words_text: list[str], scored, ev: EvidenceArrays) -> dict[str, Any]:
    """ScoredUtterance -> the benchmark's JSON line (same scales as `bench.so762.prediction_line`)."""
    words = []
    for wi, text in enumerate(words_text):
        sel = ev.word_index == wi
        stress = scored.word_stress[wi]
        words.append({"text": text, "accuracy": round(float(scored.word_accuracy[wi]) / 10.0, 4),
                      "stress": round(10.0 if stress is None else 5.0 + stress / 20.0, 4),
                      "total": round(float(scored.word_total[wi]) / 10.0, 4),
                      "phones": [round(float(s) / 50.0, 4) for s in scored.phone_scores[sel]],
                      "gop": [round(float(g), 5) for g in ev.gop[sel]]})
    return {"utt": utt, "sentence": {"accuracy": round(scored.accuracy / 10.0, 4),
                                     "completeness": round(scored.completeness / 10.0, 4),
                                     "fluency": round(scored.fluency / 10.0, 4),
                                     "prosodic": round(scored.prosody / 10.0, 4),
                                     "total": round(scored.overall / 10.0, 4)}, "words": words}


@dataclass
class Fitted:
    models: dict[str, Any]  # the regressor stack (empty for the transformer)
    transformer: Any = None
    meta: dict[str, Any] | None = None


def _stack_key(spec: LearnerSpec) -> tuple:
    """What a regressor stack depends on besides its rows and seed: an ensemble's tree stack is the
    stack of the tree learner with the same data options (lgbm+inject+transformer's is lgbm+inject's)."""
    family = "lgbm" if spec.kind in ("lgbm", "ensemble") else spec.kind
    return (family, spec.use_injection, spec.use_synth, json.dumps(spec.params, sort_keys=True))


def fit_learner(spec: LearnerSpec, rows: list[UttRows], seed: int, synth: "SynthRows | None" = None,
                fits: dict[tuple, Any] | None = None) -> Fitted:
    """Fit one learner. `fits` (optional) memoises components across learners of one run: the same
    stack or transformer on the same rows with the same seed is the same model, so the ensembles
    reuse what the single learners already fitted on a fold instead of fitting it again."""
    memo = {} if fits is None else fits
    rows_key = (seed, tuple(r.item.utt for r in rows))

    def transformer():
        key = ("transformer", rows_key)
        if key not in memo:
            memo[key] = fit_transformer(rows, seed)
        return memo[key]

    def stack():
        key = (_stack_key(spec), rows_key)
        if key not in memo:
            memo[key] = fit_stack(spec, rows, seed, synth=synth)
        return memo[key]

    if spec.kind == "transformer":
        model, info = transformer()
        return Fitted({}, model, {"architecture": "transformer", "n_layers": TRANSFORMER["layers"],
                                  "n_heads": TRANSFORMER["heads"], "training": info})
    if spec.kind == "ensemble":
        # The tree stack and the transformer, predictions averaged at every level.
        model, info = transformer()
        return Fitted(stack(), model, {"architecture": "ensemble", "n_layers": TRANSFORMER["layers"],
                                       "n_heads": TRANSFORMER["heads"], "training": info})
    return Fitted(stack(), None, {"architecture": "stack"})


def make_scorer(fitted: Fitted, meta: dict[str, Any], phone_calibration=None):
    from pronscore.scoring.learned import MODEL_FORMAT, LearnedScorer

    return LearnedScorer(fitted.models, {"format": MODEL_FORMAT, "feature_version": FEATURE_VERSION,
                                         **(fitted.meta or {}), **meta}, fitted.transformer, phone_calibration)


CALIBRATION_QUANTILES = np.linspace(0.0, 1.0, 201)


def fit_phone_calibration(pred: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantile map from predicted phone ratings to expert ratings (both 0-2), strictly increasing in x."""
    x = np.quantile(pred, CALIBRATION_QUANTILES)
    x = x + np.arange(len(x)) * 1e-9  # ties in x would make np.interp ambiguous
    return np.maximum.accumulate(x), np.quantile(gold, CALIBRATION_QUANTILES)


def _phones_of(lines: list[dict[str, Any]], ratings: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    pred = np.array([x for p in lines for w in p["words"] for x in w["phones"]])
    gold = np.array([x for p in lines for w in ratings[p["utt"]]["words"] for x in w["phones-accuracy"]])
    return pred, gold


def calibrated_oof(lines: list[dict[str, Any]], ratings: dict[str, Any], folds: list[np.ndarray],
                   weight: float) -> list[dict[str, Any]]:
    """Out-of-fold predictions with the phone calibration cross-fitted too (fit on the other folds)."""
    out = json.loads(json.dumps(lines))
    for val in folds:
        vs = set(val.tolist())
        x, y = fit_phone_calibration(*_phones_of([l for i, l in enumerate(lines) if i not in vs], ratings))
        for i in val:
            for w in out[i]["words"]:
                r = np.array(w["phones"])
                w["phones"] = [round(float(v), 4) for v in (1.0 - weight) * r + weight * np.interp(r, x, y)]
    return out


def predict_rows(scorer, rows: list[UttRows]) -> list[dict[str, Any]]:
    return [prediction_line(r.item.utt, r.words_text,
                            scorer.score_arrays(r.item.evidence, r.item.ctx_vec, r.item.word_stress), r.item.evidence)
            for r in rows]


def summary(metrics: dict[str, Any]) -> float:
    """Model selection: mean Pearson over phone, the 3 word and the 5 sentence aspects (None counts 0)."""
    keys = ["phone", "word_accuracy", "word_stress", "word_total"] + [f"sentence_{a}" for a in
                                                                      ("accuracy", "completeness", "fluency", "prosodic", "total")]
    return float(np.mean([metrics["pearson"].get(k) or 0.0 for k in keys]))


def cross_validate(spec: LearnerSpec, rows: list[UttRows], ratings: dict[str, Any], k: int, seed: int,
                   progress: bool = True, synth: "SynthRows | None" = None,
                   fits: dict[tuple, Any] | None = None) -> dict[str, Any]:
    """Out-of-fold, speaker-disjoint predictions of every utterance, with and without zeroing omitted phones.

    `synth` rows are training-only: every fold's model gets all of them, no fold validates on them.
    `fits` is shared by the learners of one run (see `fit_learner`)."""
    from pronscore.bench.metrics import score_predictions

    folds = speaker_folds([r.item.speaker for r in rows], k, seed)
    preds: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    t0 = time.perf_counter()
    for f, val in enumerate(folds):
        train = [rows[i] for i in np.setdiff1d(np.arange(len(rows)), val)]
        fitted = fit_learner(spec, train, seed + 10 * f, synth, fits)
        for zero in (True, False):
            scorer = make_scorer(fitted, {"zero_omitted_phones": zero})
            preds[zero] += predict_rows(scorer, [rows[i] for i in val])
        if progress:
            print(f"  {spec.name}: fold {f + 1}/{k} done ({time.perf_counter() - t0:.0f}s)", file=sys.stderr)
    result = {}
    for zero in (True, False):
        m = score_predictions(preds[zero], ratings)
        result[zero] = {"metrics": m, "summary": summary(m), "predictions": preds[zero]}
    best_zero = result[True]["summary"] >= result[False]["summary"]
    out = result[best_zero]
    return {"learner": spec.name, "zero_omitted_phones": best_zero, "metrics": out["metrics"], "summary": out["summary"],
            "folds": folds,
            "summary_other_omission_rule": result[not best_zero]["summary"],
            "seconds": time.perf_counter() - t0, "predictions": out["predictions"]}


# =======================================================================================
# 5. The command
def train_scorer_cli(args) -> None:
    """`pronscore train-scorer --root DIR --split train --out PATH [--seed N] [--acoustic NAME]`.

    Optional attributes (for scripts): cache_dir, folds (5), learners (names of LEARNERS), limit,
    acoustic_folds (directory of cross-fitted heads for the primary backend), aux_acoustic (a second
    backend whose evidence of the same phones the scorer also reads), synth_errors (N sentences
    read by eSpeak NG with a deliberate substitution, for the `+synth` learners; 0 = off).
    Writes PATH (the model), PATH with `.report.json` (metrics of every learner compared) and the
    out-of-fold predictions of the chosen learner under the cache directory.
    """
    t_start = time.perf_counter()
    seed = int(getattr(args, "seed", 0) or 0)
    acoustic = getattr(args, "acoustic", None) or "hama"
    if acoustic == "whisper-ctc" and getattr(args, "acoustic_folds", None) is None and getattr(args, "acoustic_path", None) is None:
        # The shipped head was trained on speechocean762: on its own training speakers its posteriors are far
        # too clean (PER 0.08 against 0.23 on new speakers), and a scorer learned from them misjudges new ones.
        raise CorpusError("whisper-ctc's shipped head was trained on speechocean762, so its evidence on this corpus "
                          "cannot train a scorer: pass --acoustic-folds DIR (cross-fitted heads from "
                          "`pronscore train-acoustic --folds 5 --out DIR`), --acoustic-path HEAD for a head that "
                          "never heard these speakers, or --acoustic hama")
    workers = getattr(args, "workers", None)
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise CorpusError(f"--workers must be 1 or more, got {workers}")
    cache_dir = Path(getattr(args, "cache_dir", None) or DEFAULT_CACHE_DIR)
    k = int(getattr(args, "folds", None) or 5)
    n_synth = int(getattr(args, "synth_errors", 0) or 0)
    if n_synth < 0:
        raise CorpusError(f"--synth-errors must be 0 or more, got {n_synth}")
    # By default the +synth learners run only when there are synthesized rows to learn from.
    names = list(getattr(args, "learners", None) or [n for n, sp in LEARNERS.items() if n_synth or not sp.use_synth])
    unknown = [n for n in names if n not in LEARNERS]
    if unknown:
        raise CorpusError(f"unknown learner(s) {', '.join(unknown)}; choose from {', '.join(LEARNERS)}")
    if not n_synth and any(LEARNERS[n].use_synth for n in names):
        raise CorpusError("the +synth learners need synthesized error clips: add --synth-errors N")
    utts = load_split(args.root, args.split)
    if getattr(args, "limit", None):
        utts = utts[: args.limit]
    ratings = load_ratings(args.root)
    if not ratings:
        raise CorpusError(f"no ratings (resource/scores.json) under {args.root}: nothing to learn from")
    speakers = {u.speaker for u in utts}
    if len(speakers) < k:
        raise CorpusError(f"{len(speakers)} speaker(s) under {args.root}/{args.split}: speaker-disjoint "
                          f"{k}-fold validation needs at least {k}")

    t = time.perf_counter()
    max_seconds = float(getattr(args, "max_seconds", 300.0) or 300.0)
    fold_heads = getattr(args, "acoustic_folds", None)
    aux = getattr(args, "aux_acoustic", None)
    if aux and aux == acoustic:
        raise CorpusError("--aux-acoustic must name a different backend than --acoustic")
    items = build_cache(utts, acoustic, getattr(args, "acoustic_path", None), cache_dir, seed, max_seconds,
                        fold_heads=fold_heads, workers=workers)
    if aux:
        items = attach_aux(items, build_cache(utts, aux, None, cache_dir, seed, max_seconds, workers=workers))
    rows = build_rows(items, {u.utt: u for u in utts}, ratings)
    if len(rows) < 2 * k:
        raise CorpusError(f"only {len(rows)} rated utterances usable: too few to train and validate")
    t_features = time.perf_counter() - t
    n_inj = int(sum(len(r.injected_X) for r in rows))
    print(f"{len(rows)} utterances, {sum(len(r.phone_y) for r in rows)} phones, {n_inj} injected rows, "
          f"{len(speakers)} speakers; evidence in {t_features:.0f}s", file=sys.stderr)

    synth, synth_report = None, None
    if n_synth:
        synth, synth_report = synthesized_rows(
            utts, n_synth, acoustic, getattr(args, "acoustic_path", None), cache_dir, seed, max_seconds, fold_heads,
            aux, clean=any(LEARNERS[n].use_synth and LEARNERS[n].params.get("synth_clean", "none") != "none"
                           for n in names), n_features=rows[0].phone_X.shape[1])

    results = []
    fits: dict[tuple, Any] = {}  # fold models shared between learners (the ensembles reuse their parts)
    for name in names:
        res = cross_validate(LEARNERS[name], rows, ratings, k, seed, synth=synth, fits=fits)
        print(f"{name}: mean Pearson {res['summary']:.3f} {json.dumps(_short(res['metrics']))}", file=sys.stderr)
        results.append(res)
    del fits
    best = max(results, key=lambda r: r["summary"])
    spec = LEARNERS[best["learner"]]

    # Phone calibration (see LearnedScorer.calibrate_phone), measured cross-fitted on the same folds.
    from pronscore.bench.metrics import score_predictions

    calib_weight = 0.5
    calibrated = calibrated_oof(best["predictions"], ratings, best["folds"], calib_weight)
    calibrated_metrics = score_predictions(calibrated, ratings)
    print(f"{spec.name} with phone calibration: {json.dumps(_short(calibrated_metrics))}", file=sys.stderr)
    calibration = fit_phone_calibration(*_phones_of(best["predictions"], ratings))
    # "Sounded like": view weights and learner-confusion prior, cross-validated on annotated substitutions.
    from pronscore.scoring.train_sounded_like import fit_sounded_like, heard_phones

    heard = heard_phones(items, ratings)
    sounded_like = fit_sounded_like(heard, speaker_folds([h.speaker for h in heard], k, seed)) if heard else None
    if sounded_like:
        c = sounded_like["validation"]["chosen"]
        how = (f"learned ranker, deletion weight {c['deletion_weight']}" if c.get("method") == "ranker"
               else f"mixture, prior beta {c['beta']}")
        print(f"sounded like: {how}, aux weight {c['aux_weight']}: top-1 {c['top1']:.3f}, top-3 {c['top3']:.3f} of "
              f"{c['n']} substitutions, deletion top-1 {c['deletion_top1']:.3f} of {c['n_deletions']}", file=sys.stderr)
        nest = sounded_like["validation"].get("nested")
        if nest:
            print(f"sounded like, chosen again without each fold (nested): top-1 {nest['top1']:.3f}, "
                  f"top-3 {nest['top3']:.3f}, deletion top-1 {nest['deletion_top1']:.3f}", file=sys.stderr)

    # Error-label thresholds on the product scale (50 x calibrated rating), from the same OOF predictions
    # and the "sounded like" lists just fitted (the labels read both).
    from pronscore.scoring.errors import tune_thresholds
    from pronscore.scoring.train_sounded_like import first_candidates

    oof_phone, oof_gold = _phones_of(calibrated, ratings)
    firsts = first_candidates(items, sounded_like)
    ipa_of = {it.utt: it.evidence.ipa for it in items}
    other_top, deletion_top = [], []
    for line in calibrated:
        for (heard, prob), target in zip(firsts[line["utt"]], ipa_of[line["utt"]]):
            other_top.append(prob if heard not in (target, DELETION_SYMBOL) else 0.0)
            deletion_top.append(heard == DELETION_SYMBOL)
    if len(other_top) != len(oof_phone):
        raise RuntimeError("sounded-like lists and out-of-fold phone predictions are not aligned")
    thresholds, threshold_f1 = tune_thresholds(50.0 * oof_phone, oof_gold, np.array(other_top), np.array(deletion_top))
    print(f"error thresholds: {thresholds.to_json()} (out-of-fold F1 {threshold_f1})", file=sys.stderr)

    t = time.perf_counter()
    fitted = fit_learner(spec, rows, seed, synth)
    t_final = time.perf_counter() - t
    out = Path(args.out)
    meta = {
        "name": f"learned-{spec.name}", "learner": spec.name, "zero_omitted_phones": best["zero_omitted_phones"],
        "acoustic": acoustic, "aux_acoustic": aux or None, "seed": seed,
        "acoustic_evidence": ("cross-fitted heads: each utterance analysed by a head trained without its speaker"
                              if fold_heads else "the named backend's shipped model"),
        "trained_on": {"description": f"{len(rows)} rated utterances of {Path(args.root).resolve().name}/{args.split}, "
                                      f"{len({r.item.speaker for r in rows})} speakers",
                       "utterances": len(rows), "phones": int(sum(len(r.phone_y) for r in rows)),
                       "injected_rows": n_inj if spec.use_injection else 0,
                       "synthesized_rows": (len(synth.phone_rows(spec.params.get("synth_clean", "none"))[1])
                                            if spec.use_synth and synth is not None else 0)},
        "phone_calibration_weight": calib_weight,
        "sounded_like": sounded_like,
        "error_thresholds": thresholds.to_json(),
        "validation": {"scheme": f"speaker-disjoint {k}-fold, out-of-fold predictions, phone calibration cross-fitted",
                       "seed": seed, "pearson": calibrated_metrics["pearson"], "mdd": calibrated_metrics["mdd"]},
    }
    scorer = make_scorer(fitted, meta, calibration)
    scorer.save(out)
    oof_path = cache_dir / f"oof-{out.stem}-{spec.name}.jsonl"
    oof_path.write_text("".join(json.dumps(p) + "\n" for p in calibrated), encoding="utf-8")
    report = {
        "root_name": Path(args.root).resolve().name, "split": args.split, "acoustic": acoustic,
        "aux_acoustic": aux or None, "cross_fitted_heads": bool(fold_heads), "seed": seed,
        "validation": f"speaker-disjoint {k}-fold cross-validation; every utterance predicted by a model that "
                      f"never saw its speaker; predictions made by the exported numpy model",
        "data": {"utterances": len(rows), "speakers": len({r.item.speaker for r in rows}),
                 "phones": int(sum(len(r.phone_y) for r in rows)), "words": int(sum(len(r.word_y) for r in rows)),
                 "injected_phone_rows": n_inj},
        "synthesized_errors": synth_report,
        "learners": {r["learner"]: {"mean_pearson": r["summary"], "zero_omitted_phones": r["zero_omitted_phones"],
                                    "mean_pearson_other_omission_rule": r["summary_other_omission_rule"],
                                    "pearson": r["metrics"]["pearson"], "mdd": r["metrics"]["mdd"],
                                    "cv_seconds": r["seconds"]} for r in results},
        "chosen": spec.name,
        "chosen_with_phone_calibration": {"weight": calib_weight, "pearson": calibrated_metrics["pearson"],
                                          "mdd": calibrated_metrics["mdd"]},
        "sounded_like": sounded_like["validation"] if sounded_like else None,
        "error_thresholds": {**thresholds.to_json(), "out_of_fold_f1": threshold_f1},
        "model": str(out), "model_bytes": out.stat().st_size,
        "oof_predictions": str(oof_path),
        "seconds": {"evidence": t_features, "synthesized_errors": (synth_report or {}).get("seconds"),
                    "final_fit": t_final, "total": time.perf_counter() - t_start},
    }
    report_path = out.with_suffix(".report.json")
    report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"chose {spec.name}; wrote {out} ({report['model_bytes'] / 1e6:.1f} MB) and {report_path}", file=sys.stderr)


def synthesized_rows(utts: list[CorpusUtterance], n: int, acoustic: str, acoustic_path: str | None, cache_dir: Path,
                     seed: int, max_seconds: float, fold_heads: str | Path | None, aux: str | None, clean: bool,
                     n_features: int) -> tuple["SynthRows", dict[str, Any]]:
    """The `--synth-errors` rows and their report entry (see `train_synth.py`)."""
    from pronscore.scoring.train_synth import attach_synth_aux, build_synth_cache, synth_rows

    t = time.perf_counter()
    items, stats = build_synth_cache(utts, n, acoustic, acoustic_path, cache_dir, seed, max_seconds, fold_heads, clean)
    if aux:
        # The second backend hears the same clips (its shipped model, as for the utterances).
        aux_items, aux_stats = build_synth_cache(utts, n, aux, None, cache_dir, seed, max_seconds, None, clean)
        items = attach_synth_aux(items, aux_items)
        stats["evidence_s"] += aux_stats["evidence_s"]
        stats["synth_s"] += aux_stats["synth_s"]
    synth = synth_rows(items, n_features)
    seconds = time.perf_counter() - t
    made = stats["clips_made"]
    report = {"engine": "eSpeak NG phoneme input, US English voice variants", "sentences_asked": n,
              "sentences": stats["sentences"], "sentences_without_substitution": stats["no_substitution"],
              **synth.stats, "clips_computed_this_run": made,
              "seconds_per_clip_this_run": {"synthesis": stats["synth_s"] / made,
                                            "evidence_all_backends": stats["evidence_s"] / made}
              if made else None,
              "seconds": seconds, "training_only": "added to every fold's training side; never validated on"}
    print(f"synthesized errors: {synth.stats['wrong_rows']} substituted-phone rows (label 0), "
          f"{synth.stats['pair_rows']} twin rows, {synth.stats['clean_rows']} clean-phone rows (label 2) from "
          f"{stats['sentences']} sentences in {seconds:.0f}s", file=sys.stderr)
    return synth, report


def _short(m: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) for k, v in m["pearson"].items() if v is not None} | {"mdd_f1": round(m["mdd"]["f1"], 3)}


# =======================================================================================
# 6. GOPT-style transformer (torch for training only; exported to numpy `PhoneTransformer`)
TRANSFORMER = {"d": 32, "heads": 2, "layers": 2, "ff": 64, "max_pos": 64, "epochs": 120, "patience": 15,
               "lr": 1e-3, "weight_decay": 1e-4, "batch": 16}


def _torch_transformer(n_phone_feats: int, n_ctx: int, cfg: dict[str, Any]):
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            d = cfg["d"]
            self.inp = nn.Linear(n_phone_feats, d)
            self.ctx = nn.Linear(n_ctx, d)
            self.pos = nn.Parameter(torch.randn(cfg["max_pos"], d) * 0.02)
            self.utt_tokens = nn.Parameter(torch.randn(5, d) * 0.02)
            self.layers = nn.ModuleList([nn.TransformerEncoderLayer(d, cfg["heads"], cfg["ff"], dropout=0.1,
                                                                    activation=lambda x: nn.functional.gelu(x, approximate="tanh"),
                                                                    batch_first=True, norm_first=True)
                                         for _ in range(cfg["layers"])])
            self.norm = nn.LayerNorm(d)
            self.phone_head = nn.Linear(d, 1)
            self.word_head = nn.Linear(d, 3)
            self.utt_head_weight = nn.Parameter(torch.randn(5, d) * 0.02)
            self.utt_head_bias = nn.Parameter(torch.full((5,), 0.7))

        def forward(self, P, C, pad):  # P [B, N, F], C [B, Fc], pad [B, N] True where padding
            B, N, _ = P.shape
            pos = self.pos[torch.clamp(torch.arange(N), max=cfg["max_pos"] - 1)]
            x = torch.cat([self.utt_tokens[None].expand(B, -1, -1) + self.ctx(C)[:, None, :],
                           self.inp(P) + pos[None]], dim=1)
            mask = torch.cat([torch.zeros(B, 5, dtype=torch.bool), pad], dim=1)
            for layer in self.layers:
                x = layer(x, src_key_padding_mask=mask)
            x = self.norm(x)
            utt = (x[:, :5] * self.utt_head_weight[None]).sum(-1) + self.utt_head_bias
            ph = x[:, 5:]
            return self.phone_head(ph)[..., 0], self.word_head(ph), utt

    return Net()


def _standardiser(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, scale = X.mean(axis=0), X.std(axis=0)
    return mean, np.where(scale > 1e-9, scale, 1.0)


def fit_transformer(rows: list[UttRows], seed: int, cfg: dict[str, Any] = TRANSFORMER):
    """Train on speaker-disjoint 85% of `rows`, early-stop on the rest; returns the numpy model."""
    import torch

    from pronscore.scoring.learned import PhoneTransformer

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    folds = speaker_folds([r.item.speaker for r in rows], 7, seed + 7)
    val_idx = set(folds[0].tolist())
    train_rows = [r for i, r in enumerate(rows) if i not in val_idx]
    val_rows = [r for i, r in enumerate(rows) if i in val_idx]
    p_mean, p_scale = _standardiser(np.concatenate([r.phone_X for r in train_rows]))
    c_mean, c_scale = _standardiser(np.stack([r.item.ctx_vec for r in train_rows]))

    def batch(sel: list[UttRows]):
        N = max(len(r.phone_y) for r in sel)
        B = len(sel)
        P = np.zeros((B, N, len(p_mean)), dtype=np.float32)
        pad = np.ones((B, N), dtype=bool)
        yp = np.zeros((B, N), dtype=np.float32)
        word_of = np.zeros((B, N), dtype=np.int64)
        yw = np.zeros((B, N, 3), dtype=np.float32)  # each phone carries its word's ratings (as GOPT does)
        for b, r in enumerate(sel):
            n = len(r.phone_y)
            P[b, :n] = (r.phone_X - p_mean) / p_scale
            pad[b, :n] = False
            yp[b, :n] = r.phone_y / 2.0
            word_of[b, :n] = r.item.evidence.word_index
            yw[b, :n] = r.word_y[r.item.evidence.word_index] / 10.0
        C = np.stack([(r.item.ctx_vec - c_mean) / c_scale for r in sel]).astype(np.float32)
        yu = np.stack([r.utt_y / 10.0 for r in sel]).astype(np.float32)
        return [torch.from_numpy(a) for a in (P, C, pad, yp, yw, yu)]

    def loss_of(net, data) -> "torch.Tensor":
        P, C, pad, yp, yw, yu = data
        ph, wd, ut = net(P, C, pad)
        keep = ~pad
        return (((ph - yp) ** 2)[keep].mean() + ((wd - yw) ** 2)[keep].mean() + ((ut - yu) ** 2).mean())

    net = _torch_transformer(len(p_mean), len(c_mean), cfg)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    rng = np.random.default_rng(seed)
    val_data = batch(val_rows)
    best, best_state, since = np.inf, None, 0
    for epoch in range(cfg["epochs"]):
        net.train()
        order = rng.permutation(len(train_rows))
        for s in range(0, len(order), cfg["batch"]):
            opt.zero_grad()
            loss = loss_of(net, batch([train_rows[i] for i in order[s:s + cfg["batch"]]]))
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            v = float(loss_of(net, val_data))
        if v < best - 1e-5:
            best, since = v, 0
            best_state = {k: t.detach().clone() for k, t in net.state_dict().items()}
        else:
            since += 1
            if since >= cfg["patience"]:
                break
    net.load_state_dict(best_state)
    w = {k: t.detach().numpy().astype(np.float64) for k, t in net.state_dict().items()}
    w["utt_head.weight"] = w.pop("utt_head_weight")
    w["utt_head.bias"] = w.pop("utt_head_bias")
    w.update({"phone_mean": p_mean, "phone_scale": p_scale, "ctx_mean": c_mean, "ctx_scale": c_scale})
    model = PhoneTransformer(w, cfg["layers"], cfg["heads"])
    _check_transformer_export(net, model, val_rows[:3], batch)
    return model, {"best_val_loss": best, "epochs": epoch + 1}


def _check_transformer_export(net, model, sample: list[UttRows], batch) -> None:
    """The numpy forward must reproduce torch's, or the shipped scores would differ from the measured ones."""
    import torch

    for r in sample:
        P, C, pad, *_ = batch([r])
        with torch.no_grad():
            ph, _, ut = net(P, C, pad)
        nph, _, nut = model.forward(r.phone_X, r.item.ctx_vec, r.item.evidence.word_index, r.item.evidence.n_words)
        if not (np.allclose(ph[0].numpy(), nph, atol=1e-4) and np.allclose(ut[0].numpy(), nut, atol=1e-4)):
            raise RuntimeError("numpy transformer forward disagrees with torch")
