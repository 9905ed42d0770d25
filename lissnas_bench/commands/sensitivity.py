"""``sensitivity``: LISSNAS's parameters swept on one target, drawn as heatmaps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import (ArchColOpt, CostColOpt, DpiOpt, FontSizeOpt, FormatOpt, JsonOpt, MetricOpt, QueryMetricOpt,
                      RestrictOpt, SpaceOpt, TableOpt, YesOpt, figure_options, print_json)


def register(app: typer.Typer) -> None:
    app.command("sensitivity")(sensitivity)


def sensitivity(
    bench: Annotated[Optional[str], typer.Argument(help="Benchmark id; omit with --table.", show_default=False)] = None,
    dataset: Annotated[Optional[str], typer.Option("--dataset", "-d", help="Dataset (default: the benchmark's).",
                                                   show_default=False)] = None,
    metric: MetricOpt = None,
    query_metric: QueryMetricOpt = None,
    restrict_domain: RestrictOpt = False,
    vary: Annotated[list[str], typer.Option(
        "--vary", help="A LISSNAS parameter and its values, NAME=V1,V2,... (once or twice), e.g. --vary k=5,10,20 "
                       "--vary radius=1,2.")] = ["k=5,10,20", "radius=1,2"],  # noqa: B006 - typer's default
    fix: Annotated[Optional[list[str]], typer.Option(
        "--fix", help="Another LISSNAS parameter held at a value, NAME=VALUE (repeatable), e.g. --fix n=200.",
        show_default=False)] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds per grid point.")] = 5,
    budget: Annotated[int, typer.Option("--budget", "-b", help="Distinct queries per shrink.")] = 1000,
    q: Annotated[float, typer.Option("--q", help="Top fraction T_q for recall and good pockets.")] = 0.01,
    root_seed: Annotated[int, typer.Option("--seed", help="Root seed.")] = 0,
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Results folder (default: results/sensitivity/<benchmark>-<dataset>).",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Clear an out folder holding another configuration.")] = False,
    workers: Annotated[int, typer.Option("--workers", "-j", help="Processes (results do not depend on it).")] = 1,
    table: TableOpt = None,
    space: SpaceOpt = None,
    arch_column: ArchColOpt = None,
    cost_column: CostColOpt = None,
    yes: YesOpt = False,
    fmt: FormatOpt = None, dpi: DpiOpt = None, font_size: FontSizeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """How LISSNAS's recall, |S'|, good pockets and spend depend on its parameters (heatmaps, one target)."""
    from ..api import run_sensitivity
    from ..errors import InvalidConfig
    from ..experiments import Target
    from ..experiments.plan import safe_name
    from ..experiments.sensitivity import parse_grid

    if (table is None) == (bench is None):
        raise InvalidConfig("name one benchmark, or pass --table PATH --space S --arch-column C")
    source = str(table) if table is not None else bench
    grid = parse_grid(vary)
    fixed = {k: v[0] for k, v in parse_grid(fix or []).items()}
    target = Target(source, dataset, metric, None, space, arch_column, cost_column, query_metric, restrict_domain)
    if out is None:
        out = Path("results") / "sensitivity" / safe_name(f"{Path(source).stem}-{dataset or 'default'}")
    res = run_sensitivity(target, grid, fixed, out, seeds=seeds, budget=budget, q=q, root_seed=root_seed,
                          force=force, workers=workers, allow_large=yes,
                          figure_options=figure_options(fmt, dpi, font_size))
    if json_out:
        print_json({"out": str(out), "table": res["table"].to_dict(orient="records"), "figure": res["figure"]})
        return
    _print_result(res, source, seeds, out)


def _print_result(res: dict, source: str, seeds: int, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"LISSNAS sensitivity on {source} ({res['protocol']}), mean over {seeds} seeds",
              title_justify="left")
    for c in res["table"].columns:
        t.add_column(c.replace("_mean", ""), justify="right")
    for _, r in res["table"].iterrows():
        t.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in r])
    c = Console()
    c.print(t)
    c.print(f"figure: {res['figure']}\nreport: {Path(out) / 'report.md'}")
