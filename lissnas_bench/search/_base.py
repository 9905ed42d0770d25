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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..errors import InvalidConfig, UnknownName
from ..spaces import as_rng

#: prefix of the result columns ``search_after_shrink`` returns (``search_regret@1000``, ...)
COLUMN_PREFIX = "search_"


# ---------------------------------------------------------------------------------------------- result
@dataclass
class SearchResult:
    """An anytime curve: after ``queries[i]`` distinct queries in total, the best value found is
    ``best_so_far[i]`` (the true value of the best architecture queried so far).

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

    @property
    def regret(self) -> np.ndarray:
        """``global_max - best_so_far`` (the global maximum is over the oracle's whole domain, not the shrunk
        space, so a shrunk space that lost the optimum shows it)."""
        return self.global_max - self.best_so_far

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
        return float(self.global_max - self.best_at(q))

    def columns(self, at: Iterable[int] | None = None, prefix: str = COLUMN_PREFIX, suffix: str = "") -> dict[str, Any]:
        """Flat scalar columns: ``{prefix}regret@q{suffix}`` and ``{prefix}best@q{suffix}`` for each ``q`` in ``at``
        (default: the budget, its half and its quarter), plus queries, simulated seconds and the domain's size and
        regret (``suffix`` tells optimizers apart when one row holds several, e.g. ``"[re]"``)."""
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
        vals["domain_regret"] = float(self.global_max - self.domain_max)
        vals["exhausted"] = bool(self.exhausted)
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


# ---------------------------------------------------------------------------------------------- domain + state
def domain_mask(oracle, space=None) -> np.ndarray:
    """Boolean mask over ``oracle.benchmark``'s rows: the architectures a search may query.

    ``space`` is ``None`` / ``"full"`` (the oracle's whole domain), anything with ``contains(archs)`` (a shrunk
    space or a ``Space`` of the benchmark's search space), or a boolean mask over the benchmark's rows.
    """
    bench = oracle.benchmark
    mask = np.isfinite(bench.columns[(oracle.dataset, oracle.metric)])
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
    return mask & np.asarray(space.contains(bench.archs), dtype=bool)


class SearchState:
    """What an optimizer works with: row indices of the benchmark instead of architecture arrays.

    Rows are the benchmark's canonical architectures, so membership, "already queried" and neighbour lookups are
    array gathers.  ``query`` never spends more than the budget: it truncates a request after the last
    architecture the budget can pay for (requests are in the optimizer's preference order).
    """

    def __init__(self, oracle, space=None, stop_at: int | None = None):
        self.oracle = oracle
        self.bench = oracle.benchmark
        values = self.bench.columns[(oracle.dataset, oracle.metric)]
        finite = np.isfinite(values)
        if not finite.any():
            raise InvalidConfig(f"{self.bench.id}/{oracle.dataset}/{oracle.metric} has no values")
        self.global_max = float(values[finite].max())
        self.mask = domain_mask(oracle, space)
        self.size = int(self.mask.sum())
        if self.size == 0:
            raise InvalidConfig(
                f"the search space holds no architecture with a value for {oracle.dataset}/{oracle.metric}")
        self.domain_max = float(values[self.mask].max())
        self.known = np.zeros(len(self.bench), dtype=bool)
        #: values the search has seen (NaN = not queried); known rows are answered from here, not the oracle
        self.values = np.full(len(self.bench), np.nan)
        hist = np.asarray(oracle.history, dtype=np.int64)
        if len(hist):  # what the oracle already knows is free: ask for it once, for the values
            self.values[hist] = oracle.query(self.bench.archs[hist])
            self.known[hist] = True
        self.n_unknown = int((self.mask & ~self.known).sum())
        self.stop_at = stop_at if stop_at is not None else oracle.budget
        self._space = self.bench.space
        self._nbr_cache: dict[tuple[int, int], np.ndarray] = {}

    # ------------------------------------------------------------------ accounting
    @property
    def remaining(self) -> int:
        return int(self.stop_at - self.oracle.queries)

    @property
    def done(self) -> bool:
        return self.remaining <= 0 or self.n_unknown == 0

    # ------------------------------------------------------------------ operations
    def query(self, rows) -> tuple[np.ndarray, np.ndarray]:
        """Query ``rows`` (domain rows, in preference order) as far as the budget allows.

        Returns the rows actually asked (a prefix of ``rows``) and their values.  Known rows are free.
        """
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if len(rows) == 1:  # the evolution's hot path: one child
            r = int(rows[0])
            if not self.known[r]:
                if self.remaining <= 0:
                    return rows[:0], np.empty(0)
                self.values[r] = self.oracle.query(self.bench.archs[r : r + 1])[0]
                self.known[r] = True
                self.n_unknown -= int(self.mask[r])
            return rows, self.values[rows]
        if not len(rows):
            return rows, np.empty(0)
        new = ~self.known[rows]
        if new.any():
            # a row repeated within the request is charged once: count only its first occurrence
            _, first = np.unique(rows, return_index=True)
            firsts = np.zeros(len(rows), dtype=bool)
            firsts[first] = True
            charged = np.cumsum(new & firsts)
            if charged[-1] > self.remaining:
                rows = rows[: int(np.searchsorted(charged, self.remaining, side="right"))]
        if not len(rows):
            return rows, np.empty(0)
        unknown = rows[~self.known[rows]]
        if len(unknown):
            # only new rows go to the oracle, in request order (its history keeps first-query order)
            _, first = np.unique(unknown, return_index=True)
            fresh = unknown[np.sort(first)]
            self.values[fresh] = self.oracle.query(self.bench.archs[fresh])
            self.known[fresh] = True
            self.n_unknown -= int(self.mask[fresh].sum())
        return rows, self.values[rows]

    def unseen(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``n`` distinct domain rows not queried yet, drawn uniformly (fewer when fewer are left)."""
        cand = np.flatnonzero(self.mask & ~self.known)
        if len(cand) <= n:
            return cand[rng.permutation(len(cand))]
        return cand[rng.choice(len(cand), size=int(n), replace=False)]

    def neighbours(self, row: int, radius: int = 1) -> np.ndarray:
        """Rows of the radius-``radius`` neighbours of ``row`` that are inside the domain (sorted by row)."""
        key = (int(row), int(radius))
        out = self._nbr_cache.get(key)
        if out is None:
            nb, _ = self._space.neighbours(self.bench.archs[key[0] : key[0] + 1], radius)
            if len(nb):
                r = self.bench.rows(nb, missing="mask")
                r = r[r >= 0]
                out = np.unique(r[self.mask[r]])
            else:
                out = np.empty(0, dtype=np.int64)
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
        from ..shrinkers._base import make_params

        try:
            self.params = make_params(self.Params, params, self.name)
        except UnknownName as exc:
            raise UnknownName(f"parameter of optimizer {self.name!r}", exc.value, exc.accepted) from None

    def param_dict(self) -> dict:
        return dataclasses.asdict(self.params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.param_dict().items())
        return f"{type(self).__name__}({args})"

    @abstractmethod
    def _run(self, state: SearchState, rng: np.random.Generator) -> dict | None:
        """Search until ``state.done``; may return extra ``info``."""

    def search(self, oracle, rng, space=None, *, budget: int | None = None, query_offset: int = 0) -> SearchResult:
        """Search ``space`` (default: the oracle's whole domain) until the oracle has answered ``budget`` distinct
        architectures in total (default: the oracle's budget), or the domain is used up.

        ``query_offset`` shifts the query axis: pass the shrinker's query count when the search runs on a fresh
        oracle whose budget is what the shrinker left (docs/search.md, "fair accounting").
        """
        rng = as_rng(rng)
        if budget is None:
            if oracle.budget is None:
                raise InvalidConfig("give the search a budget (the oracle has none)")
            budget = oracle.budget
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
        else:
            state_class, build = SearchState, build_result
        state = state_class(oracle, space, stop_at=budget)
        start = oracle.queries
        info = self._run(state, rng) or {}
        return build(oracle, state, self.name, self.param_dict(), start, budget, int(query_offset), info)


def build_result(oracle, state: SearchState, name: str, params: dict, start: int, budget: int, offset: int,
                 info: dict) -> SearchResult:
    bench = oracle.benchmark
    rows = np.asarray(oracle.history, dtype=np.int64)
    values = bench.columns[(oracle.dataset, oracle.metric)][rows]
    best = np.fmax.accumulate(values) if len(values) else np.empty(0)
    sim = None
    cost_metric = bench.cost_metrics.get(oracle.dataset)
    if oracle.has_time and cost_metric:
        sim = np.cumsum(np.nan_to_num(bench.columns[(oracle.dataset, cost_metric)][rows], nan=0.0))
    queries = np.arange(1, len(rows) + 1, dtype=np.int64) + offset
    if len(values) and np.isfinite(values).any():
        i = int(np.nanargmax(values))
        best_arch, best_value = bench.archs[rows[i]].copy(), float(values[i])
    else:
        best_arch, best_value = None, math.nan
    return SearchResult(
        optimizer=name, params=params, queries=queries, best_so_far=best.astype(np.float64), sim_seconds=sim,
        search_start=int(start + offset), budget=int(budget + offset), global_max=state.global_max,
        domain_size=state.size, domain_max=state.domain_max, best_arch=best_arch, best_value=best_value,
        exhausted=bool(state.n_unknown == 0 and state.remaining > 0), info=info)


# ---------------------------------------------------------------------------------------------- shrink, then search
def fork_oracle(oracle, budget: int | None = None):
    """A new ``Oracle`` that knows exactly what ``oracle`` knows (same history, same order, same simulated time)
    and has budget ``budget`` in total; ``oracle`` itself is left untouched.

    Built by replaying the history through a fresh oracle (public API only), so several optimizers can continue
    the same shrink phase independently.
    """
    from ..benchmarks import Oracle

    new = Oracle(oracle.benchmark, oracle.dataset, oracle.metric, None, charge_time=oracle.has_time)
    if oracle.history:
        new.query(oracle.queried()[0])
        new.sim_seconds = oracle.sim_seconds
    if budget is not None:
        if budget < new.queries:
            raise InvalidConfig(f"budget {budget} is smaller than the {new.queries} queries already spent")
        new.budget = int(budget)
    return new


def search_after_shrink(shrink_result, oracle, optimizer, rng, *, budget: int,
                        regret_at: Sequence[int] | None = None, prefix: str = COLUMN_PREFIX, suffix: str = "",
                        return_result: bool = False):
    """Search inside a shrinker's result, continuing its oracle; returns ``{"search_regret@B": ...}`` columns.

    ``oracle`` is the oracle the shrinker spent (it is not modified: the search runs on ``fork_oracle``), so its
    queries count against ``budget`` (the *total* per cell) and every architecture it queried is free for the
    search.  ``shrink_result`` is a ``ShrinkResult`` or a shrunk space; ``None`` / ``"full"`` searches the whole
    domain (pass a fresh ``Oracle`` then: the full-space baseline).  ``optimizer`` is a name (``rs``, ``re``,
    ``ls``) or an ``Optimizer``.  Columns: ``search_regret@q``
    and ``search_best@q`` for ``q`` in ``regret_at`` (default ``B, B/2, B/4``), ``search_queries``,
    ``search_total_queries``, ``search_sim_seconds``, ``search_domain_size``, ``search_domain_regret``,
    ``search_exhausted``; ``suffix`` is appended to every name (``"[re]"`` -> ``search_regret@1000[re]``).

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
    result = optimizer.search(forked, rng, shrunk, budget=budget)
    cols = result.columns(regret_at, prefix=prefix, suffix=suffix)
    return (cols, result) if return_result else cols


def search_seed_sequence(cell_ss: np.random.SeedSequence, optimizer: str) -> np.random.SeedSequence:
    """The search's stream in a comparison cell: child ``(3, crc32(optimizer))`` of the cell's sequence.

    The runner uses children 0..2 of the cell for shrink, evaluation and sampling; keying the search by the
    optimizer's name gives every shrinker of the cell the same search stream (common random numbers).
    """
    import zlib

    return np.random.SeedSequence(cell_ss.entropy, spawn_key=tuple(cell_ss.spawn_key) + (3, zlib.crc32(
        optimizer.encode())), pool_size=cell_ss.pool_size)



# ---------------------------------------------------------------------------------------------- repeated searches
def shrink_queries_of(path) -> int | None:
    """The shrinker's query count recorded beside a shrunk-space file, when there is one.

    Knows the two places lissnas-bench writes spaces: a comparison folder (``spaces/<key>.json`` next to
    ``cells/<key>.json``) and the ``shrink`` command (``<stem>.space.json`` next to ``<stem>.metrics.json``).
    """
    import json
    from pathlib import Path

    p = Path(path)
    candidates = []
    if p.parent.name == "spaces":
        candidates.append((p.parent.parent / "cells" / f"{p.stem}.json", ("row", "queries")))
    if p.name.endswith(".space.json"):
        candidates.append((p.with_name(p.name[: -len(".space.json")] + ".metrics.json"), ("metrics", "queries")))
    for f, (a, b) in candidates:
        try:
            q = json.loads(f.read_text())[a][b]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(q, int) and q >= 0:
            return q
    return None


def search_seeds(bench, *, space=None, optimizer: str = "rs", params: dict | None = None, budget: int = 1000,
                 seeds: int = 10, root_seed: int = 0, dataset: str | None = None, metric: str | None = None,
                 shrink_queries: int = 0, regret_at: Sequence[int] | None = None, space_label: str = "full"):
    """Run one optimizer on ``seeds`` seeds; returns ``(results, curves)`` DataFrames (a row per seed; the
    full-resolution anytime curves).

    ``budget`` is the total per seed.  ``shrink_queries`` charges a shrinker's queries up front (fresh-oracle
    accounting: the search gets ``budget - shrink_queries`` and its curve starts at ``shrink_queries + 1``).
    Seed ``i`` uses ``SeedSequence(root_seed).spawn(seeds)[i]``.

    >>> import lissnas_bench as lb
    >>> from lissnas_bench.search import search_seeds
    >>> res, curves = search_seeds(lb.load_benchmark("analognas"), optimizer="ls", budget=100, seeds=2)
    >>> res["search_total_queries"].tolist(), len(curves)
    ([100, 100], 200)
    """
    import pandas as pd

    from ..benchmarks import Oracle
    from . import get_optimizer

    opt = get_optimizer(optimizer, **dict(params or {}))
    dataset, metric = bench.resolve(dataset, metric)
    for name, v, lo in (("budget", budget, 1), ("seeds", seeds, 1), ("seed", root_seed, 0),
                        ("shrink_queries", shrink_queries, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise InvalidConfig(f"{name} must be an integer >= {lo}, got {v!r}")
    if shrink_queries >= budget:
        raise InvalidConfig(f"the shrinker's {shrink_queries} queries leave nothing of the budget {budget}")
    rows, curves = [], []
    for i, ss in enumerate(np.random.SeedSequence(root_seed).spawn(seeds)):
        oracle = Oracle(bench, dataset, metric, budget - shrink_queries)
        res = opt.search(oracle, np.random.default_rng(ss), space, query_offset=shrink_queries)
        ids = {"benchmark": bench.id, "dataset": dataset, "metric": metric, "shrinker": space_label,
               "optimizer": optimizer, "seed": i}
        best_arch = bench.space.to_strings(res.best_arch[None, :])[0] if res.best_arch is not None else None
        rows.append({**ids, "shrink_queries": shrink_queries, **res.columns(regret_at), "best": res.best_value,
                     "regret": res.global_max - res.best_value, "best_arch": best_arch, **{
                         f"info_{k}": v for k, v in res.info.items()}})
        f = res.to_frame()
        for k, v in reversed(ids.items()):
            f.insert(0, k, v)
        curves.append(f)
    return pd.DataFrame(rows), pd.concat(curves, ignore_index=True)
