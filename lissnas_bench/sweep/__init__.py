"""Deprecated (removed in 0.3): sweeps run on the one engine, ``lissnas_bench.experiments``; ``run_sweep`` is
``lissnas_bench.run_sweep``.  These names keep working for one release."""

from __future__ import annotations

import warnings

from ..api import run_sweep
from ..experiments import FULL, DaskExecutor, LocalExecutor, SweepConfigError, load_config, make_executor

warnings.warn("lissnas_bench.sweep is deprecated: use lissnas_bench.run_sweep and lissnas_bench.experiments",
              DeprecationWarning, stacklevel=2)

__all__ = ["FULL", "DaskExecutor", "LocalExecutor", "SweepConfigError", "load_config", "make_executor", "run_sweep"]
