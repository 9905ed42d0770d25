"""The comparison report's figures, drawn from a results folder's tables (never from the benchmark itself).

Every function takes plain DataFrames (``results.parquet``, ``traces.parquet``, ``distributions.parquet``) and
returns a matplotlib ``Figure``, laid out; ``make_figures`` draws them all for a results folder and saves them in
the ``FigureOptions``' formats (PNG by default).  With ``compare --search`` it adds, per target, the searches'
regret against total queries (``curves.parquet``, drawn by ``plots.search.plot_search_regret``).

In the scatter figures the reference method (``reference=``, LISSNAS by default) is drawn last, as filled dots;
every other method is drawn as rings, so a reference point on top of another method's leaves that ring visible.

>>> import pandas as pd
>>> from lissnas_bench.plots.compare import plot_size_tradeoff
>>> res = pd.DataFrame({"method": ["lissnas", "random"], "size": [190, 190], "mean": [93.1, 87.0],
...                     "regret": [0.0, 0.4]})
>>> fig = plot_size_tradeoff(res, full_size=15625, full_mean=86.8, title="analognas / cifar10")
>>> len(fig.axes)
2
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from ._layout import bottom_legend, fit_layout, log_axis
from ._shrink import choice_groups, plot_retention, plot_trace, retention
from ._summary import DIVERSITY, methods_of, plot_distribution, plot_diversity, plot_kendall
from .style import (
    FULL_SPACE,
    REFERENCE,
    FigureOptions,
    current_options,
    drawing_order,
    figure_style,
    label_metric,
    method_color,
    new_figure,
    order_methods,
    save_figure,
)

log = logging.getLogger(__name__)


def _scatter(ax, df, x: str, y: str, reference: str = REFERENCE) -> dict:
    """A point per row, coloured by method: the reference filled and last (on top), the others as rings."""
    handles = {}
    for m in drawing_order(df["method"].unique().tolist(), reference):
        d = df[df["method"] == m]
        c = method_color(m)
        if m == reference:
            h = ax.scatter(d[x], d[y], s=11, color=c, edgecolors="white", linewidths=0.3, zorder=4, label=m)
        else:
            h = ax.scatter(d[x], d[y], s=17, facecolors="none", edgecolors=c, linewidths=0.8, zorder=3, label=m)
        handles[m] = h
    return handles


def _full_line(ax, mean):
    return ax.axhline(mean, color=method_color(FULL_SPACE), linestyle="--", linewidth=0.8, zorder=1)


def _legend_items(handles: dict):
    names = order_methods([k for k in handles if k != FULL_SPACE]) + ([FULL_SPACE] if FULL_SPACE in handles
                                                                      else [])
    labels = ["full space S (mean f)" if k == FULL_SPACE else k for k in names]
    return [handles[k] for k in names], labels


def plot_size_tradeoff(res, *, full_size: float | None = None, full_mean: float | None = None,
                       metric: str = "f", title: str | None = None, reference: str = REFERENCE):
    """|S′| against the mean of f over S′ (left; dashed: the mean over S) and against the regret (right); one
    point per seed; the panels share the log x axis."""
    fig, axes = new_figure(2, 1, height=2.0, sharex=True)
    handles = {}
    for ax, col in zip(axes, ("mean", "regret")):
        handles.update(_scatter(ax, res, "size", col, reference))
    if full_mean is not None and math.isfinite(full_mean):
        handles[FULL_SPACE] = _full_line(axes[0], full_mean)
    axes[1].axhline(0, color="black", linewidth=0.5, zorder=1)
    log_axis(axes[0], res["size"])
    axes[0].set_ylabel("mean f over S′")
    axes[1].set_ylabel("regret")
    for ax in axes:
        ax.set_xlabel("|S′|")
    top = float(np.nanmax(res["regret"])) if len(res) and res["regret"].notna().any() else 0.0
    top = top if top > 0 else 1.0
    axes[1].set_ylim(-0.05 * top, 1.08 * top)  # points at regret 0 stay whole, not cut by the axis
    parts = [title, f"f = {label_metric(metric)}", f"|S| = {full_size:,.0f}" if full_size else None]
    fig.suptitle(" · ".join(p for p in parts if p))
    return fit_layout(fig, bottom=bottom_legend(fig, *_legend_items(handles)))


def _grid(n: int) -> tuple[int, int]:
    ncols = 1 if n == 1 else 2 if n <= 4 else 3
    return ncols, math.ceil(n / ncols)


def plot_overview(res, targets: list[dict], full: dict[str, tuple[float, float]] | None = None, *,
                  reference: str = REFERENCE):
    """One panel per target: |S′| against mean f over S′, a point per seed; dashed: the mean over S (its size
    is in the panel's title, so the x axis spans only the shrunk spaces)."""
    n = max(len(targets), 1)
    ncols, nrows = _grid(n)
    fig, axes = new_figure(ncols, nrows, full=n > 1, height=(2.2 if n == 1 else 1.75 * nrows + 0.3),
                           squeeze=False)
    axes = axes.ravel()
    handles = {}
    for i, (ax, t) in enumerate(zip(axes, targets)):
        d = res[(res["benchmark"] == t["benchmark_id"]) & (res["dataset"] == t["dataset"])
                & (res["metric"] == t["metric"])]
        handles.update(_scatter(ax, d, "size", "mean", reference))
        fm = (full or {}).get(t["key"], (None, None))[1]
        if fm is not None and math.isfinite(fm):
            handles[FULL_SPACE] = _full_line(ax, fm)
        log_axis(ax, d["size"])
        ax.set_title(f"{t['benchmark_id']} / {t['dataset']}\nf = {label_metric(t['metric'])}, "
                     f"|S| = {t['space_size']:,}")
        if i % ncols == 0:
            ax.set_ylabel("mean f over S′")
        if i + ncols >= len(targets):  # nothing drawn below it
            ax.set_xlabel("|S′|")
    for ax in axes[len(targets):]:
        ax.set_visible(False)
    return fit_layout(fig, bottom=bottom_legend(fig, *_legend_items(handles)))


# ---------------------------------------------------------------------------------------------- all of them
def overview_figure(out, results, targets: list[dict], full, options: FigureOptions | None = None,
                    reference: str = REFERENCE) -> dict[str, str]:
    """The cross-target overview saved as ``out/figures/overview``; ``{"overview": relative path}``."""
    with figure_style(options) as o:
        first = save_figure(plot_overview(results, targets, full, reference=reference),
                            Path(out) / "figures" / "overview", o)[0]
    return {"overview": f"figures/{first.name}"}


def target_figures(out, t: dict, res, dist, tr, frac: dict, curves=None, shrink_budget: int | None = None,
                   options: FigureOptions | None = None, reference: str = REFERENCE) -> dict[str, str]:
    """Every figure of one target (a manifest's ``targets`` entry); returns ``{name: relative path}`` of each
    figure's first format.  ``curves``: that target's rows of ``curves.parquet`` (a comparison with search)."""
    figdir = Path(out) / "figures"
    key = t["key"]
    title = f"{t['benchmark_id']} / {t['dataset']}"
    made: dict[str, str] = {}
    with figure_style(options) as o:
        def save(fig, name: str):
            first = save_figure(fig, figdir / key / name, o)[0]
            made[name] = f"figures/{key}/{first.name}"

        fvals = dist.loc[dist["method"] == FULL_SPACE, "value"]
        full_mean = float(fvals.mean()) if len(fvals) else None
        save(plot_distribution(dist, metric=t["metric"], title=title), "distribution")
        save(plot_size_tradeoff(res, full_size=t["space_size"], full_mean=full_mean, metric=t["metric"],
                                title=title, reference=reference), "size_tradeoff")
        if any(c[0] in res.columns for c in DIVERSITY):
            save(plot_diversity(res, title=title), "diversity")
        if frac:
            save(plot_retention(frac, position_names=t.get("position_names"), choice_names=t.get("choice_names"),
                                title=title), "retention")
        if len(tr) and (tr["method"] == reference).any():
            save(plot_trace(tr, method=reference, metric=t["metric"], title=title), "trace")
        if "kendall_tau_shrunk" in res.columns and res["kendall_tau_shrunk"].notna().any():
            save(plot_kendall(res, title=title, proxy=t.get("proxy")), "kendall")
        if curves is not None and len(curves):
            from .search import plot_search_regret

            n = int(curves["seed"].nunique())
            save(plot_search_regret(curves.rename(columns={"method": "shrinker"}),
                                    title=f"{title}: {n} seed{'s' if n != 1 else ''}", shrink_budget=shrink_budget,
                                    reference=reference), "search_regret")
    return made


def _jobs(manifest, results, traces, distributions, cells, curves, shrink_budget):
    jobs, full = [], {}
    for t in manifest["targets"]:
        sel = ((results["benchmark"] == t["benchmark_id"]) & (results["dataset"] == t["dataset"])
               & (results["metric"] == t["metric"]))
        res = results[sel]
        if res.empty:
            continue
        dist = distributions[distributions["target"] == t["key"]]
        tr = traces[(traces["benchmark"] == t["benchmark_id"]) & (traces["dataset"] == t["dataset"])
                    & (traces["metric"] == t["metric"])] if len(traces) else traces
        fvals = dist.loc[dist["method"] == FULL_SPACE, "value"]
        full[t["key"]] = (float(t["space_size"]), float(fvals.mean()) if len(fvals) else None)
        cv = None
        if curves is not None and len(curves):
            cv = curves[(curves["benchmark"] == t["benchmark_id"]) & (curves["dataset"] == t["dataset"])
                        & (curves["metric"] == t["metric"])]
        jobs.append((t, res, dist, tr, retention(cells, t["key"]), cv, shrink_budget))
    return jobs, full


def make_figures(out, *, manifest: dict, results, traces, distributions, cells, pool=None, curves=None,
                 shrink_budget: int | None = None, options: FigureOptions | None = None,
                 reference: str = REFERENCE) -> dict[str, dict[str, str]]:
    """Draw every figure of a results folder into ``out/figures``; returns ``{target key: {name: relative
    path}}`` (``"_all"`` holds the cross-target overview).  Targets are drawn in parallel in a
    ``concurrent.futures`` ``pool`` if given, else in ``options.workers`` spawned processes when that is > 1.
    ``curves`` (``curves.parquet`` of a comparison with search) adds a ``search_regret`` figure per target, with a
    dotted line at ``shrink_budget``."""
    import contextlib

    out = Path(out)
    o = options or current_options()
    jobs, full = _jobs(manifest, results, traces, distributions, cells, curves, shrink_budget)
    made: dict[str, dict[str, str]] = {}
    with contextlib.ExitStack() as stack:
        if pool is None and o.workers > 1 and len(jobs) > 1:
            import concurrent.futures as cf
            import multiprocessing as mp

            # spawn, not fork: the parent may hold threads (pyarrow) and a forked lock would deadlock
            pool = stack.enter_context(cf.ProcessPoolExecutor(min(o.workers, len(jobs)),
                                                              mp_context=mp.get_context("spawn")))
        futures = [(t["key"], pool.submit(target_figures, out, t, *rest, options=o, reference=reference))
                   for t, *rest in jobs] if pool else []
        if len(results):
            args = (out, results, [j[0] for j in jobs], full, o, reference)
            # in the pool too (submitted after the targets, the longer jobs), so this process never imports matplotlib
            futures.insert(0, ("_all", pool.submit(overview_figure, *args) if pool else None))
            if not pool:
                made["_all"] = overview_figure(*args)
        for key, fut in futures:
            if fut is not None:
                made[key] = fut.result()
        if not pool:
            for t, *rest in jobs:
                made[t["key"]] = target_figures(out, t, *rest, options=o, reference=reference)
    log.info("figures written under %s", out / "figures")
    return made


__all__ = ["DIVERSITY", "choice_groups", "make_figures", "methods_of", "overview_figure", "plot_distribution",
           "plot_diversity", "plot_kendall", "plot_overview", "plot_retention", "plot_size_tradeoff", "plot_trace",
           "retention", "target_figures"]
