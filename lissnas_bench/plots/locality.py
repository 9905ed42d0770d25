"""Figures of the locality analysis, drawn from a ``LocalityResult`` (never from the benchmark itself).

Each ``plot_*`` returns a matplotlib ``Figure`` at paper column width in the project style, laid out;
``make_figures`` saves them all in the ``FigureOptions``' formats (PNG by default).

>>> from lissnas_bench.locality import analyze_locality
>>> from lissnas_bench.plots.locality import plot_abs_diff
>>> fig = plot_abs_diff(analyze_locality("analognas", permutations=9, bootstrap=20))   # doctest: +SKIP
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ._layout import bottom_legend, fit_layout
from .style import (
    COLUMN_WIDTH,
    FigureOptions,
    current_options,
    figure_style,
    label_metric,
    new_figure,
    palette,
    save_figure,
)

#: file stem -> drawing function, in the order report.md shows them
FIGURES = ("abs_diff", "correlation", "rwa", "fdc", "enrichment", "local_optima")


def _nan(x):
    return np.nan if x is None else x


def _arr(xs) -> np.ndarray:
    return np.array([_nan(x) for x in xs], dtype=np.float64)


def _ci(rows, k) -> tuple[np.ndarray, np.ndarray]:
    ci = np.array([[_nan(a) for a in (r or [None, None])] for r in rows], dtype=np.float64).reshape(k, 2)
    return ci[:, 0], ci[:, 1]


def _ylabel(res) -> str:
    return label_metric(res.metric)


def _title(res) -> str:
    return f"{res.benchmark} · {res.dataset}" + ("" if res.mode == "exact" else " (sampled)")


def _dist_label(res) -> str:
    return "graph edit distance" if res.distance == "ged" else "Hamming distance d"


def _boxes(ax, res, colour) -> bool:
    """Boxes of the sampled |Δf| per distance (5-25-50-75-95 %); False when there are none."""
    stats = [{"med": q["q50"], "q1": q["q25"], "q3": q["q75"], "whislo": q["q05"], "whishi": q["q95"],
              "fliers": [], "label": str(k)} for k, q in zip(res.distances, res.abs_diff_quantiles_by_distance) if q]
    if stats:
        ax.bxp(stats, positions=[k for k, q in zip(res.distances, res.abs_diff_quantiles_by_distance) if q],
               widths=0.5, showfliers=False, patch_artist=True,
               boxprops={"facecolor": (*colour, 0.15), "edgecolor": colour, "linewidth": 0.5},
               medianprops={"color": colour, "linewidth": 0.6}, whiskerprops={"color": colour, "linewidth": 0.5},
               capprops={"color": colour, "linewidth": 0.5})
    return bool(stats)


def _random_pairs(ax, res) -> tuple[list, list]:
    """The random-pair baseline: mean (dashed) inside its interval (dark band), and its 25-75 % (light band);
    every band has a legend entry."""
    r = _nan(res.random_pair_mean_abs_diff)
    rlo, rhi = (_nan(x) for x in (res.random_pair_mean_abs_diff_ci or [None, None]))
    line = ax.axhline(r, color="0.35", linestyle="--", linewidth=0.8)
    handles = [line]
    if np.isfinite(rlo) and np.isfinite(rhi):
        handles = [(ax.axhspan(rlo, rhi, color="0.5", alpha=0.3, linewidth=0), line)]
    labels = ["random pairs: mean |Δf| (95 % CI)"]
    q = res.random_pair_abs_diff_quantiles
    if q:
        handles.append(ax.axhspan(q["q25"], q["q75"], color="0.5", alpha=0.1, linewidth=0))
        labels.append("random pairs: 25–75 % of |Δf|")
    return handles, labels


def plot_abs_diff(res):
    """Mean |Δf| against distance (bootstrap interval), boxes of the sampled |Δf| distribution (5-25-50-75-95 %),
    and the random-pair baseline: its mean (dashed, with its interval) and its interquartile range (band)."""
    from matplotlib.patches import Patch

    pal = palette()
    d = np.array(res.distances)
    mean = _arr(res.mean_abs_diff_by_distance)
    lo, hi = _ci(res.mean_abs_diff_ci, len(d))
    with figure_style():
        fig, ax = new_figure()
        boxes = _boxes(ax, res, pal[0])
        yerr = np.vstack([mean - lo, hi - mean])
        yerr = np.where(np.isfinite(yerr), np.maximum(yerr, 0), 0)
        handles = [ax.errorbar(d, mean, yerr=yerr, color=pal[3], marker="o", capsize=2, zorder=3)]
        labels = ["mean |Δf| at distance d (95 % CI)"]
        if boxes:
            handles.append(Patch(facecolor=(*pal[0], 0.15), edgecolor=pal[0], linewidth=0.5))
            labels.append("pairs at distance d (5–25–50–75–95 %)")
        h, lab = _random_pairs(ax, res)
        ax.set_xticks(d)
        ax.set_xlabel(_dist_label(res))
        ax.set_ylabel(f"|Δ {_ylabel(res)}|")
        ax.set_title(_title(res))
        ax.set_ylim(bottom=0)
        fit_layout(fig, bottom=bottom_legend(fig, handles + h, labels + lab, max_cols=2))
    return fig


def plot_correlation(res):
    """Correlation of f between architectures at distance d (the NAS-Bench-101 paper's locality curve)."""
    pal = palette()
    d = np.array(res.distances)
    c = _arr(res.correlation_by_distance)
    lo, hi = _ci(res.correlation_ci, len(d))
    with figure_style():
        fig, ax = new_figure()
        ax.plot(d, c, marker="o", color=pal[0], label="corr(f(x), f(y)), d(x, y) = d")
        if np.isfinite(lo).any():
            ax.fill_between(d, lo, hi, color=pal[0], alpha=0.2, linewidth=0)
        ax.axhline(0, color="0.35", linestyle="--", linewidth=0.8, label="random pairs")
        ax.set_xticks(d)
        ax.set_xlabel(_dist_label(res))
        ax.set_ylabel("correlation")
        ax.set_title(_title(res))
        ax.legend(loc="upper right")
        fit_layout(fig)
    return fig


def plot_rwa(res):
    """Random-walk autocorrelation against lag: exact (or walk) curve, the walk estimate with its pointwise
    bootstrap interval, and the correlation length ℓ = −1/ln|ρ(1)| (in the legend: ρ is not exponential in h,
    so no exp(−h/ℓ) curve is drawn)."""
    pal = palette()
    h = np.arange(1, len(res.rwa_by_lag) + 1)
    rwa = _arr(res.rwa_by_lag)
    walk = _arr(res.rwa_by_lag_walks)
    lo, hi = _ci(res.rwa_walks_ci, len(h))
    with figure_style():
        fig, ax = new_figure()
        exact = res.rwa_method.startswith("exact")
        ell = res.correlation_length
        ell_text = f"correlation length ℓ = {ell:.2f}" if ell is not None and np.isfinite(ell) else None
        if exact:
            ax.plot(h, rwa, color=pal[0], marker="o", label="exact" + (f" ({ell_text})" if ell_text else ""))
        yerr = np.vstack([walk - lo, hi - walk])
        yerr = np.where(np.isfinite(yerr), np.maximum(yerr, 0), 0)
        ax.errorbar(
            h + (0.08 if exact else 0),
            walk,
            yerr=yerr,
            color=pal[1],
            marker="s",
            linestyle="none" if exact else "-",
            capsize=2,
            label=f"{res.settings.walks if exact else res.settings.samples} walks (pointwise 95 % bootstrap CI)"
            + ("" if exact or not ell_text else f", {ell_text}"),
        )
        ax.axhline(0, color="0.6", linewidth=0.5)
        ax.set_xticks(h)
        ax.set_xlabel("lag h (random-walk steps)")
        ax.set_ylabel("autocorrelation ρ(h)")
        ax.set_title(_title(res))
        fit_layout(fig, bottom=bottom_legend(fig, *ax.get_legend_handles_labels(), max_cols=1))
    return fig


def plot_fdc(res):
    """f against the distance to the global optimum (jittered sample of architectures) with the mean per distance."""
    pal = palette()
    pdata = res.plot_data
    d, f = np.asarray(pdata.get("fdc_d", [])), np.asarray(pdata.get("fdc_f", []))
    rng = np.random.default_rng(0)  # jitter only: fixed so the figure is reproducible
    with figure_style():
        fig, ax = new_figure()
        if len(d):
            ax.scatter(
                d + rng.uniform(-0.25, 0.25, len(d)),
                f,
                s=1.5,
                alpha=0.25,
                color=pal[0],
                linewidths=0,
                rasterized=True,
                label="architectures",
            )
        means = pdata.get("fdc_mean_by_distance", {})
        if means:
            k = sorted(means)
            ax.plot(k, [means[x] for x in k], color=pal[3], marker="o", label="mean per distance")
        fdc = res.fdc if res.fdc is not None else math.nan
        ax.set_xlabel(
            ("graph edit distance" if res.distance == "ged" else "Hamming distance") + " to the global optimum"
        )
        ax.set_ylabel(_ylabel(res))
        ax.set_title(f"{_title(res)} · FDC = {fdc:.3f}")
        leg = ax.legend(loc="lower left")
        for h in getattr(leg, "legend_handles", []):
            if hasattr(h, "set_sizes"):
                h.set_sizes([8.0])
                h.set_alpha(0.8)
        fit_layout(fig)
    return fig


def plot_enrichment(res):
    """P(neighbour in top q | architecture in top q) divided by its value for randomly permuted f, over q."""
    pal = palette()
    rows = [r for r in res.enrichment if r.get("ratio") is not None and np.isfinite(_nan(r["ratio"]))]
    with figure_style():
        fig, ax = new_figure()
        if rows:
            q = np.array([r["q"] for r in rows])
            ax.plot(q, [r["ratio"] for r in rows], marker="o", color=pal[2], label="observed / chance")
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.axhline(1, color="0.35", linestyle="--", linewidth=0.8, label="chance")
        ax.set_xlabel("top fraction q")
        ax.set_ylabel("P(neighbour in top q | top q) / chance")
        ax.set_title(_title(res))
        ax.legend(loc="upper right")
        fit_layout(fig)
    return fig


def plot_local_optima(res):
    """Histogram of f over the local optima against all architectures, and (exact mode) basin size against f."""
    pal = palette()
    pdata = res.plot_data
    vals = np.asarray(pdata.get("local_optima_values", []), np.float64)
    f_all = np.asarray(pdata.get("f_all", []), np.float64)
    basins = pdata.get("basin_sizes")
    two = basins is not None and len(vals) > 0
    with figure_style():
        fig, axes = new_figure(nrows=2 if two else 1, height=3.6 if two else None)
        ax = axes[0] if two else axes
        if len(f_all):
            bins = np.histogram_bin_edges(f_all, bins=40)
            ax.hist(f_all, bins=bins, color="0.6", alpha=0.5, density=True, label="all architectures")
            if len(vals):
                ax.hist(
                    vals,
                    bins=bins,
                    color=pal[3],
                    alpha=0.8,
                    density=True,
                    histtype="stepfilled",
                    label="local optima" + (" (sampled)" if basins is None else ""),
                )
        count = res.local_optima
        shown = f"{int(count)}" if float(count).is_integer() else f"≈{count:.0f}"
        ax.set_title(f"{_title(res)} · {shown} local optima (chance ≈ {res.local_optima_chance:.0f})")
        ax.set_xlabel(_ylabel(res))
        ax.set_ylabel("density")
        ax.legend(loc="upper left")
        if two:
            b = np.asarray(basins)
            axes[1].scatter(vals, b, s=4, color=pal[3], alpha=0.7, linewidths=0)
            axes[1].set_yscale("log")
            axes[1].set_xlabel(f"{_ylabel(res)} of the local optimum")
            axes[1].set_ylabel("basin size")
        fit_layout(fig)
    return fig


_PLOTS = {
    "abs_diff": plot_abs_diff,
    "correlation": plot_correlation,
    "rwa": plot_rwa,
    "fdc": plot_fdc,
    "enrichment": plot_enrichment,
    "local_optima": plot_local_optima,
}


def make_figures(res, out_dir: str | Path, options: FigureOptions | None = None) -> dict[str, list[Path]]:
    """Draw and save every locality figure of ``res`` into ``out_dir`` in the options' formats (atomic writes;
    default: the current options, PNG only)."""
    o = options or current_options()
    out = {}
    with figure_style(o):
        for name in FIGURES:
            out[name] = save_figure(_PLOTS[name](res), Path(out_dir) / name, o)
    return out


def plot_compare(results, labels=None):
    """Several analyses side by side: |Δf| relative to random pairs, correlation by distance, random-walk
    autocorrelation and neighbour enrichment (full text width, one colour per analysis)."""
    pal = palette()
    labels = labels or [r.label for r in results]
    with figure_style():
        fig, axes = new_figure(ncols=2, nrows=2, full=True, height=4.2)
        (a1, a2), (a3, a4) = axes
        for k, (r, lab) in enumerate(zip(results, labels)):
            c = pal[k % len(pal)]
            d = np.array(r.distances)
            rnd = _nan(r.random_pair_mean_abs_diff)
            m = _arr(r.mean_abs_diff_by_distance) / rnd
            lo, hi = _ci(r.mean_abs_diff_ci, len(d))
            a1.plot(d, m, marker="o", color=c, label=lab)
            if np.isfinite(lo).any():
                a1.fill_between(d, lo / rnd, hi / rnd, color=c, alpha=0.15, linewidth=0)
            a2.plot(d, _arr(r.correlation_by_distance), marker="o", color=c, label=lab)
            h = np.arange(1, len(r.rwa_by_lag) + 1)
            a3.plot(h, _arr(r.rwa_by_lag), marker="o", color=c, label=lab)
            rows = [e for e in r.enrichment if e.get("ratio") is not None]
            if rows:
                a4.plot([e["q"] for e in rows], [e["ratio"] for e in rows], marker="o", color=c, label=lab)
        a1.axhline(1, color="0.35", linestyle="--", linewidth=0.8)
        a1.set_xlabel("distance d")
        a1.set_ylabel("mean |Δf| / random pairs")
        a1.set_ylim(bottom=0)
        a2.axhline(0, color="0.35", linestyle="--", linewidth=0.8)
        a2.set_xlabel("distance d")
        a2.set_ylabel("correlation at distance d")
        a3.axhline(0, color="0.6", linewidth=0.5)
        a3.set_xlabel("lag h")
        a3.set_ylabel("random-walk autocorrelation")
        a4.axhline(1, color="0.35", linestyle="--", linewidth=0.8)
        a4.set_xscale("log")
        a4.set_yscale("log")
        a4.set_xlabel("top fraction q")
        a4.set_ylabel("neighbour enrichment")
        fit_layout(fig, bottom=bottom_legend(fig, *a1.get_legend_handles_labels()))
    return fig


__all__ = [
    "FIGURES",
    "COLUMN_WIDTH",
    "make_figures",
    "plot_abs_diff",
    "plot_compare",
    "plot_correlation",
    "plot_enrichment",
    "plot_fdc",
    "plot_local_optima",
    "plot_rwa",
]
