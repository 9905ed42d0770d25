"""Sweeps (``run CONFIG.yaml``) on the one engine: configuration errors naming the field, grids and cell keys,
identical results from every executor (serial, local processes, Dask), resume after SIGKILL, failing cells,
folder refusal, the ``run`` command."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lissnas_bench.api import run_comparison, run_sweep
from lissnas_bench.errors import DataFileError, InvalidConfig
from lissnas_bench.experiments import (
    ComparisonConfig,
    DaskExecutor,
    LocalExecutor,
    SweepConfigError,
    Target,
    load_config,
    prepare,
)

BASE = {
    "name": "t",
    "seeds": 2,
    "shrink_budget": 60,
    "search_budget": 120,
    "curve_points": 20,
    "benchmarks": [{"benchmark": "analognas"}],
    "shrinkers": ["full", {"method": "lissnas", "params": {"n": 20, "k": 5}}, "random"],
    "reference": {"method": "lissnas", "params": {"n": 20, "k": 5}},
    "optimizers": ["rs", "re", "ls"],
}
#: columns that depend on the machine, not on the numbers
TIMING = ("search_seconds", "wall_seconds", "eval_seconds")


def cfg(**changes):
    d = copy.deepcopy(BASE)
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def numbers(out, table="searches.parquet") -> pd.DataFrame:
    df = pd.read_parquet(Path(out) / table)
    return df.drop(columns=[c for c in df.columns if c in TIMING or c.startswith("search_seconds")])


# ---------------------------------------------------------------------------------------------- configuration
@pytest.mark.parametrize("changes, fragment", [
    ({"budget": 3}, "config: budget: unknown key"),
    ({"benchmarks": [{"benchmark": "nope"}]}, "benchmarks[0].benchmark: unknown benchmark 'nope'"),
    ({"benchmarks": [{"benchmark": "analognas", "datasets": ["imagenet"]}]},
     "benchmarks[0].datasets[0]: unknown dataset 'imagenet'"),
    ({"benchmarks": [{"benchmark": "analognas", "metric": "acc"}]}, "benchmarks[0].metric: unknown metric 'acc'"),
    ({"benchmarks": [{"benchmark": "analognas", "dataset": "cifar10"}]}, "benchmarks[0].dataset: unknown key"),
    ({"shrinkers": ["full", "lisnas"]}, "shrinkers[1]: unknown shrinker 'lisnas'"),
    ({"shrinkers": [{"method": "lissnas", "params": {"kk": 3}}]}, "shrinkers[0].params.kk: unknown parameter"),
    ({"shrinkers": [{"method": "lissnas", "grid": {"kk": [3]}}]}, "shrinkers[0].grid.kk: unknown parameter"),
    ({"shrinkers": [{"method": "lissnas", "grid": {"k": 3}}]}, "shrinkers[0].grid.k: expected a non-empty list"),
    ({"shrinkers": [{"method": "lissnas", "params": {"n": 20, "k": 30}}]}, "shrinkers[0]: lissnas: k=30 > n=20"),
    ({"shrinkers": [{"method": "lissnas", "params": {"radius": 0}}]}, "radius must be >= 1"),
    ({"shrinkers": [{"params": {"k": 3}}]}, "shrinkers[0].method: missing"),
    ({"shrinkers": ["full", "full"]}, "label 'full' is used twice"),
    ({"shrinkers": ["lissnas"]}, "shrink_budget: lissnas: budget 60 < n=100"),
    ({"name": "../../etc"}, "name: '../../etc' is not a plain folder name"),
    ({"name": "/tmp/x"}, "name: '/tmp/x' is not a plain folder name"),
    ({"optimizers": ["rs", "sa"]}, "optimizers[1]: unknown optimizer 'sa'"),
    ({"optimizers": [{"method": "re", "params": {"pop": 3}}]}, "optimizers[0].params.pop: unknown parameter"),
    ({"optimizers": [{"method": "re", "params": {"tournament": 0}}]}, "tournament must be >= 1"),
    ({"optimizers": None}, "optimizers: missing"),
    ({"seeds": 0}, "seeds: must be >= 1"),
    ({"seeds": "ten"}, "seeds: must be an integer"),
    ({"seeds": [1, 1]}, "seeds: lists a seed twice"),
    ({"search_budget": 50}, "search_budget: 50 < shrink_budget 60"),
    ({"regret_at": [500]}, "regret_at: 500 is beyond search_budget 120"),
    ({"reference": "random"}, "reference: random is itself size-matched"),
])
def test_config_errors_name_the_field(changes, fragment):
    with pytest.raises(SweepConfigError) as exc:
        load_config(cfg(**changes))
    assert fragment in str(exc.value), str(exc.value)
    assert isinstance(exc.value, InvalidConfig)


def test_config_file_errors(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: [unclosed\n")
    with pytest.raises(InvalidConfig, match="bad.yaml: not valid YAML"):
        load_config(p)
    p.write_text("- just\n- a list\n")
    with pytest.raises(InvalidConfig, match="top level must be a mapping"):
        load_config(p)
    p.write_text(yaml.safe_dump(cfg(budget=1)))
    with pytest.raises(SweepConfigError, match="config bad.yaml: budget: unknown key"):
        load_config(p)
    with pytest.raises(DataFileError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


def test_grid_labels_and_keys():
    c = load_config(cfg(shrinkers=["full", {"method": "lissnas", "params": {"n": 20}, "grid": {"k": [2, 5]}}],
                        reference=None, seeds=[0, 4]))
    plan = prepare(c)
    assert plan.n_cells == 1 * 3 * 2
    assert [s.label for s in c.shrinkers] == ["full", "lissnas(n=20,k=2)", "lissnas(n=20,k=5)"]
    keys = [plan.cell_key(t, v.label, s, b) for t, b, s, v in plan.cells()]
    assert len(set(keys)) == len(keys) and "analognas-cifar10__lissnas_n=20_k=5__seed004" in keys
    assert {s for _, _, s, _ in plan.cells()} == {0, 4}
    assert dict(c.shrinkers[1].params)["radius"] == 1  # defaults are filled in (they are part of the hash)
    # the hash changes with everything that changes the numbers, not with the name
    other = prepare(load_config(cfg(shrinkers=["full"], reference=None, search_budget=121, seeds=[0, 4])))
    assert other.config_hash != plan.config_hash
    renamed = prepare(load_config(cfg(name="other", shrinkers=["full", {"method": "lissnas", "params": {"n": 20},
                                                                         "grid": {"k": [2, 5]}}], reference=None,
                                      seeds=[0, 4])))
    assert renamed.config_hash == plan.config_hash


def test_shrink_phase_is_the_comparisons(tmp_path):
    """A sweep cell's shrinker sees exactly the comparison's seed stream and budget: same |S'|, same queries."""
    s = run_sweep(cfg(shrinkers=[{"method": "lissnas", "params": {"n": 20, "k": 5}}], optimizers=["rs"],
                      seeds=[3]), tmp_path / "s", workers=1, figures=False)
    df = run_comparison(ComparisonConfig(targets=(Target("analognas"),), methods=("lissnas",), seeds=4, budget=60,
                                         params={"lissnas": {"n": 20, "k": 5}}), tmp_path / "c", figures=False)
    mine = df[df.seed == 3].iloc[0]
    row = s.results.iloc[0]
    assert (row["size"], row["queries"], row["cell_seed"]) == (mine["size"], mine["queries"], mine["cell_seed"])


def test_cell_contents(serial_run):
    res = pd.read_parquet(serial_run / "searches.parquet")
    row = res[(res.method == "random") & (res.optimizer == "re")].iloc[0]
    assert row["status"] == "ok" and row["reference_size"] >= 1 and row["shrink_queries"] == 0
    assert row["search_total_queries"] <= 120 and row["shrunk_size"] == row["reference_size"]
    assert {"search_regret@120", "search_regret@60", "search_regret@30", "regret", "best_arch"} <= set(res.columns)
    full = res[res.method == "full"]
    assert (full["search_total_queries"] == 120).all() and (full["shrunk_size"] == 15625).all()
    cell = json.loads((serial_run / "cells" / "analognas-cifar10__random__seed000.json").read_text())
    curve = cell["curves"]["re"]
    assert curve["queries"][-1] == row["search_total_queries"] and len(curve["best"]) == len(curve["queries"])
    assert cell["row"]["search_total_queries[re]"] == row["search_total_queries"]


# ---------------------------------------------------------------------------------------------- executors
@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    s = run_sweep(cfg(), out, workers=1)
    assert (s.total, s.ran, s.skipped, s.failed) == (6, 6, 0, 0)
    return out


def test_outputs(serial_run):
    res = pd.read_parquet(serial_run / "searches.parquet")
    assert len(res) == 18 and (res["status"] == "ok").all()
    assert list(res.columns[:8]) == ["benchmark", "dataset", "metric", "budget", "method", "optimizer", "seed",
                                     "status"]
    sm = pd.read_csv(serial_run / "search_summary.csv")
    assert len(sm) == 9 and (sm["n_seeds"] == 2).all() and {"search_regret@120_ci_low", "search_regret@120_ci_high"} <= set(sm.columns)
    cells = pd.read_parquet(serial_run / "results.parquet")
    assert len(cells) == 6 and set(cells["method"]) == {"full", "lissnas(n=20,k=5)", "random"}
    curves = pd.read_parquet(serial_run / "curves.parquet")
    assert (curves.groupby(["method", "optimizer", "seed"]).size() == 22).all()  # 20 points + regret_at 30, 60
    assert {30, 60, 120} <= set(curves["queries"]) and (curves["regret"] >= 0).all()
    man = json.loads((serial_run / "manifest.json").read_text())
    assert man["status"] == "complete" and man["cells"]["ran"] == 6 and len(man["keys"]) == 6
    assert (serial_run / "figures" / "analognas-cifar10" / "search_regret.png").exists()
    assert "search regret@120 [re]" in (serial_run / "report.md").read_text()
    assert not (serial_run / "figures" / "analognas-cifar10" / "search_regret.svg").exists()  # PNG unless asked


def test_local_processes_give_identical_results(serial_run, tmp_path):
    run_sweep(cfg(), tmp_path, executor=LocalExecutor(2, batch=3))
    pd.testing.assert_frame_equal(numbers(tmp_path), numbers(serial_run))
    pd.testing.assert_frame_equal(numbers(tmp_path, "results.parquet"), numbers(serial_run, "results.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "curves.parquet"),
                                  pd.read_parquet(serial_run / "curves.parquet"))


def test_dask_gives_identical_results(serial_run, tmp_path):
    pytest.importorskip("distributed")
    s = run_sweep(cfg(), tmp_path, executor=DaskExecutor(local_workers=2, processes=False, batch=4))
    assert s.ran == 6 and s.failed == 0
    pd.testing.assert_frame_equal(numbers(tmp_path), numbers(serial_run))


def test_executor_options():
    from lissnas_bench.experiments import make_executor

    assert make_executor(workers=3).describe() == {"executor": "local", "workers": 3, "batch": 1}
    with pytest.raises(InvalidConfig, match="--batch"):
        make_executor(batch=0)
    with pytest.raises(InvalidConfig, match="--workers"):
        make_executor(workers=0)
    with pytest.raises(InvalidConfig, match="with Dask"):
        make_executor(workers=2, dask_local=2)
    pytest.importorskip("distributed")
    with pytest.raises(InvalidConfig, match="not both"):
        make_executor(scheduler="tcp://127.0.0.1:1", dask_local=2)
    with pytest.raises(InvalidConfig, match="tcp://HOST"):
        make_executor(scheduler="localhost")


# ---------------------------------------------------------------------------------------------- resume, failures
def test_resume_after_sigkill(serial_run, tmp_path):
    big = cfg(seeds=4, search_budget=300)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(big, sort_keys=False))
    out = tmp_path / "killed"
    code = ("import sys; from lissnas_bench import run_sweep\n"
            f"run_sweep({str(tmp_path / 'c.yaml')!r}, {str(out)!r}, workers=1, figures=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], env=os.environ.copy(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cells = out / "cells"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if cells.is_dir() and len(list(cells.glob("*.json"))) >= 3:
                break
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    n_before = len(list(cells.glob("*.json")))
    assert 3 <= n_before < 12, f"the run was not killed mid-way ({n_before} cells)"
    assert not (out / "results.parquet").exists()

    s = run_sweep(big, out, workers=1, figures=False)
    assert s.skipped >= n_before - 1 and s.skipped + s.ran == 12 and s.failed == 0
    ref = tmp_path / "uninterrupted"
    run_sweep(big, ref, workers=1, figures=False)
    pd.testing.assert_frame_equal(numbers(out), numbers(ref))


def test_failing_cell_is_recorded_and_retried(tmp_path, monkeypatch):
    import lissnas_bench.experiments.cell as cell_mod

    real = cell_mod._shrink_cell

    def flaky(plan, t, v, seed, budget, ref):
        if v.method == "random" and seed == 1:
            raise RuntimeError("boom")
        return real(plan, t, v, seed, budget, ref)

    monkeypatch.setattr(cell_mod, "_shrink_cell", flaky)
    s = run_sweep(cfg(), tmp_path, workers=1, figures=False)
    assert (s.ran, s.failed) == (6, 1)
    res = pd.read_parquet(tmp_path / "results.parquet")
    bad = res[res["status"] == "failed"]
    assert len(bad) == 1 and (bad["error"] == "RuntimeError: boom").all() and (bad["method"] == "random").all()
    assert "Traceback" in json.loads((tmp_path / "cells" / "analognas-cifar10__random__seed001.json").read_text())[
        "traceback"]
    sm = pd.read_csv(tmp_path / "summary.csv")
    assert sm.loc[sm["method"] == "random", "n_failed"].tolist() == [1]
    monkeypatch.setattr(cell_mod, "_shrink_cell", real)
    s = run_sweep(cfg(), tmp_path, workers=1, figures=False)
    assert (s.ran, s.skipped, s.failed) == (1, 5, 0)


def test_other_configuration_is_refused_unless_force(serial_run, tmp_path):
    run_sweep(cfg(optimizers=["rs"]), tmp_path, workers=1, figures=False)
    with pytest.raises(InvalidConfig, match="different configuration"):
        run_sweep(cfg(optimizers=["re"]), tmp_path, workers=1, figures=False)
    s = run_sweep(cfg(optimizers=["re"]), tmp_path, workers=1, figures=False, force=True)
    assert s.ran == 6 and len(list((tmp_path / "cells").glob("*.json"))) == 6
    assert {json.loads(p.read_text())["config_hash"] for p in (tmp_path / "cells").glob("*.json")} == {
        json.loads((tmp_path / "manifest.json").read_text())["config_hash"]}


# ---------------------------------------------------------------------------------------------- CLI
def test_cli_run(tmp_path):
    import typer
    from typer.testing import CliRunner

    from lissnas_bench.commands import search as cmd

    app = typer.Typer()
    cmd.register(app)
    app.command("noop")(lambda: None)  # a second command keeps typer from collapsing the app to `run`
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(cfg(optimizers=["rs", "ls"], seeds=1), sort_keys=False))
    runner = CliRunner()
    r = runner.invoke(app, ["run", str(p), "--out", str(tmp_path / "o"), "--workers", "1", "--json", "--no-figures"])
    assert r.exit_code == 0, r.output
    assert r.stdout.lstrip().startswith("{"), r.stdout[:2000]
    d = json.loads(r.stdout)
    assert (d["total"], d["ran"], d["failed"]) == (3, 3, 0) and len(d["summary"]) == 6
    r = runner.invoke(app, ["run", str(p), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert r.exit_code == 0 and "0 ran, 3 skipped" in r.output and "analognas / cifar10" in r.output
    r = runner.invoke(app, ["run", str(p), "--workers", "1", "--dask-local", "2"])
    assert isinstance(r.exception, InvalidConfig)


def test_example_configs_validate():
    root = Path(__file__).resolve().parents[1] / "examples"
    demo = load_config(root / "compare_demo.yaml")
    assert prepare(demo).n_cells == 4 * 5 * 5 and demo.budget == 1000 and len(demo.optimizers) == 3
    # no top-samples: its S' is what it queried, so every search inside it is used up (tests/test_examples.py)
    assert {s.method for s in demo.shrinkers} == {"full", "lissnas", "op-pruning", "single-region", "random"}
    big = load_config(root / "large_grid.yaml")
    assert len(big.targets) * len(big.shrinkers) * len(big.seeds) * len(big.optimizers) > 10_000  # searches



def test_duplicate_keys_and_binary_files_are_refused(tmp_path):
    p = tmp_path / "dup.yaml"
    p.write_text(yaml.safe_dump(cfg()) + "seeds: 3\n")
    with pytest.raises(InvalidConfig, match="duplicate key 'seeds'"):
        load_config(p)
    p.write_bytes(b"\x00\x01binary")
    with pytest.raises(DataFileError, match="not a text YAML file"):
        load_config(p)


def test_a_records_fast_conversion_equals_jsonable():
    """``cell._plain`` (lists of ints or floats in one C pass) writes what ``jsonable`` writes, NaN and ±inf as
    null, also when a list's sum overflows."""
    import math

    from lissnas_bench._params import jsonable
    from lissnas_bench.experiments.cell import _plain

    cases = [[1, 2, 3], [1.0, math.nan, 2.0], [1e308, 1e308], [1e308, 1e308, math.inf], [], [True, 1], [1, 2.0],
             {"a": [1.5, -math.inf], 3: [7]}, [[1, 2], [3.0]], [np.float64(0.5), 1.0], [np.int64(2), 3],
             [[1, 2], [3, 4]], [[1, 2], []], [[], []], [[1, np.int64(2)]], [[1, True]]]
    for c in cases:
        assert _plain(c) == jsonable(c), c


def test_curves_frame_equals_a_frame_per_curve():
    """``curves_frame`` builds whole columns at once; the result is what concatenating one frame per curve gave
    (values, column order, dtypes), with curves that are empty, hold a null best, or lack a stop or seconds."""
    from types import SimpleNamespace

    from lissnas_bench.experiments.aggregate import curves_frame
    from lissnas_bench.experiments.cell import curve_grid

    exp = SimpleNamespace(optimizers=("rs", "re"), search_budget=50, curve_points=7, regret_at=(50, 25),
                          budgets=(20,))
    curve = {"queries": [1, 4, 9, 30, 50], "best": [0.1, 0.3, None, 0.5, 0.6], "global_max": 0.9,
             "grid_sim_seconds": [float(i) for i in range(9)], "stop": "queries"}
    cells = [{"row": {"benchmark": "b", "dataset": "d", "metric": "m", "budget": 20, "method": "lissnas",
                      "seed": s}, "curves": {"rs": curve, "re": {**curve, "queries": [], "best": [], "stop": None}}}
             for s in range(3)]
    cells.append({"row": {**cells[0]["row"], "method": "random"},
                  "curves": {"rs": {k: v for k, v in curve.items() if k not in ("stop", "grid_sim_seconds")}}})
    cells.append({"row": {**cells[0]["row"], "method": "full"}})  # no curves
    grid = curve_grid(50, 7, [50, 25, 20])
    assert len(grid) == 9
    parts = []
    for c in cells:
        r = c["row"]
        for opt, cv in (c.get("curves") or {}).items():
            q = np.asarray(cv["queries"], dtype=np.int64)
            b = np.asarray([np.nan if x is None else x for x in cv["best"]], dtype=np.float64)
            i = np.searchsorted(q, grid, side="right") - 1
            best = np.where(i >= 0, b[np.maximum(i, 0)], np.nan) if len(q) else np.full(len(grid), np.nan)
            sim = cv.get("grid_sim_seconds")
            parts.append(pd.DataFrame({
                "benchmark": r["benchmark"], "dataset": r["dataset"], "metric": r["metric"], "budget": r["budget"],
                "method": r["method"], "optimizer": opt, "seed": int(r["seed"]), "queries": grid,
                "best_so_far": best, "regret": float(cv["global_max"]) - best,
                "sim_seconds": np.asarray(sim, dtype=np.float64) if sim is not None else np.nan,
                "stop": cv.get("stop")}))
    want = pd.concat(parts, ignore_index=True).astype({"seed": "int64", "queries": "int64", "budget": "int64"})
    pd.testing.assert_frame_equal(curves_frame(cells, exp), want)
    keep = [cells[0]]  # every curve with a stop: the column's dtype is what pandas infers for strings
    keep[0] = {**cells[0], "curves": {"rs": curve}}
    want = parts[0].astype({"seed": "int64", "queries": "int64", "budget": "int64"})
    pd.testing.assert_frame_equal(curves_frame(keep, exp), want)
