"""``shrink`` and ``compare``: the main job.  Thin wrappers over ``lissnas_bench.api`` (the experiment engine and the
report); ``demo`` lives in ``demo.py``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import (ArchColOpt, BenchArg, BudgetsOpt, CostColOpt, DpiOpt, FiguresOpt, FontSizeOpt, ForceOpt,
                      FormatOpt, JsonOpt, MetricOpt, MinimizeOpt, ParamsOpt, ProxyOpt, QOpt, QueryMetricOpt,
                      RestrictOpt, SpaceOpt, SurrogateOpt, TableOpt, TimeBudgetOpt, TrustPicklesOpt, WorkersOpt,
                      YesOpt, figure_options, open_benchmark, print_json, records)
from ._results import finish, run_with_progress
from .demo import README_END, README_START, copy_to_docs, update_readme  # noqa: F401 - moved to demo.py

log = logging.getLogger(__name__)

MethodOpt = Annotated[str, typer.Option("--method", help="Shrinker: lissnas, op-pruning, random, single-region, "
                                                         "top-samples (`lissnas-bench methods`).")]
ShrinkParamOpt = Annotated[Optional[list[str]], typer.Option(
    "--param", "-p", metavar="KEY=VALUE", help="Shrinker parameter (repeatable), e.g. --param k=5 --param radius=2.")]
ShrinkBudgetOpt = Annotated[Optional[int], typer.Option(
    "--budget", "-b", help="Distinct queries the method may spend (default 1000; with --from: the folder's, "
                           "which --budget picks when it holds several).", show_default=False)]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed index: seed s under --root-seed r is the cell (method, "
                                                     "seed s) of `compare --seed r`.")]
RootSeedOpt = Annotated[int, typer.Option("--root-seed", help="Root seed of the comparison to reproduce.")]
FromOpt = Annotated[Optional[Path], typer.Option(
    "--from", metavar="FOLDER", help="Reproduce exactly the cell (--method, --seed) of this results folder "
    "(compare, demo, run): target, budget, q, root seed, parameters and query metric come from its manifest.json; "
    "BENCH and --dataset pick the target when it holds several.", show_default=False)]
RefSizeOpt = Annotated[Optional[int], typer.Option(
    "--reference-size", help="|S'| for a size-matched baseline (default: run lissnas on the same seed).",
    show_default=False)]
ShrinkOutOpt = Annotated[Path, typer.Option("--out", "-o", help="Folder for the shrunk space and metrics JSON.")]
DatasetsOpt = Annotated[Optional[str], typer.Option(
    "--dataset", "-d", help="Dataset, or several separated by commas (default: the benchmark's).")]
SearchOpt = Annotated[Optional[str], typer.Option(
    "--search", metavar="OPT[,OPT]", help="Also search every shrunk space with these optimizers (rs, re, ls), and "
    "the full space as the `full` baseline.", show_default=False)]
SearchBudgetOpt = Annotated[Optional[int], typer.Option(
    "--search-budget", help="Distinct queries per cell in total with --search, the shrinker's included "
                            "(default: 2 × --budget; at least --budget).", show_default=False)]
ReferenceOpt = Annotated[Optional[str], typer.Option(
    "--reference", help="The method every other is tested against (paired Wilcoxon, Holm) and drawn on top in "
                        "figures (default: lissnas).", show_default=False)]
CompareOutOpt = Annotated[Optional[Path], typer.Option(
    "--out", "-o", help="Results folder (default: results/compare/<benchmark>).", show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("shrink")(shrink)
    app.command("compare")(compare)


# ---------------------------------------------------------------------------------------------- helpers
def _parse_params(items: list[str] | None, *, qualified: bool) -> dict:
    """``key=value`` (or ``method.key=value`` when ``qualified``) options into a dict (values stay strings: each
    shrinker converts and checks its own)."""
    from ..errors import InvalidConfig

    out: dict = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            want = "METHOD.KEY=VALUE" if qualified else "KEY=VALUE"
            raise InvalidConfig(f"--param expects {want}, got {item!r}")
        if qualified:
            method, dot, name = key.partition(".")
            if not dot or not method or not name:
                raise InvalidConfig(f"--param expects METHOD.KEY=VALUE (e.g. lissnas.k=5), got {item!r}")
            out.setdefault(method, {})[name] = value.strip()
        else:
            out[key] = value.strip()
    return out


def _split(s: str | None) -> list[str] | None:
    if s is None:
        return None
    return [p.strip() for p in s.split(",") if p.strip()]


# ---------------------------------------------------------------------------------------------- shrink
def shrink(
    bench: BenchArg = None, dataset: Annotated[Optional[str], typer.Option(
        "--dataset", "-d", help="Dataset (default: the benchmark's).")] = None,
    metric: MetricOpt = None, method: MethodOpt = "lissnas", param: ShrinkParamOpt = None,
    budget: ShrinkBudgetOpt = None, seed: SeedOpt = 0, root_seed: RootSeedOpt = 0, from_: FromOpt = None,
    query_metric: QueryMetricOpt = None, restrict_domain: RestrictOpt = False, q: QOpt = 0.01,
    proxy: ProxyOpt = None, reference_size: RefSizeOpt = None, out: ShrinkOutOpt = Path("results/shrink"),
    table: TableOpt = None, space: SpaceOpt = None, arch_column: ArchColOpt = None, cost_column: CostColOpt = None,
    minimize: MinimizeOpt = None, surrogate: SurrogateOpt = None, trust_pickles: TrustPicklesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Shrink one search space once with one method; print its metrics and write S' as JSON.

    With --from FOLDER it reruns exactly the cell (--method, --seed) of a comparison and checks that its
    metrics equal the folder's row.
    """
    from .._io import write_json_atomic
    from ..experiments import shrink_files, shrink_once
    from ..experiments.plan import safe_name

    _check_out(out)
    if from_ is not None:
        _no_overrides(param=param, metric=metric, query_metric=query_metric, restrict_domain=restrict_domain,
                      proxy=proxy, reference_size=reference_size, table=table, space=space, arch_column=arch_column,
                      cost_column=cost_column, minimize=minimize, surrogate=surrogate, q=q != 0.01,
                      root_seed=root_seed != 0)
        res, cell = _from_folder(from_, bench, dataset, method, seed, budget, trust_pickles)
        budget = cell["kwargs"]["budget"]
    else:
        budget = 1000 if budget is None else budget
        b = open_benchmark(bench, table, space, arch_column, cost_column, minimize=minimize, surrogate=surrogate,
                           trust_pickles=trust_pickles)
        res = shrink_once(b, dataset=dataset, metric=metric, method=method,
                          params=_parse_params(param, qualified=False), budget=budget, seed=seed, root_seed=root_seed, q=q, proxy=proxy,
                          reference_size=reference_size, query_metric=query_metric, restrict_domain=restrict_domain)
        cell = None
    row = res["row"]
    stem = safe_name(f"{row['benchmark']}-{row['dataset']}-{method}-seed{seed}")
    space_path, metrics_path = shrink_files(out, stem)
    res["shrunk"].save(space_path)
    doc = {"metrics": row, "params": res["params"], "budget": budget, "q": q, "proxy": proxy,
           "data_hash": res["data_hash"], "space_file": space_path.name, "trace": res["trace"]}
    if cell is not None:
        doc.update(q=cell["kwargs"]["q"], proxy=cell["kwargs"]["proxy"])
        doc["from"] = {"folder": str(from_), "cell": cell["key"], "matches": cell["matches"]}
    write_json_atomic(metrics_path, doc)
    if json_out:
        print_json({**doc, "space_file": str(space_path), "metrics_file": str(metrics_path)})
        return
    _show_shrink(row, method, seed, budget, space_path, metrics_path, cell, from_)


def _check_out(out: Path) -> None:
    from ..errors import InvalidConfig

    if out.exists() and not out.is_dir():
        raise InvalidConfig(f"--out {out} is a file, not a folder: choose a folder for the shrunk space")
    if out.is_symlink():
        raise InvalidConfig(f"--out {out} is a symbolic link: nothing is written through links")


def _no_overrides(**given) -> None:
    """--from takes the whole configuration from the folder: any option that would change it is refused."""
    from ..errors import InvalidConfig

    bad = [f"--{k.replace('_', '-')}" for k, v in given.items() if v not in (None, False, [])]
    if bad:
        raise InvalidConfig(f"--from takes the configuration from the folder's manifest; drop {', '.join(bad)}")


def _from_folder(folder: Path, bench, dataset, method, seed, budget, trust_pickles):
    """The cell of ``folder`` rerun, and what says whether its metrics equal the stored row."""
    from ..errors import InvalidConfig
    from ..experiments import cell_from_folder, shrink_once

    cell = cell_from_folder(folder, method=method, seed=seed, benchmark=bench, dataset=dataset, budget=budget)
    kw = dict(cell["kwargs"])
    if trust_pickles:  # a live surrogate needs the same opt-in as when the folder was written
        from ..benchmarks import load_benchmark

        kw["benchmark"] = load_benchmark(kw["benchmark"], space=kw["space"], arch_column=kw["arch_column"],
                                         cost_column=kw["cost_column"], trust_pickles=True)
    res = shrink_once(**kw)
    if cell["data_hash"] and res["data_hash"] != cell["data_hash"]:
        raise InvalidConfig(f"the data of {cell['target']['benchmark_id']} changed since {folder} was written "
                            f"(hash {cell['data_hash'][:12]}, now {res['data_hash'][:12]}): the cell cannot be "
                            "reproduced")
    cell["matches"] = None if cell["row"] is None else _same_row(res["row"], cell["row"])
    return res, cell


#: what a rerun may change: timings
_TIMING = ("wall_seconds", "eval_seconds", "search_seconds")


def _same_row(new: dict, stored: dict) -> bool:
    """Every metric of the rerun equals the stored row's (which may also hold its cell's search columns)."""
    from .._params import jsonable

    new, stored = jsonable(new), jsonable(stored)
    return all(k in stored and stored[k] == v for k, v in new.items() if k not in _TIMING)


def _show_shrink(row, method, seed, budget, space_path, metrics_path, cell, folder) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..report import fmt

    t = Table(title=escape(f"{method} on {row['benchmark']} / {row['dataset']}, seed {seed}, budget {budget}: "
                           f"query {row['query_metric']}, truth {row['metric']}"), title_justify="left")
    t.add_column("metric", no_wrap=True)
    t.add_column("value", justify="right", no_wrap=True)
    for k, v in row.items():
        if k in ("benchmark", "dataset", "metric", "method", "seed") or v is None:
            continue
        t.add_row(k, fmt(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v))
    c = Console()
    c.print(t)
    if cell is not None:
        verdict = {True: "[green]its metrics equal the folder's row[/green]", None: "the folder has no finished row "
                   "for it", False: "[red]its metrics differ from the folder's row[/red]"}[cell["matches"]]
        c.print(f"cell {escape(cell['key'])} of {escape(str(folder))}: {verdict}")
    c.print(f"shrunk space: {space_path}\nmetrics:      {metrics_path}")


# ---------------------------------------------------------------------------------------------- compare
def compare(
    bench: BenchArg = None, dataset: DatasetsOpt = None, metric: MetricOpt = None,
    methods: Annotated[Optional[str], typer.Option(
        "--methods", metavar="M[,M]", help="Shrinkers (default: all; `lissnas-bench methods`).",
        show_default=False)] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds per dataset.")] = 10,
    root_seed: Annotated[int, typer.Option("--seed", help="Root seed; every cell's seed is derived from it.")] = 0,
    budget: BudgetsOpt = "1000", query_metric: QueryMetricOpt = None, restrict_domain: RestrictOpt = False,
    reference: ReferenceOpt = None, search: SearchOpt = None, search_budget: SearchBudgetOpt = None,
    time_budget: TimeBudgetOpt = None,
    proxy: ProxyOpt = None, param: ParamsOpt = None, q: QOpt = 0.01, out: CompareOutOpt = None,
    force: ForceOpt = False, workers: WorkersOpt = 1, figures: FiguresOpt = True, yes: YesOpt = False,
    table: TableOpt = None, space: SpaceOpt = None, arch_column: ArchColOpt = None, cost_column: CostColOpt = None,
    fmt: FormatOpt = None, dpi: DpiOpt = None, font_size: FontSizeOpt = None, json_out: JsonOpt = False,
) -> None:
    """Compare shrinkers: every method × seed at the same query budget; writes results, figures and report.md.

    With --search rs,re,ls each shrunk space is then searched (and the full space, as `full`) at the same total
    budget. Re-running with the same --out resumes: finished cells are kept.  `shrink --from OUT --method M
    --seed S` reruns one cell.
    """
    from ..errors import InvalidConfig
    from ..experiments import ComparisonConfig, Target, prepare
    from ..experiments.plan import safe_name

    if table is not None and bench is not None:
        raise InvalidConfig(f"give either a benchmark id ({bench!r}) or --table {table}, not both")
    if table is None and bench is None:
        raise InvalidConfig(
            "name a benchmark (see `lissnas-bench benchmarks`) or pass --table PATH --space S --arch-column C")
    source = str(table) if table is not None else bench
    targets = tuple(Target(source, d, metric, proxy, space, arch_column, cost_column, query_metric, restrict_domain)
                    for d in _split(dataset) or [None])
    optimizers = _split(search)
    if search is not None and not optimizers:
        raise InvalidConfig("--search names no optimizer: give e.g. --search rs,re,ls")
    if search_budget is not None and search is None:
        raise InvalidConfig("--search-budget needs --search (e.g. --search rs,re,ls)")
    cfg = ComparisonConfig(targets=targets, methods=_split(methods), seeds=seeds, root_seed=root_seed,
                           budget=budget, q=q, params=_parse_params(param, qualified=True),
                           search=tuple(optimizers or ()), search_budget=search_budget, reference=reference,
                           time_budget=time_budget)
    opts = figure_options(fmt, dpi, font_size)
    plan = prepare(cfg)  # validates everything before the first cell
    if out is None:
        out = Path("results") / "compare" / safe_name(plan.targets[0].bench.id)
    df = run_with_progress(plan, out, force=force, workers=workers, quiet=json_out, label="compare",
                           figures=figures, allow_large=yes, figure_options=opts)
    if json_out:
        print_json({"records": records(df), "out": str(out), "report": str(out / "report.md")})
        return
    finish(out)
