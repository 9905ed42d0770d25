"""Regression pins: a few comparison and sweep cells' numbers, recorded with the engine before it was merged into
``lissnas_bench.experiments`` (tests/data/pinned_cells.json).  The engine may change its layout, never these
numbers for the same configuration and seeds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from lissnas_bench.api import run_comparison, run_sweep
from lissnas_bench.experiments import ComparisonConfig, Target

PINNED = json.loads((Path(__file__).parent / "data" / "pinned_cells.json").read_text())


def _same(got, want, where: str) -> None:
    if want is None:
        assert got is None or got is pd.NA or (isinstance(got, float) and math.isnan(got)), where
    else:
        assert float(got) == pytest.approx(want, rel=1e-12, abs=1e-12), where


def test_comparison_cells_are_pinned(tmp_path):
    c = PINNED["comparison"]["config"]
    cfg = ComparisonConfig(targets=tuple(Target(*t) for t in c["targets"]), seeds=c["seeds"], budget=c["budget"],
                           search=tuple(c["search"]), search_budget=c["search_budget"], params=c.get("params", {}))
    df = run_comparison(cfg, tmp_path / "c", figures=False)
    for want in PINNED["comparison"]["rows"]:
        sel = df[(df["benchmark"] == want["benchmark"]) & (df["dataset"] == want["dataset"])
                 & (df["method"] == want["method"]) & (df["seed"] == want["seed"])]
        assert len(sel) == 1, want
        row = sel.iloc[0]
        for k, v in want.items():
            if k not in ("benchmark", "dataset", "method", "seed"):
                _same(row[k], v, f"{want['benchmark']}/{want['method']}/seed{want['seed']}: {k}")


def test_sweep_cells_are_pinned(tmp_path):
    s = run_sweep(PINNED["sweep"]["config"], tmp_path / "s", workers=1, figures=False)
    df = s.searches
    for want in PINNED["sweep"]["rows"]:
        sel = df[(df["benchmark"] == want["benchmark"]) & (df["dataset"] == want["dataset"])
                 & (df["method"] == want["shrinker"]) & (df["optimizer"] == want["optimizer"])
                 & (df["seed"] == want["seed"])]
        assert len(sel) == 1, want
        row = sel.iloc[0]
        for k, v in want.items():
            if k not in ("benchmark", "dataset", "shrinker", "optimizer", "seed"):
                _same(row[k], v, f"{want['shrinker']}/{want['optimizer']}/seed{want['seed']}: {k}")
