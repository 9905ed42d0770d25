"""Run, resume and rebuild an experiment: validate, skip finished cells, run the rest on an executor, store each
record as it lands, aggregate the tables.  Figures and the report are drawn by the caller's ``publish`` hook
(``lissnas_bench.report.publish``), so the engine never imports presentation code; an ``on_target`` hook hears
of each target as soon as its last cell is stored (``_figures.EarlyFigures`` draws it while the next target runs).

>>> from lissnas_bench.experiments import ComparisonConfig, Target, run_experiment
>>> cfg = ComparisonConfig(targets=(Target("analognas"),), methods=("lissnas", "random"), seeds=2, budget=300)
>>> s = run_experiment(cfg, "results/doctest")                                  # doctest: +SKIP
>>> s.ran, s.skipped, s.failed                                                  # doctest: +SKIP
(4, 0, 0)
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .._io import write_json_atomic
from ..errors import DataFileError
from . import aggregate as agg
from . import stats
from .cell import run_group
from .plan import Plan, prepare
from .store import ResultsFolder, manifest, now, write_table

log = logging.getLogger(__name__)

ProgressFn = Callable[[dict], None]
#: plans built in worker processes, by configuration hash (a worker runs many tasks of the same experiment)
_WORKER_PLANS: dict[str, Plan] = {}


@dataclass
class RunSummary:
    """What a run did: ``ran`` cells (of which ``failed`` failed), ``skipped`` (finished before), ``total``."""

    total: int
    ran: int
    skipped: int
    failed: int
    out: Path
    elapsed_seconds: float
    results: object = None  # the results DataFrame
    searches: object = None  # the searches DataFrame (with optimizers)
    errors: list = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.total} cells: {self.ran} ran, {self.skipped} skipped (already done), {self.failed} failed "
                f"in {self.elapsed_seconds:.1f} s -> {self.out}")


def run_task(task: dict) -> list[dict]:
    """An executor task: several (target, seed) groups of one experiment; returns their cell records."""
    plan = _WORKER_PLANS.get(task["hash"])
    if plan is None:
        from .config import Experiment

        plan = _WORKER_PLANS[task["hash"]] = prepare(Experiment.from_dict(task["experiment"]))
    out = []
    for target_key, budget, seed, pending, ref in task["groups"]:
        out.extend(run_group(plan, target_key, budget, seed, pending, ref))
    return out


def _failed_task(task: dict, exc: BaseException) -> list[dict]:
    """Records for the cells of a task whose worker died (the process, not the cell, failed)."""
    recs = []
    for target_key, budget, seed, pending, _ in task["groups"]:
        for label in pending:
            recs.append({"key": task["keys"][f"{target_key}|{budget}|{seed}|{label}"], "target": target_key,
                         "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                         "row": {"method": label, "seed": seed, "budget": budget}})
    return recs


def _pending_groups(plan: Plan, folder: ResultsFolder, tick) -> list[list]:
    """``[target key, budget, seed, pending labels, reference (|S'|, queries)]`` per group with work left."""
    groups = []
    order = plan.run_order()
    for t, b, s in plan.groups():
        pending, ref = [], None
        for v in order:
            rec = folder.finished(plan.cell_key(t, v.label, s, b), plan.config_hash)
            if rec is None:
                pending.append(v.label)
                continue
            tick(rec["key"], t.key, v.label, s, "skipped")
            if v.label == plan.reference_label:
                ref = [rec["shrunk_size"], rec["row"]["queries"]]
        if pending:
            groups.append([t.key, b, s, pending, ref])
    return groups


def run_experiment(config, out: str | os.PathLike, *, executor=None, workers: int = 1, force: bool = False,
                   progress: ProgressFn | None = None, publish: Callable | None = None,
                   on_target: Callable | None = None, allow_large: bool = False) -> RunSummary:
    """Run (or resume) ``config`` (a ``ComparisonConfig``, ``Experiment``, sweep YAML path/dict, or ``Plan``) into
    ``out``.  ``progress`` gets ``{"done", "total", "key", "target", "method", "seed", "status", "skipped"}``
    after every cell (status ok / failed / skipped).  A folder holding a different configuration is refused
    unless ``force`` (which clears what an experiment writes, nothing else).  ``publish(out, plan)`` draws
    figures and the report once the tables are written; ``on_target(out, plan, target key)`` is called once per
    target when its last cell is stored (at once for a target finished before a resumed run).  A run whose
    ``plan.estimate()`` exceeds the limits of ``plan.py`` is refused before anything is written, unless
    ``allow_large``."""
    from .execute import LocalExecutor

    plan = prepare(config)
    plan.estimate().check(allow_large)
    folder = ResultsFolder(out)
    folder.check_writable()
    executor = executor or LocalExecutor(workers)
    folder.claim(plan.config_hash, force)
    folder.root.mkdir(parents=True, exist_ok=True)
    old = folder.read_manifest() or {}
    started = old.get("started") or now()
    t0 = time.perf_counter()
    desc = executor.describe()
    write_json_atomic(folder.manifest, manifest(plan, "running", started, executor=desc))

    state = {"done": 0, "failed": 0, "errors": []}

    def tick(key, target, method, seed, status):
        state["done"] += 1
        if progress is not None:
            progress({"done": state["done"], "total": plan.n_cells, "key": key, "target": target, "method": method,
                      "seed": seed, "status": status, "skipped": status == "skipped"})

    groups = _pending_groups(plan, folder, tick)
    skipped = state["done"]
    if skipped:
        log.info("resuming %s: %d of %d cells already finished", folder.root, skipped, plan.n_cells)
    exp_dict = plan.experiment.to_dict()  # one copy shared by every task
    tasks = [{"hash": plan.config_hash, "experiment": exp_dict, "groups": [g],
              "keys": {f"{g[0]}|{g[1]}|{g[2]}|{lab}": plan.cell_key(plan.target(g[0]), lab, g[2], g[1])
                       for lab in g[3]}} for g in groups]
    _WORKER_PLANS[plan.config_hash] = plan  # in-process tasks reuse the opened benchmarks
    landed = _target_watch(plan, groups, lambda key: on_target(folder.root, plan, key)) if on_target else None
    for rec in _records(executor, tasks):
        folder.write_cell(rec)
        if rec["status"] != "ok":
            state["failed"] += 1
            state["errors"].append(f"{rec['key']}: {rec['error']}")
            log.warning("cell %s failed: %s", rec["key"], rec["error"])
        tick(rec["key"], rec["target"], rec["row"].get("method"), rec["row"].get("seed"), rec["status"])
        if landed is not None:
            landed(rec["target"])
    ran = state["done"] - skipped
    elapsed = (old.get("elapsed_seconds") or 0.0) + (time.perf_counter() - t0)
    results, searches = rebuild(folder.root, plan=plan)
    counts = {"ran": ran, "skipped": skipped, "failed": state["failed"]}
    write_json_atomic(folder.manifest, manifest(plan, "complete", started, elapsed=elapsed, counts=counts,
                                                executor=desc))
    if publish is not None:
        publish(folder.root, plan)
    return RunSummary(plan.n_cells, ran, skipped, state["failed"], folder.root, time.perf_counter() - t0, results,
                      searches, state["errors"])


def _target_watch(plan: Plan, groups: list[list], done: Callable[[str], None]) -> Callable[[str], None]:
    """``landed(target key)`` for each stored record; calls ``done(key)`` when that target has no cell left.
    Targets with nothing pending are done now, before any cell runs, so their work overlaps the cells."""
    left = {t.key: 0 for t in plan.targets}
    for g in groups:
        left[g[0]] += len(g[3])
    for key, n in left.items():
        if n == 0:
            done(key)

    def landed(key: str) -> None:
        left[key] -= 1
        if left[key] == 0:
            done(key)

    return landed


def _records(executor, tasks):
    """Every record of every task as it lands (a task yields a list; a dead worker's task, failure records)."""
    for batch in executor.run(run_task, tasks, on_error=_failed_task):
        yield from batch


def load_cells(out: str | os.PathLike, plan: Plan, target: str | None = None) -> list[dict]:
    """The cell records of a results folder (finished or failed) of ``plan``, in its canonical order; only
    those of the target keyed ``target`` if given (the canonical order is target-major, so the per-target
    lists, joined in the plan's order, are the whole list)."""
    folder = ResultsFolder(out)
    recs = []
    for t, b, s, v in plan.cells():
        if target is not None and t.key != target:
            continue
        rec = folder.read_cell(plan.cell_key(t, v.label, s, b))
        if rec is not None and rec.get("config_hash") == plan.config_hash:
            recs.append(rec)
    return recs


def rebuild(out: str | os.PathLike, *, plan: Plan | None = None):
    """(Re)write every table of a results folder from its cells; returns ``(results, searches)``.  Without
    ``plan`` the configuration is read back from the manifest (the benchmarks are reopened for f over S)."""
    folder = ResultsFolder(out)
    man = folder.read_manifest()
    if man is None:
        raise DataFileError(f"{folder.root} is not a results folder (no manifest.json)")
    if plan is None:
        from .config import Experiment

        plan = prepare(Experiment.from_dict(man["config"]))
    cells = load_cells(folder.root, plan)
    results = agg.results_frame(cells)
    write_table(results, folder.results)
    ref = plan.experiment.statistics_reference
    summary = agg.flag_spend(agg.summarise(results, ["benchmark", "dataset", "metric", "budget", "method"]), ref)
    write_table(summary, folder.summary)
    maximize = {(t.bench.id, t.dataset, t.metric): t.protocol_maximize for t in plan.targets}
    write_table(stats.paired_tests(results, ref, maximize), folder.comparisons)
    shrink = [c for c in cells if not agg.is_full(c)]
    write_table(agg.traces_frame(shrink), folder.traces)
    write_table(agg.distributions_frame(shrink, plan), folder.distributions)
    searches = None
    if plan.experiment.optimizers:
        searches = agg.searches_frame(cells)
        write_table(searches, folder.searches)
        write_table(agg.summarise(searches, ["benchmark", "dataset", "metric", "budget", "method", "optimizer"]),
                    folder.search_summary)
        write_table(agg.curves_frame(cells, plan.experiment), folder.curves)
        if plan.experiment.time_budget is not None:
            write_table(agg.time_curves_frame(cells, plan.experiment), folder.curves_time)
    log.info("tables rebuilt from %d cells", len(cells))
    return results, searches


def load_results(out: str | os.PathLike):
    """``(results, summary, manifest)`` of a finished results folder (what the notebooks read)."""
    import pandas as pd

    folder = ResultsFolder(out)
    man = folder.read_manifest()
    if man is None or not folder.results.exists():
        raise DataFileError(f"{folder.root} holds no finished results (manifest.json / results.parquet missing)")
    return pd.read_parquet(folder.results), pd.read_csv(folder.summary), man
