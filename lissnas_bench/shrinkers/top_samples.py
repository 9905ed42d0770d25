"""GreedyNAS-style candidate pool: the best ``fraction`` of a uniform sample.

Draws min(n, |domain|) architectures uniformly without replacement (``n`` defaults to the whole remaining
budget), queries them and keeps the best ceil(fraction * sampled) (at least 1; ties: the earlier draw).

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.shrinkers import get_shrinker
>>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=300)
>>> res = get_shrinker("top-samples", fraction=0.1).shrink(oracle, np.random.default_rng(0))
>>> res.shrunk.kind, res.shrunk.size, res.queries
('explicit', 30, 300)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InvalidConfig
from ..spaces import as_rng
from .._params import Params, param
from ._base import Shrinker, query_or_none, sample_stats, top
from ..spaces.shrunk import Explicit, Product


@dataclass(frozen=True)
class TopSamplesParams(Params):
    where = "top-samples"
    fraction: float = param(0.1, gt=0, le=1, help="share of the sample kept, in (0, 1]")
    n: int | None = param(None, ge=1, help="architectures sampled (default: the whole remaining budget)")


class TopSamples(Shrinker):
    """The top ``fraction`` of ``n`` uniformly sampled architectures, as an explicit set."""

    name = "top-samples"
    Params = TopSamplesParams
    needs_reference = False

    def shrink(self, oracle, rng, reference_size=None):
        p = self.params
        rng = as_rng(rng)
        dom = oracle.space
        if p.n is None:
            if oracle.budget is None:
                raise InvalidConfig("top-samples: the oracle has no budget, so set n=N (architectures to sample)")
            m = min(int(oracle.remaining), dom.size)
            if m < 1:
                return self._result(Product.full(dom), [], oracle, "budget", size=dom.size)
        else:
            m = min(p.n, dom.size)
            self._check_budget(oracle, m)
        X = dom.sample(m, rng, replace=False)
        y = query_or_none(oracle, X)
        if y is None:
            return self._result(Product.full(dom), [], oracle, "budget", size=dom.size)
        keep = max(1, math.ceil(p.fraction * m - 1e-9))
        shrunk = Explicit(dom, X[top(y, keep)])
        mean, best = sample_stats(y)
        row = {
            "iteration": 0,
            "size": shrunk.size,
            "sample_mean": mean,
            "sample_best": best,
            "queries": oracle.queries,
            "accepted": True,
            "n_sampled": m,
        }
        return self._result(shrunk, [row], oracle, "done", extra_columns=("n_sampled",), size=shrunk.size)
