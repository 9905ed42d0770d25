"""Heatmaps of a LISSNAS sensitivity study: one panel per measure (recall, |S′|, good pockets, spend), rows and
columns the two varied parameters, each cell the mean over seeds written in it.

>>> import pandas as pd
>>> t = pd.DataFrame({"k": ["5", "5", "10", "10"], "radius": ["1", "2", "1", "2"], "recall_mean": [.1, .2, .3, .4],
...                   "size_mean": [100, 900, 150, 1500], "good_pockets_mean": [1, 2, 3, 4],
...                   "queries_mean": [400, 450, 420, 500]})
>>> fig = plot_sensitivity(t, ["k", "radius"])
>>> len([a for a in fig.axes if a.images])
4
"""

from __future__ import annotations

import numpy as np

from ..experiments.sensitivity import MEASURES
from ._layout import fit_layout
from .style import new_figure


def plot_sensitivity(table, params: list[str], *, title: str | None = None):
    rows_p = params[0]
    cols_p = params[1] if len(params) > 1 else None
    rows = list(dict.fromkeys(table[rows_p]))
    cols = list(dict.fromkeys(table[cols_p])) if cols_p else [""]
    fig, axes = new_figure(len(MEASURES), full=True, height=1.2 + 0.28 * len(rows), squeeze=False)
    for ax, (m, head) in zip(axes[0], MEASURES):
        grid = np.full((len(rows), len(cols)), np.nan)
        for _, r in table.iterrows():
            grid[rows.index(r[rows_p]), cols.index(r[cols_p]) if cols_p else 0] = r[f"{m}_mean"]
        ax.imshow(grid, cmap="viridis", aspect="auto")
        finite = grid[np.isfinite(grid)]
        mid = (finite.min() + finite.max()) / 2 if len(finite) else 0
        for i in range(len(rows)):
            for j in range(len(cols)):
                v = grid[i, j]
                if np.isfinite(v):
                    ax.text(j, i, f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}", ha="center", va="center", fontsize=5.5,
                            color="black" if v > mid else "white")
        ax.set_title(head)
        ax.set_yticks(range(len(rows)), [str(r) for r in rows])
        ax.set_xticks(range(len(cols)), [str(c) for c in cols])
        ax.set_ylabel(rows_p)
        ax.set_xlabel(cols_p or "")
        ax.grid(False)
    if title:
        fig.suptitle(title)
    return fit_layout(fig)
