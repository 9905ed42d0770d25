"""Evolutionary architecture search under a resource constraint (SPOS, Guo et al. 2020), without PyTorch.

The score function is any ``archs -> scores`` callable (higher is better): the supernet's accuracy after BN
recalibration, a benchmark query, or a test's stand-in.  Every candidate -- initial, mutated or crossed --
must lie in the sampler's region (the shrunk space) and satisfy the constraint before it is scored.

>>> import numpy as np
>>> from lissnas_bench.spaces import get_space
>>> from lissnas_bench.oneshot.sampler import ArchSampler
>>> space = get_space("nasbench-macro")
>>> res = evolution_search(ArchSampler(space), lambda a: a.sum(axis=1).astype(float),
...                        population=20, generations=5, parents=5, mutations=10, crossovers=10,
...                        rng=np.random.default_rng(0))
>>> space.to_strings(res.best)[0], res.best_score
('22122222', 15.0)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidConfig
from ..spaces import as_rng

log = logging.getLogger("lissnas_bench.oneshot")


@dataclass
class EvolutionResult:
    best: np.ndarray  # (positions,)
    best_score: float
    archs: np.ndarray  # every scored architecture, in the order scored
    scores: np.ndarray
    history: list[dict] = field(default_factory=list)  # one row per generation


def make_constraint(costs, max_mflops=None, max_latency_ms=None, latency_lut=None, max_mparams=None):
    """A vectorised ``archs -> mask`` for the given limits, or ``None`` when there are none.

    ``costs``: a :class:`~lissnas_bench.spaces.mobilenet.Layout` or a space with ``flops``/``params``/``latency``
    (:class:`~lissnas_bench.spaces.mobilenet.LayoutSpace`).  A latency table lacking a key fails here, not
    half-way through a search.
    """
    checks = []
    if max_mflops is not None:
        checks.append(lambda a: costs.flops(a) <= max_mflops * 1e6)
    if max_mparams is not None:
        checks.append(lambda a: costs.params(a) <= max_mparams * 1e6)
    if max_latency_ms is not None:
        if latency_lut is None:
            raise InvalidConfig("search.latency_lut: a latency table is needed for max_latency_ms")
        from ..spaces.mobilenet import LatencyLUT

        lut = LatencyLUT.load(latency_lut)
        costs.latency(np.zeros((1, len(costs.n_choices)), np.int64), lut)
        checks.append(lambda a: costs.latency(a, lut) <= max_latency_ms)
    if not checks:
        return None

    def constraint(archs):
        archs = np.asarray(archs)
        ok = np.ones(len(archs), bool)
        for c in checks:
            ok &= c(archs)
        return ok

    return constraint


def _keys(a: np.ndarray) -> list[bytes]:
    a = np.ascontiguousarray(a, dtype=np.int8)
    return [r.tobytes() for r in a]


class _Evolution:
    """The state of one search: every scored architecture in the order scored, and how candidates are made."""

    def __init__(self, sampler, score_fn, constraint, rng, max_rounds: int):
        self.sampler, self.score_fn, self.constraint, self.rng = sampler, score_fn, constraint, rng
        self.max_rounds = max_rounds
        self.space = sampler.space
        self.n_choices = np.asarray(self.space.n_choices, np.int64)
        self.seen: dict[bytes, float] = {}
        self.order: list[np.ndarray] = []
        self.order_scores: list[float] = []

    def _empty(self) -> np.ndarray:
        return np.empty((0, self.space.positions), np.int8)

    def admissible(self, cands: np.ndarray, limit: int) -> np.ndarray:
        """First ``limit`` distinct, unseen candidates that lie in the region and satisfy the constraint."""
        if len(cands) == 0:
            return cands
        ok = self.sampler.contains(cands)
        if self.constraint is not None and ok.any():
            ok[ok] = self.constraint(cands[ok])
        out, keys = [], set()
        for row, k in zip(cands[ok], _keys(cands[ok])):
            if k in self.seen or k in keys:
                continue
            keys.add(k)
            out.append(row)
            if len(out) == limit:
                break
        return np.array(out, dtype=np.int8).reshape(-1, self.space.positions)

    def fill(self, make: Callable[[int], np.ndarray], count: int) -> np.ndarray:
        got = self._empty()
        for _ in range(self.max_rounds):
            if len(got) >= count:
                break
            more = self.admissible(make(max(4 * (count - len(got)), 16)), count - len(got))
            if len(got):
                more = more[~np.isin(_as_void(more), _as_void(got))]
            got = np.concatenate([got, more])
        return got[:count]

    def random_children(self, n: int) -> np.ndarray:
        return self.sampler.sample(n, self.rng)

    def score(self, cands: np.ndarray) -> None:
        scores = np.asarray(self.score_fn(cands), dtype=np.float64).reshape(-1)
        if len(scores) != len(cands):
            raise InvalidConfig(f"score function returned {len(scores)} scores for {len(cands)} architectures")
        for row, k, s in zip(cands, _keys(cands), scores):
            self.seen[k] = float(s)
            self.order.append(row)
            self.order_scores.append(float(s))

    def rank(self, g: int, new: int, parents: int) -> tuple[dict, np.ndarray]:
        """The generation's history row and its ``parents`` best architectures so far."""
        all_scores = np.array(self.order_scores)
        best_idx = np.argsort(-all_scores, kind="stable")[:parents]
        top = np.array([self.order[i] for i in best_idx], dtype=np.int8)
        row = {
            "generation": g,
            "evaluated": len(self.order),
            "new": int(new),
            "best": float(all_scores[best_idx[0]]),
            "top_mean": float(all_scores[best_idx].mean()),
        }
        log.info("search generation %d: best %.3f, top-%d mean %.3f, %d scored",
                 g, row["best"], len(best_idx), row["top_mean"], row["evaluated"])
        return row, top

    def children(self, top: np.ndarray, mutations: int, crossovers: int, mutation_prob: float) -> np.ndarray:
        """The next generation's candidates: mutations and crossovers of ``top``, topped up with fresh samples."""
        rng = self.rng

        def mutate(n: int) -> np.ndarray:
            p = top[rng.integers(0, len(top), size=n)].astype(np.int64)
            mask = rng.random(p.shape) < mutation_prob
            new = rng.integers(0, self.n_choices, size=p.shape)
            return np.where(mask, new, p).astype(np.int8)

        def cross(n: int) -> np.ndarray:
            a = top[rng.integers(0, len(top), size=n)]
            b = top[rng.integers(0, len(top), size=n)]
            return np.where(rng.random(a.shape) < 0.5, a, b).astype(np.int8)

        kids_m = self.fill(mutate, mutations) if mutations else self._empty()
        kids_c = self.fill(cross, crossovers) if crossovers else self._empty()
        if len(kids_m) and len(kids_c):
            kids_c = kids_c[~np.isin(_as_void(kids_c), _as_void(kids_m))]
        cands = np.concatenate([kids_m, kids_c])
        if len(cands) < mutations + crossovers:  # a small region is exhausted: top up with fresh samples
            extra = self.fill(self.random_children, mutations + crossovers - len(cands))
            if len(extra):
                extra = extra[~np.isin(_as_void(extra), _as_void(cands))] if len(cands) else extra
                cands = np.concatenate([cands, extra])
        return cands

    def result(self, history: list[dict]) -> EvolutionResult:
        all_scores = np.array(self.order_scores)
        b = int(np.argmax(all_scores))
        return EvolutionResult(self.order[b].copy(), float(all_scores[b]), np.array(self.order, dtype=np.int8),
                               all_scores, history)


def evolution_search(
    sampler,
    score_fn: Callable[[np.ndarray], np.ndarray],
    constraint: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    population: int = 50,
    generations: int = 20,
    parents: int = 10,
    mutations: int = 25,
    crossovers: int = 25,
    mutation_prob: float = 0.1,
    rng=None,
    max_rounds: int = 50,
    on_generation: Callable[[dict], None] | None = None,
) -> EvolutionResult:
    """SPOS evolution inside ``sampler``'s region (anything with ``sample``, ``contains`` and ``space``)."""
    ev = _Evolution(sampler, score_fn, constraint, as_rng(rng), max_rounds)
    cands = ev.fill(ev.random_children, population)
    if len(cands) == 0:
        raise InvalidConfig(
            "search: no architecture of the (shrunk) space satisfies the constraint; relax search.max_mflops / "
            "max_latency_ms / max_mparams"
        )
    if len(cands) < population:
        log.warning("search: only %d admissible architectures found for a population of %d", len(cands), population)

    history: list[dict] = []
    for g in range(generations):
        if len(cands):
            ev.score(cands)
        row, top = ev.rank(g, len(cands), parents)
        history.append(row)
        if on_generation is not None:
            on_generation(row)
        if g == generations - 1:
            break
        cands = ev.children(top, mutations, crossovers, mutation_prob)
    return ev.result(history)


def _as_void(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.int8)
    return a.view(np.dtype((np.void, a.shape[1]))).reshape(-1)
