"""Fluency and prosody layers on audio synthesized with eSpeak NG (through ctypes, pip packages only).

Until the aligner exists, word and phone times come from eSpeak's own phoneme
events (`words_from_synthesis`), optionally made "peaky" like CTC output (each
word's final phone cut to 40 ms). The end-to-end tests at the bottom run the
same checks through `pronscore.api.Session` once it exists.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest
from scipy.signal import resample_poly

from pronscore.errors import AudioError, NonFiniteAudioError, PronscoreError, TextError
from pronscore.fluency import FLUENCY_KEYS, compute_fluency, fluency_score
from pronscore.fluency.syllables import default_syllable_counter
from pronscore.prosody.analysis import PROSODY_KEYS, analyze_prosody, compute_prosody
from pronscore.prosody.espeak_synth import Synthesis, synthesize
from pronscore.prosody.plot import plot_assessment, score_colour
from pronscore.prosody.rhythm import intervals_from_words, rhythm_metrics
from pronscore.prosody.score import prosody_score
from pronscore.prosody.timing import AlignmentTimingError
from pronscore.result import PhoneResult, WordResult, WordScores

SR = 16000
LEAD_S = 0.25


# --- helpers -----------------------------------------------------------------
def to_16k(synthesis: Synthesis) -> np.ndarray:
    assert synthesis.sample_rate == 22050
    return resample_poly(synthesis.audio.astype(np.float64), 320, 441).astype(np.float32)


def trim(audio: np.ndarray, threshold: float = 1e-3) -> tuple[np.ndarray, float]:
    """Audio without leading/trailing near-silence, and the seconds cut at the start."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    return audio[loud[0]: loud[-1] + 1], loud[0] / SR


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SR)), np.float32)


def words_from_synthesis(
    synthesis: Synthesis, offset: float, first_index: int = 0, peaky: bool = True
) -> list[WordResult]:
    """WordResults from eSpeak's word and phoneme events, shifted by `offset` seconds."""
    events = synthesis.phonemes
    end_of_audio = len(synthesis.audio) / synthesis.sample_rate
    words = []
    for k, word in enumerate(synthesis.words):
        next_start = synthesis.words[k + 1].start if k + 1 < len(synthesis.words) else math.inf
        phones = []
        for i, event in enumerate(events):
            if not event.ipa or not (word.start - 0.005 <= event.start < next_start - 0.005):
                continue
            end = events[i + 1].start if i + 1 < len(events) else end_of_audio
            ipa, stress = event.ipa, None
            if ipa[0] in "ˈˌ":
                stress, ipa = (1 if ipa[0] == "ˈ" else 2), ipa[1:]
            elif default_syllable_counter().is_syllabic(ipa):
                stress = 0
            phones.append(PhoneResult(ipa, event.start + offset, end + offset, 90.0, -0.1, stress=stress))
        if peaky:  # CTC-like: the word-final phone ends early
            phones[-1].end = min(phones[-1].end, phones[-1].start + 0.04)
        words.append(WordResult(
            word.text, first_index + k, word.char_start, word.char_start + len(word.text),
            phones[0].start, phones[-1].end, WordScores(90.0, None, 90.0), "none", phones,
        ))
    return words


def padded(audio: np.ndarray) -> np.ndarray:
    return np.concatenate([silence(LEAD_S), audio, silence(LEAD_S)])


@lru_cache(maxsize=None)
def spoken(text: str, rate_wpm: int = 160, pitch_range: int = 50) -> tuple[np.ndarray, tuple[WordResult, ...]]:
    synthesis = synthesize(text, rate_wpm=rate_wpm, pitch_range=pitch_range)
    return padded(to_16k(synthesis)), tuple(words_from_synthesis(synthesis, LEAD_S))


def with_gap(first: str, second: str, gap_s: float, filler: Synthesis | None = None):
    """`first` + silence + `second` (or first + short gap + filler + short gap + second)."""
    s1, s2 = synthesize(first, rate_wpm=170), synthesize(second, rate_wpm=170)
    a1, cut1 = trim(to_16k(s1))
    a2, cut2 = trim(to_16k(s2))
    middle = silence(gap_s)
    if filler is not None:
        af, _ = trim(to_16k(filler))
        middle = np.concatenate([silence(gap_s), af, silence(gap_s)])
    audio = np.concatenate([silence(LEAD_S), a1, middle, a2, silence(LEAD_S)])
    w1 = words_from_synthesis(s1, LEAD_S - cut1)
    second_offset = LEAD_S + (len(a1) + len(middle)) / SR - cut2
    w2 = words_from_synthesis(s2, second_offset, first_index=len(w1))
    return audio, w1 + w2, (LEAD_S + len(a1) / SR, LEAD_S + (len(a1) + len(middle)) / SR)


SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank."


# --- rhythm --------------------------------------------------------------------
def test_rhythm_metrics_match_hand_computed_values():
    intervals = [("C", 0.10), ("V", 0.20), ("C", 0.05), ("V", 0.10), ("C", 0.15), ("V", 0.30)]
    m = rhythm_metrics(intervals)
    # V = .2 .1 .3 (sum .6, mean .2, SD sqrt(.02/3)); C = .1 .05 .15 (sum .3, mean .1, SD sqrt(.005/3))
    assert m["percent_v"] == pytest.approx(100 * 0.6 / 0.9)
    # nPVI-V = 100 * mean(|.2-.1| / .15, |.1-.3| / .2) = 100 * (2/3 + 1) / 2
    assert m["npvi_v"] == pytest.approx(100 * (2 / 3 + 1) / 2)
    assert m["delta_c"] == pytest.approx(math.sqrt(0.005 / 3))
    assert m["varco_c"] == pytest.approx(100 * math.sqrt(0.005 / 3) / 0.1)
    assert m["varco_v"] == pytest.approx(100 * math.sqrt(0.02 / 3) / 0.2)


def test_rhythm_metrics_degenerate_and_invalid_input():
    m = rhythm_metrics([("C", 0.1), ("V", 0.2)])
    assert m["npvi_v"] is None and m["varco_v"] == 0.0 and m["percent_v"] == pytest.approx(200 / 3)
    assert rhythm_metrics([])["percent_v"] is None
    with pytest.raises(PronscoreError):
        rhythm_metrics([("X", 0.1)])
    with pytest.raises(PronscoreError):
        rhythm_metrics([("V", -0.1)])


def test_intervals_merge_adjacent_consonants_but_not_across_pauses():
    def phone(ipa, start, end):
        return PhoneResult(ipa, start, end, 90.0, -0.1)

    word = WordResult("cats", 0, 0, 4, 0.0, 0.4, WordScores(90, None, 90), "none",
                      [phone("k", 0.0, 0.1), phone("æ", 0.1, 0.25), phone("t", 0.25, 0.3), phone("s", 0.3, 0.4)])
    later = WordResult("a", 1, 5, 6, 1.0, 1.1, WordScores(90, None, 90), "none", [phone("ə", 1.0, 1.1)])
    after_s = WordResult("is", 2, 7, 9, 1.1, 1.3, WordScores(90, None, 90), "none",
                         [phone("ɪ", 1.1, 1.2), phone("z", 1.2, 1.3)])
    intervals = intervals_from_words([word, later, after_s], default_syllable_counter().is_syllabic)
    kinds = [k for k, _ in intervals]
    durations = [d for _, d in intervals]
    # ə and ɪ are adjacent vowels (merged); the 0.6 s gap keeps s and ə apart anyway (different kinds).
    assert kinds == ["C", "V", "C", "V", "C"]
    assert durations == pytest.approx([0.1, 0.15, 0.15, 0.2, 0.1])


# --- fluency --------------------------------------------------------------------
def test_speech_rate_follows_the_synthesis_rate():
    slow_audio, slow_words = spoken(SENTENCE, rate_wpm=120)
    fast_audio, fast_words = spoken(SENTENCE, rate_wpm=220)
    slow = compute_fluency(slow_audio, SR, list(slow_words))
    fast = compute_fluency(fast_audio, SR, list(fast_words))
    assert set(slow) == set(FLUENCY_KEYS)
    assert slow["syllable_count"] == fast["syllable_count"] == 16
    assert fast["speech_rate_sps"] > slow["speech_rate_sps"]
    ratio = fast["speech_rate_sps"] / slow["speech_rate_sps"]
    assert abs(ratio / (220 / 120) - 1) < 0.25
    # leading/trailing silence (0.25 s each) is excluded from the speech span
    assert slow["speech_duration_s"] < len(slow_audio) / SR - 0.4
    assert slow["pause_count"] == 0 and slow["phonation_time_ratio"] == pytest.approx(1.0)


def test_inserted_one_second_silence_is_one_pause():
    audio, words, (gap_start, gap_end) = with_gap("I would like a cup of", "coffee with milk please.", 1.0)
    fluency = compute_fluency(audio, SR, words)
    assert fluency["pause_count"] == 1
    pause = fluency["pauses"][0]
    assert set(pause) == {"start", "end", "duration", "position"}
    assert pause["duration"] == pytest.approx(1.0, abs=0.1)
    assert pause["start"] == pytest.approx(gap_start, abs=0.1) and pause["end"] == pytest.approx(gap_end, abs=0.1)
    assert pause["position"] == "between_words"
    assert fluency["long_pause_count"] == 1
    assert fluency["articulation_rate_sps"] > fluency["speech_rate_sps"]
    assert fluency["phonation_time_ratio"] < 0.8
    # 11 syllables split by one >= 0.25 s pause into runs of 6 and 5
    assert fluency["syllable_count"] == 11 and fluency["mean_length_of_run"] == pytest.approx(5.5)


def test_pause_is_found_the_same_with_vad_probabilities():
    from pronscore.audio.vad import VoiceActivityDetector, probabilities_on_grid

    audio, words, _ = with_gap("I would like a cup of", "coffee with milk please.", 1.0)
    detector = VoiceActivityDetector()
    probs = detector.speech_probabilities(audio)
    grid = probabilities_on_grid(probs, detector.frame_s, 0.02, int(np.ceil(len(audio) / SR / 0.02)))
    fluency = compute_fluency(audio, SR, words, vad_probs=grid, vad_frame_s=0.02)
    assert fluency["pause_count"] == 1
    assert fluency["pauses"][0]["duration"] == pytest.approx(1.0, abs=0.1)
    with pytest.raises(AudioError):
        compute_fluency(audio, SR, words, vad_probs=grid * 3)


def test_short_gap_is_not_a_pause():
    audio, words, _ = with_gap("I would like a cup of", "coffee with milk please.", 0.08)
    assert compute_fluency(audio, SR, words)["pause_count"] == 0


def test_filled_pause_is_a_hesitation_and_fluent_speech_has_none():
    filler = synthesize("uh,", rate_wpm=80, pitch_range=0)  # a level "uhhh"
    audio, words, (start, end) = with_gap("I think", "that works.", 0.1, filler=filler)
    fluency = compute_fluency(audio, SR, words)
    assert len(fluency["hesitations"]) == 1
    hesitation = fluency["hesitations"][0]
    # the filler sits between 0.1 s gaps: [start + 0.1, end - 0.1]
    assert hesitation["start"] == pytest.approx(start + 0.1, abs=0.1)
    assert hesitation["end"] == pytest.approx(end - 0.1, abs=0.15)
    for rate in (110, 200):
        audio, words = spoken("Well, all of you were really rather early, or so I heard.", rate_wpm=rate)
        assert compute_fluency(audio, SR, list(words))["hesitations"] == []


def test_inserted_filler_word_counts_as_hesitation():
    audio, words = spoken("I think that works.")
    inserted = WordResult("um", -1, -1, -1, words[1].end + 0.01, words[1].end + 0.05, WordScores(0, None, 0),
                          "inserted", [PhoneResult("ʌ", words[1].end + 0.01, words[1].end + 0.03, 0, -1.0),
                                       PhoneResult("m", words[1].end + 0.03, words[1].end + 0.05, 0, -1.0)])
    fluency = compute_fluency(audio, SR, list(words[:2]) + [inserted] + list(words[2:]))
    assert [h["start"] for h in fluency["hesitations"]] == [pytest.approx(inserted.start)]


def test_wcpm_counts_only_correct_words_and_omitted_words_have_no_syllables():
    audio, words = spoken("Yesterday the banana was delicious.")
    base = compute_fluency(audio, SR, list(words))
    changed = [WordResult(**{**w.__dict__}) for w in words]
    changed[2].error = "mispronounced"
    changed[3].error = "accented"
    assert compute_fluency(audio, SR, changed)["wcpm"] == pytest.approx(base["wcpm"] * 4 / 5)
    omitted = [WordResult(**{**w.__dict__}) for w in words]
    omitted[4] = WordResult(**{**omitted[4].__dict__, "error": "omitted", "start": None, "end": None,
                               "phones": [PhoneResult(p.ipa, None, None, 0, -5.0, error="omitted")
                                          for p in omitted[4].phones]})
    assert compute_fluency(audio, SR, omitted)["syllable_count"] == base["syllable_count"] - 3


def test_intensity_fallback_counts_syllables_of_unaligned_words():
    audio, words = spoken(SENTENCE, rate_wpm=140)
    # keep word spans but drop the phone times: the syllables must come from intensity peaks
    unaligned = [WordResult(**{**w.__dict__, "phones": [PhoneResult(p.ipa, None, None, 0, -1) for p in w.phones]})
                 for w in words]
    count = compute_fluency(audio, SR, unaligned)["syllable_count"]
    assert 11 <= count <= 21  # 16 lexical syllables
    no_alignment = [WordResult(**{**w.__dict__, "start": None, "end": None}) for w in unaligned]
    fallback = compute_fluency(audio, SR, no_alignment)
    assert 8 <= fallback["syllable_count"] <= 24 and fallback["speech_duration_s"] > 2.0


def test_fluency_on_silence_is_zero_not_an_error():
    fluency = compute_fluency(np.zeros(SR, np.float32), SR, [])
    assert fluency["syllable_count"] == 0 and fluency["speech_rate_sps"] == 0.0 and fluency["pauses"] == []
    assert fluency_score(fluency) == 0.0


def test_bad_input_gives_typed_errors():
    audio, words = spoken("You like coffee.")
    with pytest.raises(NonFiniteAudioError):
        compute_fluency(np.full(SR, np.nan, np.float32), SR, [])
    with pytest.raises(AudioError):
        compute_fluency(np.zeros((SR, 2), np.float32), SR, [])
    with pytest.raises(AudioError):
        compute_prosody(audio, 0, list(words), "statement")
    late = WordResult(**{**words[0].__dict__, "start": 10.0, "end": 11.0})
    with pytest.raises(AlignmentTimingError):
        compute_fluency(audio, SR, [late])
    with pytest.raises(TextError):
        compute_prosody(audio, SR, list(words), "question?")


# --- prosody --------------------------------------------------------------------
def test_statement_falls_and_yes_no_question_rises():
    statement_audio, statement_words = spoken("You like coffee.", rate_wpm=150)
    question_audio, question_words = spoken("Do you like coffee?", rate_wpm=150)
    statement, _ = compute_prosody(statement_audio, SR, list(statement_words), "statement")
    question, _ = compute_prosody(question_audio, SR, list(question_words), "yes_no_question")
    assert set(statement) == set(PROSODY_KEYS)
    assert set(statement["intonation"]) == {"final_contour", "final_slope_st_per_s", "expected", "matches"}
    assert statement["intonation"]["final_contour"] == "fall" and statement["intonation"]["matches"] is True
    assert question["intonation"]["final_contour"] == "rise" and question["intonation"]["matches"] is True
    assert statement["intonation"]["final_slope_st_per_s"] < 0 < question["intonation"]["final_slope_st_per_s"]
    # the same statement read as if it were a question does not match
    mismatch, _ = compute_prosody(statement_audio, SR, list(statement_words), "yes_no_question")
    assert mismatch["intonation"]["expected"] == "rise" and mismatch["intonation"]["matches"] is False


@pytest.mark.parametrize("text,sentence_type,contour", [
    ("It is raining today.", "statement", "fall"),
    ("Is it raining today?", "yes_no_question", "rise"),
    ("Are you ready?", "yes_no_question", "rise"),
    ("What a day!", "exclamation", "fall"),
])
def test_final_contour_on_more_sentences(text, sentence_type, contour):
    for rate in (130, 200):
        audio, words = spoken(text, rate_wpm=rate)
        prosody, _ = compute_prosody(audio, SR, list(words), sentence_type)
        assert prosody["intonation"]["final_contour"] == contour


def test_pitch_statistics_are_plausible_and_monotone_voice_has_small_range():
    audio, words = spoken(SENTENCE, rate_wpm=150)
    lively, _ = compute_prosody(audio, SR, list(words), "statement")
    flat_audio, flat_words = spoken(SENTENCE, rate_wpm=150, pitch_range=0)
    flat, _ = compute_prosody(flat_audio, SR, list(flat_words), "statement")
    assert 70 < lively["f0_median_hz"] < 200
    assert lively["f0_range_st"] > 2 * flat["f0_range_st"]
    assert lively["f0_sd_st"] > flat["f0_sd_st"]
    assert flat["intonation"]["final_contour"] == "level"


def test_word_stress_is_detected_on_the_lexically_stressed_syllable():
    audio, words = spoken("Yesterday the banana was delicious and the elephant was enormous.", rate_wpm=150)
    prosody, scores = compute_prosody(audio, SR, list(words), "statement")
    judged = {j["word"]: j for j in prosody["stress"]}
    assert set(judged) == {"Yesterday", "banana", "delicious", "elephant", "enormous"}
    assert judged["banana"]["expected_syllable"] == 1 and judged["elephant"]["expected_syllable"] == 0
    assert sum(j["correct"] for j in judged.values()) >= 4
    assert all(0.0 < j["confidence"] <= 1.0 for j in judged.values())
    assert len(scores) == len(words)
    for word, score in zip(words, scores):
        multi = word.text in judged
        assert (score is not None) == multi
        if multi:
            assert 0 <= score <= 100


def test_no_voiced_frames_gives_none_and_level_with_a_reason():
    rng = np.random.default_rng(0)
    noise = (0.05 * rng.standard_normal(SR)).astype(np.float32)  # whispery noise: no periodicity
    analysis = analyze_prosody(noise, SR, [], "statement")
    prosody = analysis.prosody
    assert prosody["f0_median_hz"] is None and prosody["f0_range_st"] is None and prosody["f0_sd_st"] is None
    assert prosody["intonation"]["final_contour"] == "level" and prosody["intonation"]["matches"] is None
    assert analysis.warnings and "voiced" in analysis.warnings[0]
    assert compute_prosody(np.zeros(400, np.float32), SR, [], "statement")[0]["f0_median_hz"] is None


# --- scores ---------------------------------------------------------------------
def _fluency(**changes):
    base = {"speech_rate_sps": 3.5, "articulation_rate_sps": 4.0, "phonation_time_ratio": 0.85, "pause_count": 2,
            "mean_pause_s": 0.5, "long_pause_count": 1, "mean_length_of_run": 6.0, "wcpm": 140.0, "pauses": [],
            "hesitations": [], "syllable_count": 20, "speech_duration_s": 5.0}
    return {**base, **changes}


def test_fluency_score_is_monotone_and_bounded():
    assert fluency_score(_fluency(articulation_rate_sps=2.0)) < fluency_score(_fluency(articulation_rate_sps=3.5))
    assert fluency_score(_fluency(long_pause_count=3)) < fluency_score(_fluency(long_pause_count=0))
    assert fluency_score(_fluency(mean_pause_s=1.2)) < fluency_score(_fluency(mean_pause_s=0.4))
    assert fluency_score(_fluency(phonation_time_ratio=0.6)) < fluency_score(_fluency(phonation_time_ratio=0.9))
    assert fluency_score(_fluency(hesitations=[{}, {}])) < fluency_score(_fluency())
    assert 0 <= fluency_score(_fluency(articulation_rate_sps=0.5, phonation_time_ratio=0.1, hesitations=[{}] * 9)) <= 100
    assert fluency_score(_fluency(articulation_rate_sps=5, phonation_time_ratio=1, mean_length_of_run=12,
                                  long_pause_count=0, pause_count=0, mean_pause_s=0.0)) == pytest.approx(100)


def test_prosody_score_prefers_matching_intonation_and_pitch_variation():
    audio, words = spoken("Do you like coffee?", rate_wpm=150)
    fluency = compute_fluency(audio, SR, list(words))
    right, scores = compute_prosody(audio, SR, list(words), "yes_no_question")
    wrong, _ = compute_prosody(audio, SR, list(words), "statement")
    assert prosody_score(right, fluency, scores) > prosody_score(wrong, fluency, scores)
    flat = {**right, "f0_range_st": 1.0}
    assert prosody_score(flat, fluency) < prosody_score(right, fluency)
    assert 0 <= prosody_score(wrong, fluency) <= 100


# --- plot -----------------------------------------------------------------------
def test_plot_assessment_writes_an_image(tmp_path):
    audio, words, _ = with_gap("I would like a cup of", "coffee with milk please.", 0.6)
    words[1].scores = WordScores(50, None, 50)
    words[2].scores = WordScores(70, None, 70)
    analysis = analyze_prosody(audio, SR, words, "statement")
    fluency = compute_fluency(audio, SR, words, pitch=analysis.pitch)
    out = plot_assessment(audio, SR, words, analysis.pitch, fluency["pauses"], tmp_path / "a.png")
    assert out.exists() and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    plot_assessment(audio, SR, words, (analysis.pitch.times, analysis.pitch.f0_hz), [], tmp_path / "b.png")
    assert [score_colour(s) for s in (59.9, 60, 79.9, 80, None)] == ["#d62728", "#ff9f1c", "#ff9f1c", "#2ca02c",
                                                                     "#9e9e9e"]


# --- end to end (through the Session once the aligner exists) ----------------------
def _assess(tmp_path, audio: np.ndarray, text: str):
    from pronscore import api
    import soundfile as sf

    path = tmp_path / "utt.wav"
    sf.write(path, audio, SR)
    return api.Session().assess(str(path), text)


def test_end_to_end_rates_pause_and_intonation(tmp_path):
    slow_audio, _ = spoken(SENTENCE, rate_wpm=120)
    fast_audio, _ = spoken(SENTENCE, rate_wpm=220)
    slow = _assess(tmp_path, slow_audio, SENTENCE).fluency
    fast = _assess(tmp_path, fast_audio, SENTENCE).fluency
    assert abs((fast["speech_rate_sps"] / slow["speech_rate_sps"]) / (220 / 120) - 1) < 0.25

    audio, _, _ = with_gap("I would like a cup of", "coffee with milk please.", 1.0)
    fluency = _assess(tmp_path, audio, "I would like a cup of coffee with milk please.").fluency
    assert fluency["pause_count"] == 1
    assert fluency["pauses"][0]["duration"] == pytest.approx(1.0, abs=0.1)

    statement_audio, _ = spoken("You like coffee.", rate_wpm=150)
    question_audio, _ = spoken("Do you like coffee?", rate_wpm=150)
    assert _assess(tmp_path, statement_audio, "You like coffee.").prosody["intonation"]["final_contour"] == "fall"
    assert _assess(tmp_path, question_audio, "Do you like coffee?").prosody["intonation"]["final_contour"] == "rise"
