"""`pronscore batch`: assess many recordings from a manifest into JSONL (and CSV).

Manifest: a TSV with `audio<TAB>text` per line (optional third column: an id; relative
audio paths are relative to the manifest). A recording that fails is written as an
error line, so one bad file loses nothing else; the exit code is 1 if any failed.
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from pronscore.errors import CorpusError, PronscoreError


def read_manifest(path: str | Path) -> list[tuple[str, Path, str]]:
    p = Path(path)
    if not p.is_file():
        raise CorpusError(f"manifest not found: {p}")
    rows = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 2 or not cols[1].strip():
            raise CorpusError(f"{p}:{n}: expected 'audio<TAB>text[<TAB>id]'")
        audio = Path(cols[0].strip())
        if not audio.is_absolute():
            audio = p.parent / audio
        rows.append((cols[2].strip() if len(cols) > 2 and cols[2].strip() else audio.stem, audio, cols[1].strip()))
    if not rows:
        raise CorpusError(f"manifest {p} lists no recordings")
    return rows


def run_batch(args) -> int:
    from pronscore.api import Session
    from pronscore.report.csv_report import COLUMNS, to_csv_rows

    rows = read_manifest(args.manifest)
    # Warm up once at start (CMUdict, PanPhon, VAD, minimal pairs ...) instead of in the first recording.
    session = Session(acoustic=args.acoustic, acoustic_path=args.acoustic_path, scorer=args.scorer,
                      max_seconds=args.max_seconds, language=args.language, preload=True)
    print(f"models loaded in {session.load_seconds:.2f} s, warmed up in {session.warm_up_seconds or 0.0:.2f} s",
          file=sys.stderr)
    failed = 0
    csv_file = open(args.csv, "w", newline="", encoding="utf-8") if args.csv else None
    writer = csv.DictWriter(csv_file, fieldnames=COLUMNS) if csv_file else None
    if writer:
        writer.writeheader()
    try:
        with open(args.output, "w", encoding="utf-8") as out:
            for k, (uid, audio, text) in enumerate(rows, 1):
                try:
                    result = session.assess(audio, text, language=args.language)
                except PronscoreError as exc:
                    failed += 1
                    out.write(json.dumps({"id": uid, "audio": str(audio), "error": {"code": exc.code, "message": str(exc)}}) + "\n")
                    print(f"{uid}: {exc}", file=sys.stderr)
                    continue
                out.write(json.dumps({"id": uid, "audio": str(audio), "assessment": result.to_dict()}, ensure_ascii=False) + "\n")
                if writer:
                    writer.writerows(to_csv_rows(result, uid))
                print(f"[{k}/{len(rows)}] {uid}: overall {result.scores.overall:.1f}", file=sys.stderr)
    finally:
        if csv_file:
            csv_file.close()
    print(f"{len(rows) - failed} assessed, {failed} failed -> {args.output}", file=sys.stderr)
    return 1 if failed else 0
