"""The query-counting oracle: how shrinkers and searches see a benchmark.

It answers the *query* metric (validation accuracy, a low fidelity, a proxy, a noisy trial: whatever a searcher
could see), charges one query per *distinct* architecture (asking again is free), adds the benchmark's simulated
training time when it has one (the benchmark's cost column, or a ``cost`` array: what one query costs in
simulated seconds, e.g. a low fidelity's training time), and raises ``BudgetExhausted`` instead of answering past the budget.  Its answers
are *scores*: higher is better (a metric to minimise is answered negated), so every shrinker and optimizer
maximises.  Evaluation reads the ground truth (the *truth* metric) from the ``Benchmark`` directly; only
search-side code holds an Oracle.  On a live
surrogate (``benchmark.live``), ``Oracle(...)`` builds the benchmark's ``LiveOracle``: same rules, no rows.
"""

from __future__ import annotations

import math

import numpy as np

from .._arrays import unique_first
from ..errors import BudgetExhausted, InvalidConfig
from ..spaces import Space, SubsetSpace
from ._base import Benchmark


def _maximize(benchmark, dataset: str, metric: str) -> bool:
    fn = getattr(benchmark, "maximize", None)
    return bool(fn(dataset, metric)) if callable(fn) else True


class Oracle:
    """Budgeted access to one answer per architecture of a benchmark.

    ``Oracle(bench, dataset, metric, budget)`` answers a column of the benchmark.  ``values=`` (an array aligned
    with the benchmark's rows, NaN = no answer) answers anything else, e.g. another table's column joined on the
    architecture or one noisy trial per architecture; ``name`` then says what it is, ``maximize`` its direction,
    and ``domain`` (a row mask) restricts the architectures it may answer.  ``cost`` (seconds aligned with the rows)
    replaces the benchmark's cost column as the simulated time a new query adds.

    >>> import lissnas_bench as lb, numpy as np
    >>> bench = lb.load_benchmark("analognas")
    >>> oracle = Oracle(bench, budget=100)
    >>> vals = oracle.query(oracle.space.sample(10, np.random.default_rng(0)))
    >>> oracle.queries, oracle.name
    (10, 'baseline_accuracy')
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
        values: np.ndarray | None = None,
        name: str | None = None,
        maximize: bool | None = None,
        domain: np.ndarray | None = None,
        cost: np.ndarray | None = None,
    ):
        self.benchmark = benchmark
        if values is None:
            self.dataset, self.metric = benchmark.resolve(dataset, metric)
            raw = benchmark.columns[(self.dataset, self.metric)]
            self.name = self.metric
            self.maximize = _maximize(benchmark, self.dataset, self.metric) if maximize is None else bool(maximize)
        else:
            self.dataset = benchmark.resolve_dataset(dataset)
            raw = np.asarray(values, dtype=np.float64)
            if raw.shape != (len(benchmark),):
                raise InvalidConfig(f"oracle values must have one entry per benchmark row ({len(benchmark)}), "
                                    f"got shape {raw.shape}")
            self.metric = None
            self.name = name or "values"
            self.maximize = True if maximize is None else bool(maximize)
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 0):
            raise InvalidConfig(f"budget must be a non-negative integer or None, got {budget!r}")
        self.budget = None if budget is None else int(budget)
        scores = raw if self.maximize else -raw
        self._values = scores
        ok = np.isfinite(scores)
        if domain is not None:
            ok &= np.asarray(domain, dtype=bool)
        self._mask = ok
        # the mask is exactly the column's finite rows: the domain is the benchmark's (cached there)
        self._column_domain = values is None and domain is None
        self._space: Space | None = None
        if cost is not None:
            cost = np.asarray(cost, dtype=np.float64)
            if cost.shape != (len(benchmark),):
                raise InvalidConfig(f"oracle cost must have one entry per benchmark row ({len(benchmark)}), "
                                    f"got shape {cost.shape}")
            self._cost = cost if charge_time else None
        else:
            name = benchmark.cost_metrics.get(self.dataset) if charge_time else None
            self._cost = benchmark.columns[(self.dataset, name)] if name else None
        self._seen = np.zeros(len(benchmark), dtype=bool)
        #: rows in the order they were first queried (for anytime curves)
        self.history: list[int] = []
        self.sim_seconds = 0.0

    # ------------------------------------------------------------------ what it answers
    @property
    def scores(self) -> np.ndarray:
        """Every answer as a read-only array aligned with the benchmark's rows (higher is better; NaN = none).
        For search-side code that works on rows (``SearchState``); reading it charges nothing, so only code that
        also charges through ``query`` may use it."""
        v = self._values.view()
        v.flags.writeable = False
        return v

    @property
    def domain_mask(self) -> np.ndarray:
        """Rows this oracle answers for."""
        m = self._mask.view()
        m.flags.writeable = False
        return m

    @property
    def space(self) -> Space:
        """The architectures this oracle can answer for."""
        if self._space is None and self.__dict__.get("_column_domain"):
            b = self.benchmark  # the names are resolved already: look in the benchmark's cache before asking it
            self._space = getattr(b, "_domains", {}).get((self.dataset, self.metric)) or b.domain(self.dataset,
                                                                                                   self.metric)
        if self._space is None:
            b = self.benchmark
            full = self._mask.all() and len(b) == b.space.size
            if self.metric is not None and np.array_equal(self._mask, np.isfinite(b.columns[(self.dataset,
                                                                                              self.metric)])):
                self._space = b.domain(self.dataset, self.metric)
            else:
                self._space = b.space if full else SubsetSpace(b.space, b.archs[self._mask])
        return self._space

    # ------------------------------------------------------------------ accounting
    @property
    def queries(self) -> int:
        return len(self.history)

    @property
    def remaining(self) -> float:
        return math.inf if self.budget is None else self.budget - self.queries

    @property
    def has_time(self) -> bool:
        return self._cost is not None

    @property
    def costs(self) -> np.ndarray | None:
        """Simulated seconds of one query per benchmark row (read-only; ``None`` without training time)."""
        if self._cost is None:
            return None
        v = self._cost.view()
        v.flags.writeable = False
        return v

    def is_known(self, archs) -> np.ndarray:
        """Which architectures were already queried (asking them again costs nothing)."""
        return self._seen[self.benchmark.rows(archs)]

    def new_count(self, archs) -> int:
        rows = np.unique(self.benchmark.rows(archs))
        return int((~self._seen[rows]).sum())

    # ------------------------------------------------------------------ querying
    def query(self, archs) -> np.ndarray:
        """Scores of ``archs``; charges each architecture not seen before, all or nothing."""
        return self.query_rows(self.benchmark.rows(archs))

    __call__ = query

    def query_rows(self, rows: np.ndarray) -> np.ndarray:
        """``query`` by benchmark row (what ``SearchState`` asks with)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.shape == (1,):  # an evolution's child: no sort for one row
            self.query_row(int(rows[0]))
            return self._values[rows]
        uniq, first = unique_first(rows)
        new = uniq[~self._seen[uniq]]
        if self.budget is not None and self.queries + len(new) > self.budget:
            raise BudgetExhausted(
                f"query of {len(new)} new architectures exceeds the budget "
                f"({self.queries} of {self.budget} used)"
            )
        if len(new):
            # keep first-seen order of the request, for reproducible anytime curves
            self._charge(rows[np.sort(first[~self._seen[uniq]])])
        return self._values[rows]

    def query_distinct_rows(self, rows: np.ndarray) -> np.ndarray:
        """``query_rows`` of rows the caller knows to be distinct (a search's new rows): no sort."""
        rows = np.asarray(rows, dtype=np.int64)
        new = rows[~self._seen[rows]]
        if self.budget is not None and self.queries + len(new) > self.budget:
            raise BudgetExhausted(
                f"query of {len(new)} new architectures exceeds the budget ({self.queries} of {self.budget} used)")
        if len(new):
            self._charge(new)
        return self._values[rows]

    def query_row(self, row: int) -> float:
        """``query_rows([row])[0]`` as a Python float, without arrays: an evolution asks for one child at a time."""
        if not self._seen[row]:
            if self.budget is not None and len(self.history) >= self.budget:
                raise BudgetExhausted(f"query of 1 new architectures exceeds the budget ({self.queries} of "
                                      f"{self.budget} used)")
            if not self._mask[row]:
                self._charge(np.array([row], dtype=np.int64))  # raises the outside-the-domain error
            self._seen[row] = True
            self.history.append(int(row))
            if self._cost is not None:
                c = float(self._cost[row])
                self.sim_seconds += c if c - c == 0 else float(np.nan_to_num(c))  # as _charge adds it
        return float(self._values[row])

    def _charge(self, new_in_order: np.ndarray) -> None:
        """Record new (never seen, distinct) rows as queried, in this order; the budget was checked."""
        if not (self._mask[new_in_order[0]] if len(new_in_order) == 1 else self._mask[new_in_order].all()):
            outside = new_in_order[~self._mask[new_in_order]]
            bad = self.benchmark.space.to_strings(self.benchmark.archs[outside[:1]])[0]
            raise InvalidConfig(f"the oracle ({self.name}) has no answer for {bad}: it is outside its domain")
        self._seen[new_in_order] = True
        self.history.extend(new_in_order.tolist())
        if self._cost is not None:
            # a running sum, in query order: the same arithmetic as SearchState's time-budget check
            self.sim_seconds += float(np.cumsum(np.nan_to_num(self._cost[new_in_order]))[-1])

    def _query_distinct_keys(self, keys: np.ndarray) -> np.ndarray | None:
        """``query`` of distinct architectures given by their ``benchmark.space.index`` keys (the shrinkers' inner
        loop: no re-validation of what they drew from the space), or ``None``, charging nothing, when the budget
        cannot pay for the new ones.  The accounting is ``query``'s: all or nothing, first-seen order."""
        b = self.benchmark
        lut = b._row_lookup()
        if lut is not False:
            rows = lut[keys]  # int32 rows index as well as int64 ones
        else:
            pos = np.searchsorted(b.keys, keys).clip(0, max(len(b.keys) - 1, 0))
            rows = np.where(b.keys[pos] == keys, pos, -1) if len(b.keys) else np.full(len(keys), -1)
        if len(rows) and rows.min() < 0:  # not tabulated: the checked path raises the usual error
            return self.query(b.space.from_index(keys))
        # distinct rows: the new ones in request order are the first-seen order query_rows keeps
        new = rows[~self._seen[rows]]
        if self.budget is not None and self.queries + len(new) > self.budget:
            return None
        if len(new):
            self._charge(new)
        return self._values[rows]

    def queried(self) -> tuple[np.ndarray, np.ndarray]:
        """All architectures queried so far (in order) and their scores."""
        rows = np.asarray(self.history, dtype=np.int64)
        return self.benchmark.archs[rows], self._values[rows]

    def fork(self, budget: int | None = None) -> Oracle:
        """A new oracle that knows exactly what this one knows (same history, same order, same simulated time)
        with budget ``budget`` in total; this one is left untouched."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._seen, new.history = self._seen.copy(), list(self.history)
        return _with_budget(new, budget)

    def __repr__(self) -> str:
        b = "∞" if self.budget is None else self.budget
        return f"<Oracle {self.benchmark.id}/{self.dataset}/{self.name}: {self.queries}/{b} queries>"


def _with_budget(new, budget: int | None):
    """``new`` (a fork) with ``budget`` queries in total, which must cover what it has already spent."""
    if budget is not None:
        if budget < new.queries:
            raise InvalidConfig(f"budget {budget} is smaller than the {new.queries} queries already spent")
        new.budget = int(budget)
    return new
