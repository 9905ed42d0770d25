"""Size-matched control: a uniform random subset of the domain, as large as the reference space.

Draws ``size`` architectures uniformly without replacement from the oracle's domain; queries nothing.

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.shrinkers import get_shrinker
>>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=100)
>>> res = get_shrinker("random").shrink(oracle, np.random.default_rng(0), reference_size=250)
>>> res.shrunk.kind, res.shrunk.size, res.queries
('explicit', 250, 0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..spaces import as_rng
from .._params import Params, param
from ._base import Shrinker
from ..spaces.shrunk import Explicit


@dataclass(frozen=True)
class RandomParams(Params):
    where = "random"
    size: int | None = param(None, ge=1, help="subset size (default: the reference size)")


class RandomSubset(Shrinker):
    """A uniform random subset of the domain of the reference size."""

    name = "random"
    Params = RandomParams
    needs_reference = True

    def shrink(self, oracle, rng, reference_size=None, reference_queries=None):
        rng = as_rng(rng)
        dom = oracle.space
        size = self._reference(self.params.size, reference_size, "size", dom.size)
        shrunk = Explicit(dom, dom.sample(size, rng, replace=False))
        row = {
            "iteration": 0,
            "size": shrunk.size,
            "sample_mean": math.nan,
            "sample_best": math.nan,
            "queries": oracle.queries,
            "accepted": True,
        }
        return self._result(shrunk, [row], oracle, "done", size=shrunk.size)
