"""`bench clean-readings`: counting error labels on correct readings."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from pronscore.bench.clean import false_alarms, pick_sentences
from pronscore.result import Candidate, PhoneResult, WordResult, WordScores


def _word(text, error="none", phones=()):
    ph = [PhoneResult(ipa, 0.0, 0.1, score, -1.0, [Candidate(heard, 0.8)], err) for ipa, score, err, heard in phones]
    return WordResult(text, 0, 0, len(text), 0.0, 0.5, WordScores(90.0, None, 90.0), error, ph)


def test_pick_sentences_is_even_and_distinct():
    texts = [f"s{i:02d}" for i in range(20)] + ["s03", " s04 ", ""]
    assert pick_sentences(texts, 5) == ["s00", "s04", "s08", "s12", "s16"]
    assert pick_sentences(texts, 50) == sorted({f"s{i:02d}" for i in range(20)})


def test_false_alarms_count_content_and_function_words_apart():
    full = _word("full", "mispronounced", [("f", 99, "none", "f"), ("ʊ", 50, "mispronounced", "ɔ"), ("l", 99, "none", "l")])
    a = SimpleNamespace(words=[_word("The"), _word("sink"), _word("is", "accented", [("ɪ", 70, "accented", "ɪ")]), full])
    b = SimpleNamespace(words=[_word("The"), _word("cat"), _word("sat")])
    r = false_alarms([("The sink is full.", a), ("The cat sat.", b)])
    assert r["content_words"] == 4 and r["content_words_flagged"] == 1
    assert r["content_word_false_alarm_rate"] == pytest.approx(0.25)
    assert r["function_words"] == 3 and r["function_words_flagged"] == 1
    assert r["sentences_without_content_errors"] == 1
    assert r["phone_labels"] == {"ʊ>ɔ mispronounced": 1, "ɪ>ɪ accented": 1}
    assert r["by_error"]["content"] == {"none": 3, "mispronounced": 1}


def test_missing_sentence_file_is_a_clear_error(tmp_path):
    from pronscore.bench.clean import run_clean_bench
    from pronscore.errors import CorpusError

    args = SimpleNamespace(sentences=str(tmp_path / "nope.txt"), root=None, split="train", limit=None,
                           out=str(tmp_path / "o.json"), acoustic="hama", acoustic_path=None, scorer=None)
    with pytest.raises(CorpusError, match="not found"):
        run_clean_bench(args)
    (tmp_path / "s.txt").write_text("The cat sat.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="--limit"):
        run_clean_bench(SimpleNamespace(**{**vars(args), "sentences": str(tmp_path / "s.txt"), "limit": 0}))
