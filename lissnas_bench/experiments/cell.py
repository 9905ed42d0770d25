"""One cell: shrink (or not, for ``full``), evaluate against the ground truth, then search S' with each optimizer.

A cell is a pure function of its coordinates (target, variant, seed; docs in ``seeds.py``).  Accounting: the
shrinker spends at most ``budget`` distinct queries on an ``Oracle``; each search continues a copy of *that*
oracle up to ``search_budget`` queries in total (and, with a ``time_budget``, until the next query would take the
simulated seconds past it), so the shrinker's queries and seconds count and the architectures it queried are
free.  ``full`` searches the whole domain from a fresh oracle with the same total.

A cell returns a *record*: plain JSON data (its row of ``results.parquet``, its trace, the shrunk space, the
anytime curves), written by the store in the parent process only.
"""

from __future__ import annotations

import logging
import math
import time
import traceback
from itertools import chain
from typing import Any

import numpy as np

from .._params import jsonable
from ..errors import LissnasBenchError
from .config import FULL
from .seeds import cell_seed, children, search_seed_sequence

log = logging.getLogger(__name__)

#: how many values of f over each S' a cell keeps for the distribution figure
F_SAMPLE = 400


def _scalars(d: dict, prefix: str = "") -> dict:
    """The scalar items of ``d`` as plain JSON values (NaN kept as NaN until the JSON writer turns it to null)."""
    out = {}
    for k, v in d.items():
        if isinstance(v, (bool, np.bool_)):
            out[f"{prefix}{k}"] = bool(v)
        elif isinstance(v, (int, np.integer)):
            out[f"{prefix}{k}"] = int(v)
        elif isinstance(v, (float, np.floating)):
            out[f"{prefix}{k}"] = float(v)
        elif isinstance(v, str) or v is None:
            out[f"{prefix}{k}"] = v
    return out


def _plain(o):
    """``jsonable(o)``, with a fast path for what a record is mostly made of: lists of Python ints or floats (a
    shrunk space's architectures, curves, samples of f), which ``jsonable`` would visit one value at a time."""
    kind = type(o)
    if kind is list:
        types = set(map(type, o))  # one pass in C
        if types == {int}:
            return list(o)
        if types == {list} and set(map(type, chain.from_iterable(o))) == {int}:  # architectures
            return list(map(list, o))
        if types == {float}:
            total = sum(o)
            if total - total == 0:  # a finite sum: no NaN or ±inf in the list
                return list(o)
            return [x if x - x == 0 else None for x in o]  # x - x is NaN exactly for NaN and ±inf
        return [_plain(x) for x in o]
    if kind is dict:
        return {k if type(k) is str else str(k): _plain(v) for k, v in o.items()}
    return jsonable(o)


def _f_sample(shrunk, bench, dataset, metric, rng, n=F_SAMPLE) -> list[float]:
    """f over S' (all of it when small, else a uniform sample) for the distribution figure."""
    if int(shrunk.size) <= n and getattr(shrunk, "enumerable", True):
        archs = shrunk.enumerate(n)
    else:
        archs = shrunk.sample(n, rng)
    vals = bench.query(archs, dataset, metric) if len(archs) else np.empty(0)
    return np.asarray(vals, dtype=np.float64).tolist()


def curve_grid(budget: int, points: int, extra=()) -> np.ndarray:
    """The query counts a stored anytime curve keeps: ``points`` evenly spaced in 1..budget, plus ``extra``."""
    if points <= 0:
        return np.empty(0, dtype=np.int64)
    grid = np.unique(np.round(np.linspace(1, budget, min(points, budget))).astype(np.int64))
    return np.union1d(grid, np.asarray(list(extra), dtype=np.int64))


def compact_curve(result, grid: np.ndarray, seconds: bool = False) -> dict:
    """A ``SearchResult``'s best-so-far step function, losslessly (the query counts where it changes, and the
    last one), the global maximum (regret = ``global_max - best``) and the simulated seconds at ``grid``;
    ``seconds`` adds the cumulative seconds at the kept points (the step function against time, losslessly: the
    best changes only at kept points and the seconds never decrease)."""
    q = np.asarray(result.queries, dtype=np.int64)
    b = np.asarray(result.best_so_far, dtype=np.float64)
    keep = np.ones(len(b), dtype=bool)
    if len(b) > 1:
        keep[1:-1] = b[1:-1] != b[:-2]
    out = {"queries": q[keep].tolist(), "best": b[keep].tolist(), "global_max": float(result.global_max),
           "search_start": int(result.search_start), "stop": result.stop}
    if result.sim_seconds is not None and len(q) and len(grid):
        i = np.clip(np.searchsorted(q, grid, side="right") - 1, 0, len(q) - 1)
        out["grid_sim_seconds"] = np.asarray(result.sim_seconds, dtype=np.float64)[i].tolist()
    if seconds and result.sim_seconds is not None:
        out["seconds"] = np.asarray(result.sim_seconds, dtype=np.float64)[keep].tolist()
    return out


def _searches(plan, t, shrink_result, oracle, ss, budget: int) -> tuple[dict, list[dict], dict]:
    """Every optimizer inside ``shrink_result`` (``None``: the full space), each continuing a copy of ``oracle``;
    returns (wide columns for the cell's row, a long row per optimizer, compact curves)."""
    from ..search import Truth, search_after_shrink

    exp = plan.experiment
    truth = None if getattr(t.bench, "live", False) else Truth.of(t.bench, t.dataset, t.metric)
    B = int(exp.search_budget)
    grid = curve_grid(B, exp.curve_points, [*exp.regret_at, *exp.budgets])
    wide: dict[str, Any] = {}
    long_rows, curves, domain = [], {}, {}
    t0 = time.perf_counter()
    for v in exp.optimizers:
        t1 = time.perf_counter()
        cols, res = search_after_shrink(shrink_result, oracle, plan.optimizers[v.label],
                                        np.random.default_rng(search_seed_sequence(ss, v.method)), budget=B,
                                        regret_at=exp.regret_at, return_result=True, truth=truth,
                                        time_budget=exp.time_budget)
        for name in ("search_domain_size", "search_domain_regret"):  # a property of S', not of the optimizer
            domain[name] = cols[name]
        best_arch = t.bench.space.to_strings(res.best_arch[None, :])[0] if res.best_arch is not None else None
        long_rows.append({"optimizer": v.label, "optimizer_method": v.method, **_scalars(cols),
                          "best": res.best_value, "regret": float(res.global_max - res.best_value),
                          "best_arch": best_arch, "search_seconds": time.perf_counter() - t1,
                          **_scalars(res.info, "info_")})
        wide.update({f"{k}[{v.label}]": x for k, x in _scalars(cols).items()
                     if k not in ("search_domain_size", "search_domain_regret")})
        curves[v.label] = compact_curve(res, grid, seconds=exp.time_budget is not None)
    wide.update(_scalars(domain))
    wide["search_seconds"] = time.perf_counter() - t0
    return wide, long_rows, curves


def _protocol(t) -> dict:
    """What every row says about its protocol: the query metric, the truth metric, and whether they coincide."""
    return {"query_metric": t.protocol.query, "protocol": t.protocol.kind}


def _shrink_cell(plan, t, v, seed: int, budget: int, ref: tuple[int, int] | None) -> dict:
    """Shrink, evaluate and (with optimizers) search one (target, budget, variant, seed) cell; ``ref`` is the
    reference's (|S'|, queries) for a size-matched baseline."""
    from ..evaluation import evaluate

    exp = plan.experiment
    ss = plan.seed_sequence(t, seed)
    shrink_ss, eval_ss, sample_ss = children(ss, 3)
    oracle = t.oracle(budget, ss)
    t0 = time.perf_counter()
    res = plan.shrinkers[v.label].shrink(oracle, np.random.default_rng(shrink_ss),
                                         reference_size=ref[0] if ref else None,
                                         reference_queries=ref[1] if ref else None)
    wall = time.perf_counter() - t0
    if oracle.queries > budget:  # the Oracle raises first; this guards shrinkers that query around it
        raise RuntimeError(f"{v.label} spent {oracle.queries} queries, more than the budget {budget}")
    t1 = time.perf_counter()
    metrics = evaluate(res.shrunk, t.bench, t.dataset, t.metric, q=exp.q, proxy=t.proxy,
                       rng=np.random.default_rng(eval_ss), full_space=t.full_space())
    row = {**_protocol(t), **_scalars(metrics), "queries": int(res.queries), "sim_seconds": float(oracle.sim_seconds)
           if oracle.has_time else math.nan, "wall_seconds": wall, "eval_seconds": time.perf_counter() - t1,
           "reference_size": ref[0] if ref else None, "reference_queries": ref[1] if ref else None,
           **_scalars(res.info or {}, "info_")}
    # trace_records gives what trace.to_dict(orient="records") would, without building a DataFrame per cell
    records = res.trace_records() if hasattr(res, "trace_records") else (
        [] if res.trace is None else res.trace.to_dict(orient="records"))
    trace = [_scalars(r) for r in records]
    try:
        mask = np.asarray(res.shrunk.choice_mask(), dtype=bool).astype(int).tolist()
    except (NotImplementedError, LissnasBenchError) as exc:  # a kind of space may not define it
        log.debug("no choice mask for %s: %s", v.label, exc)
        mask = None
    rec = {"row": row, "trace": trace, "space": res.shrunk.to_json(), "shrunk_size": int(res.shrunk.size),
           "choice_mask": mask,
           "f_sample": _f_sample(res.shrunk, t.bench, t.dataset, t.metric, np.random.default_rng(sample_ss))}
    if exp.optimizers:
        wide, rows, curves = _searches(plan, t, res, oracle, ss, budget)
        row.update(wide)
        rec["searches"] = [{**r, "shrink_queries": int(res.queries), "shrunk_size": int(res.shrunk.size),
                            "reference_size": row["reference_size"]} for r in rows]
        rec["curves"] = curves
    return rec


def _full_cell(plan, t, seed: int, budget: int) -> dict:
    """The ``full`` pseudo-shrinker: the optimizers on the whole space from a fresh oracle, same total budget."""
    ss = plan.seed_sequence(t, seed)
    wide, rows, curves = _searches(plan, t, None, t.oracle(0, ss), ss, budget)
    size = t.domain_size
    return {"row": {**_protocol(t), **wide}, "searches": [{**r, "shrink_queries": 0, "shrunk_size": size, "reference_size": None}
                                      for r in rows], "curves": curves}


def reference_run(plan, t, seed: int, budget: int) -> tuple[int, int]:
    """(|S'|, queries) of the reference variant in this (target, budget, seed) cell, run on its own (the same
    stream and budget as if it were a cell of the experiment, its own oracle)."""
    cell_ss = plan.seed_sequence(t, seed)
    res = plan.experiment.reference.build().shrink(t.oracle(budget, cell_ss),
                                                   np.random.default_rng(children(cell_ss, 3)[0]))
    return int(res.shrunk.size), int(res.queries)


def run_group(plan, target_key: str, budget: int, seed: int, pending: list[str], ref=None, *,
              raise_errors: bool = False) -> list[dict]:
    """Run the ``pending`` variants (labels) of one (target, budget, seed) group in run order; ``ref`` is the
    reference's (|S'|, queries) when its cell finished before.  A failing cell becomes a record with
    ``status = "failed"``, its error and traceback (``raise_errors``: the error propagates)."""
    t = plan.target(target_key)
    ref = tuple(ref) if ref is not None else None
    out = []
    for v in plan.run_order():
        if v.label not in pending:
            continue
        key = plan.cell_key(t, v.label, seed, budget)
        t0 = time.perf_counter()
        try:
            if v.method == FULL:
                rec = {**_full_cell(plan, t, seed, budget), "full": True}
            else:
                needs = getattr(plan.shrinkers[v.label], "needs_reference", False)
                if needs and ref is None and plan.experiment.reference is not None:
                    ref = reference_run(plan, t, seed, budget)
                rec = _shrink_cell(plan, t, v, seed, budget, ref if needs else None)
                if v.label == plan.reference_label:
                    ref = (rec["shrunk_size"], rec["row"]["queries"])
            rec["status"], rec["error"] = "ok", None
        except Exception as exc:  # noqa: BLE001 - a failing cell is recorded and the run goes on
            if raise_errors:
                raise
            log.debug("cell %s failed", key, exc_info=True)
            rec = {"row": {}, "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                   "traceback": traceback.format_exc()}
        rec["row"].setdefault("wall_seconds", time.perf_counter() - t0)
        ids = {"benchmark": t.bench.id, "dataset": t.dataset, "metric": t.metric, "budget": budget,
               "method": v.label, "seed": seed, "cell_seed": cell_seed(plan.seed_sequence(t, seed))}
        rec.update(key=key, config_hash=plan.config_hash, target=t.key, row={**ids, **rec["row"]})
        out.append(_plain(rec))
    return out
