"""Names of the acoustic backends and how to construct them."""
from __future__ import annotations

from pathlib import Path

from pronscore.acoustic.base import AcousticModel
from pronscore.errors import ModelNotFoundError

DEFAULT_ACOUSTIC = "hama"
BACKENDS = ("hama", "whisper-ctc", "hf-ctc", "onnx-ctc")


def load_acoustic_model(name: str = DEFAULT_ACOUSTIC, path: str | Path | None = None) -> AcousticModel:
    """Construct a backend by name. `path` is the local model path for hub-style backends."""
    if name == "hama":
        from pronscore.acoustic.hama_backend import HamaAcousticModel

        return HamaAcousticModel()
    if name == "whisper-ctc":
        from pronscore.acoustic.whisper_ctc import WhisperCtcModel

        return WhisperCtcModel(path)
    if name == "hf-ctc":
        from pronscore.acoustic.hf_ctc import HfCtcModel

        if path is None:
            raise ModelNotFoundError("--acoustic hf-ctc needs --acoustic-path DIR (a local wav2vec2 CTC model folder)")
        return HfCtcModel(path)
    if name == "onnx-ctc":
        from pronscore.acoustic.onnx_ctc import OnnxCtcModel

        if path is None:
            raise ModelNotFoundError("--acoustic onnx-ctc needs --acoustic-path FILE.onnx (with vocab.json beside it)")
        return OnnxCtcModel(path)
    raise ModelNotFoundError(f"unknown acoustic backend '{name}'; choose one of: {', '.join(BACKENDS)}")
