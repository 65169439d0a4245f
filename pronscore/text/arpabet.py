"""ARPAbet (CMUdict / speechocean762 style) <-> IPA.

ARPAbet symbols may carry a stress digit on vowels (``IH1``, ``AH0``); the
digit is returned separately so the IPA phones stay comparable across
lexicons. Two vowels change quality with stress, as CMUdict-based tools
conventionally render them: unstressed ``AH0`` is schwa and unstressed
``ER0`` is the r-coloured schwa.
"""
from __future__ import annotations

import re

from pronscore.errors import LexiconError

#: Base ARPAbet symbol -> IPA phone (stressed / unmarked quality).
ARPABET_TO_IPA: dict[str, str] = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ",
    "B": "b", "CH": "t͡ʃ", "D": "d", "DH": "ð", "EH": "ɛ", "ER": "ɝ",
    "EY": "eɪ", "F": "f", "G": "ɡ", "HH": "h", "IH": "ɪ", "IY": "i",
    "JH": "d͡ʒ", "K": "k", "L": "l", "M": "m", "N": "n", "NG": "ŋ",
    "OW": "oʊ", "OY": "ɔɪ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ",
    "T": "t", "TH": "θ", "UH": "ʊ", "UW": "u", "V": "v", "W": "w",
    "Y": "j", "Z": "z", "ZH": "ʒ",
}

#: Unstressed (digit 0) variants whose quality differs from the stressed one.
_UNSTRESSED_IPA: dict[str, str] = {"AH": "ə", "ER": "ɚ"}

ARPABET_VOWELS: frozenset[str] = frozenset(
    {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
)

#: The English IPA inventory, in ARPAbet order, with the unstressed variants
#: placed right after their stressed counterparts.
ENGLISH_PHONES: tuple[str, ...] = tuple(
    phone
    for symbol, ipa in ARPABET_TO_IPA.items()
    for phone in ((ipa, _UNSTRESSED_IPA[symbol]) if symbol in _UNSTRESSED_IPA else (ipa,))
)

_IPA_TO_ARPABET: dict[str, str] = {ipa: sym for sym, ipa in ARPABET_TO_IPA.items()}
_IPA_TO_ARPABET.update({ipa: sym for sym, ipa in _UNSTRESSED_IPA.items()})
# Accept the affricates without tie bar too, as people often type them that way.
_IPA_TO_ARPABET.update({"tʃ": "CH", "dʒ": "JH", "g": "G"})

_SYMBOL_RE = re.compile(r"^([A-Z]+)([012])?$")


def parse_arpabet_symbol(symbol: str) -> tuple[str, int | None]:
    """Split ``"IH1"`` into ``("IH", 1)``; raise LexiconError for unknown symbols.

    Lower-case input is accepted (some lexicons write ``ih1``).
    """
    match = _SYMBOL_RE.match(symbol.strip().upper())
    if match is None or match.group(1) not in ARPABET_TO_IPA:
        raise LexiconError(
            f"unknown ARPAbet symbol {symbol!r}; expected one of "
            f"{', '.join(ARPABET_TO_IPA)} with an optional stress digit 0/1/2"
        )
    base, digit = match.group(1), match.group(2)
    if digit is not None and base not in ARPABET_VOWELS:
        raise LexiconError(f"ARPAbet consonant {symbol!r} cannot carry a stress digit")
    return base, (int(digit) if digit is not None else None)


def is_arpabet_symbol(symbol: str) -> bool:
    """True when ``symbol`` is a valid ARPAbet symbol (with or without stress digit)."""
    try:
        parse_arpabet_symbol(symbol)
    except LexiconError:
        return False
    return True


def arpabet_to_ipa(phones: list[str]) -> tuple[list[str], list[int | None]]:
    """Convert ARPAbet phones to IPA phones and a stress value per phone.

    Stress is the digit when given, ``None`` for consonants and for vowels
    written without a digit.
    """
    ipa: list[str] = []
    stress: list[int | None] = []
    for symbol in phones:
        base, digit = parse_arpabet_symbol(symbol)
        if digit == 0 and base in _UNSTRESSED_IPA:
            ipa.append(_UNSTRESSED_IPA[base])
        else:
            ipa.append(ARPABET_TO_IPA[base])
        stress.append(digit)
    return ipa, stress


def ipa_to_arpabet(phone: str) -> str | None:
    """The base ARPAbet symbol (no stress digit) for an English IPA phone, else None.

    A length mark is ignored ("iː" -> IY); "tʃ"/"dʒ" without tie bar and ASCII
    "g" are accepted.
    """
    return _IPA_TO_ARPABET.get(phone.replace("ː", ""))
