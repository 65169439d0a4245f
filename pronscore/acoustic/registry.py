"""Names of the acoustic backends and how to construct them."""
from __future__ import annotations

from pathlib import Path

from pronscore.acoustic.base import AcousticModel
from pronscore.errors import ModelNotFoundError

DEFAULT_ACOUSTIC = "hama"
BACKENDS = ("hama", "whisper-ctc")


def load_acoustic_model(name: str = DEFAULT_ACOUSTIC, path: str | Path | None = None) -> AcousticModel:
    """Construct a backend by name. `path` is the local model path for hub-style backends."""
    if name == "hama":
        from pronscore.acoustic.hama_backend import HamaAcousticModel

        return HamaAcousticModel()
    if name == "whisper-ctc":
        from pronscore.acoustic.whisper_ctc import WhisperCtcModel

        return WhisperCtcModel(path)
    raise ModelNotFoundError(f"unknown acoustic backend '{name}'; choose one of: {', '.join(BACKENDS)}")
