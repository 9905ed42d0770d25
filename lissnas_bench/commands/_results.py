"""What ``compare``, ``demo`` and ``shrink --from`` share: the progress bar, the run, the summary tables."""

from __future__ import annotations

from pathlib import Path

import typer


def stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def progress_runner(console, description: str):
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


def run_with_progress(plan, out: Path, *, force: bool, workers: int, quiet: bool, label: str,
                      figures: bool = True, allow_large: bool = False, figure_options=None):
    """Run ``plan`` into ``out`` (a bar on stderr unless ``quiet``); its results table.  ``out`` is checked before
    the bar appears, so a bad folder is one error line; failed cells are one line and exit code 1."""
    from ..api import CellsFailed, run_comparison
    from ..experiments import ResultsFolder

    folder = ResultsFolder(out)
    folder.check_writable()
    if not force:
        folder.claim(plan.config_hash, False)  # another configuration's folder: one line, before the bar
    plan.estimate().check(allow_large)
    kw = {"force": force, "workers": workers, "figures": figures, "allow_large": allow_large,
          "figure_options": figure_options}
    try:
        if quiet:
            return run_comparison(plan, out, **kw)
        bar, callback = progress_runner(stderr_console(), label)
        with bar:
            return run_comparison(plan, out, progress=callback, **kw)
    except KeyboardInterrupt:
        typer.echo(f"interrupted: the finished cells are kept in {out}; run the same command again to resume",
                   err=True)
        raise typer.Exit(130) from None
    except CellsFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def finish(out: Path) -> None:
    """The summary tables of a finished results folder, then where its report is."""
    import pandas as pd
    from rich.console import Console

    c = Console()
    summary_tables(pd.read_csv(out / "summary.csv"), c)
    c.print(f"\n[bold]report:[/bold] {out / 'report.md'}")


def summary_tables(summary, console) -> None:
    """Per (benchmark, dataset, metric, budget): a row per metric, a column per method.  Methods are split over
    several tables when they do not fit the console's width, so no method name or value is ever cut."""
    from rich.markup import escape
    from rich.table import Table

    from ..report import mean_std, table_columns

    cols = table_columns(summary)
    keys = ["benchmark", "dataset", "metric"] + (["budget"] if summary["budget"].nunique() > 1 else [])
    for key, g in summary.groupby(keys, sort=False):
        bench, ds, metric = key[:3]
        rows = [(head, [mean_std(r[f"{c}_mean"], r[f"{c}_std"]) for _, r in g.iterrows()])
                for c, head in cols if g[f"{c}_mean"].notna().any()]  # e.g. no proxy here: no τ row
        methods = [str(m) for m in g["method"]]
        widths = [max([len(m)] + [len(v[i]) for _, v in rows]) for i, m in enumerate(methods)]
        label_w = max([len(h) for h, _ in rows] + [1])
        budget = f", budget {int(key[3]):,}" if len(key) > 3 else ""
        title = f"{bench} / {ds} (f = {metric}{budget}): mean ± std over {int(g['n_seeds'].max())} seeds"
        for n, part in enumerate(_fit(widths, label_w, console.width)):
            t = Table(title=escape(title + (" (continued)" if n else "")), title_justify="left")
            t.add_column("", style="bold", no_wrap=True, min_width=label_w)
            for i in part:
                t.add_column(escape(methods[i]), justify="right", no_wrap=True, min_width=widths[i])
            for head, values in rows:
                t.add_row(escape(head), *[values[i] for i in part])
            console.print(t)


def _fit(widths: list[int], label_w: int, width: int) -> list[list[int]]:
    """Consecutive groups of column indices whose table (3 characters of padding and border per column) fits
    ``width``; a column wider than the console still gets a table of its own."""
    parts, cur, used = [], [], label_w + 4
    for i, w in enumerate(widths):
        if cur and used + w + 3 > width:
            parts.append(cur)
            cur, used = [], label_w + 4
        cur.append(i)
        used += w + 3
    return parts + ([cur] if cur else [])
