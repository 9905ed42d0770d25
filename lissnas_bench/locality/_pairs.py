"""Pair statistics by distance: exact per-row sums over all pairs at each Hamming distance, and the same
statistics from sampled pairs.  Re-exported by ``measures``.

Exact sums over all pairs at Hamming distance ``d`` (``hamming_sums``)
--------------------------------------------------------------------
For a subset ``S`` of positions let ``T_S(i)`` be the set of rows that agree with row ``i`` outside ``S``
(``i`` included).  Sorting the rows by (key outside ``S``, f) turns every ``T_S`` into a contiguous run, and
inside a sorted run ``sum_j |f_i - f_j|`` follows from prefix sums, so one subset costs one ``argsort``.
With ``U_k = sum_{|S| = k} T_S`` (summed per row), Möbius inversion over the subset lattice gives the sums over
rows at distance *exactly* ``d``::

    D_d = sum_{k=0..d} (-1)^(d-k) * C(P-k, d-k) * U_k

so the exact per-row sums for d = 0..K need the ``sum_{k<=K} C(P, k)`` subsets of size <= K only (64 for NB201).

>>> A = np.array([[0, 0], [0, 1], [1, 1]])
>>> curve_from_sums(hamming_sums(A, np.array([0.0, 1.0, 3.0]), [2, 2], 2)).mean_abs.tolist()  # d = 1, 2
[1.5, 3.0]
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

# ------------------------------------------------------------------------------------------ exact pair sums


@dataclass(frozen=True)
class PairSums:
    """Per-row sums over partners at distance exactly d (rows of each array: d = 0..K) and over all partners.

    ``cnt[d, i]`` partners of row i at distance d, ``s1[d, i] = sum_j fc_j``, ``sabs[d, i] = sum_j |f_i - f_j|``
    with ``fc = f - mean(f)``.  ``*_all`` are the same over every other row (the random-pair baseline).
    """

    cnt: np.ndarray
    s1: np.ndarray
    sabs: np.ndarray
    cnt_all: np.ndarray
    s1_all: np.ndarray
    sabs_all: np.ndarray
    fc: np.ndarray
    method: str


def _effective(A: np.ndarray, n_choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.asarray(n_choices) > 1
    return A[:, keep], np.asarray(n_choices, np.int64)[keep]


def subset_method_cost(n: int, positions: int, max_distance: int, n_choices) -> float | None:
    """Rough element-operation count of ``hamming_sums`` (None when its int64 keys would overflow)."""
    k = np.asarray(n_choices, np.float64)
    if np.sum(np.log2(np.maximum(k[k > 1], 1))) > 62:
        return None
    subsets = sum(math.comb(positions, j) for j in range(1, min(max_distance, positions) + 1)) + 1
    return subsets * n * 40.0


def pairwise_method_cost(n: int, positions: int, max_distance: int) -> float:
    return n * float(n) * (positions + max_distance + 6)


def _group_sums(key_sorted: np.ndarray, v: np.ndarray):
    """For runs of equal keys in ``key_sorted`` (values ``v`` ascending inside each run): per element the run
    size, the run sum and ``sum_j |v_i - v_j|`` over its run."""
    n = len(v)
    brk = np.flatnonzero(key_sorted[1:] != key_sorted[:-1]) + 1
    starts = np.concatenate([[0], brk])
    sizes = np.diff(np.concatenate([starts, [n]]))
    gid = np.repeat(np.arange(len(starts)), sizes)
    c = np.cumsum(v)
    before = np.concatenate([[0.0], c])[starts]  # cumulative sum before each run
    excl = c - v - before[gid]  # sum of the run's elements before this one
    total = (c[starts + sizes - 1] - before)[gid]
    rank = np.arange(n) - starts[gid]
    size = sizes[gid]
    sabs = (v * rank - excl) + (total - excl - v) - v * (size - rank - 1)
    return size.astype(np.float64), total, sabs


def hamming_sums(A: np.ndarray, f: np.ndarray, n_choices, max_distance: int) -> PairSums:
    """Exact per-row sums over all pairs at Hamming distance 0..K (see the module docstring).

    >>> A = np.array([[0, 0], [0, 1], [1, 1]]); ps = hamming_sums(A, np.array([0.0, 1.0, 3.0]), [2, 2], 2)
    >>> ps.cnt.sum(axis=1).tolist(), ps.sabs.sum(axis=1).tolist()  # ordered pairs at d = 0, 1, 2
    ([3.0, 4.0, 2.0], [0.0, 6.0, 6.0])
    """
    A, k = _effective(np.asarray(A), n_choices)
    n, P = A.shape
    K = min(int(max_distance), P)
    f = np.asarray(f, np.float64)
    fc = f - f.mean()
    order = np.argsort(fc, kind="stable")
    v = fc[order]
    As = A[order].astype(np.int64)
    radix = np.concatenate([np.cumprod(k[::-1])[::-1][1:], [1]]).astype(np.int64)
    total = int(np.prod(k)) if P else 1
    # numpy sorts 16-bit keys by radix sort: several times faster than int64 for NB201/Macro/Graph (<= 9**5 keys)
    kdt = np.uint16 if total <= 2**16 else (np.uint32 if total <= 2**32 else np.int64)
    cols = [(As[:, p] * radix[p]).astype(kdt) for p in range(P)]
    full = np.sum(cols, axis=0, dtype=kdt) if P else np.zeros(n, kdt)

    def sums_for(key):
        o = np.argsort(key, kind="stable")  # stable: f stays ascending inside every run
        size, total, sabs = _group_sums(key[o], v[o])
        idx = order[o]
        out = np.empty((3, n))
        out[0, idx], out[1, idx], out[2, idx] = size, total, sabs
        return out

    U = np.zeros((K + 1, 3, n))
    U[0, 0], U[0, 1] = 1.0, fc  # S = {}: every row is its own run (rows are distinct)
    for size_k in range(1, K + 1):
        if size_k == P:
            U[size_k] = sums_for(np.zeros(n, kdt))
            continue
        for S in itertools.combinations(range(P), size_k):
            key = full - np.sum([cols[p] for p in S], axis=0, dtype=kdt)  # never negative: a sub-sum of full
            U[size_k] += sums_for(key)
    D = np.zeros((K + 1, 3, n))
    for d in range(K + 1):
        for j in range(d + 1):
            D[d] += (-1) ** (d - j) * math.comb(P - j, d - j) * U[j]
    allp = U[P] if K == P else sums_for(np.zeros(n, kdt))
    # the row itself: count 1, s1 fc_i, |Δf| 0
    return PairSums(
        cnt=np.rint(D[:, 0]),
        s1=D[:, 1],
        sabs=np.maximum(D[:, 2], 0.0),
        cnt_all=allp[0] - 1.0,
        s1_all=allp[1] - fc,
        sabs_all=allp[2],
        fc=fc,
        method="subset-sort",
    )


def pairwise_sums(A: np.ndarray, f: np.ndarray, n_choices, max_distance: int) -> PairSums:
    """The same sums as ``hamming_sums`` by blocked all-pairs distances (cheaper for a few thousand rows)."""
    A, _ = _effective(np.asarray(A), n_choices)
    n, P = A.shape
    K = min(int(max_distance), P)
    f = np.asarray(f, np.float64)
    fc = f - f.mean()
    cnt, s1, sabs = np.zeros((K + 1, n)), np.zeros((K + 1, n)), np.zeros((K + 1, n))
    rows = max(1, 2**23 // max(1, n * max(P, 1)))
    for s in range(0, n, rows):
        Db = (A[s : s + rows, None, :] != A[None, :, :]).sum(axis=2)
        ad = np.abs(fc[s : s + rows, None] - fc[None, :])
        for d in range(K + 1):
            m = Db == d
            cnt[d, s : s + rows] = m.sum(axis=1)
            s1[d, s : s + rows] = m @ fc
            sabs[d, s : s + rows] = np.where(m, ad, 0.0).sum(axis=1)
    tot = fc.sum()
    sabs_all = np.empty(n)
    o = np.argsort(fc, kind="stable")
    _, _, sa = _group_sums(np.zeros(n), fc[o])
    sabs_all[o] = sa
    return PairSums(cnt, s1, sabs, np.full(n, n - 1.0), tot - fc, sabs_all, fc, "pairwise")


@dataclass(frozen=True)
class DistanceCurve:
    """Pair statistics for d = 1..K (index 0 = d 1) and the random-pair baseline."""

    pairs: np.ndarray  # unordered pairs (exact) or sampled pairs per distance
    mean_abs: np.ndarray
    mean_sq: np.ndarray
    corr: np.ndarray
    random_mean_abs: float
    random_mean_sq: float
    random_pairs: float


def curve_from_sums(ps: PairSums, weights: np.ndarray | None = None) -> DistanceCurve:
    """Pooled pair statistics from per-row sums; ``weights`` (per row) re-weight the source rows (bootstrap)."""
    w = np.ones(len(ps.fc)) if weights is None else weights
    fc = ps.fc
    f2 = fc * fc
    C = ps.cnt @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_abs = (ps.sabs @ w) / C
        # sum_j (f_i - f_j)^2 = c f_i^2 - 2 f_i s1 + sum_j f_j^2, and sum_j f_j^2 over pairs equals (by symmetry of
        # the pair set) sum_i c_i f_i^2 when every row is weighted 1; under re-weighting keep the source-side form
        s2_src = (ps.cnt * f2) @ w
        cross = (ps.s1 * fc) @ w
        mu = (ps.cnt * fc) @ w / C
        var = s2_src / C - mu**2
        mean_sq = 2.0 * (s2_src / C - cross / C)
        corr = (cross / C - mu**2) / var
        corr = np.where(C >= 6, corr, np.nan)  # fewer than 3 unordered pairs: no meaningful correlation
        Ca = ps.cnt_all @ w
        rnd_abs = (ps.sabs_all @ w) / Ca
        rnd_sq = 2.0 * (((ps.cnt_all * f2) @ w) - (ps.s1_all * fc) @ w) / Ca
    return DistanceCurve(
        C[1:] / 2.0, mean_abs[1:], mean_sq[1:], corr[1:], float(rnd_abs), float(rnd_sq), float(Ca / 2.0)
    )


# ------------------------------------------------------------------------------------------ sampled pairs


def sample_pairs_at_distance(
    A: np.ndarray, n_choices, max_distance: int, sources: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """For each source row one partner drawn uniformly among the rows at Hamming distance d, for d = 1..K.

    Returns ``(len(sources), K)`` partner rows, -1 where a source has no row at that distance.
    """
    A, _ = _effective(np.asarray(A), n_choices)
    n = len(A)
    K = int(max_distance)
    out = np.full((len(sources), K), -1, np.int64)
    rows = max(1, 2**22 // max(1, n))
    for s in range(0, len(sources), rows):
        src = sources[s : s + rows]
        D = (A[src, None, :] != A[None, :, :]).sum(axis=2, dtype=np.int16)
        R = rng.random(D.shape)
        for d in range(1, K + 1):
            score = np.where(D == d, R, -1.0)
            best = np.argmax(score, axis=1)
            ok = score[np.arange(len(src)), best] >= 0
            out[s : s + rows, d - 1] = np.where(ok, best, -1)
    return out


def random_distinct_pairs(n: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``size`` uniformly random ordered pairs of distinct rows."""
    i = rng.integers(0, n, size)
    j = rng.integers(0, n - 1, size)
    j = j + (j >= i)
    return i, j


def pair_curve(
    f: np.ndarray, i_by_d: list[np.ndarray], j_by_d: list[np.ndarray], ri: np.ndarray, rj: np.ndarray
) -> DistanceCurve:
    """Statistics of sampled pairs (each pair symmetrised for the correlation)."""
    K = len(i_by_d)
    mean_abs, mean_sq, corr, cnt = np.full(K, np.nan), np.full(K, np.nan), np.full(K, np.nan), np.zeros(K)
    for d in range(K):
        a, b = f[i_by_d[d]], f[j_by_d[d]]
        cnt[d] = len(a)
        if len(a):
            mean_abs[d] = np.mean(np.abs(a - b))
            mean_sq[d] = np.mean((a - b) ** 2)
        if len(a) > 2:
            corr[d] = pearson(np.concatenate([a, b]), np.concatenate([b, a]))
    x, y = f[ri], f[rj]
    return DistanceCurve(
        cnt, mean_abs, mean_sq, corr, float(np.mean(np.abs(x - y))), float(np.mean((x - y) ** 2)), float(len(x))
    )


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(x) < 2:
        return float("nan")
    xc, yc = x - x.mean(), y - y.mean()
    den = math.sqrt(float(xc @ xc) * float(yc @ yc))
    return float(xc @ yc / den) if den > 0 else float("nan")


def quantiles(values: np.ndarray, qs=(0.05, 0.25, 0.5, 0.75, 0.95)) -> dict | None:
    values = np.asarray(values, np.float64)
    if not len(values):
        return None
    return {f"q{round(q * 100):02d}": float(v) for q, v in zip(qs, np.quantile(values, qs))}
