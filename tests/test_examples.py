"""The examples show something: searches that do not use up their space, a smoke supernet that learns, and
outputs under results/.  (The README test runs examples/compare_demo.yaml in full and checks its searches.)"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SWEEPS = ["compare_demo.yaml", "large_grid.yaml"]
ONESHOT = ["oneshot_synthetic.yaml", "oneshot_mobilenet.yaml", "oneshot_macro_cifar10.yaml"]


def test_every_example_is_listed_and_loads():
    from lissnas_bench.experiments import load_config
    from lissnas_bench.oneshot.config import load_config as load_oneshot

    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == sorted(SWEEPS + ONESHOT)
    for name in SWEEPS:
        exp = load_config(EXAMPLES / name)
        assert "top-samples" not in [v.method for v in exp.shrinkers]  # its S' is what it queried: always used up
        assert exp.reference is not None and dict(exp.reference.params).get("radius", 1) >= 2
    for name in ONESHOT:
        cfg = load_oneshot(EXAMPLES / name)
        assert cfg.out_dir.startswith("results/") and (cfg.shrunk is None or cfg.shrunk.startswith("results/"))


def test_large_grid_searches_do_not_use_up_their_space(tmp_path):
    """Two targets and one seed of the grid: no search is exhausted (radius 1 or top-samples would be)."""
    import yaml

    import lissnas_bench as lb

    cfg = yaml.safe_load((EXAMPLES / "large_grid.yaml").read_text())
    cfg["seeds"] = [0]
    cfg["benchmarks"] = [{"benchmark": "analognas"}, {"benchmark": "nasbench-graph", "datasets": ["cora"]}]
    s = lb.run_sweep(cfg, tmp_path / "grid", workers=1, figures=False)
    assert s.failed == 0
    searches = s.searches
    assert len(searches) == 2 * 8 * 4 and not searches["search_exhausted"].any()
    by_opt = searches.groupby(["dataset", "method"])["best"].nunique()
    assert (by_opt > 1).any()  # the optimizers do not all report the same number


def test_oneshot_smoke_example_learns(tmp_path):
    pytest.importorskip("torch")
    from lissnas_bench.oneshot import load_config, train_supernet

    cfg = load_config(EXAMPLES / "oneshot_synthetic.yaml", [f"out_dir={tmp_path / 'o'}"])
    res = train_supernet(cfg, resume=False)
    losses = [h["loss"] for h in res["history"]]
    assert losses[0] > 2.2 and losses[-1] < 1.6, losses  # chance is ln 10 = 2.30
