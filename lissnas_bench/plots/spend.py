"""Quality against what each method actually spent: a point per (method, budget) at its mean number of distinct
queries, with the 95 % bootstrap interval of the metric's mean, lines joining a method's budgets; the reference
method is drawn last, on top.  Methods that stop early (LISSNAS's plateau rule) sit left of their budget: the
comparison is at equal *spend*, not equal nominal budget.

>>> import pandas as pd
>>> s = pd.DataFrame({"method": ["lissnas", "random"] * 2, "budget": [100, 100, 200, 200],
...                   "queries_mean": [90.0, 0.0, 150.0, 0.0], "recall_mean": [0.3, 0.01, 0.4, 0.01],
...                   "recall_ci_low": [0.2, 0.0, 0.3, 0.0], "recall_ci_high": [0.4, 0.02, 0.5, 0.02]})
>>> fig = plot_quality_vs_spend(s, measures=(("recall", "recall@q"),))
>>> len(fig.axes)
1
"""

from __future__ import annotations

import numpy as np

from ._layout import bottom_legend, fit_layout
from .style import method_color, new_figure, order_methods

MEASURES = (("recall", "recall@q"), ("regret", "regret"), ("top_components_hit", "top components hit"))


def plot_quality_vs_spend(summary, *, measures=MEASURES, reference: str = "lissnas", title: str | None = None):
    """One panel per measure present in ``summary`` (rows of one target: method, budget, queries_mean and the
    measure's mean and CI columns)."""
    measures = [(m, h) for m, h in measures if f"{m}_mean" in summary.columns and summary[f"{m}_mean"].notna().any()]
    shrink = summary[summary["queries_mean"].notna()] if "queries_mean" in summary.columns else summary
    methods = order_methods(list(dict.fromkeys(shrink["method"])))
    methods = [m for m in methods if m != reference] + ([reference] if reference in methods else [])
    fig, axes = new_figure(max(1, len(measures)), full=len(measures) > 1, height=2.2, squeeze=False)
    for ax, (m, head) in zip(axes[0], measures):
        for z, name in enumerate(methods):
            g = shrink[shrink["method"] == name].sort_values("budget")
            x, y = g["queries_mean"].to_numpy(float), g[f"{m}_mean"].to_numpy(float)
            lo = g.get(f"{m}_ci_low", g[f"{m}_mean"]).to_numpy(float)
            hi = g.get(f"{m}_ci_high", g[f"{m}_mean"]).to_numpy(float)
            err = np.vstack([np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)])
            is_ref = name == reference
            ax.errorbar(x, y, yerr=np.nan_to_num(err), color=method_color(name.split("(")[0]), marker="o",
                        markersize=3.5 if is_ref else 2.5, lw=1.4 if is_ref else 0.9, capsize=1.5,
                        label=name, zorder=10 + z)
        ax.set_xlabel("queries spent (mean)")
        ax.set_ylabel(head)
    if title:
        fig.suptitle(title)
    handles, labels = axes[0][0].get_legend_handles_labels()
    return fit_layout(fig, bottom=bottom_legend(fig, handles[::-1], labels[::-1]))
