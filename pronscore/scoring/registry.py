"""Which scorer a Session uses."""
from __future__ import annotations

from pathlib import Path

from pronscore.errors import ModelNotFoundError
from pronscore.scoring.base import Scorer


def load_scorer(path: str | Path | None = None) -> Scorer:
    """None: the shipped default. A path: a scorer trained with `pronscore train-scorer`."""
    if path is None:
        from pronscore.scoring.heuristic import HeuristicScorer

        return HeuristicScorer()
    p = Path(path)
    if not p.exists():
        raise ModelNotFoundError(f"scorer not found: {p}")
    from pronscore.scoring.learned import LearnedScorer

    return LearnedScorer.load(p)
