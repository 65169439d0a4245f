"""Which realizations of a phone count as correct, per language.

Two kinds of equivalence:
- SPELLINGS: symbols a model may use for the same phone (hama writes /ɡ/ as "g", /ɹ/ as
  "r" at times). They are merged into one inventory entry, so "sounded like" never
  reports /g/ for /ɡ/.
- ACCEPTED: realizations a teacher accepts for the canonical phone in that context:
  reduced vowels ([ɪ] or [ʌ] for an unstressed /ə/), the cot-caught merger of General
  American (/ɑ/ ~ /ɔ/), flapped /t/ and /d/, r-coloured vowels that the model spells as
  vowel + /ɹ/. They stay separate inventory entries (so feedback can still say [ɔ]), but
  the canonical path accepts them.
"""
from __future__ import annotations

SPELLINGS: dict[str, tuple[str, ...]] = {
    "ɡ": ("ɡ", "g"),
    "ɹ": ("ɹ", "r", "ɻ"),
    "l": ("l", "ɫ"),
    "t͡ʃ": ("t͡ʃ", "tʃ"),
    "d͡ʒ": ("d͡ʒ", "dʒ"),
}

ENGLISH_ACCEPTED: dict[str, tuple[str, ...]] = {
    "ə": ("ɪ", "ʌ"),
    "ɑ": ("ɔ",),
    "ɔ": ("ɑ",),
    "ɝ": ("ɚ", "ɹ"),
    "ɚ": ("ɝ", "ɹ"),
    "t": ("ɾ",),
    "d": ("ɾ",),
}


def accepted_realizations(ipa: str, language: str, stress: int | None) -> tuple[str, ...]:
    """Other phones accepted for `ipa` (the canonical phone itself is always accepted)."""
    if language.lower().split("-")[0] != "en":
        return ()
    alts = ENGLISH_ACCEPTED.get(ipa, ())
    if ipa == "i" and stress == 0:  # the final vowel of "happy" varies between [i] and [ɪ]
        alts = ("ɪ",)
    return alts
