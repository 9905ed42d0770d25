"""lissnas-bench: offline benchmarking of NAS search-space shrinkage.

The public names resolve on first use (PEP 562) so that ``import lissnas_bench`` -- and so the CLI's
``--help`` -- does not pay for numpy, pandas or the experiment engine until something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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

__version__ = "0.1.0"

#: public name -> the submodule that defines it
_LAZY = {
    "CellsFailed": ".api", "rebuild": ".api", "run_comparison": ".api", "run_sweep": ".api",
    "Benchmark": ".benchmarks", "Oracle": ".benchmarks", "available_benchmarks": ".benchmarks",
    "load_benchmark": ".benchmarks",
    "evaluate": ".evaluation",
    "ComparisonConfig": ".experiments", "Target": ".experiments", "load_config": ".experiments",
    "load_results": ".experiments",
    "Optimizer": ".search", "available_optimizers": ".search", "get_optimizer": ".search",
    "register_optimizer": ".search",
    "Shrinker": ".shrinkers", "available_shrinkers": ".shrinkers", "get_shrinker": ".shrinkers",
    "register_shrinker": ".shrinkers",
    "Space": ".spaces", "available_spaces": ".spaces", "get_space": ".spaces", "register_space": ".spaces",
    "ShrunkSpace": ".spaces.shrunk", "load_shrunk": ".spaces.shrunk",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


if TYPE_CHECKING:  # static checkers and IDEs see the eager imports
    from .api import CellsFailed, rebuild, run_comparison, run_sweep
    from .benchmarks import Benchmark, Oracle, available_benchmarks, load_benchmark
    from .evaluation import evaluate
    from .experiments import ComparisonConfig, Target, load_config, load_results
    from .search import Optimizer, available_optimizers, get_optimizer, register_optimizer
    from .shrinkers import Shrinker, available_shrinkers, get_shrinker, register_shrinker
    from .spaces import Space, available_spaces, get_space, register_space
    from .spaces.shrunk import ShrunkSpace, load_shrunk

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
