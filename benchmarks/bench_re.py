"""Regularised evolution in small shrunk spaces: time per cell of ``examples/compare_demo.yaml``-like cells.

    python benchmarks/bench_re.py [--seeds 3] [--repeats 3] [--demo]

The cells: NAS-Bench-Graph cora, citeseer and pubmed × the demo's five shrinkers (shrink budget 1000), each
followed by ``re`` alone up to 2000 queries in total, run in this process one after another.  Shrunk spaces of a
few hundred architectures make evolution re-propose known children for tens of thousands of generations; this
measures the search phase (``search_seconds``, wall) and whole cells per CPU second of this process (CPU time, so
that other work on a shared machine disturbs it less than wall time would).  Prints a markdown table and the
generations, so that two versions of the code (``PYTHONPATH=...``) can be compared on the same machine: their
numbers (queries, regret, generations) must be identical.  ``--demo`` runs ``examples/compare_demo.yaml`` itself
(its first ``--seeds`` seeds: every target, every shrinker, rs, re and ls after each shrink).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import time


def config(seeds: int, demo: bool = False) -> dict:
    if demo:
        import yaml
        from pathlib import Path

        cfg = yaml.safe_load((Path(__file__).resolve().parents[1] / "examples" / "compare_demo.yaml").read_text())
        return {**cfg, "seeds": seeds}
    return {"name": "bench-re", "seeds": seeds, "shrink_budget": 1000, "search_budget": 2000, "curve_points": 200,
            "benchmarks": [{"benchmark": "nasbench-graph", "datasets": ["cora", "citeseer", "pubmed"]}],
            "shrinkers": ["lissnas", "op-pruning", "top-samples", "single-region", "random"],
            "reference": "lissnas", "optimizers": ["re"]}


def run_once(plan) -> tuple[float, list[dict]]:
    from lissnas_bench.experiments.cell import run_group

    t0, records = time.process_time(), []
    for t, b, s in plan.groups():
        records += run_group(plan, t.key, b, s, [v.label for v in plan.run_order()], raise_errors=True)
    return time.process_time() - t0, records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3, help="runs of the whole grid; the fastest is reported")
    ap.add_argument("--demo", action="store_true", help="examples/compare_demo.yaml instead of re alone")
    args = ap.parse_args()
    from lissnas_bench.experiments import load_config, prepare

    plan = prepare(load_config(config(args.seeds, args.demo)))
    best = None
    for _ in range(args.repeats):
        wall, recs = run_once(plan)
        if best is None or wall < best[0]:
            best = (wall, recs)
    wall, recs = best
    searches = [s for r in recs for s in r["searches"] if s["optimizer"] == "re"]
    search_s = sum(s["search_seconds"] for s in searches)
    gens = sum(s.get("info_generations", 0) for s in searches)
    numbers = json.dumps([[s["search_queries"], s["regret"], s.get("info_generations")] for s in searches])
    print(f"{len(recs)} cells, {platform.python_version()}, {os.cpu_count()} CPUs, fastest of {args.repeats}")
    print("| cells | CPU (s) | cells / CPU s | re search (s) | re search / cell (ms) | generations | µs / generation |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {len(recs)} | {wall:.2f} | {len(recs) / wall:.1f} | {search_s:.2f} | {1000 * search_s / len(recs):.1f} "
          f"| {gens:,} | {1e6 * search_s / max(gens, 1):.2f} |")
    print(f"numbers digest: {hashlib.sha256(numbers.encode()).hexdigest()[:12]} (must match across versions)")


if __name__ == "__main__":
    main()
