"""Shared fixtures.  Every test session gets its own empty cache home, so tests never read a user's cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from lissnas_bench.spaces import Space

ROOT = Path(__file__).resolve().parents[1]
#: real benchmark data laid beside the project (never committed into it); tests using it skip when absent
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_file(rel: str) -> Path:
    """Path of a file under ../shared/data, or skip the test with the reason."""
    p = SHARED_DATA / rel
    if not p.exists():
        pytest.skip(f"../shared/data/{rel} is not present (real benchmark data is not shipped with the project)")
    return p


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("lissnas_home")
    old = os.environ.get("LISSNAS_BENCH_HOME")
    os.environ["LISSNAS_BENCH_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("LISSNAS_BENCH_HOME", None)
    else:
        os.environ["LISSNAS_BENCH_HOME"] = old


@pytest.fixture(scope="session")
def analognas():
    from lissnas_bench import load_benchmark

    return load_benchmark("analognas")


@pytest.fixture(scope="session")
def graph_bench():
    from lissnas_bench import load_benchmark

    return load_benchmark("nasbench-graph")


class ToySpace(Space):
    """A plain product space of any shape, for hand-made answers (choices named "0", "1", ...)."""

    name = "toy"
    string_formats = ("digits",)

    def __init__(self, n_choices):
        self.n_choices = np.asarray(n_choices, dtype=np.int64)
        self.position_names = tuple(f"p{i}" for i in range(len(self.n_choices)))
        self.choice_names = tuple(tuple(str(c) for c in range(k)) for k in self.n_choices)

    def _parse(self, s):
        return tuple(int(c) for c in s)

    def _format(self, arch, fmt):
        return "".join(str(int(v)) for v in arch)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run ``lissnas-bench ARGV`` in-process; returns (exit code, stdout, stderr)."""
    from lissnas_bench.cli import main

    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err
