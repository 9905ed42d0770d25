"""Stages shared by the exact and the sampled paths: distance curves from sampled pairs (with their bootstrap),
graph-edit-distance curves, and the fitness-distance correlation."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import measures as M
from ._landscape import Run

_BOOTSTRAP_FDC_MAX_ROWS = 20_000  # beyond: Fisher z interval (the bootstrap would cost seconds)


# ---------------------------------------------------------------------------------------------- distance curves
def curve_fields(run: Run, ib, jb, ri, rj) -> tuple[dict, M.DistanceCurve]:
    """The distance-curve outputs from sampled pairs ``(ib[d], jb[d])`` per distance and random pairs
    ``(ri, rj)``, and the curve itself."""
    f, st = run.f, run.st
    curve = M.pair_curve(f, ib, jb, ri, rj)
    ci_abs, ci_corr, ci_rnd = _pair_ci(f, ib, jb, ri, rj, st.bootstrap, run.rng.bootstrap, st.confidence)
    fields = {
        "pairs_by_distance": curve.pairs.tolist(),
        "mean_abs_diff_by_distance": curve.mean_abs.tolist(),
        "mean_abs_diff_ci": ci_abs.tolist(),
        "mean_sq_diff_by_distance": curve.mean_sq.tolist(),
        "abs_diff_quantiles_by_distance": [M.quantiles(np.abs(f[a] - f[b])) for a, b in zip(ib, jb)],
        "random_pair_mean_abs_diff": curve.random_mean_abs,
        "random_pair_mean_abs_diff_ci": ci_rnd.tolist(),
        "random_pair_mean_sq_diff": curve.random_mean_sq,
        "random_pair_abs_diff_quantiles": M.quantiles(np.abs(f[ri] - f[rj])),
        "correlation_by_distance": curve.corr.tolist(),
        "correlation_ci": ci_corr.tolist(),
    }
    return fields, curve


def _pair_ci(f, ib, jb, ri, rj, boot, rng, level):
    """Bootstrap over sampled pairs, separately per distance."""
    K = len(ib)
    ci_abs, ci_corr = np.full((K, 2), np.nan), np.full((K, 2), np.nan)
    if boot <= 0:
        return ci_abs, ci_corr, np.full(2, np.nan)
    for d in range(K):
        a, b = f[ib[d]], f[jb[d]]
        if len(a) < 2:
            continue
        ad = np.abs(a - b)
        reps_abs, reps_corr = [], []
        for w in M.bootstrap_weights(len(a), boot, rng):
            reps_abs.append(w @ ad / len(a))
            x = np.concatenate([a, b])
            y = np.concatenate([b, a])
            reps_corr.append(M.pearson_weighted(x, y, np.concatenate([w, w], axis=1)))
        ci_abs[d] = M.percentile_ci(np.concatenate(reps_abs), level)
        ci_corr[d] = M.percentile_ci(np.concatenate(reps_corr), level)
    rd = np.abs(f[ri] - f[rj])
    reps = np.concatenate([w @ rd / len(rd) for w in M.bootstrap_weights(len(rd), boot, rng)])
    return ci_abs, ci_corr, M.percentile_ci(reps, level)


def ged_curves(run: Run, walk_pos: np.ndarray) -> dict:
    """Distance curves by graph edit distance on sampled pairs: walk pairs (start, step t) and random pairs."""
    L, K, cache = run.land, run.K, run.ged
    i = np.repeat(walk_pos[:, 0], walk_pos.shape[1] - 1)
    j = walk_pos[:, 1:].ravel()
    keep = i != j
    i, j = i[keep], j[keep]
    d = cache.distances(L.A[i], L.A[j]) if len(i) else np.empty(0)
    n_rand = max(50, run.st.samples // 4)
    ri, rj = M.random_distinct_pairs(L.n, n_rand, run.rng.ged)
    dr = cache.distances(L.A[ri], L.A[rj])
    # random pairs also contribute to the bins they fall into
    i, j, d = np.concatenate([i, ri]), np.concatenate([j, rj]), np.concatenate([d, dr])
    ib = [i[np.rint(d) == k] for k in range(1, K + 1)]
    jb = [j[np.rint(d) == k] for k in range(1, K + 1)]
    return curve_fields(run, ib, jb, ri, rj)[0]


# ---------------------------------------------------------------------------------------------- FDC
class Fdc(NamedTuple):
    fields: dict  # fdc, fdc_ci, fdc_method
    d: np.ndarray  # distance to the nearest global optimum of every row used
    plot: dict  # fdc_d, fdc_f, fdc_mean_by_distance


def fdc(run: Run, bootstrap: bool = True) -> Fdc:
    """Fitness-distance correlation; ``bootstrap=False`` leaves the interval to the caller's shared bootstrap."""
    L, st, rng = run.land, run.st, run.rng.fdc
    idx, d, method = _distances_to_optimum(run)
    fx = L.f[idx]
    r = M.pearson(fx, d)
    if not bootstrap:
        ci = np.full(2, np.nan)
    elif st.bootstrap > 0 and len(idx) <= _BOOTSTRAP_FDC_MAX_ROWS:
        ci = M.percentile_ci(M.weighted_pearson_reps(fx, d, rng, st.bootstrap), st.confidence)
    else:
        ci = _fisher_ci(r, len(idx), st.confidence)
    show = rng.choice(len(idx), size=min(3000, len(idx)), replace=False)
    dd = np.rint(d).astype(np.int64)
    means = {int(k): float(fx[dd == k].mean()) for k in np.unique(dd)}
    fields = {"fdc": r, "fdc_ci": np.asarray(ci).tolist(), "fdc_method": method}
    return Fdc(fields, d, {"fdc_d": d[show], "fdc_f": fx[show], "fdc_mean_by_distance": means})


def _distances_to_optimum(run: Run) -> tuple[np.ndarray, np.ndarray, str]:
    """(rows used, their distance to the nearest global optimum, how)."""
    L, g, st = run.land, run.g, run.st
    opt = np.flatnonzero(g == g.max())
    if st.distance == "hamming":
        d = M.distance_to_set(L.A, L.A[opt[:256]], L.n_choices).astype(np.float64)
        return np.arange(L.n), d, "exact: every architecture, Hamming distance to the nearest global optimum"
    m = min(st.samples, L.n, 300)
    idx = run.rng.fdc.choice(L.n, size=m, replace=False)
    best = np.full(m, np.inf)
    for o in opt[:3]:
        best = np.minimum(best, run.ged.distances(L.A[idx], np.repeat(L.A[o : o + 1], m, axis=0)))
    return idx, best, f"sampled: {m} uniformly drawn architectures, graph edit distance to the global optimum"


def _fisher_ci(r: float, n: int, level: float) -> np.ndarray:
    """Fisher's z interval (for very many rows, where the bootstrap would cost seconds)."""
    if n <= 3 or abs(r) >= 1:
        return np.full(2, np.nan)
    from scipy.stats import norm

    z, se = math.atanh(r), 1 / math.sqrt(n - 3)
    zq = norm.ppf(0.5 + level / 2)
    return np.tanh([z - zq * se, z + zq * se])
