"""NAS-Bench-301 surrogates: a tiny XGBoost ensemble in nasbench301's on-disk layout."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from lissnas_bench.errors import DataFileError, LissnasBenchError


def _ensemble(root, model="xgb", members=3, booster_for=None):
    root.mkdir(parents=True)
    for i in range(members):
        d = root / f"ensemble_member_{i}"
        d.mkdir()
        (d / "model_config.json").write_text(json.dumps({"model": model, "param:bananas_enc": False}))
        (d / "data_config.json").write_text(json.dumps({"seed": i}))
        (d / "surrogate_model.model").write_bytes(pickle.dumps(booster_for(i) if booster_for else None))
    return root


def test_find_ensembles(tmp_path):
    from lissnas_bench.benchmarks.official.nb301 import find_ensembles

    models = tmp_path / "nb_models_1.0"
    _ensemble(models / "lgb_v1.0", "lgb")
    _ensemble(models / "xgb_v1.0", "xgb")
    _ensemble(models / "lgb_runtime_v1.0", "lgb_time")
    ens = find_ensembles(models)
    assert ens["performance"].name == "xgb_v1.0" and ens["runtime"].name == "lgb_runtime_v1.0"
    assert find_ensembles(models / "xgb_v1.0") == {"performance": models / "xgb_v1.0"}
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataFileError, match="no surrogate_model.model"):
        find_ensembles(empty)
    with pytest.raises(DataFileError, match="is a directory|are a directory"):
        find_ensembles(tmp_path / "missing.zip")


def test_nb301_xgb_ensemble(tmp_path):
    import importlib.util

    if importlib.util.find_spec("nasbench301") is None:  # importing it needs our placeholders (see nb301.py)
        pytest.skip("extra 'nb301' (nasbench301) is not installed")
    xgb = pytest.importorskip("xgboost", reason="nasbench301's XGBoost surrogates need xgboost")
    from lissnas_bench.benchmarks.official import import_file
    from lissnas_bench.benchmarks.official.nb301 import _nasbench301
    from lissnas_bench.spaces import get_space

    try:
        api = _nasbench301()
        import os

        import nasbench301
        from nasbench301.surrogate_models import utils

        loader = utils.ConfigLoader(os.path.join(os.path.dirname(nasbench301.__file__), "configspace.json"))
    except (LissnasBenchError, TypeError, AttributeError, ValueError) as exc:
        pytest.skip(f"nasbench301 cannot build its ConfigSpace here: {str(exc)[:200]}")
    space = get_space("darts")
    train = space.sample(64, np.random.default_rng(0))
    X = np.stack([loader.query_config_dict({**api.fixed_hyperparameters, **c}).get_array()
                  for c in space.to_configs(train)])
    X[np.isnan(X)] = -1

    def booster(i):
        y = 90 + X[:, :4].sum(axis=1) + i  # members differ by a constant, so the std is known
        return xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=y), num_boost_round=5)

    models = tmp_path / "nb_models_1.0"
    _ensemble(models / "xgb_v1.0", "xgb", booster_for=booster)
    g = np.random.get_state()[1][:5].copy()
    bench, log = import_file("nb301", models, sample=50, seed=3)
    assert (np.random.get_state()[1][:5] == g).all()  # nasbench301's global seeding was undone
    assert len(bench) == 50 and bench.space.name == "darts"
    mean = bench.column(metric="val-accuracy@100")
    std = bench.column(metric="val-accuracy-std@100")
    assert np.allclose(std, np.std([0.0, 1.0, 2.0]), atol=1e-3)
    noisy = bench.column(metric="val-accuracy@100/noisy3")
    assert not np.allclose(noisy, mean) and np.abs(noisy - mean).max() < 10 * std.max()
    # batched predictions equal nasbench301's own one-at-a-time API
    from lissnas_bench.benchmarks.official.nb301 import load_surrogate

    sur = load_surrogate(models / "xgb_v1.0")
    for g_, v in zip(space.to_genotypes(bench.archs[:5]), mean[:5]):
        assert sur.predict(g_, representation="genotype", with_noise=False) == pytest.approx(v, rel=1e-5)
