"""Size- and spend-matched "single sub-region" control: one region around the best sampled architecture.

Draws ``n`` architectures uniformly without replacement (default: as many as the reference spent, so both see
the same number of queries; 100 without a reference spend), queries them, and centres one region on the best
(ties: the earlier draw).  The region is the ball of the smallest radius that holds at least the reference size;
with ``match="exact"`` (the default) a ball larger than the reference is cut to exactly its size: every member of
the radius-(r - 1) ball plus a uniform random subset of the radius-r shell (an ``explicit`` set); with
``match="ball"`` the whole ball is kept (sizes jump, so it usually overshoots).  When the ball stops growing (the
whole connected domain) it is kept as it is.

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.shrinkers import get_shrinker
>>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=100)
>>> res = get_shrinker("single-region").shrink(oracle, np.random.default_rng(0), reference_size=200,
...                                            reference_queries=80)
>>> res.shrunk.kind, res.shrunk.size, res.queries, res.info["radius"]
('explicit', 200, 80, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._params import Params, param
from ..spaces import as_rng
from ..spaces.shrunk import Explicit, Pockets, Product
from ._base import Shrinker, query_or_none, sample_stats, top

#: sample size when the reference's spend is not known
DEFAULT_N = 100


@dataclass(frozen=True)
class SingleRegionParams(Params):
    where = "single-region"
    n: int | None = param(None, ge=1, help="architectures sampled to find the centre (default: the reference's "
                                           f"spend, else {DEFAULT_N})")
    size: int | None = param(None, ge=1, help="size to reach (default: the reference size)")
    match: str = param("exact", choices=("exact", "ball"),
                       help="exact: cut the ball to the reference size; ball: keep the smallest ball that holds it")


class SingleRegion(Shrinker):
    """One region around the best of a uniform sample, matched to the reference's size and spend."""

    name = "single-region"
    Params = SingleRegionParams
    needs_reference = True

    def shrink(self, oracle, rng, reference_size=None, reference_queries=None):
        p = self.params
        rng = as_rng(rng)
        dom = oracle.space
        target = self._reference(p.size, reference_size, "size", dom.size)
        n = p.n if p.n is not None else (reference_queries if reference_queries else DEFAULT_N)
        m = min(n, dom.size)
        self._check_budget(oracle, m)
        X = dom.sample(m, rng, replace=False)
        y = query_or_none(oracle, X)
        if y is None:
            return self._result(Product.full(dom), [], oracle, "budget", reference_size=target, size=dom.size)
        mean, best = sample_stats(y)
        centre = X[top(y, 1)]
        rows, radius, prev, inner = [], 0, None, None
        while True:
            radius += 1
            ball = Pockets(dom, centre, radius)
            done = ball.size >= target or (prev is not None and ball.size == prev.size)
            rows.append({"iteration": radius - 1, "size": ball.size, "sample_mean": mean, "sample_best": best,
                         "queries": oracle.queries, "accepted": done, "radius": radius})
            if done:
                break
            prev = inner = ball
        shrunk = ball
        if p.match == "exact" and ball.size > target:
            shrunk = _cut(dom, ball, inner if inner is not None else Pockets(dom, centre, 0), target, rng)
        return self._result(
            shrunk, rows, oracle, "reference" if ball.size >= target else "whole-component", extra_columns=("radius",),
            reference_size=target, radius=radius, size=int(shrunk.size), ball_size=int(ball.size), sampled=m,
            centre=np.asarray(ball.centres[0]).astype(int).tolist())


def _cut(dom, ball, inner, target: int, rng) -> Explicit:
    """The inner ball plus a uniform random subset of the outer shell, ``target`` members in all."""
    members = ball.enumerate()
    in_inner = inner.contains(members)
    shell = members[~in_inner]
    take = shell[np.sort(rng.choice(len(shell), size=target - int(in_inner.sum()), replace=False))]
    return Explicit(dom, np.concatenate([members[in_inner], take]))
