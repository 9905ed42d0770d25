"""Local search: hill climbing with random restarts (White, Nolen, Savani, "Local search is state of the art for
NAS benchmarks", 2020).

1. (Re)start: query ``n_init`` distinct architectures (``restart_init`` at every later restart) drawn uniformly
   from the unqueried part of the domain; the current architecture is the best of them.
2. Query the radius-1 neighbours of the current architecture that lie inside the domain, in a uniformly random
   order (known ones are free): all of them (best improvement, NASLib's ``LocalSearch``), or, with
   ``first_improvement``, until the first one strictly better than the current one (naszilla's
   ``query_full_nbhd=False``).  The budgets truncate the order.
3. If the best neighbour queried is strictly better, move there and go to 2; otherwise the current architecture
   is a local optimum: go to 1.

NASLib's runner is ``n_init=10, restart_init=1``; naszilla's ``local_search`` is ``n_init=10,
first_improvement=true``; the defaults (one architecture per start, best improvement) are the pinned behaviour
of this project.

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
    n_init: int = param(1, ge=1, help="random architectures queried at the start; the climb starts from their best")
    restart_init: int | None = param(None, ge=1, help="random architectures at each later restart (default: n_init)")
    first_improvement: bool = param(False, help="move to the first better neighbour instead of the best of all")


class LocalSearch(Optimizer):
    """Best-improvement hill climbing over radius-1 neighbourhoods, restarting at local optima."""

    name = "ls"
    Params = LocalSearchParams

    def _run(self, state: SearchState, rng: np.random.Generator) -> dict:
        p = self.params
        restarts = steps = 0
        while not state.done:
            n = p.n_init if restarts == 0 or p.restart_init is None else p.restart_init
            rows, vals = state.query(state.unseen(n, rng))
            if not len(rows):
                break
            restarts += 1
            j = int(np.argmax(vals))
            cur, cur_val = int(rows[j]), float(vals[j])
            while not state.done:
                nb = state.neighbours(cur)
                if not len(nb):
                    break
                asked, v = self._neighbourhood(state, nb[rng.permutation(len(nb))], cur_val)
                if not len(asked):
                    break
                j = int(np.argmax(v))
                if v[j] <= cur_val:
                    break  # local optimum: restart
                cur, cur_val = int(asked[j]), float(v[j])
                steps += 1
        return {"restarts": restarts, "steps": steps}

    def _neighbourhood(self, state: SearchState, order: np.ndarray, cur_val: float):
        """The neighbours queried, in ``order``: all of them, or up to the first better one."""
        if not self.params.first_improvement:
            return state.query(order)
        for k in range(len(order)):
            asked, v = state.query(order[k:k + 1])
            if not len(asked) or v[0] > cur_val:
                return state.query(order[:k + len(asked)])  # known now: free
        return state.query(order)
