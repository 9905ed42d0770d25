"""``shrink --from FOLDER --method M --seed S``: exactly the cell (M, S) of a comparison, checked against its row."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from conftest import run_cli as run

TIMING = {"wall_seconds", "eval_seconds", "search_seconds"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A comparison with two datasets, two budgets and three seeds (noise in the oracle: nasbench-graph's
    valid_perf answers, perf judges)."""
    import lissnas_bench as lb

    out = tmp_path_factory.mktemp("from") / "cmp"
    cfg = lb.ComparisonConfig(targets=(lb.Target("nasbench-graph", "cora"), lb.Target("nasbench-graph", "pubmed")),
                              methods=("lissnas", "random", "top-samples"), seeds=3, budget=(200, 400),
                              root_seed=7, params={"lissnas": {"k": 5}})
    lb.run_comparison(cfg, out, figures=False)
    return out


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == b


@pytest.mark.parametrize("method, seed, dataset, budget", [("random", 2, "cora", 400), ("lissnas", 1, "pubmed", 200),
                                                           ("top-samples", 0, "cora", 200)])
def test_from_reproduces_the_row_exactly(capsys, tmp_path, folder, method, seed, dataset, budget):
    code, out, err = run(capsys, "shrink", "--from", folder, "nasbench-graph", "-d", dataset, "--method", method,
                         "--seed", seed, "--budget", budget, "--out", tmp_path, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["from"]["matches"] is True and doc["budget"] == budget
    row = pd.read_parquet(folder / "results.parquet")
    row = row[(row.method == method) & (row.seed == seed) & (row.dataset == dataset) & (row.budget == budget)]
    assert len(row) == 1
    stored = row.iloc[0].to_dict()
    got = doc["metrics"]
    assert got["cell_seed"] == stored["cell_seed"] and got["query_metric"] == "valid_perf"
    diff = {k: (v, stored.get(k)) for k, v in got.items() if k not in TIMING and not _same(v, stored.get(k))}
    assert not diff
    if method == "lissnas":
        assert doc["params"]["k"] == 5  # the folder's parameters, not the defaults


def test_from_human_output_says_it_matches(capsys, tmp_path, folder):
    code, out, err = run(capsys, "shrink", "--from", folder, "nasbench-graph", "-d", "cora", "--method", "random",
                         "--seed", 0, "--budget", 200, "--out", tmp_path)
    assert code == 0, err
    assert "its metrics equal the folder's row" in out and "__random__seed000" in out


@pytest.mark.parametrize("args, needle", [
    (["--method", "op-pruning", "--seed", "0", "-d", "cora", "--budget", "200"],
     "holds no method 'op-pruning'; its methods are lissnas, random, top-samples"),
    (["--method", "random", "--seed", "9", "-d", "cora", "--budget", "200"], "holds no seed 9; its seeds are 0..2"),
    (["--method", "random", "--seed", "0", "-d", "cora"], "several budgets (200, 400): pick one with --budget"),
    (["--method", "random", "--seed", "0", "-d", "cora", "--budget", "300"], "holds no budget 300"),
    (["--method", "random", "--seed", "0", "--budget", "200"], "holds 2 targets: name one with BENCH and --dataset"),
    (["--method", "random", "--seed", "0", "-d", "arxiv", "--budget", "200"], "holds no target"),
    (["--method", "random", "--seed", "0", "-d", "cora", "--budget", "200", "--param", "size=5"],
     "drop --param"),
    (["--method", "random", "--seed", "0", "-d", "cora", "--budget", "200", "--q", "0.05"], "drop --q"),
])
def test_from_refuses_what_the_folder_does_not_hold(capsys, tmp_path, folder, args, needle):
    code, out, err = run(capsys, "shrink", "--from", folder, *args, "--out", tmp_path / "o")
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err
    assert not (tmp_path / "o").exists()


def test_from_a_folder_that_is_not_one(capsys, tmp_path):
    code, _, err = run(capsys, "shrink", "--from", tmp_path, "--out", tmp_path / "o")
    assert code == 2 and "not a results folder" in err and len(err.strip().splitlines()) == 1


def test_from_a_sweep_with_labels(capsys, tmp_path):
    """A sweep's labelled variants (a LISSNAS grid) and its explicit seed list: --method takes the label."""
    import lissnas_bench as lb

    out = tmp_path / "sweep"
    cfg = {"name": "t", "seeds": [3, 8], "root_seed": 5, "shrink_budget": 200, "search_budget": 300,
           "benchmarks": [{"benchmark": "analognas"}], "shrinkers": [
               {"method": "lissnas", "grid": {"k": [5, 10]}}, "random"], "reference": "lissnas", "optimizers": ["rs"]}
    lb.run_sweep(cfg, out, workers=1, figures=False)
    labels = json.loads((out / "manifest.json").read_text())["methods"]
    assert "lissnas(k=5)" in labels
    code, o, err = run(capsys, "shrink", "--from", out, "--method", "lissnas", "--seed", 8, "--out", tmp_path / "a")
    assert code == 2 and "several variants of 'lissnas'" in err
    code, o, err = run(capsys, "shrink", "--from", out, "--method", "lissnas(k=5)", "--seed", 8,
                       "--out", tmp_path / "b", "--json")
    assert code == 0, err
    doc = json.loads(o)
    assert doc["from"]["matches"] is True and doc["params"]["k"] == 5
    code, o, err = run(capsys, "shrink", "--from", out, "--method", "random", "--seed", 3, "--out", tmp_path / "c",
                       "--json")
    assert code == 0, err
    assert json.loads(o)["from"]["matches"] is True  # sized like the sweep's reference, lissnas (its defaults)
