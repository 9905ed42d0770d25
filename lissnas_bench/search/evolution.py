"""Regularised (aging) evolution, Real et al. 2019, with NATS-Bench's defaults (population 10, tournament 3).

1. Query ``population`` distinct architectures drawn uniformly from the domain; they form the population (a queue).
2. Repeat until the budget is spent: draw ``tournament`` members uniformly *with* replacement (as NATS-Bench's
   ``regularized_ea.py`` does); the best of them is the parent; the child is a uniform random radius-1 neighbour
   of the parent inside the domain (NATS-Bench's ``mutate_arch`` changes one operation: a radius-1 neighbour);
   query the child, append it to the queue and drop the oldest member.

Restriction (docs/search.md): the child is drawn uniformly from the parent's neighbours that lie inside the domain
(equivalently: redraw a neighbour until it lies inside).  When no neighbour is inside, the child is a fresh
uniform sample from the unqueried part of the domain.

Repeats are free in an Oracle, so a converged population could propose known children forever without spending
budget.  After ``patience`` consecutive children that were already known, the next child is a fresh uniform
sample from the unqueried part of the domain (it joins the queue like any child).  Known children still enter
the queue (that is aging evolution with an evaluation cache).

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.search import get_optimizer
>>> get_optimizer("re").params
RegularizedEvolutionParams(population=10, tournament=3, patience=100)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .._params import Params, param
from ._base import Optimizer, SearchState
from ._draws import BoundedDraws


@dataclass(frozen=True)
class RegularizedEvolutionParams(Params):
    where = "optimizer 're'"
    population: int = param(10, ge=1, help="queue length (NATS-Bench default)")
    tournament: int = param(3, ge=1, help="members drawn (with replacement) to pick a parent (NATS-Bench default)")
    patience: int = param(100, ge=1, help="consecutive already-known children before a fresh random child is forced")


class RegularizedEvolution(Optimizer):
    """Aging evolution with tournament selection and radius-1 mutation."""

    name = "re"
    Params = RegularizedEvolutionParams

    def _run(self, state: SearchState, rng: np.random.Generator) -> dict:
        p = self.params
        rows, vals = state.query(state.unseen(p.population, rng))
        pop_rows: deque[int] = deque(rows.tolist())
        pop_vals: deque[float] = deque(vals.tolist())
        if not pop_rows:
            return {"generations": 0, "fresh_children": 0, "known_children": 0}
        # a generation draws two to four small integers and, once the population has converged, mostly proposes
        # known children: BoundedDraws makes exactly NumPy's draws without its per-call overhead, and known
        # values come from a dict, so such a generation costs about a microsecond
        draws = BoundedDraws(rng) if BoundedDraws.supports(rng) else None
        below = draws.below if draws is not None else (lambda n: int(rng.integers(0, n)))
        take = draws.take if draws is not None else (lambda n, k: [int(rng.integers(0, n)) for _ in range(k)])
        seen = dict(zip(np.flatnonzero(state.known).tolist(), state.values[state.known].tolist()))
        nbrs: dict[int, list[int]] = {}
        stale = generations = fresh = repeats = 0
        patience, population, size = p.patience, p.population, p.tournament
        done = state.done  # the state changes only when a new architecture is queried
        while not done:
            # tournament: the best of `size` members drawn with replacement (the first drawn among equals)
            drawn = take(len(pop_rows), size)
            best_i = drawn[0]
            best_v = pop_vals[best_i]
            for i in drawn[1:]:
                if pop_vals[i] > best_v:
                    best_i, best_v = i, pop_vals[i]
            parent = pop_rows[best_i]
            child = None
            if stale < patience:
                nb = nbrs.get(parent)
                if nb is None:
                    nb = nbrs[parent] = state.neighbours(parent).tolist()
                if nb:
                    child = nb[below(len(nb))]
            if child is None:
                if draws is not None:
                    draws.sync()  # unseen() draws from the generator itself
                more = state.unseen(1, rng)
                if not len(more):
                    break
                child, fresh, stale = int(more[0]), fresh + 1, 0
            value = seen.get(child)
            if value is not None:  # known: free, answered from what the search has seen
                stale, repeats = stale + 1, repeats + 1
            else:
                value = state.query_row(child)
                if value is None:
                    break
                seen[child] = value
                stale, done = 0, state.done
            pop_rows.append(child)
            pop_vals.append(value)
            if len(pop_rows) > population:
                pop_rows.popleft()
                pop_vals.popleft()
            generations += 1
        if draws is not None:
            draws.sync()
        return {"generations": generations, "fresh_children": fresh, "known_children": repeats}
