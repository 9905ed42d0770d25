"""Sampled mode: ``samples`` walkers from uniformly drawn architectures give every neighbour-based estimate; the
measures that need no neighbours (FDC, top sets) stay exact over the table."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import measures as M
from ._landscape import Run
from ._stages import curve_fields, fdc, ged_curves


class Walks(NamedTuple):
    pos: np.ndarray  # (N, length + 1) landscape positions visited
    deg0: np.ndarray  # neighbours with a value of each start
    better0: np.ndarray  # whether each start has a strictly better neighbour
    first_i: np.ndarray  # each moving walker's start ...
    first_j: np.ndarray  # ... and its first step


def run_sampled(run: Run) -> dict:
    """Every measure estimated from the walkers (see ``docs/locality.md``, "Exact and sampled")."""
    st = run.st
    run.note(
        f"sampled: {st.samples} walkers started at uniformly drawn architectures, {st.walk_length} steps each (a "
        "step moves to a uniformly drawn neighbour that has a value); pairs at distance d are each walker's start "
        "and its first position at distance d; random pairs are uniform pairs of distinct architectures"
    )
    w = _walk(run)
    run.lap("walks")
    out = _start_fields(run, w)
    out.update(_distance_curves(run, w))
    run.lap("distance_curves")
    out.update(_rwa(run, w))
    run.lap("rwa")
    out.update(_first_step_test(run, w))
    run.lap("permutation_test")
    out["enrichment"] = _enrichment(run)
    run.lap("enrichment")
    out.update(_local_optima(run, w))
    fd = fdc(run)
    out.update(fd.fields)
    run.lap("fdc")
    live_optima = (w.deg0 > 0) & ~w.better0
    out["plot_data"] = {
        "local_optima_values": run.f[w.pos[live_optima, 0]],
        "basin_sizes": None,
        "f_all": run.f,
        **fd.plot,
    }
    return out


# ---------------------------------------------------------------------------------------------- walks
def _walk(run: Run) -> Walks:
    """``samples`` simple random walks of ``walk_length`` steps from uniform starts, on the tabulated rows; the
    first step also records each start's neighbourhood (degree, whether a neighbour is better)."""
    L, N, rng = run.land, run.st.samples, run.rng.walks
    pos = np.empty((N, run.st.walk_length + 1), np.int64)
    pos[:, 0] = rng.integers(0, L.n, N)
    deg0 = better0 = None
    for t in range(run.st.walk_length):
        cur = pos[:, t]
        uniq, inv = np.unique(cur, return_inverse=True)
        s, nb = L.neighbours(uniq)
        d_u = np.bincount(s, minlength=len(uniq))
        if t == 0:
            has_better = np.zeros(len(uniq), bool)
            np.logical_or.at(has_better, s, run.g[nb] > run.g[uniq[s]])
            deg0, better0 = d_u[inv], has_better[inv]
        pos[:, t + 1] = _step(cur, inv, s, nb, d_u, rng)
    moved = deg0 > 0
    return Walks(pos, deg0, better0, pos[moved, 0], pos[moved, 1])


def _step(cur, inv, s, nb, d_u, rng) -> np.ndarray:
    """Each walker moves to a uniformly drawn neighbour of its row (``s``/``nb``: the neighbour pairs of the unique
    rows, ``inv``: each walker's unique row); walkers without a neighbour stay."""
    nb = nb[np.argsort(s, kind="stable")]
    start = np.concatenate([[0], np.cumsum(d_u)])[:-1]
    d = d_u[inv]
    pick = start[inv] + (rng.random(len(cur)) * d).astype(np.int64)
    if not len(nb):
        return cur.copy()
    return np.where(d > 0, nb[np.minimum(pick, len(nb) - 1)], cur)


def _start_fields(run: Run, w: Walks) -> dict:
    N = run.st.samples
    stuck = int(np.sum(w.deg0 == 0))
    if stuck:
        run.note(f"{stuck} of {N} sampled start architectures have no neighbour with a value")
    if stuck > N / 2:
        run.note(
            "most sampled architectures have no tabulated neighbour: the table covers too little of the "
            "space for neighbour-based measures (walks, local optima, enrichment) to mean much"
        )
    return {"isolated": stuck, "neighbour_pairs": int(np.sum(w.deg0))}


# ---------------------------------------------------------------------------------------------- estimates
def _distance_curves(run: Run, w: Walks) -> dict:
    """Pairs at distance d: each walker's start and its first position at distance exactly d (Hamming), or the
    walk pairs binned by graph edit distance."""
    K, N = run.K, run.st.samples
    if run.st.distance != "hamming":
        Wg = min(N, max(2, math.ceil(N / K)))
        return ged_curves(run, w.pos[:Wg, : K + 1])
    pos = w.pos
    D = np.stack([run.land.hamming(pos[:, 0], pos[:, t]) for t in range(pos.shape[1])], axis=1)
    ib, jb = [], []
    for dist in range(1, K + 1):
        hit = D == dist
        has = hit.any(axis=1)
        first = np.argmax(hit, axis=1)
        ib.append(pos[has, 0])
        jb.append(pos[has, first[has]])
    ri, rj = M.random_distinct_pairs(run.land.n, N, run.rng.pairs)
    fields, curve = curve_fields(run, ib, jb, ri, rj)
    short = [d + 1 for d in range(K) if curve.pairs[d] < N / 2]
    if short:
        run.note(
            f"fewer than half of the walkers reached distance(s) {short} exactly; those estimates rest "
            f"on {[int(curve.pairs[d - 1]) for d in short]} pairs"
        )
    return fields


def _rwa(run: Run, w: Walks) -> dict:
    """The pooled walk autocorrelation.  The walkers start uniformly, not from the stationary law (pi ∝ degree)
    that defines the autocorrelation, so each walk is weighted by its start's degree (importance weights; without
    them graphs whose degree goes with f are biased).  Walkers that started without tabulated neighbours never move
    and are left out (their weight is 0)."""
    K, st = run.K, run.st
    moving = w.deg0 > 0
    if moving.sum() >= 2:
        rwa_w, rwa_ci = M.rwa_from_walks(
            run.f[w.pos[moving]], K, run.rng.walks, st.bootstrap, st.confidence, weights=w.deg0[moving]
        )
    else:
        rwa_w, rwa_ci = np.full(K, np.nan), np.full((K, 2), np.nan)
    return {
        "rwa_by_lag": rwa_w.tolist(),
        "rwa_method": f"walks ({int(moving.sum())} walks of {st.walk_length} steps from uniform starts weighted "
        "by their degree, pooled estimator)",
        "rwa_by_lag_walks": rwa_w.tolist(),
        "rwa_walks_ci": rwa_ci.tolist(),
        "correlation_length": M.correlation_length(rwa_w[0]),
        "correlation_length_walks": M.correlation_length(rwa_w[0]),
    }


def _first_step_test(run: Run, w: Walks) -> dict:
    """The permutation test on the walkers' first steps."""
    if len(w.first_i) < 2:
        pt = {"p_value": math.nan, "pairs_used": 0}
    else:
        pt = M.permutation_test(
            run.f, w.first_i, w.first_j, run.st.permutations, run.rng.permutations,
            "mean |Δf| over radius-1 neighbour pairs (each walker's first step)",
        )
    return {"p_value": pt["p_value"], "permutation_test": pt}


def _enrichment(run: Run) -> list[dict]:
    """Neighbour enrichment of each top set, from up to ``samples`` sources drawn from the set."""
    L, n, N = run.land, run.land.n, run.st.samples
    out = []
    for q in run.st.top_fractions:
        T = M.top_mask(run.g, q)
        t = int(T.sum())
        if t < 2:
            continue
        src = run.rng.enrichment.choice(np.flatnonzero(T), size=min(N, t), replace=False)
        _, nb = L.neighbours(src)
        p = float(T[nb].mean()) if len(nb) else math.nan
        chance = (t - 1) / (n - 1)
        out.append({
            "q": q, "top_size": t, "pairs": int(len(nb)), "p_neighbour_in_top": p, "chance": chance,
            "ratio": p / chance if chance > 0 else math.nan, "sampled_sources": int(len(src)),
        })
    return out


def _local_optima(run: Run, w: Walks) -> dict:
    """The fraction of local optima among the uniform starts, times n, with a Clopper-Pearson interval."""
    from scipy.stats import beta

    n, N, level = run.land.n, run.st.samples, run.st.confidence
    live = w.deg0 > 0
    k_opt = int(np.sum(live & ~w.better0))
    a = (1 - level) / 2
    lo_ci = [beta.ppf(a, k_opt, N - k_opt + 1) if k_opt else 0.0, beta.ppf(1 - a, k_opt + 1, N - k_opt)]
    chance = float(np.mean(np.where(live, 1.0 / (w.deg0 + 1.0), 0.0)) * n)
    return {
        "local_optima": k_opt / N * n,
        "local_optima_chance": chance,
        "local_optima_detail": {
            "estimated": True,
            "ci": [c * n for c in lo_ci],
            "method": f"sampled: fraction of {N} uniform architectures that have a neighbour and none better, "
            f"times {n:,} (Clopper-Pearson interval); basins need the whole graph and are not computed",
            "sampled_optima": k_opt,
        },
    }
