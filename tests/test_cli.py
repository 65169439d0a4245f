"""The CLI as a user runs it: exit codes, one-line errors, output formats."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from pronscore.report.json_report import validate_assessment


def run(*args, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "pronscore.cli", *args], capture_output=True, input=stdin, timeout=300)


def test_version_and_help():
    out = run("--version")
    assert out.returncode == 0 and out.stdout.decode().startswith("pronscore ")
    helptext = run("--help").stdout.decode()
    for cmd in ("assess", "doctor", "bench", "train-scorer", "train-acoustic", "say", "batch", "serve"):
        assert cmd in helptext


def test_assess_json_validates(speech):
    out = run("assess", str(speech("The cat sat on the mat.")), "--text", "The cat sat on the mat.", "--format", "json")
    assert out.returncode == 0, out.stderr.decode()
    doc = json.loads(out.stdout)
    validate_assessment(doc)
    assert [w["text"] for w in doc["words"]] == ["The", "cat", "sat", "on", "the", "mat"]


def test_assess_textgrid_and_text(speech, tmp_path):
    wav = str(speech("The cat sat on the mat."))
    tg = tmp_path / "out.TextGrid"
    out = run("assess", wav, "--text", "The cat sat on the mat.", "--format", "textgrid", "-o", str(tg))
    assert out.returncode == 0, out.stderr.decode()
    body = tg.read_text()
    assert 'name = "words"' in body and 'name = "phones"' in body and 'text = "cat"' in body
    out = run("assess", wav, "--text", "The cat sat on the mat.")
    assert out.returncode == 0 and "cat" in out.stdout.decode()


def _err(out) -> str:
    text = out.stderr.decode().strip()
    assert "Traceback" not in text
    assert len(text.splitlines()) == 1, text
    return text


@pytest.fixture()
def bad_inputs(tmp_path):
    sr = 16000
    files = {}
    files["corrupt"] = tmp_path / "corrupt.wav"
    files["corrupt"].write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    files["empty"] = tmp_path / "empty.wav"
    files["empty"].write_bytes(b"")
    files["short"] = tmp_path / "short.wav"
    sf.write(files["short"], 0.1 * np.random.default_rng(0).standard_normal(int(0.1 * sr)), sr)
    files["silent"] = tmp_path / "silent.wav"
    sf.write(files["silent"], np.zeros(2 * sr), sr)
    files["long"] = tmp_path / "long.wav"
    sf.write(files["long"], 0.1 * np.random.default_rng(0).standard_normal(12 * sr), sr)
    files["missing"] = tmp_path / "nope.wav"
    return files


@pytest.mark.parametrize("kind,needle", [("corrupt", "decode"), ("empty", "empty"), ("short", "at least 0.3 s"),
                                         ("silent", "silen"), ("missing", "nope.wav")])
def test_bad_audio_gives_one_line_error(bad_inputs, kind, needle):
    out = run("assess", str(bad_inputs[kind]), "--text", "hello world")
    assert out.returncode != 0
    assert needle in _err(out).lower()


def test_too_long_audio(bad_inputs):
    out = run("assess", str(bad_inputs["long"]), "--text", "hello world", "--max-seconds", "10")
    assert out.returncode != 0
    assert "long" in _err(out).lower()


@pytest.mark.parametrize("text,needle", [("", "empty"), ("   ...  ", "no words"), ("hello 🙂", "character")])
def test_bad_text_gives_one_line_error(speech, text, needle):
    out = run("assess", str(speech("The cat sat on the mat.")), "--text", text)
    assert out.returncode != 0
    assert needle in _err(out).lower()


def test_unsupported_language(speech):
    out = run("assess", str(speech("The cat sat on the mat.")), "--text", "hello", "--language", "xx-klingon")
    assert out.returncode != 0
    assert "language" in _err(out).lower()


def test_bad_lexicon_and_override(speech, tmp_path):
    lex = tmp_path / "lex.txt"
    lex.write_text("CAT K AE1 T\nMAT QQ9 AE T\n")
    out = run("assess", str(speech("The cat sat on the mat.")), "--text", "The cat", "--lexicon", str(lex))
    assert out.returncode != 0 and "2" in _err(out)
    out = run("assess", str(speech("The cat sat on the mat.")), "--text", "The cat", "--ipa", "cat")
    assert out.returncode != 0
    _err(out)


def test_batch_keeps_going_after_a_bad_file(speech, tmp_path, bad_inputs):
    manifest = tmp_path / "m.tsv"
    manifest.write_text(f"{speech('The cat sat on the mat.')}\tThe cat sat on the mat.\tgood\n"
                        f"{bad_inputs['corrupt']}\tThe cat sat.\tbad\n")
    out_path = tmp_path / "out.jsonl"
    out = run("batch", str(manifest), "-o", str(out_path))
    assert out.returncode == 1
    lines = [json.loads(x) for x in out_path.read_text().splitlines()]
    assert lines[0]["id"] == "good" and "assessment" in lines[0]
    validate_assessment(lines[0]["assessment"])
    assert lines[1]["id"] == "bad" and lines[1]["error"]["code"] == "audio_unreadable"
