"""The README's "Using it" block runs top to bottom, copy-pasted, right after the two quick-start commands: each
line in a fresh folder holding what a checkout has (examples/, data/) and what the demo leaves (results/demo).
Lines marked `# needs an official file` are skipped; `# needs the X extra` ones run where the extra is installed.
Nothing may appear outside results/."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the module each extra named in the README provides
EXTRAS = {"dask": "distributed", "oneshot": "torch"}


def readme_lines() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Using it\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```console\n(.*?)```", section, flags=re.S)
    assert blocks, "no console block in the README's Using it section"
    return [ln.strip() for b in blocks for ln in b.splitlines() if ln.strip() and not ln.strip().startswith("#")]


LINES = readme_lines()


def _needs(line: str) -> str | None:
    """Why a line cannot run here, or None."""
    m = re.search(r"#\s*needs (an official file|the (\w+) extra)", line)
    if m is None:
        return None
    if m.group(2) is None:
        return "needs an official file (not shipped; data/README.md says where to get it)"
    extra = m.group(2)
    if extra not in EXTRAS:
        return f"needs the {extra} extra, which this test does not know"
    if importlib.util.find_spec(EXTRAS[extra]) is None:
        return f"needs the {extra} extra (pip install -e \".[{extra}]\")"
    return None


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A folder as the README's reader has it after `python3 tasks.py demo` (a smaller demo: CI time)."""
    root = tmp_path_factory.mktemp("readme")
    work, home = root / "checkout", root / "home"
    work.mkdir()
    shutil.copytree(ROOT / "examples", work / "examples")
    shutil.copytree(ROOT / "data" / "fixtures", work / "data" / "fixtures")
    env = {**os.environ, "LISSNAS_BENCH_HOME": str(home), "COLUMNS": "100",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    demo = subprocess.run([sys.executable, "-m", "lissnas_bench.cli", "demo", "--seeds", "4", "--budget", "300,1000",
                           "--no-figures"], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stderr
    return {"work": work, "env": env, "outputs": {}, "seconds": {}}


@pytest.mark.slow
@pytest.mark.parametrize("line", LINES, ids=[f"{i:02d}" for i in range(len(LINES))])
def test_readme_line(checkout, line):
    reason = _needs(line)
    if reason is not None:
        pytest.skip(reason)
    argv = shlex.split(line, comments=True)
    if argv[0] == "source":
        pytest.skip("activates .venv-demo: this test runs lissnas-bench from its own environment")
    assert argv[0] == "lissnas-bench", f"the README's Using it block runs only lissnas-bench: {line}"
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "lissnas_bench.cli", *argv[1:]], cwd=checkout["work"],
                         env=checkout["env"], capture_output=True, text=True, timeout=600)
    checkout["seconds"][line] = time.perf_counter() - t0
    assert out.returncode == 0, f"{line}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    checkout["outputs"][argv[1]] = checkout["outputs"].get(argv[1], "") + out.stdout
    if argv[1:3] == ["shrink", "--from"]:
        assert "its metrics equal the folder's row" in out.stdout
    if argv[1] == "search":
        assert "used up before the budget" not in out.stdout  # the example's space is not exhausted


@pytest.mark.slow
def test_readme_wrote_only_under_results(checkout):
    import pandas as pd

    work = checkout["work"]
    assert sorted(p.name for p in work.iterdir()) == ["data", "examples", "results"]
    assert sorted(p.name for p in (work / "data").iterdir()) == ["fixtures"]
    searches = work / "results" / "compare-demo" / "searches.parquet"
    if searches.exists():  # examples/compare_demo.yaml: no search uses up its space
        df = pd.read_parquet(searches)
        assert len(df) and not df["search_exhausted"].any()
        assert df.groupby(["dataset", "method"])["best"].nunique().gt(1).any()
    print({k: round(v, 1) for k, v in checkout["seconds"].items()})
