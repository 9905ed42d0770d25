"""LISSNAS (our reconstruction; every rule and default is in docs/algorithm.md).

S_0 is the oracle's domain.  Iteration t draws min(n, |S_t|) architectures uniformly without replacement from
S_t and queries them; the top k become the centres of S_{t+1} = Pockets(centres, radius).  S_t (t >= 1) is
*accepted* when its sample mean exceeds the previous iteration's by more than ``tol``; the first rejection ends
the run.  The result is the last accepted space (S_0 = the full domain, as a ``Product``, when none was), or with
``union=True`` the union of every accepted S_t.  An iteration runs only if the oracle can pay for its whole
sample; otherwise the run stops with ``stop="budget"``.

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.shrinkers import get_shrinker
>>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=500)
>>> res = get_shrinker("lissnas").shrink(oracle, np.random.default_rng(0))
>>> res.shrunk.kind, res.queries <= 500, res.info["stop"] in {"no-improvement", "budget", "max-iters"}
('pockets', True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..spaces import as_rng
from .._params import Params, param, require
from ._base import Shrinker, fmean, key_querier, sample_keys, sample_stats, top
from ..spaces.shrunk import Pockets, Product


@dataclass(frozen=True)
class LissnasParams(Params):
    where = "lissnas"
    n: int = param(100, ge=1, help="architectures sampled per iteration")
    k: int = param(10, ge=1, help="seeds (pocket centres) kept per iteration")
    radius: int = param(1, ge=1, help="pocket radius in the space's neighbour graph")
    tol: float = param(0.0, ge=0, help="a space is accepted when its sample mean beats the previous one by more than tol")
    max_iters: int = param(20, ge=1, help="at most this many shrink steps (max_iters + 1 samples)")
    union: bool = param(False, help="return the union of all accepted spaces instead of the last one")
    min_seed_distance: int = param(0, ge=0, help="seeds kept best-first at least this far apart (space.distance); "
                                                 "0 = the plain top k")

    def check(self):
        require(self.k <= self.n, f"k={self.k} > n={self.n}:", "cannot keep more seeds than are sampled")


class LISSNAS(Shrinker):
    """Locality-based iterative search-space shrinkage (reconstruction)."""

    name = "lissnas"
    Params = LissnasParams
    needs_reference = False

    def shrink(self, oracle, rng, reference_size=None, reference_queries=None):
        p = self.params
        rng = as_rng(rng)
        dom = oracle.space
        self._check_budget(oracle, min(p.n, dom.size))
        # integer keys (space.index) end to end: the samples come from the space, so they are validated once, by
        # the space, and pockets are built from the keys without re-checking them
        ask = key_querier(oracle, dom)

        rows: list[dict] = []
        current = None  # None = S_0, the whole domain
        incumbent, incumbent_t = None, 0
        accepted_keys: list[np.ndarray] = []
        prev_mean = None
        stop = "max-iters"
        for t in range(p.max_iters + 1):
            space = dom if current is None else current
            size = space.size
            m = min(p.n, size)
            keys = sample_keys(dom, m, rng) if current is None else current._sample_keys(m, rng, replace=False)
            queries_before = oracle.queries
            y = ask(keys)
            if y is None:
                stop = "budget"
                break
            mean, best = sample_stats(y)
            order = top(y, p.k) if p.min_seed_distance <= 0 else seeds(dom, dom.from_index(keys), y, p.k,
                                                                        p.min_seed_distance)
            accepted = t == 0 or mean > prev_mean + p.tol
            rows.append(_row(t, size, mean, best, oracle, accepted, m, queries_before, current, y[order]))
            if not accepted:
                stop = "no-improvement"
                break
            if current is not None:
                incumbent, incumbent_t = current, t
                accepted_keys.append(current._centre_keys)
            prev_mean = mean
            if t == p.max_iters:
                break
            current = Pockets._trusted(dom, keys[order], p.radius, distinct=True)

        if p.union and accepted_keys:
            shrunk = Pockets._trusted(dom, np.concatenate(accepted_keys), p.radius)
        elif incumbent is not None:
            shrunk = incumbent
        else:
            shrunk = Product.full(dom)
        return self._result(
            shrunk,
            rows,
            oracle,
            stop,
            extra_columns=("n_sampled", "new_queries", "centres", "seeds_mean"),
            returned_iteration=incumbent_t,
            accepted_iterations=len(accepted_keys),
            size=int(shrunk.size),
        )


def _row(t, size, mean, best, oracle, accepted, m, queries_before, current, seed_values) -> dict:
    return {"iteration": t, "size": size, "sample_mean": mean, "sample_best": best, "queries": oracle.queries,
            "accepted": accepted, "n_sampled": m, "new_queries": oracle.queries - queries_before,
            "centres": 0 if current is None else len(current._centre_keys), "seeds_mean": fmean(seed_values)}


def seeds(space, X: np.ndarray, y: np.ndarray, k: int, min_distance: int = 0) -> np.ndarray:
    """Positions of the seeds kept from a sample: the top ``k`` by ``y``, or with ``min_distance`` > 0, best-first
    skipping any architecture closer than ``min_distance`` (``space.distance``) to a seed already kept (so fewer
    than ``k`` when the sample has fewer such points).

    >>> from lissnas_bench.spaces import get_space
    >>> s = get_space("nasbench-macro")
    >>> X = s.from_strings(["00000000", "00000001", "22222222"])
    >>> seeds(s, X, np.array([3.0, 2.0, 1.0]), 2).tolist(), seeds(s, X, np.array([3.0, 2.0, 1.0]), 2, 2).tolist()
    ([0, 1], [0, 2])
    """
    order = top(y, len(y) if min_distance > 0 else k)
    if min_distance <= 0:
        return order
    kept = [int(order[0])]
    for i in order[1:]:
        if len(kept) == k:
            break
        if np.asarray(space.distance(X[i : i + 1], X[kept])).min() >= min_distance:
            kept.append(int(i))
    return np.asarray(kept, dtype=np.int64)
