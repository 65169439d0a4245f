"""The learner comparison of train-scorer: the ensembles reuse the fold models of their parts."""
from __future__ import annotations

import numpy as np
import pytest
from toy_rows import toy_rows


def test_ensembles_reuse_their_parts_fold_models(monkeypatch):
    pytest.importorskip("lightgbm")
    pytest.importorskip("torch")
    import pronscore.scoring.train as train

    monkeypatch.setattr(train, "_LGBM_LEVEL", {k: dict(v, n_estimators=3) for k, v in train._LGBM_LEVEL.items()})
    real_stack, real_transformer = train.fit_stack, train.fit_transformer
    calls = {"stack": [], "transformer": 0}

    def stack(spec, rows, seed, **kw):
        calls["stack"].append(spec.use_injection)
        return real_stack(spec, rows, seed, **kw)

    def transformer(rows, seed):
        calls["transformer"] += 1
        return real_transformer(rows, seed, dict(train.TRANSFORMER, epochs=2))

    monkeypatch.setattr(train, "fit_stack", stack)
    monkeypatch.setattr(train, "fit_transformer", transformer)
    rows, ratings = toy_rows(np.random.default_rng(3))

    def run(names, fits):
        return {n: train.cross_validate(train.LEARNERS[n], rows, ratings, 2, seed=0, progress=False, fits=fits)
                for n in names}

    fits: dict = {}
    shared = run(["lgbm", "transformer", "lgbm+transformer", "lgbm+inject+transformer"], fits)
    # 2 folds: lgbm's stacks and the transformers fitted once each; lgbm+inject+transformer needs a
    # stack with injected rows that nothing fitted before.
    assert calls == {"stack": [False, False, True, True], "transformer": 2}
    calls.update(stack=[], transformer=0)
    alone = run(["lgbm+transformer"], None)
    assert calls == {"stack": [False, False], "transformer": 2}
    # Reused parts predict what parts fitted again predict.
    assert shared["lgbm+transformer"]["predictions"] == alone["lgbm+transformer"]["predictions"]
    assert shared["lgbm+transformer"]["predictions"] != shared["lgbm"]["predictions"]
