"""``lissnas-bench shrink | compare | demo``: outputs, JSON, resume and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli as run
from lissnas_bench.errors import LissnasBenchError




# ---------------------------------------------------------------------------------------------- shrink
def test_shrink_writes_space_and_metrics(capsys, tmp_path, analognas):
    from lissnas_bench.shrinkers import load_shrunk

    code, out, err = run(capsys, "shrink", "analognas", "--budget", 300, "--seed", 3, "--param", "k=5",
                         "--out", tmp_path, "--json")
    assert code == 0, err
    doc = json.loads(out)
    m = doc["metrics"]
    assert m["method"] == "lissnas" and m["seed"] == 3 and m["queries"] <= 300
    assert doc["params"]["k"] == 5
    space = load_shrunk(doc["space_file"], analognas.space)
    assert space.size == m["size"]
    saved = json.loads(Path(doc["metrics_file"]).read_text())
    assert saved["metrics"]["size"] == m["size"]
    # the same seed gives the same space; the rich table names the metrics
    code, out, _ = run(capsys, "shrink", "analognas", "--budget", 300, "--seed", 3, "--param", "k=5",
                       "--out", tmp_path / "again")
    assert code == 0
    assert "regret" in out and "shrunk space:" in out
    again = load_shrunk(next((tmp_path / "again").glob("*.space.json")), analognas.space)
    assert np.array_equal(again.enumerate(), space.enumerate())


def test_shrink_size_matched_baseline_gets_a_reference(capsys, tmp_path):
    code, out, err = run(capsys, "shrink", "nasbench-graph", "-d", "citeseer", "--method", "random", "--budget",
                         300, "--out", tmp_path, "--json")
    assert code == 0, err
    m = json.loads(out)["metrics"]
    assert m["size"] == m["reference_size"] > 0
    code, out, err = run(capsys, "shrink", "nasbench-graph", "-d", "citeseer", "--method", "random",
                         "--reference-size", 77, "--out", tmp_path, "--json")
    assert code == 0, err
    assert json.loads(out)["metrics"]["size"] == 77


# ---------------------------------------------------------------------------------------------- compare
def test_compare_json_records_and_resume(capsys, tmp_path):
    args = ["compare", "analognas", "--methods", "lissnas,random,top-samples", "--seeds", 2, "--budget", 200,
            "--param", "lissnas.k=5", "--out", tmp_path, "--no-figures", "--json"]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    recs = json.loads(out)["records"]
    assert len(recs) == 3 * 2
    assert {r["method"] for r in recs} == {"lissnas", "random", "top-samples"}
    for key in ("size", "log10_reduction", "mean", "median", "best", "regret", "recall", "precision",
                "enrichment", "shrink_index", "coverage", "entropy", "pairwise_distance", "pockets", "queries",
                "sim_seconds", "wall_seconds", "seed", "dataset", "metric", "benchmark"):
        assert key in recs[0], key
    df = pd.read_parquet(tmp_path / "results.parquet")
    assert len(df) == 6
    # the same command again resumes: nothing is recomputed, the numbers are the same
    code, out2, _ = run(capsys, *args)
    assert code == 0
    again = json.loads(out2)["records"]

    def strip(rs):
        return [{k: v for k, v in r.items() if k not in ("wall_seconds", "eval_seconds")} for r in rs]

    assert strip(again) == strip(recs)
    # the human output: a table per dataset and where the report is
    code, text, _ = run(capsys, *args[:-1])
    assert code == 0
    assert "report:" in text and "report.md" in text and "lissnas" in text
    assert "![size_tradeoff]" not in (tmp_path / "report.md").read_text()


def test_compare_table_file(capsys, tmp_path, analognas):
    """--table PATH --space nb201 --arch-column COL works as on every command."""
    table = tmp_path / "nb201.csv"
    pd.DataFrame({"cell": analognas.space.to_strings(analognas.archs),
                  "acc": analognas.column("cifar10", "baseline_accuracy")}).to_csv(table, index=False)
    code, out, err = run(capsys, "compare", "--table", table, "--space", "nb201", "--arch-column", "cell",
                         "--methods", "lissnas,random", "--seeds", 1, "--budget", 200, "--out", tmp_path / "o",
                         "--no-figures", "--json")
    assert code == 0, err
    recs = json.loads(out)["records"]
    assert len(recs) == 2 and {r["metric"] for r in recs} == {"acc"}
    assert recs[0]["benchmark"] == recs[1]["benchmark"] and recs[0]["benchmark"].startswith("table:")
    assert recs[0]["size"] == recs[1]["size"] and recs[0]["queries"] <= 200
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert man["targets"][0]["arch_column"] == "cell" and man["targets"][0]["space"] == "nb201"


# ---------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "argv, needle",
    [
        (["compare", "analognas", "--methods", "lissnas,bogus"], "unknown method 'bogus'"),
        (["compare", "analognas", "--param", "lissnas.kk=1"], "unknown parameter 'kk'"),
        (["compare", "analognas", "--param", "k=1"], "METHOD.KEY=VALUE"),
        (["compare", "analognas", "--param", "lissnas.k=abc"], "k must be an integer, got 'abc'"),
        (["compare", "analognas", "--budget", "50"], "budget 50 < n=100"),
        (["compare", "analognas", "--param", "lissnas.radius=0"], "radius must be >= 1"),
        (["compare", "analognas", "--param", "lissnas.k=200"], "k=200 > n=100"),
        (["compare", "analognas", "--q", "1.5"], "q must be in (0, 1)"),
        (["compare", "analognas", "--q", "0"], "q must be in (0, 1)"),
        (["compare", "analognas", "--proxy", "nonsense_metric"], "proxy"),
        (["compare", "analognas", "--seeds", "0"], "seeds must be >= 1"),
        (["compare", "analognas", "-d", "mnist"], "unknown dataset 'mnist'"),
        (["compare"], "name a benchmark"),
        (["shrink", "analognas", "--method", "bogus"], "unknown method 'bogus'"),
        (["shrink", "analognas", "--param", "radius=0"], "radius must be >= 1"),
        (["shrink", "analognas", "--budget", "10"], "budget 10 < n=100"),
        (["shrink", "analognas", "--q", "-0.1"], "q must be in (0, 1)"),
        (["shrink", "analognas", "--param", "n=5", "--param", "k=6"], "k=6 > n=5"),
    ],
)
def test_errors_are_one_line_exit_2(capsys, tmp_path, argv, needle):
    code, out, err = run(capsys, *argv, "--out", tmp_path / "o")
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and needle in lines[0], lines[0]
    assert not (tmp_path / "o").exists()  # validated before anything ran


def test_proxy_missing_architectures_exit_2(capsys, tmp_path, analognas):
    csv = tmp_path / "scores.csv"
    pd.DataFrame({"arch": analognas.space.to_strings(analognas.archs[:10]), "score": np.arange(10.0)}).to_csv(
        csv, index=False)
    code, _, err = run(capsys, "compare", "analognas", "--proxy", f"csv:{csv}", "--out", tmp_path / "o")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "proxy" in err.lower()


def test_different_config_refused_without_force(capsys, tmp_path):
    base = ["compare", "analognas", "--methods", "lissnas,random", "--seeds", 1, "--out", tmp_path, "--no-figures",
            "--json"]
    assert run(capsys, *base, "--budget", 200)[0] == 0
    code, _, err = run(capsys, *base, "--budget", 300)
    assert code == 2 and "different configuration" in err and "--force" in err
    code, out, err = run(capsys, *base, "--budget", 300, "--force")
    assert code == 0, err
    assert json.loads((tmp_path / "manifest.json").read_text())["config"]["budgets"] == [300]


# ---------------------------------------------------------------------------------------------- demo
def test_demo_small(capsys, tmp_path, monkeypatch):
    """The demo's pipeline on two seeds and a small budget, without figures (test_compare draws them): it writes
    only into --out unless --docs / --readme ask, and what it writes there is generated from the statistics."""
    from lissnas_bench.commands.shrink import README_END, README_START

    monkeypatch.chdir(tmp_path)  # nothing may appear outside --out (the working folder, the source tree)
    docs, readme = tmp_path / "docs", tmp_path / "README.md"
    readme.write_text(f"# T\n{README_START}\nold\n{README_END}\nrest\n")
    code, out, err = run(capsys, "demo", "--out", tmp_path / "demo", "--seeds", 2, "--budget", 200,
                         "--workers", 1, "--no-figures")
    assert code == 0 and "report:" in out, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "demo"] and "old" in readme.read_text()
    df = pd.read_parquet(tmp_path / "demo" / "results.parquet")
    assert set(df["dataset"]) >= {"cifar10", "cora", "citeseer", "pubmed"}
    assert set(df["method"]) == {"lissnas", "op-pruning", "random", "single-region", "top-samples"}
    assert set(df.loc[df.benchmark == "nasbench-graph", "query_metric"]) == {"valid_perf"}
    code, out, err = run(capsys, "demo", "--out", tmp_path / "demo", "--seeds", 2, "--budget", 200,
                         "--workers", 1, "--no-figures", "--docs", docs, "--readme", readme)
    assert code == 0, err
    md = (docs / "summary.md").read_text()
    assert "oracle = truth: noise-free upper bound" in md and "query valid_perf; truth perf" in md
    assert "| nasbench-graph | pubmed | 200 | random |" in md and "paired seeds" in md
    text = readme.read_text()
    assert "old" not in text and md.rstrip("\n") in text and text.endswith(f"{README_END}\nrest\n")


def test_update_readme_between_markers(tmp_path):
    from lissnas_bench.commands.shrink import README_END, README_START, update_readme
    from lissnas_bench.errors import DataFileError

    table = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nintro\n{README_START}\nold table\n{README_END}\n\nrest\n")
    assert update_readme(readme, table) == readme
    text = readme.read_text()
    assert "old table" not in text and "| 1 | 2 |" in text and text.startswith("# Title\n\nintro\n")
    assert text.endswith(f"{README_END}\n\nrest\n")
    assert update_readme(readme, table) == readme and readme.read_text() == text  # idempotent
    plain = tmp_path / "PLAIN.md"
    plain.write_text("no markers\n")
    with pytest.raises(DataFileError, match="no .* block"):
        update_readme(plain, table)
    assert plain.read_text() == "no markers\n"
    (tmp_path / "link.md").symlink_to(readme)
    with pytest.raises(LissnasBenchError, match="symbolic link"):
        update_readme(tmp_path / "link.md", table)


def test_results_are_never_written_through_links(capsys, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "cells").symlink_to(elsewhere)
    code, _, err = run(capsys, "compare", "analognas", "--methods", "lissnas", "--seeds", 1, "--budget", 200,
                       "--out", out, "--force", "--no-figures")
    assert code == 2 and "symbolic link" in err and err.count("\n") == 1
    assert not any(elsewhere.iterdir())
