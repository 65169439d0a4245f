"""Spell English numerals as words (lower case, one word per list item).

Rules, chosen to match how a learner would read the text aloud (US style):

* Cardinals up to 999,999,999,999 without "and": 125 -> one hundred twenty five.
  Commas are thousands separators only in groups of three ("1,000").
  Larger numbers and numbers with leading zeros ("007") are read digit by digit.
* Ordinals "1st 2nd 3rd 21st 100th": the last word becomes ordinal.
* Decimals "3.5" -> three point five (digits after the point one by one).
* Years: a bare 4-digit number in 1100-1999 or 2010-2099 is read as a year:
  1999 -> nineteen ninety nine, 1905 -> nineteen oh five, 1900 -> nineteen
  hundred, 2024 -> twenty twenty four. 2000-2009 stay cardinals (two thousand five).
* Currency "$5" -> five dollars, "$1" -> one dollar, "$5.50" -> five dollars fifty
  cents (also £ pounds, € euros); "25%" -> twenty five percent.
"""
from __future__ import annotations

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**9, "billion"), (10**6, "million"), (10**3, "thousand"))
_MAX_CARDINAL = 10**12 - 1
_IRREGULAR_ORDINALS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth",
    "eight": "eighth", "nine": "ninth", "twelve": "twelfth",
}
CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
              "€": ("euro", "euros", "cent", "cents")}


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens])
        if ones:
            words.append(_ONES[ones])
    elif rest or not words:
        words.append(_ONES[rest])
    return words


def digits_to_words(digits: str) -> list[str]:
    """Read a digit string one digit at a time ("007" -> zero zero seven)."""
    return [_ONES[int(d)] for d in digits]


def cardinal_words(n: int) -> list[str]:
    """Spell a non-negative integer; beyond the billions it is read digit by digit."""
    if n < 0:
        return ["minus"] + cardinal_words(-n)
    if n > _MAX_CARDINAL:
        return digits_to_words(str(n))
    if n == 0:
        return ["zero"]
    words: list[str] = []
    for scale, name in _SCALES:
        count, n = divmod(n, scale)
        if count:
            words += _below_thousand(count) + [name]
    if n:
        words += _below_thousand(n)
    return words


def ordinal_words(n: int) -> list[str]:
    words = cardinal_words(n)
    last = words[-1]
    if last in _IRREGULAR_ORDINALS:
        words[-1] = _IRREGULAR_ORDINALS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return words


def is_year(n: int) -> bool:
    return 1100 <= n <= 1999 or 2010 <= n <= 2099


def year_words(n: int) -> list[str]:
    century, rest = divmod(n, 100)
    if rest == 0:
        return cardinal_words(century) + ["hundred"]
    if rest < 10:
        return cardinal_words(century) + ["oh", _ONES[rest]]
    return cardinal_words(century) + cardinal_words(rest)


def integer_words(digits: str, *, as_year_if_plausible: bool) -> list[str]:
    """Spell an integer written with digits only (no separators)."""
    if len(digits) > 1 and digits.startswith("0"):
        return digits_to_words(digits)
    value = int(digits)
    if as_year_if_plausible and len(digits) == 4 and is_year(value):
        return year_words(value)
    return cardinal_words(value)


def decimal_words(integer_digits: str, fraction_digits: str) -> list[str]:
    return integer_words(integer_digits, as_year_if_plausible=False) + ["point"] + digits_to_words(fraction_digits)


def currency_words(symbol: str, integer_digits: str, fraction_digits: str | None) -> list[str]:
    unit, units, subunit, subunits = CURRENCIES[symbol]
    value = int(integer_digits)
    words: list[str] = []
    if value or not fraction_digits:
        words = cardinal_words(value) + [unit if value == 1 else units]
    if fraction_digits:
        if len(fraction_digits) != 2:
            return decimal_words(integer_digits, fraction_digits) + [units]
        cents = int(fraction_digits)
        if cents:
            words += cardinal_words(cents) + [subunit if cents == 1 else subunits]
        elif not words:
            words = ["zero", units]
    return words
