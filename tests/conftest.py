"""Shared fixtures: one Piper voice and one Session for the whole test run."""
from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "speechocean762"


@pytest.fixture(scope="session")
def speaker():
    from pronscore.bench.synth import PiperSpeaker

    return PiperSpeaker()


@pytest.fixture(scope="session")
def session():
    from pronscore.api import Session

    return Session()


@pytest.fixture(scope="session")
def speech(speaker, tmp_path_factory):
    """speech(text) -> path of a WAV of the Piper voice reading `text` (cached per text)."""
    root = tmp_path_factory.mktemp("speech")
    cache: dict[str, Path] = {}

    def make(text: str) -> Path:
        if text not in cache:
            path = root / f"utt{len(cache)}.wav"
            path.write_bytes(speaker.wav_bytes(text))
            cache[text] = path
        return cache[text]

    return make


@pytest.fixture(scope="session")
def corpus_root():
    if not (CORPUS / "resource" / "text-phone").is_file():
        pytest.skip("speechocean762 corpus not present beside the project")
    return CORPUS
