"""Sweeps: configuration errors naming the field, grid expansion and cell keys, identical results from every
executor (serial, local processes, Dask), resume after SIGKILL, failing cells, folder refusal, the ``run`` command."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lissnas_bench.errors import DataFileError, InvalidConfig
from lissnas_bench.sweep import (
    DaskExecutor,
    LocalExecutor,
    SweepConfigError,
    expand,
    load_config,
    run_cell,
    run_sweep,
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
TIMING = ("shrink_seconds", "search_seconds", "wall_seconds")


def cfg(**changes):
    d = copy.deepcopy(BASE)
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def numbers(out) -> pd.DataFrame:
    df = pd.read_parquet(Path(out) / "results.parquet")
    return df.drop(columns=[c for c in TIMING if c in df.columns])


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


def test_expand_grid_and_keys():
    c = load_config(cfg(shrinkers=["full", {"method": "lissnas", "params": {"n": 20}, "grid": {"k": [2, 5]}}],
                        reference=None, seeds=[0, 4]))
    cells = expand(c)
    assert len(cells) == c.n_cells == 1 * 3 * 3 * 2
    assert [s.label for s in c.shrinkers] == ["full", "lissnas(n=20,k=2)", "lissnas(n=20,k=5)"]
    assert len({x["key"] for x in cells}) == len(cells)
    assert {x["seed"] for x in cells} == {0, 4}
    assert dict(c.shrinkers[1].params)["radius"] == 1  # defaults are filled in (they are part of the key)
    # a cell's key (and so its seed stream) does not depend on the rest of the grid, only on the cell itself
    bigger = expand(load_config(cfg(shrinkers=["full", {"method": "lissnas", "params": {"n": 20},
                                                        "grid": {"k": [2, 5, 10]}}], reference=None,
                                    seeds=[0, 4, 9])))
    assert {x["key"] for x in cells} <= {x["key"] for x in bigger}
    # ... but does depend on everything that changes its numbers
    other = expand(load_config(cfg(shrinkers=["full"], reference=None, search_budget=121, seeds=[0, 4])))
    assert not {x["key"] for x in other} & {x["key"] for x in cells}


def test_shrink_phase_is_the_comparisons(analognas):
    """A sweep cell's shrinker sees exactly the comparison runner's seed stream and budget."""
    from lissnas_bench.runner import _stable_int, run_cell as compare_cell, seed_sequence
    from lissnas_bench.shrinkers import get_shrinker

    c = load_config(cfg(shrinkers=[{"method": "lissnas", "params": {"n": 20, "k": 5}}], optimizers=["rs"],
                        seeds=[3]))
    rec = run_cell(expand(c)[0])
    ss = seed_sequence(0, _stable_int("analognas", "cifar10", "baseline_accuracy"), 3)
    ref = compare_cell(analognas, "cifar10", "baseline_accuracy", "lissnas", get_shrinker("lissnas", n=20, k=5),
                       budget=60, ss=ss)
    assert rec["row"]["shrunk_size"] == ref["row"]["size"]
    assert rec["row"]["shrink_queries"] == ref["row"]["queries"]


def test_cell_contents(analognas):
    cells = expand(load_config(cfg()))
    rec = run_cell(next(x for x in cells if x["shrinker"]["method"] == "random" and x["optimizer"]["method"] == "re"))
    row = rec["row"]
    assert row["status"] == "ok" and row["reference_size"] >= 1 and row["shrink_queries"] == 0
    assert row["search_total_queries"] <= 120 and row["shrunk_size"] == row["reference_size"]
    assert set(row) >= {"search_regret@120", "search_regret@60", "search_regret@30", "regret", "best_arch"}
    assert rec["curve"]["queries"][-1] == 120 and len(rec["curve"]["best"]) == len(rec["curve"]["queries"])
    full = run_cell(next(x for x in cells if x["shrinker"]["method"] == "full"))
    assert full["row"]["search_total_queries"] == 120 and full["row"]["shrunk_size"] == 15625


# ---------------------------------------------------------------------------------------------- executors
@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    s = run_sweep(cfg(), out, workers=1)
    assert (s.total, s.ran, s.skipped, s.failed) == (18, 18, 0, 0)
    return out


def test_outputs(serial_run):
    res = pd.read_parquet(serial_run / "results.parquet")
    assert len(res) == 18 and (res["status"] == "ok").all()
    assert list(res.columns[:9]) == ["cell", "benchmark", "dataset", "metric", "shrinker", "optimizer", "seed",
                                     "status", "error"]
    sm = pd.read_csv(serial_run / "summary.csv")
    assert len(sm) == 9 and (sm["n_seeds"] == 2).all() and "search_regret@120_ci95" in sm.columns
    curves = pd.read_parquet(serial_run / "curves.parquet")
    assert (curves.groupby("cell").size() == 22).all()  # 20 evenly spaced points, plus regret_at 30 and 60
    assert {30, 60, 120} <= set(curves["queries"]) and (curves["regret"] >= 0).all()
    man = json.loads((serial_run / "manifest.json").read_text())
    assert man["status"] == "complete" and man["cells"]["ok"] == 18 and len(man["keys"]) == 18
    assert sorted(p.name for p in (serial_run / "figures").iterdir()) == [
        "search_regret__analognas-cifar10-baseline_accuracy.png"]  # PNG only unless other formats are asked for


def test_local_processes_give_identical_results(serial_run, tmp_path):
    run_sweep(cfg(), tmp_path, executor=LocalExecutor(2, batch=3))
    pd.testing.assert_frame_equal(numbers(tmp_path), numbers(serial_run))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "curves.parquet"),
                                  pd.read_parquet(serial_run / "curves.parquet"))


def test_dask_gives_identical_results(serial_run, tmp_path):
    pytest.importorskip("distributed")
    s = run_sweep(cfg(), tmp_path, executor=DaskExecutor(local_workers=2, processes=False, batch=4))
    assert s.ran == 18 and s.failed == 0
    pd.testing.assert_frame_equal(numbers(tmp_path), numbers(serial_run))


def test_executor_options():
    from lissnas_bench.sweep import make_executor

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
    code = ("import sys; from lissnas_bench.sweep import run_sweep\n"
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
    assert 3 <= n_before < 36, f"the run was not killed mid-way ({n_before} cells)"
    assert not (out / "results.parquet").exists()

    s = run_sweep(big, out, workers=1, figures=False)
    assert s.skipped >= n_before - 1 and s.skipped + s.ran == 36 and s.failed == 0
    ref = tmp_path / "uninterrupted"
    run_sweep(big, ref, workers=1, figures=False)
    pd.testing.assert_frame_equal(numbers(out), numbers(ref))


def test_failing_cell_is_recorded_and_retried(tmp_path, monkeypatch):
    import lissnas_bench.sweep.cell as cell_mod

    real = cell_mod._run

    def flaky(spec):
        if spec["optimizer"]["method"] == "ls" and spec["seed"] == 1:
            raise RuntimeError("boom")
        return real(spec)

    monkeypatch.setattr(cell_mod, "_run", flaky)
    s = run_sweep(cfg(), tmp_path, workers=1, figures=False)
    assert (s.ran, s.failed) == (18, 3)
    res = pd.read_parquet(tmp_path / "results.parquet")
    bad = res[res["status"] == "failed"]
    assert len(bad) == 3 and (bad["error"] == "RuntimeError: boom").all() and (bad["optimizer"] == "ls").all()
    sm = pd.read_csv(tmp_path / "summary.csv")
    assert sm.loc[sm["optimizer"] == "ls", "n_failed"].tolist() == [1, 1, 1]
    monkeypatch.setattr(cell_mod, "_run", real)
    s = run_sweep(cfg(), tmp_path, workers=1, figures=False)
    assert (s.ran, s.skipped, s.failed) == (3, 15, 0)


def test_other_configuration_is_refused_unless_force(serial_run, tmp_path):
    run_sweep(cfg(optimizers=["rs"]), tmp_path, workers=1, figures=False)
    with pytest.raises(InvalidConfig, match="different configuration"):
        run_sweep(cfg(optimizers=["re"]), tmp_path, workers=1, figures=False)
    s = run_sweep(cfg(optimizers=["re"]), tmp_path, workers=1, figures=False, force=True)
    assert s.ran == 6 and len(list((tmp_path / "cells").glob("*.json"))) == 6


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
    d = json.loads(r.stdout)
    assert (d["total"], d["ran"], d["failed"]) == (6, 6, 0) and len(d["summary"]) == 6
    r = runner.invoke(app, ["run", str(p), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert r.exit_code == 0 and "0 ran, 6 skipped" in r.output and "analognas / cifar10" in r.output
    r = runner.invoke(app, ["run", str(p), "--workers", "1", "--dask-local", "2"])
    assert isinstance(r.exception, InvalidConfig)


def test_example_configs_validate():
    root = Path(__file__).resolve().parents[1] / "examples"
    demo = load_config(root / "compare_demo.yaml")
    assert demo.n_cells == 4 * 6 * 3 * 10 and demo.shrink_budget == 1000
    assert {s.method for s in demo.shrinkers} == {"full", "lissnas", "op-pruning", "top-samples", "single-region",
                                                 "random"}
    assert load_config(root / "large_grid.yaml").n_cells > 10_000

