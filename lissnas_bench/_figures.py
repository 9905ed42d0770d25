"""The report's figures as jobs, one target at a time, each built from that target's own cell records.

Per target two jobs: ``target_job`` (``plots.compare.target_figures``: distribution, size trade-off, diversity,
retention, trace, Kendall τ, search regret) and ``spend_job`` (quality against spend); once every target is in,
``overview_job``.  A job gets the records as ``load_cells`` reads them and builds its tables itself, in the process
that draws, so the caller's process spends next to nothing on them.  That is also why a target drawn early, while
the next target's cells run (``EarlyFigures``, what ``demo`` does in its figure processes), writes the same bytes
as one drawn by ``publish`` at the end: the same records go through the same code.

>>> from lissnas_bench._figures import draw_figures
>>> figs = draw_figures("results/demo", man, plan, options)                    # doctest: +SKIP
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

log = logging.getLogger(__name__)

#: the summary keys of the quality-vs-spend figure (those of ``summary.csv``)
_SPEND_KEYS = ["benchmark", "dataset", "metric", "budget", "method"]


@dataclass(frozen=True)
class TargetCells:
    """One target's records (failed and ``full`` ones included, in the plan's order) and f over its space S."""

    t: dict  # the manifest's entry of the target
    cells: list
    full_f: object = None  # float32 array; None for a live surrogate

    @property
    def shrink(self) -> list:
        """The records the shrink figures show: finished, not ``full``."""
        from .experiments.aggregate import is_full

        return [c for c in self.cells if not is_full(c) and c.get("status", "ok") == "ok"]


def target_cells(root, plan, t: dict) -> TargetCells:
    from .experiments import load_cells
    from .experiments.aggregate import full_space_values

    return TargetCells(t, load_cells(root, plan, t["key"]), full_space_values(plan.target(t["key"])))


def full_mean(values) -> float | None:
    """The mean of f over S as ``target_figures`` takes it from its distributions table (a float32 Series)."""
    import pandas as pd

    s = pd.Series(values if values is not None else [], dtype="float32")
    return float(s.mean()) if len(s) else None


# ------------------------------------------------------------------------------------ what a figure process runs
def target_job(out, tc: TargetCells, experiment, options, reference: str) -> dict[str, str]:
    """Every ``target_figures`` figure of one target; ``{name: relative path}`` (empty: nothing finished)."""
    from .experiments import aggregate as agg
    from .plots.compare import retention, target_figures

    shrink = tc.shrink
    res = agg.results_frame(shrink)
    if res.empty:
        return {}
    key = tc.t["key"]
    curves = agg.curves_frame(tc.cells, experiment) if experiment.optimizers else None  # `full` searches too
    return target_figures(out, tc.t, res, agg.distributions_of(shrink, {key: tc.full_f}), agg.traces_frame(shrink),
                          retention(shrink, key), curves, experiment.budget, options=options, reference=reference)


def spend_job(out, tc: TargetCells, options, reference: str) -> dict[str, str]:
    """One target's quality against the queries each method actually spent, from its rows of the summary
    (``summarise`` keeps each group apart, so its rows are those of ``summary.csv``)."""
    from .experiments import aggregate as agg

    res = agg.results_frame(tc.cells)
    if res.empty or not set(_SPEND_KEYS) <= set(res.columns):  # only records of dead workers: no summary row
        return {}
    rows = agg.summarise(res, _SPEND_KEYS)
    if rows.empty or "queries_mean" not in rows.columns:
        return {}
    t = tc.t
    path = spend_figure(rows, reference, f"{t['benchmark_id']} / {t['dataset']}",
                        Path(out) / "figures" / t["key"] / "quality_vs_spend", options)
    return {"quality_vs_spend": str(path.relative_to(out))}


def spend_figure(rows, reference: str, title: str, stem, options=None) -> Path:
    """One target's quality-vs-spend figure saved at ``stem``; the path of its first format."""
    from .plots.spend import plot_quality_vs_spend
    from .plots.style import figure_style, save_figure

    with figure_style(options):
        return save_figure(plot_quality_vs_spend(rows, reference=reference, title=title), stem, options)[0]


def overview_job(out, cells: list, targets: list[dict], full: dict, options, reference: str) -> dict[str, str]:
    from .experiments.aggregate import results_frame
    from .plots.compare import overview_figure

    return overview_figure(out, results_frame(cells), targets, full, options, reference)


# ------------------------------------------------------------------------------------------------ submitting
@dataclass
class _Submitted:
    """A target's jobs and what the overview needs of it (the records, not f over S: that is big)."""

    jobs: list
    shrink: list
    full: tuple


def _run(pool, fn, *args) -> cf.Future:
    if pool is not None:
        return pool.submit(fn, *args)
    fut = cf.Future()  # drawn here and now: the same interface as a pool's job
    fut.set_result(fn(*args))
    return fut


def _submit(pool, out, tc: TargetCells, experiment, options, reference: str) -> _Submitted:
    out = str(out)
    jobs = [_run(pool, target_job, out, tc, experiment, options, reference),
            _run(pool, spend_job, out, replace(tc, full_f=None), options, reference)]  # f over S is not shown
    return _Submitted(jobs, tc.shrink, (float(tc.t["space_size"]), full_mean(tc.full_f)))


class EarlyFigures:
    """Draws each target's figures in the warm figure processes (``report.figure_workers``) as soon as its last
    cell is stored (``run_experiment(on_target=early.target_done)``), so that they are drawn while the next
    target's cells run instead of after all of them; ``publish(early=...)`` then only waits for them, draws the
    overview and writes the report.  The files are the same as drawn at the end (see the module's docstring)."""

    def __init__(self, pool, options, reference: str | None = None):
        self.pool, self.options, self.reference = pool, options, reference
        self.submitted: dict[str, _Submitted] = {}
        self._targets: dict | None = None

    def target_done(self, root, plan, key: str) -> None:
        if self._targets is None:  # the manifest written when the run started has every target's entry
            man = json.loads((Path(root) / "manifest.json").read_text())
            self._targets = {t["key"]: t for t in man["targets"]}
            self.reference = self.reference or man.get("statistics_reference") or "lissnas"
        tc = target_cells(root, plan, self._targets[key])
        self.submitted[key] = _submit(self.pool, root, tc, plan.experiment, self.options, self.reference)
        log.debug("figures of %s submitted", key)


def draw_figures(root, man: dict, plan, options, pool=None, early: EarlyFigures | None = None) -> dict:
    """Every figure of a results folder (``{target key: {name: relative path}}``, ``"_all"``: the overview), in
    ``pool`` if given; a target ``early`` has submitted already is only waited for."""
    reference = man.get("statistics_reference") or "lissnas"
    done = early.submitted if early is not None else {}
    subs = {t["key"]: done.get(t["key"]) or _submit(pool, root, target_cells(root, plan, t), plan.experiment,
                                                    options, reference) for t in man["targets"]}
    drawn = [t for t in man["targets"] if subs[t["key"]].shrink]
    figs: dict[str, dict[str, str]] = {}
    if drawn:  # in the pool too, so the caller never imports matplotlib
        cells = [c for t in drawn for c in subs[t["key"]].shrink]
        full = {t["key"]: subs[t["key"]].full for t in drawn}
        figs["_all"] = _run(pool, overview_job, str(root), cells, drawn, full, options, reference).result()
    for key, s in subs.items():
        for job in s.jobs:
            made = job.result()
            if made:
                figs.setdefault(key, {}).update(made)
    return figs
