"""Near English phones by PanPhon features: the substitutions train-scorer makes on purpose.

Shared by error injection (a phone of the reference replaced, `pronscore.scoring.train`) and
synthesized errors (a phone of the *audio* replaced, `pronscore.scoring.synth_errors`), so
both kinds of known-wrong rows draw on the same errors.
"""
from __future__ import annotations

from functools import lru_cache

from pronscore.scoring.features import INVENTORY

# Pairs the corpus treats as the same phone (stressed/unstressed spellings): replacing
# one with the other is not an error.
_SAME = frozenset({frozenset(("ə", "ʌ")), frozenset(("ɚ", "ɝ"))})


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, ...]]:
    from pronscore.gop.phoneset import _feature_distance

    dist = _feature_distance()
    out: dict[str, tuple[str, ...]] = {}
    for p in INVENTORY:
        ranked = sorted((dist.weighted_feature_edit_distance(p, q), q) for q in INVENTORY
                        if q != p and frozenset((p, q)) not in _SAME)
        out[p] = tuple(q for d, q in ranked if d > 0)[:3]
    return out


def confusables() -> dict[str, list[str]]:
    """For each English phone, the 3 nearest other English phones by PanPhon feature distance
    (a fresh dict: callers may change it)."""
    return {p: list(qs) for p, qs in _table().items()}
