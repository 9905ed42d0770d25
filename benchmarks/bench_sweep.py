"""Sweep throughput: local processes against a Dask LocalCluster, and the scheduling overhead per cell.

    python benchmarks/bench_sweep.py [--seeds 50] [--workers 2] [--shrink-budget 1000] [--search-budget 2000]

The grid: analognas × 5 shrinkers (lissnas, op-pruning, top-samples, single-region, random) × 3 optimizers
(rs, re, ls) × 50 seeds = 750 cells.  Measured in this run, side by side:

* ``in-process``: every cell in this process, one after another (the compute time per cell, no scheduling);
* ``local processes``: ``ProcessPoolExecutor`` with ``--workers`` spawned processes (the ``run`` default);
* ``dask LocalCluster``: ``--workers`` single-threaded worker processes.

For each executor: start-up (the time to a first no-op result), wall time for the grid, cells per second,
parallel efficiency (compute time / (workers × wall)) and the scheduling overhead per cell (the wall time of the
same number of no-op tasks, minus start-up, per task).  Checks that both executors return identical numbers.
Prints a markdown table (copied into docs/search.md).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time


def grid(seeds: int, shrink_budget: int, search_budget: int) -> dict:
    return {
        "name": "bench-sweep", "seeds": seeds, "shrink_budget": shrink_budget, "search_budget": search_budget,
        "curve_points": 100, "benchmarks": [{"benchmark": "analognas"}],
        "shrinkers": ["lissnas", "op-pruning", "top-samples", "single-region", "random"],
        "optimizers": ["rs", "re", "ls"],
    }


def timed_run(executor, fn, specs):
    t0 = time.perf_counter()
    out = list(executor.run(fn, specs))
    return time.perf_counter() - t0, out


def numbers(records):
    """The records' numbers, keyed by cell, without the timing columns (for the identity check)."""
    import json

    skip = {"shrink_seconds", "search_seconds", "wall_seconds"}
    # through JSON so that NaN equals NaN (and 0.1 stays exactly 0.1: floats are written with repr)
    return {r["key"]: json.dumps([{k: v for k, v in r["row"].items() if k not in skip}, r["curve"]], sort_keys=True)
            for r in records}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shrink-budget", type=int, default=1000)
    ap.add_argument("--search-budget", type=int, default=2000)
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask executor")
    ap.add_argument("--batch", type=int, default=10, help="cells per task in the batched Dask run")
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs per executor, interleaved; the fastest is reported (other jobs only add time)")
    args = ap.parse_args()

    from lissnas_bench.sweep import DaskExecutor, LocalExecutor, expand, load_config, run_cell

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    cfg = load_config(grid(args.seeds, args.shrink_budget, args.search_budget))
    specs = expand(cfg)
    n, w = len(specs), args.workers
    run_cell(specs[0])  # warm this process's benchmark cache (workers load theirs during start-up)

    executors = [("in-process (1 worker)", lambda: LocalExecutor(1)), ("local processes", lambda: LocalExecutor(w))]
    if not args.no_dask:
        try:
            import distributed  # noqa: F401

            executors.append(("dask LocalCluster", lambda: DaskExecutor(local_workers=w)))
            executors.append((f"dask LocalCluster, --batch {args.batch}",
                              lambda: DaskExecutor(local_workers=w, batch=args.batch)))
        except ImportError:
            print("distributed is not installed: skipping Dask (pip install 'lissnas-bench[dask]')")
    best: dict[str, dict] = {}
    reference = None
    for rep in range(args.repeats):
        for name, make in executors:
            startup, _ = timed_run(make(), len, [{"key": "startup"}, {"key": "startup2"}])
            noop_wall, _ = timed_run(make(), len, [{"key": f"noop{i}"} for i in range(n)])
            wall, recs = timed_run(make(), run_cell, specs)
            nums = numbers(recs)
            reference = reference or nums
            if nums != reference:
                raise SystemExit(f"{name} returned different numbers")
            compute = float(sum(r["row"]["wall_seconds"] for r in recs))
            b = best.setdefault(name, {"startup": math.inf, "noop": math.inf, "wall": math.inf, "compute": math.inf})
            b["startup"], b["noop"] = min(b["startup"], startup), min(b["noop"], noop_wall)
            b["wall"] = min(b["wall"], wall)
            if name.startswith("in-process"):
                b["compute"] = min(b["compute"], compute)
            print(f"[{rep + 1}/{args.repeats}] {name}: {n} cells in {wall:.1f} s (start-up {startup:.2f} s), "
                  "identical numbers", flush=True)
    compute = best["in-process (1 worker)"]["compute"]
    rows = []
    for name, _ in executors:
        b = best[name]
        wk = 1 if name.startswith("in-process") else w
        st = math.nan if wk == 1 else b["startup"]
        ov = math.nan if wk == 1 else max(0.0, b["noop"] - b["startup"]) / n  # per task, start-up excluded
        rows.append((name, wk, st, b["wall"], n / b["wall"], compute / (wk * b["wall"]), ov))

    print()
    print(f"Grid: analognas × 5 shrinkers × 3 optimizers × {args.seeds} seeds = {n} cells; shrink budget "
          f"{args.shrink_budget}, search budget {args.search_budget} (total); {os.cpu_count()} CPUs, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
          + (f"; load average before the run {load[0]:.1f}" if load else "") + ".")
    print()
    print("| executor | workers | start-up (s) | wall (s) | cells/s | parallel efficiency "
          "| scheduling overhead / cell (µs) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, wk, st, wl, cps, eff, ov in rows:
        st_s = "–" if math.isnan(st) else f"{st:.2f}"
        ov_s = "–" if math.isnan(ov) else f"{1e6 * ov:.0f}"
        print(f"| {name} | {wk} | {st_s} | {wl:.1f} | {cps:.1f} | {eff:.0%} | {ov_s} |")
    print()
    print(f"Mean compute per cell (fastest in-process run): {1e3 * compute / n:.1f} ms; fastest of "
          f"{args.repeats} interleaved runs per executor.")


if __name__ == "__main__":
    main()
