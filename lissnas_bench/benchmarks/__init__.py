"""Benchmarks: every data source becomes the same columnar ``Benchmark`` plus a budgeted ``Oracle``.

A new embedded source is one module with ``ID``, ``SPACE``, ``VERSION``, ``sources()`` and ``build(digest)`` plus one
entry in ``_EMBEDDED``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from ..errors import InvalidConfig, UnknownBenchmark
from . import cache
from ._base import Benchmark
from .oracle import Oracle

_EMBEDDED: dict[str, str] = {
    "analognas": "lissnas_bench.benchmarks.analognas",
    "nasbench-graph": "lissnas_bench.benchmarks.nasbench_graph",
}
_TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".json")


def available_benchmarks() -> list[str]:
    """Embedded benchmark ids, then those imported with ``lissnas-bench data import``."""
    ids = list(_EMBEDDED) + [b["id"] for b in cache.list_imported()]
    return list(dict.fromkeys(ids))  # an imported file cannot shadow or repeat an id


def load_benchmark(
    name_or_path: str | os.PathLike,
    *,
    space: str | None = None,
    arch_column: str | None = None,
    metric: str | None = None,
    cost_column: str | None = None,
) -> Benchmark:
    """Load a benchmark by id (embedded or imported) or from a table file.

    >>> bench = load_benchmark("analognas")
    >>> bench.datasets
    ['cifar10']
    >>> len(bench)
    15625
    """
    name = str(name_or_path)
    if name in _EMBEDDED:
        mod = importlib.import_module(_EMBEDDED[name])
        return cache.cached(mod.ID, mod.sources(), mod.build, mod.VERSION, mod.SPACE)
    if cache.is_imported(name):
        return cache.load_imported(name)
    p = Path(name).expanduser()
    if p.suffix.lower() in _TABLE_SUFFIXES or p.exists():
        from .table import load_table

        if space is None:
            raise InvalidConfig(f"{p}: a table needs --space (one of: nb201, nasbench-macro, nasbench-graph, ...)")
        return load_table(p, space=space, arch_column=arch_column, default_metric=metric, cost_column=cost_column)
    raise UnknownBenchmark(name, available_benchmarks() + ["a table path (.csv, .parquet, .json) with --table"])


def benchmark_info(name: str) -> dict:
    """``Benchmark.info()`` for an id; cheap for embedded ones once cached."""
    return load_benchmark(name).info()


__all__ = ["Benchmark", "Oracle", "available_benchmarks", "load_benchmark", "benchmark_info"]
