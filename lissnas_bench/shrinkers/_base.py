"""The shrinker contract: parameters as a frozen dataclass, ``shrink(oracle, rng) -> ShrinkResult``.

A shrinker sees the benchmark only through a budgeted ``Oracle`` and draws every random number from the
``numpy.random.Generator`` it is given, so the same seed gives the same result.  Every method maximises the
oracle's metric.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from ..errors import BudgetExhausted, InvalidConfig
from ..spaces import Space, SubsetSpace
from ..spaces.shrunk import Pockets, ShrunkSpace

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


class ShrinkResult:
    """What a shrinker returns.

    ``trace`` is a pandas DataFrame with one row per iteration / step and at least ``TRACE_COLUMNS``;
    ``queries`` is ``oracle.queries`` after the shrink; ``info`` holds ``method``, ``params``, ``stop`` and method
    extras.  The shrinker records the trace as plain column arrays and the DataFrame is built on first access,
    so that importing or running a shrinker never imports pandas (the CLI's start-up time) and a shrink does not
    pay for a frame nobody reads; ``trace_columns`` / ``trace_records`` give the columns without pandas.
    """

    __slots__ = ("shrunk", "queries", "info", "_rows", "_columns", "_frame")

    def __init__(self, shrunk: ShrunkSpace, trace, queries: int, info: dict | None = None):
        self.shrunk = shrunk
        self.queries = queries
        self.info = {} if info is None else info
        # a dict of column arrays or a ready DataFrame; shrinkers pass their row dicts via ``_of_rows``
        self._rows = None
        self._columns, self._frame = (dict(trace), None) if isinstance(trace, dict) else (None, trace)

    @classmethod
    def _of_rows(cls, shrunk, rows: list[dict], columns: list[str], queries: int, info: dict) -> ShrinkResult:
        """A result whose trace columns are made from ``rows`` only when someone reads the trace."""
        res = cls(shrunk, None, queries, info)
        res._rows = (rows, columns)
        return res

    @property
    def trace(self):
        if self._frame is None and (self._columns is not None or self._rows is not None):
            import pandas as pd

            cols = self.trace_columns()
            self._frame = pd.DataFrame(cols, columns=list(cols))
        return self._frame

    def trace_columns(self) -> dict[str, np.ndarray]:
        """The trace as ``{column: array}``, in column order, without pandas."""
        if self._columns is None and self._rows is not None:
            rows, cols = self._rows
            self._columns = {c: np.array([r.get(c) for r in rows], dtype=_TRACE_DTYPES.get(c)) for c in cols}
            self._rows = None
        if self._columns is not None:
            return dict(self._columns)
        if self._frame is None:
            return {}
        return {c: self._frame[c].to_numpy() for c in self._frame.columns}

    def trace_records(self) -> list[dict]:
        """The trace as one dict of Python scalars per row (what ``trace.to_dict(orient="records")`` gives)."""
        lists = {c: v.tolist() for c, v in self.trace_columns().items()}
        n = len(next(iter(lists.values()))) if lists else 0
        return [{c: lists[c][i] for c in lists} for i in range(n)]

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state):
        for k, v in state.items():
            object.__setattr__(self, k, v)

    def __repr__(self) -> str:
        rows = len(next(iter(self.trace_columns().values()), ()))
        return f"ShrinkResult(shrunk={self.shrunk!r}, queries={self.queries}, trace: {rows} rows, info={self.info!r})"


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
        of, cached = self.__dict__.get("_param_dict", (None, None))
        if of is not self.params:
            cached = dataclasses.asdict(self.params)
            # parameters are frozen: asdict's deep copy is needed once, unless a value is itself mutable
            if all(isinstance(v, (bool, int, float, str, type(None))) for v in cached.values()):
                self.__dict__["_param_dict"] = (self.params, cached)
        return dict(cached)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.param_dict().items())
        return f"{type(self).__name__}({args})"

    # -- helpers for subclasses -----------------------------------------------------------------
    def _result(self, shrunk, rows, oracle, stop: str, extra_columns=(), **info) -> ShrinkResult:
        cols = list(TRACE_COLUMNS) + [c for c in extra_columns if c not in TRACE_COLUMNS]
        info = {"method": self.name, "params": self.param_dict(), "stop": stop, **info}
        return ShrinkResult._of_rows(shrunk, rows, cols, int(oracle.queries), info)

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


def sample_keys(space, m: int, rng: np.random.Generator) -> np.ndarray:
    """``space.index(space.sample(m, rng, replace=False))`` drawing the same random numbers, without building and
    re-validating architectures where the space samples keys itself (``m <= space.size``)."""
    t = type(space)
    if isinstance(space, Pockets):
        return space._sample_keys(m, rng, replace=False)
    if t.sample is Space.sample and space.finite:
        return rng.choice(space.size, size=m, replace=False)  # what Space.sample passes to from_index
    if t.sample is SubsetSpace.sample and t.from_index is SubsetSpace.from_index and space.base.finite:
        return space._keys[rng.choice(space.size, size=m, replace=False)]  # its members are from_index(_keys)
    return space.index(space.sample(m, rng, replace=False))


def key_querier(oracle, space):
    """A function ``keys -> values or None`` answering distinct members of ``space`` by their ``space.index``
    keys, charging like ``query_or_none``: by key lookup for a table oracle over ``space``, else through
    architectures."""
    from ..benchmarks.oracle import Oracle  # loaded already: the oracle is one

    bench_space = getattr(getattr(oracle, "benchmark", None), "space", None)
    if type(oracle) is Oracle and (space is bench_space or getattr(space, "base", None) is bench_space):
        def ask(keys):
            y = oracle._query_distinct_keys(keys)
            return None if y is None else np.asarray(y, dtype=np.float64)
        return ask
    return lambda keys: query_or_none(oracle, space.from_index(keys))


def sample_stats(values: np.ndarray) -> tuple[float, float]:
    if not len(values):
        return math.nan, math.nan
    return fmean(values), float(np.maximum.reduce(values))


def fmean(values: np.ndarray) -> float:
    """``float(np.mean(values))`` of a 1-D float64 array, bit for bit (the same pairwise sum over the count),
    without np.mean's dispatch, which costs more than the sum on a sample of 100."""
    return float(np.add.reduce(values) / len(values))


def top(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest values; ties go to the earlier position (the sample order is random)."""
    return (-values).argsort(kind="stable")[:k]


__all__ = ["ShrinkResult", "Shrinker", "TRACE_COLUMNS"]
