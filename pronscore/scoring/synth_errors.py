"""Synthesized error clips for `train-scorer --synth-errors` (issue 3, item b).

Error injection (`train._injection_plans`) keeps the real audio and changes the reference;
this is its mirror image: the *audio* carries a deliberate substitution. eSpeak NG reads a
corpus sentence from its canonical phones (eSpeak phoneme mnemonics inside `[[...]]`, so
the clip says exactly the phones the scorer will be asked about, not eSpeak's own
pronunciation of the words), with one phone of a content word replaced by a PanPhon-near
phone (`pronscore.scoring.confusables`). Scored against the canonical sentence, that phone
is known wrong. The same sentence read without the substitution (same voice, rate and
pitch) is the clean twin.

Everything is seeded by the sentence text and the seed, so a rerun makes the same clips and
finds them in the on-disk cache. eSpeak NG's own phoneme events tell what it actually said;
a clip whose phones differ from the ones asked for is reported as not faithful.
"""
from __future__ import annotations

import hashlib
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pronscore.errors import MissingDependencyError, PronscoreError

SYNTH_VERSION = 1  # of the clips: bump when the mnemonics, voices or plan rules change
SAMPLE_RATE = 16000
# US English voice variants only: the canonical phones are American (rhotic ɝ/ɚ, ɑ for
# "lot"), and an en-gb voice would read the same mnemonics with British vowels.
VOICES = ("en-us", "en-us+m3", "en-us+f2", "en-us+m7", "en-us+f4", "en-us+klatt")
RATE_WPM = (140, 200)
PITCH = (35, 65)

# Canonical IPA (CMUdict-derived `ENGLISH_PHONES`) -> eSpeak NG en-us phoneme mnemonic.
# Read off eSpeak's own transcriptions (father f'A:D3, cat k'at, thought T'O:t, bird b'3:d,
# butter b'Vt#3, happy h'api, ...) and checked by `tests/test_synth_errors.py`, which
# synthesizes every mnemonic and reads eSpeak's phoneme events back.
ESPEAK_MNEMONICS: dict[str, str] = {
    "ɑ": "A:", "æ": "a", "ʌ": "V", "ə": "@", "ɔ": "O:", "aʊ": "aU", "aɪ": "aI", "ɛ": "E", "ɝ": "3:",
    "ɚ": "3", "eɪ": "eI", "ɪ": "I", "i": "i:", "oʊ": "oU", "ɔɪ": "OI", "ʊ": "U", "u": "u:",
    "b": "b", "t͡ʃ": "tS", "d": "d", "ð": "D", "f": "f", "ɡ": "g", "h": "h", "d͡ʒ": "dZ", "k": "k",
    "l": "l", "m": "m", "n": "n", "ŋ": "N", "p": "p", "ɹ": "r", "s": "s", "ʃ": "S", "t": "t",
    "θ": "T", "v": "v", "w": "w", "j": "j", "z": "z", "ʒ": "Z",
}
# Unstressed word-final /i/ (CMUdict IY0, "happy"): eSpeak's short happY vowel.
_UNSTRESSED_I = "i"
_STRESS_MARK = {1: "'", 2: ","}


class SynthErrorsError(PronscoreError):
    """A sentence cannot be synthesized with a substitution (unknown phone, eSpeak failure)."""


@dataclass(frozen=True)
class Substitution:
    word: int  # word index in the sentence
    position: int  # phone index inside the word
    flat: int  # phone index in the sentence (what the evidence arrays are indexed by)
    canonical: str  # the phone the reference expects (IPA)
    spoken: str  # the phone the clip says instead (IPA)


@dataclass(frozen=True)
class SynthErrorPlan:
    """One sentence, the phone to change and how to read it (all seeded by text + seed)."""

    text: str
    words: tuple[tuple[str, ...], ...]  # canonical IPA phones per word
    stress: tuple[tuple[int | None, ...], ...]
    substitution: Substitution
    voice: str
    rate_wpm: int
    pitch: int

    def phoneme_input(self, clean: bool = False) -> str:
        return phoneme_input(self.words, self.stress, None if clean else self.substitution, _final_mark(self.text))

    def spoken_phones(self, clean: bool = False) -> list[str]:
        """The phones the clip should say, flat."""
        flat = [p for w in self.words for p in w]
        if not clean:
            flat[self.substitution.flat] = self.substitution.spoken
        return flat

    def key(self, clean: bool = False) -> str:
        """Cache key: what is said and by which voice, rate and pitch."""
        raw = f"{SYNTH_VERSION}|{self.phoneme_input(clean)}|{self.voice}|{self.rate_wpm}|{self.pitch}"
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:20]


@dataclass
class SynthClip:
    plan: SynthErrorPlan
    clean: bool
    audio: np.ndarray  # float32 mono at SAMPLE_RATE
    heard: list[str]  # eSpeak's own phoneme events, on the English inventory

    @property
    def key(self) -> str:
        return self.plan.key(self.clean)

    def said(self) -> np.ndarray:
        """Per phone asked for: True where eSpeak said exactly that phone.

        eSpeak applies its own US English rules to phoneme input too: /ə ɹ/ across a word
        boundary becomes [ɚ], an unstressed final /ɪ/ becomes [i], and a /t/ or /d/ between
        vowels becomes a flap (so "t" -> "d" there would change nothing). Phones in such
        stretches are not labelled."""
        from difflib import SequenceMatcher

        wanted = self.plan.spoken_phones(self.clean)
        ok = np.zeros(len(wanted), dtype=bool)
        for tag, i1, i2, _, _ in SequenceMatcher(None, wanted, self.heard, autojunk=False).get_opcodes():
            if tag == "equal":
                ok[i1:i2] = True
        return ok

    @property
    def substitution_said(self) -> bool:
        return bool(self.said()[self.plan.substitution.flat])


def _rng(text: str, seed: int) -> np.random.Generator:
    return np.random.default_rng(int(hashlib.sha1(f"synth-errors:{text}:{seed}".encode()).hexdigest()[:12], 16))


def _final_mark(text: str) -> str:
    """The sentence's final punctuation, kept outside the phonemes so eSpeak's intonation follows it."""
    stripped = text.rstrip()
    return stripped[-1] if stripped and stripped[-1] in ".?!" else "."


def _mnemonic(phone: str, stress: int | None) -> str:
    try:
        m = ESPEAK_MNEMONICS[phone]
    except KeyError as exc:
        raise SynthErrorsError(f"no eSpeak NG mnemonic for the phone /{phone}/") from exc
    if phone == "i" and stress == 0:
        m = _UNSTRESSED_I
    return _STRESS_MARK.get(stress or 0, "") + m


def phoneme_input(words: tuple[tuple[str, ...], ...] | list[list[str]],
                  stress: tuple[tuple[int | None, ...], ...] | list[list[int | None]],
                  substitution: Substitution | None = None, final: str = ".") -> str:
    """`[[...]]` eSpeak phoneme input for canonical phones, one phone optionally replaced.

    The replacement phone takes the stress mark of the phone it replaces (a vowel for a vowel;
    plans only swap vowels with vowels and consonants with consonants)."""
    out = []
    for wi, (phones, marks) in enumerate(zip(words, stress)):
        parts = []
        for pi, (p, s) in enumerate(zip(phones, marks)):
            if substitution is not None and (wi, pi) == (substitution.word, substitution.position):
                p = substitution.spoken
            parts.append(_mnemonic(p, s))
        out.append("".join(parts))
    return f"[[{' '.join(out)}]]{final}"


def plan_sentence(text: str, word_texts: list[str], words_ipa: list[list[str]], stress: list[list[int | None]],
                  seed: int, confusables: dict[str, list[str]]) -> SynthErrorPlan | None:
    """The substitution and reading of one sentence; None when no content-word phone qualifies.

    A candidate is a phone of a content word (function words are reduced and variable, so a
    changed one is not reliably wrong), not an unstressed vowel (experts accept reduced-vowel
    differences as accent), with a confusable of the same kind (vowel for vowel, consonant for
    consonant: PanPhon puts consonants nearest to /ɝ ɚ/, an odd error to teach).
    """
    from pronscore.scoring.meaning_change import is_function_word
    from pronscore.text.ipa import is_vowel_phone

    rng = _rng(text, seed)
    candidates: list[tuple[int, int, int, str, list[str]]] = []
    flat = 0
    for wi, (wt, phones, marks) in enumerate(zip(word_texts, words_ipa, stress)):
        content = not is_function_word(wt)
        for pi, (p, s) in enumerate(zip(phones, marks)):
            vowel = is_vowel_phone(p)
            subs = [q for q in confusables.get(p, []) if is_vowel_phone(q) == vowel and q in ESPEAK_MNEMONICS]
            if content and subs and p in ESPEAK_MNEMONICS and not (vowel and s == 0):
                candidates.append((wi, pi, flat + pi, p, subs))
        flat += len(phones)
    if not candidates:
        return None
    wi, pi, k, p, subs = candidates[int(rng.integers(0, len(candidates)))]
    spoken = subs[int(rng.integers(0, len(subs)))]
    return SynthErrorPlan(
        text=text, words=tuple(tuple(w) for w in words_ipa), stress=tuple(tuple(s) for s in stress),
        substitution=Substitution(wi, pi, k, p, spoken),
        voice=VOICES[int(rng.integers(0, len(VOICES)))],
        rate_wpm=int(rng.integers(RATE_WPM[0], RATE_WPM[1] + 1)),
        pitch=int(rng.integers(PITCH[0], PITCH[1] + 1)))


def choose_sentences(texts: list[str], n: int, seed: int) -> list[str]:
    """`n` distinct sentences, in an order seeded by text (so `n` + 1 keeps the first `n`)."""
    uniq = sorted(set(texts))
    order = sorted(uniq, key=lambda t: hashlib.sha1(f"synth-order:{seed}:{t}".encode()).hexdigest())
    return order[: max(0, int(n))]


def heard_phones(phoneme_ipa: list[str]) -> list[str]:
    """eSpeak's phoneme events (IPA names) -> phones of the English inventory (pauses dropped)."""
    from pronscore.text.english_phones import to_english_inventory

    raw = [p.replace("ˈ", "").replace("ˌ", "").replace("͡", "") for p in phoneme_ipa]
    # eSpeak names affricates without a tie bar; the inventory writes one (before the
    # inventory mapping, which would split "tʃ" into t + ʃ).
    raw = [{"tʃ": "t͡ʃ", "dʒ": "d͡ʒ"}.get(p, p) for p in raw if p.strip() and p != "_"]
    phones, _ = to_english_inventory(raw, [None] * len(raw))
    return phones


def _to_16k(audio: np.ndarray, rate: int) -> np.ndarray:
    from scipy.signal import resample_poly

    g = math.gcd(int(rate), SAMPLE_RATE)
    return resample_poly(np.asarray(audio, dtype=np.float32), SAMPLE_RATE // g, int(rate) // g).astype(np.float32)


def synthesize_clip(plan: SynthErrorPlan, clean: bool = False, engine=None) -> SynthClip:
    """The clip of `plan` (with its substitution, or the clean twin), 16 kHz float32.

    Raises MissingDependencyError when eSpeak NG is not installed (needs pronscore[espeak])."""
    if importlib.util.find_spec("espeakng_loader") is None:
        raise MissingDependencyError("synthesized error clips need eSpeak NG: pip install 'pronscore[espeak]'")
    from pronscore.prosody.espeak_synth import synthesize

    s = synthesize(plan.phoneme_input(clean), voice=plan.voice, rate_wpm=plan.rate_wpm, pitch=plan.pitch,
                   phoneme_input=True, engine=engine)
    if not len(s.audio):
        raise SynthErrorsError(f"eSpeak NG produced no audio for {plan.text!r} ({plan.voice})")
    return SynthClip(plan, clean, _to_16k(s.audio, s.sample_rate), heard_phones([p.ipa for p in s.phonemes]))


def cached_clip(plan: SynthErrorPlan, clean: bool, audio_dir: Path | None) -> SynthClip:
    """`synthesize_clip`, read from / written to `audio_dir/<key>.npz` when given (eSpeak is
    deterministic, so the cache only saves time and lets a rerun work without eSpeak NG)."""
    if audio_dir is None:
        return synthesize_clip(plan, clean)
    path = Path(audio_dir) / f"{plan.key(clean)}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as d:
                return SynthClip(plan, clean, d["audio"].astype(np.float32), [str(p) for p in d["heard"]])
        except (OSError, ValueError, KeyError):
            pass  # a partial file is rebuilt
    clip = synthesize_clip(plan, clean)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, audio=clip.audio, heard=np.array(clip.heard, dtype=str))
    tmp.replace(path)
    return clip
