"""Shared fixtures.  Every test session gets its own empty cache home, so tests never read a user's cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
