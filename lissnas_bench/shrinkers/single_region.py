"""Size-matched "single sub-region" baseline: one pocket around the best sampled architecture.

Draws min(n, |domain|) architectures uniformly without replacement, queries them, and centres one ball on the
best (ties: the earlier draw).  The radius starts at 1 and grows by 1 until the ball holds at least the
reference size (so it usually overshoots: ball sizes jump) or stops growing (the whole connected domain).

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.shrinkers import get_shrinker
>>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=100)
>>> res = get_shrinker("single-region").shrink(oracle, np.random.default_rng(0), reference_size=200)
>>> res.shrunk.kind, res.shrunk.radius, res.shrunk.size
('pockets', 2, 265)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..spaces import as_rng
from .._params import Params, param
from ._base import Shrinker, query_or_none, sample_stats, top
from ..spaces.shrunk import Pockets, Product


@dataclass(frozen=True)
class SingleRegionParams(Params):
    where = "single-region"
    n: int = param(100, ge=1, help="architectures sampled to find the centre")
    size: int | None = param(None, ge=1, help="size to reach (default: the reference size)")


class SingleRegion(Shrinker):
    """One ball around the best of a uniform sample, grown to the reference size."""

    name = "single-region"
    Params = SingleRegionParams
    needs_reference = True

    def shrink(self, oracle, rng, reference_size=None):
        p = self.params
        rng = as_rng(rng)
        dom = oracle.space
        target = self._reference(p.size, reference_size, "size", dom.size)
        m = min(p.n, dom.size)
        self._check_budget(oracle, m)
        X = dom.sample(m, rng, replace=False)
        y = query_or_none(oracle, X)
        if y is None:
            return self._result(Product.full(dom), [], oracle, "budget", reference_size=target, size=dom.size)
        mean, best = sample_stats(y)
        centre = X[top(y, 1)]
        rows, radius, prev = [], 0, -1
        while True:
            radius += 1
            ball = Pockets(dom, centre, radius)
            done = ball.size >= target or ball.size == prev
            rows.append(
                {
                    "iteration": radius - 1,
                    "size": ball.size,
                    "sample_mean": mean,
                    "sample_best": best,
                    "queries": oracle.queries,
                    "accepted": done,
                    "radius": radius,
                }
            )
            if done:
                break
            prev = ball.size
        return self._result(
            ball,
            rows,
            oracle,
            "reference" if ball.size >= target else "whole-component",
            extra_columns=("radius",),
            reference_size=target,
            radius=radius,
            size=int(ball.size),
            centre=np.asarray(ball.centres[0]).astype(int).tolist(),
        )
