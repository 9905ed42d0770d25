"""Per-method summaries of a comparison: the distribution of f over S′, the diversity of S′, and Kendall τ.

Methods are rows (names read horizontally, never rotated), the reference method first; intervals are 95 %
percentile-bootstrap intervals of the mean over seeds, which stay inside the metric's range by construction.

>>> import pandas as pd
>>> from lissnas_bench.plots._summary import mean_ci
>>> mean_ci([0.9, 1.0, 1.0, 1.0])[2] <= 1.0
True
"""

from __future__ import annotations

import math

import numpy as np

from ._layout import bottom_legend, fit_layout, log_axis
from .style import FULL_SPACE, label_metric, method_color, new_figure, order_methods

#: the diversity columns of ``evaluate``, their panel titles, and their range (None: unbounded, log axis)
DIVERSITY = (("coverage", "coverage", (0.0, 1.0)), ("entropy", "entropy (norm.)", (0.0, 1.0)),
             ("pairwise_distance", "pairwise distance (norm.)", (0.0, 1.0)), ("pockets", "pockets", None))
_ROW = 0.17  # inches per method row at the 7 pt default


def methods_of(df) -> list[str]:
    return order_methods(df["method"].unique().tolist()) if len(df) else []


def mean_ci(values, level: float = 0.95, n_boot: int = 1000) -> tuple[float, float, float]:
    """``(mean, lo, hi)``: the mean over seeds and its percentile-bootstrap interval (fixed resampling seed, so
    figures are reproducible).  A mean of values in [a, b] and its interval never leave [a, b]."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if not len(v):
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if len(v) == 1 or np.ptp(v) == 0:
        return m, m, m
    rng = np.random.default_rng(0)
    means = v[rng.integers(0, len(v), size=(n_boot, len(v)))].mean(axis=1)
    a = (1 - level) / 2
    return m, float(np.quantile(means, a)), float(np.quantile(means, 1 - a))


def _thin(values: np.ndarray, n: int = 2000) -> np.ndarray:
    """At most ``n`` evenly spaced quantiles of ``values``: the same distribution for a KDE, deterministic, and
    the violins of 26k-architecture spaces draw in milliseconds."""
    values = values[np.isfinite(values)]
    if len(values) <= n:
        return values
    return np.quantile(values, np.linspace(0.0, 1.0, n))


def _method_rows(ax, names, labels=None):
    y = np.arange(len(names))[::-1]  # first name on top
    ax.set_yticks(y, labels or names)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    return y


def plot_distribution(dist, *, metric: str = "f", title: str | None = None, clip: float = 0.05):
    """f over the full space S (hollow) and over each method's S′ (all seeds pooled): one violin per row.

    The f axis starts at the ``clip`` quantile of S so the interesting upper part stays readable (NB201 has a
    long tail of untrainable cells at 10 %); the axis label says so, and the violins use all values."""
    methods = [FULL_SPACE] + [m for m in methods_of(dist) if m != FULL_SPACE]
    by = {m: g.to_numpy(np.float64) for m, g in dist.groupby("method", sort=False)["value"]} if len(dist) else {}
    data = [_thin(by.get(m, np.empty(0))) for m in methods]
    keep = [i for i, d in enumerate(data) if d.size]
    methods, data = [methods[i] for i in keep], [data[i] for i in keep]
    fig, ax = new_figure(height=0.55 + _ROW * 1.5 * max(len(methods), 1))
    if not data:
        return fit_layout(fig)
    y = _method_rows(ax, methods, ["full space S" if m == FULL_SPACE else m for m in methods])
    parts = ax.violinplot(data, positions=y, orientation="horizontal", showextrema=False, widths=0.8)
    for body, m in zip(parts["bodies"], methods):
        full = m == FULL_SPACE  # the reference distribution: hollow, so it never reads as the grey of random
        body.set_facecolor("white" if full else method_color(m))
        body.set_edgecolor(method_color(FULL_SPACE) if full else "black")
        body.set_linewidth(0.8 if full else 0.4)
        body.set_alpha(1.0 if full else 0.75)
    q1, med, q3 = np.array([np.percentile(d, [25, 50, 75]) for d in data]).T  # one artist each, not one per row
    ax.hlines(y, q1, q3, color="black", linewidth=1.6)
    ax.scatter(med, y, color="white", s=6, zorder=3, edgecolors="black", linewidths=0.3)
    hi = max(float(np.max(d)) for d in data)
    lo = min(float(np.min(d)) for d in data)
    label = label_metric(metric)
    if methods[0] == FULL_SPACE and clip > 0 and float(np.quantile(data[0], clip)) > lo:
        lo = float(np.quantile(data[0], clip))
        label += f"\n(axis cut at S's {100 * clip:g}th percentile, {lo:.4g})"
    ax.set_xlim(lo - 0.02 * (hi - lo), hi + 0.04 * (hi - lo))
    ax.set_xlabel(label)
    if title:
        ax.set_title(title)
    return fit_layout(fig)


def _cis(res, col, methods) -> np.ndarray:
    """``(methods, 3)``: mean, lo, hi of ``col`` over seeds per method."""
    by = {m: g.to_numpy(np.float64) for m, g in res.groupby("method", sort=False)[col]}
    return np.array([mean_ci(by.get(m, [])) for m in methods]).reshape(len(methods), 3)


def _dots(ax, res, col, methods, y):
    """Dot (mean) and line (interval) per method row: one artist of each for all rows (every method has its
    own row, so nothing overlaps and the drawing order does not matter)."""
    ci = _cis(res, col, methods)
    colours = [method_color(m) for m in methods]
    ok = np.isfinite(ci[:, 0])
    ax.hlines(y[ok], ci[ok, 1], ci[ok, 2], colors=[c for c, k in zip(colours, ok) if k], linewidth=1.2, zorder=3)
    ax.scatter(ci[ok, 0], y[ok], s=14, c=[c for c, k in zip(colours, ok) if k], edgecolors="black",
               linewidths=0.4, zorder=4)


def plot_diversity(res, *, title: str | None = None):
    """Coverage, entropy, pairwise distance and pocket count of S′: the mean over seeds (dot) and its 95 %
    bootstrap interval (line), a row per method, a panel per measure (2 × 2)."""
    cols = [c for c in DIVERSITY if c[0] in res.columns and res[c[0]].notna().any()]
    methods = methods_of(res)
    ncols = min(2, max(len(cols), 1))
    nrows = max(1, math.ceil(len(cols) / 2))
    fig, axes = new_figure(ncols, nrows, height=(0.55 + _ROW * len(methods)) * nrows + 0.15, squeeze=False,
                           sharey=True)
    axes = axes.ravel()
    for ax, (c, lab, bounds) in zip(axes, cols):
        y = _method_rows(ax, methods)
        _dots(ax, res, c, methods, y)
        if bounds is None:
            log_axis(ax, res[c].to_numpy(np.float64), pad=1.6)
        else:
            span = bounds[1] - bounds[0]
            ax.set_xlim(bounds[0] - 0.04 * span, bounds[1] + 0.04 * span)
            ax.set_xticks([bounds[0], (bounds[0] + bounds[1]) / 2, bounds[1]])
        ax.set_title(lab)
    for ax in axes[len(cols):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fit_layout(fig)


def plot_kendall(res, *, title: str | None = None, proxy: str | None = None):
    """Kendall τ-b between the proxy and f over each S′ (bars: mean over seeds, 95 % bootstrap interval) and
    over S (dashed line)."""
    methods = methods_of(res)
    fig, ax = new_figure(height=0.75 + _ROW * 1.3 * len(methods))
    y = _method_rows(ax, methods)
    ci = _cis(res, "kendall_tau_shrunk", methods)
    ok = np.isfinite(ci[:, 0])
    ax.barh(y[ok], ci[ok, 0], height=0.65, color=[method_color(m) for m, k in zip(methods, ok) if k], zorder=2)
    ax.errorbar(ci[ok, 0], y[ok], xerr=[ci[ok, 0] - ci[ok, 1], ci[ok, 2] - ci[ok, 0]], fmt="none", ecolor="black",
                elinewidth=0.6, capsize=1.5, zorder=3)
    ax.axvline(0, color="black", linewidth=0.5)
    handles, labels = [], []
    if "kendall_tau_full" in res.columns and res["kendall_tau_full"].notna().any():
        handles.append(ax.axvline(float(res["kendall_tau_full"].mean()), color="black", linestyle="--",
                                  linewidth=0.8, zorder=4))
        labels.append("over the full space S")
    ax.set_xlabel(f"Kendall τ-b over S′ ({proxy or 'proxy'} vs f)")
    ax.grid(axis="y", visible=False)
    if title:
        ax.set_title(title)
    return fit_layout(fig, bottom=bottom_legend(fig, handles, labels))
