"""``report.md`` of a comparison: what was run, the summary table (mean ± std over seeds) and the figures.

Everything in it is computed from the results folder's own tables, so ``rebuild`` regenerates it exactly;
``docs/report.md`` explains how to read it.

>>> import pandas as pd
>>> from lissnas_bench.report import summary_markdown
>>> print(summary_markdown(pd.read_csv("results/demo/summary.csv")))   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from pathlib import Path

from ._io import write_text_atomic

log = logging.getLogger(__name__)

#: the columns of the summary table, in order, with their headers (a column is shown when the run has it)
TABLE_COLUMNS = (
    ("size", "size of S′"),
    ("log10_reduction", "log10 reduction"),
    ("mean", "mean f"),
    ("best", "best f"),
    ("regret", "regret"),
    ("recall", "recall@q"),
    ("enrichment", "enrichment"),
    ("shrink_index", "shrink index"),
    ("good_pockets", "good pockets"),
    ("top_components_hit", "top comp. hit"),
    ("optima_kept", "optima kept"),
    ("coverage", "coverage"),
    ("entropy", "entropy"),
    ("pockets", "pockets"),
    ("kendall_tau_shrunk", "τ over S′"),
    ("queries", "queries"),
)

_FIGURE_TEXT = {
    "quality_vs_spend": "Quality against what each method actually spent: a point per method and budget at its mean "
                        "number of distinct queries (x), with the 95 % bootstrap interval of the metric's mean; lines "
                        "join a method's budgets. The reference method is drawn on top.",
    "distribution": "Distribution of f over the full space S (hollow) and over each method's S′ (all seeds pooled; "
                    "a sample of S′ where it is large). Bars: interquartile range; dot: median. The f axis starts "
                    "at the 5th percentile of S (stated under the axis) so the upper part stays readable; the "
                    "violins use all values.",
    "size_tradeoff": "Size of S′ (log axis) against the mean of f over S′ (left; dashed: the mean over the full "
                     "space S, whose size is in the title) and against the regret (right), one point per seed. "
                     "LISSNAS, the reference, is drawn on top as filled dots and the other methods as rings, so "
                     "coinciding points stay visible. Up-left is better on the left panel, down-left on the right "
                     "one.",
    "diversity": "Diversity of S′, a row per method: share of (position, choice) pairs kept, mean normalised "
                 "per-position entropy, mean pairwise normalised distance, and the number of connected pockets "
                 "(log axis). Dot: mean over seeds; line: its 95 % percentile-bootstrap interval, which stays "
                 "inside [0, 1] for the bounded measures.",
    "retention": "Share of seeds whose S′ keeps each (position, choice): rows are positions, columns the space's "
                 "choices by name (positions offering different choices get their own block). "
                 "Yellow everywhere = nothing pruned; dark cells = choices a method removes on most seeds.",
    "trace": "LISSNAS iterations: the mean of f over the iteration's sample (left) and |S_t| (right), a line per "
             "seed through its accepted iterations (filled); hollow markers are iterations that did not improve, "
             "were rejected and discarded.",
    "kendall": "Kendall τ-b between the proxy and f over each S′ (bars: mean over seeds, 95 % percentile-"
               "bootstrap interval) and over the full space S (dashed). Range restriction: ranking inside a small "
               "space of similar networks is harder than over the whole space, so a poor but wide S′ can show a "
               "higher τ than a good narrow one; compare τ only between spaces of similar size and spread.",
    "search_regret": "Search after shrinking: regret (max f over S − best f found) against total queries, the "
                     "shrinker's included (mean and 95 % t-interval over seeds), a panel per optimizer, a line per "
                     "shrinker, LISSNAS (thicker) on top; `full` (dashed) searches the whole space with the same "
                     "total budget. Left of the dotted line (the shrink budget) the curves show the shrinker's own "
                     "incumbent.",
}
_FIGURE_ORDER = ("quality_vs_spend", "size_tradeoff", "distribution", "diversity", "retention", "trace", "kendall",
                 "search_regret")
_SEARCH_COL = re.compile(r"^search_regret@(\d+)\[(.+)\]_mean$")


def fmt(v, sig: int = 4) -> str:
    """A number for a table: ``sig`` significant digits, thousands separators for large values, ``–`` for NaN."""
    if v is None:
        return "–"
    v = float(v)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if abs(v) >= 10**sig:
        return f"{v:,.0f}"
    return f"{v:.{sig}g}"


def mean_std(mean, std) -> str:
    """``mean ± std``; the std alone is dropped when undefined (one seed), and shown as 0 when it is only
    floating-point noise (identical values summed in a different order)."""
    if std is None or (isinstance(std, float) and math.isnan(std)):
        return fmt(mean)
    if abs(std) <= 1e-9 * max(1.0, abs(float(mean)) if mean == mean else 1.0):
        std = 0.0
    return f"{fmt(mean)} ± {fmt(std, 2)}"


def parse_fmt(s: str) -> float:
    """Inverse of ``fmt`` (up to its rounding); used by tests and by readers of the markdown table."""
    s = s.strip()
    if s in ("–", ""):
        return math.nan
    return float(s.replace(",", "").replace("∞", "inf"))


def table_columns(summary) -> list[tuple[str, str]]:
    """``(column, header)`` of the summary table: ``TABLE_COLUMNS`` the run has, then (a comparison with search)
    ``search_regret@B[opt]`` per optimizer, B the total search budget."""
    cols = [(c, h) for c, h in TABLE_COLUMNS if f"{c}_mean" in summary.columns
            and summary[f"{c}_mean"].notna().any()]
    return cols + search_columns(summary)


def search_columns(summary) -> list[tuple[str, str]]:
    """``(search_regret@B[opt], header)`` per optimizer in the summary (B = its largest checkpoint)."""
    found: dict[str, int] = {}
    for c in summary.columns:
        m = _SEARCH_COL.match(str(c))
        if m:
            found[m.group(2)] = max(found.get(m.group(2), 0), int(m.group(1)))
    out = []
    for opt, q in found.items():
        c = f"search_regret@{q}[{opt}]"
        if summary[f"{c}_mean"].notna().any():
            out.append((c, f"search regret@{q} [{opt}]"))
    return out


def summary_markdown(summary) -> str:
    """The summary table as GitHub markdown: a row per (benchmark, dataset, method), cells ``mean ± std``."""
    if summary is None or len(summary) == 0:
        return "_no finished cells_\n"
    cols = table_columns(summary)
    budgets = "budget" in summary.columns and summary["budget"].nunique() > 1
    head = ["benchmark", "dataset", "method", "seeds"] + (["budget"] if budgets else []) + [h for _, h in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 3 + ["--:"] * (len(head) - 3)) + "|"]
    for _, r in summary.iterrows():
        cells = [str(r["benchmark"]), str(r["dataset"]), f"**{r['method']}**" if r["method"] == "lissnas"
                 else str(r["method"]), str(int(r["n_seeds"]))] + ([f"{int(r['budget']):,}"] if budgets else [])
        for c, _ in cols:
            cells.append(mean_std(r[f"{c}_mean"], r.get(f"{c}_std", math.nan)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def parse_summary_markdown(text: str):
    """Read back the first summary table of a report (``(header, rows)`` of strings); for tests and tools."""
    lines = [ln.strip() for ln in text.splitlines()]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("| benchmark | dataset | method |"))
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = []
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip().strip("*") for c in ln.strip("|").split("|")])
    return header, rows


def _config_lines(manifest: dict) -> list[str]:
    cfg = manifest["config"]
    seeds = cfg["seeds"]
    seeds_text = (f"{len(seeds)} per (benchmark, dataset)" + ("" if seeds == list(range(len(seeds)))
                                                               else f" (indices {', '.join(map(str, seeds))})"))
    lines = [
        "- **benchmarks**: " + "; ".join(
            f"`{t['benchmark_id']}` / `{t['dataset']}` (metric `{t['metric']}`, |S| = {t['space_size']:,}"
            + (f", proxy `{t['proxy']}`" if t.get("proxy") else "") + ")" for t in manifest["targets"]),
        "- **methods**: " + ", ".join(f"`{v['label']}`" for v in cfg["shrinkers"]),
        f"- **seeds**: {seeds_text}, derived from root seed {cfg['root_seed']} with `numpy.random.SeedSequence`",
        f"- **budget**: {', '.join(f'{b:,}' for b in cfg['budgets'])} distinct queries per method and seed "
        f"(the most a method may spend; each row reports what it spent); **q** = {cfg['q']:g} "
        f"(top-q fraction T_q for recall/precision/enrichment)",
    ]
    if cfg.get("reference"):
        lines.append(f"- **reference**: the size-matched baselines copy |S′| of `{cfg['reference']['label']}` in "
                     "the same cell")
    if cfg.get("optimizers"):
        opts = ", ".join(f"`{o['label']}`" for o in cfg["optimizers"])
        lines.append(
            f"- **search**: {opts} after every shrink, inside S′, "
            f"continuing the shrinker's oracle up to {cfg['search_budget']:,} distinct queries per cell in total (the "
            f"shrinker's included); `full` = the same optimizers on the whole space with the same total budget")
    lines.append(f"- **configuration hash**: `{manifest['config_hash']}`")
    params = {**(manifest.get("methods") or {}), **(manifest.get("optimizers") or {})}
    if params:
        lines.append("- **parameters**:")
        for m, p in params.items():
            shown = ", ".join(f"{k}={v}" for k, v in p.items()) or "defaults"
            lines.append(f"  - `{m}`: {shown}")
    v = manifest.get("versions") or {}
    lines.append("- **versions**: python " + manifest.get("python", "?") + ", "
                 + ", ".join(f"{k} {val}" for k, val in v.items() if val))
    lines.append("- **data hashes**: " + ", ".join(
        f"`{t['benchmark_id']}` {t['data_hash'][:12]}" for t in
        {t["benchmark_id"]: t for t in manifest["targets"]}.values()))
    return lines


def _statistics_lines(manifest: dict, summary, comparisons) -> list[str]:
    from . import narrative

    ref = manifest.get("statistics_reference")
    protocols = {(t["benchmark_id"], t["dataset"]): t.get("protocol_text", "") for t in manifest["targets"]}
    out = ["## Protocol", "", "What the shrinkers and searches saw (the query) and what judged them (the truth):", ""]
    out += narrative.protocol_lines(manifest) + [""]
    out += ["## Headline (mean and 95 % bootstrap interval over seeds)", "", narrative.headline_table(summary, ref),
            f"Queries spent: the mean number of distinct architectures each method queried; ⚠ marks a method whose "
            f"spend is more than 5 % away from the reference `{ref}`'s (a `random` subset queries nothing by "
            "design).", ""]
    out += [f"## Who wins where (each method against `{ref}`)", "", narrative.wins_table(comparisons),
            "Paired Wilcoxon signed-rank tests over seeds (methods share each seed's stream), Holm-adjusted across "
            "every comparison of this report; ▲/▼ = significantly better/worse than the reference at α = 0.05 "
            "(adjusted p in brackets), = no significant difference.", ""]
    sentences = narrative.findings(comparisons, protocols)
    if sentences:
        out += ["## Findings", "", "Generated from the tests above:", ""] + [f"- {s}" for s in sentences] + [""]
    out += ["## What the metrics reward", ""] + [f"- {c}" for c in narrative.CAVEATS] + [""]
    return out


def render_report(manifest: dict, results, summary, figures: dict[str, dict[str, str]], comparisons=None) -> str:
    out = ["# Search-space shrinkage: comparison report", ""]
    out.append("Generated by `lissnas-bench` from this folder's `cells/`; every number below comes from "
               "`results.parquet`, `summary.csv` and `comparisons.csv`. See `docs/report.md` in the repository for "
               "how to read every column and figure.")
    out += ["", "## Setup", ""] + _config_lines(manifest) + [""]
    done, total = len(results), manifest["cells"]["total"]
    if done < total:
        out += [f"> **Incomplete**: {done} of {total} cells finished; re-run the same command to resume.", ""]
    if "_all" in figures and "overview" in figures["_all"]:
        out += ["## Overview", "", f"![overview]({figures['_all']['overview']})", "",
                "Size of S′ against the mean of f over S′ per benchmark, a point per method and seed; dashed: the "
                "mean over the full space S (its size in each panel's title). LISSNAS is drawn on top as filled "
                "dots, the other methods as rings.", ""]
    out += _statistics_lines(manifest, summary, comparisons)
    out += ["## Summary (mean ± std over seeds)", "", summary_markdown(summary)]
    out.append("Columns: size of S′ = |S′|; log10 reduction = log10(|S|/|S′|); mean / best f over S′ "
               "(exact when S′ can be enumerated); regret = max_S f − max_S′ f; recall@q = share of the true "
               "top-q architectures kept; enrichment = precision / q; shrink index and diversity as defined "
               "in `docs/metrics.md`; queries = distinct architectures queried.")
    search = manifest["config"].get("optimizers")
    if search:
        B = manifest["config"]["search_budget"]
        out.append("")
        out.append(f"Search columns: search regret@{B} [opt] = max_S f − the best f found after {B:,} queries in "
                   f"total (shrink + search) by optimizer opt searching S′ (`results.parquet` also has the "
                   f"regret at {B // 2:,} and {B // 4:,} queries, the best f, and the queries per phase). The "
                   "`full` row is no shrinker: the same optimizers on the whole space with the same total budget; "
                   "a shrinker helps the search when its search regret is below `full`'s.")
    out.append("")
    for t in manifest["targets"]:
        figs = figures.get(t["key"], {})
        if not figs:
            continue
        out += [f"## {t['benchmark_id']} / {t['dataset']} (`{t['metric']}`)", ""]
        for name in _FIGURE_ORDER:
            if name in figs:
                out += [f"![{name}]({figs[name]})", "", _FIGURE_TEXT[name], ""]
    out += ["## Files", "",
            "`results.parquet` (a row per method × seed), `summary.csv`, `traces.parquet`, "
            "`distributions.parquet`, " + ("`curves.parquet` (the searches' anytime curves), " if search else "")
            + "`manifest.json`, `spaces/*.json` (each shrunk space, loadable with "
            "`lissnas_bench.shrinkers.load_shrunk`), `figures/*.png` (and SVG / PDF when asked for).", ""]
    return "\n".join(out)


def write_report(out, *, manifest: dict, results, summary, figures: dict[str, dict[str, str]],
                 comparisons=None) -> Path:
    path = Path(out) / "report.md"
    write_text_atomic(path, render_report(manifest, results, summary, figures, comparisons))
    return path


def publish(out, plan=None, *, figures: bool = True, workers: int = 1, options=None, early=None) -> Path:
    """Draw the figures of a results folder (its tables must be written) and write its ``report.md``.
    ``early``: the run's ``EarlyFigures``, whose targets are drawn already (or being drawn) in its processes.

    >>> from lissnas_bench.report import publish
    >>> publish("results/demo")                                  # doctest: +SKIP
    """
    import json
    import time

    import pandas as pd

    from .experiments import ResultsFolder, prepare

    folder = ResultsFolder(out)
    man = json.loads(folder.manifest.read_text())
    if plan is None:
        from .experiments import Experiment

        plan = prepare(Experiment.from_dict(man["config"]))
    results = pd.read_parquet(folder.results)
    summary = pd.read_csv(folder.summary)
    figs: dict = {}
    if figures and len(results):
        from ._figures import draw_figures
        from .plots.style import current_options

        # resolved here (or when the run started, for ``early``): figure processes do not see this context
        options = early.options if early is not None else options or current_options()
        t0 = time.perf_counter()
        with _pool(max(workers, options.workers)) as pool:
            figs = draw_figures(folder.root, man, plan, options, early.pool if early is not None else pool, early)
        log.info("%d figures drawn in %.1f s", sum(len(v) for v in figs.values()), time.perf_counter() - t0)
    comparisons = pd.read_csv(folder.comparisons) if folder.comparisons.exists() else None
    return write_report(folder.root, manifest=man, results=results, summary=summary, figures=figs,
                        comparisons=comparisons)


def early_figures(options=None):
    """An ``EarlyFigures`` drawing in the innermost ``figure_workers`` processes, or ``None`` outside them (then
    every figure is drawn by ``publish``, after the cells)."""
    if not _WARM_POOL:
        return None
    from ._figures import EarlyFigures
    from .plots.style import current_options

    return EarlyFigures(_WARM_POOL[-1], options or current_options())


#: figure processes started ahead by ``figure_workers`` (``publish`` draws in them instead of its own)
_WARM_POOL: list = []


@contextlib.contextmanager
def figure_workers(n: int):
    """Start ``n`` figure processes now, so that their imports overlap whatever the block computes; every
    ``publish`` in the block draws in them (same files as drawing in this process), and a run started in the
    block by ``api`` draws each target there as soon as its cells are done (``early_figures``).

    >>> with figure_workers(2):                                                 # doctest: +SKIP
    ...     run_comparison(cfg, "results/x")
    """
    from .plots._worker import warm_pool

    pool = warm_pool(n)
    _WARM_POOL.append(pool)
    try:
        yield pool
    finally:
        _WARM_POOL.remove(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def _pool(workers: int):
    import concurrent.futures as cf
    import multiprocessing as mp

    if _WARM_POOL:
        return contextlib.nullcontext(_WARM_POOL[-1])
    if workers <= 1:
        return contextlib.nullcontext(None)
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))
