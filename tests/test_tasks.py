"""tasks.py: `cli ARGS` runs lissnas-bench in the demo's environment, and the demo ends by saying how to run it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tasks(monkeypatch):
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    calls = []
    monkeypatch.setattr(mod, "ensure_venv", lambda job: ROOT / ".venv-demo" / "bin" / "python")
    monkeypatch.setattr(mod.subprocess, "call", lambda cmd, **kw: calls.append(cmd) or 0)
    mod.calls = calls
    return mod


def test_cli_job_shares_the_demo_environment(tasks):
    assert tasks.EXTRAS["cli"] == tasks.EXTRAS["demo"] and tasks.AFTER["cli"] == tasks.AFTER["demo"]
    assert tasks.VENV["cli"] == ".venv-demo"  # built by `tasks.py demo`: nothing is installed twice
    assert tasks.main(["cli", "benchmarks", "--json"]) == 0
    assert tasks.calls[-1][1:] == ["-m", "lissnas_bench.cli", "benchmarks", "--json"]


def test_bench_job_reuses_the_test_environment(tasks):
    # the bench scripts compare against the official packages the test extras install: one environment, built once
    assert tasks.EXTRAS["bench"] == tasks.EXTRAS["test"] and tasks.AFTER["bench"] == tasks.AFTER["test"]
    assert tasks.VENV["bench"] == ".venv-test"


def test_demo_ends_with_the_activation_line(tasks, capsys):
    assert tasks.main(["demo", "--seeds", "2"]) == 0
    assert tasks.calls[-1][1:] == ["-m", "lissnas_bench.cli", "demo", "--seeds", "2"]
    out = capsys.readouterr().out
    assert "source .venv-demo/bin/activate" in out and "python3 tasks.py cli ARGS..." in out

