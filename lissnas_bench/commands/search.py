"""``search`` (one optimizer inside the full space or a shrunk space, several seeds) and ``run`` (a sweep from a
YAML configuration, on local processes or Dask).  Thin wrappers over ``lissnas_bench.search`` and
``lissnas_bench.api`` (the experiment engine); reference: docs/search.md.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import (ArchColOpt, CostColOpt, DatasetOpt, DpiOpt, FontSizeOpt, FormatOpt, JsonOpt, MetricOpt,
                      MinimizeOpt, QueryMetricOpt, RestrictOpt, SpaceOpt, SurrogateOpt, TableOpt, TimeBudgetOpt,
                      TrustPicklesOpt, YesOpt, figure_options, open_benchmark, print_json, records)

log = logging.getLogger(__name__)

def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("run")(run)






def _parse_params(items: list[str] | None) -> dict:
    from ..errors import InvalidConfig

    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidConfig(f"--param expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


# ---------------------------------------------------------------------------------------------- search
CostOpt = Annotated[Optional[str], typer.Option(
    "--cost", help="What one query costs in simulated seconds: a column, or K*COLUMN terms joined by '+' (e.g. "
                   "12*train-per-time+valid-per-time). Default: the cost column of the query's fidelity.",
    show_default=False)]

ShrinkQueriesOpt = Annotated[Optional[int], typer.Option(
    "--shrink-queries", help="Queries the shrinker spent, charged before the search (default: read from the "
                             "results folder the --in file comes from, else 0).", show_default=False)]
ShrinkSecondsOpt = Annotated[Optional[float], typer.Option(
    "--shrink-seconds", help="Simulated seconds the shrinker spent, charged before the search (default: read "
                             "like --shrink-queries, else 0).", show_default=False)]
SearchOutOpt = Annotated[Optional[Path], typer.Option(
    "--out", "-o", help="Write results.parquet, curves.parquet and the regret figures here.", show_default=False)]


def search(
    bench: Annotated[Optional[str], typer.Argument(help="Benchmark id; omit with --table.", show_default=False)] = None,
    domain: Annotated[str, typer.Option(
        "--in", help="Search domain: 'full', or a shrunk-space JSON (from shrink/compare).")] = "full",
    optimizer: Annotated[str, typer.Option("--optimizer", "-O", help="rs (random search), re (regularised "
                                           "evolution) or ls (local search).")] = "rs",
    budget: Annotated[int, typer.Option("--budget", "-b", help="Distinct queries per seed in total (a shrinker's "
                                        "queries included, see --shrink-queries).")] = 1000,
    time_budget: TimeBudgetOpt = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Independent searches.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Root seed; seed i uses SeedSequence(seed).spawn(N)[i].")] = 0,
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", "-p", help="Optimizer parameter KEY=VALUE (repeatable), e.g. --param population=20.")] = None,
    shrink_queries: ShrinkQueriesOpt = None,
    shrink_seconds: ShrinkSecondsOpt = None,
    dataset: DatasetOpt = None,
    metric: MetricOpt = None,
    query_metric: QueryMetricOpt = None,
    restrict_domain: RestrictOpt = False,
    cost: CostOpt = None,
    out: SearchOutOpt = None,
    table: TableOpt = None,
    space: SpaceOpt = None,
    arch_column: ArchColOpt = None,
    cost_column: CostColOpt = None,
    minimize: MinimizeOpt = None,
    surrogate: SurrogateOpt = None,
    trust_pickles: TrustPicklesOpt = False,
    yes: YesOpt = False,
    fmt: FormatOpt = None, dpi: DpiOpt = None, font_size: FontSizeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Search the full space or a shrunk space with one optimizer on the query metric; report the truth's regret.

    Each search stops at --budget distinct queries or, with --time-budget, before the first query that would take
    the simulated training seconds past it, or when its domain is used up (marked 'exhausted').
    """
    from ..experiments import ResultsFolder
    from ..search import search_seeds

    opts = figure_options(fmt, dpi, font_size)
    if out is not None:
        ResultsFolder(out).check_writable()  # a bad --out is one line before anything runs
    b = _open_for_search(bench, table, space, arch_column, cost_column, minimize=minimize, surrogate=surrogate,
                         trust_pickles=trust_pickles)
    ds, m = b.resolve(dataset, metric)
    shrunk, label, sq, ss = _domain(domain, b, ds, m)
    sq = shrink_queries if shrink_queries is not None else sq
    ss = shrink_seconds if shrink_seconds is not None else ss
    res, curves = search_seeds(b, space=shrunk, optimizer=optimizer, params=_parse_params(param), budget=budget,
                               seeds=seeds, root_seed=seed, dataset=ds, metric=m, query_metric=query_metric,
                               restrict_domain=restrict_domain, cost=cost, time_budget=time_budget,
                               shrink_queries=sq, shrink_seconds=ss, space_label=label, allow_large=yes)
    files = _write_search(res, curves, out, sq, time_budget, opts) if out is not None else {}
    summary = _regret_summary(res["regret"])
    if json_out:
        print_json({"benchmark": b.id, "dataset": ds, "metric": m, "query_metric": res["query_metric"].iloc[0],
                    "in": domain, "optimizer": optimizer, "params": _parse_params(param), "budget": budget,
                    "time_budget": time_budget, "cost": res["cost"].iloc[0], "shrink_queries": sq,
                    "shrink_seconds": ss, "seeds": seeds, "stops": res["search_stop"].value_counts().to_dict(),
                    "records": records(res), "regret": summary, **({"files": files} if files else {})})
        return
    _print_search(res, summary, optimizer, label, b.id, ds, m, budget, time_budget, sq, files and out)


def _open_for_search(bench, table, space, arch_column, cost_column, **surrogate):
    from ..errors import InvalidConfig

    if space is not None and table is None:
        hint = " (the search domain, a shrunk-space file, is --in now)" if space.endswith(".json") else ""
        raise InvalidConfig(f"--space {space!r} is the search space of --table, and no --table is given{hint}")
    return open_benchmark(bench, table, space, arch_column, cost_column, **surrogate)


def _domain(domain: str, bench, dataset: str, metric: str):
    """(shrunk space or None, label, shrinker's queries, shrinker's seconds) of ``--in``."""
    if domain == "full":
        return None, "full", 0, 0.0
    from ..experiments import shrink_queries_of, shrink_seconds_of
    from ..shrinkers import load_shrunk

    shrunk = load_shrunk(Path(domain), space=bench.domain(dataset, metric))
    return shrunk, Path(domain).name, shrink_queries_of(domain) or 0, shrink_seconds_of(domain) or 0.0


def _regret_summary(regret) -> dict:
    return {"mean": float(regret.mean()), "std": float(regret.std(ddof=1)) if len(regret) > 1 else None,
            "min": float(regret.min()), "max": float(regret.max())}


def _write_search(res, curves, out: Path, shrink_queries: int, time_budget, options=None) -> dict:
    from ..experiments.store import write_table
    from ..plots.search import save_search_figures

    out.mkdir(parents=True, exist_ok=True)
    write_table(res, out / "results.parquet")
    write_table(curves, out / "curves.parquet")
    figs = save_search_figures(curves, out / "figures", shrink_budget=shrink_queries or None,
                               time_budget=time_budget, options=options)
    return {"results": str(out / "results.parquet"), "curves": str(out / "curves.parquet"),
            "figures": [p for ps in figs.values() for p in ps]}


def _print_search(res, summary, optimizer, label, bench_id, ds, m, budget, time_budget, sq, written) -> None:
    from rich.console import Console
    from rich.table import Table

    limit = f"budget {budget} queries" + (f" / {time_budget:g} s" if time_budget is not None else "")
    query = res["query_metric"].iloc[0]
    t = Table(title=f"{optimizer} in {label} on {bench_id} / {ds}: searched on {query}, judged on {m}; {limit}"
                    + (f" ({sq} queries spent by the shrinker)" if sq else ""), title_justify="left")
    timed = res["search_sim_seconds"].notna().any()
    for c in ("seed", f"best {m}", "regret", "search queries", *(("seconds",) if timed else ()), "stopped by",
              "|space|"):
        t.add_column(c, justify="right")
    for _, r in res.iterrows():
        stop = r["search_stop"]
        t.add_row(str(r["seed"]), f"{r['best']:.4f}", f"{r['regret']:.4f}", str(r["search_queries"]),
                  *((f"{r['search_sim_seconds']:,.0f}",) if timed else ()),
                  f"[yellow]{stop}[/yellow]" if stop == "exhausted" else stop, f"{r['search_domain_size']:,}")
    c = Console()
    c.print(t)
    std = "" if summary["std"] is None else f" ± {summary['std']:.4f}"
    n_ex = int((res["search_stop"] == "exhausted").sum())
    c.print(f"regret: {summary['mean']:.4f}{std} over {len(res)} seeds"
            + (f"  [yellow]({n_ex} of {len(res)} seeds used the whole space up before the budget: their regret "
               "is the space's own, search_domain_regret)[/yellow]" if n_ex else ""))
    if written:
        c.print(f"written: {written}")


# ---------------------------------------------------------------------------------------------- run
def run(
    config: Annotated[Path, typer.Argument(help="Sweep configuration (YAML), e.g. examples/compare_demo.yaml.")],
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Results folder (default: results/<config name>).", show_default=False)] = None,
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", help="Run on an existing Dask cluster: tcp://HOST:PORT (needs lissnas-bench[dask]).",
        show_default=False)] = None,
    dask_local: Annotated[Optional[int], typer.Option(
        "--dask-local", help="Run on a Dask LocalCluster of N worker processes.", show_default=False)] = None,
    workers: Annotated[Optional[int], typer.Option(
        "--workers", "-j", help="Local processes (default: all cores; 1 = in this process).",
        show_default=False)] = None,
    batch: Annotated[Optional[int], typer.Option(
        "--batch", help="(target, seed) groups per task (default: 1 locally; about 8 tasks per Dask worker).",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Clear an out folder holding another configuration.")] = False,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="Skip the regret figures.")] = False,
    yes: YesOpt = False,
    fmt: FormatOpt = None, dpi: DpiOpt = None, font_size: FontSizeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a sweep: benchmarks × datasets × shrinkers × optimizers × seeds, resumably (finished cells are kept).

    Exit code 1 when some cells failed (each is recorded with its error in results.parquet).
    """
    import pandas as pd

    from ..api import run_sweep
    from ..experiments import ResultsFolder, load_config, make_executor, prepare

    cfg = load_config(config)  # validated before anything runs
    plan = prepare(cfg)
    if out is None:
        out = Path("results") / cfg.name
    ResultsFolder(out).check_writable()  # before the bar: one error line
    plan.estimate().check(yes)
    executor = make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local, batch=batch)
    kw = {"executor": executor, "force": force, "figures": not no_figures, "allow_large": yes,
          "figure_options": figure_options(fmt, dpi, font_size)}
    summary = run_sweep(plan, out, **kw) if json_out else _sweep_with_bar(plan, out, kw)
    sm = pd.read_csv(Path(out) / "search_summary.csv")
    if json_out:
        print_json(({"out": str(out), "total": summary.total, "ran": summary.ran,
                                 "skipped": summary.skipped, "failed": summary.failed,
                                 "elapsed_seconds": summary.elapsed_seconds, "summary": records(sm)}))
    else:
        _print_summary(sm, cfg)
        typer.echo(summary.line())
    if summary.failed:
        if not json_out:
            typer.echo(f"{summary.failed} cells failed: see the 'error' column of {Path(out) / 'results.parquet'}",
                       err=True)
        raise typer.Exit(1)


def _sweep_with_bar(plan, out: Path, kw: dict):
    """``run_sweep`` with a progress bar on stderr counting skipped (already finished) and failed cells."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    from ..api import run_sweep

    bar = Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[msg]}"),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
    task = bar.add_task("sweep", total=plan.n_cells, msg="")
    counts = {"failed": 0, "skipped": 0}

    def progress(ev: dict) -> None:
        if ev["status"] in counts:
            counts[ev["status"]] += 1
        bar.update(task, completed=ev["done"], total=ev["total"],
                   msg=f"{counts['skipped']} skipped, {counts['failed']} failed")

    with bar:
        return run_sweep(plan, out, progress=progress, **kw)


def _print_summary(sm, cfg) -> None:
    """Per target: a row per shrinker, a column per optimizer, ``search_regret@B`` mean ± std."""
    from rich.console import Console
    from rich.table import Table

    col = f"search_regret@{cfg.search_budget}"
    if sm.empty or f"{col}_mean" not in sm.columns:
        return
    sm = sm.rename(columns={"method": "shrinker"})
    c = Console()
    for (bench, ds, metric), g in sm.groupby(["benchmark", "dataset", "metric"], sort=False):
        opts = list(dict.fromkeys(g["optimizer"]))
        t = Table(title=f"{bench} / {ds} ({metric}): regret after {cfg.search_budget} queries "
                        f"(shrink ≤ {cfg.budget} + search), mean ± std", title_justify="left")
        t.add_column("shrinker", style="bold")
        for o in opts:
            t.add_column(o, justify="right")
        for sh, gs in g.groupby("shrinker", sort=False):
            cells = []
            for o in opts:
                r = gs[gs["optimizer"] == o]
                if r.empty or r[f"{col}_mean"].isna().all():
                    cells.append("–")
                    continue
                r = r.iloc[0]
                std = r[f"{col}_std"]
                cells.append(f"{r[f'{col}_mean']:.4f}" + ("" if std != std else f" ± {std:.4f}"))
            t.add_row(str(sh), *cells)
        c.print(t)
