"""Which scorer a Session uses."""
from __future__ import annotations

from pathlib import Path

from pronscore.errors import ModelNotFoundError
from pronscore.scoring.base import Scorer

# Trained by `pronscore train-scorer` on expert ratings; see models/scorer/MODEL_CARD.md.
DEFAULT_SCORER_PATH = Path(__file__).resolve().parents[1] / "models" / "scorer" / "default.npz"
HEURISTIC = "heuristic"


def load_scorer(path: str | Path | None = None) -> Scorer:
    """None: the shipped learned scorer (the GOP heuristic when it is not installed).
    "heuristic": the documented GOP heuristic. A path: a scorer trained with `pronscore train-scorer`.
    """
    from pronscore.scoring.heuristic import HeuristicScorer

    if path is not None and str(path) == HEURISTIC:
        return HeuristicScorer()
    if path is None:
        if not DEFAULT_SCORER_PATH.is_file():
            return HeuristicScorer()
        path = DEFAULT_SCORER_PATH
    p = Path(path)
    if not p.exists():
        raise ModelNotFoundError(f"scorer not found: {p} (train one with `pronscore train-scorer`, "
                                 f"or pass no scorer for the shipped default)")
    from pronscore.scoring.learned import LearnedScorer

    return LearnedScorer.load(p)
