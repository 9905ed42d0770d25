"""Local search: best-improvement hill climbing with random restarts (White, Nolen, Savani, "Local search is
state of the art for NAS benchmarks", 2020).

1. (Re)start: query ``n_init`` distinct architectures drawn uniformly from the unqueried part of the domain; the
   current architecture is the best of them.
2. Query every radius-1 neighbour of the current architecture that lies inside the domain (known ones are free;
   when the budget cannot pay for all of them, a uniformly random subset of what it can pay for).
3. If the best neighbour is strictly better, move there and go to 2; otherwise the current architecture is a local
   optimum: go to 1.

Restriction (docs/search.md): neighbours outside the domain are never proposed; a current architecture with no
neighbour inside the domain is a local optimum, so the search restarts.

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.search import get_optimizer
>>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=100)
>>> res = get_optimizer("ls").search(oracle, np.random.default_rng(0))
>>> res.info["restarts"] >= 1
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._params import Params, param
from ._base import Optimizer, SearchState


@dataclass(frozen=True)
class LocalSearchParams(Params):
    where = "optimizer 'ls'"
    n_init: int = param(1, ge=1, help="random architectures queried at each (re)start; the climb starts from their best")


class LocalSearch(Optimizer):
    """Best-improvement hill climbing over radius-1 neighbourhoods, restarting at local optima."""

    name = "ls"
    Params = LocalSearchParams

    def _run(self, state: SearchState, rng: np.random.Generator) -> dict:
        restarts = steps = 0
        while not state.done:
            rows, vals = state.query(state.unseen(self.params.n_init, rng))
            if not len(rows):
                break
            restarts += 1
            j = int(np.argmax(vals))
            cur, cur_val = int(rows[j]), float(vals[j])
            while not state.done:
                nb = state.neighbours(cur)
                if not len(nb):
                    break
                asked, v = state.query(nb[rng.permutation(len(nb))])
                if not len(asked):
                    break
                j = int(np.argmax(v))
                if v[j] <= cur_val:
                    break  # local optimum: restart
                cur, cur_val = int(asked[j]), float(v[j])
                steps += 1
        return {"restarts": restarts, "steps": steps}
