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


def open_benchmark(bench: str | None, table: Path | None, space: str | None, arch_column: str | None,
                   cost_column: str | None = None):
    """The benchmark named by a positional id/path or by ``--table``."""
    from ..benchmarks import load_benchmark

    if table is not None and bench is not None:
        raise InvalidConfig(f"give either a benchmark id ({bench!r}) or --table {table}, not both")
    target = table if table is not None else bench
    if target is None:
        raise InvalidConfig("name a benchmark (see `lissnas-bench benchmarks`) or pass --table PATH --space S --arch-column C")
    return load_benchmark(target, space=space, arch_column=arch_column, cost_column=cost_column)


def print_json(obj) -> None:
    """Strict JSON on stdout (NaN and infinities become null)."""
    from .._params import jsonable

    sys.stdout.write(json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")


def records(df) -> list[dict]:
    """A DataFrame as JSON records (NaN -> null), full float precision."""
    return json.loads(df.to_json(orient="records", double_precision=15))
