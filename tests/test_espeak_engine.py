"""The one owner of eSpeak NG (`pronscore.text.espeak_engine`): G2P and synthesis share the C
library, and neither may change what the other gets, nor may one synthesis change the next."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("espeakng_loader")

from pronscore.errors import TextError  # noqa: E402
from pronscore.prosody.espeak_synth import synthesize  # noqa: E402
from pronscore.text.espeak import EspeakG2P  # noqa: E402
from pronscore.text.espeak_engine import EspeakEngine, default_engine  # noqa: E402


@pytest.fixture
def engine() -> EspeakEngine:
    # The process's one owner: a second engine on the same library file would share its C state.
    return default_engine()


def test_synthesis_does_not_depend_on_what_ran_before(engine):
    first = synthesize("uh,", rate_wpm=80, pitch_range=0, engine=engine)
    # Earlier syntheses advance eSpeak's wave-generator state (pitch flutter, cycle counter),
    # which no API call resets; G2P used to re-initialise the library without phoneme events.
    synthesize("Something longer, to move the pitch flutter along.", rate_wpm=170, pitch=70, engine=engine)
    EspeakG2P("fr", engine=engine).transcribe("bonjour")
    EspeakG2P("en-us", engine=engine).transcribe("blorfic")
    again = synthesize("uh,", rate_wpm=80, pitch_range=0, engine=engine)
    assert np.array_equal(first.audio, again.audio)
    assert [p.ipa for p in again.phonemes] == [p.ipa for p in first.phonemes] and first.phonemes
    assert [w.text for w in again.words] == ["uh"]


def test_g2p_is_the_same_before_and_after_synthesis(engine):
    g2p = EspeakG2P("en-us", engine=engine)
    before = [g2p.transcribe(w) for w in ("blorfic", "the weekend")]
    synthesize("Bonjour tout le monde.", voice="fr", rate_wpm=300, pitch=90, pitch_range=0,
               word_gap_10ms=20, engine=engine)
    assert [g2p.transcribe(w) for w in ("blorfic", "the weekend")] == before
    assert EspeakG2P("fr", engine=engine).word_to_ipa("bonjour") == "bɔ̃ʒˈuʁ"


def test_g2p_calls_share_one_load_and_synthesis_always_starts_fresh(engine):
    g2p = EspeakG2P("en-us", engine=engine)
    g2p.transcribe("alpha")
    loads = engine.loads
    for word in ("beta", "gamma", "delta"):
        g2p.transcribe(word)
    assert engine.loads == loads  # consecutive G2P calls reuse the loaded library
    synthesize("one", engine=engine)
    synthesize("two", engine=engine)
    g2p.transcribe("epsilon")
    assert engine.loads == loads + 3  # each synthesis, and the G2P after one, reload


def test_unknown_voice_is_a_text_error_and_the_engine_recovers(engine):
    with pytest.raises(TextError, match="voice"):
        synthesize("hello", voice="no-such-voice", engine=engine)
    assert synthesize("hello", engine=engine).phonemes


def test_module_functions_use_the_shared_default_engine():
    assert default_engine() is default_engine()
    a = synthesize("uh,", rate_wpm=80, pitch_range=0)
    assert np.array_equal(a.audio, synthesize("uh,", rate_wpm=80, pitch_range=0).audio)
