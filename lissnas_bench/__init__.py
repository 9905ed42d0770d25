"""lissnas-bench: offline benchmarking of NAS search-space shrinkage."""

from __future__ import annotations

from .errors import (
    BudgetExhausted,
    ChecksumMismatch,
    DataFileError,
    InvalidArchitecture,
    InvalidConfig,
    LissnasBenchError,
    MissingDependency,
    UnknownArchitecture,
    UnknownName,
)
from .api import CellsFailed, rebuild, run_comparison, run_sweep
from .benchmarks import Benchmark, Oracle, available_benchmarks, load_benchmark
from .evaluation import evaluate
from .experiments import ComparisonConfig, Target, load_config, load_results
from .search import Optimizer, available_optimizers, get_optimizer, register_optimizer
from .shrinkers import Shrinker, available_shrinkers, get_shrinker, register_shrinker
from .spaces import Space, available_spaces, get_space, register_space
from .spaces.shrunk import ShrunkSpace, load_shrunk

__version__ = "0.1.0"

__all__ = [
    "Benchmark",
    "CellsFailed",
    "ComparisonConfig",
    "Optimizer",
    "Oracle",
    "Shrinker",
    "ShrunkSpace",
    "Space",
    "Target",
    "available_benchmarks",
    "available_optimizers",
    "available_shrinkers",
    "available_spaces",
    "evaluate",
    "get_optimizer",
    "get_shrinker",
    "load_benchmark",
    "load_config",
    "load_results",
    "load_shrunk",
    "rebuild",
    "register_optimizer",
    "register_shrinker",
    "register_space",
    "run_comparison",
    "run_sweep",
    "BudgetExhausted",
    "ChecksumMismatch",
    "DataFileError",
    "InvalidArchitecture",
    "InvalidConfig",
    "LissnasBenchError",
    "MissingDependency",
    "UnknownArchitecture",
    "UnknownName",
    "get_space",
    "__version__",
]
