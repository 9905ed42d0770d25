"""``locality``: do structurally similar architectures perform similarly?  (Thin: calls ``lissnas_bench.locality``.)"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import ArchColOpt, DatasetOpt, JsonOpt, MetricOpt, SpaceOpt, TableOpt, open_benchmark, print_json


def register(app: typer.Typer) -> None:
    app.command("locality")(locality)


def locality(
    bench: Annotated[
        Optional[str], typer.Argument(help="Benchmark id or table path (or use --table).", show_default=False)
    ] = None,
    dataset: DatasetOpt = None,
    metric: MetricOpt = None,
    table: TableOpt = None,
    space: SpaceOpt = None,
    arch_column: ArchColOpt = None,
    max_distance: Annotated[
        Optional[int],
        typer.Option(
            "--max-distance",
            "-k",
            help="Largest distance / lag K (default: 6 or the space's diameter if smaller).",
            show_default=False,
        ),
    ] = None,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            "-n",
            help="Pairs per distance: drawn for the |Δf| "
            "distributions (exact mode) or for every estimate (sampled mode).",
        ),
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random choice.")] = 0,
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out",
            "-o",
            help="Output folder for locality.json, figures and report.md (default: ./locality/BENCH-DATASET-METRIC).",
            show_default=False,
        ),
    ] = None,
    distance: Annotated[
        str,
        typer.Option(
            "--distance",
            help="hamming (canonical encoding) or ged (graph edit distance, graph spaces, sampled pairs only: slow).",
        ),
    ] = "hamming",
    compare: Annotated[
        Optional[str],
        typer.Option(
            "--compare",
            help="Analyse several side by side: "
            "BENCH[:DATASET[:METRIC]],... e.g. nasbench-graph:cora,nasbench-graph:citeseer,analognas "
            "(BENCH, if given, comes first).",
            show_default=False,
        ),
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="auto, exact or sampled.")] = "auto",
    walks: Annotated[
        int, typer.Option("--walks", help="Random walks for the walk estimate of the autocorrelation (exact mode).")
    ] = 100,
    walk_length: Annotated[
        Optional[int],
        typer.Option(
            "--walk-length", help="Steps per walk (default 500 in exact mode, 20 in sampled mode).", show_default=False
        ),
    ] = None,
    permutations: Annotated[int, typer.Option("--permutations", help="Permutations of the test.")] = 999,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap replicates of the intervals.")] = 1000,
    maximize: Annotated[
        Optional[bool],
        typer.Option(
            "--maximize/--minimize",
            help="Direction of the metric (default: minimise losses, errors, latency, params, ...; maximise the rest).",
            show_default=False,
        ),
    ] = None,
    ged_timeout: Annotated[float, typer.Option("--ged-timeout", help="Seconds per graph edit distance.")] = 1.0,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="Draw the figures.")] = True,
    json_out: JsonOpt = False,
) -> None:
    """Locality of a benchmark's landscape: |Δf| and correlation by distance, random-walk autocorrelation,
    fitness-distance correlation, neighbour enrichment, local optima, and a permutation test.

    Exact where every tabulated architecture and all pairs can be enumerated (NB201, Macro, Graph), stated
    sampling elsewhere.  Writes locality.json, figures (PNG + SVG) and report.md into --out.
    """
    from ..locality import (
        analyze_locality,
        compare_locality,
        parse_compare,
        write_compare_report,
        write_locality_report,
    )
    from ..locality.report import slug

    kwargs = dict(
        max_distance=max_distance,
        samples=samples,
        rng=seed,
        distance=distance,
        mode=mode,
        walks=walks,
        walk_length=walk_length,
        permutations=permutations,
        bootstrap=bootstrap,
        maximize=maximize,
        ged_timeout=ged_timeout,
    )
    if compare is not None:
        items = parse_compare(compare)
        if table is not None:
            from ..locality import CompareItem

            items.insert(0, CompareItem(str(table), dataset, metric))
        elif bench is not None:
            from ..locality import CompareItem

            items.insert(0, CompareItem(bench, dataset, metric))
        results = compare_locality(items, space=space, arch_column=arch_column, **kwargs)
        target = out or Path("locality") / ("compare-" + "_".join(slug(r) for r in results))[:120]
        paths = write_compare_report(results, target, figures=figures)
        if json_out:
            print_json({"compare": [r.to_dict() for r in results], "out": str(target)})
            return
        for r in results:
            typer.echo(r.summary_line())
        typer.echo(f"wrote {paths['report']}")
        return

    b = open_benchmark(bench, table, space, arch_column)
    res = analyze_locality(b, dataset, metric, **kwargs)
    target = out or Path("locality") / slug(res)
    write_locality_report(res, target, figures=figures)
    if json_out:
        d = res.to_dict()
        d["out"] = str(target)
        print_json(d)
        return
    _show(res, target)


def _show(res, target: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    def g(x, nd=4):
        return "–" if x is None or x != x else f"{x:.{nd}g}"

    t = Table(title=f"locality · {res.label} · {res.mode}" + (" · GED" if res.distance == "ged" else ""))
    for col in ("d / lag", "pairs", "mean |Δf|", "corr", "RWA ρ"):
        t.add_column(col, justify="right")
    for k, d in enumerate(res.distances):
        t.add_row(
            str(d),
            g(res.pairs_by_distance[k], 9),
            g(res.mean_abs_diff_by_distance[k]),
            g(res.correlation_by_distance[k], 3),
            g(res.rwa_by_lag[k], 3),
        )
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
    con.print(f"wrote {target}/locality.json, report.md and figures")
