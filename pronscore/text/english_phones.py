"""Bring eSpeak NG's English IPA onto the CMUdict-derived English inventory.

English in-vocabulary words come from CMUdict (``ENGLISH_PHONES``); OOV words
come from eSpeak NG, which writes length marks (``iː``), British-style vowel
symbols, flaps and syllabic consonants. Mapping them onto the same inventory
keeps the reference phones of one utterance consistent, whatever the source.
"""
from __future__ import annotations

from pronscore.text.arpabet import ENGLISH_PHONES
from pronscore.text.ipa import is_vowel_phone

_INVENTORY = frozenset(ENGLISH_PHONES)

# eSpeak NG English phone -> ENGLISH_PHONES sequence.
_ESPEAK_TO_ENGLISH: dict[str, tuple[str, ...]] = {
    "iː": ("i",), "uː": ("u",), "ɑː": ("ɑ",), "ɔː": ("ɔ",), "ɜː": ("ɝ",), "ɜ": ("ɝ",),
    "ɒ": ("ɑ",), "a": ("æ",), "e": ("ɛ",), "ɐ": ("ə",), "ᵻ": ("ɪ",), "ᵿ": ("ʊ",),
    "əʊ": ("oʊ",), "o": ("oʊ",), "oː": ("oʊ",), "ɪə": ("ɪ", "ə"), "eə": ("ɛ", "ə"),
    "ʊə": ("ʊ", "ə"), "ɾ": ("t",), "ʔ": ("t",), "r": ("ɹ",), "ɫ": ("l",), "x": ("k",),
    "n̩": ("ə", "n"), "l̩": ("ə", "l"), "m̩": ("ə", "m"), "ɹ̩": ("ɚ",),
}


def _split_cluster(phone: str) -> list[str] | None:
    """Split a vowel cluster like "aɪɚ" into inventory phones, longest first."""
    pieces: list[str] = []
    rest = phone
    while rest:
        for size in (2, 1):
            head = rest[:size]
            mapped = _ESPEAK_TO_ENGLISH.get(head, (head,))
            if len(head) == size and all(p in _INVENTORY for p in mapped):
                pieces.extend(mapped)
                rest = rest[size:]
                break
        else:
            return None
    return pieces


def to_english_inventory(
    phones: list[str], stress: list[int | None]
) -> tuple[list[str], list[int | None]]:
    """Map eSpeak NG English phones onto ``ENGLISH_PHONES`` where a mapping exists.

    Phones without a mapping are kept as they are (the phone-set mapping in
    gop/ handles them). When one phone becomes several, the first keeps its
    stress and added vowels are unstressed. A ``ɹ`` right after ``ɚ``/``ɝ`` is
    dropped (eSpeak writes "fire" as ``aɪɚɹ``; CMUdict as AY ER).
    """
    # Vowels added by a split are unstressed when the word carries stress
    # information at all, unknown otherwise.
    added_vowel_stress = 0 if any(s is not None for s in stress) else None
    out_phones: list[str] = []
    out_stress: list[int | None] = []
    for phone, phone_stress in zip(phones, stress):
        mapped = list(_ESPEAK_TO_ENGLISH.get(phone, (phone,)))
        if not all(p in _INVENTORY for p in mapped):
            mapped = _split_cluster(phone) or [phone]
        for index, piece in enumerate(mapped):
            if piece == "ɹ" and out_phones and out_phones[-1] in ("ɚ", "ɝ"):
                continue
            if not is_vowel_phone(piece):
                piece_stress = None
            elif index == 0 and phone_stress is not None:
                piece_stress = phone_stress
            else:
                piece_stress = added_vowel_stress
            out_phones.append(piece)
            out_stress.append(piece_stress)
    return out_phones, out_stress
