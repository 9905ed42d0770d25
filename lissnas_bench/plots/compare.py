"""The comparison report's figures, drawn from a results folder's tables (never from the benchmark itself).

Every function takes plain DataFrames (``results.parquet``, ``traces.parquet``, ``distributions.parquet``) and
returns a matplotlib ``Figure``; ``make_figures`` draws them all for a results folder and saves PNG + SVG.  With
``compare --search`` it adds, per target, the searches' regret against total queries (``curves.parquet``, drawn by
``plots.search.plot_search_regret``).

>>> import pandas as pd
>>> from lissnas_bench.plots.compare import plot_size_tradeoff
>>> res = pd.read_parquet("results/demo/results.parquet")          # doctest: +SKIP
>>> fig = plot_size_tradeoff(res[res.dataset == "cifar10"])          # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from .style import (
    COLUMN_WIDTH,
    FULL_SPACE,
    FULL_WIDTH,
    figure_style,
    label_metric,
    method_color,
    new_figure,
    order_methods,
    save_figure,
)

log = logging.getLogger(__name__)

#: the diversity columns of ``evaluate`` and their axis labels
DIVERSITY = (("coverage", "coverage"), ("entropy", "entropy (norm.)"), ("pairwise_distance", "pairwise dist."),
             ("pockets", "pockets"))


def _methods(df) -> list[str]:
    return order_methods(df["method"].unique().tolist()) if len(df) else []


def _short_choice(name: str) -> str:
    for a, b in (("nor_conv_", "conv"), ("skip_connect", "skip"), ("avg_pool_", "avg"), ("max_pool_", "max"),
                 ("conv_", "conv"), ("sep_", "s"), ("dil_", "d")):
        name = name.replace(a, b)
    return name


def _thin(values: np.ndarray, n: int = 2000) -> np.ndarray:
    """At most ``n`` evenly spaced quantiles of ``values``: the same distribution for a KDE, deterministic, and
    the violins of 26k-architecture spaces draw in milliseconds."""
    values = values[np.isfinite(values)]
    if len(values) <= n:
        return values
    return np.quantile(values, np.linspace(0.0, 1.0, n))


def _mean_std(df, col):
    g = df.groupby("method", sort=False)[col]
    return g.mean(), g.std(ddof=1)


# ---------------------------------------------------------------------------------------------- figures
def plot_distribution(dist, *, metric: str = "f", title: str | None = None, clip: float = 0.05):
    """f over the full space S and over each method's S′ (all seeds pooled): one violin per method.

    The y-axis starts at the ``clip`` quantile of S so the interesting upper part stays readable (NB201 has a
    long tail of untrainable cells at 10 %); the violins are still estimated from all values."""
    methods = [FULL_SPACE] + [m for m in _methods(dist) if m != FULL_SPACE]
    data = [_thin(dist.loc[dist["method"] == m, "value"].to_numpy(np.float64)) for m in methods]
    keep = [i for i, d in enumerate(data) if d.size]
    methods, data = [methods[i] for i in keep], [data[i] for i in keep]
    fig, ax = new_figure(height=2.1)
    if not data:
        return fig
    parts = ax.violinplot(data, showextrema=False, widths=0.8)
    for body, m in zip(parts["bodies"], methods):
        body.set_facecolor(method_color(m))
        body.set_edgecolor("black")
        body.set_linewidth(0.4)
        body.set_alpha(0.75)
    for i, d in enumerate(data, start=1):
        q1, med, q3 = np.percentile(d, [25, 50, 75])
        ax.vlines(i, q1, q3, color="black", linewidth=1.6)
        ax.scatter([i], [med], color="white", s=6, zorder=3, edgecolors="black", linewidths=0.3)
    ax.set_xticks(range(1, len(methods) + 1), methods, rotation=25, ha="right")
    lo = (float(np.quantile(data[0], clip)) if methods[0] == FULL_SPACE and clip > 0
          else min(float(np.min(d)) for d in data))
    hi = max(float(np.max(d)) for d in data)
    ax.set_ylim(lo - 0.02 * (hi - lo), hi + 0.04 * (hi - lo))
    ax.set_ylabel(label_metric(metric))
    ax.grid(axis="x", visible=False)
    if title:
        ax.set_title(title)
    return fig


def plot_size_tradeoff(res, *, full_size: float | None = None, full_mean: float | None = None,
                       metric: str = "f", title: str | None = None):
    """|S′| against the mean of f over S′ and against the regret; one point per seed, log x."""
    fig, axes = new_figure(2, 1, height=1.9)
    for m in _methods(res):
        d = res[res["method"] == m]
        for ax, col in zip(axes, ("mean", "regret")):
            ax.scatter(d["size"], d[col], s=9, color=method_color(m), label=m, alpha=0.85, linewidths=0.3,
                       edgecolors="white")
    if full_size is not None:
        if full_mean is not None:
            axes[0].scatter([full_size], [full_mean], marker="*", s=40, color=method_color(FULL_SPACE),
                            label=FULL_SPACE, zorder=3)
        axes[1].scatter([full_size], [0.0], marker="*", s=40, color=method_color(FULL_SPACE), zorder=3)
    for ax, lab in zip(axes, ("mean f over S′", "regret (max f over S − over S′)")):
        ax.set_xscale("log")
        ax.set_xlabel("|S′|")
        ax.set_ylabel(lab)
    axes[1].set_ylim(bottom=min(0.0, axes[1].get_ylim()[0]))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3), handletextpad=0.2,
               columnspacing=0.8)
    fig.suptitle(f"{title + ': ' if title else ''}f = {label_metric(metric)}", fontsize=7)
    return fig


def plot_diversity(res, *, title: str | None = None):
    """Coverage, entropy, pairwise distance and pocket count of S′: mean ± std over seeds per method."""
    cols = [(c, lab) for c, lab in DIVERSITY if c in res.columns and res[c].notna().any()]
    fig, axes = new_figure(len(cols) or 1, 1, height=1.7, squeeze=False)
    axes = axes[0]
    methods = _methods(res)
    for ax, (c, lab) in zip(axes, cols):
        mean, std = _mean_std(res, c)
        x = np.arange(len(methods))
        ax.bar(x, [mean[m] for m in methods], yerr=[0 if math.isnan(std[m]) else std[m] for m in methods],
               color=[method_color(m) for m in methods], width=0.75, error_kw={"linewidth": 0.6, "capsize": 1.2})
        ax.set_xticks(x, methods, rotation=60, ha="right")
        ax.set_title(lab)
        ax.grid(axis="x", visible=False)
        if c == "pockets":
            ax.set_yscale("symlog", linthresh=1)
        elif c in ("coverage", "entropy", "pairwise_distance"):
            ax.set_ylim(0, 1.05)
    if title:
        fig.suptitle(title, fontsize=7)
    return fig


def retention(cells, target: str) -> dict[str, np.ndarray]:
    """Per method, the fraction of seeds whose S′ keeps each (position, choice): shape (positions, choices)."""
    acc: dict[str, list[np.ndarray]] = {}
    for c in cells:
        if c["target"] == target and c.get("choice_mask") is not None:
            acc.setdefault(c["row"]["method"], []).append(np.asarray(c["choice_mask"], dtype=float))
    return {m: np.mean(v, axis=0) for m, v in acc.items()}


def plot_retention(frac: dict[str, np.ndarray], *, position_names=None, choice_names=None,
                   title: str | None = None):
    """Heatmap per method: the share of seeds whose S′ contains (position, choice); hatched = no such choice."""
    methods = order_methods(frac)
    n = max(len(methods), 1)
    fig, axes = new_figure(n, 1, width=FULL_WIDTH if n > 2 else COLUMN_WIDTH, height=1.55, squeeze=False,
                           sharey=True)
    axes = axes[0]
    im = None
    for ax, m in zip(axes, methods):
        a = frac[m].astype(float)
        valid = np.ones_like(a, dtype=bool)
        if choice_names is not None:
            for p, names in enumerate(choice_names):
                valid[p, len(names):] = False
        shown = np.where(valid, a, np.nan)
        im = ax.imshow(shown, vmin=0, vmax=1, cmap="viridis", aspect="auto", interpolation="nearest")
        ax.set_title(m, color=method_color(m) if m != "random" else "black")
        ax.grid(False)
        ax.set_xticks(range(a.shape[1]))
        same = choice_names is not None and len({tuple(c) for c in choice_names}) == 1
        ax.set_xticklabels([_short_choice(c) for c in choice_names[0]] if same else range(a.shape[1]),
                           rotation=90)
        ax.set_yticks(range(a.shape[0]))
        ax.set_yticklabels(position_names if position_names is not None else range(a.shape[0]))
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
    if im is not None:
        fig.colorbar(im, ax=list(axes), shrink=0.9, pad=0.01, label="share of seeds")
    if title:
        fig.suptitle(title, fontsize=7)
    return fig


def plot_trace(tr, *, method: str = "lissnas", metric: str = "f", title: str | None = None):
    """A shrinker's iterations (LISSNAS by default): sample mean and |S_t| against the iteration, a line per seed;
    accepted iterations are filled dots, the rejected last one hollow."""
    fig, axes = new_figure(2, 1, height=1.7)
    d = tr[tr["method"] == method] if len(tr) else tr
    color = method_color(method)
    for _, g in d.groupby("seed", sort=True):
        g = g.sort_values("iteration")
        for ax, col in zip(axes, ("sample_mean", "size")):
            if col not in g.columns:
                continue
            ax.plot(g["iteration"], g[col], color=color, alpha=0.45, linewidth=0.7)
            if "accepted" in g.columns:
                acc = g["accepted"].astype(bool).to_numpy()
                ax.scatter(g["iteration"][acc], g[col][acc], s=5, color=color, alpha=0.8, linewidths=0)
                ax.scatter(g["iteration"][~acc], g[col][~acc], s=7, facecolors="white", edgecolors=color,
                           linewidths=0.5, zorder=3)
    axes[0].set_ylabel(f"sample mean {label_metric(metric)}")
    axes[1].set_ylabel("|S_t|")
    axes[1].set_yscale("log")
    for ax in axes:
        ax.set_xlabel("iteration")
        ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(title, fontsize=7)
    return fig


def plot_kendall(res, *, title: str | None = None, proxy: str | None = None):
    """Kendall τ-b between the proxy and f over each S′ (bars, mean ± std) and over S (dashed line)."""
    fig, ax = new_figure(height=1.8)
    methods = _methods(res)
    mean, std = _mean_std(res, "kendall_tau_shrunk")
    x = np.arange(len(methods))
    ax.bar(x, [mean[m] for m in methods], yerr=[0 if math.isnan(std[m]) else std[m] for m in methods],
           color=[method_color(m) for m in methods], width=0.7, error_kw={"linewidth": 0.6, "capsize": 1.5},
           label="over S′")
    if "kendall_tau_full" in res.columns and res["kendall_tau_full"].notna().any():
        ax.axhline(float(res["kendall_tau_full"].mean()), color="black", linestyle="--", linewidth=0.8,
                   label="over S")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xticks(x, methods, rotation=25, ha="right")
    ax.set_ylabel("Kendall τ-b (proxy vs f)" if proxy is None else f"Kendall τ-b ({proxy} vs f)")
    ax.grid(axis="x", visible=False)
    fig.legend(loc="outside lower center", ncols=2)
    if title:
        ax.set_title(title)
    return fig


def plot_overview(res, targets: list[dict], full: dict[str, tuple[float, float]] | None = None):
    """One panel per target: |S′| against mean f over S′, a point per seed; the star is the full space."""
    n = len(targets)
    ncols = min(n, 2)
    nrows = math.ceil(n / ncols)
    fig, axes = new_figure(ncols, nrows, width=COLUMN_WIDTH if n == 1 else FULL_WIDTH,
                           height=(2.2 if n == 1 else 1.9 * nrows), squeeze=False)
    axes = axes.ravel()
    for ax, t in zip(axes, targets):
        d = res[(res["benchmark"] == t["benchmark_id"]) & (res["dataset"] == t["dataset"])
                & (res["metric"] == t["metric"])]
        for m in _methods(d):
            dm = d[d["method"] == m]
            ax.scatter(dm["size"], dm["mean"], s=9, color=method_color(m), label=m, alpha=0.85, linewidths=0.3,
                       edgecolors="white")
        if full and t["key"] in full:
            fs, fm = full[t["key"]]
            ax.scatter([fs], [fm], marker="*", s=40, color=method_color(FULL_SPACE), label=FULL_SPACE, zorder=3)
        ax.set_xscale("log")
        ax.set_title(f"{t['benchmark_id']} / {t['dataset']} (f = {label_metric(t['metric'])})")
        ax.set_xlabel("|S′| (log)")
        ax.set_ylabel("mean f over S′")
    for ax in axes[n:]:
        ax.set_visible(False)
    handles = {}
    for ax in axes[:n]:  # one legend entry per method across panels
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    names = order_methods([k for k in handles if k != FULL_SPACE]) + ([FULL_SPACE] if FULL_SPACE in handles else [])
    fig.legend([handles[k] for k in names], names, loc="outside lower center",
               ncols=min(len(names), 3 if n == 1 else 6), handletextpad=0.2, columnspacing=0.8)
    return fig


# ---------------------------------------------------------------------------------------------- all of them
def target_figures(out, t: dict, res, dist, tr, frac: dict, curves=None,
                   shrink_budget: int | None = None) -> dict[str, str]:
    """Every figure of one target (a manifest's ``targets`` entry); returns ``{name: relative png path}``.
    ``curves``: that target's rows of ``curves.parquet`` (a comparison with search)."""
    figdir = Path(out) / "figures"
    key = t["key"]
    title = f"{t['benchmark_id']} / {t['dataset']}"
    made: dict[str, str] = {}

    def save(fig, name: str):
        save_figure(fig, figdir / key / name)
        made[name] = f"figures/{key}/{name}.png"

    with figure_style():
        fvals = dist.loc[dist["method"] == FULL_SPACE, "value"]
        full_mean = float(fvals.mean()) if len(fvals) else None
        save(plot_distribution(dist, metric=t["metric"], title=title), "distribution")
        save(plot_size_tradeoff(res, full_size=t["space_size"], full_mean=full_mean, metric=t["metric"],
                                title=title), "size_tradeoff")
        if any(c in res.columns for c, _ in DIVERSITY):
            save(plot_diversity(res, title=title), "diversity")
        if frac:
            save(plot_retention(frac, position_names=t.get("position_names"), choice_names=t.get("choice_names"),
                                title=title), "retention")
        if len(tr) and (tr["method"] == "lissnas").any():
            save(plot_trace(tr, metric=t["metric"], title=title), "trace")
        if "kendall_tau_shrunk" in res.columns and res["kendall_tau_shrunk"].notna().any():
            save(plot_kendall(res, title=title, proxy=t.get("proxy")), "kendall")
        if curves is not None and len(curves):
            from .search import plot_search_regret

            n = int(curves["seed"].nunique())
            save(plot_search_regret(curves.rename(columns={"method": "shrinker"}),
                                    title=f"{title}: {n} seed{'s' if n != 1 else ''}", shrink_budget=shrink_budget),
                 "search_regret")
    return made


def make_figures(out, *, manifest: dict, results, traces, distributions, cells, pool=None, curves=None,
                 shrink_budget: int | None = None) -> dict[str, dict[str, str]]:
    """Draw every figure of a results folder into ``out/figures``; returns ``{target key: {name: relative png}}``
    (``"_all"`` holds the cross-target overview).  With a ``concurrent.futures`` ``pool`` the targets are drawn
    in parallel.  ``curves`` (``curves.parquet`` of a comparison with search) adds a ``search_regret`` figure per
    target, with a dotted line at ``shrink_budget``."""
    out = Path(out)
    jobs = []
    full: dict[str, tuple[float, float | None]] = {}
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
    made: dict[str, dict[str, str]] = {}
    futures = [(t["key"], pool.submit(target_figures, out, t, *rest)) for t, *rest in jobs] if pool else []
    if len(results):
        with figure_style():
            save_figure(plot_overview(results, [j[0] for j in jobs], full), out / "figures" / "overview")
        made["_all"] = {"overview": "figures/overview.png"}
    if pool:
        for key, fut in futures:
            made[key] = fut.result()
    else:
        for t, *rest in jobs:
            made[t["key"]] = target_figures(out, t, *rest)
    log.info("figures written under %s", out / "figures")
    return made
