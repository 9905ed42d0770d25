"""Benchmarks: every data source becomes the same columnar ``Benchmark`` plus a budgeted ``Oracle``.

A new embedded source is one module with ``ID``, ``SPACE``, ``VERSION``, ``sources()`` and ``build(digest)`` plus one
entry in ``_EMBEDDED``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from typing import TYPE_CHECKING

from ..errors import DataFileError, InvalidConfig, UnknownBenchmark
from . import cache

if TYPE_CHECKING:
    from ._base import Benchmark
    from .oracle import Oracle


def __getattr__(name: str):
    """``Benchmark`` and ``Oracle`` load with numpy on first use; listing benchmarks needs neither."""
    if name in ("Benchmark", "Oracle"):
        from ._base import Benchmark
        from .oracle import Oracle

        globals().update(Benchmark=Benchmark, Oracle=Oracle)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_EMBEDDED: dict[str, str] = {
    "analognas": "lissnas_bench.benchmarks.analognas",
    "nasbench-graph": "lissnas_bench.benchmarks.nasbench_graph",
}
_TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".json")


def available_benchmarks() -> list[str]:
    """Embedded benchmark ids, then those imported with ``lissnas-bench data import`` (live surrogates last)."""
    from ._listing import registered_surrogates

    ids = list(dict.fromkeys(list(_EMBEDDED) + [b["id"] for b in cache.list_imported()]))  # no id twice
    return ids + [r["id"] for r in registered_surrogates() if r["id"] not in ids]


def load_benchmark(
    name_or_path: str | os.PathLike,
    *,
    space: str | None = None,
    arch_column: str | None = None,
    metric: str | None = None,
    cost_column: str | None = None,
    minimize=None,
    models=None,
    trust_pickles: bool = False,
    seed: int = 0,
    python=None,
) -> Benchmark:
    """Load a benchmark by id (embedded, imported, a registered live surrogate) or from a table file.

    ``minimize`` (tables only) names the columns that are better when lower; every other column is maximised.
    ``load_benchmark("nb301", models=PATH, trust_pickles=True)`` opens NAS-Bench-301's ensembles in ``PATH`` as a
    live surrogate (``surrogate.SurrogateBenchmark``: any genotype, answers cached on disk; ``seed`` fixes its
    noisy draws, ``python`` names the side environment's interpreter).  The model files are pickles, so they are
    only loaded with ``trust_pickles=True``.

    >>> bench = load_benchmark("analognas")
    >>> bench.datasets
    ['cifar10']
    >>> len(bench)
    15625
    """
    name = str(name_or_path)
    imported = cache.is_imported(name)
    path = cache.imported_path(name) if imported else None
    if minimize and (name in _EMBEDDED or imported):
        raise InvalidConfig(f"--minimize applies to tables (--table); {name!r} declares its own directions")
    if models is not None or _is_live(name, path):
        from .surrogate import open_surrogate

        return open_surrogate(name, models, trust_pickles=trust_pickles, seed=seed, python=python)
    if name in _EMBEDDED:
        mod = importlib.import_module(_EMBEDDED[name])
        return cache.cached(mod.ID, mod.sources(), mod.build, mod.VERSION, mod.SPACE)
    if imported:
        return cache.load_imported(name)
    p = Path(name).expanduser()
    if p.suffix.lower() in _TABLE_SUFFIXES or p.exists():
        from .table import load_table

        if space is None:
            raise InvalidConfig(f"{p}: a table needs --space (one of: nb201, nasbench-macro, nasbench-graph, ...)")
        return load_table(p, space=space, arch_column=arch_column, default_metric=metric, cost_column=cost_column,
                          minimize=minimize or ())
    raise UnknownBenchmark(name, available_benchmarks() + ["a table path (.csv, .parquet, .json) with --table"])


def _is_live(name: str, imported) -> bool:
    if name in _EMBEDDED or (imported is not None and imported.exists()):
        return False
    from ._listing import registered_surrogates

    return name == "nb301" or any(r.get("id") == name for r in registered_surrogates())


def benchmark_info(name: str) -> dict:
    """``Benchmark.info()`` for an id; cheap for embedded ones once cached.  A registered live surrogate is
    described from its registration (nothing is loaded, so no ``trust_pickles`` is needed)."""
    from ._listing import registered_surrogates

    if name not in _EMBEDDED and not cache.is_imported(name):
        entry = next((r for r in registered_surrogates() if r.get("id") == name), None)
        if entry is not None:
            return _registered_info(entry)
    info = None
    if name in _EMBEDDED:
        mod = importlib.import_module(_EMBEDDED[name])
        info = cache.cached_info(mod.ID, mod.sources(), mod.VERSION, mod.SPACE)
    elif cache.is_imported(name):
        try:
            info = cache.describe(cache.imported_path(name), expect_id=name)
        except DataFileError:  # load_imported says how to repair it
            pass
    return info if info is not None else load_benchmark(name).info()


def _registered_info(entry: dict) -> dict:
    from ..spaces import get_space
    from ._base import lower_is_better
    from .official._names import nb301_aliases
    from .surrogate import DATASET, RT, RT_STD, VAL, VAL_STD

    metrics = [VAL, VAL_STD, f"{VAL}/noisy0"] + ([RT, RT_STD] if "runtime" in entry.get("ensembles", {}) else [])
    minimize = [m for m in metrics if lower_is_better(m)]
    return {"id": entry["id"], "space": "darts", "architectures": int(get_space("darts").size), "live": True,
            "datasets": [DATASET], "metrics": {DATASET: metrics}, "default_dataset": DATASET,
            "default_metrics": {DATASET: VAL}, "minimize": {DATASET: minimize},
            "directions": {DATASET: {m: "minimize" if m in minimize else "maximize" for m in metrics}},
            "aliases": {DATASET: nb301_aliases(metrics)},
            "source": f"NAS-Bench-301 surrogates in {entry['models']} (live; open with --trust-pickles)",
            "data_hash": ""}


__all__ = ["Benchmark", "Oracle", "available_benchmarks", "load_benchmark", "benchmark_info"]
