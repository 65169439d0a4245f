"""`pronscore bench speed`: real-time factor, load time and peak memory on one thread.

Measured as the issue defines it: `Session().assess(audio, text)` after one warm-up call,
elapsed time over audio duration. The measurement runs in a child process whose BLAS and
OpenMP pools are limited to one thread, so the figure is a one-core figure.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def run_speed_bench(args) -> None:
    env = dict(os.environ, **{v: "1" for v in THREAD_VARS})
    cmd = [sys.executable, "-m", "pronscore.bench.speed", "--durations", args.durations, "--repeats", str(args.repeats),
           "--acoustic", args.acoustic]
    if args.acoustic_path:
        cmd += ["--acoustic-path", str(args.acoustic_path)]
    if args.scorer:
        cmd += ["--scorer", str(args.scorer)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(out.returncode)
    report = json.loads(out.stdout)
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for row in report["runs"]:
        print(f"{row['audio_s']:6.1f} s audio: RTF {row['rtf_median']:.3f}  ({', '.join(f'{k} {v:.3f}' for k, v in row['stage_rtf'].items())})")
    print(f"session load {report['session_load_s']:.2f} s, first call {report['first_call_s']:.2f} s, "
          f"peak RSS {report['peak_rss_mb']:.0f} MB -> {path}")


def _worker(durations: list[float], repeats: int, acoustic: str, acoustic_path: str | None, scorer: str | None) -> dict:
    import numpy as np

    from pronscore.bench.synth import PiperSpeaker, speech_of_duration

    speaker = PiperSpeaker()
    clips = [(d, *speech_of_duration(speaker, d)) for d in durations]
    del speaker
    t = time.perf_counter()
    from pronscore.api import Session

    session = Session(acoustic=acoustic, acoustic_path=acoustic_path, scorer=scorer)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    session.assess(clips[0][1], clips[0][2], sample_rate=22050)  # warm-up: lexicons and tables load lazily
    first_call_s = time.perf_counter() - t
    runs = []
    for target, audio, text in clips:
        secs = len(audio) / 22050.0
        rtfs, stages = [], {}
        for _ in range(repeats):
            t = time.perf_counter()
            res = session.assess(audio, text, sample_rate=22050)
            rtfs.append((time.perf_counter() - t) / secs)
            for k, v in res.timing.items():
                if k.endswith("_s") and k != "total_s":
                    stages.setdefault(k[:-2], []).append(v / secs)
        runs.append({"target_s": target, "audio_s": round(secs, 2), "words": len(text.split()),
                     "rtf_median": float(np.median(rtfs)), "rtf_all": [round(r, 4) for r in rtfs],
                     "stage_rtf": {k: round(float(np.median(v)), 4) for k, v in stages.items()}})
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"command": "pronscore bench speed", "threads": 1, "acoustic": acoustic, "scorer": scorer or "default",
            "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count()},
            "session_load_s": round(load_s, 3), "first_call_s": round(first_call_s, 3),
            "peak_rss_mb": round(peak_kb / 1024.0, 1), "runs": runs,
            "date": time.strftime("%Y-%m-%d")}


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--durations", default="2,5,20,60")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--acoustic", default="hama")
    p.add_argument("--acoustic-path", default=None)
    p.add_argument("--scorer", default=None)
    a = p.parse_args()
    result = _worker([float(x) for x in a.durations.split(",")], a.repeats, a.acoustic, a.acoustic_path, a.scorer)
    print(json.dumps(result))
