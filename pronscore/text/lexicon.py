"""User pronunciation lexicons and ``--ipa WORD=IPA`` overrides.

File format, one entry per line (UTF-8):

* ``WORD PH1 PH2 ...`` in ARPAbet with optional stress digits, separated by
  spaces or tabs, as CMUdict and speechocean762 ``resource/lexicon.txt`` write
  them (``ABLE<TAB>EY1 B L``);
* ``WORD<TAB>IPA`` (or ``WORD IPA``), e.g. ``pronscore<TAB>ˈpɹoʊnskɔɹ``.

A line is ARPAbet when every pronunciation token is a valid ARPAbet symbol
(case-insensitive), otherwise IPA. (So IPA written as space-separated letters
that all happen to be ARPAbet symbols, e.g. ``b ih``, is read as ARPAbet; IPA
is normally written without such tokens.) Lines starting with ``#`` and blank
lines are skipped; the first entry of a word wins (speechocean762 lists
alternatives after the primary one). Words match case-insensitively.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, NamedTuple

from pronscore.errors import LexiconError
from pronscore.text.arpabet import arpabet_to_ipa, is_arpabet_symbol
from pronscore.text.ipa import split_ipa


class LexiconEntry(NamedTuple):
    ipa: list[str]
    stress: list[int | None]
    arpabet: list[str] | None  # as written in the file (upper case) when the line was ARPAbet


def lexicon_key(word: str) -> str:
    """Case-insensitive key; curly apostrophes count as straight ones."""
    for apostrophe in "’‘ʼ":
        word = word.replace(apostrophe, "'")
    return unicodedata.normalize("NFC", word).casefold()


def parse_pronunciation(pronunciation: str) -> LexiconEntry:
    """Parse one pronunciation field: ARPAbet tokens or an IPA string."""
    tokens = pronunciation.split()
    if not tokens:
        raise LexiconError("empty pronunciation")
    if all(is_arpabet_symbol(token) for token in tokens):
        arpabet = [token.upper() for token in tokens]
        ipa, stress = arpabet_to_ipa(arpabet)
        return LexiconEntry(ipa, stress, arpabet)
    ipa, stress = split_ipa(pronunciation)
    return LexiconEntry(ipa, stress, None)


@dataclass
class UserLexicon:
    """Pronunciations supplied by the user; looked up before any dictionary or G2P."""

    source: str = "<lexicon>"
    entries: dict[str, LexiconEntry] = field(default_factory=dict)

    @classmethod
    def from_lines(cls, lines: Iterable[str], source: str = "<lexicon>") -> "UserLexicon":
        lexicon = cls(source=source)
        for line_number, raw_line in enumerate(lines, start=1):
            line = raw_line.strip()
            if not line or line.startswith("#"):
                continue
            if "\t" in line:
                word, _, pronunciation = line.partition("\t")
            else:
                word, _, pronunciation = line.partition(" ")
            word, pronunciation = word.strip(), pronunciation.strip()
            if not pronunciation:
                raise LexiconError(
                    f"{source}, line {line_number}: expected 'WORD PHONES...' or 'WORD<TAB>IPA', got {line!r}"
                )
            try:
                entry = parse_pronunciation(pronunciation)
            except LexiconError as exc:
                raise LexiconError(f"{source}, line {line_number}: {exc}") from exc
            lexicon.entries.setdefault(lexicon_key(word), entry)
        return lexicon

    def lookup(self, word: str) -> LexiconEntry | None:
        """``(ipa phones, stress per phone, arpabet or None)`` for ``word``, or None."""
        entry = self.entries.get(lexicon_key(word))
        if entry is None:
            return None
        return LexiconEntry(list(entry.ipa), list(entry.stress), list(entry.arpabet) if entry.arpabet else None)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, word: str) -> bool:
        return lexicon_key(word) in self.entries


def load_lexicon(path: str | Path) -> UserLexicon:
    """Read a lexicon file (see module doc); LexiconError names the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise LexiconError(f"lexicon file not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise LexiconError(f"lexicon file {path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise LexiconError(f"cannot read lexicon file {path}: {exc.strerror}") from exc
    return UserLexicon.from_lines(text.splitlines(), source=str(path))


def parse_ipa_override(spec: str) -> tuple[str, str]:
    """Parse the CLI's ``--ipa WORD=IPA`` into ``(word, ipa)``, checking the IPA parses."""
    word, separator, ipa = spec.partition("=")
    word, ipa = word.strip(), ipa.strip()
    if not separator or not word or not ipa:
        raise LexiconError(f"expected WORD=IPA (e.g. tomato=təˈmɑːtoʊ), got {spec!r}")
    try:
        split_ipa(ipa)
    except LexiconError as exc:
        raise LexiconError(f"--ipa {word}: {exc}") from exc
    return word, ipa
