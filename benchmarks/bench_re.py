"""Regularised evolution in shrunk spaces: cells per CPU second of ``examples/compare_demo.yaml``, ours against the
per-search neighbour caching of before, and what a lower ``patience`` would buy.

    python benchmarks/bench_re.py --demo [--seeds 2] [--repeats 3] [--json PATH]
    python benchmarks/bench_re.py        # NAS-Bench-Graph cora/citeseer/pubmed × 5 shrinkers, re alone

Variants, run in this process, alternating, ``--repeats`` times each (medians of CPU time, so that other work on
a shared machine disturbs them less than it would wall time):

* ``ours``: the code as it is (``re`` with its defaults, patience 100; neighbour rows shared by every search of
  the process, ``search._base.NeighbourGraph``);
* ``reference``: the same code with the neighbour rows dropped before every search, which is what each search
  computed for itself before (``PREFETCH_DOMAIN`` members at once in a small domain, else one row at a time): its
  numbers must be identical to ours;
* ``patience 10`` (context, not the default): ``re`` forced to a fresh child after 10 known ones instead of 100
  (different numbers: it changes which architectures are queried).

The unbounded rule (``patience`` effectively infinite) is not a usable in-run reference: in a space that the
budget nearly uses up, the population re-proposes known children for millions of generations.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import Row, add_json_arg, build, report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def config(seeds: int, demo: bool, patience: int | None = None) -> dict:
    if demo:
        import yaml

        cfg = {**yaml.safe_load((ROOT / "examples" / "compare_demo.yaml").read_text()), "seeds": seeds}
    else:
        cfg = {"name": "bench-re", "seeds": seeds, "shrink_budget": 1000, "search_budget": 2000, "curve_points": 200,
               "benchmarks": [{"benchmark": "nasbench-graph", "datasets": ["cora", "citeseer", "pubmed"]}],
               "shrinkers": ["lissnas", "op-pruning", "top-samples", "single-region", "random"],
               "reference": "lissnas", "optimizers": ["re"]}
    if patience is not None:
        cfg["optimizers"] = [{"method": "re", "label": "re", "params": {"patience": patience}} if o == "re" else o
                             for o in cfg["optimizers"]]
    return cfg


@contextlib.contextmanager
def per_search_neighbours():
    """Every search computes its neighbour rows afresh (the caching before NeighbourGraph)."""
    from lissnas_bench.search import _base

    init = _base.SearchState.__init__

    def fresh(self, *a, **kw):
        _base._GRAPHS.clear()
        init(self, *a, **kw)

    _base.SearchState.__init__ = fresh
    try:
        yield
    finally:
        _base.SearchState.__init__ = init


def run_once(plan) -> tuple[float, list[dict]]:
    from lissnas_bench.experiments.cell import run_group
    from lissnas_bench.search import _base

    _base._GRAPHS.clear()  # every run starts cold, as a fresh worker process would
    t0, records = time.process_time(), []
    for t, b, s in plan.groups():
        records += run_group(plan, t.key, b, s, [v.label for v in plan.run_order()], raise_errors=True)
    return time.process_time() - t0, records


def summary(recs: list[dict]) -> dict:
    searches = [s for r in recs for s in r["searches"] if s["optimizer"] == "re"]
    nums = json.dumps([[s["search_queries"], s["regret"], s.get("info_generations")] for s in searches])
    return {"cells": len(recs), "re_seconds": sum(s["search_seconds"] for s in searches),
            "generations": sum(s.get("info_generations", 0) for s in searches) / max(len(searches), 1),
            "digest": hashlib.sha256(nums.encode()).hexdigest()[:12]}


def measure(args) -> dict:
    from lissnas_bench.experiments import load_config, prepare

    plans = {"ours": prepare(load_config(config(args.seeds, args.demo))),
             "patience 10": prepare(load_config(config(args.seeds, args.demo, patience=10)))}
    plans["reference"] = plans["ours"]
    got = {k: [] for k in plans}
    run_once(plans["ours"])  # warm-up: the benchmarks' data, imports and lazy tables, paid once for every variant
    for rep in range(args.repeats):
        for name in (list(plans) if rep % 2 == 0 else list(plans)[::-1]):
            with per_search_neighbours() if name == "reference" else contextlib.nullcontext():
                cpu, recs = run_once(plans[name])
            got[name].append({"cpu": cpu, **summary(recs)})
            print(f"[{rep + 1}/{args.repeats}] {name}: {len(recs)} cells in {cpu:.2f} s CPU", flush=True)
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="alternating runs of each variant; medians reported")
    ap.add_argument("--demo", action="store_true", help="examples/compare_demo.yaml instead of re alone")
    add_json_arg(ap)
    args = ap.parse_args()
    got = measure(args)
    med = {k: {**v[0], **{m: statistics.median(r[m] for r in v) for m in ("cpu", "re_seconds")}}
           for k, v in got.items()}
    o, r, p = med["ours"], med["reference"], med["patience 10"]
    n = o["cells"]
    if len({x["digest"] for k in ("ours", "reference") for x in got[k]}) != 1:
        raise SystemExit("ours and the reference returned different numbers")
    what = "examples/compare_demo.yaml" if args.demo else "NAS-Bench-Graph × 5 shrinkers, re alone"
    speed = r["cpu"] / o["cpu"]
    rows = [
        Row(f"cells per CPU second, {what}, {args.seeds} seeds ({n} cells)", f"{n / o['cpu']:.1f}",
            f"{n / r['cpu']:.1f}", speed, "≥ 5×", speed >= 5),
        Row("re search per cell (ms, wall)", f"{1e3 * o['re_seconds'] / n:.1f}", f"{1e3 * r['re_seconds'] / n:.1f}",
            r["re_seconds"] / o["re_seconds"], "–", None),
        Row("re generations per search", f"{o['generations']:,.0f}", f"{r['generations']:,.0f}", None, "–", None),
        Row("context: patience 10 instead of 100, cells per CPU second", f"{n / p['cpu']:.1f}", f"{n / o['cpu']:.1f}"
            " (patience 100)", o["cpu"] / p["cpu"], "–", None),
        Row("context: patience 10, re generations per search", f"{p['generations']:,.0f}",
            f"{o['generations']:,.0f} (patience 100)", o["generations"] / max(p["generations"], 1), "–", None),
    ]
    notes = [f"Median CPU seconds of {args.repeats} alternating runs per variant, each from cold neighbour rows; "
             f"ours and the reference returned identical numbers (digest {o['digest']}).",
             f"re searches: {o['re_seconds']:.2f} s wall of ours' {o['cpu']:.2f} s CPU for {n} cells (reference: "
             f"{r['re_seconds']:.2f} of {r['cpu']:.2f} s)."]
    doc = build("bench_re", "Regularised evolution in shrunk spaces", rows, notes=notes,
                command="python benchmarks/bench_re.py" + (" --demo" if args.demo else ""), extra={"medians": med})
    report(doc, args.json)


if __name__ == "__main__":
    main()
