"""Anytime figures of searches inside shrunk spaces: regret against *total* queries (the shrinker's included) or
against simulated training seconds, mean and 95 % t-interval over seeds, one line per shrinker, one panel per
optimizer.  A run that used its whole domain up before its budget (``stop == "exhausted"``) is marked: its line
ends with a cross and the legend says in how many seeds it happened, since such a curve is flat for a reason
that is not the optimizer's.

Takes the long ``curves.parquet`` table of a sweep or of the ``search`` command (columns ``benchmark, dataset,
metric, shrinker, optimizer, seed, queries, regret``; ``sim_seconds`` or ``seconds`` for the time axis; ``stop``
when known), or a sweep's ``curves_time.parquet`` (already on a grid of ``seconds``).

>>> import pandas as pd
>>> from lissnas_bench.plots.search import plot_search_regret
>>> curves = pd.DataFrame({"benchmark": "b", "dataset": "d", "metric": "f", "shrinker": ["full"] * 4,
...                        "optimizer": "rs", "seed": [0, 0, 1, 1], "queries": [1, 2, 1, 2],
...                        "regret": [3.0, 1.0, 2.0, 2.0], "sim_seconds": [10.0, 30.0, 5.0, 40.0]})
>>> len(plot_search_regret(curves).axes), len(plot_search_regret(curves, x="seconds").axes)
(1, 1)
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
_RUN = ["shrinker", "optimizer", "seed"]
#: points of the common time grid a curve without one is resampled onto
TIME_POINTS = 200


def _base(label: str) -> str:
    """``lissnas(k=5)`` -> ``lissnas``: colours follow the method, line styles tell its variants apart."""
    return str(label).split("(")[0]


def regret_bands(curves, value: str = "regret", x: str = "queries"):
    """Mean, 95 % t-interval and seed count of ``value`` per (shrinker, optimizer, ``x``)."""
    from scipy import stats

    g = curves.groupby(["shrinker", "optimizer", x], sort=False)[value]
    agg = g.agg(["mean", "std", "count"]).reset_index()
    n = agg["count"].to_numpy()
    t = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
    half = t * agg["std"].to_numpy() / np.sqrt(np.maximum(n, 1))
    agg["lo"], agg["hi"] = agg["mean"] - half, agg["mean"] + half
    return agg.sort_values(["shrinker", "optimizer", x], kind="stable")


def on_time_grid(curves, time_budget: float | None = None, points: int = TIME_POINTS):
    """Curves with a ``seconds`` column on one grid: a sweep's ``curves_time`` as it is; full-resolution curves
    (``sim_seconds`` per query) resampled, each run's regret at time t being that of its last query finished by t
    (NaN before its first).  The grid ends at ``time_budget``, else at the longest run."""
    import pandas as pd

    if "seconds" in curves.columns:
        return curves
    c = curves[np.isfinite(curves["sim_seconds"].to_numpy(dtype=np.float64))]
    if c.empty:
        return c.assign(seconds=pd.Series(dtype=float))
    end = float(time_budget) if time_budget else float(c["sim_seconds"].max())
    grid = np.linspace(0.0, end, points + 1)[1:]
    parts = []
    for key, g in c.groupby(_RUN, sort=False):
        g = g.sort_values("sim_seconds", kind="stable")
        i = np.searchsorted(g["sim_seconds"].to_numpy(), grid, side="right") - 1
        r = g["regret"].to_numpy(dtype=np.float64)
        part = pd.DataFrame({"seconds": grid, "regret": np.where(i >= 0, r[np.maximum(i, 0)], np.nan)})
        for k, v in zip(_RUN, key):
            part[k] = v
        if "stop" in g.columns:
            part["stop"] = g["stop"].iloc[-1]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


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


def _exhausted_ends(curves, x: str) -> dict[tuple[str, str], tuple[int, int, float]]:
    """Per (shrinker, optimizer) with exhausted runs: (exhausted seeds, seeds, mean ``x`` of those runs' last
    point: their last query in a full-resolution curve, the end of the grid in a sweep's)."""
    if "stop" not in curves.columns:
        return {}
    out = {}
    for (s, o), g in curves.groupby(["shrinker", "optimizer"], sort=False):
        runs = g[np.isfinite(g["regret"].to_numpy(dtype=np.float64))].groupby("seed", sort=False)
        last = runs.agg(stop=("stop", "last"), end=(x, "max"))
        done = last[last["stop"] == "exhausted"]
        if len(done):
            out[(s, o)] = (len(done), int(g["seed"].nunique()), float(done["end"].mean()))
    return out


def plot_search_regret(curves, *, title: str | None = None, x: str = "queries", shrink_budget: int | None = None,
                       time_budget: float | None = None, reference: str = REFERENCE):
    """One panel per optimizer; regret (global max − best found) against total queries (``x="queries"``) or
    simulated seconds (``x="seconds"``); mean ± 95 % CI; exhausted runs marked (module docstring).  The reference
    shrinker's line is drawn last and thicker."""
    if x == "seconds":
        curves = on_time_grid(curves, time_budget)
    elif x != "queries":
        raise ValueError(f"x must be 'queries' or 'seconds', got {x!r}")
    bands = regret_bands(curves, x=x)
    ends = _exhausted_ends(curves, x)
    optimizers = list(dict.fromkeys(curves["optimizer"]))
    shrinkers = _order(list(dict.fromkeys(curves["shrinker"])), reference)
    styles = _styles(shrinkers)
    ncols = max(1, len(optimizers))
    with figure_style():
        fig, axes = new_figure(ncols, full=ncols > 1, height=2.2, sharey=True, squeeze=False)
        axes = axes[0]
        for ax, opt in zip(axes, optimizers):
            for z, s in enumerate(shrinkers):
                _draw(ax, bands[(bands["optimizer"] == opt) & (bands["shrinker"] == s)], x, styles[s], s,
                      ends.get((s, opt)), _base(s) == reference, z)
            line = shrink_budget if x == "queries" else time_budget  # shrink phases end before; searches stop at
            if line:
                ax.axvline(line, color="black", lw=0.5, ls=":")
            if ncols > 1:  # a single optimizer is named in the suptitle instead
                ax.set_title(f"{opt}")
            ax.set_xlabel("total queries (shrink + search)" if x == "queries"
                          else "simulated training seconds (shrink + search)")
        _ylim(axes[0], bands, x)
        axes[0].set_ylabel("regret")
        handles, labels = axes[0].get_legend_handles_labels()
        keep = sorted(labels, key=lambda k: (_base(k) != FULL, order_methods(labels).index(k)))
        handles = [handles[labels.index(k)] for k in keep]
        named = ([title] if title else []) + ([] if ncols > 1 else [str(o) for o in optimizers[:1]])
        fig.suptitle(" · ".join(named + ["mean and 95 % CI over seeds"]))
        if ncols > 1:
            fit_layout(fig, right=right_legend(fig, handles, keep))
        else:
            fit_layout(fig, bottom=bottom_legend(fig, handles, keep))
    return fig


def _draw(ax, b, x: str, style: tuple, label: str, ended: tuple | None, ref: bool, z: int) -> None:
    if b.empty:
        return
    colour, ls = style
    if ended is not None:  # say it in the legend, and mark where those runs had nothing left to query
        label = f"{label} (exhausted {ended[0]}/{ended[1]})"
        ax.plot([ended[2]], [float(np.interp(ended[2], b[x], b["mean"]))], marker="x", color=colour, ms=5, ls="",
                zorder=3 + z)
    ax.plot(b[x], b["mean"], color=colour, ls=ls, label=label, lw=1.4 if ref else 1.0, zorder=3 + z)
    if b["count"].max() > 1:
        ax.fill_between(b[x], b["lo"].clip(lower=0), b["hi"], color=colour, alpha=0.15, lw=0, zorder=2)


def _ylim(ax, bands, x: str) -> None:
    # the first queries' regret (NB201 has untrainable cells at 10 %) would flatten everything else: the y-axis
    # starts just below 0 (a curve at regret 0 is not half hidden) and ends a little above the worst mean regret
    # after a tenth of the budget
    late = bands[bands[x] >= 0.1 * bands[x].max()]
    top = float(np.nanmax(late["hi"].fillna(late["mean"]))) if len(late) else math.nan
    if math.isfinite(top) and top > 0:
        ax.set_ylim(-0.025 * top, 1.15 * top)
    else:
        ax.set_ylim(bottom=0)


def save_search_figures(curves, folder, *, shrink_budget: int | None = None, time_budget: float | None = None,
                        options: FigureOptions | None = None, reference: str = REFERENCE) -> dict[str, list[str]]:
    """One figure per (benchmark, dataset, metric) into ``folder/search_regret__<benchmark>-<dataset>.<format>``
    (against queries), and ``search_regret_time__...`` against simulated seconds when the curves have them, for
    each of the options' formats (PNG by default)."""
    folder = Path(folder)
    o = options or current_options()
    out = {}
    with figure_style(o):
        for (bench, ds, metric), g in curves.groupby(["benchmark", "dataset", "metric"], sort=False):
            n = int(g["seed"].nunique())
            title = f"{bench} / {ds} ({metric}), {n} seed{'s' if n != 1 else ''}"
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{bench}-{ds}-{metric}")
            paths = save_figure(plot_search_regret(g, title=title, shrink_budget=shrink_budget, time_budget=time_budget,
                                                   reference=reference), folder / f"search_regret__{name}", o)
            if "sim_seconds" in g.columns and np.isfinite(g["sim_seconds"].to_numpy(dtype=np.float64)).any():
                paths += save_figure(plot_search_regret(g, title=title, x="seconds", time_budget=time_budget,
                                                        reference=reference), folder / f"search_regret_time__{name}",
                                     o)
            out[f"{bench}/{ds}/{metric}"] = [str(p) for p in paths]
    return out
