"""What a results folder says, in tables and sentences generated from its statistics (never typed by hand).

Three pieces, used by ``report.md`` and the README's demo block:

* ``protocol_lines``: per target, what the oracle answered and what judged it (loud when they are the same);
* ``headline_table``: per (target, budget), each method's spend and its headline metrics with 95 % bootstrap
  intervals, flagging a spend more than 5 % away from the reference's;
* ``wins_table`` and ``findings``: the paired tests of ``comparisons.csv`` (Wilcoxon over seeds, Holm-adjusted,
  α = 0.05) as a win / tie / loss table and as one sentence per (target, budget, metric).

>>> import pandas as pd
>>> cmp = pd.DataFrame([{"benchmark": "b", "dataset": "d", "metric": "f", "budget": 100, "measure": "recall",
...                      "method": "random", "reference": "lissnas", "n": 10, "method_mean": 0.01,
...                      "reference_mean": 0.5, "mean_diff": -0.49, "p": 0.002, "p_holm": 0.004, "outcome": "worse"}])
>>> findings(cmp)[0]
'b / d, budget 100: lissnas is better than random on recall@q (0.5 vs 0.01); every other difference in recall@q is not significant (10 paired seeds, Holm-adjusted Wilcoxon, α = 0.05).'
"""

from __future__ import annotations

import math

#: the measures of the headline table and the findings, with their labels
MEASURES = (
    ("recall", "recall@q"),
    ("regret", "regret"),
    ("top_components_hit", "top components hit"),
    ("good_pockets", "good pockets"),
    ("optima_kept", "optima kept"),
    ("mean", "mean f over S′"),
)
_LABEL = dict(MEASURES)
_SYMBOL = {"better": "▲ better", "worse": "▼ worse", "tie": "= tie"}


def _fmt(v, sig: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    v = float(v)
    return f"{v:,.0f}" if abs(v) >= 10**sig else f"{v:.{sig}g}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def protocol_lines(manifest: dict) -> list[str]:
    """One markdown bullet per target: query, truth, and the upper-bound warning when they coincide."""
    out = []
    for t in manifest["targets"]:
        text = t.get("protocol_text") or f"query = truth = {t['metric']}"
        loud = t.get("protocol") == "oracle = truth: noise-free upper bound"
        out.append(f"- `{t['benchmark_id']}` / `{t['dataset']}`: " + (f"**{text}**" if loud else text))
    return out


def headline_table(summary, reference: str | None) -> str:
    """Markdown: a row per (benchmark, dataset, budget, method): spend and the headline metrics' mean with 95 %
    bootstrap interval."""
    if summary is None or summary.empty:
        return "_no finished cells_\n"
    cols = [(c, h) for c, h in MEASURES if f"{c}_mean" in summary.columns and summary[f"{c}_mean"].notna().any()]
    head = ["benchmark", "dataset", "budget", "method", "queries spent"] + [h for _, h in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 4 + ["--:"] * (len(head) - 4)) + "|"]
    for _, r in summary.iterrows():
        if not isinstance(r.get("queries_mean"), float) or math.isnan(r["queries_mean"]):
            continue  # the search-only `full` rows
        spend = _fmt(r["queries_mean"])
        if bool(r.get("spend_flag", False)):
            spend += f" ⚠ {_fmt(100 * r['spend_ratio'], 2)} %"
        name = f"**{r['method']}**" if r["method"] == reference else str(r["method"])
        cells = [str(r["benchmark"]), str(r["dataset"]), f"{int(r['budget']):,}", name, spend]
        for c, _ in cols:
            lo, hi = r.get(f"{c}_ci_low"), r.get(f"{c}_ci_high")
            ci = "" if lo is None or (isinstance(lo, float) and math.isnan(lo)) else f" [{_fmt(lo)}, {_fmt(hi)}]"
            cells.append(_fmt(r[f"{c}_mean"]) + ci)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def wins_table(comparisons) -> str:
    """Markdown: per (benchmark, dataset, budget), a row per method, a column per measure: better / tie / worse
    than the reference (Holm-adjusted p in brackets when significant)."""
    if comparisons is None or comparisons.empty:
        return "_no paired comparison (one method, or one seed)_\n"
    measures = [m for m, _ in MEASURES if m in set(comparisons["measure"])]
    head = ["benchmark", "dataset", "budget", "method"] + [_LABEL[m] for m in measures]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    for (b, d, budget, method), g in comparisons.groupby(["benchmark", "dataset", "budget", "method"], sort=False):
        by = g.set_index("measure")
        cells = []
        for m in measures:
            if m not in by.index:
                cells.append("–")
                continue
            r = by.loc[m]
            cells.append(_SYMBOL[r["outcome"]] + ("" if r["outcome"] == "tie" else f" ({r['p_holm']:.2g})"))
        lines.append("| " + " | ".join([str(b), str(d), f"{int(budget):,}", str(method)] + cells) + " |")
    return "\n".join(lines) + "\n"


def findings(comparisons, protocols: dict[tuple[str, str], str] | None = None) -> list[str]:
    """One sentence per (target, budget) from the paired tests: where the reference is significantly better or
    worse than each other method, and that the rest showed no significant difference."""
    out = []
    if comparisons is None or comparisons.empty:
        return out
    order = [m for m, _ in MEASURES]
    for (b, d, budget), g in comparisons.groupby(["benchmark", "dataset", "budget"], sort=False):
        where = f"{b} / {d}, budget {int(budget):,}" + (f" ({protocols[(b, d)]})" if protocols and
                                                         (b, d) in protocols else "")
        ref, n = g["reference"].iloc[0], int(g["n"].max())
        parts = []
        for outcome, verb in (("worse", "better than"), ("better", "worse than")):
            per = []
            for method, gm in g[g["outcome"] == outcome].groupby("method", sort=False):
                gm = gm.sort_values("measure", key=lambda s: s.map(lambda x: order.index(x) if x in order else 99))
                on = _and([f"{_LABEL.get(r.measure, r.measure)} ({_fmt(r.reference_mean)} vs {_fmt(r.method_mean)})"
                           for r in gm.itertuples()])
                per.append(f"{method} on {on}")
            if per:
                parts.append(f"{verb} " + "; ".join(per))
        measures = _and(sorted({_LABEL.get(m, m) for m in g["measure"]}, key=lambda x: [*_LABEL.values()].index(x)
                               if x in _LABEL.values() else 99))
        if parts:
            out.append(f"{where}: {ref} is " + ", and ".join(parts) + "; every other difference in " + measures
                       + f" is not significant ({n} paired seeds, Holm-adjusted Wilcoxon, α = 0.05).")
        else:
            out.append(f"{where}: no significant difference between {ref} and any other method in {measures} "
                       f"({n} paired seeds, Holm-adjusted Wilcoxon, α = 0.05).")
    return out


CAVEATS = (
    "`coverage`, `entropy` and `pockets` describe how spread S′ is, not how good: `coverage` is 1 for any single "
    "radius-1 ball, and a random subset scores the most `pockets` and the highest `entropy`. The claim \"many "
    "pockets of good networks\" is tested by `good_pockets`, `top_components_hit` and `optima_kept`, which count "
    "only the true top-q set (docs/metrics.md).",
    "Kendall τ over S′ suffers from range restriction: ranking a proxy inside a small space of similar networks is "
    "harder than over the whole space, so a poor but wide S′ can show a higher τ than a good narrow one.",
)
