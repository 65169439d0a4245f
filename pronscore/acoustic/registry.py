"""Names of the acoustic backends and how to construct them."""
from __future__ import annotations

from pathlib import Path

from pronscore.acoustic.base import AcousticModel
from pronscore.errors import ModelNotFoundError

# whisper-ctc (our CTC head on the Whisper-tiny encoder, with hama as the scorer's second view) is the
# default: it tracks expert ratings far better than hama alone (README, Measured); hama stays selectable.
DEFAULT_ACOUSTIC = "whisper-ctc"
BACKENDS = ("hama", "whisper-ctc", "hf-ctc", "onnx-ctc")
#: Backends that run a model the user keeps locally; they have no default model, so a path is required.
PATH_BACKENDS = {
    "hf-ctc": "a local Hugging Face wav2vec2 CTC model directory (config.json, weights, vocab.json)",
    "onnx-ctc": "a local .onnx CTC model with vocab.json or tokens.txt beside it",
}


def load_acoustic_model(name: str = DEFAULT_ACOUSTIC, path: str | Path | None = None, *,
                        threads: int = 1) -> AcousticModel:
    """Construct a backend by name. `path` is the local model path for hub-style backends.

    threads: intra-op threads for backends that run torch or onnxruntime (hama sets its own).
    """
    if name == "hama":
        from pronscore.acoustic.hama_backend import HamaAcousticModel

        return HamaAcousticModel()
    if name == "whisper-ctc":
        from pronscore.acoustic.whisper_ctc import WhisperCtcModel

        return WhisperCtcModel(path, threads=threads)
    if name in PATH_BACKENDS:
        if path is None or not str(path).strip():
            raise ModelNotFoundError(f"the {name} acoustic backend needs --acoustic-path PATH "
                                     f"(Python: acoustic_path=...): {PATH_BACKENDS[name]}")
        if name == "hf-ctc":
            from pronscore.acoustic.hf_ctc import HfCtcModel

            return HfCtcModel(path, threads=threads)
        from pronscore.acoustic.onnx_ctc import OnnxCtcModel

        return OnnxCtcModel(path, threads=threads)
    raise ModelNotFoundError(f"unknown acoustic backend '{name}'; choose one of: {', '.join(BACKENDS)}")
