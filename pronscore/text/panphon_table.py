"""The one PanPhon feature table of the process (read-only, loaded once).

Syllable counting, articulation tips, the IPA segmenter's base inventory and the
nearest-phone mapping all read PanPhon's "spe+" table. ``panphon.FeatureTable()`` takes
about 1 s to build (importing pandas, then one ``Segment`` per CSV row through
``DataFrame.iterrows``), so `panphon_feature_table` builds a `CompactFeatureTable`
instead: the same rows, read with the ``csv`` module straight from the installed
panphon's own data files (``data/ipa_all.csv`` and ``data/feature_weights.csv``; the
package is located with ``importlib.util.find_spec``, which does not import it or
pandas). That takes a few hundredths of a second, downloads and caches nothing, and
follows whatever panphon version is installed. If those files cannot be read as
expected (a future panphon moving or reshaping them, or another feature set) the loader
falls back to ``panphon.FeatureTable`` itself.

`CompactFeatureTable` answers the FeatureTable calls pronscore makes, with the same
results (tests/test_panphon_table.py compares every segment and the segmentation of
every phone we use against panphon): ``names``, ``weights``, ``segments``, ``seg_dict``,
``fts``, ``seg_known``, ``longest_one_seg_prefix``, ``ipa_segs``, ``segs_safe``,
``validate_word``, ``word_fts``, ``word_array`` and ``word_to_vector_list`` (IPA only).
Its feature vectors are immutable `FeatureVector` mappings (``fv["syl"]``,
``fv.numeric()``) that compare equal to panphon's ``Segment`` with the same features.

`panphon_feature_table` is lru_cache'd: every part that needs PanPhon asks it instead
of building its own copy, and no mutable state is shared.
"""
from __future__ import annotations

import csv
import importlib.util
import logging
import unicodedata
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

log = logging.getLogger(__name__)

#: PanPhon's data files per feature set (panphon.featuretable.feature_sets).
_FEATURE_FILES = {"spe+": ("ipa_all.csv", "feature_weights.csv")}
_SPEC_TO_INT = {"+": 1, "0": 0, "-": -1}
_INT_TO_SPEC = {-1: "-", 0: "0", 1: "+"}
#: FeatureTable.word_to_vector_list's default ``nonstandard_tones``, mapped to tone letters.
_NONSTANDARD_TONES = dict(zip("¹²³⁴⁵", "˩˨˧˦˥"))
_TRIE_LEAF = None


class FeatureVector(Mapping):
    """One segment's features: an immutable mapping feature name -> -1, 0 or +1.

    Same reading interface as ``panphon.segment.Segment`` (``[name]``, ``numeric``,
    ``strings``, ``items``, ``names``, ``weights``) and equal to a Segment with the same
    features (both are ``Mapping``s)."""

    __slots__ = ("_index", "_values", "_weights")

    def __init__(self, index: dict[str, int], values: tuple[int, ...], weights: list[float]) -> None:
        self._index = index
        self._values = values
        self._weights = weights

    @property
    def names(self) -> list[str]:
        return list(self._index)

    @property
    def weights(self) -> list[float]:
        return self._weights

    def __getitem__(self, key: str) -> int:
        return self._values[self._index[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return "<Segment [{}]>".format(", ".join(f"{_INT_TO_SPEC[v]}{k}" for k, v in zip(self._index, self._values)))

    def items(self) -> list[tuple[str, int]]:  # type: ignore[override]  (a list, as Segment.items)
        return list(zip(self._index, self._values))

    def numeric(self, names: Sequence[str] = ()) -> list[int]:
        if not names:
            return list(self._values)
        return [self._values[self._index[k]] for k in names]

    def strings(self, names: Sequence[str] = ()) -> list[str]:
        return [_INT_TO_SPEC[v] for v in self.numeric(names)]

    def specified(self) -> dict[str, int]:
        return {k: v for k, v in zip(self._index, self._values) if v != 0}


class CompactFeatureTable:
    """PanPhon's FeatureTable rows without pandas (see the module doc); treat it as read-only."""

    def __init__(self, names: Sequence[str], weights: Sequence[float],
                 rows: Sequence[tuple[str, tuple[int, ...]]]) -> None:
        self.names: list[str] = list(names)
        self.weights: list[float] = list(weights)
        index = {name: i for i, name in enumerate(self.names)}
        self.segments: list[tuple[str, FeatureVector]] = [(seg, FeatureVector(index, values, self.weights))
                                                          for seg, values in rows]
        self.seg_dict: dict[str, FeatureVector] = dict(self.segments)
        self.seg_trie = self._build_seg_trie()
        self.longest_seg = max(len(seg) for seg in self.seg_dict)

    @classmethod
    def from_panphon_files(cls, bases: Path, weights: Path) -> CompactFeatureTable:
        """Read panphon's ``ipa_all.csv``-style and ``feature_weights.csv``-style files as
        ``FeatureTable._read_bases`` / ``_read_weights`` do (NFD segments, +/0/- to 1/0/-1,
        the first row of weights as floats). Raises ValueError on anything unexpected."""
        with open(bases, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            if not header or header[0] != "ipa" or len(header) < 2:
                raise ValueError(f"{bases}: unexpected header {header[:3]!r}")
            width = len(header)
            rows = []
            normalize, spec = unicodedata.normalize, _SPEC_TO_INT.__getitem__
            for row in reader:
                if not row:
                    continue  # pandas skips blank lines
                if len(row) != width or not row[0]:
                    raise ValueError(f"{bases}: unexpected row {row[:3]!r}")
                rows.append((normalize("NFD", row[0]), tuple(map(spec, row[1:]))))
        with open(weights, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            next(reader)
            weight_row = next(reader)
        if not rows:
            raise ValueError(f"{bases}: no segments")
        return cls(header[1:], [float(w) for w in weight_row], rows)

    def _build_seg_trie(self) -> dict:
        trie: dict = {}
        for seg in self.seg_dict:
            node = trie
            for char in seg:
                node = node.setdefault(char, {})
            node[_TRIE_LEAF] = None
        return trie

    @staticmethod
    def normalize(data: str) -> str:
        return unicodedata.normalize("NFD", data)

    def fts(self, ipa: str, normalize: bool = True) -> FeatureVector | dict:
        if normalize:
            ipa = self.normalize(ipa)
        return self.seg_dict.get(ipa, {})

    def seg_known(self, segment: str, normalize: bool = True) -> bool:
        if normalize:
            segment = self.normalize(segment)
        return segment in self.seg_dict

    def longest_one_seg_prefix(self, word: str, normalize: bool = True) -> str:
        if normalize:
            word = self.normalize(word)
        last_found_length = 0
        node = self.seg_trie
        for pos in range(len(word) + 1):
            if pos == len(word) or word[pos] not in node:
                return word[:last_found_length]
            node = node[word[pos]]
            if _TRIE_LEAF in node:
                last_found_length = pos + 1
        return ""

    def _segs(self, word: str, *, include_valid: bool = True, include_invalid: bool,
              normalize: bool = True) -> list[str]:
        if normalize:
            word = self.normalize(word)
        segs = []
        while word:
            m = self.longest_one_seg_prefix(word, False)
            if m:
                if include_valid:
                    segs.append(m)
                word = word[len(m):]
            else:
                if include_invalid:
                    segs.append(word[0])
                word = word[1:]
        return segs

    def ipa_segs(self, word: str, normalize: bool = True) -> list[str]:
        return self._segs(word, include_invalid=False, normalize=normalize)

    def segs_safe(self, word: str, normalize: bool = True) -> list[str]:
        return self._segs(word, include_invalid=True, normalize=normalize)

    def validate_word(self, word: str, normalize: bool = True) -> bool:
        return not self._segs(word, include_valid=False, include_invalid=True, normalize=normalize)

    def word_fts(self, word: str, normalize: bool = True) -> list[FeatureVector]:
        return [self.seg_dict[ipa] for ipa in self.ipa_segs(word, normalize)]

    def word_array(self, ft_names: Sequence[str], word: str, normalize: bool = True) -> Any:
        import numpy as np

        return np.array([s.numeric(ft_names) for s in self.word_fts(word, normalize)])

    def word_to_vector_list(self, word: str, numeric: bool = False, xsampa: bool = False,
                            normalize: bool = True) -> list[list[Any]]:
        """FeatureTable.word_to_vector_list with its default ``nonstandard_tones`` (IPA only)."""
        if xsampa:
            raise NotImplementedError("CompactFeatureTable reads IPA only")
        word = "".join(_NONSTANDARD_TONES.get(ch, ch) for ch in word)
        segs = self.word_fts(word, normalize)
        return [s.numeric() for s in segs] if numeric else [s.strings() for s in segs]


def _panphon_data_dir() -> Path:
    """The installed panphon package's data directory, found without importing panphon."""
    spec = importlib.util.find_spec("panphon")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("panphon is not installed")
    for location in spec.submodule_search_locations:
        data = Path(location) / "data"
        if data.is_dir():
            return data
    raise FileNotFoundError("panphon's data directory was not found")


def load_compact_table(feature_set: str = "spe+") -> CompactFeatureTable:
    """Build the compact table from the installed panphon's data files (no fallback)."""
    if feature_set not in _FEATURE_FILES:
        raise KeyError(feature_set)
    data = _panphon_data_dir()
    bases, weights = _FEATURE_FILES[feature_set]
    return CompactFeatureTable.from_panphon_files(data / bases, data / weights)


@lru_cache(maxsize=None)
def panphon_feature_table(feature_set: str = "spe+") -> CompactFeatureTable | Any:
    """PanPhon's feature table for ``feature_set``, built on the first call; treat it as read-only.

    A `CompactFeatureTable` read from panphon's data files; ``panphon.FeatureTable`` when
    those cannot be read as expected (same results, about 1 s slower)."""
    try:
        return load_compact_table(feature_set)
    except ModuleNotFoundError:
        raise
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        log.debug("panphon data files not read directly (%s); building panphon.FeatureTable", exc)
    import panphon

    return panphon.FeatureTable(feature_set=feature_set)
