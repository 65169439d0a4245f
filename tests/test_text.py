"""Tests for the text layer: tokenization, numbers, IPA/ARPAbet, lexicons, G2P, references."""
from __future__ import annotations

import pytest

from pronscore.errors import (
    EmptyTextError,
    LexiconError,
    MissingDependencyError,
    PronunciationNotFoundError,
    UnknownCharacterError,
    UnsupportedLanguageError,
)
from pronscore.text import (
    ENGLISH_PHONES,
    CmudictLexicon,
    ReferenceBuilder,
    arpabet_to_ipa,
    ipa_to_arpabet,
    load_lexicon,
    parse_ipa_override,
    reference_from_arpabet,
    sentence_type,
    split_ipa,
    to_english_inventory,
    tokenize,
)
from pronscore.text.espeak import is_espeak_available

needs_espeak = pytest.mark.skipif(not is_espeak_available(), reason="eSpeak NG (pronscore[espeak]) not installed")


@pytest.fixture(scope="module")
def builder() -> ReferenceBuilder:
    return ReferenceBuilder()


def words_and_spans(text: str, language: str = "en") -> list[tuple[str, str]]:
    return [(t.text, text[t.char_start : t.char_end]) for t in tokenize(text, language)]


# --- tokenize ---------------------------------------------------------------------
def test_offsets_map_back_to_original_text():
    text = "  Don't   STOP, the well-known O'Clock café!"
    assert words_and_spans(text) == [
        ("DON'T", "Don't"),
        ("STOP", "STOP"),
        ("THE", "the"),
        ("WELL", "well"),
        ("KNOWN", "known"),
        ("O'CLOCK", "O'Clock"),
        ("CAFE", "café"),
    ]


def test_curly_apostrophe_and_edge_apostrophes():
    assert [t.text for t in tokenize("It’s the cats' toys")] == ["IT'S", "THE", "CATS", "TOYS"]


def test_cardinal_numbers_keep_numeral_offsets():
    text = "I have 25 cats"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["I", "HAVE", "TWENTY", "FIVE", "CATS"]
    assert {text[t.char_start : t.char_end] for t in tokens if t.from_numeral} == {"25"}


def test_ordinals_years_decimals_money_percent():
    assert words_and_spans("the 3rd of May") == [("THE", "the"), ("THIRD", "3rd"), ("OF", "of"), ("MAY", "May")]
    assert [t.text for t in tokenize("in 1999")] == ["IN", "NINETEEN", "NINETY", "NINE"]
    assert [t.text for t in tokenize("1905 2005 2024")] == (
        "NINETEEN OH FIVE TWO THOUSAND FIVE TWENTY TWENTY FOUR".split()
    )
    assert [t.text for t in tokenize("21st")] == ["TWENTY", "FIRST"]
    assert [t.text for t in tokenize("3.5")] == ["THREE", "POINT", "FIVE"]
    assert [t.text for t in tokenize("$5")] == ["FIVE", "DOLLARS"]
    assert [t.text for t in tokenize("$1.50")] == ["ONE", "DOLLAR", "FIFTY", "CENTS"]
    assert [t.text for t in tokenize("25%")] == ["TWENTY", "FIVE", "PERCENT"]
    assert [t.text for t in tokenize("1,234,567")] == (
        "ONE MILLION TWO HUNDRED THIRTY FOUR THOUSAND FIVE HUNDRED SIXTY SEVEN".split()
    )
    assert [t.text for t in tokenize("3000000012")] == ["THREE", "BILLION", "TWELVE"]
    assert [t.text for t in tokenize("007")] == ["ZERO", "ZERO", "SEVEN"]
    text = "pay $5 now"
    money = [t for t in tokenize(text) if t.from_numeral]
    assert [text[t.char_start : t.char_end] for t in money] == ["$5", "$5"]


def test_other_languages_keep_numerals_and_any_script():
    assert [t.text for t in tokenize("Il a 25 ans", "fr")] == ["Il", "a", "25", "ans"]
    assert [t.text for t in tokenize("Привет, мир!", "ru")] == ["Привет", "мир"]


@pytest.mark.parametrize("text", ["", "   ", " ... !? -- "])
def test_empty_text_is_rejected(text):
    with pytest.raises(EmptyTextError):
        tokenize(text)


@pytest.mark.parametrize(
    ("text", "bad", "position"),
    [("hello 😀 world", "😀", 6), ("mail@home", "@", 4), ("a\x07b", "\\x07", 1), ("hi привет", "п", 3)],
)
def test_unknown_characters_name_character_and_position(text, bad, position):
    with pytest.raises(UnknownCharacterError) as error:
        tokenize(text)
    assert bad in str(error.value)
    assert f"position {position}" in str(error.value)


def test_sentence_types():
    assert sentence_type("I like tea.") == "statement"
    assert sentence_type("I like tea") == "statement"
    assert sentence_type("Do you like tea?") == "yes_no_question"
    assert sentence_type("Can't you see?") == "yes_no_question"
    assert sentence_type("“Is it raining?”") == "yes_no_question"
    assert sentence_type("What do you like?") == "question"
    assert sentence_type("What a day!") == "exclamation"
    assert sentence_type("Really?!") == "question"
    with pytest.raises(EmptyTextError):
        sentence_type("  ")


# --- ARPAbet / IPA --------------------------------------------------------------------
def test_arpabet_to_ipa_with_stress():
    assert arpabet_to_ipa(["AH0", "B", "AW1", "T"]) == (["ə", "b", "aʊ", "t"], [0, None, 1, None])
    assert arpabet_to_ipa(["B", "ER1", "D"]) == (["b", "ɝ", "d"], [None, 1, None])
    assert arpabet_to_ipa(["B", "AH1", "T", "ER0"]) == (["b", "ʌ", "t", "ɚ"], [None, 1, None, 0])
    assert arpabet_to_ipa(["CH", "JH", "G", "AH"]) == (["t͡ʃ", "d͡ʒ", "ɡ", "ʌ"], [None, None, None, None])
    assert ipa_to_arpabet("ə") == "AH" and ipa_to_arpabet("t͡ʃ") == "CH" and ipa_to_arpabet("ʁ") is None
    assert "ɡ" in ENGLISH_PHONES and "g" not in ENGLISH_PHONES and len(ENGLISH_PHONES) == 41


@pytest.mark.parametrize("bad", ["QQ", "IH3", "T1", ""])
def test_unknown_arpabet_symbol(bad):
    with pytest.raises(LexiconError):
        arpabet_to_ipa([bad])


def test_split_ipa():
    assert split_ipa("ˈθɪŋk") == (["θ", "ɪ", "ŋ", "k"], [None, 1, None, None])
    assert split_ipa("t͡ʃeɪnd͡ʒ") == (["t͡ʃ", "eɪ", "n", "d͡ʒ"], [None, None, None, None])
    assert split_ipa("tʃ") == (["t͡ʃ"], [None])
    assert split_ipa("əˈbaʊt")[0] == ["ə", "b", "aʊ", "t"]
    assert split_ipa("əˈbaʊt")[1] == [0, None, 1, None]
    assert split_ipa("ˈɡɑː.dn̩")[0] == ["ɡ", "ɑː", "d", "n̩"]
    assert split_ipa("gʊd")[0] == ["ɡ", "ʊ", "d"]  # ASCII g normalized
    assert split_ipa("rɛd")[0] == ["r", "ɛ", "d"]  # r kept as written
    assert split_ipa("bɔ̃ʒˈuʁ")[0] == ["b", "ɔ̃", "ʒ", "u", "ʁ"]
    assert split_ipa("a͡ɪ")[0] == ["aɪ"]  # tied vowels: one diphthong, no tie bar
    assert split_ipa("ɔː͡ɹ")[0] == ["ɔː", "ɹ"]  # vowel tied to consonant: two phones
    assert split_ipa("ni˨˩˦")[0] == ["n", "i"]  # tone letters dropped


@pytest.mark.parametrize("bad", ["θ😀", "kæX", "͡a", "ˈ"])
def test_split_ipa_rejects_non_ipa(bad):
    with pytest.raises(LexiconError):
        split_ipa(bad)


def test_espeak_english_phones_mapped_to_cmudict_inventory():
    phones, stress = to_english_inventory(["f", "aɪɚ"], [None, 1])
    assert (phones, stress) == (["f", "aɪ", "ɚ"], [None, 1, 0])
    assert to_english_inventory(["b", "ɑː", "ɾ", "ə", "l"], [None, 1, None, 0, None])[0] == ["b", "ɑ", "t", "ə", "l"]


# --- lexicons -------------------------------------------------------------------------
def test_cmudict_lookup_think():
    lexicon = CmudictLexicon()
    assert not lexicon.loaded
    arpabet = lexicon.lookup("think")
    assert arpabet == ["TH", "IH1", "NG", "K"]
    assert arpabet_to_ipa(arpabet)[0] == ["θ", "ɪ", "ŋ", "k"]
    assert lexicon.lookup("blorfic") is None


def test_user_lexicon_arpabet_ipa_first_wins(tmp_path):
    path = tmp_path / "lexicon.txt"
    path.write_text(
        "# my words\n\nA\tAH0\nA\tEY0\nABLE  EY1 B L\npronscore\tˈpɹoʊnskɔɹ\nlowercase ih1 t\n", encoding="utf-8"
    )
    lexicon = load_lexicon(path)
    assert lexicon.lookup("a") == (["ə"], [0], ["AH0"])
    assert lexicon.lookup("Able").arpabet == ["EY1", "B", "L"]
    ipa, stress, arpabet = lexicon.lookup("PRONSCORE")
    assert ipa == ["p", "ɹ", "oʊ", "n", "s", "k", "ɔ", "ɹ"] and stress[2] == 1 and arpabet is None
    assert lexicon.lookup("lowercase").ipa == ["ɪ", "t"]
    assert lexicon.lookup("missing") is None


@pytest.mark.parametrize(("content", "line"), [("OK\tOW1 K EY1\nBAD\n", 2), ("OK\tOW1\n\n# c\nX\tk😀t\n", 4)])
def test_malformed_lexicon_line_names_file_and_line(tmp_path, content, line):
    path = tmp_path / "bad.lex"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LexiconError) as error:
        load_lexicon(path)
    assert "bad.lex" in str(error.value) and f"line {line}" in str(error.value)


def test_missing_lexicon_file(tmp_path):
    with pytest.raises(LexiconError):
        load_lexicon(tmp_path / "nope.txt")


def test_parse_ipa_override():
    assert parse_ipa_override("tomato=təˈmɑːtoʊ") == ("tomato", "təˈmɑːtoʊ")
    for bad in ["tomato", "=təˈmɑːtoʊ", "tomato=", "tomato=t😀"]:
        with pytest.raises(LexiconError):
            parse_ipa_override(bad)


# --- references -----------------------------------------------------------------------
def test_reference_english_cmudict(builder):
    text = "I think, therefore I am."
    reference = builder.build(text)
    assert [w.text for w in reference.words] == ["I", "THINK", "THEREFORE", "I", "AM"]
    think = reference.words[1]
    assert (think.phones, think.stress, think.source) == (["θ", "ɪ", "ŋ", "k"], [None, 1, None, None], "cmudict")
    assert think.arpabet == ["TH", "IH1", "NG", "K"]
    assert all(text[w.char_start : w.char_end].upper() == w.text for w in reference.words)
    assert reference.sentence_type == "statement" and reference.notes == []


def test_override_beats_lexicon_beats_cmudict(builder, tmp_path):
    path = tmp_path / "lex.txt"
    path.write_text("tomato\tT AH0 M AA1 T OW2\nthink\tS IH1 NG K\n", encoding="utf-8")
    reference = builder.build("Tomato think", lexicon=load_lexicon(path), ipa_overrides={"TOMATO": "təˈmɑːtəʊ"})
    tomato, think = reference.words
    assert tomato.source == "override" and tomato.phones == ["t", "ə", "m", "ɑː", "t", "ə", "ʊ"]
    assert think.source == "lexicon" and think.phones[0] == "s"


def test_invalid_override_ipa(builder):
    with pytest.raises(LexiconError):
        builder.build("tomato", ipa_overrides={"tomato": "t@m"})


@needs_espeak
def test_oov_english_word_through_espeak(builder):
    reference = builder.build("the blorfic cat")
    blorfic = reference.words[1]
    assert blorfic.source == "espeak"
    assert blorfic.phones[:2] == ["b", "l"] and blorfic.phones[-1] == "k"
    assert set(blorfic.phones) <= set(ENGLISH_PHONES)
    assert 1 in blorfic.stress
    assert any("BLORFIC" in note for note in reference.notes)


@needs_espeak
def test_french_bonjour(builder):
    reference = builder.build("Bonjour !", "fr")
    (word,) = reference.words
    assert word.source == "espeak" and word.phones == ["b", "ɔ̃", "ʒ", "u", "ʁ"]
    assert word.stress == [None, 0, None, 1, None]
    assert reference.sentence_type == "exclamation"


@needs_espeak
def test_single_letter_word_is_read_as_word_not_letter_name(builder):
    reference = builder.build("é", "pt")  # alone eSpeak says "é agudo"
    assert reference.words[0].phones == ["ɛ"]


@needs_espeak
def test_unreadable_characters_are_not_silently_spelled(builder):
    with pytest.raises(PronunciationNotFoundError):
        builder.build("世界", "ja")  # eSpeak's Japanese reads kanji as "Chinese letter"


@pytest.mark.parametrize("language", ["xx", "klingon", "en/us", ""])
def test_unsupported_language(builder, language):
    if language == "xx" and not is_espeak_available():
        pytest.skip("needs eSpeak NG to know which languages exist")
    with pytest.raises(UnsupportedLanguageError):
        builder.build("hello", language)


def test_word_without_pronunciation_when_espeak_missing(monkeypatch):
    builder = ReferenceBuilder()

    def no_espeak(language):
        raise MissingDependencyError("not installed")

    monkeypatch.setattr(builder, "_espeak", no_espeak)
    with pytest.raises(PronunciationNotFoundError) as error:
        builder.build("the blorfic cat")
    message = str(error.value)
    assert "BLORFIC" in message and "--ipa" in message and "--lexicon" in message and "pronscore[espeak]" in message
    # the same word is fine once the user supplies it
    assert builder.build("the blorfic cat", ipa_overrides={"blorfic": "ˈblɔɹfɪk"}).words[1].source == "override"


def test_reference_from_arpabet():
    text = "We call it bear"
    reference = reference_from_arpabet(
        [("WE", ["W", "IY1"]), ("CALL", ["K", "AO1", "L"]), ("IT", ["IH1", "T"]), ("BEAR", ["B", "EH1", "R"])], text
    )
    assert [text[w.char_start : w.char_end] for w in reference.words] == ["We", "call", "it", "bear"]
    assert reference.words[3].phones == ["b", "ɛ", "ɹ"] and reference.words[0].source == "corpus"
