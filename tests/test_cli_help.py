"""What the CLI shows: --version, help that reads at 80 columns, tables that never cut a method name, `query`
naming what it printed, `benchmarks ID`, `methods`."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import run_cli as run

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def _commands():
    import typer

    from lissnas_bench.cli import app

    def walk(cmd, path):
        yield path
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    return list(walk(typer.main.get_command(app), []))


def test_version(capsys):
    import lissnas_bench

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"lissnas-bench {lissnas_bench.__version__}"


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "lissnas-bench")
def test_help_fits_80_columns_without_placeholders(capsys, monkeypatch, path):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run(capsys, *path, "--help")
    assert code == 0, err
    assert out.startswith("Usage: lissnas-bench")
    too_wide = [ln for ln in out.splitlines() if len(ln) > 80]
    assert not too_wide, too_wide
    assert "<bool>" not in out and "─" not in out  # plain help: no type on flags, no boxes to squeeze
    if not path:
        assert "--version" in out
    if "Commands:" in out:
        assert "..." not in out.split("Commands:")[1]  # every command's line is whole


def test_summary_tables_never_cut_a_method_name():
    from rich.console import Console

    from lissnas_bench.commands._results import summary_tables

    methods = ["lissnas", "op-pruning", "top-samples", "single-region", "random", "a-very-long-method-name"]
    rows = []
    for i, m in enumerate(methods):
        rows.append({"benchmark": "b", "dataset": "d", "metric": "acc", "budget": 1000, "method": m, "n_seeds": 10,
                     "size_mean": 191.3 + i, "size_std": 6.4, "recall_mean": 0.51081234, "recall_std": 0.025,
                     "regret_mean": 0.06768, "regret_std": 0.21})
    console = Console(width=80, record=True)
    summary_tables(pd.DataFrame(rows), console)
    text = console.export_text()
    assert all(len(ln) <= 80 for ln in text.splitlines())
    for m in methods:
        assert m in text, m
    assert "…" not in text and "(continued)" in text
    assert "0.5108 ± 0.025" in text


def test_query_names_dataset_and_metric(capsys):
    code, out, err = run(capsys, "query", "analognas", BEST)
    assert code == 0, err
    first, second = out.strip().splitlines()
    assert first == "# analognas, dataset cifar10, metric baseline_accuracy (higher is better)"
    assert second == f"{BEST}\t94.0664"


def test_benchmarks_id_lists_every_metric(capsys):
    from lissnas_bench import load_benchmark

    code, out, err = run(capsys, "benchmarks", "analognas")
    assert code == 0, err
    every = load_benchmark("analognas").metrics("cifar10")
    assert len(every) > 6 and all(m in out for m in every)
    assert "baseline_accuracy (default)" in out and "lower ↓" in out
    code, out, _ = run(capsys, "benchmarks", "--metrics")
    assert code == 0 and "nasbench-graph / proteins" in out and "analognas / cifar10" in out
    code, _, err = run(capsys, "benchmarks", "nope")
    assert code == 2 and "unknown benchmark 'nope'" in err and len(err.strip().splitlines()) == 1


def test_methods_lists_parameters_with_defaults(capsys):
    from lissnas_bench._params import describe
    from lissnas_bench.search import available_optimizers, optimizer_class
    from lissnas_bench.shrinkers import available_shrinkers, shrinker_class

    code, out, err = run(capsys, "methods", "--json")
    assert code == 0, err
    got = {m["name"]: m for m in json.loads(out)["methods"]}
    assert set(got) == set(available_shrinkers()) | set(available_optimizers())
    for n in available_shrinkers():
        assert got[n]["kind"] == "shrinker" and got[n]["params"] == describe(shrinker_class(n).Params)
    for n in available_optimizers():
        assert got[n]["kind"] == "optimizer" and got[n]["params"] == describe(optimizer_class(n).Params)
    assert got["random"]["size_matched"] and not got["lissnas"]["size_matched"]
    code, out, _ = run(capsys, "methods", "lissnas")
    assert code == 0 and "radius" in out and "pocket radius" in out and "op-pruning" not in out
    assert "--param lissnas.KEY=VALUE" in out
    code, _, err = run(capsys, "methods", "bogus")
    assert code == 2 and "unknown method 'bogus'" in err
