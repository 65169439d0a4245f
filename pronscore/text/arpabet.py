"""ARPAbet (CMUdict / speechocean762 style) <-> IPA.

ARPAbet symbols may carry a stress digit on vowels (``IH1``, ``AH0``); the
digit is returned separately so the IPA phones stay comparable across
lexicons. Two vowels change quality with stress, as CMUdict-based tools
conventionally render them: unstressed ``AH0`` is schwa and unstressed
``ER0`` is the r-coloured schwa.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

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


def _symbol_ipa(base: str, digit: int | None) -> str:
    if digit == 0 and base in _UNSTRESSED_IPA:
        return _UNSTRESSED_IPA[base]
    return ARPABET_TO_IPA[base]


#: Every valid upper-case ARPAbet token ("IH1", "AH0", "TH", "IY") -> (IPA phone, stress digit):
#: converting a pronunciation is one dict lookup per token. Other spellings (lower case,
#: surrounding spaces) and invalid symbols fall back to `parse_arpabet_symbol`.
_TOKEN_TABLE: dict[str, tuple[str, int | None]] = {
    base + ("" if digit is None else str(digit)): (_symbol_ipa(base, digit), digit)
    for base in ARPABET_TO_IPA
    for digit in ((None, 0, 1, 2) if base in ARPABET_VOWELS else (None,))
}
_TOKEN_IPA: dict[str, str] = {token: ipa for token, (ipa, _) in _TOKEN_TABLE.items()}


def _convert_token(symbol: str) -> tuple[str, int | None]:
    hit = _TOKEN_TABLE.get(symbol)
    if hit is None:
        base, digit = parse_arpabet_symbol(symbol)  # raises LexiconError for unknown symbols
        hit = (_symbol_ipa(base, digit), digit)
    return hit


def arpabet_to_ipa(phones: list[str]) -> tuple[list[str], list[int | None]]:
    """Convert ARPAbet phones to IPA phones and a stress value per phone.

    Stress is the digit when given, ``None`` for consonants and for vowels
    written without a digit.
    """
    ipa: list[str] = []
    stress: list[int | None] = []
    table = _TOKEN_TABLE
    for symbol in phones:
        hit = table.get(symbol)
        if hit is None:
            hit = _convert_token(symbol)
        ipa.append(hit[0])
        stress.append(hit[1])
    return ipa, stress


def arpabet_prons_to_ipa(prons: Iterable[Sequence[str]]) -> list[tuple[str, ...]]:
    """IPA phones (no stress) of many ARPAbet pronunciations at once, e.g. a whole dictionary.

    Same phones as `arpabet_to_ipa` gives one pronunciation at a time, at one dict lookup
    per token (about 20x faster on CMUdict's ~135k pronunciations); raises LexiconError
    for an unknown symbol.
    """
    table = _TOKEN_IPA
    out: list[tuple[str, ...]] = []
    for pron in prons:
        try:
            out.append(tuple([table[symbol] for symbol in pron]))
        except KeyError:
            out.append(tuple([_convert_token(symbol)[0] for symbol in pron]))
    return out


def ipa_to_arpabet(phone: str) -> str | None:
    """The base ARPAbet symbol (no stress digit) for an English IPA phone, else None.

    A length mark is ignored ("iː" -> IY); "tʃ"/"dʒ" without tie bar and ASCII
    "g" are accepted.
    """
    return _IPA_TO_ARPABET.get(phone.replace("ː", ""))
