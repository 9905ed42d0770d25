"""The optimizer contract, the search state every optimizer shares, and the anytime result.

An optimizer searches a *domain* through a budgeted ``Oracle`` and maximises the oracle's metric.  The domain is
the oracle's architectures (the benchmark rows with a value for its dataset and metric), optionally restricted
to a shrunk space, a ``Space``, or a boolean mask over the benchmark's rows.  Restriction rules (docs/search.md):

* every sample is drawn uniformly from the domain's architectures that have not been queried yet;
* a mutation or neighbourhood keeps only the radius-1 neighbours (``space.neighbours``) inside the domain, and a
  mutation draws uniformly among those.  That is exactly "draw a uniform neighbour, reject it if it leaves the
  domain and redraw", run to completion instead of with a bounded number of tries; when *no* neighbour is inside,
  the optimizer takes a fresh uniform sample from the domain instead;
* asking again for an architecture the oracle already knows costs nothing (the Oracle's rule), so a search that
  continues a shrinker's oracle gets the shrink phase's architectures for free.

The search stops when the oracle has answered ``budget`` distinct architectures in total, or earlier when every
architecture of the domain has been queried (``SearchResult.exhausted``); it never raises ``BudgetExhausted``.

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.search import get_optimizer
>>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=200)
>>> res = get_optimizer("re").search(oracle, np.random.default_rng(0))
>>> len(res.queries), oracle.queries, bool(res.regret_at(200) >= 0)
(200, 200, True)
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from .._arrays import unique_first
from .._params import as_float
from ..benchmarks.neighbours import _GRAPHS, NeighbourRows, neighbour_graph  # noqa: F401 (_GRAPHS re-exported)
from ..errors import InvalidConfig
from ..spaces import as_rng
from .result import COLUMN_PREFIX, SearchResult, Truth, build_result

#: a search domain at most this large has the neighbours of all its members computed in one call
PREFETCH_DOMAIN = 5000


# ---------------------------------------------------------------------------------------------- domain + state
def domain_mask(oracle, space=None) -> np.ndarray:
    """Boolean mask over ``oracle.benchmark``'s rows: the architectures a search may query.

    ``space`` is ``None`` / ``"full"`` (the oracle's whole domain), anything with ``contains(archs)`` (a shrunk
    space or a ``Space`` of the benchmark's search space), or a boolean mask over the benchmark's rows.
    """
    bench = oracle.benchmark
    mask = np.array(oracle.domain_mask)
    if space is None or (isinstance(space, str) and space == "full"):
        return mask
    if isinstance(space, np.ndarray) and space.dtype == bool:
        if space.shape != mask.shape:
            raise InvalidConfig(f"a row mask must have shape ({len(bench)},), got {space.shape}")
        return mask & space
    if not hasattr(space, "contains"):
        raise InvalidConfig(
            f"cannot search inside a {type(space).__name__}: pass 'full', a shrunk space, a Space or a row mask")
    inner = getattr(space, "space", space)
    if getattr(inner, "name", bench.space.name) != bench.space.name:
        raise InvalidConfig(
            f"the search space is over {inner.name!r} but benchmark {bench.id!r} is over {bench.space.name!r}")
    from ..evaluation._rows import contains_mask  # by the table's stored keys where the index is shared

    return mask & contains_mask(space, bench)


def check_time_budget(oracle, time_budget, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """``(time_budget, costs)`` for a search of the rows in ``mask``: the budget finite and positive, the oracle
    charging time, and every architecture the search may query costing a finite, non-negative number of seconds;
    else one ``InvalidConfig`` saying which."""
    budget = as_float(time_budget, "time_budget", gt=0)
    cost = oracle.costs
    if cost is None:
        raise InvalidConfig(
            f"a time budget needs the simulated training time of each query, and {oracle.benchmark.id}/"
            f"{oracle.dataset} has no cost column: give one (--cost-column for a table, --cost for a formula)")
    bad = np.flatnonzero(mask & ~(np.isfinite(cost) & (cost >= 0)))
    if len(bad):
        example = oracle.benchmark.space.to_strings(oracle.benchmark.archs[bad[:1]])[0]
        raise InvalidConfig(
            f"the cost of {len(bad)} architectures of the search domain is NaN or negative (e.g. {example}: "
            f"{cost[bad[0]]!r} s): a time budget needs a finite, non-negative cost for every architecture it may "
            "query")
    return budget, cost


class SearchState:
    """What an optimizer works with: row indices of the benchmark instead of architecture arrays.

    Rows are the benchmark's canonical architectures, so membership, "already queried" and neighbour lookups are
    array gathers.  ``query`` never spends more than the budgets: it truncates a request after the last
    architecture the budgets can pay for (requests are in the optimizer's preference order).  Two budgets apply,
    whichever binds first: ``stop_at`` distinct queries in total, and ``time_budget`` simulated seconds in total
    (the oracle's ``sim_seconds``, a shrink phase's included).  The time rule is the NAS-Bench-201 runners': the
    search stops at the first new architecture whose cost would take the total past ``time_budget`` (it is not
    queried, and no cheaper one is tried after it).
    """

    def __init__(self, oracle, space=None, stop_at: int | None = None, time_budget: float | None = None,
                 seconds_offset: float = 0.0):
        self.oracle = oracle
        self.bench = oracle.benchmark
        if not oracle.domain_mask.any():
            raise InvalidConfig(f"{self.bench.id}/{oracle.dataset}/{oracle.name} has no values")
        self.mask = domain_mask(oracle, space)
        self.size = int(self.mask.sum())
        if self.size == 0:
            raise InvalidConfig(
                f"the search space holds no architecture with a value for {oracle.dataset}/{oracle.name}")
        self.known = np.zeros(len(self.bench), dtype=bool)
        #: values the search has seen (NaN = not queried); known rows are answered from here, not the oracle
        self.values = np.full(len(self.bench), np.nan)
        hist = np.asarray(oracle.history, dtype=np.int64)
        if len(hist):  # what the oracle already knows is free: ask for it once, for the values
            self.values[hist] = oracle.query_rows(hist)
            self.known[hist] = True
        self.n_unknown = int((self.mask & ~self.known).sum())
        self.stop_at = stop_at if stop_at is not None else oracle.budget
        self.time_budget, self.cost = None, None
        #: seconds charged before this oracle's first query (a shrink phase on another oracle)
        self.seconds_offset = float(seconds_offset)
        #: the time budget refused a query: the search is over
        self.time_up = False
        if time_budget is not None:
            self.time_budget, self.cost = check_time_budget(oracle, time_budget, self.mask)
            self.time_up = self.seconds > self.time_budget  # the shrink phase alone used it up
        self._nbr_cache: dict[tuple[int, int], np.ndarray] = {}
        self._graphs: dict[int, NeighbourRows] = {}  # radius -> the process's rows for this benchmark
        self._prefetched: dict[int, bool] = {}
        self._domain_rows: np.ndarray | None = None

    # ------------------------------------------------------------------ accounting
    @property
    def remaining(self) -> float:
        """Distinct queries the query budget still pays for (infinite without one)."""
        return math.inf if self.stop_at is None else int(self.stop_at - self.oracle.queries)

    @property
    def seconds(self) -> float:
        """Simulated seconds spent so far in total."""
        return self.seconds_offset + self.oracle.sim_seconds

    @property
    def done(self) -> bool:
        return self.remaining <= 0 or self.n_unknown == 0 or self.time_up

    @property
    def stop_reason(self) -> str:
        """Why the search ended: ``time`` (the next query would pass the time budget), ``queries`` (the query
        budget is spent), ``exhausted`` (every architecture of the domain is known) or ``stopped`` (the optimizer
        returned on its own)."""
        if self.time_up:
            return "time"
        if self.remaining <= 0:
            return "queries"
        return "exhausted" if self.n_unknown == 0 else "stopped"

    def _affordable(self, charged: np.ndarray) -> int:
        """How many leading new rows (``charged``, in order) the time budget pays for; sets ``time_up`` when it
        does not pay for all of them."""
        cum = self.seconds + np.cumsum(self.cost[charged])
        over = np.flatnonzero(cum > self.time_budget)
        if not len(over):
            return len(charged)
        self.time_up = True
        return int(over[0])

    # ------------------------------------------------------------------ operations
    def query(self, rows) -> tuple[np.ndarray, np.ndarray]:
        """Query ``rows`` (domain rows, in preference order) as far as the budgets allow.

        Returns the rows actually asked (a prefix of ``rows``) and their values.  Known rows are free.
        """
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if len(rows) == 1:  # the evolution's hot path: one child
            r = int(rows[0])
            if not self.known[r]:
                if self.remaining <= 0 or self.time_up:
                    return rows[:0], np.empty(0)
                if self.cost is not None and self._affordable(rows) == 0:
                    return rows[:0], np.empty(0)
                self.values[r] = self.oracle.query_rows(rows)[0]
                self.known[r] = True
                self.n_unknown -= int(self.mask[r])
            return rows, self.values[rows]
        if not len(rows):
            return rows, np.empty(0)
        new = ~self.known[rows]
        if not new.any():
            return rows, self.values[rows]
        if self.time_up:
            rows = rows[: int(np.argmax(new))]  # known rows before the first new one are still free
            return rows, self.values[rows]
        # a new row is charged at its first occurrence only (one sort, shared by the budgets and the oracle)
        _, first = unique_first(rows)
        charged = np.zeros(len(rows), dtype=bool)
        charged[first] = True
        charged &= new
        rows, charged = self._truncate(rows, charged)
        # only new rows go to the oracle, in request order (its history keeps first-query order)
        fresh = rows[charged]
        if len(fresh):
            self.values[fresh] = self.oracle.query_distinct_rows(fresh)
            self.known[fresh] = True
            self.n_unknown -= int(self.mask[fresh].sum())
        return rows, self.values[rows]

    def query_row(self, row: int) -> float | None:
        """``query([row])`` for one new row (an evolution's child): its value, or ``None`` when a budget refuses it."""
        if self.known[row]:
            return float(self.values[row])
        if self.time_up or (self.stop_at is not None and len(self.oracle.history) >= self.stop_at):
            return None  # (`remaining <= 0`, without two property calls per child)
        if self.cost is not None and self._affordable(np.array([row], dtype=np.int64)) == 0:
            return None
        v = self.values[row] = self.oracle.query_row(row)
        self.known[row] = True
        self.n_unknown -= int(self.mask[row])
        return v

    def _truncate(self, rows: np.ndarray, charged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The prefix of ``rows`` the query budget and the time budget pay for, and of ``charged`` (where a row
        is charged: a new row's first occurrence in the request)."""
        count = np.cumsum(charged)
        if count[-1] > self.remaining:
            rows = rows[: int(np.searchsorted(count, self.remaining, side="right"))]
            charged = charged[: len(rows)]
        if self.cost is not None and charged.any():
            pos = np.flatnonzero(charged)
            k = self._affordable(rows[pos])
            if k < len(pos):
                rows, charged = rows[: int(pos[k])], charged[: int(pos[k])]
        return rows, charged

    def unqueried(self) -> np.ndarray:
        """The domain's rows not queried yet, sorted (``unseen`` draws among them)."""
        if self._domain_rows is None:  # a shrunk domain is a small part of the table: gather, not a full scan
            self._domain_rows = np.flatnonzero(self.mask)
        return self._domain_rows[~self.known[self._domain_rows]]

    def unseen(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``n`` distinct domain rows not queried yet, drawn uniformly (fewer when fewer are left)."""
        cand = self.unqueried()
        if len(cand) <= n:
            return cand[rng.permutation(len(cand))]
        return cand[rng.choice(len(cand), size=int(n), replace=False)]

    def _graph(self, radius: int) -> NeighbourRows:
        graph = self._graphs.get(radius)
        if graph is None:
            graph = self._graphs[radius] = neighbour_graph(self.bench, radius)
        return graph

    def neighbour_list(self, row: int) -> list[int]:
        """``neighbours(row).tolist()`` (radius 1), straight from a whole table when the benchmark has one: an
        evolution keeps its own list per parent, so this state's cache would only be a second copy."""
        csr = self._graph(1).csr(self.bench)
        if csr is None:
            return self.neighbours(row).tolist()
        every = csr[1][csr[0][row]:csr[0][row + 1]]
        return every[self.mask[every]].tolist()

    def neighbours(self, row: int, radius: int = 1) -> np.ndarray:
        """Rows of the radius-``radius`` neighbours of ``row`` that are inside the domain (sorted by row)."""
        key = (int(row), int(radius))
        out = self._nbr_cache.get(key)
        if out is None:
            graph = self._graph(key[1])
            if self.size <= PREFETCH_DOMAIN and not self._prefetched.get(key[1]):
                # a small domain is visited all over (evolution re-proposes its members for thousands of
                # generations): one broadcast call for every member is much cheaper than one call per member
                graph.fill(self.bench, np.flatnonzero(self.mask))
                self._prefetched[key[1]] = True
            every = graph.of(self.bench, key[0])
            out = every[self.mask[every]]
            out.flags.writeable = False
            self._nbr_cache[key] = out
        return out


# ---------------------------------------------------------------------------------------------- optimizer
class Optimizer(ABC):
    """Base class: subclasses set ``name``, ``Params`` (a frozen dataclass) and implement ``_run(state, rng)``.

    ``_run`` queries through ``state`` until ``state.done``; the base class builds the anytime curve.
    """

    name: ClassVar[str] = ""
    Params: ClassVar[type]

    def __init__(self, **params):
        self.params = self.Params.build(params, where=f"optimizer {self.name!r}")

    def param_dict(self) -> dict:
        return dataclasses.asdict(self.params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.param_dict().items())
        return f"{type(self).__name__}({args})"

    @abstractmethod
    def _run(self, state: SearchState, rng: np.random.Generator) -> dict | None:
        """Search until ``state.done``; may return extra ``info``."""

    def search(self, oracle, rng, space=None, *, budget: int | None = None, query_offset: int = 0,
               truth: Truth | None = None, time_budget: float | None = None,
               seconds_offset: float = 0.0) -> SearchResult:
        """Search ``space`` (default: the oracle's whole domain) until the oracle has answered ``budget`` distinct
        architectures in total (default: the oracle's budget), the next query would take its simulated seconds
        past ``time_budget`` (when given), or the domain is used up.  The result is judged on ``truth`` (default:
        the oracle's own answers, the noise-free upper bound).  With a time budget and no query budget, queries
        are unlimited.

        ``query_offset`` shifts the query axis: pass the shrinker's query count when the search runs on a fresh
        oracle whose budget is what the shrinker left (docs/search.md, "fair accounting"); ``seconds_offset`` does
        the same for the shrinker's simulated seconds (they count toward ``time_budget``).
        """
        rng = as_rng(rng)
        if budget is None:
            if oracle.budget is None and time_budget is None:
                raise InvalidConfig("give the search a budget (the oracle has none)")
            # only the time budget binds: every architecture of the benchmark could be paid for
            budget = oracle.budget if oracle.budget is not None else oracle.queries + len(oracle.benchmark)
        if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 0:
            raise InvalidConfig(f"budget must be a non-negative integer, got {budget!r}")
        budget = int(budget)
        if oracle.budget is not None and budget > oracle.budget:
            raise InvalidConfig(f"budget {budget} is larger than the oracle's budget {oracle.budget}")
        if isinstance(query_offset, bool) or not isinstance(query_offset, (int, np.integer)) or query_offset < 0:
            raise InvalidConfig(f"query_offset must be a non-negative integer, got {query_offset!r}")
        live = getattr(oracle.benchmark, "live", False)  # a surrogate without rows: search/_live.py
        if live:
            from ._live import LiveSearchState as state_class, build_live_result as build

            if time_budget is not None:
                raise InvalidConfig("a time budget needs a tabulated benchmark; the live surrogate has none")
            state = state_class(oracle, space, stop_at=budget)
        else:
            seconds_offset = as_float(seconds_offset, "seconds_offset", ge=0)
            state = SearchState(oracle, space, stop_at=budget, time_budget=time_budget,
                                seconds_offset=seconds_offset)
            build = build_result
        start = oracle.queries
        info = self._run(state, rng) or {}
        if live:
            return build(oracle, state, self.name, self.param_dict(), start, budget, int(query_offset), info)
        return build(oracle, state, truth or Truth.of_oracle(oracle), self.name, self.param_dict(), start, budget,
                     int(query_offset), info)


# ---------------------------------------------------------------------------------------------- shrink, then search
def fork_oracle(oracle, budget: int | None = None):
    """A new oracle that knows exactly what ``oracle`` knows (same history, same order, same simulated time) with
    budget ``budget`` in total; ``oracle`` itself is left untouched (``Oracle.fork``)."""
    return oracle.fork(budget)


def search_after_shrink(shrink_result, oracle, optimizer, rng, *, budget: int,
                        regret_at: Sequence[int] | None = None, prefix: str = COLUMN_PREFIX, suffix: str = "",
                        return_result: bool = False, truth: Truth | None = None, time_budget: float | None = None):
    """Search inside a shrinker's result, continuing its oracle; returns ``{"search_regret@B": ...}`` columns.

    ``oracle`` is the oracle the shrinker spent (it is not modified: the search runs on ``fork_oracle``), so its
    queries count against ``budget`` (the *total* per cell) and every architecture it queried is free for the
    search.  ``shrink_result`` is a ``ShrinkResult`` or a shrunk space; ``None`` / ``"full"`` searches the whole
    domain (pass a fresh ``Oracle`` then: the full-space baseline).  ``optimizer`` is a name (``rs``, ``re``,
    ``ls``) or an ``Optimizer``.  Columns: ``search_regret@q``
    and ``search_best@q`` for ``q`` in ``regret_at`` (default ``B, B/2, B/4``), ``search_queries``,
    ``search_total_queries``, ``search_sim_seconds``, ``search_domain_size``, ``search_domain_regret``,
    ``search_exhausted``, ``search_stop`` (why it ended: queries, time, exhausted); ``time_budget`` stops it at
    that many simulated seconds in total, the shrinker's included; ``suffix`` is appended to every name (``"[re]"`` -> ``search_regret@1000[re]``).

    >>> import numpy as np, lissnas_bench as lb
    >>> from lissnas_bench.shrinkers import get_shrinker
    >>> from lissnas_bench.search import search_after_shrink
    >>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=300)
    >>> res = get_shrinker("lissnas").shrink(oracle, np.random.default_rng(0))
    >>> cols = search_after_shrink(res, oracle, "re", np.random.default_rng(1), budget=600)
    >>> cols["search_exhausted"], cols["search_regret@600"] == cols["search_domain_regret"]  # |S'| < budget
    (True, True)
    """
    from . import get_optimizer

    if isinstance(optimizer, str):
        optimizer = get_optimizer(optimizer)
    shrunk = getattr(shrink_result, "shrunk", shrink_result)
    forked = fork_oracle(oracle, budget)
    result = optimizer.search(forked, rng, shrunk, budget=budget, truth=truth, time_budget=time_budget)
    cols = result.columns(regret_at, prefix=prefix, suffix=suffix)
    return (cols, result) if return_result else cols
