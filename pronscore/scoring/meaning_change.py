"""The one place a phone score departs from the learned scorer: a substitution that changes the word.

The learned scorers follow speechocean762's experts, who accept many vowel and voicing
differences as accent (hama's /ə/ heard as [ɑ] averages 1.94 of 2). A blanket cap on every
clear substitution therefore fought the experts: out of fold, capping each phone whose
"sounded like" top candidate is another phone at probability >= 0.9 lowered hama's phone
Pearson from 0.665 to 0.579 and word accuracy from 0.677 to 0.514. But a substitution that
turns a content word into another common word (cut -> cat, think -> sink) changes what was
said, and a learner must hear about it. So the cap applies only there: content word, clear
substitution (>= CLEAR_SUBSTITUTION_PROB), and the swapped pronunciation is another common
CMUdict word; the word then scores no higher than its phones' mean. Out of fold on hama the
rule lowered 79 of 20,373 phone scores and moved phone Pearson 0.665 -> 0.664 and word
accuracy 0.677 -> 0.673 (README, "Measured"); experts had rated 63% of those 79 phones
correct, so hama's "clear" substitutions are often not what a listener hears, which is why
the rule stays this narrow.

"Clear" is 0.8 of the "sounded like" distribution the Session shows (the scorer's view mix
and ranker). It was 0.9 until the whisper-ctc scorer's learned ranker, which spreads the
non-target mass less sharply than one view's posterior: Piper's "cat" read for "cut" gets
/æ/ 0.83 there. Out of fold, 0.8 against 0.9: whisper-ctc(+hama) 77 against 25 phones capped,
phone Pearson 0.7411 against 0.7422 (uncapped 0.7428), word accuracy 0.7344 against 0.7356
(0.7360); hama 119 against 79, phone 0.6637 against 0.6641, word 0.6735 against 0.6732.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

#: Another phone must hold this much of the phone's substitution posterior.
CLEAR_SUBSTITUTION_PROB = 0.8
#: The capped score: the GOP heuristic's score (100·exp(GOP/4)) plus this margin.
CAP_MARGIN = 40.0

#: Function words: reduced, variable and rarely meaning-bearing on their own ("the" as [ði],
#: "to" as [tə]); their substitutions are left to the learned scorer.
FUNCTION_WORDS = frozenset("""
a an the and or but if of to in on at by for with from as into onto upon about than that this these those there
here is am are was were be been being do does did have has had will would shall should can could may might must
i me my we us our you your he him his she her it its they them their who whom whose which what when where why how
not no so too very just all some any each every both either neither one ones
""".split())


def bare_word(text: str) -> str:
    """A word of the reference as FUNCTION_WORDS and the dictionary list it: lower case, edge punctuation dropped."""
    return text.strip().lower().strip(".,;:!?\"'")


def is_function_word(text: str) -> bool:
    return bare_word(text) in FUNCTION_WORDS


class SwappedWordFinder(Protocol):
    def swapped_word(self, phones_ipa: list[str], position: int, heard_ipa: str) -> str | None: ...


def meaning_changing_cap(word_text: str, phones_ipa: list[str], position: int, heard_ipa: str, heard_prob: float,
                         gop: float, finder: SwappedWordFinder) -> float | None:
    """The score cap for phone `position` of the word, or None when the rule does not apply."""
    if heard_prob < CLEAR_SUBSTITUTION_PROB or heard_ipa == phones_ipa[position]:
        return None
    if is_function_word(word_text):
        return None
    if finder.swapped_word(phones_ipa, position, heard_ipa) is None:
        return None
    return 100.0 * float(np.exp(gop / 4.0)) + CAP_MARGIN
