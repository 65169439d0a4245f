"""The learned scorer: models trained on expert ratings, evaluated with numpy only.

A model file (`.npz`, written by `pronscore train-scorer`) holds one regressor per target:

    phone                                    per-phone rating, corpus scale 0-2
    word_accuracy, word_stress, word_total   per word, 0-10 (stress 5-10)
    utt_accuracy, utt_completeness, utt_fluency, utt_prosodic, utt_total   per utterance, 0-10

stacked as the features module describes: word models read the phone model's predictions,
utterance models read both. Each regressor is either a tree ensemble flattened to node
arrays (exported from LightGBM) or a standardised linear model. A JSON `meta` entry names
the learner, the feature version and the measured validation metrics.

Product scale (0-100): phone = 50 * calibrated rating (see `calibrate_phone`), word accuracy/total = 10 * rating,
word stress = 20 * (rating - 5), sentence scores = 10 * rating. A phone whose deletion
posterior exceeds 0.5 is omitted (as in the heuristic scorer); a word is omitted when more
than half its phones are. Completeness is 100 * share of words not omitted (the corpus's
completeness ratings are nearly constant, so the learned completeness model is kept only
when the model file asks for it with meta "completeness": "model").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pronscore.errors import ModelNotFoundError, PronscoreError
from pronscore.gop.analyze import UtteranceEvidence
from pronscore.scoring.base import ScoredUtterance, UtteranceContext
from pronscore.scoring.features import (FEATURE_VERSION, EvidenceArrays, context_vector, evidence_arrays,
                                        phone_features, utterance_features, word_features)

MODEL_FORMAT = "pronscore-learned-scorer"
WORD_TARGETS = ("word_accuracy", "word_stress", "word_total")
UTT_TARGETS = ("utt_accuracy", "utt_completeness", "utt_fluency", "utt_prosodic", "utt_total")
TARGETS = ("phone",) + WORD_TARGETS + UTT_TARGETS
# Valid range of each target on the corpus scale.
TARGET_RANGE = {"phone": (0.0, 2.0), "word_stress": (5.0, 10.0),
                **{t: (0.0, 10.0) for t in ("word_accuracy", "word_total") + UTT_TARGETS}}
OMIT_THRESHOLD = 0.5


class ScorerModelError(PronscoreError):
    """A scorer model file that cannot be used (wrong format, other feature version)."""


# ---------------------------------------------------------------------------------------
# Numpy regressors
@dataclass
class TreeEnsemble:
    """Binary regression trees in flat node arrays; a leaf has feature -1 and carries `value`."""

    feature: np.ndarray  # int32 [nodes]
    threshold: np.ndarray  # float64 [nodes]; go left when x <= threshold
    left: np.ndarray  # int32 [nodes], global node index
    right: np.ndarray  # int32 [nodes]
    value: np.ndarray  # float64 [nodes]
    roots: np.ndarray  # int32 [trees]
    base: float
    max_depth: int

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if len(X) == 0:
            return np.zeros(0)
        rows = np.arange(len(X))[:, None]
        node = np.broadcast_to(self.roots[None, :], (len(X), len(self.roots))).copy()
        # All trees walk down together, one level per step: at most max_depth steps.
        for _ in range(self.max_depth + 1):
            feat = self.feature[node]
            inner = feat >= 0
            if not inner.any():
                break
            go_left = X[rows, np.where(inner, feat, 0)] <= self.threshold[node]
            node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
        return self.base + self.value[node].sum(axis=1)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}kind": np.array("trees"), f"{prefix}feature": self.feature.astype(np.int32),
                f"{prefix}threshold": self.threshold, f"{prefix}left": self.left.astype(np.int32),
                f"{prefix}right": self.right.astype(np.int32), f"{prefix}value": self.value.astype(np.float64),
                f"{prefix}roots": self.roots.astype(np.int32),
                f"{prefix}scalars": np.array([self.base, float(self.max_depth)])}

    @classmethod
    def from_arrays(cls, d: Any, prefix: str) -> "TreeEnsemble":
        s = d[f"{prefix}scalars"]
        return cls(feature=d[f"{prefix}feature"], threshold=d[f"{prefix}threshold"], left=d[f"{prefix}left"],
                   right=d[f"{prefix}right"], value=d[f"{prefix}value"], roots=d[f"{prefix}roots"],
                   base=float(s[0]), max_depth=int(s[1]))


@dataclass
class LinearModel:
    """y = intercept + ((x - mean) / scale) @ coef (ridge on standardised features)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return self.intercept + ((X - self.mean) / self.scale) @ self.coef

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}kind": np.array("linear"), f"{prefix}mean": self.mean, f"{prefix}scale": self.scale,
                f"{prefix}coef": self.coef, f"{prefix}intercept": np.array([self.intercept])}

    @classmethod
    def from_arrays(cls, d: Any, prefix: str) -> "LinearModel":
        return cls(mean=d[f"{prefix}mean"], scale=d[f"{prefix}scale"], coef=d[f"{prefix}coef"],
                   intercept=float(d[f"{prefix}intercept"][0]))


Regressor = TreeEnsemble | LinearModel


def regressor_from_arrays(d: Any, prefix: str) -> Regressor:
    kind = str(d[f"{prefix}kind"])
    if kind == "trees":
        return TreeEnsemble.from_arrays(d, prefix)
    if kind == "linear":
        return LinearModel.from_arrays(d, prefix)
    raise ScorerModelError(f"unknown regressor kind {kind!r} for {prefix.rstrip('/')}")


# ---------------------------------------------------------------------------------------
# A small GOPT-style transformer over the phone sequence (trained with torch, run in numpy)
def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class PhoneTransformer:
    """Tokens: 5 utterance tokens (one per sentence aspect, plus the context metrics) then one per phone.

    Pre-norm encoder layers; phone head on phone tokens, word heads on phone tokens averaged
    per word, one utterance head per aspect token. Targets are on 0-1 (rating / scale).
    `w` maps parameter names (as in the torch module) to arrays.
    """

    N_UTT = len(UTT_TARGETS)

    def __init__(self, w: dict[str, np.ndarray], n_layers: int, n_heads: int):
        self.w, self.n_layers, self.n_heads = w, n_layers, n_heads

    def forward(self, phone_x: np.ndarray, ctx_x: np.ndarray, word_index: np.ndarray, n_words: int):
        w = self.w
        P = (phone_x - w["phone_mean"]) / w["phone_scale"]
        C = (ctx_x - w["ctx_mean"]) / w["ctx_scale"]
        n = len(P)
        pos = w["pos"][np.minimum(np.arange(n), len(w["pos"]) - 1)]
        phones = P @ w["inp.weight"].T + w["inp.bias"] + pos
        utt = w["utt_tokens"] + (C @ w["ctx.weight"].T + w["ctx.bias"])[None, :]
        x = np.concatenate([utt, phones], axis=0)
        d = x.shape[1]
        hd = d // self.n_heads
        for i in range(self.n_layers):
            pre = f"layers.{i}."
            h = _layer_norm(x, w[pre + "norm1.weight"], w[pre + "norm1.bias"])
            qkv = h @ w[pre + "self_attn.in_proj_weight"].T + w[pre + "self_attn.in_proj_bias"]
            q, k, v = (qkv[:, j * d:(j + 1) * d].reshape(-1, self.n_heads, hd).transpose(1, 0, 2) for j in range(3))
            att = _softmax(q @ k.transpose(0, 2, 1) / np.sqrt(hd)) @ v
            att = att.transpose(1, 0, 2).reshape(-1, d)
            x = x + att @ w[pre + "self_attn.out_proj.weight"].T + w[pre + "self_attn.out_proj.bias"]
            h = _layer_norm(x, w[pre + "norm2.weight"], w[pre + "norm2.bias"])
            h = _gelu_tanh(h @ w[pre + "linear1.weight"].T + w[pre + "linear1.bias"])
            x = x + h @ w[pre + "linear2.weight"].T + w[pre + "linear2.bias"]
        x = _layer_norm(x, w["norm.weight"], w["norm.bias"])
        u, ph = x[: self.N_UTT], x[self.N_UTT:]
        utt_out = (u * w["utt_head.weight"]).sum(axis=1) + w["utt_head.bias"]
        phone_out = ph @ w["phone_head.weight"][0] + w["phone_head.bias"][0]
        tok = ph @ w["word_head.weight"].T + w["word_head.bias"]  # [N, 3]
        counts = np.maximum(np.bincount(word_index, minlength=n_words), 1).astype(np.float64)
        word_out = np.stack([np.bincount(word_index, weights=tok[:, j], minlength=n_words) for j in range(3)], axis=1)
        return phone_out, word_out / counts[:, None], utt_out


# ---------------------------------------------------------------------------------------
@dataclass
class Predictions:
    """Corpus-scale predictions for one utterance."""

    phone: np.ndarray  # [N] 0-2
    word: np.ndarray  # [W, 3] accuracy 0-10, stress 5-10, total 0-10
    utterance: dict[str, float]  # accuracy, completeness, fluency, prosodic, total (0-10)


def _clip(target: str, x: np.ndarray) -> np.ndarray:
    lo, hi = TARGET_RANGE[target]
    return np.clip(x, lo, hi)


class LearnedScorer:
    name = "learned"

    def __init__(self, models: dict[str, Regressor], meta: dict[str, Any],
                 transformer: PhoneTransformer | None = None,
                 phone_calibration: tuple[np.ndarray, np.ndarray] | None = None):
        missing = [t for t in TARGETS if t not in models]
        if transformer is None and missing:
            raise ScorerModelError(f"scorer model lacks the {', '.join(missing)} model(s)")
        self.models = models
        self.transformer = transformer
        self.phone_calibration = phone_calibration
        self.meta = meta
        self.name = str(meta.get("name", "learned"))

    # -- persistence ----------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> "LearnedScorer":
        p = Path(path)
        if not p.is_file():
            raise ModelNotFoundError(f"scorer model not found: {p}")
        try:
            with np.load(p, allow_pickle=False) as d:
                meta = json.loads(str(d["meta"]))
                if meta.get("format") != MODEL_FORMAT:
                    raise ScorerModelError(f"{p} is not a pronscore scorer model (format {meta.get('format')!r})")
                if int(meta.get("feature_version", -1)) != FEATURE_VERSION:
                    raise ScorerModelError(
                        f"{p} was trained on features version {meta.get('feature_version')}, this pronscore computes "
                        f"version {FEATURE_VERSION}: retrain it with `pronscore train-scorer`")
                tf = None
                calib = (np.asarray(d["calib/x"]), np.asarray(d["calib/y"])) if "calib/x" in d.files else None
                if meta.get("architecture") in ("transformer", "ensemble"):
                    w = {k[len("tf/"):]: np.asarray(d[k]) for k in d.files if k.startswith("tf/")}
                    tf = PhoneTransformer(w, int(meta["n_layers"]), int(meta["n_heads"]))
                if meta.get("architecture") == "transformer":
                    return cls({}, meta, tf, calib)
                models = {t: regressor_from_arrays(d, f"{t}/") for t in TARGETS}
                return cls(models, meta, tf, calib)
        except (OSError, ValueError, KeyError) as exc:
            raise ScorerModelError(f"cannot read scorer model {p}: {exc}") from exc

    def save(self, path: str | Path) -> None:
        arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(self.meta))}
        for t, m in self.models.items():
            arrays.update(m.to_arrays(f"{t}/"))
        if self.transformer is not None:
            arrays.update({f"tf/{k}": v for k, v in self.transformer.w.items()})
        if self.phone_calibration is not None:
            arrays["calib/x"], arrays["calib/y"] = self.phone_calibration
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:  # a file handle keeps numpy from appending ".npz"
            np.savez_compressed(f, **arrays)

    # -- prediction -----------------------------------------------------------------------
    def predict_arrays(self, ea: EvidenceArrays, ctx_vec: np.ndarray, word_stress: list[float | None]) -> Predictions:
        if self.transformer is None:
            return self._predict_stack(ea, ctx_vec, word_stress)
        if not self.models:
            return self._predict_transformer(ea, ctx_vec)
        # Ensemble: the mean of the two models at every level.
        a, b = self._predict_stack(ea, ctx_vec, word_stress), self._predict_transformer(ea, ctx_vec)
        return Predictions(phone=(a.phone + b.phone) / 2.0, word=(a.word + b.word) / 2.0,
                           utterance={k: (a.utterance[k] + b.utterance[k]) / 2.0 for k in a.utterance})

    def _predict_stack(self, ea: EvidenceArrays, ctx_vec: np.ndarray, word_stress: list[float | None]) -> Predictions:
        phone = _clip("phone", self.models["phone"].predict(phone_features(ea))) if ea.n_phones else np.zeros(0)
        wf = word_features(ea, word_stress, phone)
        word = np.column_stack([_clip(t, self.models[t].predict(wf)) for t in WORD_TARGETS]) if len(wf) else np.zeros((0, 3))
        uf = utterance_features(ea, ctx_vec, phone, word)
        utt = {t[4:]: float(_clip(t, self.models[t].predict(uf))[0]) for t in UTT_TARGETS}
        return Predictions(phone=phone, word=word, utterance=utt)

    def _predict_transformer(self, ea: EvidenceArrays, ctx_vec: np.ndarray) -> Predictions:
        if ea.n_phones == 0:
            return Predictions(np.zeros(0), np.zeros((ea.n_words, 3)), {t[4:]: 0.0 for t in UTT_TARGETS})
        ph, wd, ut = self.transformer.forward(phone_features(ea), ctx_vec, ea.word_index, ea.n_words)
        word = np.column_stack([_clip(t, 10.0 * wd[:, j]) for j, t in enumerate(WORD_TARGETS)])
        utt = {t[4:]: float(_clip(t, 10.0 * ut[j])) for j, t in enumerate(UTT_TARGETS)}
        return Predictions(phone=_clip("phone", 2.0 * ph), word=word, utterance=utt)

    def score_arrays(self, ea: EvidenceArrays, ctx_vec: np.ndarray, word_stress: list[float | None]) -> ScoredUtterance:
        pred = self.predict_arrays(ea, ctx_vec, word_stress)
        omitted = ea.deletion_prob > OMIT_THRESHOLD
        phone_scores = 50.0 * self.calibrate_phone(pred.phone)
        if self.meta.get("zero_omitted_phones", True):
            phone_scores = np.where(omitted, 0.0, phone_scores)
        W = ea.n_words
        per_word = np.bincount(ea.word_index, minlength=W).astype(np.float64)
        omitted_share = np.bincount(ea.word_index, weights=omitted.astype(np.float64), minlength=W) / np.maximum(per_word, 1.0)
        u = pred.utterance
        word_omitted = omitted_share > 0.5
        # Completeness by rule (share of words said): expert completeness is ~always 10 in the
        # corpus, so a model learns a constant and could not notice words left out.
        completeness = (100.0 * float((~word_omitted).mean()) if W else 0.0) \
            if self.meta.get("completeness", "rule") == "rule" else 10.0 * u["completeness"]
        return ScoredUtterance(
            phone_scores=phone_scores, phone_omitted=omitted,
            word_accuracy=10.0 * pred.word[:, 0], word_total=10.0 * pred.word[:, 2],
            word_stress=[float(20.0 * (s - 5.0)) for s in pred.word[:, 1]],
            word_omitted=word_omitted,
            accuracy=10.0 * u["accuracy"], completeness=completeness, fluency=10.0 * u["fluency"],
            prosody=10.0 * u["prosodic"], overall=10.0 * u["total"],
        )

    def calibrate_phone(self, rating: np.ndarray) -> np.ndarray:
        """Regression pulls phone predictions toward the mean rating, so clear errors score too high
        to be flagged. Half the prediction is replaced by its quantile-mapped value (the predicted
        distribution mapped onto the experts'); the order of phones is unchanged."""
        if self.phone_calibration is None:
            return rating
        x, y = self.phone_calibration
        w = float(self.meta.get("phone_calibration_weight", 0.5))
        return (1.0 - w) * rating + w * np.interp(rating, x, y)

    @property
    def acoustic(self) -> str | None:
        """The acoustic backend whose evidence this scorer was trained on."""
        return self.meta.get("acoustic")

    @property
    def aux_acoustic(self) -> str | None:
        """The second backend whose evidence of the same phones it also reads (None: one view)."""
        return self.meta.get("aux_acoustic")

    def score(self, ev: UtteranceEvidence, ctx: UtteranceContext) -> ScoredUtterance:
        ea = evidence_arrays(ev, ctx.n_words)
        if self.aux_acoustic:
            if ctx.aux_evidence is None:
                raise ScorerModelError(f"scorer {self.name} reads a second view from the {self.aux_acoustic} acoustic "
                                       f"model, which this Session did not run")
            ea.aux = evidence_arrays(ctx.aux_evidence, ctx.n_words)
        return self.score_arrays(ea, context_vector(ctx), list(ctx.word_stress or []))

    def info(self) -> dict[str, Any]:
        return {"scorer": self.name, "scorer_learner": self.meta.get("learner"),
                "scorer_trained_on": self.meta.get("trained_on", {}).get("description"),
                "scorer_acoustic": self.acoustic, "scorer_aux_acoustic": self.aux_acoustic}
