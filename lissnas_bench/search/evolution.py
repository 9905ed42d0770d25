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


#: False: every draw through ``BoundedDraws``' methods (the tests' reference for the inline draws)
_INLINE_DRAWS = True


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
        seen = dict(zip(np.flatnonzero(state.known).tolist(), state.values[state.known].tolist()))
        if BoundedDraws.supports(rng):
            generations, fresh, repeats = self._generations_pcg64(state, rng, pop_rows, pop_vals, seen)
        else:
            generations, fresh, repeats = self._generations(state, rng, pop_rows, pop_vals, seen)
        return {"generations": generations, "fresh_children": fresh, "known_children": repeats}

    def _generations(self, state, rng, pop_rows, pop_vals, seen) -> tuple[int, int, int]:
        """The generations through NumPy's own draw calls (any bit generator); ``_generations_pcg64`` is the
        same loop, draw for draw."""
        p = self.params
        nbrs: dict[int, list[int]] = {}
        stale = generations = fresh = repeats = 0
        while not state.done:
            n = len(pop_rows)
            parent = pop_rows[_first_best(pop_vals, [int(rng.integers(0, n)) for _ in range(p.tournament)])]
            child = None
            if stale < p.patience:
                nb = nbrs.get(parent)
                if nb is None:
                    nb = nbrs[parent] = state.neighbours(parent).tolist()
                if nb:
                    child = nb[int(rng.integers(0, len(nb)))]
            if child is None:
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
                seen[child], stale = value, 0
            pop_rows.append(child)
            pop_vals.append(value)
            if len(pop_rows) > p.population:
                pop_rows.popleft()
                pop_vals.popleft()
            generations += 1
        return generations, fresh, repeats

    def _generations_pcg64(self, state, rng, pop_rows, pop_vals, seen) -> tuple[int, int, int]:
        """``_generations`` for a PCG64 generator, with NumPy's bounded draws made inline from ``BoundedDraws``'
        buffer of 32-bit outputs.  Once the population has converged a generation mostly proposes a known child,
        and a call per draw would cost more than the rest of the generation: each is ``(u * n) >> 32`` (Lemire),
        and whenever that might be a rejection, or the buffer is short or was synchronised, the generation takes
        ``BoundedDraws``' own methods, which handle those cases exactly."""
        p, draws, mask32 = self.params, BoundedDraws(rng), 0xFFFFFFFF
        patience, population, size = p.patience, p.population, p.tournament
        nbrs, stale, generations, fresh, repeats = {}, 0, 0, 0, 0
        pop_rows, pop_vals = list(pop_rows), list(pop_vals)  # ten entries: a list's del [0] beats a deque's index
        u32, pos, limit = _reload(draws, size)
        done, neighbour_list = state.done, state.neighbour_list  # done changes only when a new row is queried
        while not done:
            n = len(pop_rows)
            best_i = -1  # the tournament's winner: `size` members drawn with replacement, the first among equals
            if pos <= limit and n > 1:
                if size == 3:  # NATS-Bench's default, unrolled
                    m0, m1, m2 = u32[pos] * n, u32[pos + 1] * n, u32[pos + 2] * n
                    if m0 & mask32 >= n and m1 & mask32 >= n and m2 & mask32 >= n:  # else a possible rejection
                        pos += 3
                        best_i, best_v = m0 >> 32, pop_vals[m0 >> 32]
                        if pop_vals[m1 >> 32] > best_v:
                            best_i, best_v = m1 >> 32, pop_vals[m1 >> 32]
                        if pop_vals[m2 >> 32] > best_v:
                            best_i = m2 >> 32
                else:
                    best_i, pos = _inline_tournament(u32, pos, n, size, pop_vals)
            if best_i < 0:
                best_i = _first_best(pop_vals, _take_after(draws, pos, n, size))
                u32, pos, limit = _reload(draws, size)
            parent = pop_rows[best_i]
            child = None  # the mutation: a uniform neighbour inside the domain
            if stale < patience:
                nb = nbrs.get(parent)
                if nb is None:
                    nb = nbrs[parent] = neighbour_list(parent)
                k = len(nb)
                if k == 1:  # NumPy returns the lower bound without drawing
                    child = nb[0]
                elif k:
                    m = u32[pos] * k if 0 <= limit and pos <= limit + size else 0  # a value left for it
                    if m & mask32 >= k:
                        child, pos = nb[m >> 32], pos + 1
                    else:  # a possible rejection, a short buffer or a synchronised generator
                        child = nb[_below_after(draws, pos, k)]
                        u32, pos, limit = _reload(draws, size)
            if child is None:
                if (child := _fresh_child(state, rng, draws, pos)) is None:
                    break
                fresh, stale, (u32, pos, limit) = fresh + 1, 0, _reload(draws, size)
            value = seen.get(child)
            if value is not None:  # known: free, answered from what the search has seen
                stale, repeats = stale + 1, repeats + 1
            else:
                value = state.query_row(child)
                if value is None:
                    break
                seen[child], stale, done = value, 0, state.done
            pop_rows.append(child)
            pop_vals.append(value)
            if n >= population:
                del pop_rows[0], pop_vals[0]
            generations += 1
        _settle(draws, pos)
        return generations, fresh, repeats


def _settle(draws: BoundedDraws, pos: int) -> None:
    """Leave the generator where NumPy's draws would have (the inline draws read ``draws``' buffer to ``pos``)."""
    _hand_back(draws, pos)
    draws.sync()


def _fresh_child(state, rng, draws: BoundedDraws, pos: int) -> int | None:
    """``state.unseen(1, rng)``: a uniform draw among the domain's unqueried rows (``None``: none is left).

    On a ``SearchState`` it is drawn from ``draws``, without handing the generator back and reloading (a fifth
    of the search's time when it was): NumPy's ``choice(n, size=1, replace=False)`` is one step of Floyd's
    algorithm, a single bounded draw below ``n`` (``below(n)``), and ``permutation(1)`` draws nothing
    (``tests/test_search.py`` checks both against NumPy's calls)."""
    _hand_back(draws, pos)
    if type(state) is SearchState:
        cand = state.unqueried()
        if len(cand) <= 1:
            return int(cand[0]) if len(cand) else None
        return int(cand[draws.below(len(cand))])
    draws.sync()
    more = state.unseen(1, rng)
    return int(more[0]) if len(more) else None


# the inline draws' slow paths: called only on a possible rejection, a short buffer or after a sync
def _hand_back(draws: BoundedDraws, pos: int) -> None:
    """Tell ``draws`` how far the inline draws read its buffer."""
    draws._taken += pos - draws._pos
    draws._pos = pos


def _reload(draws: BoundedDraws, size: int) -> tuple[list[int], int, int]:
    """``draws``' buffer, position and the last position with ``size`` + 1 values ahead (-1: use the methods)."""
    ok = _INLINE_DRAWS and not draws._synced
    return draws._u32, draws._pos, len(draws._u32) - size - 1 if ok else -1


def _take_after(draws: BoundedDraws, pos: int, n: int, size: int) -> list[int]:
    _hand_back(draws, pos)
    return draws.take(n, size)


def _below_after(draws: BoundedDraws, pos: int, n: int) -> int:
    _hand_back(draws, pos)
    return draws.below(n)


def _first_best(vals, drawn: list[int]) -> int:
    """The drawn index with the largest value, the first drawn among equals."""
    best = drawn[0]
    for i in drawn[1:]:
        if vals[i] > vals[best]:
            best = i
    return best


def _inline_tournament(u32: list[int], pos: int, n: int, size: int, vals) -> tuple[int, int]:
    """``(winner, new position)`` of a tournament of any size from the buffer, or ``(-1, pos)`` on a possible
    rejection (nothing is consumed then)."""
    best_i, best_v = -1, 0.0
    for u in u32[pos:pos + size]:
        m = u * n
        if m & 0xFFFFFFFF < n:
            return -1, pos
        i = m >> 32
        if best_i < 0 or vals[i] > best_v:
            best_i, best_v = i, vals[i]
    return best_i, pos + size
