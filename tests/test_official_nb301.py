"""NAS-Bench-301 surrogates: a tiny XGBoost ensemble in nasbench301's on-disk layout, tabulated and live.

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

    def runtime(i):  # seconds, from the same features
        y = 4000 + 300 * (X @ w) + 50 * i
        return xgb.train({"max_depth": 3, "nthread": 1}, xgb.DMatrix(X, label=y), num_boost_round=20)

    _ensemble(tmp_path / "with_runtime" / "xgb_v1.0", "xgb", booster_for=booster)
    _ensemble(tmp_path / "with_runtime" / "xgb_runtime_v1.0", "xgb_time", booster_for=runtime)
    return models


def test_nb301_xgb_ensemble(xgb_models):
    from lissnas_bench.benchmarks.official import import_file
    from lissnas_bench.benchmarks.official.nb301 import load_surrogate

    g = np.random.get_state()[1][:5].copy()
    bench, log = import_file("nb301", xgb_models, sample=50, seed=3, trust_pickles=True)
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
        assert sur.predict(geno, representation="genotype", with_noise=False) == pytest.approx(m, abs=1e-6)
        cfg = {**sur.convert_representation(geno, "genotype")}
        from nasbench301 import api

        assert sur.model.query_std({**api.fixed_hyperparameters, **cfg}) == pytest.approx(s, rel=1e-4, abs=1e-5)
        np.random.seed(100 + k)  # nasbench301's noise: mean + np.random.normal(0, member std)
        z = np.random.RandomState(100 + k).normal(0.0, 1.0)
        assert sur.predict(geno, representation="genotype", with_noise=True) == pytest.approx(m + z * s, rel=1e-5)
    # genotype strings in, same rows out
    again, _ = import_file("nb301", xgb_models, archs=space.to_strings(bench.archs[:8]), trust_pickles=True)
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
    side = import_benchmark("nb301", xgb_models, sample=20, seed=5, trust_pickles=True)
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


# ---------------------------------------------------------------------------------------------------- live surrogate
def _nb301_truth(models, genotypes):
    """nasbench301's own answers, one genotype at a time: noise-free mean, member std, runtime."""
    from lissnas_bench.benchmarks.official.nb301 import load_surrogate
    from nasbench301 import api

    perf, rt = load_surrogate(models / "xgb_v1.0"), load_surrogate(models / "xgb_runtime_v1.0")
    out = []
    for g in genotypes:
        cfg = {**api.fixed_hyperparameters, **perf.convert_representation(g, "genotype")}
        out.append((float(perf.predict(g, representation="genotype", with_noise=False)),
                    float(perf.model.query_std(cfg)), float(rt.predict(g, representation="genotype", with_noise=False))))
    return np.array(out)


def test_live_answers_equal_nasbench301_predict(xgb_models, tmp_path):
    import sys

    from lissnas_bench import load_benchmark

    models = xgb_models.parent / "with_runtime"
    bench = load_benchmark("nb301", models=models, trust_pickles=True, python=sys.executable)
    space = bench.space
    a = space.sample(40, np.random.default_rng(11))
    truth = _nb301_truth(models, space.to_genotypes(a))
    assert np.ptp(truth[:, 0]) > 1 and np.ptp(truth[:, 1]) > 0.1
    assert np.abs(bench.query(a) - truth[:, 0]).max() <= 1e-6
    assert np.abs(bench.query(a, metric="val-accuracy-std@100") - truth[:, 1]).max() <= 1e-6
    assert np.abs(bench.query(a, metric="runtime@100") - truth[:, 2]).max() <= 1e-6
    versions = json.loads((bench.store.root / "manifest.json").read_text())["versions"]
    assert versions["nasbench301"] == "0.3"
    bench.close()


def test_live_surrogate_from_the_numpy2_environment(xgb_models, tmp_path, monkeypatch):
    """The normal (NumPy 2) environment uses the surrogate through this environment's worker; LISSNAS shrinks."""
    import sys

    other = os.environ.get("LISSNAS_NUMPY2_PYTHON")
    if not other:
        pytest.skip("LISSNAS_NUMPY2_PYTHON (an interpreter of the normal environment) is not set")
    models = xgb_models.parent / "with_runtime"
    code = textwrap.dedent(f"""
        import json, numpy as np
        import lissnas_bench as lb
        from lissnas_bench.shrinkers import get_shrinker
        b = lb.load_benchmark("nb301", models={str(models)!r}, trust_pickles=True, python={sys.executable!r})
        a = b.space.sample(25, np.random.default_rng(5))
        res = get_shrinker("lissnas", n=50, k=5).shrink(lb.Oracle(b, budget=300), np.random.default_rng(0))
        print(json.dumps({{"numpy": np.__version__, "genotypes": b.space.to_strings(a), "values": b.query(a).tolist(),
                          "size": res.shrunk.size, "centres": len(res.shrunk.centres), "kind": res.shrunk.kind}}))
        b.close()
    """)
    env = {**os.environ, "LISSNAS_BENCH_HOME": str(tmp_path / "home")}
    run = subprocess.run([other, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert int(got["numpy"].split(".")[0]) >= 2
    from lissnas_bench.spaces import get_space

    space = get_space("darts")
    truth = _nb301_truth(models, space.to_genotypes(space.from_strings(got["genotypes"])))
    assert np.abs(np.asarray(got["values"]) - truth[:, 0]).max() <= 1e-6
    assert got["kind"] == "pockets" and got["size"] > got["centres"]


def test_hostile_model_pickle_runs_only_with_trust(xgb_models, tmp_path):
    """The refusal is real: the same hostile file does run code once the user opts in."""
    import sys
    from pathlib import Path

    class Hostile:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "pwned",))

    models = tmp_path / "hostile"
    _ensemble(models / "xgb_v1.0", "xgb", members=1)
    (models / "xgb_v1.0" / "ensemble_member_0" / "surrogate_model.model").write_bytes(pickle.dumps(Hostile()))
    from lissnas_bench import load_benchmark
    from lissnas_bench.benchmarks.official import import_file
    from lissnas_bench.errors import InvalidConfig

    with pytest.raises(InvalidConfig, match="--trust-pickles"):
        import_file("nb301", models, sample=3)
    with pytest.raises(InvalidConfig, match="--trust-pickles"):
        load_benchmark("nb301", models=models, python=sys.executable)
    assert not (tmp_path / "pwned").exists()
    b = load_benchmark("nb301", models=models, trust_pickles=True, python=sys.executable)
    with pytest.raises(LissnasBenchError):
        b.query(b.space.sample(1, np.random.default_rng(0)))  # the "model" is not a booster
    b.close()
    assert (tmp_path / "pwned").exists()
