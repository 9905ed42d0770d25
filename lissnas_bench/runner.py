"""Deprecated (removed in 0.3): the comparison runner is now ``lissnas_bench.experiments`` (the engine) and
``lissnas_bench.api`` (engine + report).  These names keep working for one release."""

from __future__ import annotations

import warnings

from .api import rebuild, run_comparison
from .experiments import FULL as SEARCH_FULL
from .experiments import ComparisonConfig, Target, load_results, prepare, shrink_once

warnings.warn("lissnas_bench.runner is deprecated: use lissnas_bench (run_comparison, ComparisonConfig, Target) "
              "or lissnas_bench.experiments", DeprecationWarning, stacklevel=2)

__all__ = ["SEARCH_FULL", "ComparisonConfig", "Target", "load_results", "prepare", "rebuild", "run_comparison",
           "shrink_once"]
