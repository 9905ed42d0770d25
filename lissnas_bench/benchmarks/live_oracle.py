"""The budgeted oracle of a live surrogate: the ``Oracle`` rules without benchmark rows.

Same accounting as ``Oracle`` (one query per distinct architecture, repeats free, all or nothing against the
budget, simulated training time from the cost metric), but the architectures it has answered are numbered in
the order it first saw them: ``history`` is ``0, 1, 2, ...`` and ``keys[row]`` is the ``darts`` index of a row.
``Oracle(bench, ...)`` returns one of these when ``bench.live`` is true, so shrinkers and runners need no change.

>>> import tempfile, numpy as np, lissnas_bench as lb
>>> from lissnas_bench.benchmarks.surrogate import SurrogateBenchmark
>>> from lissnas_bench.benchmarks.official._nb301_fake import FakeBackend
>>> bench = SurrogateBenchmark(None, predictor=FakeBackend(None), store=tempfile.mkdtemp())
>>> oracle = lb.Oracle(bench, budget=100)
>>> a = bench.space.sample(5, np.random.default_rng(0))
>>> _ = oracle.query(a); _ = oracle.query(a[:2]); type(oracle).__name__, oracle.queries
('LiveOracle', 5)
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import BudgetExhausted, InvalidConfig
from .oracle import Oracle, _with_budget


class LiveOracle(Oracle):
    """Budgeted access to one (dataset, metric) of a live surrogate."""

    def __init__(self, benchmark, dataset=None, metric=None, budget=None, *, charge_time: bool = True):
        self.benchmark = benchmark
        self.dataset, self.metric = benchmark.resolve(dataset, metric)
        if budget is not None and (not isinstance(budget, (int, np.integer)) or budget < 0):
            raise InvalidConfig(f"budget must be a non-negative integer or None, got {budget!r}")
        self.budget = None if budget is None else int(budget)
        cost = benchmark.cost_metrics.get(self.dataset) if charge_time else None
        self._cost_metric = cost or None
        self._row_of: dict[int, int] = {}
        self._keys: list[int] = []
        self._vals: list[float] = []
        self.history: list[int] = []
        self.sim_seconds = 0.0

    @property
    def space(self):
        return self.benchmark.domain(self.dataset, self.metric)

    @property
    def has_time(self) -> bool:
        return self._cost_metric is not None

    @property
    def keys(self) -> np.ndarray:
        """``darts`` index of every row (rows in first-query order)."""
        return np.asarray(self._keys, dtype=np.int64)

    def _index(self, archs) -> np.ndarray:
        return np.asarray(self.benchmark.space.index(archs), dtype=np.int64)

    def is_known(self, archs) -> np.ndarray:
        return np.array([k in self._row_of for k in self._index(archs).tolist()], dtype=bool)

    def new_count(self, archs) -> int:
        return sum(1 for k in set(self._index(archs).tolist()) if k not in self._row_of)

    def query(self, archs) -> np.ndarray:
        """Values of ``archs``; charges each architecture not seen before, all or nothing."""
        keys = self._index(archs)
        return self.query_keys(keys)

    __call__ = query

    def query_keys(self, keys) -> np.ndarray:
        """``query`` for canonical ``darts`` indices."""
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        new = list(dict.fromkeys(k for k in keys.tolist() if k not in self._row_of))  # first-seen order
        if self.budget is not None and self.queries + len(new) > self.budget:
            raise BudgetExhausted(
                f"query of {len(new)} new architectures exceeds the budget ({self.queries} of {self.budget} used)"
            )
        values = self.benchmark.values_of_keys(keys, self.dataset, self.metric)
        if new:
            new_keys = np.asarray(new, dtype=np.int64)
            first = {k: float(v) for k, v in zip(keys.tolist(), values.tolist())}
            for k in new:
                self._row_of[k] = len(self._keys)
                self.history.append(len(self._keys))
                self._keys.append(k)
                self._vals.append(first[k])
            if self._cost_metric is not None:
                cost = self.benchmark.values_of_keys(new_keys, self.dataset, self._cost_metric)
                self.sim_seconds += float(np.nansum(cost))
        return values

    def values_of_rows(self, rows) -> np.ndarray:
        return np.asarray(self._vals, dtype=np.float64)[np.asarray(rows, dtype=np.int64)]

    def queried(self) -> tuple[np.ndarray, np.ndarray]:
        """All architectures queried so far (in order) and their values."""
        return self.benchmark.space.from_index(self.keys), np.asarray(self._vals, dtype=np.float64)

    def costs(self) -> np.ndarray | None:
        """Simulated seconds of every row (``None`` without a cost metric); answered from the store."""
        if self._cost_metric is None:
            return None
        return self.benchmark.values_of_keys(self.keys, self.dataset, self._cost_metric)

    @property
    def remaining(self) -> float:
        return math.inf if self.budget is None else self.budget - self.queries

    @property
    def name(self) -> str:
        return self.metric

    @property
    def maximize(self) -> bool:
        return self.benchmark.maximize(self.dataset, self.metric)

    def fork(self, budget: int | None = None) -> LiveOracle:
        """A new oracle that knows what this one knows (replayed from the store: no surrogate call)."""
        new = LiveOracle(self.benchmark, self.dataset, self.metric, None, charge_time=self.has_time)
        if self.history:
            new.query_keys(self.keys)
            new.sim_seconds = self.sim_seconds
        return _with_budget(new, budget)

    def __repr__(self) -> str:
        b = "∞" if self.budget is None else self.budget
        return f"<LiveOracle {self.benchmark.id}/{self.dataset}/{self.metric}: {self.queries}/{b} queries>"
