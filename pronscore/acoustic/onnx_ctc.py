"""Optional backend "onnx-ctc": any CTC phone model exported to ONNX, run with onnxruntime on CPU.

Local files only (the backend never downloads):
- the model: a `.onnx` file, or a directory holding one (`model.onnx` preferred). Its first float input is the
  16 kHz waveform `[1, N]`; its first output of rank 3 is `[1, T, V]` logits (or log-probabilities, they are
  renormalised either way). An extra input whose name contains "mask" gets ones, one whose name contains "len"
  gets N; an output whose name contains "len" trims T.
- the vocabulary beside it: `vocab.json` (token -> id, as Hugging Face writes it) or `tokens.txt` (one token per
  line, id = line number; or "token id" lines as sherpa-onnx writes them).
- optionally `config.json` beside it. A Hugging Face/optimum export already writes one; pronscore reads
  `frame_s`, `blank` (token) or `blank_id`, `time_offset_s`, `do_normalize`, and from HF configs `pad_token_id`
  and `conv_stride`. The HF feature-extractor settings (`preprocessor_config.json`, or `processor_config.json` from
  transformers 5) supply `do_normalize` and `sampling_rate`.

The blank is, in order: the `blank` argument, `blank`/`blank_id` in config.json, the HF pad token
(tokenizer_config.json or `pad_token_id`), else the first of `<blank>`, `<blk>`, `<pad>`, `_` in the vocabulary.
The frame duration, when no config states it, is measured once at load: the output length of 2 s of input minus
that of 1 s is the frames per second, free of the edge effects of unpadded convolutions; it is rounded to 0.5 ms
(320-sample hops give exactly 0.02 s).
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from pronscore.acoustic.base import Posteriors, log_softmax
from pronscore.acoustic.hf_ctc import (
    _token_text, feature_extractor_config, model_card_license, normalize_waveform, one_line, read_json,
    special_token_ids, tokenizer_token_ids, vocab_list,
)
from pronscore.errors import AudioError, AudioTooShortError, MissingDependencyError, ModelError, ModelNotFoundError

MODEL_NAME = "onnx-ctc"
SAMPLE_RATE = 16000
INSTALL_HINT = "pip install 'pronscore[onnx]'"
BLANK_CANDIDATES = ("<blank>", "<blk>", "<pad>", "_")
VOCAB_FILES = ("vocab.json", "tokens.txt")


def resolve_model_file(path: str | Path) -> Path:
    """A .onnx file, or the one .onnx file of a directory (model.onnx when there are several)."""
    p = Path(path).expanduser()
    if p.is_dir():
        found = sorted(p.glob("*.onnx"))
        if (p / "model.onnx").is_file():
            return p / "model.onnx"
        if len(found) == 1:
            return found[0]
        what = "holds no .onnx file" if not found else f"holds several .onnx files ({', '.join(f.name for f in found)})"
        raise ModelNotFoundError(f"onnx-ctc model directory {p} {what}; pass --acoustic-path FILE.onnx")
    if not p.is_file():
        raise ModelNotFoundError(f"onnx-ctc model {p} does not exist; pass --acoustic-path with a local .onnx file "
                                 "(vocab.json or tokens.txt beside it)")
    return p


def read_tokens_txt(path: Path) -> dict[str, int]:
    """tokens.txt: one token per line (id = line number), or 'token id' on every line (sherpa-onnx)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    pairs = [re.fullmatch(r"(.+?)\s+(\d+)", ln) for ln in lines]
    if lines and all(pairs):
        return {m.group(1): int(m.group(2)) for m in pairs if m}
    return {tok: i for i, tok in enumerate(lines)}


def round_frame_s(frame_s: float) -> float:
    """To the nearest 0.5 ms: strided front ends hop a whole number of milliseconds or halves of one."""
    return round(frame_s * 2000.0) / 2000.0


def _import_onnxruntime():
    try:
        import onnxruntime
    except ImportError as exc:
        raise MissingDependencyError(f"the onnx-ctc acoustic backend needs onnxruntime: {INSTALL_HINT}") from exc
    return onnxruntime


_NUMPY_OF_ORT = {"tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_,
                 "tensor(float)": np.float32}


class OnnxCtcModel:
    """AcousticModel backend "onnx-ctc" (see the module docstring for the files it reads).

    threads: onnxruntime intra-op threads (default 1: the machine is shared and one clip is small).
    blank: the CTC blank token, when the files do not say and it is not one of the usual names.
    """

    name = MODEL_NAME

    def __init__(self, path: str | Path, *, threads: int = 1, blank: str | None = None) -> None:
        self.model_path = resolve_model_file(path)
        folder = self.model_path.parent
        vocab_path = next((folder / f for f in VOCAB_FILES if (folder / f).is_file()), None)
        if vocab_path is None:
            raise ModelNotFoundError(f"onnx-ctc needs a vocabulary beside {self.model_path}: "
                                     f"{' or '.join(VOCAB_FILES)}")

        def optional(name: str) -> dict[str, Any]:
            return read_json(folder / name) if (folder / name).is_file() else {}

        config, pre = optional("config.json"), feature_extractor_config(folder)
        if vocab_path.suffix == ".json":
            token_ids, tok_cfg = tokenizer_token_ids(folder, vocab_path)
        else:
            token_ids, tok_cfg = read_tokens_txt(vocab_path), optional("tokenizer_config.json")
        special_map = optional("special_tokens_map.json")
        rate = int(pre.get("sampling_rate", config.get("sampling_rate", SAMPLE_RATE)))
        if rate != SAMPLE_RATE:
            raise ModelError(f"{self.model_path} expects {rate} Hz audio; pronscore feeds models 16 kHz")
        self.do_normalize = bool(config.get("do_normalize", pre.get("do_normalize", False)))
        self.time_offset_s = float(config.get("time_offset_s", 0.0))

        ort = _import_onnxruntime()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(self.model_path), sess_options=opts,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # not an ONNX model, unsupported operator, ...
            raise ModelError(f"cannot load ONNX model {self.model_path}: {one_line(exc)}") from exc
        self.threads = opts.intra_op_num_threads
        self._bind_io()

        static_v = self._logits_meta.shape[-1] if isinstance(self._logits_meta.shape[-1], int) else None
        self._vocab, unnamed = vocab_list(token_ids, static_v)
        self.vocab_path = vocab_path
        self.blank_id = self._find_blank(blank, config, tok_cfg, special_map, token_ids)

        def special(key: str, default: str | None) -> str | None:
            return _token_text(tok_cfg.get(key)) or _token_text(special_map.get(key)) or default

        named = {t for t in (special("word_delimiter_token", "|"), special("bos_token", "<s>"),
                             special("eos_token", "</s>"), special("unk_token", "<unk>"), special("pad_token", None)) if t}
        named.update(BLANK_CANDIDATES)
        self.special_ids = frozenset(special_token_ids(self._vocab, named) | unnamed | {self.blank_id})

        if "frame_s" in config:
            self.frame_s, self.frame_source = float(config["frame_s"]), "config.json frame_s"
        elif config.get("conv_stride"):
            self.frame_s = math.prod(int(s) for s in config["conv_stride"]) / SAMPLE_RATE
            self.frame_source = "config.json conv_stride"
        else:
            self.frame_s, self.frame_source = self._measure_frame_s(), "measured"

    # -- model inputs and outputs ------------------------------------------------------------
    def _bind_io(self) -> None:
        inputs = self._session.get_inputs()
        wave = [i for i in inputs if i.type == "tensor(float)"]
        if not wave:
            raise ModelError(f"{self.model_path} has no float input to take the waveform")
        self._wave_meta = wave[0]
        self._extra_inputs = []
        for meta in inputs:
            if meta is self._wave_meta:
                continue
            kind = "mask" if "mask" in meta.name.lower() else "len" if "len" in meta.name.lower() else None
            if kind is None or meta.type not in _NUMPY_OF_ORT:
                raise ModelError(f"{self.model_path}: do not know what to feed input '{meta.name}' ({meta.type}); "
                                 "onnx-ctc supports a waveform plus optional attention-mask/length inputs")
            self._extra_inputs.append((meta.name, kind, _NUMPY_OF_ORT[meta.type]))
        outputs = self._session.get_outputs()
        logits = [o for o in outputs if len(o.shape) in (2, 3) and "len" not in o.name.lower()]
        if not logits:
            raise ModelError(f"{self.model_path} has no [1, T, V] output")
        self._logits_meta = logits[0]
        lens = [o for o in outputs if "len" in o.name.lower()]
        self._len_output = lens[0].name if lens else None

    def _run(self, wav: np.ndarray) -> np.ndarray:
        """Raw model output [T, V] for one float32 waveform."""
        n = wav.shape[0]
        x = wav[None, :] if len(self._wave_meta.shape) != 1 else wav
        feed: dict[str, np.ndarray] = {self._wave_meta.name: np.ascontiguousarray(x, dtype=np.float32)}
        for name, kind, dtype in self._extra_inputs:
            feed[name] = np.ones((1, n), dtype=dtype) if kind == "mask" else np.array([n], dtype=dtype)
        names = [self._logits_meta.name] + ([self._len_output] if self._len_output else [])
        try:
            outs = self._session.run(names, feed)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"onnx-ctc model {self.model_path.name} failed on {n} samples: {one_line(exc)}") from exc
        logits = np.asarray(outs[0], dtype=np.float32)
        logits = logits[0] if logits.ndim == 3 else logits
        if self._len_output:
            logits = logits[: int(np.asarray(outs[1]).reshape(-1)[0])]
        return logits

    def _measure_frame_s(self) -> float:
        """Frames per second = T(2 s) - T(1 s); quiet noise rather than zeros so normalisation stays finite."""
        noise = 1e-3 * np.random.default_rng(0).standard_normal(2 * SAMPLE_RATE).astype(np.float32)
        t1 = self._run(self._prepare(noise[:SAMPLE_RATE])).shape[0]
        t2 = self._run(self._prepare(noise)).shape[0]
        if t2 <= t1:
            raise ModelError(f"{self.model_path}: output length does not grow with the input ({t1} frames for 1 s, "
                             f"{t2} for 2 s); state frame_s in config.json beside the model")
        return round_frame_s(1.0 / (t2 - t1))

    def _find_blank(self, blank: str | None, config: dict[str, Any], tok_cfg: dict[str, Any],
                    special_map: dict[str, Any], token_ids: dict[str, int]) -> int:
        def by_token(tok: str, source: str) -> int:
            if tok not in token_ids:
                raise ModelError(f"blank token {tok!r} ({source}) is not in {self.model_path.parent}'s vocabulary")
            return token_ids[tok]

        if blank is not None:
            return by_token(blank, "blank argument")
        if isinstance(config.get("blank"), str):
            return by_token(config["blank"], "config.json blank")
        for key in ("blank_id", "pad_token_id"):
            if isinstance(config.get(key), int) and 0 <= config[key] < len(self._vocab):
                return int(config[key])
        pad = _token_text(tok_cfg.get("pad_token")) or _token_text(special_map.get("pad_token"))
        if pad and pad in token_ids:
            return token_ids[pad]
        for tok in BLANK_CANDIDATES:
            if tok in token_ids:
                return token_ids[tok]
        raise ModelError(f"cannot tell which token of {self.vocab_path} is the CTC blank (none of "
                         f"{', '.join(BLANK_CANDIDATES)}); add {{\"blank\": \"TOKEN\"}} to config.json beside the model")

    # -- AcousticModel -------------------------------------------------------------------------
    @property
    def vocab(self) -> list[str]:
        return self._vocab

    def _prepare(self, audio: np.ndarray) -> np.ndarray:
        wav = np.asarray(audio, dtype=np.float32).reshape(-1)
        return normalize_waveform(wav) if self.do_normalize else wav

    def posteriors(self, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Posteriors:
        if sample_rate != SAMPLE_RATE:
            raise AudioError(f"onnx-ctc expects 16 kHz audio, got {sample_rate} Hz (resample first)")
        logits = self._run(self._prepare(audio))
        if logits.shape[0] < 1:
            raise AudioTooShortError(f"the onnx-ctc model gave no frames for {np.asarray(audio).size} samples")
        if logits.shape[1] != len(self._vocab):
            raise ModelError(f"{self.model_path.name} emits {logits.shape[1]} classes but {self.vocab_path.name} "
                             f"names {len(self._vocab)} tokens")
        return Posteriors(log_probs=log_softmax(logits), vocab=self._vocab, frame_s=self.frame_s,
                          blank_id=self.blank_id, special_ids=self.special_ids, time_offset_s=self.time_offset_s)

    def info(self) -> dict[str, Any]:
        return {
            "acoustic": self.name,
            "acoustic_version": f"{self.model_path.name} ({self.model_path.stat().st_size} bytes)",
            "acoustic_license": model_card_license(self.model_path.parent) or "see the model's own card",
            "frame_s": self.frame_s,
            "frame_s_source": self.frame_source,
            "vocab_size": len(self._vocab),
            "model_path": str(self.model_path),
            "threads": self.threads,
        }
