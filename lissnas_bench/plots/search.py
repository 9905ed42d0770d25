"""Anytime figures of searches inside shrunk spaces: regret against *total* queries (the shrinker's included),
mean and 95 % t-interval over seeds, one line per shrinker, one panel per optimizer.

Takes the long ``curves.parquet`` table of a sweep (columns ``benchmark, dataset, metric, shrinker, optimizer,
seed, queries, regret``).

>>> import pandas as pd
>>> from lissnas_bench.plots.search import plot_search_regret
>>> curves = pd.DataFrame({"benchmark": "b", "dataset": "d", "metric": "f", "shrinker": ["full"] * 4,
...                        "optimizer": "rs", "seed": [0, 0, 1, 1], "queries": [1, 2, 1, 2],
...                        "regret": [3.0, 1.0, 2.0, 2.0]})
>>> fig = plot_search_regret(curves)
>>> len(fig.axes)
1
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from ._layout import bottom_legend, fit_layout, right_legend
from .style import (
    FULL_SPACE,
    REFERENCE,
    FigureOptions,
    current_options,
    figure_style,
    method_color,
    new_figure,
    order_methods,
    save_figure,
)

#: the sweep's "search the full space" pseudo-shrinker
FULL = "full"
_DASHES = ("-", "--", ":", "-.")


def _base(label: str) -> str:
    """``lissnas(k=5)`` -> ``lissnas``: colours follow the method, line styles tell its variants apart."""
    return str(label).split("(")[0]


def regret_bands(curves, value: str = "regret"):
    """Mean, 95 % t-interval and seed count of ``value`` per (shrinker, optimizer, queries)."""
    from scipy import stats

    g = curves.groupby(["shrinker", "optimizer", "queries"], sort=False)[value]
    agg = g.agg(["mean", "std", "count"]).reset_index()
    n = agg["count"].to_numpy()
    t = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
    half = t * agg["std"].to_numpy() / np.sqrt(np.maximum(n, 1))
    agg["lo"], agg["hi"] = agg["mean"] - half, agg["mean"] + half
    return agg.sort_values(["shrinker", "optimizer", "queries"], kind="stable")


def _styles(shrinkers: list[str]) -> dict[str, tuple]:
    out, seen = {}, {}
    for s in shrinkers:
        base = _base(s)
        i = seen.get(base, 0)
        seen[base] = i + 1
        colour = method_color(FULL_SPACE if base == FULL else base)
        out[s] = (colour, "--" if base == FULL and i == 0 else _DASHES[i % len(_DASHES)])
    return out


def _order(shrinkers, reference: str) -> list[str]:
    """``full`` first, then the shrinkers in canonical order, the reference's variants last (drawn on top)."""
    shrinkers = order_methods(shrinkers)
    full = [s for s in shrinkers if _base(s) == FULL]
    ref = [s for s in shrinkers if _base(s) == reference]
    return full + [s for s in shrinkers if s not in full and s not in ref] + ref


def _draw_panel(ax, bands, opt, shrinkers, styles, reference):
    for z, s in enumerate(shrinkers):
        b = bands[(bands["optimizer"] == opt) & (bands["shrinker"] == s)]
        if b.empty:
            continue
        colour, ls = styles[s]
        ref = _base(s) == reference
        ax.plot(b["queries"], b["mean"], color=colour, ls=ls, label=s, lw=1.4 if ref else 1.0, zorder=3 + z)
        if b["count"].max() > 1:
            ax.fill_between(b["queries"], b["lo"].clip(lower=0), b["hi"], color=colour, alpha=0.15, lw=0,
                            zorder=2)


def plot_search_regret(curves, *, title: str | None = None, x: str = "queries", shrink_budget: int | None = None,
                       reference: str = REFERENCE):
    """One panel per optimizer; regret (global max − best found) against total queries; mean ± 95 % CI.  The
    reference shrinker's line is drawn last and thicker."""
    bands = regret_bands(curves)
    optimizers = list(dict.fromkeys(curves["optimizer"]))
    shrinkers = _order(list(dict.fromkeys(curves["shrinker"])), reference)
    styles = _styles(shrinkers)
    ncols = max(1, len(optimizers))
    with figure_style():
        fig, axes = new_figure(ncols, full=ncols > 1, height=2.2, sharey=True, squeeze=False)
        axes = axes[0]
        for ax, opt in zip(axes, optimizers):
            _draw_panel(ax, bands, opt, shrinkers, styles, reference)
            if shrink_budget:  # the shrinkers' budget: shrink phases end at or before this line
                ax.axvline(shrink_budget, color="black", lw=0.5, ls=":")
            if ncols > 1:  # a single optimizer is named in the suptitle instead
                ax.set_title(f"{opt}")
            ax.set_xlabel("total queries (shrink + search)")
        # the first queries' regret (NB201 has untrainable cells at 10 %) would flatten everything else: the y-axis
        # starts at (just below) 0 and ends a little above the worst mean regret after a tenth of the queries
        late = bands[bands["queries"] >= 0.1 * bands["queries"].max()]
        top = float(np.nanmax(late["hi"].fillna(late["mean"]))) if len(late) else math.nan
        if math.isfinite(top) and top > 0:  # a little below 0, so that a curve at regret 0 is not half hidden
            axes[0].set_ylim(-0.025 * top, 1.15 * top)
        else:
            axes[0].set_ylim(bottom=0)
        axes[0].set_ylabel("regret")
        handles, labels = axes[0].get_legend_handles_labels()
        keep = order_methods(labels)  # legend in canonical order whatever the drawing order
        keep = [k for k in labels if _base(k) == FULL] + [k for k in keep if _base(k) != FULL]
        handles = [handles[labels.index(k)] for k in keep]
        named = ([title] if title else []) + ([] if ncols > 1 else [str(o) for o in optimizers[:1]])
        fig.suptitle(" · ".join(named + ["mean and 95 % CI over seeds"]))
        if ncols > 1:
            fit_layout(fig, right=right_legend(fig, handles, keep))
        else:
            fit_layout(fig, bottom=bottom_legend(fig, handles, keep))
    return fig


def save_search_figures(curves, folder, *, shrink_budget: int | None = None, options: FigureOptions | None = None,
                        reference: str = REFERENCE) -> dict[str, list[str]]:
    """One figure per (benchmark, dataset, metric) into ``folder/search_regret__<benchmark>-<dataset>.<format>``
    for each of the options' formats (PNG by default)."""
    folder = Path(folder)
    o = options or current_options()
    out = {}
    with figure_style(o):
        for (bench, ds, metric), g in curves.groupby(["benchmark", "dataset", "metric"], sort=False):
            n = int(g["seed"].nunique())
            fig = plot_search_regret(g, title=f"{bench} / {ds} ({metric}), {n} seed{'s' if n != 1 else ''}",
                                     shrink_budget=shrink_budget, reference=reference)
            stem = folder / ("search_regret__" + re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{bench}-{ds}-{metric}"))
            out[f"{bench}/{ds}/{metric}"] = [str(p) for p in save_figure(fig, stem, o)]
    return out
