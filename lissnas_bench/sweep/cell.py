"""One sweep cell: shrink (or not), then search, on one (benchmark, dataset, seed).  A pure function of its spec.

Seeds.  The cell's stream is the comparison runner's: ``SeedSequence(root_seed, spawn_key=(target_key, seed))`` with
``target_key = crc32(benchmark id, dataset, metric)``; the shrink uses its child 0 (as ``compare`` does, so a sweep's
shrunk spaces are the comparison's), the search the child ``(3, crc32(optimizer))``.  The key is built from the
cell's *coordinates*, not from its position in the grid, so the numbers do not depend on the executor, on the
order cells finish in, or on which other cells the grid holds.

Accounting.  The shrinker spends at most ``shrink_budget`` queries on an Oracle; the search then continues *that*
oracle with its budget raised to ``search_budget``: the shrinker's queries count, and every architecture it
queried is free for the search.  The ``full`` pseudo-shrinker searches the whole domain from a fresh oracle with
``search_budget``.  Size-matched baselines first run the reference shrinker (same stream, own oracle) for |S'|.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
from collections.abc import Mapping

import numpy as np

from .config import FULL

log = logging.getLogger(__name__)

# per-process cache of opened benchmarks (a worker runs many cells of the same benchmark)
_BENCHES: dict[tuple, object] = {}
_LOCK = threading.Lock()

ID_COLUMNS = ("benchmark", "dataset", "metric", "shrinker", "optimizer", "seed")


def _benchmark(source: Mapping):
    key = (source["benchmark"], source.get("space"), source.get("arch_column"), source.get("cost_column"))
    with _LOCK:
        bench = _BENCHES.get(key)
        if bench is None:
            from ..benchmarks import load_benchmark

            bench = _BENCHES[key] = load_benchmark(key[0], space=key[1], arch_column=key[2], cost_column=key[3])
    return bench


def curve_points(budget: int, points: int, extra=()) -> np.ndarray:
    """The query counts a stored anytime curve keeps: ``points`` evenly spaced in 1..budget, plus ``extra``."""
    if points <= 0:
        return np.empty(0, dtype=np.int64)
    grid = np.unique(np.round(np.linspace(1, budget, min(points, budget))).astype(np.int64))
    return np.union1d(grid, np.asarray(list(extra), dtype=np.int64))


def _ids(spec: Mapping) -> dict:
    return {"cell": spec["key"], "benchmark": spec["bench_id"], "dataset": spec["dataset"], "metric": spec["metric"],
            "shrinker": spec["shrinker"]["label"], "optimizer": spec["optimizer"]["label"], "seed": spec["seed"],
            "shrinker_method": spec["shrinker"]["method"], "optimizer_method": spec["optimizer"]["method"]}


def run_cell(spec: Mapping) -> dict:
    """Run one cell; never raises: a failure is returned as a record with ``status = "failed"`` and the error."""
    t0 = time.perf_counter()
    try:
        rec = _run(spec)
    except Exception as exc:  # noqa: BLE001 - a failing cell is recorded and the sweep goes on
        log.debug("cell %s failed", spec.get("key"), exc_info=True)
        return failed_record(spec, f"{type(exc).__name__}: {exc}", traceback.format_exc(),
                             time.perf_counter() - t0)
    rec["row"]["wall_seconds"] = time.perf_counter() - t0
    return rec


def failed_record(spec: Mapping, error: str, tb: str = "", wall: float = math.nan) -> dict:
    return {"key": spec["key"], "row": {**_ids(spec), "status": "failed", "error": error, "wall_seconds": wall},
            "curve": None, "traceback": tb}


def _run(spec: Mapping) -> dict:
    from ..benchmarks import Oracle
    from ..runner import _children, _stable_int, cell_seed, seed_sequence
    from ..search import get_optimizer, search_seed_sequence
    from ..shrinkers import get_shrinker

    bench = _benchmark(spec["source"])
    ds, metric = spec["dataset"], spec["metric"]
    ss = seed_sequence(spec["root_seed"], _stable_int(bench.id, ds, metric), spec["seed"])
    shrink_ss = _children(ss, 3)[0]
    sb, B = int(spec["shrink_budget"]), int(spec["search_budget"])
    sh = spec["shrinker"]

    t_shrink = time.perf_counter()
    ref_size = None
    if sh["method"] == FULL:
        oracle = Oracle(bench, ds, metric, B)
        shrunk = None
    else:
        shrinker = get_shrinker(sh["method"], **sh["params"])
        if getattr(shrinker, "needs_reference", False):
            ref = spec["reference"]
            ref_res = get_shrinker(ref["method"], **ref["params"]).shrink(
                Oracle(bench, ds, metric, sb), np.random.default_rng(shrink_ss))
            ref_size = int(ref_res.shrunk.size)
        oracle = Oracle(bench, ds, metric, sb)
        res = shrinker.shrink(oracle, np.random.default_rng(shrink_ss), reference_size=ref_size)
        shrunk = res.shrunk
        # the search continues the shrinker's oracle: its queries count, its architectures are free
        oracle.budget = B
    shrink_queries = int(oracle.queries)
    shrink_seconds = time.perf_counter() - t_shrink

    opt = spec["optimizer"]
    t_search = time.perf_counter()
    result = get_optimizer(opt["method"], **opt["params"]).search(
        oracle, np.random.default_rng(search_seed_sequence(ss, opt["method"])), shrunk, budget=B)
    search_seconds = time.perf_counter() - t_search

    row = {**_ids(spec), "status": "ok", "error": None, "cell_seed": cell_seed(ss),
           "shrink_queries": shrink_queries,
           "shrunk_size": int(result.domain_size),
           "reference_size": ref_size,
           **result.columns(spec["regret_at"]),
           "best": result.best_value,
           "regret": float(result.global_max - result.best_value),
           "best_arch": bench.space.to_strings(result.best_arch[None, :])[0] if result.best_arch is not None else None,
           "shrink_seconds": shrink_seconds, "search_seconds": search_seconds}
    curve = None
    pts = curve_points(B, int(spec["curve_points"]), spec["regret_at"])
    if len(pts):
        curve = {"queries": pts.tolist(), "best": [result.best_at(int(q)) for q in pts]}
        if result.sim_seconds is not None:
            idx = np.clip(np.searchsorted(result.queries, pts, side="right") - 1, 0, len(result.queries) - 1)
            curve["sim_seconds"] = result.sim_seconds[idx].tolist()
        curve["global_max"] = result.global_max
    row.pop("search_domain_size")  # the same number as shrunk_size
    return {"key": spec["key"], "row": row, "curve": curve, "traceback": ""}
