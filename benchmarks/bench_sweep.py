"""Sweep throughput: Dask LocalCluster against local processes on the same grid, and the large grid end to end.

    python benchmarks/bench_sweep.py [--seeds 50] [--workers 2] [--repeats 5] [--json PATH]
    python benchmarks/bench_sweep.py --large [--kill-after 60] [--large-seeds N]   # examples/large_grid.yaml

The grid: analognas × full, lissnas (radius 2) and its size-matched op-pruning, single-region and random × rs,
re, ls × ``--seeds`` seeds, run end to end by ``run_experiment`` into a fresh folder (cells stored as they land,
tables rebuilt), by the ``run`` default (``LocalExecutor``: ``--workers`` spawned processes, one (target, seed)
group per task) and by ``DaskExecutor(local_workers=--workers)`` with its default batching.  The two are run
alternately ``--repeats`` times; the medians are reported.  CPU is this process plus its reaped descendants
(``RUSAGE_CHILDREN``: the pool's workers, the cluster's nannies and their workers).  The per-task overhead is the
wall time of ``n`` no-op tasks minus that of two (the start-up), per task.  Both executors must return identical
numbers.

``--large`` runs ``lissnas-bench run examples/large_grid.yaml --yes`` (all local cores) in a subprocess, kills it
(SIGKILL) after ``--kill-after`` seconds, runs the same command again and checks that it resumed (kept the
finished cells, ran only the rest); it reports the wall time of both together, cells per second and the peak
resident memory of any process of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import Row, add_json_arg, build, report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def grid(seeds: int) -> dict:
    return {"name": "bench-sweep", "seeds": seeds, "shrink_budget": 1000, "search_budget": 1500, "curve_points": 100,
            "benchmarks": [{"benchmark": "analognas", "datasets": ["cifar10"]}],
            "shrinkers": ["full", {"method": "lissnas", "label": "lissnas-r2", "params": {"radius": 2}},
                          "op-pruning", "single-region", "random"],
            "reference": {"method": "lissnas", "params": {"radius": 2}}, "optimizers": ["rs", "re", "ls"]}


def cpu_now() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_grid(cfg: dict, executor) -> tuple[float, float, dict]:
    """(wall, CPU, numbers by cell key) of one end-to-end run into a fresh folder."""
    from lissnas_bench.experiments import run_experiment
    from lissnas_bench.experiments.run import load_cells

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as out:
        c0, t0 = cpu_now(), time.perf_counter()
        s = run_experiment(cfg, out, executor=executor)
        wall, cpu = time.perf_counter() - t0, cpu_now() - c0
        if s.failed:
            raise SystemExit(f"{s.failed} cells failed: {s.errors[:2]}")
        from lissnas_bench.experiments import prepare

        skip = {"wall_seconds", "eval_seconds", "search_seconds", "shrink_seconds"}
        nums = {}
        for rec in load_cells(out, prepare(cfg)):
            row = {k: v for k, v in rec["row"].items() if k not in skip and not k.startswith("search_seconds")}
            nums[rec["key"]] = json.dumps([row, [{k: v for k, v in x.items() if k != "search_seconds"}
                                                 for x in rec.get("searches", [])]], sort_keys=True)
    return wall, cpu, nums


def overhead(make, n: int) -> tuple[float, float]:
    """(seconds per task of ``n`` no-op tasks, start-up (two tasks) excluded; CPU seconds of that start-up, every
    process of it)."""
    t0, c0 = time.perf_counter(), cpu_now()
    list(make().run(len, [[i] for i in range(2)]))
    startup, startup_cpu = time.perf_counter() - t0, cpu_now() - c0
    t0 = time.perf_counter()
    list(make().run(len, [[i] for i in range(n)]))
    return max(0.0, time.perf_counter() - t0 - startup) / n, startup_cpu


def compare(args) -> dict:
    from lissnas_bench.experiments import prepare
    from lissnas_bench.experiments.execute import DaskExecutor, LocalExecutor

    cfg = grid(args.seeds)
    n = prepare(cfg).n_cells
    w = args.workers
    kinds = {"local": lambda: LocalExecutor(w), "dask": lambda: DaskExecutor(local_workers=w)}
    got = {k: {"wall": [], "cpu": [], "task": [], "startup_cpu": []} for k in kinds}
    ref = None
    for rep in range(args.repeats):
        for name in (list(kinds) if rep % 2 == 0 else list(kinds)[::-1]):  # alternate who goes first
            wall, cpu, nums = run_grid(cfg, kinds[name]())
            ref = ref or nums
            if nums != ref:
                raise SystemExit(f"{name} returned different numbers than the first run")
            got[name]["wall"].append(wall)
            got[name]["cpu"].append(cpu)
            task, startup_cpu = overhead(kinds[name], args.noop_tasks)
            got[name]["task"].append(task)
            got[name]["startup_cpu"].append(startup_cpu)
            print(f"[{rep + 1}/{args.repeats}] {name}: {n} cells in {wall:.1f} s wall, {cpu:.1f} s CPU; identical "
                  "numbers", flush=True)
    med = {k: {m: statistics.median(v) for m, v in d.items()} for k, d in got.items()}
    lo, da = med["local"], med["dask"]
    wall_x, cpu_x = da["wall"] / lo["wall"], da["cpu"] / lo["cpu"]
    rows = [
        Row(f"wall, {n} cells, {w} workers (Dask / local)", f"{da['wall']:.1f} s", f"{lo['wall']:.1f} s", wall_x,
            "≤ 1.10×", wall_x <= 1.10),
        Row("CPU, every process of the run (Dask / local)", f"{da['cpu']:.1f} s", f"{lo['cpu']:.1f} s", cpu_x,
            "≤ 1.10×", cpu_x <= 1.10),
        Row("cells per second", f"{n / da['wall']:.1f}", f"{n / lo['wall']:.1f}", lo["wall"] / da["wall"], "–", None),
        Row(f"overhead per no-op task ({args.noop_tasks} tasks, start-up excluded)", f"{1e3 * da['task']:.2f} ms",
            f"{1e3 * lo['task']:.2f} ms", None, "–", None),
        Row("start-up alone (2 no-op tasks), CPU of every process", f"{da['startup_cpu']:.2f} s",
            f"{lo['startup_cpu']:.2f} s", None, "–", None),
    ]
    notes = [f"Median of {args.repeats} alternating end-to-end runs of each executor (run_experiment into a fresh "
             f"folder: {n} cells of analognas, rs/re/ls after each shrink); Dask with its default batching, "
             f"local with one (target, seed) group per task; identical numbers in every run.",
             f"Compute per cell ≈ {1e3 * lo['cpu'] / n:.0f} ms CPU; start-up included in both walls and CPUs "
             f"(Dask's is {100 * (da['startup_cpu'] - lo['startup_cpu']) / lo['cpu']:+.0f}% of the local run's CPU "
             "beyond the local start-up)."]
    return build("bench_sweep", "Sweep executors: Dask LocalCluster against local processes", rows, notes=notes,
                 extra={"medians": med, "cells": n, "workers": w})


def peak_rss_children_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KiB


def large(args) -> dict:
    """examples/large_grid.yaml end to end with the default executor, killed once and resumed."""
    from lissnas_bench.experiments import load_config, prepare

    import yaml

    cfg_path = ROOT / "examples" / "large_grid.yaml"
    out = Path(tempfile.mkdtemp(prefix="bench-large-"))
    cfg = yaml.safe_load(cfg_path.read_text())
    seeds, all_seeds = args.large_seeds or cfg["seeds"], cfg["seeds"]
    if seeds != all_seeds:  # the same grid on its first seeds (a cell depends on its own seed only)
        cfg_path = out.with_suffix(".yaml")
        cfg_path.write_text(yaml.safe_dump({**cfg, "seeds": seeds}))
    n = prepare(load_config(cfg_path)).n_cells
    cmd = [sys.executable, "-m", "lissnas_bench.cli", "run", str(cfg_path), "--out", str(out), "--yes",
           "--no-figures", "--json"]
    t0 = time.perf_counter()
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        first.wait(args.kill_after)
        killed = False
    except subprocess.TimeoutExpired:
        os.killpg(first.pid, signal.SIGKILL)  # the run and its workers (they also die with their parent)
        first.wait()
        killed = True
    kept = len(list((out / "cells").rglob("*.json"))) if (out / "cells").exists() else 0
    second = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if second.returncode != 0:
        raise SystemExit(f"the resumed run failed ({second.returncode}): {second.stderr[-800:]}")
    summary = json.loads(second.stdout)
    skipped, ran = summary.get("skipped"), summary.get("ran")
    resumed = (not killed) or (skipped is not None and skipped >= 1 and skipped + ran == n)
    rss = peak_rss_children_mib()
    rows = [
        Row(f"examples/large_grid.yaml end to end, seeds {seeds} of {all_seeds} ({n:,} cells, {os.cpu_count()} "
            "local processes)",
            f"{wall:.0f} s, {n / wall:.1f} cells/s", "–", None, "measured end to end", None),
        Row("peak resident memory (largest process of the run)", f"{rss:.0f} MiB", "–", None, "–", None),
        Row("resume after SIGKILL", f"kept {skipped}, ran {ran}" if killed else "finished before the kill", "–",
            None, "resumes, every cell once", resumed),
    ]
    notes = [f"Killed after {args.kill_after:.0f} s ({kept} cell files on disk), then the same command again; "
             f"wall time of both runs together.  Results in {out}."]
    return build("bench_sweep", "examples/large_grid.yaml end to end", rows, notes=notes,
                 command="python benchmarks/bench_sweep.py --large", extra={"summary": summary})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # 50 seeds (250 cells) keep the grid's compute near the ~20 CPU-seconds its 12 seeds took when the Dask goal
    # was set (cells cost 2.6x more then), so a LocalCluster's fixed start-up (the start-up row) weighs what it did
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5, help="alternating runs per executor; medians reported")
    ap.add_argument("--noop-tasks", type=int, default=400)
    ap.add_argument("--large", action="store_true", help="examples/large_grid.yaml end to end, killed and resumed")
    ap.add_argument("--kill-after", type=float, default=60.0)
    ap.add_argument("--large-seeds", type=int, default=None, help="the first N seeds of the large grid (default all)")
    add_json_arg(ap)
    args = ap.parse_args()
    report(large(args) if args.large else compare(args), args.json)


if __name__ == "__main__":
    main()
