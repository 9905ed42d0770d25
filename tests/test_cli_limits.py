"""Issue 10: bad input is one `error:` line on stderr, exit code 2, and nothing written -- an --out that is a file,
binary configuration files, runs far too large for the machine (estimated before they start), a metric with no
values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import run_cli as run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _one_error(code, err, needle):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err
    assert "Traceback" not in err and "Warning" not in err


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("keep me\n")
    return tmp_path


@pytest.mark.parametrize("argv, needle", [
    (["shrink", "analognas", "--budget", "300", "--out", "afile"], "--out afile is a file"),
    (["compare", "analognas", "--seeds", "1", "--budget", "300", "--no-figures", "--out", "afile"],
     "--out afile is a file"),
    (["demo", "--seeds", "1", "--budget", "300", "--no-figures", "--out", "afile"], "--out afile is a file"),
    (["run", str(EXAMPLES / "compare_demo.yaml"), "--out", "afile"], "--out afile is a file"),
    (["search", "analognas", "--seeds", "2", "--budget", "50", "--out", "afile"], "--out afile is a file"),
    (["demo", "--seeds", "1", "--budget", "300", "--no-figures", "--out", "d", "--docs", "afile"],
     "--docs afile is a file"),
    (["demo", "--seeds", "1", "--budget", "300", "--no-figures", "--out", "d", "--readme", "afile"],
     "has no <!-- demo-summary:start -->"),
])
def test_out_that_is_a_file(capsys, cwd, argv, needle):
    before = _tree(cwd)
    code, _, err = run(capsys, *argv)
    _one_error(code, err, needle)
    assert _tree(cwd) == before and (cwd / "afile").read_text() == "keep me\n"


@pytest.mark.parametrize("command", [["run"], ["oneshot", "train"]])
@pytest.mark.parametrize("content, needle", [(b"\x00\x01binary\xff" * 50, "NUL bytes"),
                                             (b"name: x\n\xea\xfe\xff\x81 junk\n", "not UTF-8")])
def test_binary_configuration(capsys, cwd, command, content, needle):
    (cwd / "bin.yaml").write_bytes(content)
    before = _tree(cwd)
    code, _, err = run(capsys, *command, "bin.yaml")
    _one_error(code, err, needle)
    assert _tree(cwd) == before


def test_sizes_are_estimated_before_anything_starts(capsys, cwd):
    code, _, err = run(capsys, "compare", "analognas", "--seeds", "1000000000", "--out", "o")
    _one_error(code, err, "seeds must be <= 1000000")
    code, _, err = run(capsys, "compare", "analognas", "--seeds", "1000000", "--out", "o")
    _one_error(code, err, "this run has 5,000,000 cells: about 229 GiB of memory")
    assert "pass --yes" in err
    (cwd / "big.yaml").write_text("name: big\nseeds: 1000000\nbenchmarks: [{benchmark: analognas}]\n"
                                  "shrinkers: [lissnas, random]\noptimizers: [rs]\nshrink_budget: 300\n"
                                  "search_budget: 600\n")
    code, _, err = run(capsys, "run", "big.yaml", "--out", "o")
    _one_error(code, err, "this run has 2,000,000 cells")
    code, _, err = run(capsys, "sensitivity", "analognas", "--seeds", "200000", "--out", "o")
    _one_error(code, err, "cells")
    code, _, err = run(capsys, "search", "analognas", "--seeds", "100000", "--out", "o")
    _one_error(code, err, "this run has 100,000 cells")
    code, _, err = run(capsys, "search", "analognas", "--seeds", "2000000", "--out", "o")
    _one_error(code, err, "seeds must be <= 1000000")
    assert not (cwd / "o").exists()


def test_yes_runs_past_the_limits(capsys, cwd, monkeypatch):
    from lissnas_bench.experiments import plan

    monkeypatch.setattr(plan, "MAX_MEMORY_BYTES", 1)  # any run is "too large" now
    argv = ["compare", "analognas", "--methods", "lissnas", "--seeds", "1", "--budget", "200", "--no-figures",
            "--out", "o", "--json"]
    code, _, err = run(capsys, *argv)
    _one_error(code, err, "pass --yes")
    assert not (cwd / "o").exists()
    code, _, err = run(capsys, *argv, "--yes")
    assert code == 0, err
    assert (cwd / "o" / "results.parquet").exists()


def test_metric_without_values(capsys, cwd):
    (cwd / "allnan.csv").write_text("arch,acc,other\n22212220,nan,1\n22212221,,2\n")
    code, _, err = run(capsys, "compare", "--table", "allnan.csv", "--space", "nasbench-macro", "--arch-column",
                       "arch", "--metric", "acc", "--out", "o", "--no-figures")
    _one_error(code, err, "metric 'acc' has no values")
    code, _, err = run(capsys, "shrink", "--table", "allnan.csv", "--space", "nasbench-macro", "--arch-column",
                       "arch", "--metric", "acc", "--out", "o")
    _one_error(code, err, "has no values")
    assert not (cwd / "o").exists()


@pytest.mark.parametrize("sets, needle", [
    (["--set", "data.batch_size=1000000"], "data.batch_size: 1,000,000 images of 32 px need about"),
    (["--set", "data.eval_batch_size=100000000"], "data.eval_batch_size: 100,000,000 images need"),
])
def test_oneshot_train_batch_too_large(capsys, cwd, sets, needle):
    pytest.importorskip("torch")
    code, _, err = run(capsys, "oneshot", "train", EXAMPLES / "oneshot_synthetic.yaml", *sets, "--out", "os")
    _one_error(code, err, needle)
    assert not (cwd / "os").exists()


def test_oneshot_search_population_too_large(capsys, cwd):
    pytest.importorskip("torch")
    code, _, err = run(capsys, "oneshot", "search", EXAMPLES / "oneshot_synthetic.yaml", "--set",
                       "search.population=10000000", "--out", "os")
    _one_error(code, err, "10,000,0")
    assert "subnets to score" in err and not (cwd / "os").exists()


def test_oneshot_limits_scale_with_the_device():
    from lissnas_bench.oneshot.config import load_config
    from lissnas_bench.oneshot.limits import check_train

    cfg = load_config(EXAMPLES / "oneshot_mobilenet.yaml")  # 128 ImageNet images per GPU
    with pytest.raises(Exception, match="over the limit of 4 GiB"):
        check_train(cfg, device_memory=None)
    check_train(cfg, device_memory=80 * 2**30, device="cuda:0")  # fits an 80 GB GPU
    check_train(cfg, device_memory=None, allow_large=True)


def test_cells_failed_is_one_line(capsys, cwd, monkeypatch):
    """A failing cell (a bug, not user input) is reported as one line with exit code 1, the rest kept."""
    from lissnas_bench.experiments import cell

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(cell, "_shrink_cell", boom)
    code, _, err = run(capsys, "compare", "analognas", "--methods", "lissnas", "--seeds", "1", "--budget", "200",
                       "--no-figures", "--out", "o")
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code == 1 and len(lines) == 1 and "1 of 1 cells failed" in lines[0] and "Traceback" not in err
    assert os.path.exists("o/results.parquet")
