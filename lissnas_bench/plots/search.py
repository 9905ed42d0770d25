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

from .style import (COLUMN_WIDTH, FULL_SPACE, FULL_WIDTH, figure_style, method_color, new_figure, order_methods,
                    save_figure)

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


def plot_search_regret(curves, *, title: str | None = None, x: str = "queries", shrink_budget: int | None = None):
    """One panel per optimizer; regret (global max − best found) against total queries; mean ± 95 % CI."""
    bands = regret_bands(curves)
    optimizers = list(dict.fromkeys(curves["optimizer"]))
    shrinkers = order_methods(list(dict.fromkeys(curves["shrinker"])))
    full = [s for s in shrinkers if _base(s) == FULL]
    shrinkers = full + [s for s in shrinkers if _base(s) != FULL]
    styles = _styles(shrinkers)
    ncols = max(1, len(optimizers))
    width = COLUMN_WIDTH if ncols == 1 else FULL_WIDTH
    with figure_style():
        fig, axes = new_figure(ncols, width=width, height=2.2, sharey=True, squeeze=False)
        axes = axes[0]
        for ax, opt in zip(axes, optimizers):
            for s in shrinkers:
                b = bands[(bands["optimizer"] == opt) & (bands["shrinker"] == s)]
                if b.empty:
                    continue
                colour, ls = styles[s]
                ax.plot(b["queries"], b["mean"], color=colour, ls=ls, label=s)
                if b["count"].max() > 1:
                    ax.fill_between(b["queries"], b["lo"].clip(lower=0), b["hi"], color=colour, alpha=0.15, lw=0)
            if shrink_budget:  # the shrinkers' budget: shrink phases end at or before this line
                ax.axvline(shrink_budget, color="black", lw=0.5, ls=":")
            ax.set_title(f"{opt}")
            ax.set_xlabel("total queries (shrink + search)")
        # the first queries' regret (NB201 has untrainable cells at 10 %) would flatten everything else: the y-axis
        # starts at 0 and ends a little above the worst mean regret after a tenth of the queries
        late = bands[bands["queries"] >= 0.1 * bands["queries"].max()]
        top = float(np.nanmax(late["hi"].fillna(late["mean"]))) if len(late) else math.nan
        if math.isfinite(top) and top > 0:
            axes[0].set_ylim(0, 1.15 * top)
        else:
            axes[0].set_ylim(bottom=0)
        axes[0].set_ylabel("regret (mean, 95 % CI)")
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="outside right upper" if ncols > 1 else "outside lower center",
                       ncols=1 if ncols > 1 else min(3, len(labels)))
        if title:
            fig.suptitle(title)
    return fig


def save_search_figures(curves, folder, *, shrink_budget: int | None = None) -> dict[str, list[str]]:
    """One figure per (benchmark, dataset, metric) into ``folder/search_regret__<benchmark>-<dataset>.png/svg``."""
    folder = Path(folder)
    out = {}
    for (bench, ds, metric), g in curves.groupby(["benchmark", "dataset", "metric"], sort=False):
        n = int(g["seed"].nunique())
        fig = plot_search_regret(g, title=f"{bench} / {ds} ({metric}), {n} seed{'s' if n != 1 else ''}",
                                 shrink_budget=shrink_budget)
        stem = folder / ("search_regret__" + re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{bench}-{ds}-{metric}"))
        out[f"{bench}/{ds}/{metric}"] = [str(p) for p in save_figure(fig, stem)]
    return out
