"""GreedyNAS-style candidate pool: the best of a uniform sample.

Draws min(n, |domain|) architectures uniformly without replacement (``n`` defaults to the whole remaining
budget), queries them and keeps the best ceil(fraction * sampled) (at least 1; ties: the earlier draw), or the best
``size``.  ``match_reference=True`` makes it a size- and spend-matched control: ``n`` = the reference's queries and
``size`` = the reference's |S'| of the same cell.

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.shrinkers import get_shrinker
>>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=300)
>>> res = get_shrinker("top-samples", fraction=0.1).shrink(oracle, np.random.default_rng(0))
>>> res.shrunk.kind, res.shrunk.size, res.queries
('explicit', 30, 300)
>>> matched = get_shrinker("top-samples", match_reference=True)
>>> res = matched.shrink(lb.Oracle(oracle.benchmark, budget=300), np.random.default_rng(0), reference_size=50,
...                      reference_queries=200)
>>> res.shrunk.size, res.queries
(50, 200)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._params import Params, param, require
from ..errors import InvalidConfig
from ..spaces import as_rng
from ..spaces.shrunk import Explicit, Product
from ._base import Shrinker, query_or_none, sample_stats, top


@dataclass(frozen=True)
class TopSamplesParams(Params):
    where = "top-samples"
    fraction: float = param(0.1, gt=0, le=1, help="share of the sample kept, in (0, 1]")
    n: int | None = param(None, ge=1, help="architectures sampled (default: the whole remaining budget)")
    size: int | None = param(None, ge=1, help="keep exactly this many (default: fraction of the sample)")
    match_reference: bool = param(False, help="size- and spend-matched: size = the reference's |S'|, n = its queries")

    def check(self):
        require(not (self.match_reference and (self.size is not None or self.n is not None)), "match_reference",
                "takes n and size from the reference: do not give them too")


class TopSamples(Shrinker):
    """The top of ``n`` uniformly sampled architectures, as an explicit set."""

    name = "top-samples"
    Params = TopSamplesParams

    @property
    def needs_reference(self) -> bool:  # type: ignore[override]
        return self.params.match_reference

    def shrink(self, oracle, rng, reference_size=None, reference_queries=None):
        p = self.params
        rng = as_rng(rng)
        dom = oracle.space
        n, size = p.n, p.size
        if p.match_reference:
            size = self._reference(None, reference_size, "size", dom.size)
            if not reference_queries:
                raise InvalidConfig("top-samples: match_reference needs the reference's spend (reference_queries)")
            n = max(int(reference_queries), size)
        if n is None:
            if oracle.budget is None:
                raise InvalidConfig("top-samples: the oracle has no budget, so set n=N (architectures to sample)")
            m = min(int(oracle.remaining), dom.size)
            if m < 1:
                return self._result(Product.full(dom), [], oracle, "budget", size=dom.size)
        else:
            m = min(n, dom.size)
            self._check_budget(oracle, m)
        X = dom.sample(m, rng, replace=False)
        y = query_or_none(oracle, X)
        if y is None:
            return self._result(Product.full(dom), [], oracle, "budget", size=dom.size)
        keep = min(size, m) if size is not None else max(1, math.ceil(p.fraction * m - 1e-9))
        shrunk = Explicit(dom, X[top(y, keep)])
        mean, best = sample_stats(y)
        row = {"iteration": 0, "size": shrunk.size, "sample_mean": mean, "sample_best": best,
               "queries": oracle.queries, "accepted": True, "n_sampled": m}
        return self._result(shrunk, [row], oracle, "done", extra_columns=("n_sampled",), size=shrunk.size)
