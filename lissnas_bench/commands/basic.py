"""``benchmarks``, ``spaces`` and ``query``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ._common import (ArchColOpt, CostColOpt, DatasetOpt, JsonOpt, MetricOpt, MinimizeOpt, SpaceOpt, SurrogateOpt,
                      TableOpt, TrustPicklesOpt, open_benchmark, print_json)


def register(app: typer.Typer) -> None:
    app.command("benchmarks")(benchmarks)
    app.command("spaces")(spaces)
    app.command("query")(query)


def benchmarks(
    bench_id: Annotated[Optional[str], typer.Argument(
        metavar="ID", help="One benchmark: every dataset with every metric, its direction and original names.",
        show_default=False)] = None,
    all_metrics: Annotated[bool, typer.Option("--metrics", help="List every metric of every benchmark.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """List the available benchmarks: id, space, datasets, metrics, size and data source."""
    from ..benchmarks import available_benchmarks, benchmark_info

    ids = available_benchmarks()
    if bench_id is not None and bench_id not in ids:
        from ..errors import UnknownBenchmark

        raise UnknownBenchmark(bench_id, ids)
    infos = [benchmark_info(b) for b in ([bench_id] if bench_id is not None else ids)]
    if json_out:
        print_json({"benchmarks": infos})
        return
    from rich.console import Console

    console = Console()
    if bench_id is not None or all_metrics:
        for i in infos:
            _metrics_tables(i, console)
        return
    from rich.table import Table

    t = Table(title="lissnas-bench benchmarks", show_lines=True)
    t.add_column("id", no_wrap=True)
    t.add_column("space", no_wrap=True)
    t.add_column("archs", justify="right", no_wrap=True)
    t.add_column("datasets", overflow="fold")
    t.add_column("metrics", overflow="fold")
    for i in infos:
        t.add_row(i["id"], i["space"], f"{i['architectures']:,}", ", ".join(i["datasets"]), _metrics_cell(i))
    console.print(t)
    for i in infos:
        console.print(f"[bold]{i['id']}[/bold]: {i['source']}", soft_wrap=True)
    console.print("↓ = better when lower (minimised); (names) = the benchmark's original names, also accepted "
                  "by --metric; `benchmarks ID` (or --metrics) lists every metric")


def _metrics_tables(info: dict, console) -> None:
    """Every metric of every dataset of one benchmark: default, direction and original names."""
    from rich.markup import escape
    from rich.table import Table

    console.print(f"[bold]{info['id']}[/bold] (space {info['space']}, {info['architectures']:,} architectures): "
                  f"{escape(info['source'])}")
    for d in info["datasets"]:
        aliases: dict[str, list[str]] = {}
        for alias, m in info.get("aliases", {}).get(d, {}).items():
            aliases.setdefault(m, []).append(alias)
        t = Table(title=f"{info['id']} / {d}" + (" (default dataset)" if d == info.get("default_dataset") else ""),
                  title_justify="left", box=None, padding=(0, 1))
        t.add_column("metric", no_wrap=True, style="cyan")
        t.add_column("better", no_wrap=True)
        if aliases:
            t.add_column("also accepted as", overflow="fold")
        default = info.get("default_metrics", {}).get(d)
        for m in info["metrics"][d]:
            direction = info.get("directions", {}).get(d, {}).get(m, "maximize")
            cells = [escape(m) + (" (default)" if m == default else ""), "lower ↓" if direction == "minimize" else
                     "higher"]
            t.add_row(*cells, *([escape(", ".join(aliases.get(m, [])))] if aliases else []))
        console.print(t)
    console.print()


def _metrics_cell(info: dict) -> str:
    """The first metrics with their original names in brackets and a ↓ on those that are minimised."""
    names, minimized, aliases = {}, set(), {}
    for d, ms in info["metrics"].items():
        names.update(dict.fromkeys(ms))
        minimized.update(info.get("minimize", {}).get(d, []))
        for alias, m in info.get("aliases", {}).get(d, {}).items():
            aliases.setdefault(m, [])
            if alias not in aliases[m]:
                aliases[m].append(alias)
    shown = []
    for m in list(names)[:6]:
        extra = f" ({', '.join(aliases[m][:3])})" if m in aliases else ""
        shown.append(f"{m}{' ↓' if m in minimized else ''}{extra}")
    more = f", ... ({len(names)} in all)" if len(names) > 6 else ""
    return ", ".join(shown) + more


def spaces(json_out: JsonOpt = False) -> None:
    """List the search spaces with their size and string formats."""
    from ..spaces import available_spaces, get_space

    rows = []
    for name in available_spaces():
        s = get_space(name)
        rows.append({"name": name, "positions": s.positions, "size": s.size, "string_formats": list(s.string_formats)})
    if json_out:
        print_json({"spaces": rows})
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="search spaces")
    for col in ("name", "positions", "size", "string formats"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["name"], str(r["positions"]), f"{r['size']:,}", ", ".join(r["string_formats"]))
    Console().print(t)


def query(
    args: Annotated[Optional[list[str]], typer.Argument(help="BENCH then ARCH... (with --table: ARCH... only)")] = None,
    dataset: DatasetOpt = None,
    metric: MetricOpt = None,
    table: TableOpt = None,
    space: SpaceOpt = None,
    arch_column: ArchColOpt = None,
    cost_column: CostColOpt = None,
    minimize: MinimizeOpt = None,
    surrogate: SurrogateOpt = None,
    trust_pickles: TrustPicklesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Look up architectures (in any string form of the space) in a benchmark."""
    from ..errors import InvalidConfig

    args = list(args or [])
    bench_id = None if table is not None or surrogate is not None else (args.pop(0) if args else None)
    if not args:
        raise InvalidConfig("give at least one architecture string after the benchmark")
    bench = open_benchmark(bench_id, table, space, arch_column, cost_column, minimize=minimize, surrogate=surrogate,
                           trust_pickles=trust_pickles)
    ds, m = bench.resolve(dataset, metric)
    archs = bench.space.from_strings(args)
    values = bench.query(archs, ds, m)
    canon = bench.space.to_strings(archs)
    if json_out:
        print_json({
            "benchmark": bench.id, "dataset": ds, "metric": m,
            "values": [{"arch": a, "value": (None if v != v else float(v))} for a, v in zip(canon, values)],
        })
        return
    better = "lower" if _minimised(bench, ds, m) else "higher"
    typer.echo(f"# {bench.id}, dataset {ds}, metric {m} ({better} is better)")
    for a, v in zip(canon, values):
        typer.echo(f"{a}\t{v:.4f}")


def _minimised(bench, dataset: str, metric: str) -> bool:
    fn = getattr(bench, "maximize", None)
    return callable(fn) and not fn(dataset, metric)
