"""Sweeps: a grid of benchmarks × datasets × shrinkers (with parameter grids) × optimizers × seeds, from a
validated configuration, on local processes or Dask, resumable and atomic.  Reference: docs/search.md.

>>> from lissnas_bench.sweep import load_config, expand
>>> cfg = load_config("examples/compare_demo.yaml")        # doctest: +SKIP
>>> len(expand(cfg))                                        # doctest: +SKIP
720
"""

from __future__ import annotations

from .cell import run_cell
from .config import FULL, SweepConfig, SweepConfigError, cell_key, expand, load_config
from .executors import DaskExecutor, LocalExecutor, make_executor
from .run import SweepSummary, curves_frame, load_sweep, rebuild, results_frame, run_sweep, summary_frame
from .store import SweepFolder

__all__ = [
    "FULL",
    "DaskExecutor",
    "LocalExecutor",
    "SweepConfig",
    "SweepConfigError",
    "SweepFolder",
    "SweepSummary",
    "cell_key",
    "curves_frame",
    "expand",
    "load_config",
    "load_sweep",
    "make_executor",
    "rebuild",
    "results_frame",
    "run_cell",
    "run_sweep",
    "summary_frame",
]
