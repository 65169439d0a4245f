"""Tests for pronscore.feedback: articulation, tips, L1 notes, minimal pairs, TTS, coach, builder."""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import soundfile

from pronscore.errors import PronscoreError, UnknownCharacterError, UnsupportedLanguageError
from pronscore.feedback.articulation import Articulation
from pronscore.feedback.builder import FeedbackEngine, coach_errors, heard_phone
from pronscore.feedback.coach import CoachError, chat_completions_url, coach
from pronscore.feedback.l1 import L1Notes
from pronscore.feedback.minimal_pairs import MinimalPairIndex
from pronscore.feedback.tips import TipWriter
from pronscore.result import Candidate, PhoneResult, WordResult, WordScores


@pytest.fixture(scope="module")
def articulation() -> Articulation:
    return Articulation()


@pytest.fixture(scope="module")
def tips(articulation) -> TipWriter:
    return TipWriter(articulation)


@pytest.fixture(scope="module")
def pairs() -> MinimalPairIndex:
    return MinimalPairIndex()


# --- articulation -----------------------------------------------------------------
def test_p_b_differ_in_voicing_only(articulation):
    assert articulation.feature_differences("p", "b") == ["voicing"]


@pytest.mark.parametrize("ipa,place,manner,voiced", [
    ("θ", "dental", "fricative", False), ("s", "alveolar", "fricative", False),
    ("ʃ", "postalveolar", "fricative", False), ("v", "labiodental", "fricative", True),
    ("ŋ", "velar", "nasal", True), ("t͡ʃ", "postalveolar", "affricate", False),
    ("tʃ", "postalveolar", "affricate", False), ("h", "glottal", "fricative", False),
    ("l", "alveolar", "lateral approximant", True), ("w", "labial-velar", "approximant", True),
    ("g", "velar", "stop", True),
])
def test_consonant_descriptions(articulation, ipa, place, manner, voiced):
    d = articulation.describe(ipa)
    assert (d.kind, d.place, d.manner, d.voiced) == ("consonant", place, manner, voiced)


def test_vowel_descriptions(articulation):
    i, ih, schwa, u = (articulation.describe(x) for x in ("iː", "ɪ", "ə", "u"))
    assert (i.height, i.backness, i.rounded, i.long) == ("close", "front", False, True)
    assert ih.height == "near-close" and not ih.long
    assert schwa.backness == "central"
    assert u.rounded and u.backness == "back"
    assert articulation.describe("ɝ").rhotic
    assert articulation.describe("ɛ̃").nasalized
    assert articulation.describe("aɪ").glide_to is not None
    assert articulation.feature_differences("ɪ", "i") == ["height"]
    assert articulation.feature_differences("θ", "s") == ["place"]
    assert articulation.feature_differences("s", "ɪ") == ["consonant/vowel"]
    assert articulation.feature_differences("t", "t") == []


def test_unknown_phone_is_a_typed_error(articulation):
    with pytest.raises(UnknownCharacterError):
        articulation.describe("q1")
    with pytest.raises(UnknownCharacterError):
        articulation.describe("∅")


# --- tips -----------------------------------------------------------------------------
def test_substitution_tip_names_both_sounds(tips):
    text = tips.tip("θ", "s", "mispronounced", word="think")
    assert "/θ/" in text and "/s/" in text
    assert "dental" in text and "alveolar" in text
    assert "teeth" in text  # the curated instruction


def test_generic_tip_for_a_non_english_phone(tips):
    text = tips.tip("x", None, "accented")
    assert "/x/" in text and "velar" in text and "fricative" in text
    sub = tips.tip("y", "u", "mispronounced")
    assert "/y/" in sub and "/u/" in sub and "front" in sub


def test_omission_tips(tips):
    final = tips.tip("t", None, "omitted", word="cat", position="final")
    assert "left out /t/" in final and "cat" in final and "final" in final
    cluster = tips.tip("s", "∅", "mispronounced", in_cluster=True)
    assert "left out /s/" in cluster and "cluster" in cluster


def test_bad_error_label_is_typed(tips):
    with pytest.raises(PronscoreError):
        tips.tip("t", None, "wrong-label")


# --- L1 notes ----------------------------------------------------------------------------
def test_l1_note_for_mandarin_theta():
    notes = L1Notes()
    note = notes.note("θ", "s", "zh")
    assert note is not None and "Mandarin" in note and "/θ/" in note and "/s/" in note
    # Absent from the inventory even without a known substitute.
    assert "does not exist" in notes.note("θ", None, "zh-CN")
    assert notes.note("s", None, "zh") is None  # /s/ is Mandarin: nothing to say
    assert "dropped" in notes.note("t", "∅", "vi")
    assert "variant of /d/" in notes.note("ð", "d", "es")


def test_unknown_l1_lists_supported_codes():
    with pytest.raises(UnsupportedLanguageError) as info:
        L1Notes().note("θ", "s", "xx")
    assert "zh" in str(info.value) and "es" in str(info.value)


def test_every_l1_row_names_a_source_and_has_patterns():
    notes = L1Notes()
    required = {"zh", "es", "ja", "ko", "fr", "de", "pt", "ru", "ar", "hi", "vi", "it", "tr"}
    assert required <= set(notes.supported)
    for code in required:
        profile = notes.profile(code)
        assert profile.source and profile.patterns_source and profile.patterns
        assert profile.consonants and profile.vowels


# --- minimal pairs ---------------------------------------------------------------------
def test_minimal_pairs_theta_s(pairs):
    found = pairs.pairs("θ", "s", limit=5)
    assert ("think", "sink") in found or ("thing", "sing") in found
    assert len(found) == 5
    words = [w for pair in found for w in pair]
    assert len(words) == len(set(words))  # deduplicated


def test_minimal_pairs_are_fast_after_the_index(pairs):
    pairs.pairs("θ", "s")  # index built
    start = time.perf_counter()
    result = pairs.pairs("ɹ", "l", limit=5)
    assert time.perf_counter() - start < 1.0
    assert ("right", "light") in result or ("wrong", "long") in result


def test_minimal_pairs_deletion_and_unknown(pairs):
    deletion = pairs.pairs("t", "∅", limit=10)
    assert ("told", "old") in deletion
    assert pairs.pairs("x", "k") == []  # /x/ is not an English phone
    assert pairs.pairs("t", "t") == []


def test_minimal_pairs_fallback_without_wordfreq():
    index = MinimalPairIndex(use_wordfreq=False)
    assert not index.ranks_by_frequency
    found = index.pairs("θ", "s", limit=50)
    assert all(len(a) <= len(b) + 3 for a, b in found)  # sane, non-empty list
    assert found


# --- TTS --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthesizer():
    pytest.importorskip("piper")
    from pronscore.feedback.tts import Synthesizer

    return Synthesizer()


def test_say_english_with_piper(synthesizer, tmp_path):
    path = synthesizer.say("Think about it.", tmp_path / "en.wav")
    info = soundfile.info(str(path))
    assert info.channels == 1 and 0.4 < info.duration < 3.0
    from pronscore.feedback.tts import say  # module-level function the CLI uses

    assert soundfile.info(str(say("Hello.", tmp_path / "hello.wav"))).duration > 0.2


def test_say_ipa_with_piper(synthesizer, tmp_path):
    path = synthesizer.say_ipa("ˈθɪŋk", tmp_path / "think.wav")
    assert 0.15 < soundfile.info(str(path)).duration < 1.5
    with pytest.raises(UnknownCharacterError):
        synthesizer.say_ipa("θɪŋk¤", tmp_path / "bad.wav")


def test_say_french_with_espeak(synthesizer, tmp_path):
    pytest.importorskip("espeakng_loader")
    path = synthesizer.say("Bonjour tout le monde.", tmp_path / "fr.wav", language="fr")
    data, rate = soundfile.read(str(path))
    assert 0.4 < len(data) / rate < 3.0
    assert abs(data).max() > 0.05  # not silence
    with pytest.raises(UnsupportedLanguageError):
        synthesizer.say("hello", tmp_path / "x.wav", language="xx-yy")


# --- coach ------------------------------------------------------------------------------
class _FakeOpenAI(BaseHTTPRequestHandler):
    mode = "ok"
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if self.mode == "slow":
            time.sleep(1.5)
        if self.mode == "error":
            self._send(500, b'{"error": "boom"}')
        elif self.mode == "garbage":
            self._send(200, b"not json")
        else:
            reply = {"choices": [{"message": {"role": "assistant", "content": "Put your tongue between your teeth."}}]}
            self._send(200, json.dumps(reply).encode())

    def _send(self, status, body):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (timeout case)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture()
def fake_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    _FakeOpenAI.mode, _FakeOpenAI.received = "ok", []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


ERRORS = [{"target": "θ", "heard": "s", "error": "mispronounced", "gop": -3.2, "word": "think", "l1": "zh"}]


def test_coach_returns_completion(fake_server):
    text = coach(fake_server + "/v1", ERRORS, "zh", api_key="k123")
    assert text == "Put your tongue between your teeth."
    request = _FakeOpenAI.received[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer k123"
    sent = json.loads(request["body"]["messages"][-1]["content"])
    assert sent["errors"][0]["target"] == "θ" and sent["errors"][0]["heard"] == "s"
    coach(fake_server, ERRORS, "zh")  # base URL without /v1
    assert _FakeOpenAI.received[-1]["path"] == "/v1/chat/completions"


def test_coach_errors_are_typed(fake_server):
    _FakeOpenAI.mode = "error"
    with pytest.raises(CoachError, match="500"):
        coach(fake_server, ERRORS, "zh")
    _FakeOpenAI.mode = "garbage"
    with pytest.raises(CoachError, match="not a chat completion"):
        coach(fake_server, ERRORS, "zh")


def test_coach_timeout(fake_server):
    _FakeOpenAI.mode = "slow"
    start = time.perf_counter()
    with pytest.raises(CoachError, match="did not answer"):
        coach(fake_server, ERRORS, "zh", timeout=0.3)
    assert time.perf_counter() - start < 1.4


def test_coach_unreachable():
    with socket.socket() as s:  # find a port, then close it so nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(CoachError, match="cannot reach"):
        coach(f"http://127.0.0.1:{port}", ERRORS, "zh", timeout=2.0)
    assert CoachError.code == "coach_unavailable" and CoachError.http_status == 502


def test_chat_completions_url():
    assert chat_completions_url("http://h:1/") == "http://h:1/v1/chat/completions"
    assert chat_completions_url("http://h:1/v1") == "http://h:1/v1/chat/completions"
    assert chat_completions_url("http://h:1/v1/chat/completions") == "http://h:1/v1/chat/completions"
    with pytest.raises(CoachError):
        chat_completions_url("ftp://h")


# --- builder ------------------------------------------------------------------------------
def _phone(ipa, score, error="none", sounded=()):
    return PhoneResult(ipa=ipa, start=0.0, end=0.1, score=score, gop=-score / 50.0,
                       sounded_like=[Candidate(i, p) for i, p in sounded], error=error)


def _word(text, index, phones, error="none", accuracy=80.0):
    return WordResult(text=text, index=index, char_start=0, char_end=len(text), start=0.0, end=0.5,
                      scores=WordScores(accuracy, None, accuracy), error=error, phones=phones)


@pytest.fixture(scope="module")
def engine(articulation, pairs):
    return FeedbackEngine(articulation=articulation, pair_index=pairs)


def _words():
    think = _word("think", 0, [
        _phone("θ", 20, "mispronounced", [("θ", 0.3), ("s", 0.6)]),
        _phone("ɪ", 60, "accented", [("ɪ", 0.7)]),
        _phone("ŋ", 95), _phone("k", 90),
    ])
    cat = _word("cat", 1, [_phone("k", 90), _phone("æ", 85), _phone("t", 0, "omitted", [("∅", 0.9)])])
    the = _word("the", 2, [_phone("ð", 0, "omitted"), _phone("ə", 0, "omitted")], error="omitted", accuracy=0.0)
    very = _word("very", 3, [_phone("v", 45, "accented", [("v", 0.5), ("w", 0.3)]), _phone("ɛ", 90),
                             _phone("ɹ", 80), _phone("i", 90)])
    return [think, cat, the, very]


def test_builder_orders_and_fills_items(engine):
    items = engine.build(_words(), l1="zh")
    keys = {"word", "word_index", "phone", "phone_index", "target_ipa", "heard_ipa", "error", "tip",
            "l1_note", "minimal_pairs", "reference_audio"}
    assert all(keys <= set(item) for item in items)
    order = [(it["word"], it["phone"], it["error"]) for it in items]
    # severe errors (omitted/mispronounced) by score, then accented by score
    assert order == [
        ("the", None, "omitted"), ("cat", "t", "omitted"), ("think", "θ", "mispronounced"),
        ("very", "v", "accented"), ("think", "ɪ", "accented"),
    ]
    theta = items[2]
    assert theta["heard_ipa"] == "s" and theta["phone_index"] == 0
    assert "/θ/" in theta["tip"] and "/s/" in theta["tip"]
    assert "Mandarin" in theta["l1_note"]
    assert theta["minimal_pairs"][0] == ["think", "sink"]  # the learner's own word first
    assert len(theta["minimal_pairs"]) == 3 and len({tuple(p) for p in theta["minimal_pairs"]}) == 3
    assert items[1]["heard_ipa"] == "∅" and "dropped" in items[1]["l1_note"]
    assert items[0]["target_ipa"] == "ðə" and items[0]["phone_index"] is None
    assert items[3]["heard_ipa"] == "w"  # first candidate that is not the target
    assert items[4]["heard_ipa"] is None and items[4]["minimal_pairs"] == []
    assert all(it["reference_audio"] is None for it in items)
    json.dumps(items)  # JSON-serialisable
    _validate_against_schema(items)


def _validate_against_schema(items):
    jsonschema = pytest.importorskip("jsonschema")
    from importlib import resources

    schema = json.loads(resources.files("pronscore").joinpath("schema", "assessment.schema.json").read_text("utf-8"))
    jsonschema.validate(items, schema["properties"]["feedback"])


def test_builder_max_items_and_bad_l1(engine):
    assert len(engine.build(_words(), max_items=2)) == 2
    assert engine.build([_word("ok", 0, [_phone("oʊ", 99), _phone("k", 99)])]) == []
    with pytest.raises(UnsupportedLanguageError):
        engine.build(_words(), l1="klingon")


def test_builder_reference_audio(engine, tmp_path):
    class FakeSynth:
        def __init__(self):
            self.calls = []

        def say_ipa(self, ipa, out_path):
            self.calls.append(ipa)
            out_path.write_bytes(b"RIFF")
            return out_path

        def say(self, text, out_path, language="en"):
            raise AssertionError("say_ipa should be used for English")

    synth = FakeSynth()
    items = engine.build(_words(), reference_audio_dir=tmp_path, synthesizer=synth)
    think_items = [it for it in items if it["word"] == "think"]
    assert len(think_items) == 2 and think_items[0]["reference_audio"] == think_items[1]["reference_audio"]
    assert synth.calls.count("θɪŋk") == 1  # one file per word
    assert all(it["reference_audio"] and it["reference_audio"].startswith(str(tmp_path)) for it in items)


def test_heard_phone_and_coach_errors():
    assert heard_phone(_phone("θ", 20, "mispronounced", [("θ", 0.5), ("f", 0.3)])) == "f"
    assert heard_phone(_phone("θ", 20, "mispronounced", [("θ", 0.5)])) is None
    assert heard_phone(_phone("t", 0, "omitted")) == "∅"
    rows = coach_errors([{"word": "think", "target_ipa": "θ", "heard_ipa": "s", "error": "mispronounced",
                          "gop": -3.0}], "zh")
    assert rows == [{"word": "think", "target": "θ", "heard": "s", "error": "mispronounced", "gop": -3.0, "l1": "zh"}]
