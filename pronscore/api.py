"""The Python API: a `Session` owns the loaded models; `assess()` is a one-shot helper.

    import pronscore
    with pronscore.Session() as s:
        result = s.assess("reading.wav", "The cat sat on the mat.")
    print(result.scores.overall)
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from pronscore import __version__
from pronscore.acoustic.base import AcousticModel
from pronscore.acoustic.registry import DEFAULT_ACOUSTIC, load_acoustic_model
from pronscore.errors import PronscoreError
from pronscore.gop.analyze import DELETION_SYMBOL, UtteranceEvidence, analyze
from pronscore.gop.phoneset import PhoneMapper, phone_token_ids
from pronscore.result import Assessment, Candidate, PhoneResult, SentenceScores, WordResult, WordScores
from pronscore.scoring.base import ScoredUtterance, Scorer, UtteranceContext
from pronscore.text.cmudict_g2p import CmudictLexicon
from pronscore.text.types import Reference

AudioSource = str | Path | bytes | np.ndarray


class Session:
    """Loads models once and assesses many recordings.

    acoustic: backend name ("hama" default, "whisper-ctc", or "hf-ctc"/"onnx-ctc" with a local model).
        The default scorer of a backend may read a second backend too (whisper-ctc's reads hama);
        the Session then loads both.
    acoustic_path: local model path for backends that need one.
    scorer: path of a trained scorer, or None for the shipped default.
    max_seconds: longest recording accepted.
    preload: load at once what the first `assess` would load lazily (see `warm_up`).
    """

    def __init__(self, acoustic: str = DEFAULT_ACOUSTIC, *, acoustic_path: str | Path | None = None,
                 scorer: str | Path | None = None, language: str = "en", max_seconds: float = 300.0,
                 min_seconds: float = 0.3, use_vad: bool = True, preload: bool = False):
        t0 = time.perf_counter()
        self.language = language
        self.max_seconds = max_seconds
        self.min_seconds = min_seconds
        self.acoustic: AcousticModel = load_acoustic_model(acoustic, acoustic_path)
        self._phone_ids, self.mapper = _phone_mapping(self.acoustic)
        self._references = None  # built on first use: corpus benchmarks pass phones directly
        # One CMUdict (parsed on first use) for the G2P and the feedback's minimal-pair index.
        self._cmudict = CmudictLexicon()
        self.scorer: Scorer = _load_scorer(scorer, acoustic)
        # A scorer trained on two views of the audio needs the second acoustic model too.
        self.aux_acoustic: AcousticModel | None = None
        self.aux_mapper: PhoneMapper | None = None
        from pronscore.scoring.errors import ErrorThresholds

        # Error labels read the scorer's scale: a learned scorer file carries its own thresholds.
        self._error_thresholds = ErrorThresholds.from_json(getattr(self.scorer, "meta", {}).get("error_thresholds"))
        from pronscore.gop.sounded_like import SoundedLikeSettings

        # ... and how to rank "sounded like" (parsed once: the ranker's counts are not small).
        self._sounded_like = SoundedLikeSettings.from_json(getattr(self.scorer, "meta", {}).get("sounded_like"))
        aux_name = getattr(self.scorer, "aux_acoustic", None)
        if aux_name:
            self.aux_acoustic = load_acoustic_model(aux_name)
            self._aux_phone_ids, self.aux_mapper = _phone_mapping(self.aux_acoustic)
        self._vad = None
        self._use_vad = use_vad
        self._feedback = None
        self._last_pitch = None
        self.load_seconds = time.perf_counter() - t0
        self.warm_up_seconds: float | None = None
        self.warm_up_timing: dict[str, float] = {}
        if preload:
            self.warm_up()

    # -- context manager: nothing to release today, but callers shouldn't depend on that.
    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._vad = None

    @property
    def last_pitch_track(self):
        """The F0 track of the last assessment (for plots), or None."""
        return self._last_pitch

    def info(self) -> dict[str, Any]:
        return {"pronscore": __version__, **self.acoustic.info(), **self.scorer.info()}

    # -- the main job -----------------------------------------------------------------
    def reference(self, text: str, *, language: str | None = None, lexicon: Any = None,
                  ipa: dict[str, str] | None = None) -> Reference:
        from pronscore.text.lexicon import load_lexicon

        if self._references is None:
            from pronscore.text.reference import ReferenceBuilder

            self._references = ReferenceBuilder(cmudict=self._cmudict)
        lex = load_lexicon(lexicon) if isinstance(lexicon, (str, Path)) else lexicon
        return self._references.build(text, language=language or self.language, lexicon=lex, ipa_overrides=ipa)

    def assess(self, audio: AudioSource, text: str | Reference, *, sample_rate: int | None = None,
               language: str | None = None, lexicon: Any = None, ipa: dict[str, str] | None = None,
               l1: str | None = None, reference_audio_dir: str | Path | None = None,
               coach_url: str | None = None) -> Assessment:
        """Assess a recording against the text the speaker meant to say."""
        timing: dict[str, float] = {}
        t = time.perf_counter()
        ref = text if isinstance(text, Reference) else self.reference(text, language=language, lexicon=lexicon, ipa=ipa)
        timing["text_s"] = time.perf_counter() - t

        from pronscore.audio import prepare_audio

        t = time.perf_counter()
        prepared = prepare_audio(audio, sample_rate, min_seconds=self.min_seconds, max_seconds=self.max_seconds)
        timing["audio_s"] = time.perf_counter() - t

        t = time.perf_counter()
        post = self.acoustic.posteriors(prepared.samples, prepared.sample_rate)
        timing["acoustic_s"] = time.perf_counter() - t

        t = time.perf_counter()
        ev = analyze(post, [w.phones for w in ref.words], [w.stress for w in ref.words], self.mapper,
                     self._inventory(ref.language), ref.language)
        timing["gop_s"] = time.perf_counter() - t

        aux_ev = None
        if self.aux_acoustic is not None:
            t = time.perf_counter()
            aux_post = self.aux_acoustic.posteriors(prepared.samples, prepared.sample_rate)
            aux_ev = analyze(aux_post, [w.phones for w in ref.words], [w.stress for w in ref.words], self.aux_mapper,
                             self._inventory(ref.language), ref.language)
            timing["aux_acoustic_s"] = time.perf_counter() - t

        t = time.perf_counter()
        words = _with_insertions(_word_results(ref, ev, self._candidates_of(ev, aux_ev)), ev)
        vad_probs = self._vad_grid(prepared.samples, post.num_frames, post.frame_s)
        fluency, prosody, word_stress, fp_warnings = self._fluency_prosody(prepared.samples, words, ref, vad_probs,
                                                                           post.frame_s)
        timing["fluency_prosody_s"] = time.perf_counter() - t

        t = time.perf_counter()
        ctx = UtteranceContext(duration_s=prepared.duration, n_words=len(ref.words), fluency=fluency,
                               prosody=prosody, word_stress=word_stress, aux_evidence=aux_ev)
        scored = self.scorer.score(ev, ctx)
        _apply_scores([w for w in words if w.error != "inserted"], ev, scored, self._error_thresholds,
                      swapped_words=self._swapped_words(ref.language))
        if fluency:
            _update_wcpm(fluency, words)
        timing["scoring_s"] = time.perf_counter() - t

        result = Assessment(
            text=ref.text, language=ref.language,
            scores=SentenceScores(accuracy=scored.accuracy, fluency=scored.fluency, completeness=scored.completeness,
                                  prosody=scored.prosody, overall=scored.overall),
            words=words, duration=prepared.duration, fluency=fluency, prosody=prosody,
            model=self.info(), warnings=list(prepared.warnings) + list(ref.notes) + fp_warnings,
            phone_mapping=[{"ipa": m.ipa, "model_symbol": m.symbol, "method": m.method}
                           for m in {p.mapping.ipa: p.mapping for p in ev.phones}.values() if m.method != "exact"],
        )
        t = time.perf_counter()
        self._add_feedback(result, l1=l1, reference_audio_dir=reference_audio_dir, coach_url=coach_url)
        timing["feedback_s"] = time.perf_counter() - t
        timing["total_s"] = sum(timing.values())
        timing["real_time_factor"] = timing["total_s"] / max(prepared.duration, 1e-9)
        result.timing = timing
        return result

    def warm_up(self) -> float:
        """Load now everything the first `assess` would load lazily, so a server or batch job
        pays it once at start: G2P tables (CMUdict; the eSpeak NG voice only if eSpeak NG is
        installed), the audio and prosody code, VAD, the PanPhon table, the phone mapping of
        the English inventory, the feedback engine and its minimal-pair index. Returns the
        seconds it took (also kept in `warm_up_seconds`, per part in `warm_up_timing`);
        calling it again costs nothing."""
        t0 = t = time.perf_counter()
        parts: dict[str, float] = {}

        def lap(name: str) -> None:
            nonlocal t
            now = time.perf_counter()
            parts[name] = now - t
            t = now

        import parselmouth  # noqa: F401  (pitch and intensity, imported lazily by the prosody layer)

        import pronscore.audio  # noqa: F401  (resampling, validation)
        import pronscore.scoring.errors  # noqa: F401
        from pronscore.fluency.syllables import default_syllable_counter
        from pronscore.prosody.analysis import analyze_prosody  # noqa: F401  (Parselmouth, SciPy)
        from pronscore.text.arpabet import ENGLISH_PHONES
        from pronscore.text.reference import ReferenceBuilder

        lap("imports_s")
        if self._references is None:
            self._references = ReferenceBuilder(cmudict=self._cmudict)
        self._references.warm_up(self.language)
        lap("g2p_s")
        if self._use_vad and self._vad is None:
            from pronscore.audio.vad import VoiceActivityDetector

            self._vad = VoiceActivityDetector()
        lap("vad_s")
        default_syllable_counter()  # the PanPhon table, shared with the feedback's articulation
        lap("panphon_s")
        for mapper in (self.mapper, self.aux_mapper):
            for phone in ENGLISH_PHONES if mapper is not None else ():
                try:
                    mapper.map(phone)
                except PronscoreError:
                    pass  # reported by assess if a text ever uses it
        lap("phone_mapping_s")
        self._feedback_engine().warm_up()
        lap("feedback_s")
        self.warm_up_timing = parts
        self.warm_up_seconds = time.perf_counter() - t0
        return self.warm_up_seconds

    # -- parts --------------------------------------------------------------------------
    def _candidates_of(self, ev: UtteranceEvidence, aux_ev: UtteranceEvidence | None) -> list[list[Candidate]]:
        """"Sounded like" per phone (see gop/sounded_like.py): views mixed as the scorer file says."""
        from pronscore.gop.sounded_like import view_distribution

        settings = self._sounded_like
        use_aux = aux_ev is not None and settings.reads_aux
        out = []
        for i, p in enumerate(ev.phones):
            aux = None
            if use_aux:
                a = aux_ev.phones[i]
                aux = view_distribution(aux_ev.inventory_ipa, a.substitution, a.deletion_prob)
            out.append(settings.rank(p.ipa, view_distribution(ev.inventory_ipa, p.substitution, p.deletion_prob), aux))
        return out

    def _inventory(self, language: str) -> list[str]:
        if language.lower().split("-")[0] == "en":
            from pronscore.text.arpabet import ENGLISH_PHONES

            return list(ENGLISH_PHONES)
        # Other languages: every phone symbol of the model stands in the inventory.
        return [self.acoustic.vocab[i] for i in self._phone_ids]

    def _vad_grid(self, samples: np.ndarray, n_frames: int, frame_s: float) -> np.ndarray | None:
        """Silero speech probabilities resampled onto the acoustic model's frames."""
        if not self._use_vad:
            return None
        from pronscore.audio.vad import VoiceActivityDetector, probabilities_on_grid

        if self._vad is None:
            self._vad = VoiceActivityDetector()
        probs = self._vad.speech_probabilities(samples)
        return probabilities_on_grid(probs, self._vad.frame_s, frame_s, n_frames)

    def _fluency_prosody(self, samples: np.ndarray, words: list[WordResult], ref: Reference,
                         vad_probs: np.ndarray | None, frame_s: float):
        from pronscore.fluency import compute_fluency
        from pronscore.prosody.analysis import analyze_prosody

        analysis = analyze_prosody(samples, 16000, words, ref.sentence_type)
        fluency = compute_fluency(samples, 16000, words, vad_probs=vad_probs, vad_frame_s=frame_s, pitch=analysis.pitch)
        self._last_pitch = analysis.pitch  # kept for --plot, which draws the same track
        stress = [s for w, s in zip(words, analysis.word_stress_scores) if w.error != "inserted"]
        return fluency, analysis.prosody, stress, list(analysis.warnings)

    def _feedback_engine(self):
        from pronscore.feedback.builder import FeedbackEngine

        if self._feedback is None:
            self._feedback = FeedbackEngine(cmudict=self._cmudict)
        return self._feedback

    def _swapped_words(self, language: str):
        """The minimal-pair index that tells when a substitution makes another English word (None otherwise)."""
        return self._feedback_engine().pair_index if language.lower().split("-")[0] == "en" else None

    def _add_feedback(self, result: Assessment, *, l1, reference_audio_dir, coach_url) -> None:
        from pronscore.feedback.builder import coach_errors

        ref_dir = Path(reference_audio_dir) if reference_audio_dir else None
        result.feedback = self._feedback_engine().build(result.words, l1=l1, language=result.language,
                                                        reference_audio_dir=ref_dir)
        if coach_url:
            from pronscore.feedback.coach import coach

            result.coach = coach(coach_url, coach_errors(result.feedback, l1), l1)


def assess(audio: AudioSource, text: str, **kwargs: Any) -> Assessment:
    """One-shot assessment with a fresh Session (load once with `Session` for many files)."""
    session_keys = {"acoustic", "acoustic_path", "scorer", "max_seconds", "min_seconds"}
    skw = {k: kwargs.pop(k) for k in list(kwargs) if k in session_keys}
    return Session(**skw).assess(audio, text, **kwargs)


# ----------------------------------------------------------------------------------------
def _special_ids_of(vocab: list[str]) -> set[int]:
    return {i for i, t in enumerate(vocab) if t.startswith("<") and t.endswith(">")}


def _load_scorer(path: str | Path | None, acoustic: str) -> Scorer:
    from pronscore.scoring.registry import load_scorer

    return load_scorer(path, acoustic)


def _phone_mapping(model: AcousticModel) -> tuple[list[int], PhoneMapper]:
    """The phone token ids of a model's vocabulary and the IPA mapper onto them."""
    vocab = model.vocab
    specials = getattr(model, "special_ids", None)
    ids = phone_token_ids(vocab, frozenset(specials or _special_ids_of(vocab)))
    return ids, PhoneMapper(vocab, ids)


def _word_results(ref: Reference, ev: UtteranceEvidence, candidates: list[list[Candidate]]) -> list[WordResult]:
    """Words with timings and phones; scores and errors are filled in by `_apply_scores`."""
    words: list[WordResult] = []
    by_word: dict[int, list] = {}
    for i, p in enumerate(ev.phones):
        by_word.setdefault(p.word_index, []).append((p, candidates[i]))
    for wi, w in enumerate(ref.words):
        phones = []
        for p, cands in by_word.get(wi, []):
            phones.append(PhoneResult(ipa=p.ipa, start=p.start, end=p.end, score=0.0, gop=p.gop,
                                      sounded_like=cands, model_symbol=p.mapping.symbol, stress=p.stress))
        start, end = ev.word_spans[wi]
        written = ref.text[w.char_start : w.char_end]
        # Show the word as written, except words spelled out from a numeral ("25" -> twenty, five).
        shown = written if written.upper() == w.text.upper() else w.text.lower()
        words.append(WordResult(text=shown, index=wi, char_start=w.char_start, char_end=w.char_end,
                                start=start, end=end, scores=WordScores(accuracy=0.0, stress=None, total=0.0),
                                error="none", phones=phones, pronunciation_source=w.source))
    return words


def _update_wcpm(fluency: dict, words: list[WordResult]) -> None:
    """WCPM needs the error labels, which exist only after scoring."""
    from pronscore.fluency.metrics import CORRECT_WORD_ERRORS

    minutes = float(fluency.get("speech_duration_s") or 0.0) / 60.0
    correct = sum(1 for w in words if w.error in CORRECT_WORD_ERRORS)
    fluency["wcpm"] = correct / minutes if minutes > 0 else 0.0


def _apply_scores(words: list[WordResult], ev: UtteranceEvidence, s: ScoredUtterance, thresholds=None,
                  swapped_words=None) -> None:
    """Scores and error labels onto the words. `swapped_words` (a MinimalPairIndex, English only)
    enables the meaning-changing substitution cap of scoring/meaning_change.py."""
    from pronscore.scoring.errors import HEURISTIC
    from pronscore.scoring.meaning_change import meaning_changing_cap

    i = 0
    for wi, w in enumerate(words):
        capped = False
        ipas = [ph.ipa for ph in w.phones]
        for k, ph in enumerate(w.phones):
            learned = float(s.phone_scores[i])
            ph.score = learned
            top = ph.sounded_like[0] if ph.sounded_like else None
            if swapped_words is not None and top is not None and top.ipa != DELETION_SYMBOL:
                cap = meaning_changing_cap(w.text, ipas, k, top.ipa, top.prob, ph.gop, swapped_words)
                if cap is not None:
                    ph.score = min(learned, cap)
                    capped = True
            i += 1
        # A word said as another word scores no higher than its phones' mean.
        acc = float(s.word_accuracy[wi])
        if capped:
            acc = min(acc, float(np.mean([ph.score for ph in w.phones])))
        w.scores = WordScores(accuracy=acc, stress=s.word_stress[wi],
                              total=float(s.word_total[wi]))
    _classify_errors(words, thresholds or HEURISTIC)


def _classify_errors(words: list[WordResult], th) -> None:
    """Phone and word error labels from scores; thresholds documented in scoring/errors.py.
    A word is omitted when most of its phones are (by the phone rule, which needs a low score as
    well as the deletion: the scorer's own count for completeness reads the deletion posterior)."""
    from pronscore.scoring.errors import classify_phone, classify_word

    for w in words:
        for ph in w.phones:
            if ph.error == "none":
                ph.error = classify_phone(ph.score, ph.sounded_like, ph.ipa, th)
        if w.error == "none" and w.phones and sum(ph.error == "omitted" for ph in w.phones) > len(w.phones) / 2:
            w.error = "omitted"
            w.start = w.end = None
            for ph in w.phones:
                ph.start = ph.end = None
                ph.error = "omitted"
        if w.error == "none":
            w.error = classify_word(w, th)


def _with_insertions(words: list[WordResult], ev: UtteranceEvidence) -> list[WordResult]:
    if not ev.insertions:
        return words
    out: list[WordResult] = []
    pending = sorted(ev.insertions, key=lambda x: x.start)
    for w in words + [None]:
        idx = len(words) if w is None else w.index
        while pending and pending[0].before_word <= idx:
            ins = pending.pop(0)
            phones = [PhoneResult(ipa=ph, start=ins.start, end=ins.end, score=0.0, gop=0.0, error="inserted",
                                  sounded_like=[Candidate(ipa=ph, prob=ins.confidence)]) for ph in ins.phones]
            out.append(WordResult(text="/" + "".join(ins.phones) + "/", index=-1, char_start=-1, char_end=-1,
                                  start=ins.start, end=ins.end, scores=WordScores(accuracy=0.0, stress=None, total=0.0),
                                  error="inserted", phones=phones, pronunciation_source="heard"))
        if w is not None:
            out.append(w)
    return out


__all__ = ["Session", "assess", "PronscoreError"]
