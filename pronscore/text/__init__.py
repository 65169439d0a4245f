"""Text layer: reference text -> canonical IPA phones per word.

eSpeak NG (GPL-3) lives in ``pronscore.text.espeak`` and is imported lazily;
nothing here imports it at module load.
"""
from pronscore.text.arpabet import ENGLISH_PHONES, arpabet_to_ipa, ipa_to_arpabet, is_arpabet_symbol
from pronscore.text.cmudict_g2p import CmudictLexicon
from pronscore.text.english_phones import to_english_inventory
from pronscore.text.ipa import is_vowel_phone, split_ipa
from pronscore.text.lexicon import LexiconEntry, UserLexicon, load_lexicon, parse_ipa_override
from pronscore.text.normalize import Token, sentence_type, tokenize
from pronscore.text.reference import ReferenceBuilder, normalize_language, reference_from_arpabet
from pronscore.text.types import Reference, WordPronunciation

__all__ = [
    "ENGLISH_PHONES",
    "CmudictLexicon",
    "LexiconEntry",
    "Reference",
    "ReferenceBuilder",
    "Token",
    "UserLexicon",
    "WordPronunciation",
    "arpabet_to_ipa",
    "ipa_to_arpabet",
    "is_arpabet_symbol",
    "is_vowel_phone",
    "load_lexicon",
    "normalize_language",
    "parse_ipa_override",
    "reference_from_arpabet",
    "sentence_type",
    "split_ipa",
    "to_english_inventory",
    "tokenize",
]
