"""``shrink``, ``compare`` and ``demo``: the main job.  Thin wrappers over ``lissnas_bench.api`` (the experiment engine and the report)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import (ArchColOpt, CostColOpt, JsonOpt, MetricOpt, MinimizeOpt, QueryMetricOpt, RestrictOpt, SpaceOpt,
                      SurrogateOpt, TableOpt, TimeBudgetOpt, TrustPicklesOpt, open_benchmark, print_json, records)

log = logging.getLogger(__name__)

BenchArg = Annotated[Optional[str], typer.Argument(
    help="Benchmark id (see `lissnas-bench benchmarks`); omit with --table.", show_default=False)]
BudgetOpt = Annotated[int, typer.Option("--budget", "-b", help="Distinct queries each method may spend per seed.")]
BudgetsOpt = Annotated[str, typer.Option(
    "--budget", "-b", help="Distinct queries each method may spend per seed; several (200,500,1000) run as one "
                           "comparison with quality drawn against what each method spent.")]
QOpt = Annotated[float, typer.Option("--q", help="Top fraction T_q of the space for recall/precision/enrichment.")]
ProxyOpt = Annotated[Optional[str], typer.Option(
    "--proxy", help="Proxy to rank against f: a metric of the benchmark (noisy_accuracy), metric:DATASET:NAME, "
                    "table:PATH:COLUMN or a CSV of arch,score.", show_default=False)]

#: the demo: every method on the embedded benchmarks
DEMO_TARGETS = (
    ("analognas", "cifar10", None, "noisy_accuracy"),
    ("nasbench-graph", "cora", None, None),
    ("nasbench-graph", "citeseer", None, None),
    ("nasbench-graph", "pubmed", None, None),
)


def register(app: typer.Typer) -> None:
    app.command("shrink")(shrink)
    app.command("compare")(compare)
    app.command("demo")(demo)


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


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _progress_runner(console, description: str):
    """A rich progress bar and the ``progress`` callback that advances it."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[cell]}"), TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                   transient=False)
    task = bar.add_task(description, total=None, cell="")

    def callback(ev: dict) -> None:
        done_before = " (done before)" if ev["skipped"] else ""
        bar.update(task, total=ev["total"], completed=ev["done"],
                   cell=f"{ev['target']} {ev['method']} seed {ev['seed']}{done_before}")

    return bar, callback


def _summary_tables(summary, console) -> None:
    """One table per (benchmark, dataset): a row per metric, a column per method (fits an 80-column terminal)."""
    from rich.markup import escape
    from rich.table import Table

    from ..report import mean_std, table_columns

    cols = table_columns(summary)
    for (bench, ds, metric), g in summary.groupby(["benchmark", "dataset", "metric"], sort=False):
        t = Table(title=f"{bench} / {ds} (f = {metric}): mean ± std over {int(g['n_seeds'].max())} seeds",
                  title_justify="left")
        t.add_column("", style="bold")
        for m in g["method"]:
            t.add_column(str(m), justify="right")
        for c, head in cols:
            if g[f"{c}_mean"].notna().any():  # e.g. no proxy on this dataset: no τ row
                t.add_row(escape(head), *[mean_std(r[f"{c}_mean"], r[f"{c}_std"]) for _, r in g.iterrows()])
        console.print(t)






# ---------------------------------------------------------------------------------------------- shrink
def shrink(
    bench: BenchArg = None,
    dataset: Annotated[Optional[str], typer.Option("--dataset", "-d",
                                                   help="Dataset (default: the benchmark's).")] = None,
    metric: MetricOpt = None,
    method: Annotated[str, typer.Option("--method", help="Shrinker: lissnas, op-pruning, random, single-region, "
                                                         "top-samples.")] = "lissnas",
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", help="Shrinker parameter KEY=VALUE "
                                                       "(repeatable), e.g. --param k=5 --param radius=2.")] = None,
    budget: BudgetOpt = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed index: seed s under --root-seed r is the cell (method, "
                                                     "seed s) of `compare --seed r`.")] = 0,
    root_seed: Annotated[int, typer.Option("--root-seed", help="Root seed of the comparison to reproduce.")] = 0,
    query_metric: QueryMetricOpt = None,
    restrict_domain: RestrictOpt = False,
    q: QOpt = 0.01,
    proxy: ProxyOpt = None,
    reference_size: Annotated[Optional[int], typer.Option(
        "--reference-size", help="|S'| for a size-matched baseline (default: run lissnas on the same seed).",
        show_default=False)] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the shrunk space and metrics JSON.")] = Path(
        "results/shrink"),
    table: TableOpt = None,
    space: SpaceOpt = None,
    arch_column: ArchColOpt = None,
    cost_column: CostColOpt = None,
    minimize: MinimizeOpt = None,
    surrogate: SurrogateOpt = None,
    trust_pickles: TrustPicklesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Shrink one search space once with one method; print its metrics and write S' as JSON."""
    from .._io import write_json_atomic
    from ..experiments import shrink_files, shrink_once
    from ..experiments.plan import safe_name

    b = open_benchmark(bench, table, space, arch_column, cost_column, minimize=minimize, surrogate=surrogate,
                       trust_pickles=trust_pickles)
    res = shrink_once(b, dataset=dataset, metric=metric, method=method, params=_parse_params(param, qualified=False),
                      budget=budget, seed=seed, root_seed=root_seed, q=q, proxy=proxy, reference_size=reference_size,
                      query_metric=query_metric, restrict_domain=restrict_domain)
    row = res["row"]
    stem = safe_name(f"{b.id}-{row['dataset']}-{method}-seed{seed}")
    space_path, metrics_path = shrink_files(out, stem)
    res["shrunk"].save(space_path)
    doc = {"metrics": row, "params": res["params"], "budget": budget, "q": q, "proxy": proxy,
           "data_hash": res["data_hash"], "space_file": space_path.name, "trace": res["trace"]}
    doc = (doc)
    write_json_atomic(metrics_path, doc)
    if json_out:
        print_json({**doc, "space_file": str(space_path), "metrics_file": str(metrics_path)})
        return
    from rich.console import Console
    from rich.table import Table

    from ..report import fmt

    t = Table(title=f"{method} on {b.id} / {row['dataset']}, seed {seed}, budget {budget}: query "
                    f"{row['query_metric']}, truth {row['metric']}")
    t.add_column("metric")
    t.add_column("value", justify="right")
    for k, v in row.items():
        if k in ("benchmark", "dataset", "metric", "method", "seed") or v is None:
            continue
        t.add_row(k, fmt(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v))
    c = Console()
    c.print(t)
    c.print(f"shrunk space: {space_path}\nmetrics:      {metrics_path}")


# ---------------------------------------------------------------------------------------------- compare
def compare(
    bench: BenchArg = None,
    dataset: Annotated[Optional[str], typer.Option(
        "--dataset", "-d", help="Dataset, or several separated by commas (default: the benchmark's).")] = None,
    metric: MetricOpt = None,
    methods: Annotated[Optional[str], typer.Option(
        "--methods", help="Comma-separated shrinkers (default: all).", show_default=False)] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds per dataset.")] = 10,
    root_seed: Annotated[int, typer.Option("--seed", help="Root seed; every cell's seed is derived from it.")] = 0,
    budget: BudgetsOpt = "1000",
    query_metric: QueryMetricOpt = None,
    restrict_domain: RestrictOpt = False,
    reference: Annotated[Optional[str], typer.Option(
        "--reference", help="The method every other is tested against (paired Wilcoxon, Holm) and drawn on top in "
                            "figures (default: lissnas).", show_default=False)] = None,
    search: Annotated[Optional[str], typer.Option(
        "--search", help="Also search every shrunk space with these optimizers (comma-separated: rs, re, ls), "
                         "and the full space as the `full` baseline.", show_default=False)] = None,
    search_budget: Annotated[Optional[int], typer.Option(
        "--search-budget", help="Distinct queries per cell in total with --search, the shrinker's included "
                                "(default: 2 × --budget; at least --budget).", show_default=False)] = None,
    time_budget: TimeBudgetOpt = None,
    proxy: ProxyOpt = None,
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", "-p", help="Shrinker parameter METHOD.KEY=VALUE (repeatable), e.g. lissnas.k=5.")] = None,
    q: QOpt = 0.01,
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Results folder (default: results/compare/<benchmark>).", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Clear an out folder holding another configuration.")] = False,
    workers: Annotated[int, typer.Option("--workers", "-j", help="Processes (results do not depend on it).")] = 1,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="Draw the figures (the slowest part of a "
                                                                        "small run).")] = True,
    table: TableOpt = None,
    space: SpaceOpt = None,
    arch_column: ArchColOpt = None,
    cost_column: CostColOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Compare shrinkers: every method × seed at the same query budget; writes results, figures and report.md.

    With --search rs,re,ls each shrunk space is then searched (and the full space, as `full`) at the same total
    budget. Re-running with the same --out resumes: finished cells are kept.
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
    datasets = _split(dataset) or [None]
    targets = tuple(Target(source, d, metric, proxy, space, arch_column, cost_column, query_metric, restrict_domain)
                    for d in datasets)
    optimizers = _split(search)
    if search is not None and not optimizers:
        raise InvalidConfig("--search names no optimizer: give e.g. --search rs,re,ls")
    if search_budget is not None and search is None:
        raise InvalidConfig("--search-budget needs --search (e.g. --search rs,re,ls)")
    cfg = ComparisonConfig(targets=targets, methods=_split(methods), seeds=seeds, root_seed=root_seed,
                           budget=budget, q=q, params=_parse_params(param, qualified=True),
                           search=tuple(optimizers or ()), search_budget=search_budget, reference=reference,
                           time_budget=time_budget)
    plan = prepare(cfg)  # validates everything before the first cell
    if out is None:
        out = Path("results") / "compare" / safe_name(plan.targets[0].bench.id)
    df = _run_with_progress(plan, out, force=force, workers=workers, quiet=json_out, label="compare",
                            figures=figures)
    if json_out:
        print_json({"records": records(df), "out": str(out), "report": str(out / "report.md")})
        return
    _finish(out)


def _run_with_progress(plan, out: Path, *, force: bool, workers: int, quiet: bool, label: str,
                       figures: bool = True):
    from ..api import run_comparison
    from ..experiments import ResultsFolder

    folder = ResultsFolder(out)  # refuse a bad --out before the progress bar draws anything
    folder.check_writable()
    if not force:
        folder.claim(plan.config_hash, False)
    try:
        if quiet:
            return run_comparison(plan, out, force=force, workers=workers, figures=figures)
        bar, callback = _progress_runner(_stderr_console(), label)
        with bar:
            return run_comparison(plan, out, force=force, workers=workers, progress=callback, figures=figures)
    except KeyboardInterrupt:
        typer.echo(f"interrupted: the finished cells are kept in {out}; run the same command again to resume",
                   err=True)
        raise typer.Exit(130) from None


def _finish(out: Path) -> None:
    import pandas as pd
    from rich.console import Console

    c = Console()
    _summary_tables(pd.read_csv(out / "summary.csv"), c)
    c.print(f"\n[bold]report:[/bold] {out / 'report.md'}")


# ---------------------------------------------------------------------------------------------- demo
#: the demo's defaults: enough seeds that Holm-corrected paired tests can find a difference (with 10 the smallest
#: two-sided Wilcoxon p is 2/1024, less than the correction needs), and two budgets for the quality-vs-spend figure
DEMO_SEEDS = 20
DEMO_BUDGETS = "300,1000"


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder.")] = Path("results/demo"),
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds per dataset.")] = DEMO_SEEDS,
    budget: BudgetsOpt = DEMO_BUDGETS,
    workers: Annotated[int, typer.Option("--workers", "-j", help="Processes for cells and figures (results do not "
                                                                "depend on it).")] = 1,
    docs: Annotated[Optional[Path], typer.Option(
        "--docs", help="Also write the generated summary (markdown) and the overview figure into this folder "
                       "(`python3 tasks.py docs` uses the checkout's docs/demo).", show_default=False)] = None,
    readme: Annotated[Optional[Path], typer.Option(
        "--readme", help="Also replace the demo block of this README (between its demo-summary markers).",
        show_default=False)] = None,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="Draw the figures.")] = True,
    force: Annotated[bool, typer.Option("--force", help="Clear an out folder holding another configuration.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """The main job: every shrinker on analognas (CIFAR-10) and nasbench-graph (cora, citeseer, pubmed).

    NAS-Bench-Graph is shrunk on validation accuracy and judged on test accuracy; analognas has one accuracy, so
    its rows are flagged as the noise-free upper bound.  Writes only into --out (results/demo/report.md); --docs and
    --readme copy the generated summary elsewhere when asked.
    """
    from ..experiments import ComparisonConfig, Target, prepare

    cfg = ComparisonConfig(
        targets=tuple(Target(b, d, m, p) for b, d, m, p in DEMO_TARGETS), methods=None, seeds=seeds, budget=budget)
    plan = prepare(cfg)
    df = _run_with_progress(plan, out, force=force, workers=workers, quiet=json_out, label="demo", figures=figures)
    written = copy_to_docs(out, docs) if docs is not None else []
    if readme is not None:
        written.append(update_readme(readme, block(out)))
    if json_out:
        print_json({"records": records(df), "out": str(out), "report": str(out / "report.md"),
                    "written": [str(p) for p in written]})
        return
    _finish(out)
    for p in written:
        typer.echo(f"wrote {p}")


def block(out: Path) -> str:
    """The demo's generated markdown for the README and docs/demo: protocol, headline table and findings."""
    import pandas as pd

    from .. import narrative

    man = json.loads((out / "manifest.json").read_text())
    cfg = man["config"]
    cmp_path = out / "comparisons.csv"
    comparisons = pd.read_csv(cmp_path) if cmp_path.exists() else None
    ref = man.get("statistics_reference")
    protocols = {(t["benchmark_id"], t["dataset"]): t.get("protocol_text", "") for t in man["targets"]}
    lines = [f"<!-- generated by `lissnas-bench demo` (configuration {man['config_hash']}); do not edit -->",
             f"{len(cfg['seeds'])} seeds per dataset, budgets {', '.join(f'{b:,}' for b in cfg['budgets'])} "
             f"queries (the most a method may spend), q = {cfg['q']:g}. What each shrinker saw and what judged it:",
             "", *narrative.protocol_lines(man), "",
             "Mean and 95 % bootstrap interval over seeds (⚠: spend more than 5 % away from "
             f"`{ref}`'s):", "", narrative.headline_table(pd.read_csv(out / "summary.csv"), ref).rstrip("\n"), "",
             "What the paired tests say (Wilcoxon over seeds, Holm-adjusted across the report, α = 0.05):", ""]
    lines += [f"- {s}" for s in narrative.findings(comparisons, protocols)]
    return "\n".join(lines) + "\n"


def _no_link(path: Path) -> None:
    from ..errors import InvalidConfig

    if path.is_symlink():
        raise InvalidConfig(f"{path} is a symbolic link: nothing is written through links; remove it first")


def copy_to_docs(out: Path, dest: Path) -> list[Path]:
    """Write the demo's generated summary (``summary.md``) and copy its overview figure into ``dest``."""
    from .._io import write_text_atomic

    _no_link(dest)
    if dest.exists() and not dest.is_dir():
        from ..errors import InvalidConfig

        raise InvalidConfig(f"--docs {dest} is a file, not a folder")
    dest.mkdir(parents=True, exist_ok=True)
    written = [dest / "summary.md"]
    _no_link(written[0])
    write_text_atomic(written[0], block(out))
    for ext in ("png", "svg"):
        src = out / "figures" / f"overview.{ext}"
        if src.exists():
            _no_link(dest / f"overview.{ext}")
            shutil.copyfile(src, dest / f"overview.{ext}")
            written.append(dest / f"overview.{ext}")
    return written


README_START = "<!-- demo-summary:start -->"
README_END = "<!-- demo-summary:end -->"


def update_readme(readme: Path, text: str) -> Path:
    """Replace the text between ``README_START`` and ``README_END`` in ``readme`` with ``text``; the README's other
    text is never touched.  A README without both markers is one clear error."""
    from .._io import write_text_atomic
    from ..errors import DataFileError

    _no_link(readme)
    try:
        old = readme.read_text()
    except OSError as exc:
        raise DataFileError(f"--readme {readme}: cannot read it ({exc.strerror or exc})") from None
    i, j = old.find(README_START), old.find(README_END)
    if i < 0 or j < i:
        raise DataFileError(f"--readme {readme} has no {README_START} ... {README_END} block to replace")
    new = old[: i + len(README_START)] + "\n" + text.rstrip("\n") + "\n" + old[j:]
    if new != old:
        write_text_atomic(readme, new)
    return readme
