"""Queries per second of the live NAS-Bench-301 surrogate (cold: through nasbench301; warm: from the answer store)
and the time of one LISSNAS shrink on the DARTS space.

    python benchmarks/bench_surrogate.py [--nb301-python .venv-nb301/bin/python] [--n 2000]

The official ``nb_models_1.0`` is not available here, so the script first builds a 3-member XGBoost ensemble
(plus a runtime model) in the official on-disk layout with the side environment's nasbench301, as the tests do;
the official 10-member ensembles predict slower per genotype, the store's speed does not change.  Without a side
environment it falls back to the stand-in predictor (``_nb301_fake``) behind the same worker process, and says
so.  Everything runs in a temporary cache home; prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
from _report import Row, add_json_arg, build, report

ROOT = Path(__file__).resolve().parents[1]

BUILD = textwrap.dedent("""
    import json, os, pickle, sys
    from pathlib import Path
    import numpy as np, xgboost as xgb
    from lissnas_bench.benchmarks.official.nb301 import _nasbench301
    from lissnas_bench.spaces import get_space
    api = _nasbench301()
    import nasbench301
    from nasbench301.surrogate_models import utils
    loader = utils.ConfigLoader(os.path.join(os.path.dirname(nasbench301.__file__), "configspace.json"))
    space = get_space("darts")
    train = space.sample(300, np.random.default_rng(0))
    X = np.stack([loader.query_config_dict({**api.fixed_hyperparameters, **c}).get_array()
                  for c in space.to_configs(train)])
    X[np.isnan(X)] = -1
    w = np.random.default_rng(1).normal(size=X.shape[1])
    for name, model, off, scale in (("xgb_v1.0", "xgb", 90, 1), ("xgb_runtime_v1.0", "xgb_time", 4000, 300)):
        for i in range(3):
            d = Path(sys.argv[1]) / name / f"ensemble_member_{i}"
            d.mkdir(parents=True)
            y = off + scale * (1 + 0.3 * i) * (X @ w)
            b = xgb.train({"max_depth": 6, "nthread": 1}, xgb.DMatrix(X, label=y), num_boost_round=100)
            (d / "model_config.json").write_text(json.dumps({"model": model, "param:bananas_enc": False}))
            (d / "data_config.json").write_text(json.dumps({"seed": i}))
            (d / "surrogate_model.model").write_bytes(pickle.dumps(b))
""")


def side_python(given: str | None) -> str | None:
    for cand in (given, os.environ.get("LISSNAS_NB301_PYTHON"), ROOT / ".venv-nb301/bin/python"):
        if cand and Path(cand).exists():
            return str(cand)
    return None


def models(tmp: Path, py: str | None) -> tuple[Path, str]:
    root = tmp / "nb_models_1.0"
    if py is not None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        run = subprocess.run([py, "-c", BUILD, str(root)], capture_output=True, text=True, env=env)
        if run.returncode == 0:
            return root, "nasbench301 0.3, 3-member XGBoost test ensemble + runtime model"
        print(run.stderr[-1500:], file=sys.stderr)
    for name, model in (("xgb_v1.0", "xgb"), ("xgb_runtime_v1.0", "xgb_time")):  # the layout only: never loaded
        for i in range(3):
            d = root / name / f"ensemble_member_{i}"
            d.mkdir(parents=True, exist_ok=True)
            (d / "model_config.json").write_text(f'{{"model": "{model}"}}')
            (d / "data_config.json").write_text(f'{{"seed": {i}}}')
            (d / "surrogate_model.model").write_bytes(b"")
    os.environ["LISSNAS_NB301_BACKEND"] = "lissnas_bench.benchmarks.official._nb301_fake:FakeBackend"
    os.environ["LISSNAS_NB301_PYTHON"] = sys.executable
    return root, "stand-in predictor (no side environment found)"


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nb301-python", default=None)
    ap.add_argument("--n", type=int, default=2000, help="genotypes per batch measurement")
    add_json_arg(ap)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_surrogate_"))
    os.environ["LISSNAS_BENCH_HOME"] = str(tmp / "home")
    py = side_python(args.nb301_python)
    path, what = models(tmp, py)
    import lissnas_bench as lb
    from lissnas_bench.shrinkers import get_shrinker

    def open_bench():
        return lb.load_benchmark("nb301", models=path, trust_pickles=True, python=py)

    bench = open_bench()
    space = bench.space
    first = space.sample(1, np.random.default_rng(99))
    t_start, _ = timed(lambda: bench.query(first))  # worker start + model load + one genotype
    a = space.sample(args.n, np.random.default_rng(0))
    t_cold, _ = timed(lambda: lb.Oracle(bench).query(a))
    singles = space.sample(200, np.random.default_rng(1))
    t_single, _ = timed(lambda: [bench.query(x[None]) for x in singles])
    t_lissnas_cold, res = timed(lambda: get_shrinker("lissnas").shrink(lb.Oracle(bench, budget=1000),
                                                                        np.random.default_rng(0)))
    bench.close()
    warm = open_bench()  # a rerun: a new process would read the same store
    t_warm, _ = timed(lambda: lb.Oracle(warm).query(a))
    t_single_warm, _ = timed(lambda: [warm.query(x[None]) for x in singles])
    t_lissnas_warm, res2 = timed(lambda: get_shrinker("lissnas").shrink(lb.Oracle(warm, budget=1000),
                                                                         np.random.default_rng(0)))
    assert res2.shrunk.size == res.shrunk.size and warm.stats()["predicted"] == 0
    warm.close()
    shutil.rmtree(tmp, ignore_errors=True)
    rows = [
        Row(f"{args.n:,} new genotypes in one `Oracle.query`, from the answer store on a rerun",
            f"{args.n / t_warm:,.0f} queries/s", f"{args.n / t_cold:,.0f} queries/s through nasbench301",
            t_cold / t_warm, "–", None),
        Row("one genotype per query (200 queries), from the store on a rerun", f"{200 / t_single_warm:,.0f} queries/s",
            f"{200 / t_single:,.0f} queries/s through nasbench301", t_single / t_single_warm, "–", None),
        Row(f"one LISSNAS shrink on `darts` (defaults, budget 1,000; {res.queries} queries, "
            f"{len(res.shrunk.centres)} pockets, \\|S′\\| = {res.shrunk.size:,}), rerun",
            f"{t_lissnas_warm:.3f} s", f"{t_lissnas_cold:.2f} s first run", t_lissnas_cold / t_lissnas_warm, "–", None),
    ]
    notes = [f"Predictor: {what}. Starting the worker and loading the models takes {t_start:.2f} s once per process."]
    report(build("bench_surrogate", "Live NAS-Bench-301 surrogate", rows, notes=notes), args.json)

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
