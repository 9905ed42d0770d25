"""The comparison engine (lissnas_bench.runner): determinism, resume after SIGKILL, refusal, validation, report."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lissnas_bench.errors import InvalidConfig, LissnasBenchError, UnknownName
from lissnas_bench.report import parse_fmt, parse_summary_markdown, table_columns
from lissnas_bench.runner import ComparisonConfig, Target, load_results, prepare, run_comparison

ROOT = Path(__file__).resolve().parents[1]
#: columns that measure the machine, not the method
TIMING = ["wall_seconds", "eval_seconds"]

SMALL = dict(
    targets=(Target("analognas", proxy="noisy_accuracy"), Target("nasbench-graph", "cora")),
    seeds=2,
    budget=300,
)


def small_config(**kw) -> ComparisonConfig:
    return ComparisonConfig(**{**SMALL, **kw})


def _strip(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in TIMING if c in df.columns]).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    """One uninterrupted small comparison, with figures and report."""
    out = tmp_path_factory.mktemp("ref") / "run"
    df = run_comparison(small_config(), out)
    return out, df


# ---------------------------------------------------------------------------------------------- outputs
def test_outputs_and_rows(reference_run):
    out, df = reference_run
    for name in ("results.parquet", "summary.csv", "manifest.json", "traces.parquet", "distributions.parquet",
                 "report.md", "figures/overview.png"):
        assert (out / name).exists(), name
    assert not (out / "figures/overview.svg").exists()  # PNG only unless other formats are asked for
    cfg = small_config()
    n_methods = 5
    assert len(df) == len(cfg.targets) * cfg.seeds * n_methods
    for col in ("method", "seed", "dataset", "metric", "benchmark", "queries", "sim_seconds", "wall_seconds",
                "size", "log10_reduction", "mean", "median", "best", "regret", "recall", "precision", "enrichment",
                "shrink_index", "coverage", "entropy", "pairwise_distance", "pockets"):
        assert col in df.columns, col
    # budgets are never exceeded
    assert (df["queries"] <= cfg.budget).all()
    # size-matched baselines copy LISSNAS's |S'| of the same (benchmark, dataset, seed) cell
    for _, g in df.groupby(["benchmark", "dataset", "seed"]):
        ref = int(g.loc[g.method == "lissnas", "size"].iloc[0])
        assert int(g.loc[g.method == "random", "size"].iloc[0]) == ref
        assert (g.loc[g.method == "random", "reference_size"] == ref).all()
    # Kendall tau only where a proxy was given
    assert df.loc[df.benchmark == "analognas", "kendall_tau_shrunk"].notna().all()
    assert (out / "figures/analognas-cifar10/kendall.png").exists()
    assert not (out / "figures/nasbench-graph-cora/kendall.png").exists()
    for fig in ("distribution", "size_tradeoff", "diversity", "retention", "trace"):
        assert (out / f"figures/nasbench-graph-cora/{fig}.png").exists()
    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "complete"
    assert man["versions"]["numpy"] == np.__version__
    assert {t["data_hash"] for t in man["targets"]} and all(len(t["data_hash"]) == 64 for t in man["targets"])
    assert len(man["seeds"]) == 4
    traces = pd.read_parquet(out / "traces.parquet")
    assert set(traces.loc[traces.method == "lissnas", "seed"]) == {0, 1}
    assert {"iteration", "size", "sample_mean", "sample_best", "queries", "accepted"} <= set(traces.columns)


def test_shrunk_spaces_reload(reference_run, analognas):
    from lissnas_bench.shrinkers import load_shrunk

    out, df = reference_run
    rows = df[df.benchmark == "analognas"]
    for _, r in rows.iterrows():
        key = f"analognas-cifar10__{r['method']}__seed{r['seed']:03d}"
        space = load_shrunk(out / "spaces" / f"{key}.json", analognas.space)
        assert space.size == r["size"]


def test_style_palette_is_seaborns():
    import seaborn as sns

    from lissnas_bench.plots.style import COLORBLIND, method_color, palette

    assert list(COLORBLIND) == sns.color_palette("colorblind", 10).as_hex()
    assert method_color("lissnas") == palette()[0]
    assert method_color("some-new-method") == method_color("some-new-method")


def test_same_seed_same_results(reference_run, tmp_path):
    _, df = reference_run
    again = run_comparison(small_config(), tmp_path / "again", figures=False)
    pd.testing.assert_frame_equal(_strip(df), _strip(again))
    on_disk = pd.read_parquet(tmp_path / "again" / "results.parquet")
    pd.testing.assert_frame_equal(_strip(df), _strip(on_disk))
    other = run_comparison(small_config(root_seed=1), tmp_path / "other", figures=False)
    assert not np.array_equal(other["cell_seed"].to_numpy(), df["cell_seed"].to_numpy())


def test_report_regenerates_the_numbers(reference_run):
    """report.md's summary table is summary.csv, and summary.csv is results.parquet's mean ± std over seeds."""
    out, _ = reference_run
    results, summary, _ = load_results(out)
    header, rows = parse_summary_markdown((out / "report.md").read_text())
    cols = table_columns(summary)
    assert header[:4] == ["benchmark", "dataset", "method", "seeds"]
    assert header[4:] == [h for _, h in cols]
    assert len(rows) == len(summary)
    for row, (_, s) in zip(rows, summary.iterrows()):
        assert row[:3] == [s["benchmark"], s["dataset"], s["method"]]
        g = results[(results.benchmark == s["benchmark"]) & (results.dataset == s["dataset"])
                    & (results.method == s["method"])]
        assert int(row[3]) == len(g) == s["n_seeds"]
        for cell, (c, _) in zip(row[4:], cols):
            mean_s, _, std_s = cell.partition(" ± ")
            want_mean, want_std = g[c].mean(), g[c].std(ddof=1)
            assert _close(s[f"{c}_mean"], want_mean, 1e-12)
            assert _close(parse_fmt(mean_s), want_mean, 1e-3), (c, cell)
            if std_s:
                assert _close(parse_fmt(std_s), want_std, 0.06), (c, cell)
            else:  # no std shown: one seed, or nothing to average
                assert math.isnan(want_std)


def _close(a, b, rel) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


def test_copy_to_docs(reference_run, tmp_path):
    """What `demo --docs` writes for the README: the report's findings and the overview figure."""
    from lissnas_bench.commands.shrink import copy_to_docs

    out, _ = reference_run
    written = copy_to_docs(out, tmp_path / "docs")
    assert sorted(p.name for p in written) == ["overview.png", "summary.md"]  # and the SVG where there is one
    md = (tmp_path / "docs" / "summary.md").read_text()
    report = (out / "report.md").read_text()
    assert "## Findings" in report and all(line in report for line in md.splitlines() if line.startswith("- "))
    assert (tmp_path / "docs" / "overview.png").read_bytes() == (out / "figures" / "overview.png").read_bytes()


def test_notebook_reads_the_results(reference_run, monkeypatch):
    """notebooks/01_compare_shrinkers.ipynb on the reference run (LISSNAS_RESULTS); without it the notebook makes
    its own tiny run (what `pytest --nbmake notebooks/` exercises)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    out, _ = reference_run
    monkeypatch.setenv("LISSNAS_RESULTS", str(out))
    nb = nbformat.read(ROOT / "notebooks" / "01_compare_shrinkers.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert f"results folder: {out}" in text and "five best" in text


# ---------------------------------------------------------------------------------------------- resume
_KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from lissnas_bench.runner import ComparisonConfig, Target, run_comparison
    cfg = ComparisonConfig(targets=(Target("analognas", proxy="noisy_accuracy"), Target("nasbench-graph", "cora")),
                           seeds=2, budget=300)
    def slow(ev):  # slow the run down so that the test can kill it in the middle
        if not ev["skipped"]:
            time.sleep(0.25)
    run_comparison(cfg, sys.argv[1], progress=slow)
""")


def test_resume_after_sigkill(reference_run, tmp_path):
    _, ref = reference_run
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, str(out)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (out / "cells").exists() and len(list((out / "cells").glob("*.json"))) >= 4:
                break
            if proc.poll() is not None:
                pytest.fail(f"the run ended (rc {proc.returncode}) before it could be killed")
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    finished = sorted(p.name for p in (out / "cells").glob("*.json"))
    assert 4 <= len(finished) < 20
    for p in (out / "cells").glob("*.json"):
        json.loads(p.read_text())  # every finished cell is whole
    assert not (out / "results.parquet").exists()

    events = []
    df = run_comparison(small_config(), out, progress=events.append, figures=False)
    skipped = sorted(e["key"] + ".json" for e in events if e["skipped"])
    assert skipped == finished  # nothing finished was lost or recomputed
    assert len(events) == 20 and events[-1]["done"] == 20
    pd.testing.assert_frame_equal(_strip(df), _strip(ref))


def test_rerun_skips_everything(reference_run):
    out, ref = reference_run
    events = []
    df = run_comparison(small_config(), out, progress=events.append, figures=False)
    assert all(e["skipped"] for e in events) and len(events) == len(ref)
    pd.testing.assert_frame_equal(_strip(df), _strip(ref))


def test_different_config_refused_unless_force(tmp_path):
    cfg = ComparisonConfig(targets=(Target("analognas"),), methods=("lissnas", "random"), seeds=1, budget=200)
    run_comparison(cfg, tmp_path, figures=False)
    (tmp_path / "notes.txt").write_text("mine")
    other = ComparisonConfig(targets=(Target("analognas"),), methods=("lissnas", "random"), seeds=1, budget=250)
    with pytest.raises(InvalidConfig, match="different configuration.*--force"):
        run_comparison(other, tmp_path, figures=False)
    df = run_comparison(other, tmp_path, force=True, figures=False)
    assert (df["queries"] <= 250).all()
    man = json.loads((tmp_path / "manifest.json").read_text())
    assert man["config"]["budgets"] == [250]
    assert (tmp_path / "notes.txt").read_text() == "mine"  # --force clears only what a comparison writes


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(methods=("lissnas", "nope")), "unknown method 'nope'"),
        (dict(params={"lissnas": {"kk": 3}}), "unknown parameter 'kk'"),
        (dict(budget=50), "budget 50 < n=100"),
        (dict(params={"lissnas": {"radius": 0}}), "radius must be >= 1"),
        (dict(params={"lissnas": {"k": 20, "n": 10}}), "k=20 > n=10"),
        (dict(q=1.5), r"q must be in \(0, 1\)"),
        (dict(q=0), r"q must be in \(0, 1\)"),
        (dict(seeds=0), "seeds must be >= 1"),
        (dict(methods=("random",)), "add lissnas"),
        (dict(params={"op-pruning": {"n": 5}}, methods=("lissnas",)), "not compared"),
        (dict(targets=(Target("analognas", "nope"),)), "unknown dataset 'nope'"),
        (dict(targets=(Target("analognas", metric="nope"),)), "unknown metric 'nope'"),
    ],
)
def test_bad_config_is_one_clear_error_before_any_cell(tmp_path, kw, match):
    with pytest.raises(LissnasBenchError, match=match):
        run_comparison(small_config(**kw), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_proxy_missing_architectures(tmp_path, analognas):
    csv = tmp_path / "scores.csv"
    strings = analognas.space.to_strings(analognas.archs[:50])
    pd.DataFrame({"arch": strings, "score": np.arange(50.0)}).to_csv(csv, index=False)
    with pytest.raises(LissnasBenchError, match="(?i)proxy"):
        prepare(small_config(targets=(Target("analognas", proxy=f"csv:{csv}"),)))


def test_unknown_method_lists_the_accepted_ones():
    with pytest.raises(UnknownName) as e:
        prepare(small_config(methods=("lissnass",)))
    assert "lissnas, op-pruning" in str(e.value) or "lissnas" in str(e.value)


def test_config_roundtrip_and_hash():
    a = prepare(small_config(params={"lissnas": {"k": "10"}}))
    b = prepare(small_config(params={"lissnas": {"k": 10}}))
    c = prepare(small_config())
    assert a.config_hash == b.config_hash == c.config_hash  # the same effective configuration
    assert prepare(small_config(budget=301)).config_hash != c.config_hash
    cfg = small_config(params={"lissnas": {"k": 5}})
    assert ComparisonConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_a_failed_run_without_results_does_not_block_another_configuration(tmp_path):
    """A run that failed before finishing any cell left a manifest but nothing to protect: another configuration
    takes the folder over (one holding finished cells is still refused)."""
    (tmp_path / "manifest.json").write_text(json.dumps({"config_hash": "0123456789abcdef", "status": "running"}))
    cfg = ComparisonConfig(targets=(Target("analognas"),), methods=("lissnas",), seeds=1, budget=200)
    run_comparison(cfg, tmp_path, figures=False)
    assert json.loads((tmp_path / "manifest.json").read_text())["status"] == "complete"
    other = ComparisonConfig(targets=(Target("analognas"),), methods=("lissnas",), seeds=1, budget=250)
    with pytest.raises(InvalidConfig, match="different configuration"):
        run_comparison(other, tmp_path, figures=False)
