"""``search`` (one optimizer inside the full space or a shrunk space, several seeds) and ``run`` (a sweep from a
YAML configuration, on local processes or Dask).  Thin wrappers over ``lissnas_bench.search`` and
``lissnas_bench.api`` (the experiment engine); reference: docs/search.md.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import (ArchColOpt, CostColOpt, DatasetOpt, JsonOpt, MetricOpt, MinimizeOpt, SurrogateOpt, TableOpt,
                      TrustPicklesOpt, YesOpt, open_benchmark, print_json, records)

log = logging.getLogger(__name__)

#: ``--space`` here is the search domain; a ``--table``'s search space is ``--table-space``
TableSpaceOpt = Annotated[Optional[str], typer.Option(
    "--table-space", help="Search space of --table (nb201, nasbench-macro, ...); --space is the search domain here.",
    show_default=False)]


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
def search(
    bench: Annotated[Optional[str], typer.Argument(help="Benchmark id; omit with --table.", show_default=False)] = None,
    space: Annotated[str, typer.Option(
        "--space", help="Search domain: 'full', or a shrunk-space JSON (from shrink/compare).")] = "full",
    optimizer: Annotated[str, typer.Option("--optimizer", "-O", help="rs (random search), re (regularised "
                                           "evolution) or ls (local search).")] = "rs",
    budget: Annotated[int, typer.Option("--budget", "-b", help="Distinct queries per seed in total (a shrinker's "
                                        "queries included, see --shrink-queries).")] = 1000,
    seeds: Annotated[int, typer.Option("--seeds", help="Independent searches.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Root seed; seed i uses SeedSequence(seed).spawn(N)[i].")] = 0,
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", "-p", help="Optimizer parameter KEY=VALUE (repeatable), e.g. --param population=20.")] = None,
    shrink_queries: Annotated[Optional[int], typer.Option(
        "--shrink-queries", help="Queries the shrinker spent, charged before the search (default: read from the "
                                 "results folder the space JSON comes from, else 0).", show_default=False)] = None,
    dataset: DatasetOpt = None,
    metric: MetricOpt = None,
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Write results.parquet, curves.parquet and a regret figure here.",
        show_default=False)] = None,
    table: TableOpt = None,
    table_space: TableSpaceOpt = None,
    arch_column: ArchColOpt = None,
    cost_column: CostColOpt = None,
    minimize: MinimizeOpt = None,
    surrogate: SurrogateOpt = None,
    trust_pickles: TrustPicklesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Search the full space or a shrunk space with one optimizer through the budgeted oracle; report the regret."""
    from ..experiments import shrink_queries_of
    from ..search import search_seeds

    b = open_benchmark(bench, table, table_space, arch_column, cost_column, minimize=minimize, surrogate=surrogate,
                       trust_pickles=trust_pickles)
    ds, m = b.resolve(dataset, metric)
    domain, label, sq = None, "full", 0
    if space != "full":
        from ..shrinkers import load_shrunk

        domain = load_shrunk(Path(space), space=b.domain(ds, m))
        label = Path(space).name
        sq = shrink_queries_of(space) or 0
    if shrink_queries is not None:
        sq = shrink_queries
    res, curves = search_seeds(b, space=domain, optimizer=optimizer, params=_parse_params(param), budget=budget,
                               seeds=seeds, root_seed=seed, dataset=ds, metric=m, shrink_queries=sq,
                               space_label=label)
    files = {}
    if out is not None:
        from ..experiments.store import write_table
        from ..plots.search import save_search_figures

        out.mkdir(parents=True, exist_ok=True)
        write_table(res, out / "results.parquet")
        write_table(curves, out / "curves.parquet")
        files = {"results": str(out / "results.parquet"), "curves": str(out / "curves.parquet")}
        figs = save_search_figures(curves, out / "figures", shrink_budget=sq or None)
        files["figures"] = [p for ps in figs.values() for p in ps]
    col = f"search_regret@{budget}"
    summary = {"mean": float(res[col].mean()), "std": float(res[col].std(ddof=1)) if len(res) > 1 else None,
               "min": float(res[col].min()), "max": float(res[col].max())}
    if json_out:
        print_json(({
            "benchmark": b.id, "dataset": ds, "metric": m, "space": space, "optimizer": optimizer,
            "params": _parse_params(param), "budget": budget, "shrink_queries": sq, "seeds": seeds,
            "records": records(res), f"regret@{budget}": summary, **({"files": files} if files else {})}))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{optimizer} in {label} on {b.id} / {ds} ({m}), budget {budget}"
                    + (f" ({sq} spent by the shrinker)" if sq else ""), title_justify="left")
    for c in ("seed", "best", f"regret@{budget}", f"regret@{budget // 2}", "search queries", "|space|"):
        t.add_column(c, justify="right")
    half = f"search_regret@{budget // 2}"
    for _, r in res.iterrows():
        t.add_row(str(r["seed"]), f"{r['best']:.4f}", f"{r[col]:.4f}",
                  f"{r[half]:.4f}" if half in res.columns else "", str(r["search_queries"]),
                  f"{r['search_domain_size']:,}")
    c = Console()
    c.print(t)
    std = "" if summary["std"] is None else f" ± {summary['std']:.4f}"
    c.print(f"regret@{budget}: {summary['mean']:.4f}{std} over {seeds} seeds"
            + ("  [yellow](the space was used up before the budget)[/yellow]" if res["search_exhausted"].any()
               else ""))
    if files:
        c.print(f"written: {out}")


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
    if json_out:
        summary = run_sweep(plan, out, executor=executor, force=force, figures=not no_figures, allow_large=yes)
    else:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        console = Console(stderr=True)
        bar = Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[msg]}"),
                       TimeElapsedColumn(), TimeRemainingColumn(), console=console)
        task = bar.add_task("sweep", total=plan.n_cells, msg="")
        counts = {"failed": 0, "skipped": 0}

        def progress(ev: dict) -> None:
            if ev["status"] in counts:
                counts[ev["status"]] += 1
            bar.update(task, completed=ev["done"], total=ev["total"],
                       msg=f"{counts['skipped']} skipped, {counts['failed']} failed")

        with bar:
            summary = run_sweep(plan, out, executor=executor, force=force, progress=progress,
                                figures=not no_figures, allow_large=yes)
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
