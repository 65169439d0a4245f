"""Articulatory descriptions of IPA phones, derived from PanPhon's distinctive features.

PanPhon gives each segment a vector of +/-/0 features (``lab``, ``cor``, ``ant``,
``distr``, ``hi``, ``lo``, ``back``, ``cont``, ``son``, ``nas``, ``delrel`` ...).
This module turns that vector into the categories a learner understands: place
and manner of articulation and voicing for consonants; height, backness,
rounding, length and nasality for vowels.

A few corrections are table-driven because the feature system cannot express
them: PanPhon has no "central" backness (``ə`` and ``ʌ`` get identical features),
the glottals ``h ɦ ʔ`` share their dorsal features with uvulars, ``æ`` vs ``a``
differ only in ``back``, and the r-coloured vowels ``ɝ ɚ`` are absent altogether
(they are described as ``ɜ``/``ə`` plus r-colouring).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from pronscore.errors import UnknownCharacterError

_STRESS_AND_BOUNDARIES = str.maketrans("", "", "ˈˌ/[] .")
_TIE = "\u0361"
# Affricates people type without the tie bar; PanPhon reads "ts" as plain "t".
_UNTIED_AFFRICATES = {"ts": "t͡s", "dz": "d͡z", "tʃ": "t͡ʃ", "dʒ": "d͡ʒ", "tɕ": "t͡ɕ", "dʑ": "d͡ʑ", "ʈʂ": "ʈ͡ʂ"}
# R-coloured vowels PanPhon lacks: described as their plain vowel + rhoticity.
_RHOTIC_VOWELS = {"ɝ": "ɜ", "ɚ": "ə"}
_RHOTIC_HOOK = "\u02de"  # ˞
_GLOTTALS = frozenset("hɦʔ")
# (height, backness) where PanPhon's binary hi/lo/back/tense cannot say it.
_VOWEL_QUALITY_OVERRIDES: dict[str, tuple[str, str]] = {
    "ə": ("mid", "central"),
    "ɜ": ("open-mid", "central"),
    "ɐ": ("near-open", "central"),
    "ɨ": ("close", "central"),
    "ʉ": ("close", "central"),
    "ɘ": ("close-mid", "central"),
    "ɵ": ("close-mid", "central"),
    "ɞ": ("open-mid", "central"),
    "ᵻ": ("near-close", "central"),
    "ʌ": ("open-mid", "back"),
    "ɯ": ("close", "back"),
    "æ": ("near-open", "front"),
    "a": ("open", "front"),
}
_EXTRA_BASES = {"ᵻ": "ɨ"}  # eSpeak's reduced vowel, described as its nearest PanPhon vowel

#: Names of the dimensions `feature_differences` reports, in the order it reports them.
DIMENSIONS = (
    "consonant/vowel", "voicing", "place", "manner", "aspiration",
    "height", "backness", "rounding", "length", "nasality", "r-colouring", "diphthong",
)


@dataclass(frozen=True)
class PhoneDescription:
    """What a phone is, articulatorily. Fields that do not apply are None."""

    ipa: str
    kind: str  # "consonant" | "vowel"
    voiced: bool
    # consonants
    place: str | None = None  # bilabial, labiodental, dental, alveolar, postalveolar, ...
    manner: str | None = None  # stop, fricative, affricate, nasal, approximant, ...
    sibilant: bool = False
    aspirated: bool = False
    # vowels
    height: str | None = None  # close, near-close, close-mid, mid, open-mid, near-open, open
    backness: str | None = None  # front, central, back
    rounded: bool | None = None
    long: bool = False
    nasalized: bool = False
    rhotic: bool = False
    glide_to: PhoneDescription | None = None  # second element of a diphthong

    @property
    def is_vowel(self) -> bool:
        return self.kind == "vowel"

    def summary(self) -> str:
        """A short phrase: "voiceless dental fricative", "near-close front unrounded vowel"."""
        if self.kind == "consonant":
            parts = ["voiced" if self.voiced else "voiceless"]
            if self.aspirated:
                parts.append("aspirated")
            parts += [self.place or "", self.manner or ""]
            return " ".join(p for p in parts if p)
        if self.glide_to is not None:
            first = replace(self, glide_to=None, ipa=self.ipa[:1])
            return f"diphthong gliding from {with_article(first.summary())} to {with_article(self.glide_to.summary())}"
        parts = []
        if self.long:
            parts.append("long")
        if self.nasalized:
            parts.append("nasalized")
        if self.rhotic:
            parts.append("r-coloured")
        parts += [self.height or "", self.backness or "", "rounded" if self.rounded else "unrounded", "vowel"]
        return " ".join(p for p in parts if p)


def with_article(phrase: str) -> str:
    """Prefix "a" or "an" as English spelling wants it ("an open ...", "a voiced ...")."""
    return ("an " if phrase[:1] in "aeiou" else "a ") + phrase


def normalize_phone(ipa: str) -> str:
    """Canonical spelling of one phone: no stress marks or slashes, ɡ for g, tie-barred affricates."""
    text = ipa.strip().translate(_STRESS_AND_BOUNDARIES).replace("g", "ɡ").replace("\u035c", _TIE)
    return _UNTIED_AFFRICATES.get(text, text)


class Articulation:
    """Describes phones from a PanPhon feature table.

    ``table``: a PanPhon FeatureTable (or pronscore's CompactFeatureTable, which reads the
    same rows); by default the process's one read-only table (pronscore.text.panphon_table),
    shared with syllable counting and phone mapping. The per-phone description cache
    belongs to this object.
    """

    def __init__(self, table=None) -> None:
        if table is None:
            from pronscore.text.panphon_table import panphon_feature_table

            table = panphon_feature_table()
        self._table = table
        self._names: list[str] = list(self._table.names)
        self._cache: dict[str, PhoneDescription] = {}

    def describe(self, ipa: str) -> PhoneDescription:
        """Describe one IPA phone (a diphthong such as ``aɪ`` counts as one phone).

        Raises UnknownCharacterError when PanPhon cannot read it as one segment
        (or a two-vowel diphthong).
        """
        phone = normalize_phone(ipa)
        if phone not in self._cache:
            self._cache[phone] = self._describe_uncached(phone, original=ipa)
        return self._cache[phone]

    def knows(self, ipa: str) -> bool:
        """True when `describe` can describe this phone."""
        try:
            self.describe(ipa)
        except UnknownCharacterError:
            return False
        return True

    def feature_differences(self, target: str, heard: str) -> list[str]:
        """Names of the dimensions (see DIMENSIONS) on which two phones differ.

        ``feature_differences("p", "b") == ["voicing"]``; identical phones give ``[]``.
        """
        a, b = self.describe(target), self.describe(heard)
        if a.kind != b.kind:
            return ["consonant/vowel"]
        if a.kind == "consonant":
            checks = [
                ("voicing", a.voiced, b.voiced),
                ("place", a.place, b.place),
                ("manner", a.manner, b.manner),
                ("aspiration", a.aspirated, b.aspirated),
            ]
        else:
            checks = [
                ("height", a.height, b.height),
                ("backness", a.backness, b.backness),
                ("rounding", a.rounded, b.rounded),
                ("length", a.long, b.long),
                ("nasality", a.nasalized, b.nasalized),
                ("r-colouring", a.rhotic, b.rhotic),
                ("diphthong", a.glide_to is not None, b.glide_to is not None),
            ]
            if a.glide_to is not None and b.glide_to is not None and a.glide_to != b.glide_to:
                checks.append(("diphthong", False, True))
        seen: list[str] = []
        for name, x, y in checks:
            if x != y and name not in seen:
                seen.append(name)
        return seen

    # --- internals ------------------------------------------------------------
    def _describe_uncached(self, phone: str, original: str) -> PhoneDescription:
        rhotic = False
        base = phone
        if base and base[0] in _RHOTIC_VOWELS:
            base, rhotic = _RHOTIC_VOWELS[base[0]] + base[1:], True
        if _RHOTIC_HOOK in base:
            base, rhotic = base.replace(_RHOTIC_HOOK, ""), True
        lookup = "".join(_EXTRA_BASES.get(ch, ch) for ch in base)
        segments = self._table.word_fts(lookup) if lookup else []
        # PanPhon silently skips characters it does not know: check it consumed everything.
        if not segments or "".join(self._table.ipa_segs(lookup)) != lookup:
            raise UnknownCharacterError(f"{original!r} is not an IPA phone PanPhon can describe")
        features = [dict(zip(self._names, seg.numeric())) for seg in segments]
        if len(features) == 2 and all(f["syl"] == 1 for f in features):
            first = self._from_features(phone[:1], base[:1], features[0], rhotic)
            second = self._from_features(phone[1:], base[1:], features[1], False)
            return replace(first, ipa=phone, glide_to=second)
        if len(features) != 1:
            raise UnknownCharacterError(f"{original!r} is more than one phone ({len(features)} segments)")
        return self._from_features(phone, base, features[0], rhotic)

    def _from_features(self, phone: str, base: str, f: dict[str, int], rhotic: bool) -> PhoneDescription:
        if f["syl"] == 1 and f["cons"] != 1:
            height, backness = _vowel_quality(base, f)
            return PhoneDescription(
                ipa=phone, kind="vowel", voiced=True, height=height, backness=backness,
                rounded=f["round"] == 1, long=f["long"] == 1, nasalized=f["nas"] == 1, rhotic=rhotic,
            )
        place = _place(base, f)
        return PhoneDescription(
            ipa=phone, kind="consonant", voiced=f["voi"] == 1, place=place, manner=_manner(base, f, place),
            sibilant=f["strid"] == 1 and f["cor"] == 1, aspirated=f["sg"] == 1 and base[:1] not in _GLOTTALS,
        )


def _vowel_quality(base: str, f: dict[str, int]) -> tuple[str, str]:
    key = base.replace("ː", "").replace("\u0303", "")
    if key in _VOWEL_QUALITY_OVERRIDES:
        return _VOWEL_QUALITY_OVERRIDES[key]
    if f["hi"] == 1:
        height = "close" if f["tense"] == 1 else "near-close"
    elif f["lo"] == 1:
        height = "open"
    else:
        height = "close-mid" if f["tense"] == 1 else "open-mid"
    return height, "back" if f["back"] == 1 else "front"


def _place(base: str, f: dict[str, int]) -> str:
    if base[:1] in _GLOTTALS:
        return "glottal"
    if f["lab"] == 1:
        if f["hi"] == 1:
            return "labial-velar" if f["back"] == 1 else "labial-palatal"
        # f v are strident, ɸ β are not; ʋ is the one labiodental approximant (hi 0).
        if f["strid"] == 1 or (f["cons"] == -1 and f["hi"] == 0):
            return "labiodental"
        return "bilabial"
    if f["cor"] == 1:
        if f["ant"] == 1:
            return "dental" if f["distr"] == 1 else "alveolar"
        if f["distr"] == 1:
            if f["hi"] == 1:
                return "alveolo-palatal" if f["strid"] == 1 else "palatal"
            return "postalveolar"
        return "retroflex"
    if f["lo"] == 1:
        return "pharyngeal"
    if f["hi"] == 1:
        return "velar" if f["back"] == 1 else "palatal"
    return "uvular"


def _manner(base: str, f: dict[str, int], place: str) -> str:
    if f["nas"] == 1:
        return "nasal"
    if f["cont"] == -1:
        return "affricate" if f["delrel"] == 1 else "stop"
    if f["son"] == -1 or place == "glottal":
        return "fricative"
    if f["lat"] == 1:
        return "lateral approximant"
    if f["cons"] == 1 and f["delrel"] == 0:
        return "tap or trill"
    return "approximant"


@lru_cache(maxsize=1)
def default_articulation() -> Articulation:
    """A shared Articulation for the module-level convenience functions.

    Explicit, process-wide cache (like ``pronscore.text.ipa``): PanPhon's table is
    read-only once loaded, so sharing it is safe. Long-lived callers (a Session)
    should create and own their own instance through FeedbackEngine.
    """
    return Articulation()


def describe(ipa: str) -> PhoneDescription:
    """Describe one IPA phone with the shared table (see Articulation.describe)."""
    return default_articulation().describe(ipa)


def feature_differences(target: str, heard: str) -> list[str]:
    """Dimensions on which two phones differ (see Articulation.feature_differences)."""
    return default_articulation().feature_differences(target, heard)
