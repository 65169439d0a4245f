"""Which scorer a Session uses."""
from __future__ import annotations

from pathlib import Path

from pronscore.errors import ModelNotFoundError
from pronscore.scoring.base import Scorer

# Trained by `pronscore train-scorer` on expert ratings; see models/scorer/MODEL_CARD.md.
# A learned scorer reads one acoustic model's evidence, so each backend has its own default;
# a backend without one (a user's hub model) gets the documented GOP heuristic.
SCORER_DIR = Path(__file__).resolve().parents[1] / "models" / "scorer"
DEFAULT_SCORERS = {"hama": SCORER_DIR / "hama.npz", "whisper-ctc": SCORER_DIR / "whisper-ctc.npz"}
HEURISTIC = "heuristic"


def default_scorer_path(acoustic: str) -> Path | None:
    """The shipped scorer trained on `acoustic`'s evidence, or None when there is none."""
    path = DEFAULT_SCORERS.get(acoustic)
    return path if path is not None and path.is_file() else None


def load_scorer(path: str | Path | None = None, acoustic: str = "hama") -> Scorer:
    """None: the shipped learned scorer for `acoustic` (the GOP heuristic when there is none).
    "heuristic": the documented GOP heuristic. A path: a scorer trained with `pronscore train-scorer`.
    """
    from pronscore.scoring.heuristic import HeuristicScorer

    if path is not None and str(path) == HEURISTIC:
        return HeuristicScorer()
    if path is None:
        path = default_scorer_path(acoustic)
        if path is None:
            return HeuristicScorer()
    p = Path(path)
    if not p.exists():
        raise ModelNotFoundError(f"scorer not found: {p} (train one with `pronscore train-scorer`, "
                                 f"or pass no scorer for the shipped default)")
    from pronscore.scoring.learned import LearnedScorer

    return LearnedScorer.load(p)
