"""The one PanPhon feature table of the process (read-only, loaded once).

PanPhon's ``FeatureTable()`` takes about 1 s and ~20 MB to build from its CSV files,
and it is immutable once built; syllable counting, articulation tips and the nearest-
phone mapping all read the same "spe+" table. `panphon_feature_table` is an
lru_cache'd loader of that immutable data table (no mutable state is shared): every
part that needs PanPhon asks it instead of building its own copy.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import panphon


@lru_cache(maxsize=None)
def panphon_feature_table(feature_set: str = "spe+") -> "panphon.FeatureTable":
    """PanPhon's FeatureTable for ``feature_set``, built on the first call; treat it as read-only."""
    import panphon

    return panphon.FeatureTable(feature_set=feature_set)
