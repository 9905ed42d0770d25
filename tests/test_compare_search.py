"""``compare --search``: shrink, then search inside S′ (and the full space as ``full``) at the same total budget."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli as run
from lissnas_bench.errors import InvalidConfig, UnknownName
from lissnas_bench.report import parse_summary_markdown, table_columns
from lissnas_bench.api import run_comparison, run_sweep
from lissnas_bench.experiments import FULL as SEARCH_FULL
from lissnas_bench.experiments import ComparisonConfig, Target, load_results, prepare
from lissnas_bench.experiments.protocol import UPPER_BOUND

OPTS = ("rs", "re", "ls")
B, B2 = 200, 400  # shrink budget, search budget (total per cell)
#: columns that measure the machine, not the method
TIMING = ["wall_seconds", "eval_seconds", "search_seconds"]

SMALL = dict(
    targets=(Target("analognas"), Target("nasbench-graph", "cora")),
    methods=("lissnas", "random", "top-samples"),
    seeds=2,
    budget=B,
    search=OPTS,
    search_budget=B2,
)


def small_config(**kw) -> ComparisonConfig:
    return ComparisonConfig(**{**SMALL, **kw})


def _strip(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in TIMING if c in df.columns]).reset_index(drop=True)


@pytest.fixture(scope="module")
def search_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("search") / "run"
    return out, run_comparison(small_config(), out, figures=False)  # test_search_figure draws them


# ---------------------------------------------------------------------------------------------- results
def test_search_columns_present_finite_and_within_budget(search_run):
    _, df = search_run
    n_targets, seeds = 2, 2
    assert len(df) == n_targets * seeds * (3 + 1)  # 3 shrinkers + the full-space baseline
    for opt in OPTS:
        for q in (B2, B2 // 2, B2 // 4):
            for kind in ("regret", "best"):
                col = f"search_{kind}@{q}[{opt}]"
                assert col in df.columns, col
                assert np.isfinite(df[col].astype(float)).all(), col
        assert (df[f"search_total_queries[{opt}]"] <= B2).all()
        assert (df[f"search_regret@{B2}[{opt}]"] >= df["search_domain_regret"] - 1e-12).all()
        # anytime: never worse with more queries when the oracle answers the truth (with a validation query the
        # incumbent, the best by validation, may have a worse test value than an earlier one)
        ub = df[df.protocol == UPPER_BOUND]
        assert len(ub) and (ub[f"search_regret@{B2}[{opt}]"] <= ub[f"search_regret@{B2 // 2}[{opt}]"] + 1e-12).all()
        assert (df[f"search_regret@{B2}[{opt}]"] >= 0).all()
    shrink = df[df.method != SEARCH_FULL]
    assert (shrink["queries"] <= B).all()
    for opt in OPTS:  # the shrinker's queries count against the total
        assert (shrink[f"search_queries[{opt}]"] + shrink["queries"] <= B2).all()
    # the search domain is S': its regret is the shrink's regret, its size |S'|
    assert np.allclose(shrink["search_domain_regret"], shrink["regret"].astype(float))
    assert (shrink["search_domain_size"] == shrink["size"]).all()


def test_full_space_baseline(search_run):
    out, df = search_run
    full = df[df.method == SEARCH_FULL]
    assert len(full) == 4 and sorted(set(zip(full.dataset, full.seed))) == [
        ("cifar10", 0), ("cifar10", 1), ("cora", 0), ("cora", 1)]
    for opt in OPTS:
        assert (full[f"search_total_queries[{opt}]"] == B2).all()  # a fresh oracle, the whole total budget
        assert (full[f"search_queries[{opt}]"] == B2).all()
    assert (full["search_domain_regret"] == 0).all()
    assert full["size"].isna().all() and full["regret"].isna().all()  # no shrink metrics
    assert (out / "cells" / "analognas-cifar10__full__seed000.json").exists()
    assert not (out / "spaces" / "analognas-cifar10__full__seed000.json").exists()
    # rows of a (target, seed) stay together, the baseline last
    assert list(df.method[:4]) == ["lissnas", "random", "top-samples", SEARCH_FULL]


def test_curves_match_the_columns(search_run):
    out, df = search_run
    curves = pd.read_parquet(out / "curves.parquet")
    assert list(curves.columns) == ["benchmark", "dataset", "metric", "budget", "method", "optimizer", "seed",
                                    "queries", "best_so_far", "regret", "sim_seconds", "stop"]
    assert set(curves.method) == {"lissnas", "random", "top-samples", SEARCH_FULL} and set(curves.optimizer) == set(
        OPTS)
    for (ds, m, opt, s), g in curves.groupby(["dataset", "method", "optimizer", "seed"]):
        g = g.sort_values("queries")
        assert g["queries"].iloc[0] == 1 and g["queries"].iloc[-1] == B2
        assert {B, B2 // 2, B2 // 4} <= set(g["queries"])
        reg = g["regret"].to_numpy()
        if ds == "cifar10":  # analognas: the oracle answers the truth, so regret never rises
            assert (np.diff(reg[np.isfinite(reg)]) <= 1e-12).all()
        assert (reg[np.isfinite(reg)] >= 0).all()
        row = df[(df.dataset == ds) & (df.method == m) & (df.seed == s)].iloc[0]
        for q in (B2, B2 // 2, B2 // 4):
            assert math.isclose(g.loc[g.queries == q, "regret"].iloc[0], row[f"search_regret@{q}[{opt}]"],
                                abs_tol=1e-12)


def test_summary_report_and_figure(search_run):
    out, _ = search_run
    results, summary, man = load_results(out)
    assert [o["method"] for o in man["config"]["optimizers"]] == list(OPTS) and man["config"]["search_budget"] == B2
    assert set(man["optimizers"]) == set(OPTS)
    for opt in OPTS:
        assert f"search_regret@{B2}[{opt}]_mean" in summary.columns
        assert f"search_regret@{B2}[{opt}]_std" in summary.columns
    cols = table_columns(summary)
    assert [c for c, _ in cols][-3:] == [f"search_regret@{B2}[{o}]" for o in OPTS]
    report = (out / "report.md").read_text()
    header, rows = parse_summary_markdown(report)
    assert header[4:] == [h for _, h in cols] and f"search regret@{B2} [re]" in header
    full_rows = [r for r in rows if r[2] == SEARCH_FULL]
    assert len(full_rows) == 2 and all(r[4] == "–" for r in full_rows)
    assert "**search**" in report and "curves.parquet" in report and "The `full` row" in report


def test_search_figure(tmp_path):
    """The report embeds, per target, regret against total queries per shrinker × optimizer."""
    out = tmp_path / "fig"
    run_comparison(small_config(targets=(Target("nasbench-graph", "cora"),), methods=("lissnas", "random"),
                                search=("rs", "ls")), out)
    report = (out / "report.md").read_text()
    key = "nasbench-graph-cora"
    assert f"![search_regret](figures/{key}/search_regret.png)" in report
    assert (out / "figures" / key / "search_regret.png").stat().st_size > 0
    assert (out / "figures" / "overview.png").exists() and (out / "figures" / key / "trace.png").exists()


def test_same_seed_same_results(search_run, tmp_path):
    out, df = search_run
    again = run_comparison(small_config(), tmp_path / "again", figures=False)
    pd.testing.assert_frame_equal(_strip(df), _strip(again))
    pd.testing.assert_frame_equal(_strip(df), _strip(pd.read_parquet(tmp_path / "again" / "results.parquet")))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "curves.parquet"),
                                  pd.read_parquet(tmp_path / "again" / "curves.parquet"))


def test_resume_with_search(search_run, tmp_path):
    """Cells are atomic: a run that lost some cells (killed mid-way) redoes exactly those, with the same numbers."""
    import shutil

    out, df = search_run
    part = tmp_path / "part"
    shutil.copytree(out, part)
    for name in ("results.parquet", "curves.parquet", "summary.csv"):
        (part / name).unlink()
    lost = ["analognas-cifar10__full__seed001", "nasbench-graph-cora__lissnas__seed000",
            "nasbench-graph-cora__random__seed001"]
    for key in lost:
        (part / "cells" / f"{key}.json").unlink()
    events = []
    again = run_comparison(small_config(), part, progress=events.append, figures=False)
    assert sorted(e["key"] for e in events if not e["skipped"]) == sorted(lost)
    assert len(events) == 16 and events[-1]["done"] == 16
    pd.testing.assert_frame_equal(_strip(df), _strip(again))
    # another search configuration in the same folder is refused without --force
    with pytest.raises(InvalidConfig, match="different configuration"):
        run_comparison(small_config(search=("re",)), part, figures=False)
    with pytest.raises(InvalidConfig, match="different configuration"):
        run_comparison(small_config(search_budget=B2 + 1), part, figures=False)
    with pytest.raises(InvalidConfig, match="different configuration"):
        run_comparison(small_config(search=(), search_budget=None), part, figures=False)


def test_same_numbers_as_the_sweep(search_run, tmp_path):
    """compare --search and a sweep are the same engine: a sweep's cell gives the same regret."""
    _, df = search_run
    s = run_sweep({"name": "x", "seeds": [1], "shrink_budget": B, "search_budget": B2,
                   "benchmarks": [{"benchmark": "nasbench-graph", "datasets": ["cora"]}],
                   "shrinkers": ["full", "lissnas", "random"], "optimizers": list(OPTS)}, tmp_path, workers=1,
                  figures=False)
    assert s.failed == 0 and len(s.searches) == 3 * len(OPTS)
    for _, row in s.searches.iterrows():
        mine = df[(df.dataset == "cora") & (df.seed == 1) & (df.method == row["method"])].iloc[0]
        opt = row["optimizer"]
        for q in (B2, B2 // 2, B2 // 4):
            assert mine[f"search_regret@{q}[{opt}]"] == pytest.approx(row[f"search_regret@{q}"], abs=1e-12)
        assert mine[f"search_total_queries[{opt}]"] == row["search_total_queries"]


# ---------------------------------------------------------------------------------------------- configuration
def test_config_validation_and_hash():
    cfg = small_config(search="rs, re", search_budget=None)
    assert cfg.search == ("rs", "re") and cfg.search_budget == 2 * B  # default: twice the shrink budget
    assert ComparisonConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(UnknownName, match="unknown optimizer 'sa'; accepted: rs, re, ls"):
        small_config(search=("rs", "sa"))
    with pytest.raises(InvalidConfig, match=f"search budget 150 < budget {B}"):
        small_config(search_budget=150)
    with pytest.raises(InvalidConfig, match="listed twice"):
        small_config(search=("re", "re"))
    with pytest.raises(InvalidConfig, match="no search optimizer"):
        small_config(search=(), search_budget=B2)
    # without search the configuration (and so its hash) is what it was before search existed
    plain = small_config(search=(), search_budget=None)
    assert "search" not in plain.to_dict() and "search_budget" not in plain.to_dict()
    hashes = {prepare(c).config_hash for c in (plain, small_config(), small_config(search=("re",)),
                                               small_config(search_budget=B2 + 2))}
    assert len(hashes) == 4
    assert prepare(small_config(search_budget=None, budget=B)).config_hash == prepare(
        small_config(search_budget=2 * B)).config_hash  # the default is the explicit value
    assert prepare(small_config()).n_cells == 2 * 2 * 4


# ---------------------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("extra, needle", [
    (["--search", "rs,bogus"], "unknown optimizer 'bogus'; accepted: rs, re, ls"),
    (["--search", "re", "--search-budget", "150"], "search budget 150 < budget 200"),
    (["--search", ","], "--search names no optimizer"),
    (["--search-budget", "400"], "--search-budget needs --search"),
])
def test_cli_errors_are_one_line_exit_2(capsys, tmp_path, extra, needle):
    code, out, err = run(capsys, "compare", "analognas", "--budget", B, *extra, "--out", tmp_path / "o")
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err
    assert not (tmp_path / "o").exists()


def test_cli_json_and_resume(capsys, tmp_path):
    base = ["compare", "analognas", "--methods", "lissnas,random", "--seeds", 1, "--budget", B, "--out", tmp_path,
            "--no-figures", "--json"]
    args = [*base, "--search", "re,ls"]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    recs = json.loads(out)["records"]
    assert [r["method"] for r in recs] == ["lissnas", "random", SEARCH_FULL]
    for r in recs:
        assert r[f"search_regret@{2 * B}[re]"] is not None and r[f"search_regret@{2 * B}[ls]"] is not None
        assert r["search_total_queries[re]"] <= 2 * B
        assert f"search_regret@{2 * B}[rs]" not in r
    assert recs[-1]["size"] is None  # the full-space baseline has no shrink metrics
    code, out2, err = run(capsys, *args)  # resumes: nothing recomputed, the same numbers
    assert code == 0, err

    def strip(rs):
        return [{k: v for k, v in r.items() if k not in TIMING} for r in rs]

    assert strip(json.loads(out2)["records"]) == strip(recs)
    code, text, err = run(capsys, *base[:-1], "--search", "re,ls")  # the human tables (resumed again)
    assert code == 0, err
    assert f"search regret@{2 * B} [re]" in text and f"search regret@{2 * B} [ls]" in text and "full" in text
    code, _, err = run(capsys, *base, "--search", "re")
    assert code == 2 and "different configuration" in err
    code, _, err = run(capsys, *base)  # nor without --search
    assert code == 2 and "different configuration" in err
