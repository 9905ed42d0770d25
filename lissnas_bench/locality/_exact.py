"""Exact mode: every tabulated architecture, all pairs at each distance, the whole neighbour graph."""

from __future__ import annotations

import math

import numpy as np

from . import measures as M
from ._landscape import Run
from ._stages import fdc, ged_curves


def run_exact(run: Run, sum_method: str) -> dict:
    """Every measure over the whole landscape; ``sum_method`` is ``subset-sort`` or ``pairwise``."""
    graph = run.land.graph()
    pi, pj = graph.undirected_pairs()
    run.lap("neighbour_graph")
    out: dict = {"neighbour_pairs": int(len(pi)), "isolated": int(np.sum(graph.degree == 0))}
    if out["isolated"]:
        run.note(
            f"{out['isolated']:,} architectures have no neighbour with a value; they take no part in walks "
            "and are not counted as local optima"
        )
    hamming = run.st.distance == "hamming"
    fd = fdc(run, bootstrap=not hamming)
    run.lap("fdc")
    live = out["isolated"] < run.land.n
    if hamming:
        out.update(_hamming_curves(run, sum_method, fd, len(pi)))
    else:
        Wg = max(2, math.ceil(run.st.samples / run.K))
        walk_pos = M.walks_on_graph(graph, Wg, run.K, run.rng.ged) if live else np.zeros((0, run.K + 1), np.int64)
        out.update(ged_curves(run, walk_pos))
        run.lap("ged_pairs")
    out.update(_rwa(run, graph, live))
    run.lap("rwa")
    out.update(_permutation_test(run, pi, pj))
    run.lap("permutation_test")
    out["enrichment"] = M.enrichment_exact(run.g, graph, run.st.top_fractions)
    lo = M.local_optima(run.g, graph)
    out.update(_local_optima_fields(run, lo))
    run.lap("enrichment_local_optima")
    out.update(fd.fields)
    opt = lo["optima"]
    out["plot_data"] = {"local_optima_values": run.f[opt], "basin_sizes": lo["basin_sizes"], "f_all": run.f, **fd.plot}
    return out


# ---------------------------------------------------------------------------------------------- distance curves
def _hamming_curves(run: Run, sum_method: str, fd, neighbour_pairs: int) -> dict:
    """Exact pair sums at every Hamming distance, their cluster bootstrap (which also gives the FDC's interval),
    and the sampled |Δf| distributions."""
    L, st, f = run.land, run.st, run.f
    Ks = min(run.K, L.positions)
    ps = (M.hamming_sums if sum_method == "subset-sort" else M.pairwise_sums)(L.A, f, L.n_choices, Ks)
    curve = M.curve_from_sums(ps)
    run.lap("pair_sums")
    ci_abs, ci_corr, ci_rnd, fdc_ci = _exact_bootstrap(ps, fd.d, st.bootstrap, run.rng.bootstrap, st.confidence)
    fd.fields["fdc_ci"] = fdc_ci.tolist()
    run.lap("bootstrap")
    qd, q_rnd = _distributions(run, Ks)
    run.lap("distributions")
    if neighbour_pairs != int(round(curve.pairs[0])):
        run.note(
            f"the neighbour relation ({neighbour_pairs:,} radius-1 pairs) differs from Hamming distance 1 on the "
            f"canonical encoding ({int(curve.pairs[0]):,} pairs): walks, enrichment, local optima and the "
            "permutation test use neighbours, the distance curves use Hamming distance"
        )
    return {
        "pairs_by_distance": curve.pairs.tolist(),
        "mean_abs_diff_by_distance": curve.mean_abs.tolist(),
        "mean_abs_diff_ci": ci_abs.tolist(),
        "mean_sq_diff_by_distance": curve.mean_sq.tolist(),
        "abs_diff_quantiles_by_distance": qd,
        "random_pair_mean_abs_diff": curve.random_mean_abs,
        "random_pair_mean_abs_diff_ci": ci_rnd.tolist(),
        "random_pair_mean_sq_diff": curve.random_mean_sq,
        "random_pair_abs_diff_quantiles": q_rnd,
        "correlation_by_distance": curve.corr.tolist(),
        "correlation_ci": ci_corr.tolist(),
    }


def _distributions(run: Run, Ks: int) -> tuple[list, dict | None]:
    """|Δf| quantiles: one partner per distance for ``samples`` uniformly drawn sources, and random pairs."""
    L, f, rng, n = run.land, run.f, run.rng.pairs, run.land.n
    src = rng.choice(n, size=min(run.st.samples, n), replace=False)
    part = L.partners(src, Ks, rng)
    qd = []
    for d in range(Ks):
        ok = part[:, d] >= 0
        qd.append(M.quantiles(np.abs(f[src[ok]] - f[part[ok, d]])))
    ri, rj = M.random_distinct_pairs(n, run.st.samples, rng)
    return qd, M.quantiles(np.abs(f[ri] - f[rj]))


def _exact_bootstrap(ps: M.PairSums, fdc_d: np.ndarray | None, boot: int, rng, level: float):
    """Cluster bootstrap over architectures: resample the source architectures (with their sums over all partners)
    and recompute every ratio; all replicates at once by one matrix product per chunk.  Also gives the FDC's
    interval (rows resampled) from the same weights when ``fdc_d`` is given."""
    K1 = ps.cnt.shape[0]
    nan2 = np.full(2, np.nan)
    if boot <= 0:
        return np.full((K1 - 1, 2), np.nan), np.full((K1 - 1, 2), np.nan), nan2, nan2
    fc = ps.fc
    cols = [ps.cnt, ps.sabs, ps.cnt * fc, ps.cnt * fc * fc, ps.s1 * fc, np.stack([ps.cnt_all, ps.sabs_all])]
    if fdc_d is not None:
        dc = fdc_d - fdc_d.mean()
        cols.append(np.stack([fc, dc, fc * fc, dc * dc, fc * dc]))
    X = np.concatenate(cols, axis=0).T  # (n, columns)
    S = np.concatenate([w @ X for w in M.bootstrap_weights(len(fc), boot, rng)])
    C, Sabs, Sf, Sf2, Sx = (S[:, i * K1 : (i + 1) * K1] for i in range(5))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_abs = Sabs / C
        mu = Sf / C
        corr = (Sx / C - mu**2) / (Sf2 / C - mu**2)
        rnd = S[:, 5 * K1 + 1] / S[:, 5 * K1]
        fdc_ci = nan2
        if fdc_d is not None:
            n = len(fc)  # every replicate has n rows
            sx, sy, sxx, syy, sxy = (S[:, 5 * K1 + 2 + t] / n for t in range(5))
            fdc_ci = M.percentile_ci((sxy - sx * sy) / np.sqrt((sxx - sx**2) * (syy - sy**2)), level)
    return (
        M.percentile_ci(mean_abs[:, 1:], level),
        M.percentile_ci(corr[:, 1:], level),
        M.percentile_ci(rnd, level),
        fdc_ci,
    )


# ---------------------------------------------------------------------------------------------- graph measures
def _rwa(run: Run, graph: M.NeighbourGraph, live: bool) -> dict:
    """Random-walk autocorrelation: exact (transition-matrix powers) and estimated from ``walks`` walks."""
    K, st = run.K, run.st
    rwa = M.rwa_exact(run.f, graph, K)
    if live:
        Wpos = M.walks_on_graph(graph, st.walks, st.walk_length, run.rng.walks)
        rwa_w, rwa_ci = M.rwa_from_walks(run.f[Wpos], K, run.rng.walks, st.bootstrap, st.confidence)
    else:
        rwa_w, rwa_ci = np.full(K, np.nan), np.full((K, 2), np.nan)
    return {
        "rwa_by_lag": rwa.tolist(),
        "rwa_method": "exact (stationary simple random walk, powers of the transition matrix)",
        "rwa_by_lag_walks": rwa_w.tolist(),
        "rwa_walks_ci": rwa_ci.tolist(),
        "correlation_length": M.correlation_length(rwa[0]),
        "correlation_length_walks": M.correlation_length(rwa_w[0]),
    }


def _permutation_test(run: Run, pi: np.ndarray, pj: np.ndarray) -> dict:
    """The permutation test on (a random subset of) the neighbour pairs."""
    st, rng = run.st, run.rng.permutations
    if len(pi) < 2:
        run.note("no neighbour pairs: the permutation test is undefined")
        pt = {"p_value": math.nan, "pairs_used": 0}
        return {"p_value": pt["p_value"], "permutation_test": pt}
    sel = np.arange(len(pi))
    if len(pi) > st.permutation_pairs:
        sel = np.sort(rng.choice(len(pi), st.permutation_pairs, replace=False))
    what = "all" if len(sel) == len(pi) else f"{len(sel):,} uniformly drawn"
    pt = M.permutation_test(
        run.f, pi[sel], pj[sel], st.permutations, rng, f"mean |Δf| over {what} radius-1 neighbour pairs"
    )
    return {"p_value": pt["p_value"], "permutation_test": pt}


def _local_optima_fields(run: Run, lo: dict) -> dict:
    L, f = run.land, run.f
    opt = lo["optima"]
    largest_first = np.argsort(-lo["basin_sizes"], kind="stable")[:20]
    top, sizes = opt[largest_first], lo["basin_sizes"][largest_first]
    largest = [
        {"arch": a, "value": float(v), "basin_size": int(b)}
        for a, v, b in zip(L.space.to_strings(L.A[top]) if len(opt) else [], f[top], sizes)
    ]
    return {
        "local_optima": int(len(opt)),
        "local_optima_chance": lo["chance"],
        "local_optima_detail": {
            "estimated": False,
            "method": "exact: every architecture and all its neighbours",
            "isolated": lo["isolated"],
            "global_basin_fraction": lo["global_basin_fraction"],
            "largest_basins": largest,
            "value_quantiles": M.quantiles(f[opt]),
        },
    }
