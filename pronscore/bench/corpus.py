"""Reader for directories in the speechocean762 layout.

Works on any directory in that layout (the full corpus, our subset, another subset)
and never assumes which utterances are there. Predicting reads only audio,
`{split}/text`, `{split}/wav.scp`, `resource/text-phone` and `resource/lexicon.txt`;
ratings (`resource/scores.json`) are read only by `load_ratings`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pronscore.errors import CorpusError

_STRESS_OR_POS = re.compile(r"(_[BIES])$")


@dataclass
class CorpusWord:
    text: str
    phones: list[str]  # ARPAbet as the corpus writes them (stress digits kept, position suffixes removed)


@dataclass
class CorpusUtterance:
    utt: str
    speaker: str
    wav_path: Path
    text: str
    words: list[CorpusWord]


def _read_kv(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise CorpusError(f"missing corpus file: {path}")
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = line.split(maxsplit=1)
        out[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
    return out


def strip_position(phone: str) -> str:
    """'AO0_I' -> 'AO0' (text-phone marks word position with _B/_I/_E/_S)."""
    return _STRESS_OR_POS.sub("", phone)


def read_lexicon(root: Path) -> dict[str, list[str]]:
    """First entry of each word wins, as for user lexicons."""
    lex: dict[str, list[str]] = {}
    path = root / "resource" / "lexicon.txt"
    if not path.is_file():
        return lex
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].upper() not in lex:
            lex[parts[0].upper()] = parts[1:]
    return lex


def read_text_phone(root: Path) -> dict[str, dict[int, list[str]]]:
    """utt -> word index -> ARPAbet phones."""
    path = root / "resource" / "text-phone"
    out: dict[str, dict[int, list[str]]] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or "." not in parts[0]:
            continue
        utt, idx = parts[0].rsplit(".", 1)
        try:
            out.setdefault(utt, {})[int(idx)] = [strip_position(p) for p in parts[1:]]
        except ValueError:
            continue
    return out


def list_splits(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "wav.scp").is_file())


def load_split(root: str | Path, split: str) -> list[CorpusUtterance]:
    """All utterances of a split, with canonical phones per word from text-phone (lexicon fallback)."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"corpus directory not found: {root}")
    split_dir = root / split
    if not split_dir.is_dir():
        avail = ", ".join(list_splits(root)) or "none"
        raise CorpusError(f"split '{split}' not found under {root} (available: {avail})")
    texts = _read_kv(split_dir / "text")
    wavs = _read_kv(split_dir / "wav.scp")
    utt2spk = _read_kv(split_dir / "utt2spk") if (split_dir / "utt2spk").is_file() else {}
    text_phone = read_text_phone(root)
    lexicon = read_lexicon(root)
    utts: list[CorpusUtterance] = []
    for utt in sorted(wavs):
        if utt not in texts:
            continue
        wav = Path(wavs[utt])
        if not wav.is_absolute():
            wav = root / wav
        words: list[CorpusWord] = []
        tp = text_phone.get(utt, {})
        for i, w in enumerate(texts[utt].split()):
            phones = tp.get(i)
            if phones is None:
                phones = lexicon.get(w.upper())
            if phones is None:
                raise CorpusError(f"{utt}: word '{w}' has no phones in text-phone or lexicon.txt")
            words.append(CorpusWord(text=w, phones=list(phones)))
        utts.append(CorpusUtterance(utt=utt, speaker=utt2spk.get(utt, utt[:4]), wav_path=wav,
                                    text=texts[utt], words=words))
    if not utts:
        raise CorpusError(f"no utterances found in {split_dir}")
    return utts


def load_ratings(root: str | Path) -> dict[str, dict]:
    """resource/scores.json (expert ratings); empty dict when absent."""
    path = Path(root) / "resource" / "scores.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))
