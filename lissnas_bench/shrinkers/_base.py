"""The shrinker contract: parameters as a frozen dataclass, ``shrink(oracle, rng) -> ShrinkResult``.

A shrinker sees the benchmark only through a budgeted ``Oracle`` and draws every random number from the
``numpy.random.Generator`` it is given, so the same seed gives the same result.  Every method maximises the
oracle's metric.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import BudgetExhausted, InvalidConfig
from ..spaces.shrunk import ShrunkSpace

#: columns every trace has, in this order; methods append their own
TRACE_COLUMNS = ("iteration", "size", "sample_mean", "sample_best", "queries", "accepted")
_TRACE_DTYPES = {
    "iteration": "int64",
    "size": "int64",
    "sample_mean": "float64",
    "sample_best": "float64",
    "queries": "int64",
    "accepted": "bool",
}


@dataclass
class ShrinkResult:
    """What a shrinker returns.

    ``trace`` has one row per iteration / step with at least ``TRACE_COLUMNS``; ``queries`` is
    ``oracle.queries`` after the shrink; ``info`` holds ``method``, ``params``, ``stop`` and method extras.
    """

    shrunk: ShrunkSpace
    trace: pd.DataFrame
    queries: int
    info: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- shrinker
class Shrinker(ABC):
    """Base class: subclasses set ``name``, ``Params`` (a frozen ``_params.Params`` dataclass whose fields declare
    their constraints) and implement ``shrink``."""

    name: ClassVar[str] = ""
    Params: ClassVar[type]
    #: True for size-matched baselines: they need ``reference_size`` (or a size parameter)
    needs_reference: ClassVar[bool] = False

    def __init__(self, **params):
        self.params = self.Params.build(params, where=self.name)

    @abstractmethod
    def shrink(self, oracle, rng: np.random.Generator, reference_size: int | None = None,
               reference_queries: int | None = None) -> ShrinkResult:
        """Shrink ``oracle.space`` using at most the oracle's budget.  A size-matched baseline gets the reference's
        |S'| (``reference_size``) and spend (``reference_queries``) of the same cell."""

    def param_dict(self) -> dict:
        return dataclasses.asdict(self.params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.param_dict().items())
        return f"{type(self).__name__}({args})"

    # -- helpers for subclasses -----------------------------------------------------------------
    def _result(self, shrunk, rows, oracle, stop: str, extra_columns=(), **info) -> ShrinkResult:
        trace = trace_frame(rows, extra_columns)
        info = {"method": self.name, "params": self.param_dict(), "stop": stop, **info}
        return ShrinkResult(shrunk=shrunk, trace=trace, queries=int(oracle.queries), info=info)

    def _reference(self, given: int | None, reference_size: int | None, param: str, domain_size: int) -> int:
        size = given if given is not None else reference_size
        if size is None:
            raise InvalidConfig(
                f"{self.name} is size-matched and needs a reference size: set {param}=N "
                "(comparisons pass the size of LISSNAS's result in the same cell)"
            )
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise InvalidConfig(f"{self.name}: reference size must be a positive integer, got {size!r}")
        if size > domain_size:
            raise InvalidConfig(
                f"{self.name}: reference size {size} is larger than the space ({domain_size} architectures)"
            )
        return int(size)

    def _check_budget(self, oracle, n: int, param: str = "n") -> None:
        """``InvalidConfig`` when the oracle's budget cannot pay for even one sample of ``n``."""
        if oracle.budget is not None and oracle.budget < n:
            raise InvalidConfig(
                f"{self.name}: budget {oracle.budget} < {param}={n}: the budget must pay for at least one full "
                f"sample; lower {param} or raise the budget"
            )


def affordable(oracle, archs) -> bool:
    """Whether querying ``archs`` fits in the remaining budget (known architectures are free)."""
    return oracle.budget is None or oracle.new_count(archs) <= oracle.remaining


def query_or_none(oracle, archs) -> np.ndarray | None:
    """``oracle.query(archs)``, or ``None`` (nothing charged) when it would exceed the budget."""
    if not affordable(oracle, archs):
        return None
    try:
        return np.asarray(oracle.query(archs), dtype=np.float64)
    except BudgetExhausted:  # the oracle charges nothing when it refuses
        return None


def trace_frame(rows: list[dict], extra_columns=()) -> pd.DataFrame:
    cols = list(TRACE_COLUMNS) + [c for c in extra_columns if c not in TRACE_COLUMNS]
    # column arrays, not a list of row dicts + astype: pandas' per-row path costs more than a whole shrink
    data = {c: np.array([r.get(c) for r in rows], dtype=_TRACE_DTYPES.get(c)) for c in cols}
    return pd.DataFrame(data, columns=cols)


def sample_stats(values: np.ndarray) -> tuple[float, float]:
    if not len(values):
        return math.nan, math.nan
    return float(np.mean(values)), float(np.max(values))


def top(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest values; ties go to the earlier position (the sample order is random)."""
    return np.argsort(-values, kind="stable")[:k]


__all__ = ["ShrinkResult", "Shrinker", "TRACE_COLUMNS"]
