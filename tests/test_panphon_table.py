"""The compact PanPhon table (pronscore.text.panphon_table) gives what panphon gives.

Every segment's features, the feature names and weights, the segmentation and feature
vectors of every phone pronscore uses (and of random strings), the weighted feature edit
distance, and the descriptions, syllabicity and IPA inventory built on top of it are
compared with panphon's own FeatureTable / Distance. The table is read without importing
panphon or pandas, and panphon's FeatureTable is the fallback.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from pronscore.text import panphon_table as pt
from pronscore.text.arpabet import ENGLISH_PHONES

panphon = pytest.importorskip("panphon")

L1_INVENTORIES = Path(pt.__file__).resolve().parents[1] / "feedback" / "data" / "l1_inventories.json"


@pytest.fixture(scope="module")
def reference():
    return panphon.FeatureTable()


@pytest.fixture(scope="module")
def compact():
    return pt.load_compact_table()


def _strings_in(node) -> set[str]:
    if isinstance(node, str):
        return {node}
    if isinstance(node, dict):
        return set().union(*(_strings_in(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_strings_in(v) for v in node)) if node else set()
    return set()


@pytest.fixture(scope="module")
def phones_we_use() -> list[str]:
    """English phones, the L1 inventories' phones, the IPA of the syllable/articulation
    tests, and every eSpeak/CMUdict extra the code special-cases."""
    phones = set(ENGLISH_PHONES)
    phones |= {s for s in _strings_in(json.loads(L1_INVENTORIES.read_text(encoding="utf-8")))
               if 0 < len(s) <= 4 and " " not in s}
    phones |= set("t͡ʃ d͡ʒ tʃ dʒ ts aɪ aʊ eɪ oʊ ɔɪ n̩ l̩ ɚ ɝ ᵻ ᵿ ɨ ɫ ɾ ʔ iː uː ɑː ɔː ɜː ə˞ ɑ˞ ʰ pʰ kʰ ã ç ʏ y ø œ "
                  "˥ ˩ ¹ ⁵ g ɡ r ɹ x ʁ ɬ ʎ ɲ ŋ θ ð ʃ ʒ".split()) | {""}
    return sorted(phones)


def test_every_segment_names_and_weights_match_panphon(reference, compact):
    assert compact.names == reference.names
    assert compact.weights == reference.weights
    assert [s for s, _ in compact.segments] == [s for s, _ in reference.segments]
    assert list(compact.seg_dict) == list(reference.seg_dict)
    for segment, features in reference.seg_dict.items():
        mine = compact.seg_dict[segment]
        assert mine == features, segment
        assert mine.numeric() == features.numeric() and mine.strings() == features.strings()
        assert mine.items() == features.items() and list(mine) == list(features)
        assert mine["syl"] == features["syl"]
    assert compact.longest_seg == reference.longest_seg


def _same_analysis(reference, compact, text: str) -> None:
    assert compact.ipa_segs(text) == reference.ipa_segs(text), text
    assert compact.segs_safe(text) == reference.segs_safe(text), text
    assert compact.validate_word(text) == reference.validate_word(text), text
    assert compact.longest_one_seg_prefix(text) == reference.longest_one_seg_prefix(text), text
    assert compact.seg_known(text) == reference.seg_known(text), text
    assert compact.fts(text) == reference.fts(text), text
    assert compact.word_fts(text) == reference.word_fts(text), text
    assert (compact.word_to_vector_list(text, numeric=True)
            == reference.word_to_vector_list(text, numeric=True)), text
    assert compact.word_to_vector_list(text) == reference.word_to_vector_list(text), text
    assert (compact.word_array(["syl", "son", "cons"], text).tolist()
            == reference.word_array(["syl", "son", "cons"], text).tolist()), text


def test_phones_we_use_segment_and_read_as_in_panphon(reference, compact, phones_we_use):
    for phone in phones_we_use:
        _same_analysis(reference, compact, phone)
        _same_analysis(reference, compact, phone + "ː")


def test_every_segment_and_random_strings_segment_as_in_panphon(reference, compact):
    for segment in reference.seg_dict:
        assert compact.ipa_segs(segment) == reference.ipa_segs(segment)
    alphabet = sorted({ch for seg in reference.seg_dict for ch in seg} | set("abc gˈˌ.|123¹²³⁴⁵\u0361ç"))
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
        _same_analysis(reference, compact, text)


def test_weighted_feature_edit_distance_matches_panphon(phones_we_use):
    import panphon.distance

    from pronscore.gop.phoneset import FeatureEditDistance

    theirs = panphon.distance.Distance()
    mine = FeatureEditDistance(pt.panphon_feature_table())
    words = list(phones_we_use) + ["θɪŋk", "sɪŋk", "kæt", "t͡ʃɝtʃ", "ˈhɛloʊ", "bɹɛd", "ŋ̍", "xyz"]
    rng = random.Random(3)
    pairs = [(a, b) for a in ENGLISH_PHONES for b in ENGLISH_PHONES]
    pairs += [(rng.choice(words), rng.choice(words)) for _ in range(1500)]
    for a, b in pairs:
        assert mine.weighted_feature_edit_distance(a, b) == theirs.weighted_feature_edit_distance(a, b), (a, b)


def test_users_give_the_same_results_with_panphons_table(reference, phones_we_use):
    from pronscore.errors import PronscoreError
    from pronscore.feedback.articulation import Articulation
    from pronscore.fluency.syllables import SyllableCounter
    from pronscore.text import ipa

    shared = pt.panphon_feature_table()
    theirs, mine = Articulation(table=reference), Articulation()
    assert mine._table is shared
    for phone in phones_we_use:
        try:
            expected = theirs.describe(phone)
        except PronscoreError as exc:
            with pytest.raises(type(exc)):
                mine.describe(phone)
        else:
            assert mine.describe(phone) == expected, phone
    for a in ENGLISH_PHONES:
        for b in ENGLISH_PHONES[::3]:
            assert mine.feature_differences(a, b) == theirs.feature_differences(a, b)

    counter, reference_counter = SyllableCounter(), SyllableCounter()
    reference_counter._table = reference
    for phone in phones_we_use:
        assert counter.is_syllabic(phone) == reference_counter.is_syllabic(phone), phone

    vowels, consonants = set(ipa._EXTRA_VOWELS), set()
    for segment in reference.seg_dict:
        if len(segment) != 1 or segment in ipa._TONE_MARKS:
            continue
        (vowels if reference.fts(segment)["syl"] == 1 else consonants).add(segment)
    inventory = ipa._base_inventory()
    assert inventory.vowels == frozenset(vowels) and inventory.consonants == frozenset(consonants)


def test_feature_vectors_are_read_only(compact):
    with pytest.raises(TypeError):
        compact.seg_dict["t"]["syl"] = 1  # type: ignore[index]


def test_falls_back_to_panphons_feature_table(monkeypatch):
    def missing():
        raise FileNotFoundError("no data directory")

    monkeypatch.setattr(pt, "_panphon_data_dir", missing)
    table = pt.panphon_feature_table.__wrapped__("spe+")
    assert isinstance(table, panphon.FeatureTable)
    with pytest.raises(KeyError):
        pt.load_compact_table("no such feature set")


def test_loading_the_table_imports_neither_panphon_nor_pandas():
    code = ("import sys; from pronscore.text.panphon_table import panphon_feature_table as t; "
            "tab = t(); print(type(tab).__name__, 'panphon' in sys.modules, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["CompactFeatureTable", "False", "False"]
