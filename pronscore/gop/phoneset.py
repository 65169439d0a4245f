"""Map the IPA phones of a reference onto the symbols an acoustic model knows.

Exact symbols map directly; otherwise we try spelling variants (tie bars, ɡ/g), then the
base symbol without length marks and other diacritics, and finally the nearest phone of
the model by PanPhon's weighted feature edit distance. Every mapping that is not exact
is reported, so a user can see that, say, /ʏ/ was scored as /y/.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pronscore.errors import ModelError

_TIE = "\u0361"
_VARIANTS = {"g": "ɡ", "ɡ": "g", "r": "ɹ", "ɚ": "ɝ", "ɝ": "ɚ", "ɐ": "ə", "ɾ": "t", "ʔ": "t", "ɫ": "l", "e": "eɪ", "o": "oʊ"}
_MODIFIERS = set("ːˑ˞ʰʱʲʷˠˤⁿˀ̥̬̩̯̝̞̟̠̪̺̻͈͍̃̈̆̊̌̍̚ʼ")


@dataclass(frozen=True)
class PhoneMapping:
    ipa: str  # the reference phone
    symbol: str  # the model symbol it is scored as
    token_id: int
    method: str  # exact | variant | base | nearest


def _strip_modifiers(ipa: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", ipa) if ch not in _MODIFIERS)


def _tie_variants(ipa: str) -> list[str]:
    out = []
    if _TIE in ipa:
        out.append(ipa.replace(_TIE, ""))
    elif len(ipa) == 2 and ipa[0] in "tdʈɖ" and ipa[1] in "ʃʒsɕʑʂʐz":
        out.append(ipa[0] + _TIE + ipa[1])
    return out


class FeatureEditDistance:
    """``panphon.distance.Distance.weighted_feature_edit_distance`` over a feature table.

    The same edit distance as PanPhon's (same costs, same recurrence, in the same order, so
    the same floats): deleting or inserting a segment costs the sum of the feature weights,
    substituting one costs the weighted sum of its feature differences. ``panphon.distance``
    itself is not used: importing it imports pandas, and its ``Distance()`` builds a second
    FeatureTable plus X-SAMPA and Dolgopolsky tables we never read.
    """

    def __init__(self, table) -> None:
        self.fm = table  # the name panphon's Distance gives its table

    def weighted_feature_edit_distance(self, source: str, target: str, xsampa: bool = False) -> float:
        if xsampa:
            raise NotImplementedError("IPA only")
        weights = self.fm.weights
        a = self.fm.word_to_vector_list(source, numeric=True)
        b = self.fm.word_to_vector_list(target, numeric=True)
        indel = sum(weights) * 1.0  # panphon: sum(weights) * gl_wt

        def sub(v1: list[int], v2: list[int]) -> float:
            return sum([abs(f1 - f2) * w for (w, f1, f2) in zip(weights, v1, v2)]) * 1.0

        n, m = len(a), len(b)
        d = [[0] * (m + 1) for _ in range(n + 1)]
        for i in range(1, n + 1):
            d[i][0] = d[i - 1][0] + indel
        for j in range(1, m + 1):
            d[0][j] = d[0][j - 1] + indel
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                d[i][j] = min([d[i - 1][j] + indel, d[i - 1][j - 1] + sub(a[i - 1], b[j - 1]), d[i][j - 1] + indel])
        return d[n][m]


@lru_cache(maxsize=1)
def _feature_distance() -> FeatureEditDistance:
    """PanPhon's weighted feature edit distance over the process's one feature table (see
    pronscore.text.panphon_table): read-only, so building it once is enough."""
    from pronscore.text.panphon_table import panphon_feature_table

    return FeatureEditDistance(panphon_feature_table())


class PhoneMapper:
    """Maps reference IPA phones to model token ids for one model vocabulary."""

    def __init__(self, vocab: list[str], phone_token_ids: list[int]):
        self.vocab = vocab
        self.index = {tok: i for i, tok in enumerate(vocab)}
        self.phone_token_ids = phone_token_ids  # candidate targets for the nearest-symbol search
        self._cache: dict[str, PhoneMapping] = {}

    def map(self, ipa: str) -> PhoneMapping:
        hit = self._cache.get(ipa)
        if hit is None:
            hit = self._cache[ipa] = self._map(ipa)
        return hit

    def _map(self, ipa: str) -> PhoneMapping:
        if ipa in self.index:
            return PhoneMapping(ipa, ipa, self.index[ipa], "exact")
        for cand in _tie_variants(ipa) + [_VARIANTS.get(ipa, "")]:
            if cand and cand in self.index:
                return PhoneMapping(ipa, cand, self.index[cand], "variant")
        base = unicodedata.normalize("NFC", _strip_modifiers(ipa))
        for cand in [base, _VARIANTS.get(base, "")] + _tie_variants(base):
            if cand and cand in self.index:
                return PhoneMapping(ipa, cand, self.index[cand], "base")
        return self._nearest(ipa, base)

    def _nearest(self, ipa: str, base: str) -> PhoneMapping:
        dist = _feature_distance()
        best: tuple[float, int] | None = None
        for tid in self.phone_token_ids:
            sym = self.vocab[tid]
            try:
                d = dist.weighted_feature_edit_distance(base or ipa, sym)
            except Exception:
                continue
            if best is None or d < best[0]:
                best = (d, tid)
        if best is None:
            raise ModelError(f"cannot map phone /{ipa}/ onto the acoustic model's symbols")
        return PhoneMapping(ipa, self.vocab[best[1]], best[1], "nearest")


def phone_token_ids(vocab: list[str], special_ids: frozenset[int]) -> list[int]:
    """Tokens that are phones: not special, and not a bare diacritic or tone letter."""
    ids = []
    for i, tok in enumerate(vocab):
        if i in special_ids or not tok:
            continue
        if all(unicodedata.category(ch).startswith(("M", "S")) or ch in _MODIFIERS or ch in "˥˦˧˨˩꜔⁰¹²³⁴⁵⁻⁽⁾‿" for ch in tok):
            continue
        if any(unicodedata.category(ch) == "Lo" and ord(ch) > 0x2E80 for ch in tok):  # CJK characters
            continue
        ids.append(i)
    return ids
