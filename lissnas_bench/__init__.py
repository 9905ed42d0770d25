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
from .spaces import get_space

__version__ = "0.1.0"

__all__ = [
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
