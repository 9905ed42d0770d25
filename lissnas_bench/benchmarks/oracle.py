"""The query-counting oracle: how shrinkers and searches see a benchmark.

It charges one query per *distinct* architecture (asking again is free), adds the benchmark's simulated training
time when it has one, and raises ``BudgetExhausted`` instead of answering past the budget.  Evaluation code
reads the ground truth from the ``Benchmark`` directly; only search-side code holds an Oracle.  On a live
surrogate (``benchmark.live``), ``Oracle(...)`` builds the benchmark's ``LiveOracle``: same rules, no rows.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import BudgetExhausted, InvalidConfig
from ..spaces import Space
from ._base import Benchmark


class Oracle:
    """Budgeted access to one (dataset, metric) of a benchmark.

    >>> import lissnas_bench as lb, numpy as np
    >>> bench = lb.load_benchmark("analognas")
    >>> oracle = Oracle(bench, budget=100)
    >>> vals = oracle.query(oracle.space.sample(10, np.random.default_rng(0)))
    >>> oracle.queries
    10
    """

    def __new__(cls, benchmark=None, *args, **kwargs):
        if cls is Oracle and getattr(benchmark, "live", False):
            cls = benchmark.oracle_class()  # a surrogate has no rows to keep masks over
        return super().__new__(cls)

    def __init__(
        self,
        benchmark: Benchmark,
        dataset: str | None = None,
        metric: str | None = None,
        budget: int | None = None,
        *,
        charge_time: bool = True,
    ):
        self.benchmark = benchmark
        self.dataset, self.metric = benchmark.resolve(dataset, metric)
        if budget is not None and (not isinstance(budget, (int, np.integer)) or budget < 0):
            raise InvalidConfig(f"budget must be a non-negative integer or None, got {budget!r}")
        self.budget = None if budget is None else int(budget)
        self._values = benchmark.columns[(self.dataset, self.metric)]
        cost = benchmark.cost_metrics.get(self.dataset) if charge_time else None
        self._cost = benchmark.columns[(self.dataset, cost)] if cost else None
        self._seen = np.zeros(len(benchmark), dtype=bool)
        #: rows in the order they were first queried (for anytime curves)
        self.history: list[int] = []
        self.sim_seconds = 0.0

    # ------------------------------------------------------------------ accounting
    @property
    def space(self) -> Space:
        """The architectures this oracle can answer for (the rows with a value)."""
        return self.benchmark.domain(self.dataset, self.metric)

    @property
    def queries(self) -> int:
        return len(self.history)

    @property
    def remaining(self) -> float:
        return math.inf if self.budget is None else self.budget - self.queries

    @property
    def has_time(self) -> bool:
        return self._cost is not None

    def is_known(self, archs) -> np.ndarray:
        """Which architectures were already queried (asking them again costs nothing)."""
        return self._seen[self.benchmark.rows(archs)]

    def new_count(self, archs) -> int:
        rows = np.unique(self.benchmark.rows(archs))
        return int((~self._seen[rows]).sum())

    # ------------------------------------------------------------------ querying
    def query(self, archs) -> np.ndarray:
        """Values of ``archs``; charges each architecture not seen before, all or nothing."""
        rows = self.benchmark.rows(archs)
        uniq, first = np.unique(rows, return_index=True)
        new = uniq[~self._seen[uniq]]
        if self.budget is not None and self.queries + len(new) > self.budget:
            raise BudgetExhausted(
                f"query of {len(new)} new architectures exceeds the budget "
                f"({self.queries} of {self.budget} used)"
            )
        if len(new):
            # keep first-seen order of the request, for reproducible anytime curves
            new_in_order = rows[np.sort(first[~self._seen[uniq]])]
            self._seen[new_in_order] = True
            self.history.extend(new_in_order.tolist())
            if self._cost is not None:
                self.sim_seconds += float(np.nansum(self._cost[new_in_order]))
        return self._values[rows]

    __call__ = query

    def queried(self) -> tuple[np.ndarray, np.ndarray]:
        """All architectures queried so far (in order) and their values."""
        rows = np.asarray(self.history, dtype=np.int64)
        return self.benchmark.archs[rows], self._values[rows]

    def __repr__(self) -> str:
        b = "∞" if self.budget is None else self.budget
        return f"<Oracle {self.benchmark.id}/{self.dataset}/{self.metric}: {self.queries}/{b} queries>"
