"""Workers die with their parent: after SIGKILL of ``compare -j2``, ``run -j2`` or ``run --dask-local 2``, no child
keeps computing (issue: three children stayed alive >= 20 s and kept writing cells)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _group(pgid: int) -> list[int]:
    """Live processes of a process group (from /proc; Linux only)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(d.name))
    return out


def _kill_parent_and_watch(argv, out: Path, tmp_path) -> list[int]:
    proc = subprocess.Popen([sys.executable, "-m", "lissnas_bench.cli", *map(str, argv)], cwd=tmp_path, env=os.environ.copy(),
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if len(_group(proc.pid)) >= 3 and (out / "cells").is_dir() and any((out / "cells").iterdir()):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group(proc.pid):
            time.sleep(0.1)
        return _group(proc.pid)
    finally:
        for pid in _group(proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_compare_workers_die_with_the_parent(tmp_path):
    out = tmp_path / "c"
    left = _kill_parent_and_watch(["compare", "nasbench-graph", "--dataset", "cora,citeseer,pubmed", "--seeds", 40,
                                   "--budget", 1000, "-j", 2, "--out", out, "--no-figures"], out, tmp_path)
    assert not left, f"{len(left)} processes outlived the killed parent"


@pytest.mark.parametrize("executor", [["-j", "2"], ["--dask-local", "2"]])
def test_run_workers_die_with_the_parent(tmp_path, executor):
    if "--dask-local" in executor:
        pytest.importorskip("distributed")
    cfg = {"name": "kill", "seeds": 40, "shrink_budget": 1000, "search_budget": 2000,
           "benchmarks": [{"benchmark": "nasbench-graph", "datasets": ["cora", "citeseer"]}],
           "shrinkers": ["full", "lissnas", "random"], "optimizers": ["rs", "re"]}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    out = tmp_path / "r"
    left = _kill_parent_and_watch(["run", tmp_path / "c.yaml", *executor, "--out", out, "--no-figures"], out,
                                  tmp_path)
    assert not left, f"{len(left)} processes outlived the killed parent"
