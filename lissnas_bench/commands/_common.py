"""Options and helpers shared by every command that takes a benchmark."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InvalidConfig

TableOpt = Annotated[
    Optional[Path], typer.Option("--table", help="Use a CSV/Parquet/JSON table as the benchmark.", show_default=False)
]
MinimizeOpt = Annotated[Optional[str], typer.Option(
    "--minimize", metavar="COL[,COL]", help="Columns of --table that are better when lower (the rest are maximised).",
    show_default=False)]
SurrogateOpt = Annotated[Optional[Path], typer.Option(
    "--surrogate", metavar="PATH", help="Ask the live NAS-Bench-301 surrogate in this models folder (nb_models_1.0/) "
    "about any DARTS genotype; answers are cached on disk. Needs --trust-pickles.", show_default=False)]
TrustPicklesOpt = Annotated[bool, typer.Option("--trust-pickles", help=(
    "Allow loading NAS-Bench-301's model files. The model files are pickles: loading them runs code from the files; "
    "pass only models you downloaded from the official source."))]
SpaceOpt = Annotated[Optional[str], typer.Option("--space", help="Search space of --table (nb201, nasbench-macro, ...).")]
ArchColOpt = Annotated[Optional[str], typer.Option("--arch-column", help="Architecture column of --table.")]
CostColOpt = Annotated[
    Optional[str], typer.Option("--cost-column", help="Column of --table with training seconds (charged as cost).")
]
DatasetOpt = Annotated[Optional[str], typer.Option("--dataset", "-d", help="Dataset (default: the benchmark's).")]
MetricOpt = Annotated[Optional[str], typer.Option("--metric", "-m", help="Metric (default: the benchmark's).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
QueryMetricOpt = Annotated[Optional[str], typer.Option(
    "--query-metric", help="What the oracle answers (shrinkers and searches see only this): a metric, "
                           "metric:DATASET:NAME, table:PATH:COLUMN, csv:PATH, trial:METRIC (one noisy trial per "
                           "architecture) or 'truth'. Default: the benchmark's validation counterpart of --metric "
                           "(nasbench-graph valid_perf for perf), else the truth itself (flagged as an upper bound).",
    show_default=False)]
TimeBudgetOpt = Annotated[Optional[float], typer.Option(
    "--time-budget", help="Also stop each search when the next query would take the simulated training seconds "
                          "past this total (the shrinker's included); needs a cost column (--cost-column, --cost).",
    show_default=False)]
RestrictOpt = Annotated[bool, typer.Option(
    "--restrict-domain", help="Restrict the space to the architectures both --metric and --query-metric have.")]


def split_names(s: str | None) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]`` (``None`` -> ``[]``)."""
    return [p.strip() for p in (s or "").split(",") if p.strip()]


def open_benchmark(bench: str | None, table: Path | None, space: str | None, arch_column: str | None,
                   cost_column: str | None = None, *, minimize: str | None = None, surrogate: Path | None = None,
                   trust_pickles: bool = False):
    """The benchmark named by a positional id/path, by ``--table`` or by ``--surrogate``."""
    from ..benchmarks import load_benchmark

    given = [f"--{k} {v}" for k, v in (("table", table), ("surrogate", surrogate)) if v is not None]
    if bench is not None:
        given.insert(0, f"a benchmark id ({bench!r})")
    if len(given) > 1:
        raise InvalidConfig(f"give only one of {' and '.join(given)}")
    if surrogate is not None:
        return load_benchmark("nb301", models=surrogate, trust_pickles=trust_pickles)
    target = table if table is not None else bench
    if target is None:
        raise InvalidConfig("name a benchmark (see `lissnas-bench benchmarks`) or pass --table PATH --space S --arch-column C")
    return load_benchmark(target, space=space, arch_column=arch_column, cost_column=cost_column,
                          minimize=split_names(minimize) or None, trust_pickles=trust_pickles)


def print_json(obj) -> None:
    """Strict JSON on stdout (NaN and infinities become null)."""
    from .._params import jsonable

    sys.stdout.write(json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")


def records(df) -> list[dict]:
    """A DataFrame as JSON records (NaN -> null), full float precision."""
    return json.loads(df.to_json(orient="records", double_precision=15))


# ---------------------------------------------------------------------------------------------- experiments
BenchArg = Annotated[Optional[str], typer.Argument(
    metavar="BENCH", help="Benchmark id (see `lissnas-bench benchmarks`); omit with --table.", show_default=False)]
BudgetsOpt = Annotated[str, typer.Option(
    "--budget", "-b", metavar="B[,B]", help="Distinct queries each method may spend per seed; several "
    "(200,500,1000) run as one comparison with quality drawn against what each method spent.")]
QOpt = Annotated[float, typer.Option("--q", help="Top fraction T_q of the space for recall/precision/enrichment.")]
ProxyOpt = Annotated[Optional[str], typer.Option(
    "--proxy", help="Proxy to rank against f: a metric of the benchmark (noisy_accuracy), metric:DATASET:NAME, "
                    "table:PATH:COLUMN or a CSV of arch,score.", show_default=False)]
ForceOpt = Annotated[bool, typer.Option("--force", help="Clear an out folder holding another configuration.")]
WorkersOpt = Annotated[int, typer.Option("--workers", "-j", help="Processes (results do not depend on it).")]
FiguresOpt = Annotated[bool, typer.Option("--figures/--no-figures", help="Draw the figures (the slowest part of a "
                                                                        "small run).")]
FormatOpt = Annotated[Optional[str], typer.Option(
    "--format", metavar="FMT[,FMT]", help="Figure formats: png, svg, pdf (default png; SVG and PDF keep text as "
                                          "text).", show_default=False)]
DpiOpt = Annotated[Optional[int], typer.Option("--dpi", help="Resolution of PNG figures (default 200).",
                                               show_default=False)]
FontSizeOpt = Annotated[Optional[float], typer.Option(
    "--font-size", help="Figure font size in points (default 7, for a 3.5 in paper column).", show_default=False)]


def figure_options(fmt: str | None, dpi: int | None, font_size: float | None):
    """The ``FigureOptions`` of the --format/--dpi/--font-size flags, or None when none was given (the defaults)."""
    if fmt is None and dpi is None and font_size is None:
        return None
    from ..plots.style import figure_options_from_cli

    return figure_options_from_cli(fmt, dpi, font_size)


YesOpt = Annotated[bool, typer.Option("--yes", help=(
    "Run even when the estimate is over the limits (4 GiB of memory, 24 CPU hours; experiments/plan.py)."))]
ParamsOpt = Annotated[Optional[list[str]], typer.Option(
    "--param", "-p", metavar="METHOD.KEY=VALUE", help="Shrinker parameter (repeatable), e.g. lissnas.k=5; "
    "`lissnas-bench methods` lists them.")]
