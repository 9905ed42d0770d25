"""Metrics for the paper's claim: "many pockets of well-performing networks" survive, not one region.

With T_q the true top-q set of S (the truth metric; ties included) and the radius-1 neighbour graph of the space:

* ``good_pockets``: connected components of S' ∩ T_q (edges between its members only) -- how many separate
  groups of good networks S' holds;
* ``top_components_hit``: the share of the connected components of T_q (edges inside T_q) that S' touches (holds
  at least one member of) -- how many of the space's separate good regions survive the shrink;
* ``optima_kept``: the share of the space's true local optima that lie in T_q (no radius-1 neighbour in S is
  strictly better) which S' keeps.

Unlike ``coverage`` (1 for any radius-1 ball) or ``pockets`` / ``entropy`` (a random subset scatters most), these
reward only good networks: a random subset of the size of S' keeps about |S'| / |S| of each.  Only the top set and
its neighbours are needed, so the cost is that of the neighbours of |T_q| architectures, computed once per
(benchmark, dataset, metric, q, domain) and cached.

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.evaluation import evaluate
>>> bench = lb.load_benchmark("analognas")
>>> m = evaluate(bench.space, bench, q=0.01)
>>> m["top_components_hit"], m["optima_kept"]
(1.0, 1.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

KEYS = ("good_pockets", "top_components_hit", "optima_kept")


@dataclass
class TopStructure:
    """T_q of one (benchmark, dataset, metric, q, domain): its rows, their components, the edges among them, and
    which of them are local optima of S."""

    rows: np.ndarray  # sorted benchmark rows of T_q
    component: np.ndarray  # component label per T_q member
    n_components: int
    edges: tuple[np.ndarray, np.ndarray]  # pairs (i, j) of positions in ``rows``
    optimum: np.ndarray  # bool per T_q member


def top_structure(bench, key: tuple, S_rows: np.ndarray, scores: np.ndarray, top_rows: np.ndarray) -> TopStructure:
    """The structure of T_q (``top_rows``) inside S (``S_rows``) under scores (higher is better), cached per
    benchmark object and ``key``."""
    per = bench.__dict__.setdefault("_top_structures", {})  # lives and dies with the benchmark object
    hit = per.get(key)
    if hit is not None:
        return hit
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows = np.sort(top_rows)
    in_S = np.zeros(len(bench), dtype=bool)
    in_S[S_rows] = True
    nb, src = bench.space.neighbours(bench.archs[rows], 1)
    nr = _rows_of(bench, nb)
    ok = nr >= 0
    ok[ok] = in_S[nr[ok]]
    src, nr = src[ok], nr[ok]
    # a local optimum: no neighbour in S is strictly better
    better = scores[nr] > scores[rows[src]]
    optimum = np.ones(len(rows), dtype=bool)
    optimum[np.unique(src[better])] = False
    pos = np.searchsorted(rows, nr).clip(0, max(len(rows) - 1, 0))
    inside = rows[pos] == nr if len(rows) else np.zeros(0, bool)
    i, j = src[inside].astype(np.int64), pos[inside].astype(np.int64)
    graph = coo_matrix((np.ones(len(i), np.int8), (i, j)), shape=(len(rows), len(rows))).tocsr()
    n_comp, label = connected_components(graph, directed=False) if len(rows) else (0, np.zeros(0, np.int64))
    out = TopStructure(rows, label, int(n_comp), (i, j), optimum)
    if len(per) > 16:
        per.pop(next(iter(per)))
    per[key] = out
    return out


def _rows_of(bench, nb: np.ndarray) -> np.ndarray:
    """``bench.rows(nb, missing="mask")`` for neighbours, keyed without re-canonicalising where the space allows."""
    if not len(nb):
        return np.empty(0, np.int64)
    from .diversity import neighbour_index

    k = np.asarray(neighbour_index(bench.space)(nb), dtype=np.int64)
    if not len(bench.keys):
        return np.full(len(k), -1, np.int64)
    pos = np.searchsorted(bench.keys, k).clip(0, len(bench.keys) - 1)
    return np.where(bench.keys[pos] == k, pos, -1).astype(np.int64)


def claim_metrics(T: TopStructure, member_rows: np.ndarray) -> dict[str, float | int]:
    """``good_pockets``, ``top_components_hit`` and ``optima_kept`` of the shrunk space whose rows are
    ``member_rows`` (in any order)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not len(T.rows):
        return {"good_pockets": 0, "top_components_hit": math.nan, "optima_kept": math.nan}
    kept = np.isin(T.rows, member_rows)
    n_kept = int(kept.sum())
    if n_kept:
        new = np.cumsum(kept) - 1
        i, j = T.edges
        e = kept[i] & kept[j]
        g = coo_matrix((np.ones(int(e.sum()), np.int8), (new[i[e]], new[j[e]])), shape=(n_kept, n_kept)).tocsr()
        pockets = int(connected_components(g, directed=False)[0])
    else:
        pockets = 0
    n_opt = int(T.optimum.sum())
    return {
        "good_pockets": pockets,
        "top_components_hit": float(len(np.unique(T.component[kept])) / T.n_components),
        "optima_kept": float((kept & T.optimum).sum() / n_opt) if n_opt else math.nan,
    }
