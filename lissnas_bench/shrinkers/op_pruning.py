"""Holistic operation pruning with an accuracy oracle (the accuracy-based drop baseline of ABS / AngleNAS).

Start from the whole domain as a ``Product``.  Each round draws min(n, |S|) architectures uniformly without
replacement from the current product S and queries them; every allowed (position, choice) pair is scored by the
mean value of the scored architectures that use it (with ``reuse=True``: every architecture this run has
queried that is still in S -- a uniform sample of a superset restricted to S is a uniform sample of S); then the
lowest-scored pairs are removed one at a time (never the last choice of a position, never a pair without a
score): ``drops`` of them per round, or by default (``drops=None``) as many as it takes to bring |S| down to
``|S| * (target / |S|) ** (1 / R)``, where R = 1 + floor(remaining budget / n) counts this round and the rounds
the budget can still pay for (capped by ``max_rounds``; at least one pair per round; one pair per round when
neither the budget nor ``max_rounds`` is set), so the target is reached within the budget.  Every round stops dropping as soon as |S| <= target.  Rules: docs/algorithm.md.

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.shrinkers import get_shrinker
>>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=1000)
>>> res = get_shrinker("op-pruning", target_size=500, drops=2).shrink(oracle, np.random.default_rng(0))
>>> res.shrunk.kind, res.shrunk.size <= 500, res.queries <= 1000
('product', True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..spaces import ARCH_DTYPE, as_rng
from .._params import Params, param
from ._base import Shrinker, query_or_none, sample_stats
from ..spaces.shrunk import Product


@dataclass(frozen=True)
class OpPruningParams(Params):
    where = "op-pruning"
    n: int = param(100, ge=1, help="architectures sampled per round")
    drops: int | None = param(None, ge=1, help="pairs dropped per round (default: the budget-paced schedule)")
    target_size: int | None = param(None, ge=1, help="stop once |S| <= this (default: the reference size)")
    max_rounds: int | None = param(None, ge=1, help="stop after this many rounds (default: no limit)")
    reuse: bool = param(True, help="score with every queried architecture still in S, not only this round's sample")


def _scores(space, archs: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean value and count of every (position, choice) pair over ``archs``: two ``(P, K)`` arrays."""
    P, K = space.positions, int(space.n_choices.max())
    flat = (np.arange(P)[None, :] * K + archs.astype(np.int64)).ravel()
    counts = np.bincount(flat, minlength=P * K).reshape(P, K)
    sums = np.bincount(flat, weights=np.repeat(values, P), minlength=P * K).reshape(P, K)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan), counts


class OpPruning(Shrinker):
    """Drop the lowest-scoring operations until the product space reaches the target size."""

    name = "op-pruning"
    Params = OpPruningParams
    needs_reference = True

    def _schedule(self, oracle, size: int, target: int, t: int) -> tuple[float, float]:
        """(most pairs to drop, size to stop at) in round ``t``, after its sample was paid for."""
        p = self.params
        if p.drops is not None:
            return p.drops, target
        rounds = None  # rounds left, this one included
        if oracle.budget is not None:
            rounds = 1 + int(oracle.remaining // p.n)
        if p.max_rounds is not None:
            rounds = min(rounds or p.max_rounds, p.max_rounds - t)
        if rounds is None:  # unlimited budget and rounds: the most careful pace
            return 1, target
        return np.inf, max(target, size * (target / size) ** (1.0 / max(1, rounds)))

    def shrink(self, oracle, rng, reference_size=None, reference_queries=None):
        p = self.params
        rng = as_rng(rng)
        dom = oracle.space
        target = self._reference(p.target_size, reference_size, "target_size", dom.size)
        S = Product.full(dom)
        S = Product(dom, S.choice_mask())  # drop pairs no member uses (graph domains): same members
        if S.size > target:
            self._check_budget(oracle, min(p.n, S.size))

        pool = (np.empty((0, dom.positions), ARCH_DTYPE), np.empty(0))
        rows: list[dict] = []
        stop, t = "target", 0
        while S.size > target:
            if p.max_rounds is not None and t >= p.max_rounds:
                stop = "max-rounds"
                break
            size = S.size
            X = S.sample(min(p.n, size), rng, replace=False)
            y = query_or_none(oracle, X)
            if y is None:
                stop = "budget"
                break
            if p.reuse:
                pool = _reuse_pool(dom, S, pool, X, y)
                A, v = pool
            else:
                A, v = X, y
            max_drops, goal = self._schedule(oracle, size, target, t)
            S, dropped = _drop_round(dom, S, A, v, max_drops, goal)
            mean, best = sample_stats(y)
            rows.append({"iteration": t, "size": size, "sample_mean": mean, "sample_best": best,
                         "queries": oracle.queries, "accepted": bool(dropped), "size_after": S.size,
                         "scored": len(v), "dropped": ";".join(dropped)})
            t += 1
            if not dropped:
                stop = "exhausted"
                break
        return self._result(S, rows, oracle, stop, extra_columns=("size_after", "scored", "dropped"),
                            target_size=target, reached_target=bool(S.size <= target), size=int(S.size))


def _reuse_pool(dom, S, pool, X, y) -> tuple[np.ndarray, np.ndarray]:
    """Every architecture queried so far that is still in ``S``, each once, with its value."""
    pool_a, pool_v = np.concatenate([pool[0], X]), np.concatenate([pool[1], y])
    keep = S.contains(pool_a)
    pool_a, pool_v = pool_a[keep], pool_v[keep]
    # the same architecture may have been drawn in several rounds: score it once
    _, first = np.unique(dom.index(pool_a), return_index=True)
    return pool_a[first], pool_v[first]


def _drop_round(dom, S, A, v, max_drops, goal) -> tuple[Product, list[str]]:
    """Drop the lowest-scored pairs of ``S`` (scored on ``A``, ``v``), at most ``max_drops``, until |S| <= goal."""
    score, counts = _scores(dom, A, v)
    allowed = S.allowed.copy()
    dropped = []
    cand = np.argwhere(allowed & (counts > 0))
    order = np.lexsort((cand[:, 1], cand[:, 0], score[cand[:, 0], cand[:, 1]]))
    for pos, ch in cand[order]:
        if len(dropped) >= max_drops or S.size <= goal:
            break
        if allowed[pos].sum() < 2:
            continue
        trial = allowed.copy()
        trial[pos, ch] = False
        nxt = Product(dom, trial)
        if nxt.size == 0:  # only possible in domains with holes
            continue
        nxt = Product(dom, nxt.choice_mask())
        allowed, S = nxt.allowed.copy(), nxt
        dropped.append(f"{dom.position_names[pos]}={dom.choice_names[pos][ch]}")
    return S, dropped
