"""The locality measures as array functions on a *landscape*: ``n`` architectures (rows of ``A``, canonical
encoding) with values ``f`` and, where available, the radius-1 neighbour graph in CSR form.

Everything here is plain numpy on index arrays; ``analyze_locality`` decides which function to use (exact or
sampled) and collects the results.  Internally "better" is always "larger": callers pass ``g = f`` for maximised
metrics and ``g = -f`` for minimised ones where a direction matters (optima, top sets).  The pair statistics by
distance (exact pair sums, sampled pairs) live in ``_pairs`` and are re-exported here.

>>> ring = graph_from_edges([0, 1, 1, 2, 2, 3, 3, 0], [1, 0, 2, 1, 3, 2, 0, 3], 4)   # a 4-cycle
>>> rwa_exact(np.array([0.0, 1.0, 0.0, 1.0]), ring, 2).tolist()   # values alternate: every step flips f
[-1.0, 1.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._pairs import (  # noqa: F401  (re-exported: the measures namespace)
    DistanceCurve,
    PairSums,
    _effective,
    curve_from_sums,
    hamming_sums,
    pair_curve,
    pairwise_method_cost,
    pairwise_sums,
    pearson,
    quantiles,
    random_distinct_pairs,
    sample_pairs_at_distance,
    subset_method_cost,
)

# ------------------------------------------------------------------------------------------ neighbour graph


@dataclass(frozen=True)
class NeighbourGraph:
    """Radius-1 neighbour relation restricted to the landscape's rows, as CSR sorted by (source, target)."""

    indptr: np.ndarray  # (n + 1,) int64
    dst: np.ndarray  # (m,) int64 targets
    src: np.ndarray  # (m,) int64 sources (redundant with indptr, kept for vectorised use)

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    def undirected_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Every unordered neighbour pair once (``i < j``); asymmetric relations are symmetrised."""
        a, b = np.minimum(self.src, self.dst), np.maximum(self.src, self.dst)
        key = sorted_unique(a * self.n + b)
        return key // self.n, key % self.n

    def transition_matrix(self):
        """``P = D^-1 A`` as a scipy CSR matrix (rows of isolated architectures are zero)."""
        from scipy import sparse

        deg = self.degree.astype(np.float64)
        w = 1.0 / np.where(deg > 0, deg, 1.0)
        return sparse.csr_matrix((w[self.src], self.dst, self.indptr), shape=(self.n, self.n))


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """``np.unique`` of an int array by sorting (numpy's hash-based path is many times slower on these keys)."""
    x = np.sort(x)
    return x[np.concatenate([[True], x[1:] != x[:-1]])] if len(x) else x


def graph_from_edges(src: np.ndarray, dst: np.ndarray, n: int) -> NeighbourGraph:
    src, dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)
    keep = src != dst
    key = sorted_unique(src[keep] * n + dst[keep])
    s, d = key // n, key % n
    indptr = np.concatenate([[0], np.cumsum(np.bincount(s, minlength=n))]).astype(np.int64)
    return NeighbourGraph(indptr, d, s)


def bootstrap_weights(n: int, size: int, rng: np.random.Generator, chunk: int = 64):
    """Yield ``(b, n)`` float arrays of multinomial resampling counts (a standard bootstrap of ``n`` units)."""
    for s in range(0, size, chunk):
        b = min(chunk, size - s)
        idx = rng.integers(0, n, size=(b, n))
        idx += (np.arange(b) * n)[:, None]
        yield np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)


def percentile_ci(samples: np.ndarray, level: float) -> np.ndarray:
    """Percentile interval of bootstrap replicates along axis 0 (NaN-aware), shape (..., 2)."""
    import warnings

    a = (1.0 - level) / 2.0
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (no pairs at a distance) give NaN
        lo = np.nanquantile(samples, a, axis=0)
        hi = np.nanquantile(samples, 1 - a, axis=0)
    return np.stack([lo, hi], axis=-1)


# ------------------------------------------------------------------------------------------ random walks


def rwa_exact(f: np.ndarray, graph: NeighbourGraph, max_lag: int) -> np.ndarray:
    """Autocorrelation at lags 1..K of f along the stationary simple random walk on the neighbour graph.

    The walk moves to a uniformly random neighbour; its stationary law is ``pi_i ∝ degree_i``, so
    ``rho(h) = Cov_pi(f_0, f_h) / Var_pi(f) = <g, P^h g>_pi / <g, g>_pi`` with ``g = f - E_pi f`` and
    ``P = D^-1 A``.  This is the limit of the pooled walk estimate for many long walks.
    """
    deg = graph.degree.astype(np.float64)
    live = deg > 0
    out = np.full(max_lag, np.nan)
    if live.sum() < 2:
        return out
    pi = deg / deg.sum()
    g = np.where(live, f - float(pi @ np.where(live, f, 0.0)), 0.0)
    var = float(pi @ (g * g))
    if var <= 0:
        return out
    Pm = graph.transition_matrix()
    h = g.copy()
    for lag in range(max_lag):
        h = Pm @ h
        out[lag] = float(pi @ (g * h)) / var
    return out


def walks_on_graph(
    graph: NeighbourGraph, walks: int, length: int, rng: np.random.Generator, start: np.ndarray | None = None
) -> np.ndarray:
    """``(walks, length + 1)`` rows visited by simple random walks started from the stationary law (or at the
    rows ``start``, which must have neighbours)."""
    deg = graph.degree
    if start is None:
        cur = rng.choice(graph.n, size=walks, p=deg / deg.sum())
    else:
        cur = np.asarray(start, np.int64)
        walks = len(cur)
    out = np.empty((walks, length + 1), np.int64)
    out[:, 0] = cur
    for t in range(1, length + 1):
        d = deg[cur]
        cur = graph.dst[graph.indptr[cur] + (rng.random(walks) * d).astype(np.int64)]
        out[:, t] = cur
    return out


def rwa_from_walks(
    F: np.ndarray, max_lag: int, rng: np.random.Generator, n_boot: int, level: float, weights=None
) -> tuple[np.ndarray, np.ndarray]:
    """Pooled autocorrelation of walk values ``F`` (walks, steps) at lags 1..K and its percentile interval from a
    bootstrap over walks (walks are independent; steps within a walk are not, so walks are the units).

    Pooled means one mean and one variance over every step of every walk (a per-walk mean would bias short
    walks).  From stationary starts this is consistent for the stationary autocorrelation ``rwa_exact`` at any
    walk length.  ``weights`` (one per walk) correct starts drawn from another law q by importance weights
    pi(start) / q(start): for uniform starts on the neighbour graph, the start's degree.

    >>> rng = np.random.default_rng(0)
    >>> F = np.cumsum(rng.standard_normal((200, 50)), axis=1) * 0.1 + rng.standard_normal((200, 1))
    >>> rho, ci = rwa_from_walks(F, 2, rng, 200, 0.95)
    >>> bool(ci[0, 0] <= rho[0] <= ci[0, 1]), bool(rho[0] > rho[1] > 0)
    (True, True)
    """
    W, T = F.shape
    u = None if weights is None else np.asarray(weights, np.float64)
    if u is not None and np.all(u == u[0]):
        u = None  # equal weights: the plain estimator (bit for bit)
    mu = F.mean() if u is None else float(u @ F.sum(axis=1)) / (u.sum() * T)
    Fc = F - mu
    var_w = (Fc * Fc).sum(axis=1)  # per walk
    cov_w = np.stack([(Fc[:, : T - h] * Fc[:, h:]).sum(axis=1) for h in range(1, max_lag + 1)], axis=1)
    npts = np.array([T - h for h in range(1, max_lag + 1)], np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if u is None:
            rho = (cov_w.sum(axis=0) / (W * npts)) / (var_w.sum() / (W * T))
        else:
            rho = (u @ cov_w / (u.sum() * npts)) / (u @ var_w / (u.sum() * T))
        if W < 2 or n_boot <= 0:
            return rho, np.full((max_lag, 2), np.nan)
        reps = []
        for w in bootstrap_weights(W, n_boot, rng):
            if u is not None:
                w = w * u
            reps.append((w @ cov_w / (w.sum(axis=1)[:, None] * npts)) / (w @ var_w / (w.sum(axis=1) * T))[:, None])
    return rho, percentile_ci(np.concatenate(reps), level)


def correlation_length(rho1: float) -> float:
    """``-1 / ln|rho(1)|`` (Stadler/Weinberger): the lag at which an exponential autocorrelation falls to 1/e."""
    if rho1 is None or not np.isfinite(rho1):
        return float("nan")
    r = abs(float(rho1))
    if r >= 1.0 - 1e-12:  # rounding can leave a perfect correlation a hair below 1
        return float("inf")
    if r == 0.0:
        return 0.0
    return -1.0 / math.log(r)


# ------------------------------------------------------------------------------------------ permutation test


def permutation_test(
    f: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    permutations: int,
    rng: np.random.Generator,
    statistic: str = "mean |Δf| over radius-1 neighbour pairs",
) -> dict:
    """One-sided permutation test of locality on the neighbour pairs ``(i, j)``.

    Statistic ``T = mean |f_i - f_j|`` over the pairs.  Null: f is exchangeable over the rows (every assignment
    of the observed values to the architectures equally likely), simulated by permuting f.  Alternative:
    neighbours are more similar than under the null (T small).  ``p = (1 + #{T* <= T}) / (1 + B)``.

    Only the pairs' endpoints matter, so each permutation draws their values as an ordered sample without
    replacement of f (``rng.choice``), which has the law of a full permutation restricted to them and is cheaper.

    >>> f = np.arange(10.0); i = np.arange(9); j = i + 1          # a path whose neighbours differ by 1
    >>> permutation_test(f, i, j, 99, np.random.default_rng(0))["p_value"]
    0.01
    """
    f = np.asarray(f, np.float64)
    obs = float(np.mean(np.abs(f[i] - f[j])))
    n = len(f)
    u = sorted_unique(np.concatenate([i, j]))
    ii, jj = np.searchsorted(u, i), np.searchsorted(u, j)
    null = np.empty(permutations)
    for b in range(permutations):
        v = f[rng.choice(n, size=len(u), replace=False)]
        null[b] = np.mean(np.abs(v[ii] - v[jj]))
    # a relative tolerance so that T* equal to T up to rounding counts as <= (ties favour the null)
    le = int(np.sum(null <= obs + 1e-12 * max(1.0, abs(obs))))
    return {
        "statistic": statistic,
        "null": "f exchangeable over the architectures (values randomly permuted)",
        "alternative": "less (neighbours more similar than random)",
        "observed": obs,
        "null_mean": float(null.mean()) if permutations else float("nan"),
        "null_sd": float(null.std(ddof=1)) if permutations > 1 else float("nan"),
        "permutations": int(permutations),
        "pairs_used": int(len(i)),
        "p_value": (1 + le) / (1 + permutations),
    }


# ------------------------------------------------------------------------------------------ enrichment


def top_mask(g: np.ndarray, q: float) -> np.ndarray:
    """Rows whose value (larger = better) is at least the ``ceil(q n)``-th best (ties at the threshold kept)."""
    n = len(g)
    k = max(1, math.ceil(q * n))
    thr = np.partition(g, n - k)[n - k]
    return g >= thr


def enrichment_exact(g: np.ndarray, graph: NeighbourGraph, qs) -> list[dict]:
    """P(neighbour in top q | architecture in top q), edge-weighted over all neighbour pairs, against the value
    expected when the values are randomly permuted, ``(|T| - 1) / (n - 1)``."""
    n = len(g)
    out = []
    for q in qs:
        T = top_mask(g, q)
        t = int(T.sum())
        if t < 2:
            continue
        src_in = T[graph.src]
        m = int(src_in.sum())
        p = float(T[graph.dst][src_in].mean()) if m else float("nan")
        chance = (t - 1) / (n - 1)
        out.append(
            {
                "q": float(q),
                "top_size": t,
                "pairs": m,
                "p_neighbour_in_top": p,
                "chance": chance,
                "ratio": p / chance if chance > 0 else float("nan"),
            }
        )
    return out


# ------------------------------------------------------------------------------------------ local optima


def best_neighbour(g: np.ndarray, graph: NeighbourGraph) -> np.ndarray:
    """Each row's best neighbour (largest g, ties to the lowest row); -1 for rows without neighbours."""
    n = graph.n
    best = np.full(n, -1, np.int64)
    if not len(graph.dst):
        return best
    vals = g[graph.dst]
    live = np.flatnonzero(graph.degree > 0)
    mx = np.full(n, -np.inf)
    mx[live] = np.maximum.reduceat(vals, graph.indptr[live])
    # CSR rows are sorted by target: the first edge reaching the maximum is the lowest-row best neighbour
    e = np.flatnonzero(vals == mx[graph.src])
    s = graph.src[e]
    first = np.concatenate([[True], s[1:] != s[:-1]])
    best[s[first]] = graph.dst[e[first]]
    return best


def local_optima(g: np.ndarray, graph: NeighbourGraph) -> dict:
    """Local optima (rows with >= 1 neighbour and none strictly better) and their basins under
    best-improvement hill climbing: from every row move to the best neighbour while it is strictly better.

    Pointers are followed by pointer jumping (``ptr = ptr[ptr]``), so the cost is O(n log(longest climb)).
    """
    n = graph.n
    best = best_neighbour(g, graph)
    has = best >= 0
    improve = has & (g[np.where(has, best, 0)] > g)
    ptr = np.where(improve, best, np.arange(n))
    while True:
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            break
        ptr = nxt
    is_opt = has & ~improve
    basin = np.bincount(ptr, minlength=n)
    opt = np.flatnonzero(is_opt)
    deg = graph.degree
    chance = float(np.sum(1.0 / (deg[deg > 0] + 1.0)))
    gbest = np.flatnonzero(g == g.max())
    return {
        "optima": opt,
        "basin_sizes": basin[opt],
        "isolated": int(np.sum(~has)),
        "chance": chance,
        "global_basin_fraction": float(basin[gbest].sum() / max(1, has.sum())),
        "climb_target": ptr,
    }


# ------------------------------------------------------------------------------------------ FDC


def distance_to_set(A: np.ndarray, targets: np.ndarray, n_choices) -> np.ndarray:
    """Hamming distance of every row of ``A`` to the nearest row of ``targets``."""
    A, _ = _effective(np.asarray(A), n_choices)
    T, _ = _effective(np.asarray(targets), n_choices)
    out = np.full(len(A), np.iinfo(np.int16).max, np.int16)
    rows = max(1, 2**22 // max(1, len(T) * A.shape[1]))
    for s in range(0, len(A), rows):
        out[s : s + rows] = (A[s : s + rows, None, :] != T[None]).sum(axis=2).min(axis=1)
    return out


def pearson_weighted(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Pearson's r(x, y) under each row of weights ``w`` (b, len(x)): one value per row."""
    xm, ym = x.mean(), y.mean()  # centre first for numerical stability
    x, y = x - xm, y - ym
    s = w @ np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], axis=1)
    n, sx, sy, sxx, syy, sxy = s.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sxy / n - sx * sy / n**2) / np.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2))


def weighted_pearson_reps(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    """Bootstrap replicates of Pearson's r(x, y) (rows resampled)."""
    reps = [pearson_weighted(x, y, w) for w in bootstrap_weights(len(x), n_boot, rng)]
    return np.concatenate(reps) if reps else np.empty(0)
