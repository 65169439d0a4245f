"""Random training rows of the scorer's shape (two 3-phone words per utterance), for the trainer's tests."""
from __future__ import annotations

import numpy as np

from pronscore.scoring.features import INVENTORY, EvidenceArrays, context_names, phone_feature_names

WORDS = [["k", "æ", "t"], ["s", "æ", "t"]]


def toy_arrays(rng: np.random.Generator, mark: float | None = None) -> EvidenceArrays:
    """Evidence of "cat sat" with random GOP features; `mark` fixes mean_log_post (to find rows again)."""
    ipa = [p for w in WORDS for p in w]
    n = len(ipa)
    return EvidenceArrays(
        ipa=ipa, word_index=np.array([i for i, w in enumerate(WORDS) for _ in w]),
        phone_index=np.array([j for w in WORDS for j in range(len(w))]), stress=np.array([-1, 1, -1, -1, 1, -1]),
        gop=rng.normal(-1.0, 1.0, n), lpr=rng.normal(-1.0, 1.0, n), deletion_prob=rng.uniform(0, 0.1, n),
        occupancy_frames=np.full(n, 4.0), target_share=rng.uniform(0.5, 1.0, n),
        mean_log_post=np.full(n, mark) if mark is not None else rng.normal(-0.5, 0.2, n),
        start=np.arange(n) * 0.1, end=np.arange(n) * 0.1 + 0.1,
        substitution=rng.dirichlet(np.ones(len(INVENTORY)), size=n), n_words=2, n_insertions=0, num_frames=40,
        frame_s=0.02, log_p_canonical=-3.0)


def toy_rows(rng: np.random.Generator, n_utts: int = 12, n_speakers: int = 6):
    """(rows, ratings): `n_utts` rated utterances of `n_speakers` speakers, ratings in the corpus layout."""
    import pronscore.scoring.train as train
    from pronscore.scoring.features import phone_features

    rows, ratings = [], {}
    for i in range(n_utts):
        ea = toy_arrays(rng)
        utt = f"u{i:02d}"
        item = train.CachedUtterance(utt, f"spk{i % n_speakers}", ea, rng.normal(size=len(context_names())),
                                     [None, 90.0], [])
        phone_y = rng.choice([0.0, 1.0, 2.0], size=6, p=[0.1, 0.2, 0.7])
        word_y = rng.uniform(5, 10, size=(2, 3))
        utt_y = rng.uniform(5, 10, size=5)
        rows.append(train.UttRows(item, ["CAT", "SAT"], phone_features(ea), phone_y, word_y, utt_y,
                                  np.zeros((0, len(phone_feature_names())))))
        words = [{"text": t, "phones-accuracy": list(phone_y[3 * w:3 * w + 3]), "accuracy": word_y[w, 0],
                  "stress": word_y[w, 1], "total": word_y[w, 2]} for w, t in enumerate(["CAT", "SAT"])]
        ratings[utt] = {"words": words, **dict(zip(("accuracy", "completeness", "fluency", "prosodic", "total"), utt_y))}
    return rows, ratings
