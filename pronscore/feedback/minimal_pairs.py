"""English minimal pairs from CMUdict: words that differ only by target <-> heard at one position.

``minimal_pairs("θ", "s")`` -> ``[("think", "sink"), ("thing", "sing"), ...]``; a heard
phone of ``"∅"`` gives deletion pairs (``"t"`` -> ``("cold", "coal")``).

Ordering: the most frequent pairs first, by the rarer word's Zipf frequency from
the optional ``wordfreq`` package; without it, shorter words first (short words
tend to be common) and then alphabetically. With wordfreq, words rarer than
``MIN_ZIPF`` are skipped, which drops CMUdict's many names and abbreviations.

The index (pronunciation -> words, phone -> words containing it) is built lazily
on first use (or by `MinimalPairIndex.load`), once per MinimalPairIndex, from the
CMUdict the index is given (a Session passes the one its G2P parsed, so the
dictionary is parsed once), and results are cached per pair. With wordfreq the
index holds only the words common enough to be proposed (Zipf >= MIN_ZIPF, about
27k of CMUdict's 117k plain words), which makes both the build and each query
several times faster and changes no result.
"""
from __future__ import annotations

import math
import threading
from collections import defaultdict
from dataclasses import dataclass

from pronscore.feedback.articulation import normalize_phone
from pronscore.text.arpabet import arpabet_prons_to_ipa
from pronscore.text.cmudict_g2p import CmudictLexicon, split_pronunciations

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


class _ZipfFrequency:
    """wordfreq's English Zipf frequencies, read from its frequency-ordered word list.

    Only the words at ``min_zipf`` or above (the first few hundred of the list's centibel
    buckets, ~29k words) get a table of their own: that is all the index holds and ranks,
    and reading those buckets takes ~0.05 s where ``get_frequency_dict`` (all 321k words)
    takes ~0.2 s and ~20 MB more. For those lower-case single-token words the value is
    exactly ``wordfreq.zipf_frequency(word, "en")``, without the tokenizer's ~15 us per
    call; any other word goes through zipf_frequency itself.
    """

    def __init__(self, min_zipf: float = MIN_ZIPF) -> None:
        from wordfreq import cB_to_freq, get_frequency_list, zipf_frequency

        self._zipf_frequency = zipf_frequency
        self.min_zipf = min_zipf
        # 2% below the threshold's frequency is well under any rounding below.
        floor = 0.98 * 10.0 ** (min_zipf - 9.0)
        common: dict[str, float] = {}
        for index, bucket in enumerate(get_frequency_list("en", "best")):  # the call wordfreq caches
            freq = cB_to_freq(-index)
            if freq < floor:
                break
            # wordfreq rounds frequencies to 3 significant digits, then Zipf to 2 decimals.
            freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
            zipf = round(math.log(freq, 10) + 9, 2)
            for word in bucket:
                common[word] = zipf  # as in get_frequency_dict, a later bucket would win
        self._common = common

    def __call__(self, word: str) -> float:
        zipf = self._common.get(word)
        if zipf is not None and word.isascii() and word.isalpha() and word.islower():
            return zipf
        return self._zipf_frequency(word, "en")

    def common_words(self) -> frozenset[str]:
        """The plain words whose Zipf frequency is at least ``min_zipf``."""
        return frozenset(w for w, z in self._common.items()
                         if z >= self.min_zipf and w.isascii() and w.isalpha() and w.islower())


def _load_frequency() -> _ZipfFrequency | None:
    """wordfreq's Zipf lookup for English, or None when the package is not installed."""
    try:
        return _ZipfFrequency()
    except ImportError:
        return None


class MinimalPairIndex:
    """Finds English minimal pairs; owns the CMUdict index and the frequency lookup."""

    def __init__(self, *, use_wordfreq: bool = True, cmudict: CmudictLexicon | None = None) -> None:
        """``cmudict``: the parsed CMUdict to read (a Session passes its G2P's, so the
        dictionary is parsed once); a private one is created when None."""
        self._cmudict = cmudict if cmudict is not None else CmudictLexicon()
        self._index: _Index | None = None
        self._index_lock = threading.Lock()
        self._frequency = _load_frequency() if use_wordfreq else None
        self._cache: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def load(self) -> None:
        """Build the index now (CMUdict too, if not parsed yet) instead of on the first query."""
        self._ensure_index()

    @property
    def loaded(self) -> bool:
        return self._index is not None

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

    def swapped_word(self, phones_ipa: list[str], position: int, heard_ipa: str) -> str | None:
        """The common English word the word with pronunciation `phones_ipa` becomes when the phone at
        `position` is said as `heard_ipa` (cut -> cat for /ʌ/ said as /æ/), or None if it becomes no word
        or one of its own homophones."""
        if not 0 <= position < len(phones_ipa) or heard_ipa == DELETED:
            return None
        index = self._ensure_index()
        pron = tuple(normalize_phone(p) for p in phones_ipa)
        swapped = pron[:position] + (normalize_phone(heard_ipa),) + pron[position + 1:]
        if swapped == pron:
            return None
        own = set(index.words_by_pron.get(pron, ()))
        others = [w for w in index.words_by_pron.get(swapped, ()) if w not in own]
        return others[0] if others else None

    # --- internals ------------------------------------------------------------
    def _ensure_index(self) -> _Index:
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    self._index = _build_index(self._cmudict, self._frequency)
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


def _is_plain_word(word: str) -> bool:
    """Skip abbreviations, possessives, letter names and other entries that are not plain words."""
    return word.isalpha() and (len(word) > 2 or word in _SHORT_WORDS) and word not in _BLOCKED_WORDS


def _build_index(cmudict: CmudictLexicon, frequency: _ZipfFrequency | None = None) -> _Index:
    """The pronunciation and phone indexes over CMUdict's plain words.

    With ``frequency``, words rarer than MIN_ZIPF are left out: a pair needs both of its
    words at MIN_ZIPF or above to be ranked at all, so they could never be proposed.
    All pronunciations are converted to IPA in one batch (a dict lookup per symbol).
    """
    table = cmudict.load()  # word -> "ARPABET ...|ARPABET ..." (parsed once, shared with G2P)
    # CMUdict is in alphabetical order: keep that order after intersecting with the common words.
    candidates = table if frequency is None else sorted(table.keys() & frequency.common_words())
    words: list[str] = []
    prons_arpabet: list[list[str]] = []
    for word in candidates:
        if not _is_plain_word(word):
            continue
        for arpabet in split_pronunciations(table[word]):
            words.append(word)
            prons_arpabet.append(arpabet)
    prons_ipa = arpabet_prons_to_ipa(prons_arpabet)

    words_by_pron: dict[Pronunciation, list[str]] = defaultdict(list)
    prons_by_phone: dict[str, list[tuple[str, Pronunciation]]] = defaultdict(list)
    for word, pron in zip(words, prons_ipa):
        homophones = words_by_pron[pron]
        if word not in homophones:
            homophones.append(word)
        entry = (word, pron)
        for phone in set(pron):
            prons_by_phone[phone].append(entry)
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
