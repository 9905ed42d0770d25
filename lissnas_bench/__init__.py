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
from .benchmarks import Benchmark, Oracle, available_benchmarks, load_benchmark
from .evaluation import evaluate
from .search import get_optimizer
from .shrinkers import available_shrinkers, get_shrinker, load_shrunk
from .spaces import available_spaces, get_space

__version__ = "0.1.0"

__all__ = [
    "Benchmark",
    "Oracle",
    "available_benchmarks",
    "available_shrinkers",
    "available_spaces",
    "evaluate",
    "get_optimizer",
    "get_shrinker",
    "load_shrunk",
    "load_benchmark",
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
