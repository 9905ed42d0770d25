"""The landscape of one analysis (the rows with a value and their neighbours) and ``Run``, what every stage of the
exact and sampled paths reads: the landscape, the settings, the random streams, the GED cache, notes, timings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import measures as M
from .settings import LocalitySettings, Streams


class Landscape:
    """The rows of a benchmark that have a value, and neighbour look-ups restricted to them."""

    def __init__(self, bench, dataset, metric):
        col = bench.columns[(dataset, metric)]
        ok = np.isfinite(col)
        self.bench = bench
        self.space = bench.space
        self.rows = np.flatnonzero(ok)
        self.A = bench.archs[self.rows]
        self.f = np.asarray(col[self.rows], np.float64)
        self.n = len(self.rows)
        self.pos_of_row = np.full(len(bench), -1, np.int64)
        self.pos_of_row[self.rows] = np.arange(self.n)
        self.n_choices = np.asarray(self.space.n_choices, np.int64)

    @property
    def positions(self) -> int:
        """Positions with more than one choice (the ones a distance can count)."""
        return int(np.sum(self.n_choices > 1))

    def _positions_of(self, archs: np.ndarray) -> np.ndarray:
        """Landscape position of each architecture, -1 where it has no value."""
        r = self.bench.rows(archs, missing="mask")
        return np.where(r >= 0, self.pos_of_row[np.clip(r, 0, None)], -1)

    def neighbours(self, pos: np.ndarray, chunk: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
        """Radius-1 neighbours of the rows at ``pos`` that have a value: ``(index into pos, neighbour pos)``."""
        srcs, dsts = [], []
        for s in range(0, len(pos), chunk):
            nb, src = self.space.neighbours(self.A[pos[s : s + chunk]], 1)
            if not len(nb):
                continue
            p = self._positions_of(nb)
            keep = p >= 0
            srcs.append(src[keep].astype(np.int64) + s)
            dsts.append(p[keep])
        if not srcs:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(srcs), np.concatenate(dsts)

    def graph(self) -> M.NeighbourGraph:
        src, dst = self.neighbours(np.arange(self.n))
        return M.graph_from_edges(src, dst, self.n)

    def partners(self, src: np.ndarray, K: int, rng: np.random.Generator, tries: int = 30) -> np.ndarray:
        """For each source one partner at Hamming distance d = 1..K: change d distinct positions, each to a
        uniformly drawn other choice, and retry where the result is not a tabulated canonical architecture.

        In a full product space with equal choice counts this is uniform over the partners at distance d.  Sources
        left without a partner after ``tries`` rounds fall back to a uniform draw among all rows at distance d when
        the table is small enough, else stay -1.  Returns ``(len(src), K)`` positions.
        """
        keep = np.flatnonzero(self.n_choices > 1)
        out = np.full((len(src), K), -1, np.int64)
        for d in range(1, min(K, len(keep)) + 1):
            todo = np.arange(len(src))
            for _ in range(tries):
                if not len(todo):
                    break
                p = self._mutated(src[todo], keep, d, rng)
                good = p >= 0
                out[todo[good], d - 1] = p[good]
                todo = todo[~good]
        miss = np.flatnonzero((out < 0).any(axis=1))
        if len(miss) and self.n <= 50_000:
            alt = M.sample_pairs_at_distance(self.A, self.n_choices, K, src[miss], rng)
            out[miss] = np.where(out[miss] < 0, alt, out[miss])
        return out

    def _mutated(self, src: np.ndarray, keep: np.ndarray, d: int, rng: np.random.Generator) -> np.ndarray:
        """Positions of the sources with ``d`` distinct positions changed to other choices (-1: not tabulated)."""
        k = self.n_choices[keep]
        m = len(src)
        x = self.A[src].astype(np.int16)
        pos = np.argsort(rng.random((m, len(keep))), axis=1)[:, :d]
        r = np.arange(m)[:, None]
        x[r, keep[pos]] = (x[r, keep[pos]] + rng.integers(1, k[pos])) % k[pos]
        x = x.astype(self.A.dtype)
        ok = self.space.contains(x)
        p = np.full(m, -1, np.int64)
        if ok.any():
            p[ok] = self._positions_of(x[ok])
        return p

    def hamming(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        keep = self.n_choices > 1
        return (self.A[i][:, keep] != self.A[j][:, keep]).sum(axis=1)


class Stopwatch:
    """Seconds per stage: ``lap(name)`` records the time since the previous lap."""

    def __init__(self):
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._t, 4)
        self._t = now


@dataclass
class Run:
    """One analysis in progress: ``g`` is f oriented so that larger is better (``-f`` for minimised metrics)."""

    land: Landscape
    g: np.ndarray
    st: LocalitySettings
    rng: Streams
    ged: object | None = None  # a GEDCache when distance == "ged"
    notes: list[str] = field(default_factory=list)
    clock: Stopwatch = field(default_factory=Stopwatch)

    @property
    def f(self) -> np.ndarray:
        return self.land.f

    @property
    def K(self) -> int:
        return self.st.max_distance

    def note(self, text: str) -> None:
        self.notes.append(text)

    def lap(self, name: str) -> None:
        self.clock.lap(name)
