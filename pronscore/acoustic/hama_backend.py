"""Default acoustic model: hama's multilingual IPA CTC phone recognizer (Apache-2.0).

Its weights ship inside the `hama` wheel and run on hama's native engine, so this
backend needs no download and no onnxruntime.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from pronscore.acoustic.base import Posteriors, log_softmax
from pronscore.acoustic.windows import MAX_WINDOW_SAMPLES, quiet_cut_points
from pronscore.errors import MissingDependencyError, ModelError

# Tokens of hama's vocabulary that are not phones: CTC blank, word boundary, padding,
# punctuation. Bare diacritics and tone letters stay in the vocabulary (they are
# emitted after a base phone) but are never targets.
_NON_PHONE_TOKENS = {"<pad>", "<sos>", "<eos>", "<unk>", " ", "%", ",", "<wb>", "<blank>", "~"}


# hama's first emission of a phone comes a median 53 ms after the phone's onset in eSpeak NG
# speech whose phone timings are known (measured on two 40-phone sentences); shift by two frames.
HAMA_TIME_OFFSET_S = -0.04


class HamaAcousticModel:
    name = "hama"

    def __init__(self) -> None:
        try:
            import hama
            from hama.asr import ASR_OUTPUT_FRAME_SAMPLES, ASRModel
        except ImportError as exc:  # pragma: no cover - hama is a core dependency
            raise MissingDependencyError("the default acoustic model needs the 'hama' package: pip install hama") from exc
        try:
            self._model = ASRModel()
        except Exception as exc:  # native engine missing for this platform
            raise ModelError(f"could not load hama's phone recognizer: {exc}") from exc
        self._version = getattr(hama, "__version__", None) or _dist_version("hama")
        self._vocab = list(self._model.decoder_tokens)
        self._blank_id = self._vocab.index("<blank>")
        self._special = frozenset(i for i, t in enumerate(self._vocab) if t in _NON_PHONE_TOKENS)
        self._frame_s = ASR_OUTPUT_FRAME_SAMPLES / float(self._model.model_sample_rate)
        self._sample_rate = int(self._model.model_sample_rate)
        self._frame_samples = int(ASR_OUTPUT_FRAME_SAMPLES)

    @property
    def vocab(self) -> list[str]:
        return self._vocab

    def posteriors(self, audio: np.ndarray, sample_rate: int = 16000) -> Posteriors:
        if sample_rate != self._sample_rate:
            raise ValueError(f"hama expects {self._sample_rate} Hz audio, got {sample_rate}")
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        # Long clips in windows of at most 15 s, cut in quiet stretches: the engine's memory grows
        # faster than linearly with length (+100 MB for one 60 s pass). Each window gives one frame
        # per 320 samples plus one for its end; all but the last window drop that end frame, so
        # the frames line up with a single pass over the clip.
        cuts = quiet_cut_points(audio, MAX_WINDOW_SAMPLES, step=self._frame_samples)
        pieces = []
        for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
            lp = self._run(audio[a:b])
            pieces.append(lp if k == len(cuts) - 2 else lp[: (b - a) // self._frame_samples])
        lp = pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=0)
        return Posteriors(log_probs=lp, vocab=self._vocab, frame_s=self._frame_s,
                          blank_id=self._blank_id, special_ids=self._special, time_offset_s=HAMA_TIME_OFFSET_S)

    def _run(self, audio: np.ndarray) -> np.ndarray:
        wav = np.ascontiguousarray(audio, dtype=np.float32).reshape(1, -1)
        m = self._model
        log_probs, out_lengths = m.session.run(
            [m._log_probs_output_name, m._out_lengths_output_name],
            {m._waveform_input_name: wav, m._waveform_lengths_input_name: np.array([wav.shape[1]], dtype=np.int64)},
        )
        n = int(np.asarray(out_lengths).reshape(-1)[0])
        # The engine's outputs are log-softmax already up to float error; renormalise so every
        # row is an exact log distribution (the GOP ratios rely on it).
        return log_softmax(np.asarray(log_probs[0, :n], dtype=np.float32))

    def info(self) -> dict[str, Any]:
        return {"acoustic": self.name, "acoustic_version": self._version, "acoustic_license": "Apache-2.0",
                "frame_s": self._frame_s, "vocab_size": len(self._vocab)}


def _dist_version(name: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return None
