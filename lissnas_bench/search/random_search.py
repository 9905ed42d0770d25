"""Random search: query the domain in a uniformly random order, without replacement.

Drawing a uniform random permutation of the domain and querying it in order is random sampling without
replacement; architectures the oracle already knows (e.g. from a shrink phase) cost nothing and are skipped for
free.

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.search import get_optimizer
>>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=50)
>>> int(get_optimizer("rs").search(oracle, np.random.default_rng(0)).queries[-1])
50
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._params import Params
from ._base import Optimizer, SearchState


@dataclass(frozen=True)
class RandomSearchParams(Params):
    """Random search has no parameters."""

    where = "optimizer 'rs'"


class RandomSearch(Optimizer):
    """Uniform random sampling without replacement from the domain."""

    name = "rs"
    Params = RandomSearchParams

    def _run(self, state: SearchState, rng: np.random.Generator) -> dict:
        if state.mask is None:  # a live surrogate: no rows to permute, so draw unqueried architectures
            while not state.done:
                asked, _ = state.query(state.unseen(min(state.remaining, 4096), rng))
                if not len(asked):
                    break
            return {}
        order = np.flatnonzero(state.mask)
        order = order[rng.permutation(len(order))]
        i = 0
        while not state.done and i < len(order):
            # one oracle call for as many rows as the remaining budget could pay for (known ones are free)
            asked, _ = state.query(order[i:])
            i += len(asked)
        return {}
