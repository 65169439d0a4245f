"""Articulatory tips: one sentence or two telling a learner what to do with a phone.

Three cases, chosen from the error label and what the phone sounded like:

* omission ("omitted", or a "sounded like" of ``∅``): name the missing sound,
  with extra advice for word-final consonants and consonant clusters;
* substitution (another phone was heard): describe the target, name the sound
  made instead, and say which articulatory dimension separates them;
* accented / distorted (no clear substitute): describe the target.

How to make a sound comes from a curated table for the English phones learners
miss most, and otherwise from a sentence generated from PanPhon features, so any
IPA phone PanPhon knows gets a tip.
"""
from __future__ import annotations

from dataclasses import dataclass

from pronscore.errors import TextError
from pronscore.feedback.articulation import (
    Articulation,
    PhoneDescription,
    default_articulation,
    normalize_phone,
    with_article,
)

DELETED = "∅"
ERROR_LABELS = frozenset({"none", "accented", "mispronounced", "omitted", "inserted"})


@dataclass(frozen=True)
class Instruction:
    """How to make one sound, and words it occurs in."""

    how: str
    examples: str


#: Hand-written instructions for the English phones learners most often miss.
CURATED: dict[str, Instruction] = {
    "θ": Instruction("put the tongue tip lightly between the teeth and blow air out, without voice", "think, bath"),
    "ð": Instruction("put the tongue tip lightly between the teeth and let the air through with voice (a buzz)", "this, mother"),
    "ɹ": Instruction("pull the tongue tip up and back without touching the roof of the mouth, round the lips a little", "red, right"),
    "l": Instruction("press the tongue tip on the ridge behind the upper teeth and let the voice flow around the sides of the tongue", "light, feel"),
    "v": Instruction("rest the upper teeth on the lower lip and push air through with voice, so the lip buzzes", "very, love"),
    "w": Instruction("round the lips into a small circle, then open them quickly; the teeth do not touch the lip", "we, away"),
    "z": Instruction("keep the tongue tip behind the upper teeth as for /s/ and add voice, a buzzing hiss", "zoo, is"),
    "ʒ": Instruction("shape the mouth as for /ʃ/ (lips pushed forward, tongue just behind the gum ridge) and add voice", "measure, vision"),
    "ʃ": Instruction("push the lips forward, raise the tongue just behind the gum ridge and blow a broad hiss", "she, wish"),
    "s": Instruction("bring the tongue tip close to the ridge behind the upper teeth and blow a sharp, thin hiss", "see, bus"),
    "ŋ": Instruction("raise the back of the tongue against the soft palate and let the sound out through the nose; do not add a /ɡ/ after it", "sing, thing"),
    "h": Instruction("breathe out gently through an open mouth, as if fogging a mirror", "hat, ahead"),
    "t͡ʃ": Instruction("start with the tongue on the gum ridge as for /t/ and release it into /ʃ/, lips forward", "church, watch"),
    "d͡ʒ": Instruction("start with the tongue on the gum ridge as for /d/ and release it into /ʒ/, with voice", "judge, age"),
    "j": Instruction("raise the middle of the tongue towards the hard palate, as at the start of 'yes', then glide into the vowel", "yes, you"),
    "f": Instruction("rest the upper teeth on the lower lip and blow, without voice", "fine, off"),
    "p": Instruction("close both lips, build up air and release it with a small puff", "pen, stop"),
    "b": Instruction("close both lips and release them with voice, without a strong puff", "bed, job"),
    "t": Instruction("touch the ridge behind the upper teeth with the tongue tip and release it crisply", "ten, cat"),
    "d": Instruction("touch the ridge behind the upper teeth with the tongue tip and release it with voice", "day, bed"),
    "k": Instruction("press the back of the tongue on the soft palate and release it with a puff", "cat, back"),
    "ɡ": Instruction("press the back of the tongue on the soft palate and release it with voice", "go, bag"),
    "ɪ": Instruction("make a short, relaxed vowel: tongue high but a little lower and looser than for /i/, lips neutral", "sit, bit"),
    "i": Instruction("make a long, tense vowel: tongue high and front, lips spread as in a smile", "seat, see"),
    "æ": Instruction("drop the jaw wide and spread the lips, tongue low and at the front", "cat, bad"),
    "ɛ": Instruction("open the jaw halfway, tongue at the front, lips relaxed; keep it short", "bed, said"),
    "ʌ": Instruction("make a short, relaxed 'uh' with the jaw half open and the tongue in the middle of the mouth", "cup, love"),
    "ɑ": Instruction("open the mouth wide with the tongue low and pulled back, lips not rounded", "father, hot"),
    "ɔ": Instruction("open the jaw and round the lips a little, tongue low and back", "law, thought"),
    "ʊ": Instruction("make a short vowel with lips loosely rounded and the tongue high at the back, relaxed", "book, put"),
    "u": Instruction("round the lips tightly and hold a long vowel with the tongue high at the back", "food, blue"),
    "ə": Instruction("make a very short, weak 'uh' with everything relaxed; it is never stressed", "about, sofa"),
    "ɝ": Instruction("hold the tongue pulled back and bunched as for /ɹ/ through the whole vowel, lips slightly rounded", "bird, her"),
    "ɚ": Instruction("end the weak syllable with the tongue bunched back as for /ɹ/; a short, unstressed 'er'", "butter, teacher"),
    "eɪ": Instruction("start at /e/ and glide up to /ɪ/ within the one vowel", "day, make"),
    "oʊ": Instruction("start at /o/ with rounded lips and glide to /ʊ/, closing the lips more", "go, home"),
    "aɪ": Instruction("start with the jaw open at /a/ and glide up to /ɪ/", "my, time"),
    "aʊ": Instruction("start with the jaw open at /a/ and glide to /ʊ/, rounding the lips", "now, house"),
    "ɔɪ": Instruction("start at /ɔ/ with rounded lips and glide to /ɪ/", "boy, voice"),
}

_PLACE_HOW = {
    "bilabial": "close or nearly close both lips",
    "labiodental": "rest the upper teeth on the lower lip",
    "dental": "put the tongue tip against or between the teeth",
    "alveolar": "bring the tongue tip to the ridge just behind the upper teeth",
    "postalveolar": "raise the tongue blade just behind the gum ridge",
    "retroflex": "curl the tongue tip up and back behind the gum ridge",
    "alveolo-palatal": "raise the tongue blade and middle towards the front of the hard palate",
    "palatal": "raise the middle of the tongue to the hard palate",
    "velar": "raise the back of the tongue to the soft palate",
    "uvular": "raise the very back of the tongue towards the uvula",
    "pharyngeal": "pull the root of the tongue back towards the throat wall",
    "glottal": "make the sound in the throat, at the vocal folds",
    "labial-velar": "round the lips and raise the back of the tongue",
    "labial-palatal": "round the lips and raise the middle of the tongue",
}
_MANNER_HOW = {
    "stop": "block the air completely, then release it",
    "fricative": "leave a narrow gap and push air through it continuously, making friction",
    "affricate": "block the air, then release it slowly into friction",
    "nasal": "keep the mouth closed at that point and let the sound out through the nose",
    "lateral approximant": "let the voice flow around the sides of the tongue",
    "approximant": "bring the tongue close without touching or making friction",
    "tap or trill": "flick the tongue against that point once (tap) or let it vibrate (trill)",
}
# What a learner changes when a phone differs along one dimension.
_HEIGHT_ORDER = ["close", "near-close", "close-mid", "mid", "open-mid", "near-open", "open"]


def _slashed(ipa: str) -> str:
    return f"/{ipa}/"


class TipWriter:
    """Writes tips using an Articulation (PanPhon table) it is given or loads."""

    def __init__(self, articulation: Articulation | None = None) -> None:
        self.articulation = articulation if articulation is not None else default_articulation()

    def how_to(self, ipa: str) -> str:
        """The instruction for making a sound: curated when we have one, else from features."""
        phone = normalize_phone(ipa)
        if phone in CURATED:
            item = CURATED[phone]
            return f"{item.how} (as in {item.examples})"
        return self._generated_how(self.articulation.describe(phone))

    def tip(
        self,
        target_ipa: str,
        heard_ipa: str | None,
        error: str,
        *,
        word: str | None = None,
        position: str | None = None,
        in_cluster: bool = False,
    ) -> str:
        """A tip for one phone.

        error: one of the PhoneResult error labels; heard_ipa: the sound heard
        instead (``"∅"`` = nothing), None when there was no clear substitute.
        position ("initial" | "medial" | "final") and in_cluster refine the advice
        for omissions. Unknown phones raise UnknownCharacterError; an unknown
        error label raises TextError.
        """
        if error not in ERROR_LABELS:
            raise TextError(f"unknown error label {error!r}; expected one of {', '.join(sorted(ERROR_LABELS))}")
        target = normalize_phone(target_ipa)
        desc = self.articulation.describe(target)
        heard = normalize_phone(heard_ipa) if heard_ipa else None
        where = f" in \"{word}\"" if word else ""
        if error == "inserted":
            return self._insertion(target, desc, where)
        if error == "omitted" or heard == DELETED:
            return self._omission(target, desc, where, position, in_cluster)
        if heard is not None and heard != target and self.articulation.knows(heard):
            return self._substitution(target, desc, heard, where)
        if error == "none":
            return f"{_slashed(target)}{where} was fine."
        quality = "not quite right" if error == "accented" else "not clear"
        return (f"{_slashed(target)}{where} sounded {quality}. {_slashed(target)} is "
                f"{with_article(desc.summary())}: {self.how_to(target)}.")

    # --- the three cases --------------------------------------------------------
    def _omission(self, target: str, desc: PhoneDescription, where: str, position: str | None,
                  in_cluster: bool) -> str:
        text = f"You left out {_slashed(target)} ({desc.summary()}){where}."
        if in_cluster and desc.kind == "consonant":
            text += (" Say every consonant of the cluster, one straight after the other, "
                     "without dropping one or adding a vowel between them.")
        elif position == "final" and desc.kind == "consonant":
            text += (" Finish the word with it: many languages drop word-final consonants, "
                     "but in English they change the word.")
        return f"{text} To make {_slashed(target)}: {self.how_to(target)}."

    def _insertion(self, target: str, desc: PhoneDescription, where: str) -> str:
        if desc.kind == "vowel":
            return (f"You added an extra vowel {_slashed(target)}{where}. Go straight from one consonant "
                    "to the next, and end the word on its last consonant, without a vowel after it.")
        return f"You added an extra {_slashed(target)} ({desc.summary()}){where}; it is not part of the word."

    def _substitution(self, target: str, desc: PhoneDescription, heard: str, where: str) -> str:
        heard_desc = self.articulation.describe(heard)
        differences = self.articulation.feature_differences(target, heard)
        contrast = "; ".join(_contrast(d, desc, heard_desc) for d in differences) if differences else \
            "the two are very close, listen to a native recording and compare"
        return (f"{_slashed(target)}{where} is {with_article(desc.summary())}: {self.how_to(target)}. "
                f"You made {_slashed(heard)} instead, {with_article(heard_desc.summary())}. Difference: {contrast}.")

    # --- feature-generated instruction -----------------------------------------
    def _generated_how(self, d: PhoneDescription) -> str:
        if d.kind == "consonant":
            parts = [_PLACE_HOW.get(d.place or "", ""), _MANNER_HOW.get(d.manner or "", ""),
                     "with voice (the throat buzzes)" if d.voiced else "without voice (only air)"]
            if d.aspirated:
                parts.append("with a strong puff of air on release")
            return ", ".join(p for p in parts if p)
        if d.glide_to is not None:
            return f"glide within one vowel from {with_article(d.summary().split(' from ', 1)[1])}"
        parts = [f"tongue {_height_phrase(d.height)} and {_backness_phrase(d.backness)}",
                 "lips rounded" if d.rounded else "lips spread or neutral"]
        if d.long:
            parts.append("hold it long")
        if d.nasalized:
            parts.append("let air out through the nose too")
        if d.rhotic:
            parts.append("tongue bunched back as for /ɹ/")
        return ", ".join(parts)


def _height_phrase(height: str | None) -> str:
    return {
        "close": "high", "near-close": "high but relaxed", "close-mid": "fairly high", "mid": "in the middle",
        "open-mid": "fairly low", "near-open": "low", "open": "very low, jaw open",
    }.get(height or "", "in the middle")


def _backness_phrase(backness: str | None) -> str:
    return {"front": "pushed forward", "central": "in the centre", "back": "pulled back"}.get(backness or "", "in the centre")


def _contrast(dimension: str, t: PhoneDescription, h: PhoneDescription) -> str:
    """One clause saying how the target and the heard phone differ on one dimension."""
    ts, hs = _slashed(t.ipa), _slashed(h.ipa)
    if dimension == "consonant/vowel":
        return f"{ts} is a {t.kind} and {hs} is a {h.kind}"
    if dimension == "voicing":
        if t.voiced:
            return f"{ts} is voiced, so keep the throat buzzing; {hs} is voiceless"
        return f"{ts} is voiceless, only air; {hs} is voiced, so stop the throat buzzing"
    if dimension == "place":
        return f"the place differs: {ts} is {t.place} ({_PLACE_HOW.get(t.place or '', '')}), {hs} is {h.place}"
    if dimension == "manner":
        return f"{ts} is {with_article(t.manner or '')} ({_MANNER_HOW.get(t.manner or '', '')}), {hs} is {with_article(h.manner or '')}"
    if dimension == "aspiration":
        return f"{ts} {'needs' if t.aspirated else 'has no'} puff of air on release, unlike {hs}"
    if dimension == "height":
        more_open = _HEIGHT_ORDER.index(t.height or "mid") > _HEIGHT_ORDER.index(h.height or "mid")
        return (f"{ts} is {t.height} and {hs} is {h.height}: "
                f"{'open the jaw more, tongue lower' if more_open else 'close the jaw a little, tongue higher'}")
    if dimension == "backness":
        return f"{ts} is a {t.backness} vowel and {hs} is {h.backness}: tongue {_backness_phrase(t.backness)}"
    if dimension == "rounding":
        return f"{ts} is {'rounded' if t.rounded else 'unrounded'}: {'round' if t.rounded else 'spread'} the lips, unlike {hs}"
    if dimension == "length":
        return f"{ts} is {'long' if t.long else 'short'} and {hs} is {'long' if h.long else 'short'}"
    if dimension == "nasality":
        return f"{ts} is {'nasal' if t.nasalized else 'oral'}, {hs} is {'nasal' if h.nasalized else 'oral'}"
    if dimension == "r-colouring":
        return f"{ts} is {'r-coloured' if t.rhotic else 'a plain vowel'}, {hs} is {'r-coloured' if h.rhotic else 'not'}"
    if dimension == "diphthong":
        return (f"{ts} {'glides between two vowel qualities' if t.glide_to else 'keeps one steady vowel quality'}, "
                f"{hs} {'glides' if h.glide_to else 'does not'}")
    return f"they differ in {dimension}"


def tip(target_ipa: str, heard_ipa: str | None, error: str, **context) -> str:
    """Tip for one phone with the shared PanPhon table; see TipWriter.tip for the arguments."""
    return TipWriter().tip(target_ipa, heard_ipa, error, **context)
