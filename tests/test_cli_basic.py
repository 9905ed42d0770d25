"""The CLI's basic commands and its error contract: one stderr line, exit code 2, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def run(*args):
    return subprocess.run([sys.executable, "-m", "lissnas_bench.cli", *args], capture_output=True, text=True, timeout=300)


def test_benchmarks_json_lists_embedded():
    out = run("benchmarks", "--json")
    assert out.returncode == 0, out.stderr
    infos = {b["id"]: b for b in json.loads(out.stdout)["benchmarks"]}
    assert infos["analognas"]["architectures"] == 15625 and infos["analognas"]["space"] == "nb201"
    assert infos["nasbench-graph"]["architectures"] == 26206
    assert "proteins" in infos["nasbench-graph"]["datasets"]
    assert "baseline_accuracy" in infos["analognas"]["metrics"]["cifar10"]


def test_benchmarks_table_output():
    out = run("benchmarks")
    assert out.returncode == 0 and "analognas" in out.stdout and "nasbench-graph" in out.stdout


def test_query_json():
    out = run("query", "analognas", BEST, "(1,1,1,1,1,1)", "--json")
    assert out.returncode == 0, out.stderr
    vals = json.loads(out.stdout)["values"]
    assert vals[0] == {"arch": BEST, "value": 94.0664}
    assert vals[1]["value"] == 10.0
    out = run("query", "nasbench-graph", "[0,1,2,3]:gcn-gcn-gcn-gcn", "--dataset", "proteins", "--metric", "perf", "--json")
    assert out.returncode == 0, out.stderr
    assert 0 < json.loads(out.stdout)["values"][0]["value"] < 1


def test_query_table(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("arch,acc\n22212220,93.1\n")
    out = run("query", "--table", str(p), "--space", "nasbench-macro", "--arch-column", "arch", "22212220", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["values"] == [{"arch": "22212220", "value": 93.1}]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["query", "nope", "x"], "unknown benchmark 'nope'"),
        (["query", "analognas", "|bad~0|"], "expected 3"),
        (["query", "analognas", BEST, "--dataset", "imagenet"], "unknown dataset 'imagenet'; accepted: cifar10"),
        (["query", "analognas", BEST, "--metric", "acc"], "unknown metric 'acc'"),
        (["query", "--table", "/nonexistent/t.csv", "--space", "nb201", "--arch-column", "a", BEST], "no such file"),
        (["query", "--table", "t.csv", BEST], "--space"),
    ],
)
def test_user_errors_are_one_line_exit_2(args, fragment):
    out = run(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and fragment in lines[0], out.stderr
