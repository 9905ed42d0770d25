"""NAS-Bench-301 surrogates: a tiny XGBoost ensemble in nasbench301's on-disk layout.

The prediction tests need nasbench301 0.3's own environment (numpy<2, ConfigSpace 0.6.1: extra ``nb301``,
``python3 tasks.py test-nb301``); elsewhere they skip.  With ``LISSNAS_REQUIRE_NB301=1`` (set by that job) a
missing or broken nasbench301 fails them instead, so the job cannot pass by skipping.  The cache hand-off test
loads the imported benchmark with the interpreter named by ``LISSNAS_NUMPY2_PYTHON`` (the normal environment).
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import textwrap

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


def _unavailable(msg):
    if os.environ.get("LISSNAS_REQUIRE_NB301"):
        pytest.fail(f"LISSNAS_REQUIRE_NB301 is set but {msg}")
    pytest.skip(msg)


@pytest.fixture
def xgb_models(tmp_path):
    """``nb_models_1.0/xgb_v1.0`` with 3 XGBoost members trained on nasbench301's own config vectors."""
    import importlib.util

    if importlib.util.find_spec("nasbench301") is None:  # importing it needs our placeholders (see nb301.py)
        _unavailable("extra 'nb301' (nasbench301) is not installed")
    try:
        import xgboost as xgb
    except ImportError:
        _unavailable("nasbench301's XGBoost surrogates need xgboost")
    from lissnas_bench.benchmarks.official.nb301 import _nasbench301
    from lissnas_bench.spaces import get_space

    try:
        api = _nasbench301()
        import nasbench301
        from nasbench301.surrogate_models import utils

        loader = utils.ConfigLoader(os.path.join(os.path.dirname(nasbench301.__file__), "configspace.json"))
    except (LissnasBenchError, TypeError, AttributeError, ValueError, KeyError) as exc:
        _unavailable(f"nasbench301 cannot build its ConfigSpace here: {type(exc).__name__}: {str(exc)[:200]}")
    space = get_space("darts")
    train = space.sample(200, np.random.default_rng(0))
    X = np.stack([loader.query_config_dict({**api.fixed_hyperparameters, **c}).get_array()
                  for c in space.to_configs(train)])
    X[np.isnan(X)] = -1
    w = np.random.default_rng(1).normal(size=X.shape[1])

    def booster(i):  # members disagree by a genotype-dependent amount, so the std varies across genotypes
        y = 90 + (1 + 0.5 * i) * (X @ w) + i
        return xgb.train({"max_depth": 3, "nthread": 1}, xgb.DMatrix(X, label=y), num_boost_round=20)

    models = tmp_path / "nb_models_1.0"
    _ensemble(models / "xgb_v1.0", "xgb", booster_for=booster)
    return models


def test_nb301_xgb_ensemble(xgb_models):
    from lissnas_bench.benchmarks.official import import_file
    from lissnas_bench.benchmarks.official.nb301 import load_surrogate

    g = np.random.get_state()[1][:5].copy()
    bench, log = import_file("nb301", xgb_models, sample=50, seed=3)
    assert (np.random.get_state()[1][:5] == g).all()  # nasbench301's global seeding was undone
    assert len(bench) == 50 and bench.space.name == "darts"
    assert any("3 members" in line for line in log)
    mean = bench.column(metric="val-accuracy@100")
    std = bench.column(metric="val-accuracy-std@100")
    noisy = bench.column(metric="val-accuracy@100/noisy3")
    assert np.ptp(mean) > 1 and np.ptp(std) > 0.1  # the test would notice a wrong feature vector
    # one N(0, member std) draw per genotype from default_rng(seed) (drawn in sampling order; rows are stored sorted)
    z = np.sort((noisy - mean) / std)
    assert z == pytest.approx(np.sort(np.random.default_rng(3).normal(0.0, 1.0, 50)), abs=1e-6)

    # batched predictions equal nasbench301's own one-at-a-time API, without and with noise
    sur = load_surrogate(xgb_models / "xgb_v1.0")
    space = bench.space
    for k, (geno, m, s) in enumerate(zip(space.to_genotypes(bench.archs[:8]), mean[:8], std[:8])):
        assert sur.predict(geno, representation="genotype", with_noise=False) == pytest.approx(m, rel=1e-5)
        cfg = {**sur.convert_representation(geno, "genotype")}
        from nasbench301 import api

        assert sur.model.query_std({**api.fixed_hyperparameters, **cfg}) == pytest.approx(s, rel=1e-4, abs=1e-5)
        np.random.seed(100 + k)  # nasbench301's noise: mean + np.random.normal(0, member std)
        z = np.random.RandomState(100 + k).normal(0.0, 1.0)
        assert sur.predict(geno, representation="genotype", with_noise=True) == pytest.approx(m + z * s, rel=1e-5)
    # genotype strings in, same rows out
    again, _ = import_file("nb301", xgb_models, archs=space.to_strings(bench.archs[:8]))
    order = np.argsort(space.index(bench.archs[:8]))
    assert np.allclose(again.column(metric="val-accuracy@100"), mean[:8][order], rtol=1e-6)


def test_nb301_cache_loads_in_numpy2_env(xgb_models, tmp_path, monkeypatch):
    """Import here (numpy<2), then load the cached Arrow benchmark with the normal (NumPy 2) environment."""
    other = os.environ.get("LISSNAS_NUMPY2_PYTHON")
    if not other:
        pytest.skip("LISSNAS_NUMPY2_PYTHON (an interpreter of the normal environment) is not set")
    from lissnas_bench import load_benchmark
    from lissnas_bench.benchmarks.official import import_benchmark

    home = tmp_path / "home"
    monkeypatch.setenv("LISSNAS_BENCH_HOME", str(home))
    side = import_benchmark("nb301", xgb_models, sample=20, seed=5)
    assert side["id"] == "nb301-xgb_v1.0" and side["rows"] == 20
    here = load_benchmark("nb301-xgb_v1.0")
    code = textwrap.dedent("""
        import json, numpy as np
        from lissnas_bench import load_benchmark
        b = load_benchmark("nb301-xgb_v1.0")
        print(json.dumps({"numpy": np.__version__, "index": b.space.index(b.archs).tolist(),
                          "metrics": {m: b.column(metric=m).tolist() for d, m in b.columns}}))
    """)
    run = subprocess.run([other, "-c", code], capture_output=True, text=True, env={**os.environ}, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert int(got["numpy"].split(".")[0]) >= 2, f"{other} has NumPy {got['numpy']}, not the NumPy 2 environment"
    assert got["index"] == here.space.index(here.archs).tolist()
    assert set(got["metrics"]) == {m for _, m in here.columns}
    for m, v in got["metrics"].items():
        assert np.array_equal(np.asarray(v), here.column(metric=m)), m
