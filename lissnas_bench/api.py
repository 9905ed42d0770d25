"""What a notebook or the CLI calls to run experiments: the engine (``lissnas_bench.experiments``) followed by
the report (figures and ``report.md``, ``lissnas_bench.report``).  The engine itself never draws.

>>> import lissnas_bench as lb
>>> cfg = lb.ComparisonConfig(targets=(lb.Target("analognas"),), seeds=2, budget=300)
>>> df = lb.run_comparison(cfg, "results/doctest", force=True)                 # doctest: +SKIP
>>> df.groupby("method")["regret"].mean()                                       # doctest: +SKIP
"""

from __future__ import annotations

import os

from .experiments import RunSummary, load_results, make_executor, run_experiment

__all__ = ["CellsFailed", "load_results", "rebuild", "run_comparison", "run_sensitivity", "run_sweep"]


class CellsFailed(RuntimeError):
    """Some cells of a comparison failed (their errors are in ``results.parquet``); ``summary`` tells which."""

    def __init__(self, summary: RunSummary):
        self.summary = summary
        shown = "; ".join(summary.errors[:3]) + (" ..." if len(summary.errors) > 3 else "")
        super().__init__(f"{summary.failed} of {summary.total} cells failed ({shown}); the rest are in "
                         f"{summary.out} and a re-run retries only the failed ones")


def _publisher(figures: bool, workers: int, options=None) -> dict:
    """The engine's hooks: ``publish``, figures and report.md once the tables are written, and (inside
    ``report.figure_workers``) ``on_target``, which draws each target's figures there as soon as its cells are
    done, while the next target's run."""
    from .report import early_figures, publish as draw

    early = early_figures(options) if figures else None

    def publish(out, plan):
        draw(out, plan, figures=figures, workers=workers, options=options, early=early)

    return {"publish": publish, "on_target": early.target_done if early is not None else None}


def run_comparison(config, out: str | os.PathLike, *, force: bool = False, progress=None, figures: bool = True,
                   workers: int = 1, executor=None, figure_options=None, allow_large: bool = False):
    """Run (or resume) a comparison into ``out``; returns its results table (a row per method × seed, plus the
    ``full`` rows of a comparison with search).  Raises ``CellsFailed`` after writing everything when a cell
    failed.  ``workers > 1`` runs (target, seed) groups in that many processes; the numbers do not depend on it.
    A run over the size limits of ``experiments.plan`` is refused unless ``allow_large``."""
    s = run_experiment(config, out, executor=executor or make_executor(workers=workers), force=force,
                       progress=progress, **_publisher(figures, workers, figure_options),
                       allow_large=allow_large)
    if s.failed:
        raise CellsFailed(s)
    return s.results


def run_sweep(config, out: str | os.PathLike, *, executor=None, workers: int | None = None,
              scheduler: str | None = None, dask_local: int | None = None, force: bool = False, progress=None,
              figures: bool = True, figure_options=None, allow_large: bool = False) -> RunSummary:
    """Run (or resume) a sweep (a YAML path, a dict or an ``Experiment``) on local processes (``workers``,
    default all cores; 1 = this process) or Dask (``scheduler`` / ``dask_local``).  A failing cell is recorded
    with its error and the sweep goes on; the summary counts it."""
    executor = executor or make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local)
    return run_experiment(config, out, executor=executor, force=force, progress=progress,
                          **_publisher(figures, 1, figure_options), allow_large=allow_large)


def run_sensitivity(target, grid: dict, fixed: dict | None, out: str | os.PathLike, *, seeds: int = 5,
                    budget: int = 1000, q: float = 0.01, root_seed: int = 0, force: bool = False, workers: int = 1,
                    allow_large: bool = False, figure_options=None):
    """LISSNAS's parameter grid on one target (``experiments.sensitivity``): the results folder, its report, a
    ``sensitivity.csv`` of means per grid point and the heatmap figure ``figures/sensitivity.<format>``
    (``figure_options``: formats, dpi, font size; PNG by default).

    >>> from lissnas_bench import Target
    >>> res = run_sensitivity(Target("analognas"), {"k": [5, 10]}, None, "results/doctest-sens")   # doctest: +SKIP
    """
    import pandas as pd

    from .experiments.sensitivity import grid_table, sensitivity_experiment
    from .experiments.store import ResultsFolder, write_table

    exp = sensitivity_experiment(target, grid, fixed, seeds=seeds, budget=budget, q=q, root_seed=root_seed)
    s = run_experiment(exp, out, executor=make_executor(workers=workers), force=force,
                       **_publisher(True, workers, figure_options), allow_large=allow_large)
    folder = ResultsFolder(out)
    table = grid_table(pd.read_csv(folder.summary), grid)
    write_table(table, folder.root / "sensitivity.csv")
    from .plots.sensitivity import plot_sensitivity
    from .plots.style import figure_style, save_figure

    with figure_style(figure_options):
        t = s.results.iloc[0] if len(s.results) else None
        title = "LISSNAS sensitivity" + (f": {t['benchmark']} / {t['dataset']}, {len(exp.seeds)} seeds" if t is not None
                                         else "")
        saved = save_figure(plot_sensitivity(table, list(grid), title=title), folder.figures / "sensitivity",
                            figure_options)
    proto = s.results["protocol"].iloc[0] if len(s.results) else ""
    query = s.results["query_metric"].iloc[0] if len(s.results) else ""
    return {"table": table, "figure": str(saved[0]), "summary": s,
            "protocol": f"query {query}" + (f", {proto}" if proto != "query" else "")}


def rebuild(out: str | os.PathLike, *, figures: bool = True):
    """Rewrite every table, figure and the report of a results folder from its cells; returns the results."""
    from .experiments import rebuild as rebuild_tables
    from .report import publish

    results, _ = rebuild_tables(out)
    publish(out, figures=figures)
    return results
