"""``lissnas-bench sensitivity``: LISSNAS's parameters swept on one target, a table and heatmaps."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli
from lissnas_bench.errors import LissnasBenchError
from lissnas_bench.experiments import Target
from lissnas_bench.experiments.sensitivity import parse_grid, sensitivity_experiment


def test_cli_sensitivity(capsys, tmp_path):
    code, out, err = run_cli(capsys, "sensitivity", "analognas", "--vary", "k=5,10", "--vary", "radius=1,2",
                             "--fix", "n=50", "--seeds", 2, "--budget", 300, "--out", tmp_path, "--json")
    assert code == 0, err
    d = json.loads(out)
    assert len(d["table"]) == 4 and {"k", "radius", "recall_mean", "size_mean", "good_pockets_mean",
                                     "queries_mean"} <= set(d["table"][0])
    assert (tmp_path / "figures" / "sensitivity.png").stat().st_size > 0 and (tmp_path / "sensitivity.csv").exists()
    big = [r for r in d["table"] if r["radius"] == "2"]
    small = [r for r in d["table"] if r["radius"] == "1"]
    assert min(r["size_mean"] for r in big) > max(r["size_mean"] for r in small)  # radius 2 balls are larger


@pytest.mark.parametrize("grid, fixed, match", [
    ({"k": [5], "radius": [1], "n": [100]}, {}, "one or two"),
    ({"kk": [5]}, {}, "unknown LISSNAS parameter 'kk'"),
    ({"k": [5]}, {"k": 3}, "both varied and fixed"),
    ({"k": [0]}, {}, "k must be >= 1"),
])
def test_bad_grids(grid, fixed, match):
    with pytest.raises(LissnasBenchError, match=match):
        sensitivity_experiment(Target("analognas"), grid, fixed)


def test_parse_grid_errors():
    assert parse_grid(["k=5,10"]) == {"k": ["5", "10"]}
    for bad in (["k"], ["k="], ["=5"]):
        with pytest.raises(LissnasBenchError, match="NAME=V1,V2"):
            parse_grid(bad)
    with pytest.raises(LissnasBenchError, match="twice"):
        parse_grid(["k=1", "k=2"])
