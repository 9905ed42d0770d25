"""The one experiment engine: a comparison, a sweep, a demo and a single shrink are the same loop over cells.

Each module is one concern: ``config`` (what an experiment is), ``sweep_config`` (the YAML form), ``seeds``
(SeedSequence derivation), ``plan`` (validation against the data, cell keys, groups), ``cell`` (one cell),
``store`` (the results-folder layout), ``execute`` (this process, local processes, Dask), ``aggregate``
(tables), ``run`` (run, resume, rebuild), ``single`` (the ``shrink`` command).

>>> from lissnas_bench.experiments import ComparisonConfig, Target, prepare
>>> prepare(ComparisonConfig(targets=(Target("analognas"),), seeds=3, budget=500)).n_cells
15
"""

from __future__ import annotations

from .comparison import ComparisonConfig
from .config import (DEFAULT_BUDGET, DEFAULT_Q, DEFAULT_SEEDS, FULL, METHOD_ORDER, REFERENCE_METHOD, Experiment,
                     Target, Variant, order_methods, variant)
from .execute import DaskExecutor, LocalExecutor, make_executor
from .plan import Plan, prepare
from .run import RunSummary, load_cells, load_results, rebuild, run_experiment
from .single import cell_from_folder, shrink_once
from .store import ResultsFolder, shrink_files, shrink_queries_of, shrink_seconds_of
from .sweep_config import SweepConfigError, load_config

__all__ = [
    "DEFAULT_BUDGET", "DEFAULT_Q", "DEFAULT_SEEDS", "FULL", "METHOD_ORDER", "REFERENCE_METHOD",
    "ComparisonConfig", "DaskExecutor", "Experiment", "LocalExecutor", "Plan", "ResultsFolder", "RunSummary",
    "SweepConfigError", "Target", "Variant", "cell_from_folder", "load_cells", "load_config", "load_results",
    "make_executor",
    "order_methods", "prepare", "rebuild", "run_experiment", "shrink_files", "shrink_once", "shrink_queries_of",
    "shrink_seconds_of", "variant",
]
