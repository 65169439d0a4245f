"""Assemble feedback items from scored words: tip, L1 note, minimal pairs, reference audio.

One item per phone whose error is not "none", plus one per omitted or inserted
word (its phones are not listed separately), most important first:
mispronounced and omitted before inserted before accented, then lower score
first, then whole words before single phones, then reading order.

Item keys (all JSON-serialisable):
``word, word_index, phone, phone_index, target_ipa, heard_ipa, error, score, gop,
tip, l1_note, minimal_pairs, reference_audio``. For a word-level item ``phone``
and ``phone_index`` are None and ``target_ipa`` is the whole word's
pronunciation. ``heard_ipa`` is the first "sounded like" candidate that is not
the target, ``"∅"`` when the sound was left out, None when nothing clear was heard.
``minimal_pairs`` (English) starts with the learner's own word and the word it
became when the heard phone makes another word ("think" said as "sink"), then the
most common pairs for the same two sounds.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pronscore.errors import PronscoreError, UnknownCharacterError
from pronscore.feedback.articulation import Articulation, normalize_phone
from pronscore.feedback.l1 import L1Notes
from pronscore.feedback.minimal_pairs import MinimalPairIndex
from pronscore.scoring.meaning_change import bare_word
from pronscore.feedback.tips import DELETED, TipWriter
from pronscore.result import PhoneResult, WordResult
from pronscore.text.cmudict_g2p import CmudictLexicon

MINIMAL_PAIRS_PER_ITEM = 3
# Lower rank = more important.
_SEVERITY = {"mispronounced": 0, "omitted": 0, "inserted": 1, "accented": 2}


class FeedbackEngine:
    """Owns the feedback resources (PanPhon table, L1 table, minimal-pair index, synthesizer).

    Create one per Session; the minimal-pair index and the TTS voice load on first use
    (`warm_up` builds the index now). ``cmudict``: the parsed CMUdict the minimal-pair
    index reads; a Session passes the one its G2P uses, so CMUdict is parsed once.
    """

    def __init__(self, *, articulation: Articulation | None = None, l1_notes: L1Notes | None = None,
                 pair_index: MinimalPairIndex | None = None, synthesizer=None,
                 cmudict: CmudictLexicon | None = None) -> None:
        self.articulation = articulation if articulation is not None else Articulation()
        self.tips = TipWriter(self.articulation)
        self.l1_notes = l1_notes if l1_notes is not None else L1Notes()
        self.pair_index = pair_index if pair_index is not None else MinimalPairIndex(cmudict=cmudict)
        self._synthesizer = synthesizer

    def warm_up(self) -> None:
        """Load now what the first `build` would: the minimal-pair index (and CMUdict if it
        is not parsed yet). The TTS voice is not loaded: only reference audio needs it."""
        self.pair_index.load()

    @property
    def synthesizer(self):
        if self._synthesizer is None:
            from pronscore.feedback.tts import Synthesizer

            self._synthesizer = Synthesizer()
        return self._synthesizer

    def build(self, words: list[WordResult], *, l1: str | None = None, language: str = "en",
              reference_audio_dir: Path | None = None, synthesizer=None,
              max_items: int | None = None) -> list[dict[str, Any]]:
        """Feedback items for `words` (see the module docstring for the item layout)."""
        if max_items is not None and max_items < 0:
            raise PronscoreError(f"max_items must be >= 0, got {max_items}")
        if l1 is not None:
            self.l1_notes.profile(l1)  # unknown L1 -> UnsupportedLanguageError before any work
        english = language.lower().split("-", 1)[0] == "en"
        items: list[tuple[tuple, dict[str, Any]]] = []
        for word in words:
            if word.error in ("omitted", "inserted"):
                items.append(self._word_item(word, l1))
                continue
            for i, phone in enumerate(word.phones):
                if phone.error != "none":
                    items.append(self._phone_item(word, i, phone, l1, english))
        items.sort(key=lambda pair: pair[0])
        result = [item for _, item in items]
        if max_items is not None:
            result = result[:max_items]
        if reference_audio_dir is not None:
            self._attach_audio(result, words, Path(reference_audio_dir), synthesizer or self.synthesizer, english,
                               language)
        return result

    # --- items -------------------------------------------------------------------
    def _phone_item(self, word: WordResult, i: int, phone: PhoneResult, l1: str | None,
                    english: bool) -> tuple[tuple, dict[str, Any]]:
        target = phone.ipa
        heard = heard_phone(phone)
        position = "initial" if i == 0 else "final" if i == len(word.phones) - 1 else "medial"
        try:
            tip = self.tips.tip(target, heard, phone.error, word=word.text, position=position,
                                in_cluster=self._in_cluster(word.phones, i))
        except UnknownCharacterError:
            # A model symbol PanPhon cannot describe: still report the error, without articulation advice.
            tip = f"/{target}/ in \"{word.text}\" was {phone.error}" + (f"; it sounded like /{heard}/." if heard else ".")
        pairs: list[list[str]] = []
        if english and heard is not None:
            pairs = [list(p) for p in self.pair_index.pairs(target, heard, MINIMAL_PAIRS_PER_ITEM)]
            # The learner's own word and the word it became ("think" said as "sink") is the pair to practise first.
            own = bare_word(word.text)
            became = self.pair_index.swapped_word([p.ipa for p in word.phones], i, heard)
            if became:
                pairs = [[own, became]] + [p for p in pairs if p[0] != own][: MINIMAL_PAIRS_PER_ITEM - 1]
        item = {
            "word": word.text, "word_index": word.index, "phone": target, "phone_index": i,
            "target_ipa": target, "heard_ipa": heard, "error": phone.error,
            "score": phone.score, "gop": phone.gop, "tip": tip,
            "l1_note": self.l1_notes.note(target, heard, l1) if l1 else None,
            "minimal_pairs": pairs, "reference_audio": None,
        }
        return (_SEVERITY.get(phone.error, 3), phone.score, 1, word.index, i), item

    def _word_item(self, word: WordResult, l1: str | None) -> tuple[tuple, dict[str, Any]]:
        pronunciation = "".join(p.ipa for p in word.phones)
        if word.error == "omitted":
            tip = f"You skipped the word \"{word.text}\". Say every word, even short ones, so the sentence stays complete."
            target, heard = pronunciation or None, DELETED
        else:
            tip = f"You added \"{word.text}\", which is not in the text. Read only the words that are written."
            target, heard = None, pronunciation or None
        item = {
            "word": word.text, "word_index": word.index, "phone": None, "phone_index": None,
            "target_ipa": target, "heard_ipa": heard, "error": word.error,
            "score": word.scores.accuracy, "gop": None, "tip": tip, "l1_note": None,
            "minimal_pairs": [], "reference_audio": None,
        }
        # At equal severity and score a whole word outranks a single phone (the 0 below).
        return (_SEVERITY[word.error], word.scores.accuracy, 0, word.index, -1), item

    def _in_cluster(self, phones: list[PhoneResult], i: int) -> bool:
        """True when phone i is a consonant next to another consonant in the word."""
        def consonant(j: int) -> bool:
            if not 0 <= j < len(phones):
                return False
            try:
                return self.articulation.describe(phones[j].ipa).kind == "consonant"
            except UnknownCharacterError:
                return False
        return consonant(i) and (consonant(i - 1) or consonant(i + 1))

    # --- reference audio -----------------------------------------------------------
    def _attach_audio(self, items: list[dict[str, Any]], words: list[WordResult], out_dir: Path,
                      synthesizer, english: bool, language: str) -> None:
        by_index = {w.index: w for w in words}
        written: dict[int, str] = {}
        for item in items:
            word = by_index.get(item["word_index"])
            if word is None or word.error == "inserted" or word.index < 0:
                continue
            if word.index not in written:
                path = out_dir / f"word{word.index:03d}_{_slug(word.text)}.wav"
                written[word.index] = str(_speak_word(synthesizer, word, path, english, language))
            item["reference_audio"] = written[word.index]


def _speak_word(synthesizer, word: WordResult, path: Path, english: bool, language: str) -> Path:
    """Speak the word's target pronunciation when the voice can, else its spelling."""
    if english and word.phones and hasattr(synthesizer, "say_ipa"):
        try:
            return Path(synthesizer.say_ipa("".join(p.ipa for p in word.phones), path))
        except UnknownCharacterError:
            pass  # a phone the voice lacks: the spelling is the next best reference
    return Path(synthesizer.say(word.text, path, language=language))


def heard_phone(phone: PhoneResult) -> str | None:
    """What the phone sounded like: ∅ for omissions, else the first candidate that is not the target."""
    if phone.error == "omitted":
        return DELETED
    target = normalize_phone(phone.ipa)
    for candidate in phone.sounded_like:
        if candidate.ipa == DELETED:
            return DELETED
        if normalize_phone(candidate.ipa) != target:
            return candidate.ipa
    return None


def coach_errors(items: list[dict[str, Any]], l1: str | None) -> list[dict[str, Any]]:
    """Feedback items -> the error list `coach()` sends (target, heard, error, gop, word, l1)."""
    return [
        {"word": it["word"], "target": it["target_ipa"], "heard": it["heard_ipa"], "error": it["error"],
         "gop": it["gop"], "l1": l1}
        for it in items
    ]


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w]+", "_", text.lower(), flags=re.UNICODE).strip("_")
    return slug[:40] or "word"


def build_feedback(words: list[WordResult], *, l1: str | None = None, language: str = "en",
                   reference_audio_dir: Path | None = None, synthesizer=None,
                   max_items: int | None = None, engine: FeedbackEngine | None = None) -> list[dict[str, Any]]:
    """Feedback items for `words`; pass a long-lived `engine` to avoid reloading resources."""
    engine = engine if engine is not None else FeedbackEngine(synthesizer=synthesizer)
    return engine.build(words, l1=l1, language=language, reference_audio_dir=reference_audio_dir,
                        synthesizer=synthesizer, max_items=max_items)
