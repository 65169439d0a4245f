"""Command-line interface: a thin shell over `pronscore.Session`.

Every PronscoreError becomes a one-line message on stderr and a non-zero exit code.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pronscore import __version__
from pronscore.errors import PronscoreError
from pronscore.acoustic.registry import BACKENDS, DEFAULT_ACOUSTIC

EXIT_USAGE = 2


def _add_session_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--acoustic", default=DEFAULT_ACOUSTIC,
                   help=f"acoustic backend: {', '.join(BACKENDS)} (default {DEFAULT_ACOUSTIC})")
    p.add_argument("--acoustic-path", default=None, help="local model: hf-ctc dir / onnx-ctc .onnx (required); whisper-ctc head .npz")
    p.add_argument("--scorer", default=None, help="trained scorer file (default: the shipped scorer)")
    p.add_argument("--max-seconds", type=float, default=300.0, help="longest recording accepted (default 300)")


def _add_text_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--language", default="en", help="language of the text (default en; others need the espeak extra)")
    p.add_argument("--lexicon", default=None, help="user lexicon file: 'WORD PH1 PH2 ...' (ARPAbet) or 'WORD<TAB>IPA' lines")
    p.add_argument("--ipa", action="append", default=[], metavar="WORD=IPA",
                   help="target pronunciation of a word in IPA (repeatable), e.g. --ipa tomato=təˈmɑːtoʊ")
    p.add_argument("--l1", default=None, help="learner's first language (ISO 639-1) for L1-aware notes")
    p.add_argument("--reference-audio", default=None, metavar="DIR", help="write reference audio of mispronounced words into DIR")
    p.add_argument("--coach", default=None, metavar="URL", help="OpenAI-compatible chat endpoint for coaching text")


#: Learner names of pronscore.scoring.train.LEARNERS (listed here so `--help` stays instant;
#: tests check the two agree, and train-scorer rejects unknown names).
SCORER_LEARNERS = ("lgbm", "lgbm+inject", "ridge", "ridge+inject", "lgbm+inject0.3", "transformer",
                   "lgbm+transformer", "lgbm+inject+transformer", "lgbm+synth", "lgbm+synth+pair", "lgbm+synth+clean",
                   "lgbm+inject+synth", "lgbm+inject+synth+transformer")


def _comma_list(value: str) -> list[str]:
    items = [x.strip() for x in value.split(",") if x.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    return items


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pronscore", description="Offline pronunciation assessment.")
    parser.add_argument("--version", action="version", version=f"pronscore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("assess", help="assess a recording against the text the speaker read")
    a.add_argument("audio", help="audio file (WAV, FLAC, OGG, MP3), or - for stdin")
    a.add_argument("--text", required=True, help="the text the speaker meant to say")
    a.add_argument("--format", choices=["text", "json", "textgrid", "csv"], default="text")
    a.add_argument("-o", "--output", default=None, help="write the result to this file instead of stdout")
    a.add_argument("--plot", default=None, metavar="OUT.png", help="draw waveform, F0, pauses and words")
    _add_text_args(a)
    _add_session_args(a)

    d = sub.add_parser("doctor", help="what is installed and which backends work")
    d.add_argument("--json", action="store_true")

    b = sub.add_parser("bench", help="benchmarks that write JSON under benchmarks/")
    bsub = b.add_subparsers(dest="bench", metavar="BENCH")
    bs = bsub.add_parser("speed", help="real-time factor, load time and peak memory of the default stack")
    bs.add_argument("--out", default="benchmarks/speed.json")
    bs.add_argument("--durations", default="2,5,20,60", help="comma-separated input lengths in seconds")
    bs.add_argument("--repeats", type=int, default=3)
    _add_session_args(bs)
    bo = bsub.add_parser("speechocean762", help="predictions for a speechocean762-layout directory")
    bo.add_argument("--root", required=True)
    bo.add_argument("--split", default="test")
    bo.add_argument("--predictions", required=True, help="output JSONL")
    bo.add_argument("--limit", type=int, default=None, help="only the first N utterances")
    _add_session_args(bo)
    bsc = bsub.add_parser("score", help="Pearson per aspect and MDD from a predictions file")
    bsc.add_argument("--root", required=True)
    bsc.add_argument("--split", default="test")
    bsc.add_argument("--predictions", required=True)
    bsc.add_argument("--out", default=None, help="metrics JSON (default benchmarks/speechocean762-<split>.json)")
    bf = bsub.add_parser("oof", help="benchmark JSON of a trained scorer's out-of-fold (held-out speaker) predictions")
    bf.add_argument("--root", required=True, help="the speechocean762-layout directory it was trained on")
    bf.add_argument("--report", required=True, help="the scorer's .report.json (written by train-scorer)")
    bf.add_argument("--predictions", required=True, help="its out-of-fold predictions (JSONL in the feature cache)")
    bf.add_argument("--out", required=True, help="output JSON, e.g. benchmarks/speechocean762-train-oof-whisper-ctc.json")
    bc = bsub.add_parser("clean-readings", help="false error labels on the Piper voice's correct readings")
    bc.add_argument("--sentences", default=None, metavar="FILE", help="sentences to read, one per line")
    bc.add_argument("--root", default=None, help="or: the distinct sentences of a speechocean762-layout directory")
    bc.add_argument("--split", default="train", help="split directory under ROOT (default train)")
    bc.add_argument("--limit", type=int, default=None, help="at most N sentences, evenly spaced (default all)")
    bc.add_argument("--out", default="benchmarks/clean-readings.json")
    _add_session_args(bc)
    ba = bsub.add_parser("acoustic", help="phone error rate, raw GOP Pearson and RTF of an acoustic backend")
    ba.add_argument("--root", required=True, help="a directory in the speechocean762 layout")
    ba.add_argument("--split", default="test", help="split directory under ROOT (default test)")
    ba.add_argument("--out", default=None, help="report JSON (default benchmarks/acoustic-<acoustic>.json)")
    ba.add_argument("--limit", type=int, default=None, help="only the first N utterances")
    ba.add_argument("--speakers", default=None, metavar="LIST|FILE",
                    help="only these speakers (comma-separated, or a file with one per line)")
    ba.add_argument("--heldout-speakers", default=None, metavar="LIST|FILE",
                    help="speakers of the held-out subset (default: the validation speakers recorded in the "
                         "whisper-ctc head's weights)")
    _add_session_args(ba)

    t = sub.add_parser("train-scorer", help="train the learned scorer on a speechocean762-layout directory")
    t.add_argument("--root", required=True)
    t.add_argument("--split", default="train")
    t.add_argument("--out", required=True)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--cache-dir", default=None, metavar="DIR",
                   help="evidence cache (default ~/.cache/pronscore/features, or $PRONSCORE_FEATURE_CACHE)")
    t.add_argument("--folds", type=int, default=None, help="speaker-disjoint cross-validation folds (default 5)")
    t.add_argument("--learners", type=_comma_list, default=None, metavar="A,B,...",
                   help="learners to compare, comma-separated (default all; the +synth ones only with "
                        "--synth-errors): " + ", ".join(SCORER_LEARNERS))
    t.add_argument("--limit", type=int, default=None, help="only the first N utterances (quick runs)")
    t.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes extracting the evidence (default: one per CPU, at most 4)")
    t.add_argument("--acoustic-folds", default=None, metavar="DIR",
                   help="cross-fitted heads of --acoustic (folds.json from `train-acoustic --folds K`): each "
                        "utterance is analysed by the head that never heard its speaker")
    t.add_argument("--aux-acoustic", default=None, metavar="NAME",
                   help="a second backend whose evidence of the same phones the scorer also reads (e.g. hama)")
    t.add_argument("--synth-errors", type=int, default=0, metavar="N",
                   help="training rows from N corpus sentences read by eSpeak NG with one content-word phone "
                        "replaced by a PanPhon-near phone (label 0) and their clean twins (label 2), for the "
                        "+synth learners; training-only, cached under --cache-dir (default 0 = off; needs "
                        "pronscore[espeak])")
    _add_session_args(t)
    # hama by default: the default whisper-ctc head was trained on speechocean762, so its evidence on
    # the corpus is too clean to learn from; whisper-ctc needs --acoustic-folds (cross-fitted heads).
    t.set_defaults(acoustic="hama")
    for action in t._actions:
        if action.dest == "acoustic":
            action.help = (f"acoustic backend: {', '.join(BACKENDS)} (default hama; whisper-ctc needs "
                           "--acoustic-folds or --acoustic-path, see README)")

    ta = sub.add_parser("train-acoustic", help="train the Whisper-encoder CTC head (needs pronscore[train,whisper])")
    ta.add_argument("--root", required=True, help="a directory in the speechocean762 layout")
    ta.add_argument("--split", default="train")
    ta.add_argument("--out", required=True, help="head weights (.npz); a .report.json is written beside it")
    ta.add_argument("--epochs", type=int, default=30, help="most epochs (default 30)")
    ta.add_argument("--seed", type=int, default=0, help="seed of the speaker split and the training (default 0)")
    ta.add_argument("--val-fraction", type=float, default=0.15,
                    help="share of speakers held out for validation and early stopping (default 0.15)")
    ta.add_argument("--patience", type=int, default=5, help="stop after this many epochs without a better "
                                                             "validation PER (default 5)")
    ta.add_argument("--min-epochs", type=int, default=10, help="never stop before this epoch (default 10)")
    ta.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ta.add_argument("--cache-dir", default=None, metavar="DIR",
                    help="Whisper encoder vector cache (default ~/.cache/pronscore/whisper_encoder)")
    ta.add_argument("--synthetic", type=int, default=0, metavar="N",
                    help="add N clips of synthesized random-word speech to the training data (Piper and eSpeak NG "
                         "voices, rate/pitch perturbed, noise at 10-30 dB SNR; needs pronscore[tts,espeak])")
    ta.add_argument("--synthetic-engines", type=_comma_list, default=None, metavar="A,B",
                    help="engines for --synthetic: piper, espeak (default both)")
    ta.add_argument("--folds", type=int, default=None, metavar="K",
                    help="train K cross-fitted heads instead of one (--out is then a directory with folds.json): "
                         "head i never hears the speakers of fold i, for `train-scorer --acoustic-folds`")
    ta.add_argument("--init", default=None, metavar="PATH",
                    help="fine-tune from this head (.npz; with --folds a directory of fold{i}.npz); it must never "
                         "have heard the speakers this run validates on or holds out")
    ta.add_argument("--lr", type=float, default=None,
                    help="peak learning rate of the one-cycle schedule (default 0.0015)")

    s = sub.add_parser("say", help="synthesize reference audio (Piper for English, eSpeak NG otherwise)")
    s.add_argument("text")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--language", default="en")

    bt = sub.add_parser("batch", help="assess many recordings listed in a TSV (audio<TAB>text) into a JSONL file")
    bt.add_argument("manifest", help="TSV with columns: audio path, text (optional third column: id)")
    bt.add_argument("-o", "--output", required=True, help="JSONL output, one Assessment per line")
    bt.add_argument("--csv", default=None, help="also write one CSV row per phone")
    bt.add_argument("--language", default="en")
    _add_session_args(bt)

    sv = sub.add_parser("serve", help="HTTP service with a web page (needs pronscore[service])")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY' (or set PRONSCORE_API_KEY)")
    _add_session_args(sv)
    return parser


def _session(args):
    from pronscore.api import Session

    return Session(acoustic=args.acoustic, acoustic_path=args.acoustic_path, scorer=args.scorer,
                   max_seconds=args.max_seconds)


def _parse_overrides(items: list[str]) -> dict[str, str]:
    from pronscore.text.lexicon import parse_ipa_override

    return dict(parse_ipa_override(x) for x in items)


def cmd_assess(args) -> int:
    audio = sys.stdin.buffer.read() if args.audio == "-" else args.audio
    session = _session(args)
    result = session.assess(audio, args.text, language=args.language, lexicon=args.lexicon,
                            ipa=_parse_overrides(args.ipa), l1=args.l1, reference_audio_dir=args.reference_audio,
                            coach_url=args.coach)
    if args.plot:
        from pronscore.audio import prepare_audio
        from pronscore.prosody.plot import plot_assessment

        samples = prepare_audio(audio, max_seconds=args.max_seconds).samples
        plot_assessment(samples, 16000, result.words, session.last_pitch_track, result.fluency.get("pauses", []),
                        args.plot)
    if args.format == "text" and args.output is None:
        from pronscore.report.terminal import render

        render(result)
        return 0
    if args.format == "json":
        from pronscore.report.json_report import to_json

        out = to_json(result)
    elif args.format == "textgrid":
        from pronscore.report.textgrid import to_textgrid

        out = to_textgrid(result)
    elif args.format == "csv":
        from pronscore.report.csv_report import to_csv

        out = to_csv(result)
    else:
        from rich.console import Console

        from pronscore.report.terminal import render

        console = Console(record=True, file=open("/dev/null", "w"), width=120)
        render(result, console)
        out = console.export_text()
    _write(out, args.output)
    return 0


def _write(text: str, path: str | None) -> None:
    if path is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        Path(path).write_text(text, encoding="utf-8")


def cmd_doctor(args) -> int:
    from pronscore.doctor import run_doctor

    report = run_doctor()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        from pronscore.doctor import render_doctor

        render_doctor(report)
    return 0 if report["ok"] else 1


def cmd_bench(args) -> int:
    if args.bench == "speed":
        from pronscore.bench.speed import run_speed_bench

        run_speed_bench(args)
    elif args.bench == "speechocean762":
        from pronscore.bench.so762 import predict_corpus

        predict_corpus(args)
    elif args.bench == "score":
        from pronscore.bench.metrics import score_predictions_cli

        score_predictions_cli(args)
    elif args.bench == "acoustic":
        from pronscore.bench.acoustic import run_acoustic_bench

        run_acoustic_bench(args)
    elif args.bench == "oof":
        from pronscore.bench.oof import run_oof_bench

        run_oof_bench(args)
    elif args.bench == "clean-readings":
        from pronscore.bench.clean import run_clean_bench

        run_clean_bench(args)
    else:
        raise PronscoreError("choose a benchmark: speed, speechocean762, score, acoustic, oof, clean-readings")
    return 0


def cmd_train_scorer(args) -> int:
    from pronscore.scoring.train import train_scorer_cli

    train_scorer_cli(args)
    return 0


def cmd_train_acoustic(args) -> int:
    from pronscore.acoustic.train_head import main_train_acoustic

    report = main_train_acoustic(args)
    # With --folds the report maps every utterance to its fold: print the summary only.
    print(json.dumps({k: v for k, v in report.items() if k != "utt_to_fold"}, indent=2, ensure_ascii=False))
    return 0


def cmd_say(args) -> int:
    from pronscore.feedback.tts import say

    say(args.text, args.output, language=args.language)
    print(args.output)
    return 0


def cmd_batch(args) -> int:
    from pronscore.bench.batch import run_batch

    return run_batch(args)


def cmd_serve(args) -> int:
    from pronscore.service.app import serve

    serve(args)
    return 0


COMMANDS = {"assess": cmd_assess, "doctor": cmd_doctor, "bench": cmd_bench, "train-scorer": cmd_train_scorer,
            "train-acoustic": cmd_train_acoustic, "say": cmd_say, "batch": cmd_batch, "serve": cmd_serve}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except PronscoreError as exc:
        print(f"pronscore: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pronscore: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
