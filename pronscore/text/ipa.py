"""Segment an IPA string into phones.

Rules (what a "phone" is for the rest of the engine):

* A phone is a base symbol plus the diacritics and modifier letters that follow
  it (length ``ː``, nasalisation, aspiration ``ʰ``, syllabicity, ...).
* Base symbols are the single-character segments PanPhon knows, plus a few it
  lacks that eSpeak NG and CMUdict-style IPA use (``ɝ ɚ ᵻ ᵿ``). ``g`` becomes
  ``ɡ`` (U+0261); ``r`` is kept as given (English ``ɹ`` and trilled ``r`` differ).
* A tie bar joins two bases: two consonants stay one tie-barred phone
  (affricate ``t͡ʃ``); two vowels become one diphthong phone written without
  the tie bar (``a͡ɪ`` -> ``aɪ``, the form acoustic-model vocabularies use); a
  vowel tied to a consonant (eSpeak's rhotic ``ɔː͡ɹ``) is split into two phones.
* ``tʃ`` and ``dʒ`` without tie bar are read as the affricates ``t͡ʃ`` ``d͡ʒ``;
  the English diphthongs ``aɪ aʊ eɪ oʊ ɔɪ`` are one phone when adjacent.
* Stress marks ``ˈ ˌ`` are removed and recorded as stress 1 / 2 on the next
  vowel. When the string has any stress mark, other vowels get 0; when it has
  none, vowels get ``None`` (unknown) unless ``stress_marked=True`` says the
  source always marks stress (eSpeak NG does). Consonants always get ``None``.
* Syllable dots, spaces, linking ``‿`` and prosodic bars ``| ‖`` separate
  phones and are dropped; tone letters (``˥˦˧˨˩``) and tone digits (``1-5``, as
  eSpeak writes Mandarin tones) are dropped: the acoustic models score segments.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pronscore.errors import LexiconError

PRIMARY_STRESS = "ˈ"
SECONDARY_STRESS = "ˌ"
_TIE_BARS = frozenset("\u0361\u035c")
_SEPARATORS = frozenset(" .‿|‖\t")
_TONE_MARKS = frozenset("˥˦˧˨˩꜒꜓꜔꜕꜖12345")
# Modifier letters that attach to the preceding base.
_MODIFIERS = frozenset("ːˑʰʷʲˠˤʼ˞ⁿˡʱᵊʴ˭")
_EXTRA_VOWELS = frozenset("ɝɚᵻᵿ")
_NORMALIZED_BASES = {"g": "ɡ"}
_UNTIED_AFFRICATES = {("t", "ʃ"): "t͡ʃ", ("d", "ʒ"): "d͡ʒ"}
ENGLISH_DIPHTHONGS = frozenset({"aɪ", "aʊ", "eɪ", "oʊ", "ɔɪ"})


@dataclass(frozen=True)
class _Inventory:
    vowels: frozenset[str]
    consonants: frozenset[str]


@lru_cache(maxsize=1)
def _base_inventory() -> _Inventory:
    """Single-character IPA bases known to PanPhon (read once from the process's shared table)."""
    from pronscore.text.panphon_table import panphon_feature_table

    table = panphon_feature_table()
    vowels, consonants = set(_EXTRA_VOWELS), set()
    for segment in table.seg_dict:
        if len(segment) != 1 or segment in _TONE_MARKS:
            continue
        (vowels if table.fts(segment)["syl"] == 1 else consonants).add(segment)
    return _Inventory(frozenset(vowels), frozenset(consonants))


@dataclass
class _Unit:
    """A base symbol with its diacritics, before diphthong/affricate grouping."""

    text: str
    is_vowel: bool
    stress: int | None  # stress mark seen right before this unit (vowels only)
    tied_to_previous: bool  # joined to the previous unit by a tie bar
    after_boundary: bool  # a separator or stress mark stands before it


def _is_modifier(char: str) -> bool:
    """Diacritics and modifier letters (non-ASCII: "^" and "`" are not IPA)."""
    if char in _MODIFIERS:
        return True
    return ord(char) > 127 and unicodedata.category(char) in ("Mn", "Lm", "Sk")


def _describe(char: str) -> str:
    name = unicodedata.name(char, "unnamed character")
    return f"{char!r} (U+{ord(char):04X} {name})"


def _scan_units(ipa: str) -> tuple[list[_Unit], bool]:
    """First pass: base symbols with diacritics; returns units and whether stress was marked."""
    inventory = _base_inventory()
    units: list[_Unit] = []
    pending_stress: int | None = None
    pending_tie = False
    boundary = True
    any_stress_mark = False
    # Positions in messages refer to the string as given; each character is
    # decomposed (NFD) so precomposed letters like "ç" become base + diacritic.
    chars = [
        (position, decomposed)
        for position, original in enumerate(ipa)
        for decomposed in unicodedata.normalize("NFD", original)
    ]
    for position, char in chars:
        char = _NORMALIZED_BASES.get(char, char)
        if char in (PRIMARY_STRESS, SECONDARY_STRESS):
            pending_stress = 1 if char == PRIMARY_STRESS else 2
            any_stress_mark = True
            boundary = True
        elif char in _SEPARATORS or char in _TONE_MARKS:
            boundary = boundary or char in _SEPARATORS
        elif char in _TIE_BARS:
            if not units:
                raise LexiconError(f"IPA {ipa!r}: tie bar at position {position} has nothing to join")
            pending_tie = True
        elif char in inventory.vowels or char in inventory.consonants:
            is_vowel = char in inventory.vowels
            stress = None
            if is_vowel and pending_stress is not None:
                stress, pending_stress = pending_stress, None
            units.append(_Unit(char, is_vowel, stress, pending_tie, boundary))
            pending_tie, boundary = False, False
        elif _is_modifier(char):
            pending_tie = False  # a tie bar before a modifier ("ɯ͡ᵝ", eSpeak) just attaches it
            if not units or boundary:
                raise LexiconError(
                    f"IPA {ipa!r}: diacritic {_describe(char)} at position {position} "
                    "does not follow a phone"
                )
            units[-1].text += char
        else:
            raise LexiconError(
                f"IPA {ipa!r}: unrecognized symbol {_describe(char)} at position {position}"
            )
    if pending_tie:
        raise LexiconError(f"IPA {ipa!r}: tie bar at the end has nothing to join")
    return units, any_stress_mark


def _group_units(units: list[_Unit]) -> list[_Unit]:
    """Second pass: join affricates and diphthongs into single phones."""
    grouped: list[_Unit] = []
    for unit in units:
        previous = grouped[-1] if grouped else None
        if previous is not None and unit.tied_to_previous:
            if previous.is_vowel and unit.is_vowel:
                previous.text += unit.text
                continue
            if not previous.is_vowel and not unit.is_vowel:
                previous.text += "\u0361" + unit.text
                continue
            # vowel tied to consonant: two phones (fall through)
        elif previous is not None and not unit.after_boundary:
            affricate = _UNTIED_AFFRICATES.get((previous.text, unit.text))
            if affricate is not None:
                previous.text = affricate
                continue
            if previous.is_vowel and unit.is_vowel and previous.text + unit.text in ENGLISH_DIPHTHONGS:
                previous.text += unit.text
                continue
        grouped.append(_Unit(unit.text, unit.is_vowel, unit.stress, False, unit.after_boundary))
    return grouped


def split_ipa(ipa: str, stress_marked: bool = False) -> tuple[list[str], list[int | None]]:
    """Split an IPA string into phones and a stress value per phone (see module doc).

    Raises LexiconError naming any symbol that is not IPA.
    """
    units, any_stress_mark = _scan_units(ipa)
    if not units:
        raise LexiconError(f"IPA {ipa!r} contains no phones")
    grouped = _group_units(units)
    unmarked_vowel_stress = 0 if (any_stress_mark or stress_marked) else None
    phones = [unicodedata.normalize("NFC", unit.text) for unit in grouped]
    stress = [
        (unit.stress if unit.stress is not None else unmarked_vowel_stress) if unit.is_vowel else None
        for unit in grouped
    ]
    return phones, stress


def is_vowel_phone(phone: str) -> bool:
    """True when the phone's first base symbol is a vowel (diphthongs included)."""
    first = unicodedata.normalize("NFD", phone)[:1]
    return first in _base_inventory().vowels
