"""Reference text -> word tokens with offsets into the original string.

Rules:

* Words are runs of letters (and combining marks) with apostrophes allowed
  *inside* ("DON'T", "O'CLOCK"); apostrophes at a word's edge are dropped.
  Any other punctuation separates words and is dropped, so "well-known" is
  WELL + KNOWN. Scripts written without spaces (Chinese, Japanese, Thai)
  give one token per unbroken run; eSpeak NG segments them itself.
* English: lookup form is upper case with accents removed ("café" -> CAFE);
  letters must be Latin script. Numerals are spelled out (see numbers.py), each
  number word keeping the offsets of the whole numeral ("$5" -> FIVE DOLLARS,
  both pointing at "$5"); "&" is AND and a lone "%" is PERCENT.
* Other languages: letters of any script; the lookup form is the word as
  written (NFC), because case mapping is language-specific (Turkish i/İ) and
  eSpeak NG reads mixed case fine. Numerals stay as written ("25", "3,5",
  "25%"), as do "&", "%" and currency signs, and eSpeak NG spells them in
  that language. (Minus signs are not read: "-" is always punctuation.)
* Ordinary punctuation is any Unicode punctuation except the symbols in
  ``_NOT_ORDINARY_PUNCTUATION`` (@ # * \\ _ and the like): those, emoji, math
  and other symbols, and control characters raise UnknownCharacterError with
  the character and its position, as does a non-Latin letter in English text.
  There is no sensible way to read "@" or "#" aloud in an assessment
  reference, so we ask the user to write the words instead of guessing.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from pronscore.errors import EmptyTextError, UnknownCharacterError
from pronscore.text import numbers

SentenceType = Literal["statement", "question", "yes_no_question", "exclamation"]

ENGLISH_LANGUAGES = frozenset({"en", "en-us", "en-gb"})

_APOSTROPHES = frozenset("'’‘ʼ")
_IGNORABLE = frozenset("\ufeff\u200b")  # BOM and zero-width space: invisible, treat as whitespace
_JOINERS = frozenset("\u200c\u200d")  # ZWNJ / ZWJ: part of spelling in Persian, Indic scripts
_NOT_ORDINARY_PUNCTUATION = frozenset("@#*\\_&%†‡§¶•※⁂‰‱′″")
_NUMBER_START = frozenset("$£€")

_ENGLISH_NUMBER_RE = re.compile(
    r"(?P<currency>[$£€])?"
    r"(?P<integer>\d{1,3}(?:,\d{3})+(?!\d)|\d+)"
    r"(?:\.(?P<fraction>\d+))?"
    r"(?:(?P<ordinal>(?i:st|nd|rd|th))(?![^\W\d_])|(?P<percent>%))?",
    re.ASCII,
)
_OTHER_NUMBER_RE = re.compile(r"[$£€]?[0-9]+(?:[.,][0-9]+)*%?")
_ANY_DIGITS_RE = re.compile(r"\d+")


@dataclass(frozen=True)
class Token:
    """One word to look up, with the span of the original text it came from."""

    text: str  # lookup form: "DON'T", "TWENTY" (English upper case), or as written for other languages
    char_start: int  # offsets into the original string: original[char_start:char_end]
    char_end: int
    from_numeral: bool = False  # the word was spelled out from digits


def is_english(language: str) -> bool:
    return language.strip().lower().replace("_", "-") in ENGLISH_LANGUAGES


def _describe(char: str) -> str:
    return f"{char!r} (U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')})"


def _is_letter(char: str, english: bool) -> bool:
    if not unicodedata.category(char).startswith("L") or char in _APOSTROPHES:
        return False
    return not english or "LATIN" in unicodedata.name(char, "")


def _is_digit(char: str) -> bool:
    return unicodedata.category(char) == "Nd"


def _is_ordinary_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P") and char not in _NOT_ORDINARY_PUNCTUATION


def _unknown_character(text: str, position: int, english: bool) -> UnknownCharacterError:
    char = text[position]
    if english and unicodedata.category(char).startswith("L"):
        why = "is not a Latin letter; English text must use the Latin alphabet (pass the right language for other scripts)"
    elif unicodedata.category(char) == "Nd":
        why = "is a non-ASCII digit; write the number with 0-9 or in words"
    else:
        why = "cannot be read aloud; write it out in words or remove it"
    return UnknownCharacterError(f"character {_describe(char)} at position {position} {why}")


def _english_lookup_form(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    for apostrophe in _APOSTROPHES:
        stripped = stripped.replace(apostrophe, "'")
    return stripped.upper()


def _other_lookup_form(word: str) -> str:
    for apostrophe in _APOSTROPHES:
        word = word.replace(apostrophe, "'")
    return unicodedata.normalize("NFC", word)


def _scan_word(text: str, start: int, english: bool) -> int:
    """End offset of the word starting at ``start`` (a letter)."""
    end = start + 1
    while end < len(text):
        char = text[end]
        if _is_letter(char, english) or unicodedata.category(char).startswith("M"):
            end += 1
        elif (char in _APOSTROPHES or (char in _JOINERS and not english)) and (
            end + 1 < len(text) and _is_letter(text[end + 1], english)
        ):
            end += 1
        else:
            break
    return end


def _english_number_words(match: re.Match[str]) -> list[str]:
    integer = match.group("integer").replace(",", "")
    fraction = match.group("fraction")
    if match.group("currency"):
        words = numbers.currency_words(match.group("currency"), integer, fraction)
    elif fraction is not None:
        words = numbers.decimal_words(integer, fraction)
    elif match.group("ordinal"):
        words = numbers.ordinal_words(int(integer))
    else:
        # Only a bare 4-digit numeral can be a year ("1,999" is a quantity).
        words = numbers.integer_words(integer, as_year_if_plausible="," not in match.group("integer"))
    if match.group("percent"):
        words.append("percent")
    return words


def tokenize(text: str, language: str = "en") -> list[Token]:
    """Split reference text into lookup tokens (see module doc for the rules).

    Raises EmptyTextError when there is no word, UnknownCharacterError for a
    character that cannot be read aloud.
    """
    english = is_english(language)
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace() or char in _IGNORABLE:
            position += 1
            continue
        if _is_digit(char) or (char in _NUMBER_START and position + 1 < len(text) and _is_digit(text[position + 1])):
            if english:
                match = _ENGLISH_NUMBER_RE.match(text, position)
                if match is None:  # a non-ASCII digit
                    raise _unknown_character(text, position, english)
                tokens += [
                    Token(word.upper(), match.start(), match.end(), from_numeral=True)
                    for word in _english_number_words(match)
                ]
            else:
                match = _OTHER_NUMBER_RE.match(text, position)
                if match is None:  # digits of another script: let eSpeak read them
                    match = _ANY_DIGITS_RE.match(text, position)
                tokens.append(Token(match.group(), match.start(), match.end(), from_numeral=True))
            position = match.end()
            continue
        if _is_letter(char, english):
            end = _scan_word(text, position, english)
            word = text[position:end]
            lookup = _english_lookup_form(word) if english else _other_lookup_form(word)
            tokens.append(Token(lookup, position, end))
            position = end
            continue
        if char == "&":
            tokens.append(Token("AND" if english else "&", position, position + 1))
        elif char == "%":
            tokens.append(Token("PERCENT" if english else "%", position, position + 1))
        elif char in numbers.CURRENCIES:  # a symbol written after the amount: "5 €"
            plural = numbers.CURRENCIES[char][1].upper()
            tokens.append(Token(plural if english else char, position, position + 1))
        elif not (_is_ordinary_punctuation(char) or char in _APOSTROPHES):
            raise _unknown_character(text, position, english)
        position += 1
    if not tokens:
        raise EmptyTextError(
            "the reference text has no words to assess" if text.strip() else "the reference text is empty"
        )
    return tokens


_YES_NO_STARTERS = frozenset(
    "is are am was were do does did can could will would shall should may might must have has had "
    "isn't aren't wasn't weren't don't doesn't didn't can't couldn't won't wouldn't shan't shouldn't "
    "mightn't mustn't haven't hasn't hadn't".split()
)
_QUESTION_MARKS = frozenset("?？؟;")  # ";" is the Greek question mark when it ends a sentence
_EXCLAMATION_MARKS = frozenset("!！¡")
_CLOSING = frozenset("\"'”’»›)]}」』）")
_FIRST_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def sentence_type(text: str, language: str = "en") -> SentenceType:
    """Classify the sentence by its final punctuation.

    "?" -> "question"; in English a question whose first word is an auxiliary
    or modal verb ("Is", "Can", "Don't") -> "yes_no_question" (wh-questions
    stay "question"). "!" -> "exclamation"; anything else "statement".
    "?!" counts as a question.
    """
    if not text.strip():
        raise EmptyTextError("the reference text is empty")
    end = len(text.rstrip())
    while end > 0 and text[end - 1] in _CLOSING:
        end -= 1
    tail_start = end
    while tail_start > 0 and (_is_ordinary_punctuation(text[tail_start - 1]) and text[tail_start - 1] not in _CLOSING):
        tail_start -= 1
    final_punctuation = set(text[tail_start:end])
    is_greek = language.lower().startswith("el")
    question_marks = _QUESTION_MARKS if is_greek else _QUESTION_MARKS - {";"}
    if final_punctuation & question_marks:
        first = _FIRST_WORD_RE.search(text)
        if is_english(language) and first and first.group().lower().replace("’", "'") in _YES_NO_STARTERS:
            return "yes_no_question"
        return "question"
    if final_punctuation & _EXCLAMATION_MARKS:
        return "exclamation"
    return "statement"
