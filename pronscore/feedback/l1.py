"""First-language (L1) notes: why a learner with a given mother tongue finds a sound hard.

The data (``data/l1_inventories.json``) holds per L1 a phoneme inventory,
sounds that exist only as variants of another phoneme ("allophones"), and known
English transfer patterns (target -> what is heard instead), each with the
source it was written from (see the file's ``_about``).

A note is produced when the (target, heard) pair is a known pattern, when the
target is missing from the L1 inventory, or both.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pronscore.errors import UnsupportedLanguageError
from pronscore.feedback.articulation import normalize_phone

DELETED = "∅"
ANY_CONSONANT = "*C"
_DATA_FILE = "l1_inventories.json"
# English vowels that are never consonants, for the ANY_CONSONANT pattern.
_VOWEL_LETTERS = frozenset("aeiouyæɑɒɔəɛɜɝɚɪʊʌɐɨʉɘɵɞɤɯøœ")


@dataclass(frozen=True)
class TransferPattern:
    target: str
    heard: str
    note: str


@dataclass(frozen=True)
class L1Profile:
    code: str
    name: str
    source: str
    consonants: frozenset[str]
    vowels: frozenset[str]
    allophones: dict[str, str]  # variant -> the phoneme it belongs to
    patterns: tuple[TransferPattern, ...]
    patterns_source: str

    def has_phoneme(self, phone: str) -> bool:
        """True when `phone` is a phoneme of the language (diphthongs: when both parts are)."""
        inventory = self.consonants | self.vowels
        plain = phone.replace("ː", "")
        if phone in inventory or plain in inventory:
            return True
        if len(plain) == 2 and plain[0] in _VOWEL_LETTERS and plain[1] in _VOWEL_LETTERS:
            # English off-glides /ɪ ʊ/ count as the L1's /i u/ ("ai" in Spanish is /aɪ/ enough).
            glide = {"ɪ": "i", "ʊ": "u"}.get(plain[1], plain[1])
            return plain[0] in inventory and (plain[1] in inventory or glide in inventory)
        return False


class L1Notes:
    """The L1 table, loaded once per object."""

    def __init__(self) -> None:
        raw = json.loads(resources.files("pronscore.feedback").joinpath("data", _DATA_FILE).read_text("utf-8"))
        self.profiles: dict[str, L1Profile] = {
            code: _profile(code, row) for code, row in raw["languages"].items()
        }

    @property
    def supported(self) -> list[str]:
        return sorted(self.profiles)

    def profile(self, l1: str) -> L1Profile:
        """The profile for an L1 code ("zh", "pt-BR", "ES" ...); UnsupportedLanguageError otherwise."""
        code = (l1 or "").strip().lower().replace("_", "-").split("-", 1)[0]
        if code not in self.profiles:
            raise UnsupportedLanguageError(
                f"no L1 notes for {l1!r}; supported first languages: {', '.join(self.supported)}"
            )
        return self.profiles[code]

    def note(self, target_ipa: str, heard_ipa: str | None, l1: str) -> str | None:
        """A note on why this sound is hard for speakers of `l1`, or None if we know nothing useful."""
        profile = self.profile(l1)
        target = normalize_phone(target_ipa)
        heard = normalize_phone(heard_ipa) if heard_ipa else None
        sentences: list[str] = []
        pattern = _matching_pattern(profile, target, heard)
        if pattern is not None:
            sentences.append(f"A common pattern for {profile.name} speakers: {pattern.note}.")
        if not profile.has_phoneme(target):
            if target in profile.allophones:
                sentences.append(
                    f"In {profile.name}, [{target}] occurs only as a variant of /{profile.allophones[target]}/, "
                    f"so it does not feel like a separate sound."
                )
            else:
                sentences.append(f"/{target}/ does not exist in {profile.name}, so it is a new sound to learn.")
            if heard and heard != DELETED and profile.has_phoneme(heard) and pattern is None:
                sentences.append(f"/{heard}/ is a {profile.name} sound, which is why it comes out instead.")
        return " ".join(sentences) if sentences else None


def _matching_pattern(profile: L1Profile, target: str, heard: str | None) -> TransferPattern | None:
    if heard is None:
        return None
    for pattern in profile.patterns:
        if pattern.heard != heard:
            continue
        if pattern.target == target:
            return pattern
        if pattern.target == ANY_CONSONANT and heard == DELETED and not (set(target) & _VOWEL_LETTERS):
            return pattern
    return None


def _profile(code: str, row: dict) -> L1Profile:
    return L1Profile(
        code=code,
        name=row["name"],
        source=row["source"],
        consonants=frozenset(normalize_phone(p) for p in row["consonants"]),
        vowels=frozenset(normalize_phone(p) for p in row["vowels"]),
        allophones={normalize_phone(k): v for k, v in row.get("allophones", {}).items()},
        patterns=tuple(
            TransferPattern(normalize_phone(p["target"]) if p["target"] != ANY_CONSONANT else ANY_CONSONANT,
                            p["heard"] if p["heard"] == DELETED else normalize_phone(p["heard"]), p["note"])
            for p in row.get("patterns", [])
        ),
        patterns_source=row.get("patterns_source", ""),
    )


@lru_cache(maxsize=1)
def default_l1_notes() -> L1Notes:
    """Shared, read-only table for the module-level function."""
    return L1Notes()


def l1_note(target_ipa: str, heard_ipa: str | None, l1: str) -> str | None:
    """See L1Notes.note."""
    return default_l1_notes().note(target_ipa, heard_ipa, l1)


def supported_l1s() -> list[str]:
    return default_l1_notes().supported
