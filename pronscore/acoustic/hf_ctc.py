"""Optional backend "hf-ctc": a wav2vec2-style phoneme CTC model saved locally in Hugging Face format.

For example facebook/wav2vec2-lv-60-espeak-cv-ft or wav2vec2-xlsr-53-espeak-cv-ft downloaded once by the user
(`save_pretrained` or a hub snapshot) into a directory holding `config.json`, the weights and `vocab.json`.
Nothing is fetched at run time: every load passes `local_files_only=True` and the path must be a directory.

torch and transformers are not dependencies of the core (they are large); they are imported when the backend is
constructed and their absence is a typed `MissingDependencyError` naming the `hf` extra.

The vocabulary is read from `vocab.json` directly rather than through the tokenizer class, because the espeak
phoneme tokenizers import `phonemizer` (and a system eSpeak) just to be constructed, which scoring never needs.
The tokenizer's pad token is the CTC blank (that is how transformers trains CTC heads); the word delimiter `|`,
`<s>`, `</s>`, `<unk>` and any other `<...>` token are special ids, never phone targets.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from pronscore.acoustic.base import Posteriors, log_softmax
from pronscore.errors import AudioError, AudioTooShortError, MissingDependencyError, ModelError, ModelNotFoundError

MODEL_NAME = "hf-ctc"
SAMPLE_RATE = 16000
INSTALL_HINT = "pip install 'pronscore[hf]'"


# --------------------------------------------------------------------------- vocabulary files (shared with onnx-ctc)
def _token_text(value: Any) -> str | None:
    """tokenizer_config.json writes special tokens either as strings or as AddedToken dicts."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path} is not a JSON object")
    return data


def read_vocab_json(path: Path, target_lang: str | None = None) -> dict[str, int]:
    """token -> id as Hugging Face CTC tokenizers write it.

    Multilingual tokenizers nest one table per language ({"eng": {...}, "fra": {...}}); then `target_lang`
    (from tokenizer_config.json) picks the table, or the only one if there is just one.
    """
    data = read_json(path)
    if data and all(isinstance(v, dict) for v in data.values()):
        if target_lang is None and len(data) == 1:
            target_lang = next(iter(data))
        if target_lang not in data:
            raise ModelError(f"{path} holds vocabularies for {sorted(data)}; set target_lang in tokenizer_config.json")
        data = data[target_lang]
    try:
        return {str(tok): int(i) for tok, i in data.items()}
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{path} is not a token -> id table: {exc}") from exc


def tokenizer_token_ids(folder: Path, vocab_file: Path | None = None) -> tuple[dict[str, int], dict[str, Any]]:
    """The full token table of a saved HF tokenizer and its tokenizer_config.json.

    vocab.json is the base table; tokens added on top of it (`added_tokens.json`, or `added_tokens_decoder` in
    tokenizer_config.json as transformers 5 writes it) can carry ids past its end, e.g. `<s>`/`</s>` when the
    vocabulary file lacks them, and the model emits those classes too.
    """
    tok_cfg = read_json(folder / "tokenizer_config.json") if (folder / "tokenizer_config.json").is_file() else {}
    table = read_vocab_json(vocab_file or folder / "vocab.json", tok_cfg.get("target_lang"))
    taken = set(table.values())
    added: dict[str, int] = {}
    if (folder / "added_tokens.json").is_file():
        added.update({str(t): int(i) for t, i in read_json(folder / "added_tokens.json").items()})
    for i, entry in (tok_cfg.get("added_tokens_decoder") or {}).items():
        tok = _token_text(entry)
        if tok is not None and str(i).isdigit():
            added.setdefault(tok, int(i))
    for tok, i in added.items():
        if tok not in table and i not in taken:
            table[tok] = i
            taken.add(i)
    return table, tok_cfg


def feature_extractor_config(folder: Path) -> dict[str, Any]:
    """Wav2Vec2FeatureExtractor settings: preprocessor_config.json (transformers 4 and hub snapshots) or the
    `feature_extractor` entry of processor_config.json (transformers 5 `save_pretrained`)."""
    if (folder / "preprocessor_config.json").is_file():
        return read_json(folder / "preprocessor_config.json")
    if (folder / "processor_config.json").is_file():
        fe = read_json(folder / "processor_config.json").get("feature_extractor")
        return fe if isinstance(fe, dict) else {}
    return {}


def vocab_list(token_ids: dict[str, int], size: int | None = None) -> tuple[list[str], set[int]]:
    """Token table -> list indexed by id, padded to the model's output size.

    Ids the table does not name (a head larger than its tokenizer) become placeholder tokens that are returned
    as extra special ids, so they never become phone targets.
    """
    n = max(token_ids.values(), default=-1) + 1
    if size is not None:
        if n > size:
            raise ModelError(f"the vocabulary names id {n - 1} but the model emits only {size} classes")
        n = size
    vocab: list[str | None] = [None] * n
    for tok, i in token_ids.items():
        if i < 0:
            raise ModelError(f"negative token id {i} for {tok!r}")
        vocab[i] = tok
    unnamed = {i for i, tok in enumerate(vocab) if tok is None}
    return [tok if tok is not None else f"<unused{i}>" for i, tok in enumerate(vocab)], unnamed


def special_token_ids(vocab: list[str], named: set[str]) -> set[int]:
    """Ids that are not phones: the named specials, any `<...>` token, and empty or whitespace tokens."""
    return {i for i, tok in enumerate(vocab)
            if tok in named or (tok.startswith("<") and tok.endswith(">")) or not tok.strip()}


def model_card_license(directory: Path) -> str | None:
    """The `license:` field of a hub model card (README.md front matter), if the snapshot kept it."""
    card = directory / "README.md"
    if not card.is_file():
        return None
    try:
        head = card.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return None
    m = re.search(r"^license:\s*(\S+)\s*$", head, flags=re.MULTILINE)
    return m.group(1) if m else None


def normalize_waveform(audio: np.ndarray) -> np.ndarray:
    """Zero-mean unit-variance, exactly as Wav2Vec2FeatureExtractor(do_normalize=True) does it."""
    return ((audio - audio.mean()) / np.sqrt(audio.var() + 1e-7)).astype(np.float32)


def one_line(exc: BaseException) -> str:
    """Runtime errors from transformers/onnxruntime span lines; the CLI's contract is a one-line message."""
    return " ".join(str(exc).split())


def _import_torch_transformers():
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingDependencyError(
            f"the hf-ctc acoustic backend needs torch and transformers ({exc.name} is not installed): {INSTALL_HINT}"
        ) from exc
    return torch, transformers


# --------------------------------------------------------------------------- the backend
class HfCtcModel:
    """AcousticModel backend "hf-ctc": any transformers `AutoModelForCTC` in a local directory.

    threads: torch intra-op threads used while this model runs (restored afterwards, since the setting is
    process-wide). chunk_s: recordings longer than this are run in windows (with `context_s` of audio either
    side that is computed but discarded), because self-attention memory grows with the square of the length
    and a 5-minute clip would need gigabytes; each window's frames keep their exact place on the global grid.
    """

    name = MODEL_NAME

    def __init__(self, path: str | Path, *, threads: int = 1, chunk_s: float = 30.0, context_s: float = 1.0) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_dir() or not (self.path / "config.json").is_file():
            what = "does not exist" if not self.path.exists() else "is not a Hugging Face model directory (no config.json)"
            raise ModelNotFoundError(
                f"hf-ctc model path {self.path} {what}; pass --acoustic-path DIR with a locally saved "
                "wav2vec2 CTC model (config.json, weights, vocab.json)")
        vocab_path = self.path / "vocab.json"
        if not vocab_path.is_file():
            raise ModelNotFoundError(f"hf-ctc model directory {self.path} has no vocab.json (save the processor "
                                     "or tokenizer beside the model)")
        torch, transformers = _import_torch_transformers()
        self._torch = torch
        self.threads = max(1, int(threads))
        hf_logging = transformers.utils.logging
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a loading bar on stderr would garble the CLI's one-line messages
        try:
            self._model = transformers.AutoModelForCTC.from_pretrained(
                str(self.path), local_files_only=True, dtype=torch.float32)
        except Exception as exc:  # bad weights, unknown architecture, ...: the message says which
            raise ModelError(f"cannot load a CTC model from {self.path}: {one_line(exc)}") from exc
        finally:
            if bar:
                hf_logging.enable_progress_bar()
        self._model.eval()
        config = self._model.config

        token_ids, tok_cfg = tokenizer_token_ids(self.path)
        special_map = read_json(self.path / "special_tokens_map.json") if (self.path / "special_tokens_map.json").is_file() else {}
        out_size = int(getattr(config, "vocab_size", 0) or 0) or None
        self._vocab, unnamed = vocab_list(token_ids, out_size)

        def special(key: str, default: str | None) -> str | None:
            return _token_text(tok_cfg.get(key)) or _token_text(special_map.get(key)) or default

        pad = special("pad_token", "<pad>")
        if pad in token_ids:
            self.blank_id = token_ids[pad]
        elif getattr(config, "pad_token_id", None) is not None:
            self.blank_id = int(config.pad_token_id)
        else:
            raise ModelError(f"{self.path}: cannot tell the CTC blank (no pad token in vocab.json or config.json)")
        named = {t for t in (pad, special("word_delimiter_token", "|"), special("bos_token", "<s>"),
                             special("eos_token", "</s>"), special("unk_token", "<unk>")) if t}
        self.special_ids = frozenset(special_token_ids(self._vocab, named) | unnamed | {self.blank_id})

        pre = feature_extractor_config(self.path)
        rate = int(pre.get("sampling_rate", SAMPLE_RATE))
        if rate != SAMPLE_RATE:
            raise ModelError(f"{self.path} expects {rate} Hz audio; pronscore feeds models 16 kHz")
        self.do_normalize = bool(pre.get("do_normalize", True))
        strides = list(getattr(config, "conv_stride", []) or [])
        kernels = list(getattr(config, "conv_kernel", []) or [])
        if not strides or len(kernels) != len(strides):
            raise ModelError(f"{self.path}: config has no conv_stride/conv_kernel, so the frame rate is unknown")
        self.hop = int(math.prod(int(s) for s in strides))
        # Samples one output frame sees through the feature encoder: frame t reads [t*hop, t*hop + receptive).
        self.receptive = 1 + sum((int(k) - 1) * math.prod(int(s) for s in strides[:i]) for i, k in enumerate(kernels))
        self._strides, self._kernels = [int(s) for s in strides], [int(k) for k in kernels]
        self.frame_s = self.hop / SAMPLE_RATE
        self.chunk_frames = max(1, int(round(chunk_s / self.frame_s)))
        self.context_frames = max(0, int(round(context_s / self.frame_s)))
        self._version = getattr(transformers, "__version__", "?")
        self._params = int(sum(p.numel() for p in self._model.parameters()))

    @property
    def vocab(self) -> list[str]:
        return self._vocab

    def num_frames(self, n_samples: int) -> int:
        """Output frames for `n_samples` of input: the feature encoder's valid convolutions, layer by layer."""
        n = int(n_samples)
        for k, s in zip(self._kernels, self._strides):
            n = (n - k) // s + 1 if n >= k else 0
        return max(n, 0)

    def _logits(self, wav: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.no_grad():
            out = self._model(torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)[None, :]))
        return out.logits[0].float().numpy()

    def posteriors(self, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Posteriors:
        if sample_rate != SAMPLE_RATE:
            raise AudioError(f"hf-ctc expects 16 kHz audio, got {sample_rate} Hz (resample first)")
        wav = np.asarray(audio, dtype=np.float32).reshape(-1)
        total = self.num_frames(wav.size)
        if total < 1:
            raise AudioTooShortError(f"{wav.size} samples is shorter than one frame of the hf-ctc model "
                                     f"({self.receptive} samples)")
        if self.do_normalize:
            # One normalisation over the whole clip, so windowed runs see the same scale as a single run.
            wav = normalize_waveform(wav)
        torch = self._torch
        prev = torch.get_num_threads()
        if prev != self.threads:
            torch.set_num_threads(self.threads)
        try:
            if total <= self.chunk_frames + 2 * self.context_frames:
                logits = self._logits(wav)
                if logits.shape[0] != total:
                    # e.g. adapter layers that downsample again: the frame grid would not be conv_stride's.
                    raise ModelError(f"{self.path}: the model gave {logits.shape[0]} frames where its conv "
                                     f"strides predict {total}; this architecture is not supported by hf-ctc")
            else:
                logits = self._windowed_logits(wav, total)
        finally:
            if prev != self.threads:
                torch.set_num_threads(prev)
        return Posteriors(log_probs=log_softmax(logits), vocab=self._vocab, frame_s=self.frame_s,
                          blank_id=self.blank_id, special_ids=self.special_ids)

    def _windowed_logits(self, wav: np.ndarray, total: int) -> np.ndarray:
        """Windows of `chunk_frames` owned frames with `context_frames` either side; frame t of a window that
        starts at sample f*hop is global frame f + t, because the encoder's convolutions are valid and strided."""
        out: np.ndarray | None = None
        for own0 in range(0, total, self.chunk_frames):
            own1 = min(total, own0 + self.chunk_frames)
            f0 = max(0, own0 - self.context_frames)
            f1 = min(total, own1 + self.context_frames)
            seg = wav[f0 * self.hop: (f1 - 1) * self.hop + self.receptive]
            lg = self._logits(seg)
            if out is None:
                out = np.empty((total, lg.shape[1]), dtype=np.float32)
            out[own0:own1] = lg[own0 - f0: own1 - f0]
        assert out is not None
        return out

    def info(self) -> dict[str, Any]:
        cfg = self._model.config
        return {
            "acoustic": self.name,
            "acoustic_version": f"{getattr(cfg, 'model_type', '?')} from {self.path.name} (transformers {self._version})",
            "acoustic_license": model_card_license(self.path) or "see the model's own card",
            "frame_s": self.frame_s,
            "vocab_size": len(self._vocab),
            "model_path": str(self.path),
            "parameters": self._params,
            "threads": self.threads,
        }
