"""What a search returns: the anytime curve of the architecture it would choose, judged on the ground truth.

The searcher sees only the oracle's answers (the *query* metric).  At every point of its curve the chosen
architecture is the best *by the query* among those queried so far (ties: the first queried); ``best_so_far`` is
that architecture's *truth* value, and regret is the distance of that value to the true optimum of the whole
domain.  When the oracle answers the truth itself, this is the usual best-so-far curve.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidConfig

#: prefix of the result columns ``search_after_shrink`` returns (``search_regret@1000``, ...)
COLUMN_PREFIX = "search_"


@dataclass(frozen=True)
class Truth:
    """The ground truth a search is judged on: raw values aligned with the benchmark's rows (NaN = none) and
    the metric's direction.

    >>> import lissnas_bench as lb
    >>> t = Truth.of(lb.load_benchmark("nasbench-graph"), "cora", "perf")
    >>> t.maximize, round(t.best(), 4)
    (True, 0.8313)
    """

    values: np.ndarray
    maximize: bool = True
    name: str = ""

    @classmethod
    def of(cls, bench, dataset: str, metric: str) -> Truth:
        ds, m = bench.resolve(dataset, metric)
        fn = getattr(bench, "maximize", None)
        return cls(bench.columns[(ds, m)], bool(fn(ds, m)) if callable(fn) else True, m)

    @classmethod
    def of_oracle(cls, oracle) -> Truth:
        """The oracle's own answers as the truth (the noise-free upper bound when it answers the truth)."""
        s = oracle.scores
        return cls(s if oracle.maximize else -s, oracle.maximize, oracle.name)

    @property
    def sign(self) -> float:
        return 1.0 if self.maximize else -1.0

    def best(self, mask: np.ndarray | None = None) -> float:
        v = self.values if mask is None else self.values[mask]
        v = v[np.isfinite(v)]
        if not len(v):
            raise InvalidConfig(f"the truth {self.name!r} has no value in the search domain")
        return float(v.max() if self.maximize else v.min())


@dataclass
class SearchResult:
    """An anytime curve: after ``queries[i]`` distinct queries in total, the architecture the searcher would
    choose (the best by its query metric) has truth value ``best_so_far[i]``; ``global_max`` is the best truth value
    of the oracle's whole domain (the minimum, for a metric to minimise: ``sign`` is -1 then).

    The curve covers *every* query the oracle answered, the shrink phase's included, so that "shrink then search"
    and "search the full space" are compared at equal total cost.  ``search_start`` is the query count at which
    the search itself began.  ``sim_seconds`` (cumulative simulated training time per query) is ``None`` when the
    benchmark has no training time.  A search on a fresh oracle started at ``query_offset`` (the shrinker's
    queries, charged but not replayed) has a curve that starts at ``query_offset + 1``.
    """

    optimizer: str
    params: dict
    queries: np.ndarray
    best_so_far: np.ndarray
    sim_seconds: np.ndarray | None
    search_start: int
    budget: int
    global_max: float
    domain_size: int
    domain_max: float
    best_arch: np.ndarray | None
    best_value: float
    exhausted: bool
    info: dict = field(default_factory=dict)
    sign: float = 1.0
    #: why the search ended: queries, time, exhausted or stopped (``SearchState.stop_reason``)
    stop: str = "queries"
    #: the simulated-seconds budget it ran under (None: queries only)
    time_budget: float | None = None

    @property
    def regret(self) -> np.ndarray:
        """``global_max - best_so_far`` (the global maximum is over the oracle's whole domain, not the shrunk
        space, so a shrunk space that lost the optimum shows it)."""
        return self.sign * (self.global_max - self.best_so_far)

    @property
    def search_queries(self) -> int:
        """Distinct architectures the search itself paid for."""
        return int(self.queries[-1] - self.search_start) if len(self.queries) else 0

    def best_at(self, q: int) -> float:
        """Best value after ``q`` queries in total; the final value when the curve ended earlier (the budget was
        larger than the domain, or the search was asked to stop at ``q`` or before); NaN before the first query."""
        if not len(self.queries) or q < self.queries[0]:
            return math.nan
        i = int(np.searchsorted(self.queries, q, side="right")) - 1
        return float(self.best_so_far[i])

    def regret_at(self, q: int) -> float:
        return float(self.sign * (self.global_max - self.best_at(q)))

    def columns(self, at: Iterable[int] | None = None, prefix: str = COLUMN_PREFIX, suffix: str = "") -> dict[str, Any]:
        """Flat scalar columns: ``{prefix}regret@q{suffix}`` and ``{prefix}best@q{suffix}`` for each ``q`` in ``at``
        (default: the budget, its half and its quarter), plus queries, simulated seconds, the domain's size and
        regret, whether it was exhausted and why the search stopped (``suffix`` tells optimizers apart when one row holds several, e.g. ``"[re]"``)."""
        at = default_checkpoints(self.budget) if at is None else sorted({int(q) for q in at}, reverse=True)
        vals: dict[str, Any] = {}
        for q in at:
            vals[f"regret@{q}"] = self.regret_at(q)
        for q in at:
            vals[f"best@{q}"] = self.best_at(q)
        vals["queries"] = self.search_queries
        vals["total_queries"] = int(self.queries[-1]) if len(self.queries) else int(self.search_start)
        vals["sim_seconds"] = float(self.sim_seconds[-1]) if self.sim_seconds is not None and len(
            self.sim_seconds) else math.nan
        vals["domain_size"] = int(self.domain_size)
        vals["domain_regret"] = float(self.sign * (self.global_max - self.domain_max))
        vals["exhausted"] = bool(self.exhausted)
        vals["stop"] = self.stop
        return {f"{prefix}{k}{suffix}": v for k, v in vals.items()}

    def to_frame(self):
        """The curve as a DataFrame: ``queries, best_so_far, regret, sim_seconds, phase``."""
        import pandas as pd

        sim = self.sim_seconds if self.sim_seconds is not None else np.full(len(self.queries), np.nan)
        phase = np.where(self.queries > self.search_start, "search", "shrink")
        return pd.DataFrame({"queries": self.queries, "best_so_far": self.best_so_far, "regret": self.regret,
                             "sim_seconds": sim, "phase": phase})


def default_checkpoints(budget: int) -> list[int]:
    """``[B, B // 2, B // 4]`` (distinct, positive): the query counts the results table reports regret at."""
    return sorted({q for q in (int(budget), int(budget) // 2, int(budget) // 4) if q >= 1}, reverse=True)




def incumbents(scores: np.ndarray) -> np.ndarray:
    """For each prefix of ``scores``, the position of its best element (the first one on ties).

    >>> incumbents(np.array([1.0, 3.0, 2.0, 3.0, 5.0])).tolist()
    [0, 1, 1, 1, 4]
    """
    if not len(scores):
        return np.zeros(0, dtype=np.int64)
    s = np.where(np.isfinite(scores), scores, -np.inf)
    run = np.maximum.accumulate(s)
    record = np.concatenate([[True], run[1:] > run[:-1]])
    return np.maximum.accumulate(np.where(record, np.arange(len(s)), 0))


def build_result(oracle, state, truth: Truth, name: str, params: dict, start: int, budget: int, offset: int,
                 info: dict) -> SearchResult:
    """The result of a search that ran on ``state`` through ``oracle``, judged on ``truth``."""
    bench = oracle.benchmark
    rows = np.asarray(oracle.history, dtype=np.int64)
    inc = rows[incumbents(oracle.scores[rows])] if len(rows) else rows
    best = np.asarray(truth.values[inc], dtype=np.float64)
    sim = None
    if oracle.has_time:
        sim = state.seconds_offset + np.cumsum(np.nan_to_num(oracle.costs[rows], nan=0.0))
    queries = np.arange(1, len(rows) + 1, dtype=np.int64) + offset
    if len(rows):
        best_arch, best_value = bench.archs[inc[-1]].copy(), float(best[-1])
    else:
        best_arch, best_value = None, math.nan
    return SearchResult(
        optimizer=name, params=params, queries=queries, best_so_far=best, sim_seconds=sim,
        search_start=int(start + offset), budget=int(budget + offset), global_max=truth.best(oracle.domain_mask),
        domain_size=state.size, domain_max=truth.best(state.mask), best_arch=best_arch, best_value=best_value,
        exhausted=bool(state.n_unknown == 0 and state.remaining > 0), info=info, sign=truth.sign,
        stop=state.stop_reason, time_budget=state.time_budget)
