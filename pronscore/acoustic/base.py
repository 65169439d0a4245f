"""The acoustic model interface: audio in, frame-level CTC log-posteriors out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass
class Posteriors:
    """Frame-level CTC log-posteriors of one utterance.

    log_probs: float32 [T, V], each row a normalized log distribution over `vocab`.
    vocab: token strings (IPA symbols, plus the blank and any special tokens).
    frame_s: seconds per frame (0.02 for the shipped models).
    blank_id: index of the CTC blank in `vocab`.
    special_ids: tokens that are not phones (blank, word boundary, padding, ...).
    """

    log_probs: np.ndarray
    vocab: list[str]
    frame_s: float
    blank_id: int
    special_ids: frozenset[int] = field(default_factory=frozenset)
    # CTC spikes come after the onset of the sound they stand for; a backend states by how
    # much (negative: shift times earlier) so phone and word times line up with the audio.
    time_offset_s: float = 0.0

    @property
    def num_frames(self) -> int:
        return int(self.log_probs.shape[0])


@runtime_checkable
class AcousticModel(Protocol):
    """What the engine needs from an acoustic model. Implementations own their weights."""

    name: str

    @property
    def vocab(self) -> list[str]: ...

    def posteriors(self, audio: np.ndarray, sample_rate: int = 16000) -> Posteriors:
        """audio: float32 mono at 16 kHz."""
        ...

    def info(self) -> dict[str, Any]:
        """Name, version, licence, size: what goes into Assessment.model."""
        ...


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Renormalise scores into log-probabilities (stable log-sum-exp)."""
    m = np.max(x, axis=axis, keepdims=True)
    z = x - m
    return (z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))).astype(np.float32)
