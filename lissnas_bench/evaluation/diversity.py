"""Diversity of a set of architectures, from per-position choice counts and the radius-1 neighbour graph.

Everything here takes an ``(n, positions)`` array; nothing loops over architectures.
"""

from __future__ import annotations

import math

import numpy as np

# Members whose neighbours are generated at once when counting pockets (bounds the neighbour array).
_NEIGHBOUR_CHUNK = 4096


def choice_counts(archs: np.ndarray, n_choices: np.ndarray) -> np.ndarray:
    """``(positions, max_choices)`` int64 matrix: how many rows take choice ``c`` at position ``p``.

    >>> choice_counts(np.array([[0, 1], [0, 0]]), np.array([2, 2])).tolist()
    [[2, 0], [1, 1]]
    """
    n_choices = np.asarray(n_choices)
    positions, width = len(n_choices), int(n_choices.max()) if len(n_choices) else 0
    a = np.asarray(archs)
    if a.size == 0:
        return np.zeros((positions, width), np.int64)
    out = np.empty((positions, width), np.int64)
    for p in range(positions):  # one bincount per column: no (n, positions) int64 temporary
        out[p] = np.bincount(a[:, p], minlength=width)[:width]
    return out


def coverage(counts: np.ndarray, available: np.ndarray) -> float:
    """Share of the available (position, choice) pairs that occur in the set.

    >>> coverage(np.array([[3, 0], [1, 2]]), np.array([[True, True], [True, True]]))
    0.75
    """
    total = int(available.sum())
    if total == 0:
        return math.nan
    return float(((counts > 0) & available).sum() / total)


def entropy(counts: np.ndarray, available: np.ndarray) -> float:
    """Mean over positions of the Shannon entropy of the choice distribution, each divided by ``log k_p``
    (``k_p`` = choices available at the position); positions with ``k_p < 2`` are left out.  NaN for an empty set.

    >>> entropy(np.array([[2, 2], [4, 0]]), np.ones((2, 2), bool))
    0.5
    """
    n = counts.sum(axis=1)
    k = available.sum(axis=1)
    use = k >= 2
    if not use.any() or n.max(initial=0) == 0:
        return math.nan
    p = counts[use] / n[use, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0).sum(axis=1)
    return float(np.mean(h / np.log(k[use])))


def mean_pairwise_hamming(counts: np.ndarray, n: int) -> float:
    """Exact mean Hamming distance over the ``n (n - 1)`` ordered pairs of distinct rows, divided by the number of
    positions, from the choice counts alone: pairs that differ at p = n^2 - sum_c count[p, c]^2.

    >>> mean_pairwise_hamming(choice_counts(np.array([[0, 0], [0, 1], [1, 1]]), [2, 2]), 3)
    0.6666666666666666
    """
    if n < 2:
        return math.nan
    c = counts.astype(np.float64)
    differ = n * n - (c * c).sum(axis=1)
    return float(differ.sum() / (n * (n - 1)) / counts.shape[0])


def sampled_pairwise_distance(space, archs: np.ndarray, samples: int, rng) -> tuple[float, int]:
    """Mean ``space.distance`` over distinct pairs of at most ``samples`` rows drawn without replacement,
    divided by the number of positions; returns ``(value, rows used)``.  For spaces whose distance is not
    the Hamming distance of the encoding."""
    n = len(archs)
    if n < 2:
        return math.nan, n
    if n > samples:
        archs = archs[np.sort(rng.choice(n, size=samples, replace=False))]
        n = samples
    d = space.distance(archs, archs).astype(np.float64)
    return float(d.sum() / (n * (n - 1)) / space.positions), n


def neighbour_index(space):
    """``index`` for the rows ``space.neighbours`` returns: a space whose neighbours are canonical by
    construction offers ``index_unchecked`` (nb101), which skips re-canonicalising them."""
    from ..spaces.shrunk._keys import root_space  # a SubsetSpace filters its base's neighbours, shares its index
    from . import _rows

    return space.index if _rows._REFERENCE else getattr(root_space(space), "index_unchecked", space.index)


def count_pockets(space, members: np.ndarray, keys: np.ndarray | None = None) -> int:
    """Connected components of ``members`` under ``space.neighbours(·, 1)`` (edges between members only).

    ``members`` must be canonical and distinct; ``keys`` is their ``space.index`` when the caller has it.

    >>> from lissnas_bench.spaces import get_space
    >>> s = get_space("nasbench-macro")
    >>> count_pockets(s, s.from_index([0, 1, 3968]))   # 0 and 1 differ in one position; 3968 is far
    2
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(members)
    if n == 0:
        return 0
    keys = np.asarray(space.index(members) if keys is None else keys, dtype=np.int64)
    index_nb = neighbour_index(space)
    order = np.argsort(keys, kind="stable")
    skeys = keys[order]
    rows, cols = [], []
    for s in range(0, n, _NEIGHBOUR_CHUNK):
        nb, src = space.neighbours(members[s : s + _NEIGHBOUR_CHUNK], 1)
        if len(nb) == 0:
            continue
        k = np.asarray(index_nb(nb), dtype=np.int64)
        pos = np.searchsorted(skeys, k).clip(0, n - 1)
        hit = skeys[pos] == k
        rows.append(src[hit] + s)
        cols.append(order[pos[hit]])
    if rows:
        r, c = np.concatenate(rows), np.concatenate(cols)
    else:
        r = c = np.empty(0, np.int64)
    graph = coo_matrix((np.ones(len(r), np.int8), (r, c)), shape=(n, n)).tocsr()
    return int(connected_components(graph, directed=False)[0])


def count_pockets_rows(bench, rows: np.ndarray) -> int:
    """``count_pockets`` of the benchmark rows ``rows`` (distinct), from the benchmark's shared neighbour table
    (``benchmarks.neighbours``) when it holds one whole: the same edges, a slice of its adjacency matrix instead of a
    neighbour generation per member (every compare cell evaluates a few thousand members).

    >>> import numpy as np, lissnas_bench as lb
    >>> bench = lb.load_benchmark("analognas")
    >>> count_pockets_rows(bench, np.array([0, 1, 15624]))
    2
    """
    from scipy.sparse.csgraph import connected_components

    from ..benchmarks.neighbours import neighbour_graph
    from . import _rows

    rows = np.asarray(rows, dtype=np.int64)
    adjacency = None if _rows._REFERENCE else neighbour_graph(bench).adjacency(bench)
    if adjacency is None:  # too large to hold whole (NB101), or the reference way of benchmarks/bench_evaluation.py
        return count_pockets(bench.space, bench.archs[rows], keys=_rows.stored_keys(bench, rows))
    if len(rows) == 0:
        return 0
    graph = adjacency[rows][:, rows]  # the edges between members only
    return int(connected_components(graph, directed=False)[0])
