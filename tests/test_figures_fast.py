"""Figure processes started ahead (``report.figure_workers``, what ``demo`` uses) write the same files as drawing
in-process, keep matplotlib out of the parent, and die with it.  (No timing here: ``benchmarks/bench_figures.py``
measures what they save.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import lissnas_bench as lb
from lissnas_bench.report import figure_workers

ROOT = Path(__file__).resolve().parents[1]


def _cfg():
    return lb.ComparisonConfig(targets=(lb.Target("analognas"),), methods=("lissnas", "random"), seeds=2,
                               budget="300,600")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted((folder / "figures").rglob("*"))
            if p.is_file()}


def test_figure_processes_write_the_same_files(tmp_path):
    lb.run_comparison(_cfg(), tmp_path / "here")
    with figure_workers(2):
        lb.run_comparison(_cfg(), tmp_path / "pool")
    here, pool = _files(tmp_path / "here"), _files(tmp_path / "pool")
    assert "figures/overview.png" in here and any("quality_vs_spend" in k for k in here)
    assert here.keys() == pool.keys()
    assert [k for k in here if here[k] != pool[k]] == []
    assert (tmp_path / "here" / "report.md").read_text() == (tmp_path / "pool" / "report.md").read_text()


def test_the_parent_never_imports_matplotlib(tmp_path):
    code = ("import sys, lissnas_bench as lb\n"
            "from lissnas_bench.report import figure_workers\n"
            "cfg = lb.ComparisonConfig(targets=(lb.Target('analognas'),), methods=('lissnas', 'random'), seeds=2, "
            "budget=300)\n"
            f"with figure_workers(1):\n    lb.run_comparison(cfg, {str(tmp_path / 'c')!r})\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'seaborn')))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "c" / "figures" / "overview.png").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_demo_figure_processes_die_with_the_parent(tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    from test_workers_die import _kill_parent_and_watch

    out = tmp_path / "d"
    left = _kill_parent_and_watch(["demo", "--seeds", 20, "--out", out], out, tmp_path)
    assert not left, f"{len(left)} processes outlived the killed demo"
