"""What the shrinkers did: which (position, choice) pairs each method keeps, and LISSNAS's iterations.

>>> import numpy as np
>>> from lissnas_bench.plots._shrink import choice_groups
>>> choice_groups([["a", "b"], ["x", "y", "z"], ["a", "b"]], 3)
[([0, 2], ['a', 'b']), ([1], ['x', 'y', 'z'])]
"""

from __future__ import annotations

import numpy as np

from ._layout import bottom_legend, fit_layout
from .style import REFERENCE, label_metric, method_color, new_figure, order_methods


def _short_choice(name: str) -> str:
    for a, b in (("nor_conv_", "conv"), ("skip_connect", "skip"), ("avg_pool_", "avg"), ("max_pool_", "max"),
                 ("conv_", "conv"), ("sep_", "s"), ("dil_", "d")):
        name = name.replace(a, b)
    return name


def retention(cells, target: str) -> dict[str, np.ndarray]:
    """Per method, the fraction of seeds whose S′ keeps each (position, choice): shape (positions, choices)."""
    acc: dict[str, list[np.ndarray]] = {}
    for c in cells:
        if c["target"] == target and c.get("choice_mask") is not None:
            acc.setdefault(c["row"]["method"], []).append(np.asarray(c["choice_mask"], dtype=float))
    return {m: np.mean(v, axis=0) for m, v in acc.items()}


def choice_groups(choice_names, n_positions: int, n_choices: int | None = None):
    """Positions that offer the same choices, with those choices' names: ``[(positions, names)]`` in order of
    first appearance (one group in NB201; NAS-Bench-Graph's link position apart from its four operations).
    Without names, one group labelled by choice index."""
    if choice_names is None:
        return [(list(range(n_positions)), [str(i) for i in range(n_choices or 0)])]
    groups: dict[tuple, list[int]] = {}
    for p, names in enumerate(choice_names):
        groups.setdefault(tuple(str(n) for n in names), []).append(p)
    return [(ps, list(names)) for names, ps in groups.items()]


def _block(ax, frac, methods, ps, names, rows, titles: bool):
    """One group of positions for every method, side by side in one image (a blank column between methods):
    one axes per group instead of one per method and group keeps the figure cheap to lay out and draw.  The
    columns are named once, under the first method (they are the same under every method)."""
    c = len(names)
    img = np.full((len(ps), len(methods) * (c + 1) - 1), np.nan)
    for j, m in enumerate(methods):
        img[:, j * (c + 1): j * (c + 1) + c] = frac[m].astype(float)[ps][:, :c]
    from matplotlib import colormaps

    cmap = colormaps["viridis"].with_extremes(bad="white")  # the gaps between methods
    im = ax.imshow(img, vmin=0, vmax=1, cmap=cmap, aspect="auto", interpolation="nearest")
    ax.grid(False)
    # the columns are in the same order under every method: named once, under the first
    ax.set_xticks(range(c), [_short_choice(n) for n in names], rotation=90)
    ax.set_yticks(range(len(rows)), rows)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    if titles:
        for j, m in enumerate(methods):
            ax.text(j * (c + 1) + (c - 1) / 2, 1.02, m, transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", color=method_color(m), fontweight="bold")
    return im


def plot_retention(frac: dict[str, np.ndarray], *, position_names=None, choice_names=None,
                   title: str | None = None):
    """Heatmap per method: the share of seeds whose S′ contains (position, choice).  Columns are named by the
    space's ``choice_names``; positions offering different choices get their own block of rows."""
    methods = order_methods(frac)
    if not methods:
        fig, _ = new_figure()
        return fit_layout(fig)
    shape = next(iter(frac.values())).shape
    groups = choice_groups(choice_names, shape[0], shape[1])
    n = len(methods)
    longest = max(len(_short_choice(x)) for _, names in groups for x in names)
    # per block: its rows plus its rotated column labels (about 0.055 in per character at 6 pt)
    heights = [0.15 * len(ps) + 0.06 * longest + 0.12 for ps, _ in groups]
    fig, axes = new_figure(2, len(groups), full=n > 2, height=0.45 + sum(heights), squeeze=False,
                           gridspec_kw={"height_ratios": [len(ps) for ps, _ in groups], "width_ratios": [1, 0.012]})
    im = None
    for g, (ps, names) in enumerate(groups):
        rows = [str(position_names[p]) if position_names is not None else str(p) for p in ps]
        im = _block(axes[g, 0], frac, methods, ps, names, rows, g == 0)
    gs = axes[0, 1].get_subplotspec().get_gridspec()
    for ax in axes[:, 1]:
        ax.remove()
    cax = fig.add_subplot(gs[:, 1])
    fig.colorbar(im, cax=cax, label="share of seeds")
    cax.grid(False)
    if title:
        fig.suptitle(title)
    return fit_layout(fig, w_pad=0.4)


def plot_trace(tr, *, method: str = REFERENCE, metric: str = "f", title: str | None = None):
    """A shrinker's iterations (LISSNAS by default): sample mean and |S_t| against the iteration, a line per seed
    through its accepted iterations (filled); a rejected iteration (hollow) is tried and discarded, so no line
    leads to it."""
    from matplotlib.lines import Line2D

    fig, axes = new_figure(2, 1, height=1.75)
    d = tr[tr["method"] == method] if len(tr) else tr
    color = method_color(method)
    for ax, col in zip(axes, ("sample_mean", "size")):
        if col not in d.columns or not len(d):
            continue
        # every seed in one line artist (NaN between seeds) and every rejected iteration in one scatter
        xs, ys, rx, ry = [], [], [], []
        for _, g in d.groupby("seed", sort=True):
            g = g.sort_values("iteration")
            acc = g["accepted"].astype(bool).to_numpy() if "accepted" in g.columns else np.ones(len(g), bool)
            it, v = g["iteration"].to_numpy(np.float64), g[col].to_numpy(np.float64)
            xs += [*it[acc], np.nan]
            ys += [*v[acc], np.nan]
            rx += list(it[~acc])
            ry += list(v[~acc])
        ax.plot(xs, ys, color=color, alpha=0.45, linewidth=0.7, marker="o", markersize=2.2, markeredgewidth=0)
        ax.scatter(rx, ry, s=9, facecolors="white", edgecolors=color, linewidths=0.6, zorder=3)
    axes[0].set_ylabel("sample mean of f")
    axes[1].set_ylabel("|S_t|")
    axes[1].set_yscale("log")
    from matplotlib import ticker

    axes[1].yaxis.set_minor_locator(ticker.LogLocator(10, subs=(2.0, 5.0)))  # fewer ticks: cheaper, as readable
    for ax in axes:
        ax.set_xlabel("iteration")
        ax.xaxis.get_major_locator().set_params(integer=True)
    handles = [Line2D([], [], color=color, alpha=0.6, linewidth=0.7, marker="o", markersize=2.5,
                      markeredgewidth=0),
               Line2D([], [], color=color, linestyle="none", marker="o", markersize=3.2, markerfacecolor="white",
                      markeredgewidth=0.6)]
    labels = ["accepted iteration (a line per seed)", "rejected iteration (discarded)"]
    fig.suptitle(" · ".join(p for p in (title, f"{method}, f = {label_metric(metric)}") if p))
    return fit_layout(fig, bottom=bottom_legend(fig, handles, labels))
