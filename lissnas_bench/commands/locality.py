"""``locality``: do structurally similar architectures perform similarly?  (Thin: calls ``lissnas_bench.locality``.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import (ArchColOpt, DatasetOpt, DpiOpt, FontSizeOpt, FormatOpt, JsonOpt, MetricOpt, SpaceOpt, TableOpt,
                      figure_options, open_benchmark, print_json)

#: where results go unless --out says otherwise (never into the source tree's own folders)
DEFAULT_ROOT = Path("results") / "locality"

BenchArg = Annotated[
    Optional[str], typer.Argument(help="Benchmark id or table path (or use --table).", show_default=False)
]
MaxDistanceOpt = Annotated[Optional[int], typer.Option(
    "--max-distance", "-k", help="Largest distance / lag K (default: 6 or the space's diameter if smaller).",
    show_default=False)]
SamplesOpt = Annotated[int, typer.Option(
    "--samples", "-n", help="Pairs per distance: drawn for the |Δf| distributions (exact mode) or for every "
    "estimate (sampled mode).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of every random choice (>= 0).")]
OutOpt = Annotated[Optional[Path], typer.Option(
    "--out", "-o", help="Output folder for locality.json, figures and report.md (default: "
    "results/locality/BENCH-DATASET, plus -METRIC when not the benchmark's default metric).", show_default=False)]
DistanceOpt = Annotated[str, typer.Option(
    "--distance", help="hamming (canonical encoding) or ged (graph edit distance, graph spaces, sampled pairs "
    "only: slow).")]
CompareOpt = Annotated[Optional[str], typer.Option(
    "--compare", help="Analyse several side by side: BENCH[:DATASET[:METRIC]],... e.g. "
    "nasbench-graph:cora,nasbench-graph:citeseer,analognas (BENCH, if given, comes first).", show_default=False)]
ModeOpt = Annotated[str, typer.Option("--mode", help="auto, exact or sampled.")]
WalksOpt = Annotated[int, typer.Option(
    "--walks", help="Random walks for the walk estimate of the autocorrelation (exact mode).")]
WalkLengthOpt = Annotated[Optional[int], typer.Option(
    "--walk-length", help="Steps per walk (default 500 in exact mode, max(20, 2K) in sampled mode).",
    show_default=False)]
PermutationsOpt = Annotated[int, typer.Option("--permutations", help="Permutations of the test.")]
BootstrapOpt = Annotated[int, typer.Option("--bootstrap", help="Bootstrap replicates of the intervals.")]
MaximizeOpt = Annotated[Optional[bool], typer.Option(
    "--maximize/--minimize", help="Direction of the metric (default: minimise losses, errors, latency, params, "
    "...; maximise the rest).", show_default=False)]
GedTimeoutOpt = Annotated[float, typer.Option("--ged-timeout", help="Seconds per graph edit distance.")]
FiguresOpt = Annotated[bool, typer.Option("--figures/--no-figures", help="Draw the figures.")]
YesOpt = Annotated[bool, typer.Option(
    "--yes", help="Run even when the memory or work estimate is over the limits (4 GiB, 5e11 operations).")]


def register(app: typer.Typer) -> None:
    app.command("locality")(locality)


def locality(
    bench: BenchArg = None, dataset: DatasetOpt = None, metric: MetricOpt = None, table: TableOpt = None,
    space: SpaceOpt = None, arch_column: ArchColOpt = None, max_distance: MaxDistanceOpt = None,
    samples: SamplesOpt = 1000, seed: SeedOpt = 0, out: OutOpt = None, distance: DistanceOpt = "hamming",
    compare: CompareOpt = None, mode: ModeOpt = "auto", walks: WalksOpt = 100, walk_length: WalkLengthOpt = None,
    permutations: PermutationsOpt = 999, bootstrap: BootstrapOpt = 1000, maximize: MaximizeOpt = None,
    ged_timeout: GedTimeoutOpt = 1.0, figures: FiguresOpt = True, yes: YesOpt = False, fmt: FormatOpt = None,
    dpi: DpiOpt = None, font_size: FontSizeOpt = None, json_out: JsonOpt = False,
) -> None:
    """Locality of a benchmark's landscape: |Δf| and correlation by distance, random-walk autocorrelation,
    fitness-distance correlation, neighbour enrichment, local optima, and a permutation test.

    Exact where every tabulated architecture and all pairs can be enumerated (NB201, Macro, Graph), stated
    sampling elsewhere.  Writes locality.json, report.md and (unless --no-figures) figures (--format, PNG by default) into --out.
    """
    kwargs = {
        "max_distance": max_distance, "samples": samples, "seed": seed, "distance": distance, "mode": mode,
        "walks": walks, "walk_length": walk_length, "permutations": permutations, "bootstrap": bootstrap,
        "maximize": maximize, "ged_timeout": ged_timeout, "allow_large": yes,
    }
    opts = figure_options(fmt, dpi, font_size)
    if compare is not None:
        _compare(compare, bench, table, dataset, metric, space, arch_column, kwargs, out, figures, json_out, opts)
        return
    from ..locality import analyze_locality, write_locality_report

    b = open_benchmark(bench, table, space, arch_column)
    res = analyze_locality(b, dataset, metric, **kwargs)
    target = out or default_out(res, b.resolve(res.dataset, None)[1])
    paths = write_locality_report(res, target, figures=figures, options=opts)
    if json_out:
        print_json({**res.to_dict(), "out": str(target)})
        return
    _show(res, target, paths)


def default_out(res, default_metric: str) -> Path:
    """``results/locality/BENCH-DATASET`` (``-METRIC`` added when it is not the dataset's default metric)."""
    name = f"{res.benchmark}-{res.dataset}" + ("" if res.metric == default_metric else f"-{res.metric}")
    return DEFAULT_ROOT / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "locality")


def _compare(compare, bench, table, dataset, metric, space, arch_column, kwargs, out, figures, json_out,
             opts=None) -> None:
    from ..locality import CompareItem, compare_locality, parse_compare, write_compare_report
    from ..locality.report import slug

    items = parse_compare(compare)
    first = str(table) if table is not None else bench
    if first is not None:
        items.insert(0, CompareItem(first, dataset, metric))
    results = compare_locality(items, space=space, arch_column=arch_column, **kwargs)
    target = out or DEFAULT_ROOT / ("compare-" + "_".join(slug(r) for r in results))[:120]
    paths = write_compare_report(results, target, figures=figures, options=opts)
    if json_out:
        print_json({"compare": [r.to_dict() for r in results], "out": str(target)})
        return
    for r in results:
        typer.echo(r.summary_line())
    typer.echo(f"wrote {paths['report']}")


def _show(res, target: Path, paths: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    def g(x, nd=4):
        return "–" if x is None or x != x else f"{x:.{nd}g}"  # noqa: PLR0124  (x != x: NaN)

    t = Table(title=f"locality · {res.label} · {res.mode}" + (" · GED" if res.distance == "ged" else ""))
    for col in ("d / lag", "pairs", "mean |Δf|", "corr", "RWA ρ"):
        t.add_column(col, justify="right")
    for k, d in enumerate(res.distances):
        t.add_row(str(d), g(res.pairs_by_distance[k], 9), g(res.mean_abs_diff_by_distance[k]),
                  g(res.correlation_by_distance[k], 3), g(res.rwa_by_lag[k], 3))
    t.add_row("random", "", g(res.random_pair_mean_abs_diff), "0", "")
    con = Console()
    con.print(t)
    con.print(
        f"correlation length {g(res.correlation_length, 3)} · FDC {g(res.fdc, 3)} · local optima "
        f"{g(float(res.local_optima), 6)} (chance {g(res.local_optima_chance, 5)}) · permutation p = "
        f"{g(res.p_value, 3)}"
    )
    for n in res.notes:
        con.print(f"[dim]note: {n}[/dim]")
    figures = len(paths) - 2  # everything but locality.json and report.md
    con.print(f"wrote {target}/locality.json, report.md" + (f" and {figures} figures" if figures else " (no figures)"))
