"""The search state on a live surrogate, where the space (~1e18 DARTS genotypes) has no rows to mask.

``LiveSearchState`` offers the optimizers what ``SearchState`` does (``query(rows)``, ``unseen(n, rng)``,
``neighbours(row)``, ``known[row]``, ``done``, ``remaining``) with one difference: a *row* is a number this state
gives an architecture the first time it meets it (sampled, or as a neighbour), so the registry grows as the search
goes; ``keys[row]`` is its ``darts`` index.  ``mask`` is ``None`` (random search samples instead of permuting).

The same restriction rules apply (docs/search.md): samples are uniform over the domain's unqueried architectures
(rejection of already-known ones, exact for an enumerable domain), neighbours are the radius-1 neighbours inside
the domain.  The maximum of f over the whole space is unknown, so ``global_max`` -- and every regret -- is NaN;
over an enumerable domain (a shrunk space of at most ``DOMAIN_MAX_EXACT`` members) ``domain_max`` is exact.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidConfig
from ..spaces.shrunk import ShrunkSpace

#: an enumerable domain up to this size is listed once (exact uniform samples and an exact domain maximum)
DOMAIN_MAX_EXACT = 50_000


class LiveSearchState:
    """``SearchState`` for a ``LiveOracle`` (see the module docstring)."""

    mask = None

    def __init__(self, oracle, space=None, stop_at: int | None = None):
        self.oracle = oracle
        self.bench = oracle.benchmark
        self._space = self.bench.space
        self.domain = self._domain(space)
        self.size = int(self.domain.size)
        self._members = None  # sorted keys of an enumerable domain
        if isinstance(self.domain, ShrunkSpace) and self.domain.enumerable and self.size <= DOMAIN_MAX_EXACT:
            self._members = self._space.index(self.domain.enumerate())
        self.global_max = math.nan  # unknowable over the whole space
        self.domain_max = math.nan
        if self._members is not None and len(self._members):  # ground truth, like a table's column maximum
            self.domain_max = float(np.nanmax(self.bench.values_of_keys(self._members, oracle.dataset,
                                                                          oracle.metric)))
        self.keys_list: list[int] = []
        self._row: dict[int, int] = {}
        self._known = np.zeros(1024, bool)
        self._vals = np.full(1024, np.nan)
        self._in_domain = np.zeros(1024, bool)
        self.n_known_in_domain = 0
        archs, vals = oracle.queried()
        if len(archs):  # what the oracle already knows is free
            rows = self._register(self._space.index(archs), check=True)
            self._known[rows], self._vals[rows] = True, vals
            self.n_known_in_domain = int(self._in_domain[rows].sum())
        self.stop_at = stop_at if stop_at is not None else oracle.budget
        self._nbr_cache: dict[tuple[int, int], np.ndarray] = {}

    def _domain(self, space):
        if space is None or (isinstance(space, str) and space == "full"):
            return self.oracle.space
        if isinstance(space, np.ndarray) and space.dtype == bool:
            raise InvalidConfig("a live surrogate has no rows: restrict the search with a shrunk space, not a row mask")
        if not hasattr(space, "contains"):
            raise InvalidConfig(f"cannot search inside a {type(space).__name__}: pass 'full' or a shrunk space")
        inner = getattr(space, "space", space)
        if getattr(inner, "name", self._space.name) != self._space.name:
            raise InvalidConfig(f"the search space is over {inner.name!r} but {self.bench.id!r} is over "
                                f"{self._space.name!r}")
        return space

    # ------------------------------------------------------------------ registry
    @property
    def keys(self) -> np.ndarray:
        return np.asarray(self.keys_list, dtype=np.int64)

    @property
    def known(self) -> np.ndarray:
        return self._known[: len(self.keys_list)]

    @property
    def values(self) -> np.ndarray:
        return self._vals[: len(self.keys_list)]

    def _register(self, keys, check: bool = False) -> np.ndarray:
        """Rows of ``keys``, new rows for the new ones; ``check``: test domain membership (else: inside)."""
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        rows = np.empty(len(keys), dtype=np.int64)
        for i, k in enumerate(keys.tolist()):
            r = self._row.get(k)
            if r is None:
                r = self._row[k] = len(self.keys_list)
                self.keys_list.append(k)
                if r >= len(self._known):
                    grow = len(self._known)
                    self._known = np.concatenate([self._known, np.zeros(grow, bool)])
                    self._vals = np.concatenate([self._vals, np.full(grow, np.nan)])
                    self._in_domain = np.concatenate([self._in_domain, np.zeros(grow, bool)])
                self._in_domain[r] = not check
            rows[i] = r
        if check and len(rows):
            self._in_domain[rows] = self._contains(keys)
        return rows

    def _contains(self, keys) -> np.ndarray:
        if self._members is not None:
            pos = np.searchsorted(self._members, keys).clip(0, max(len(self._members) - 1, 0))
            return self._members[pos] == keys if len(self._members) else np.zeros(len(keys), bool)
        return np.asarray(self.domain.contains(self._space.from_index(keys)), dtype=bool)

    # ------------------------------------------------------------------ accounting
    @property
    def n_unknown(self) -> int:
        return self.size - self.n_known_in_domain

    @property
    def remaining(self) -> int:
        return int(self.stop_at - self.oracle.queries)

    @property
    def done(self) -> bool:
        return self.remaining <= 0 or self.n_unknown == 0

    # ------------------------------------------------------------------ operations
    def query(self, rows) -> tuple[np.ndarray, np.ndarray]:
        """Query ``rows`` in preference order as far as the budget allows; known rows are free."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if not len(rows):
            return rows, np.empty(0)
        new = ~self.known[rows]
        if new.any():
            _, first = np.unique(rows, return_index=True)
            firsts = np.zeros(len(rows), dtype=bool)
            firsts[first] = True
            charged = np.cumsum(new & firsts)
            if charged[-1] > self.remaining:
                rows = rows[: int(np.searchsorted(charged, self.remaining, side="right"))]
        unknown = rows[~self.known[rows]]
        if len(unknown):
            _, first = np.unique(unknown, return_index=True)
            fresh = unknown[np.sort(first)]
            self._vals[fresh] = self.oracle.query_keys(self.keys[fresh])
            self._known[fresh] = True
            self.n_known_in_domain += int(self._in_domain[fresh].sum())
        return rows, self._vals[rows]

    def query_row(self, row: int) -> float | None:
        """``query([row])``: its value, or ``None`` when the budget refuses it (``SearchState.query_row``)."""
        asked, v = self.query([row])
        return float(v[0]) if len(asked) else None

    def unseen(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``n`` distinct unqueried domain architectures, drawn uniformly, as rows."""
        n = int(min(n, self.n_unknown))
        if n <= 0:
            return np.empty(0, dtype=np.int64)
        if self._members is not None:
            cand = self._members[~np.isin(self._members, self.keys[self.known])]
            if len(cand) > n:
                return self._register(cand[rng.choice(len(cand), size=n, replace=False)])
            return self._register(cand[rng.permutation(len(cand))])
        out: list[int] = []
        seen = set()
        while len(out) < n:  # the domain is huge: a repeat or a known architecture is rare, redraw it
            draw = self._space.index(self._sample(2 * (n - len(out)) + 8, rng))
            for k in draw.tolist():
                r = self._row.get(k)
                if k in seen or (r is not None and self._known[r]):
                    continue
                seen.add(k)
                out.append(k)
                if len(out) == n:
                    break
        return self._register(np.asarray(out, dtype=np.int64))

    def _sample(self, m: int, rng) -> np.ndarray:
        if isinstance(self.domain, ShrunkSpace):
            return self.domain.sample(m, rng, replace=True)
        return self.domain.sample(m, rng)

    def neighbour_list(self, row: int) -> list[int]:
        """``neighbours(row).tolist()`` (``SearchState.neighbour_list``)."""
        return self.neighbours(row).tolist()

    def neighbours(self, row: int, radius: int = 1) -> np.ndarray:
        """Rows of the radius-``radius`` neighbours of ``row`` inside the domain (sorted by row)."""
        key = (int(row), int(radius))
        out = self._nbr_cache.get(key)
        if out is None:
            nb, _ = self._space.neighbours(self._space.from_index(self.keys[key[0] : key[0] + 1]), radius)
            keys = self._space.index(nb) if len(nb) else np.empty(0, np.int64)
            keys = keys[self._contains(keys)] if len(keys) else keys
            out = np.unique(self._register(keys))
            out.flags.writeable = False
            self._nbr_cache[key] = out
        return out


def build_live_result(oracle, state: LiveSearchState, name: str, params: dict, start: int, budget: int,
                      offset: int, info: dict):
    """``SearchResult`` of a search on a live surrogate (the curve from the oracle's own records)."""
    from ._base import SearchResult

    archs, values = oracle.queried()
    best = np.fmax.accumulate(values) if len(values) else np.empty(0)
    costs = oracle.costs() if oracle.has_time else None
    sim = None if costs is None else np.cumsum(np.nan_to_num(costs, nan=0.0))
    if len(values) and np.isfinite(values).any():
        i = int(np.nanargmax(values))
        best_arch, best_value = archs[i].copy(), float(values[i])
    else:
        best_arch, best_value = None, math.nan
    info = {**info, "regret": "unavailable: the surrogate's maximum over the whole space is unknown"}
    return SearchResult(
        optimizer=name, params=params, queries=np.arange(1, len(values) + 1, dtype=np.int64) + offset,
        best_so_far=best.astype(np.float64), sim_seconds=sim, search_start=int(start + offset),
        budget=int(budget + offset), global_max=state.global_max, domain_size=state.size,
        domain_max=state.domain_max, best_arch=best_arch, best_value=best_value,
        exhausted=bool(state.n_unknown == 0 and state.remaining > 0), info=info)
