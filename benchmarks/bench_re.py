"""Regularised evolution in shrunk spaces: cells per CPU second of ``examples/compare_demo.yaml``, ours against the
code this was measured against when issue 16 was filed, and what a lower ``patience`` would buy.

    python benchmarks/bench_re.py --demo [--seeds 2] [--repeats 3] [--json PATH]
    python benchmarks/bench_re.py        # NAS-Bench-Graph cora/citeseer/pubmed × 5 shrinkers, re alone

Variants, run in this process, alternating, ``--repeats`` times each (medians of CPU time, so that other work on
a shared machine disturbs them less than it would wall time):

* ``ours``: the code as it is (``re`` with its defaults, patience 100; draws in pure Python, ``_draws``; known
  children answered from a dict; neighbour rows of the whole benchmark, loaded from their disk cache, shared by
  every search and by the pocket count of the process, ``benchmarks.neighbours``);
* ``reference``: the generation loop and the neighbour lookups as they were when the issue was filed (commit
  0f4db06: one NumPy draw call per tournament and per mutation, every child through ``SearchState.query``,
  each search computing its neighbour rows one row at a time for itself), and the evaluation as filed
  (``evaluation._rows.reference()``, benchmarks/bench_evaluation.py's reference); everything else ours: its
  numbers must be identical to ours;
* ``reference, re only`` (context): the same with our evaluation;
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


def _filed_run(self, state, rng) -> dict:
    """``RegularizedEvolution._run`` as filed (0f4db06), its info extended by ``known_children`` to compare."""
    from collections import deque

    import numpy as np

    p = self.params
    rows, vals = state.query(state.unseen(p.population, rng))
    pop_rows, pop_vals = deque(rows.tolist()), deque(vals.tolist())
    if not pop_rows:
        return {"generations": 0, "fresh_children": 0, "known_children": 0}
    stale = generations = fresh = repeats = 0
    while not state.done:
        idx = rng.integers(0, len(pop_rows), size=p.tournament)
        parent = pop_rows[int(idx[int(np.argmax([pop_vals[i] for i in idx]))])]
        child = None
        if stale < p.patience:
            nb = state.neighbours(parent)
            if len(nb):
                child = int(nb[rng.integers(len(nb))])
        if child is None:
            more = state.unseen(1, rng)
            if not len(more):
                break
            child, fresh, stale = int(more[0]), fresh + 1, 0
        was_known = bool(state.known[child])
        asked, v = state.query([child])
        if not len(asked):
            break
        stale, repeats = (stale + 1, repeats + 1) if was_known else (0, repeats)
        pop_rows.append(child)
        pop_vals.append(float(v[0]))
        if len(pop_rows) > p.population:
            pop_rows.popleft()
            pop_vals.popleft()
        generations += 1
    return {"generations": generations, "fresh_children": fresh, "known_children": repeats}


def _filed_neighbours(self, row: int, radius: int = 1):
    """``SearchState.neighbours`` as filed: one row per call, kept for this search only."""
    import numpy as np

    key = (int(row), int(radius))
    out = self._nbr_cache.get(key)
    if out is None:
        nb, _ = self.bench.space.neighbours(self.bench.archs[key[0]:key[0] + 1], radius)
        if len(nb):
            r = self.bench.rows(nb, missing="mask")
            r = r[r >= 0]
            out = np.unique(r[self.mask[r]])
        else:
            out = np.empty(0, dtype=np.int64)
        out.flags.writeable = False
        self._nbr_cache[key] = out
    return out


@contextlib.contextmanager
def as_filed(evaluation: bool = True):
    """The reference: regularised evolution's loop and the searches' neighbour lookups as filed, and with
    ``evaluation`` the evaluation as filed too (``evaluation._rows.reference()``, benchmarks/bench_evaluation.py's
    reference: ``contains`` on every row, keys and pockets from a neighbour generation per member)."""
    from lissnas_bench.evaluation import _rows
    from lissnas_bench.search import _base, evolution

    saved = evolution.RegularizedEvolution._run, _base.SearchState.neighbours
    evolution.RegularizedEvolution._run, _base.SearchState.neighbours = _filed_run, _filed_neighbours
    try:
        with _rows.reference() if evaluation else contextlib.nullcontext():
            yield
    finally:
        evolution.RegularizedEvolution._run, _base.SearchState.neighbours = saved


def run_once(plan) -> tuple[float, list[dict]]:
    from lissnas_bench.experiments.cell import run_group
    from lissnas_bench.benchmarks import neighbours

    neighbours._GRAPHS.clear()  # every run starts cold, as a fresh worker process would
    t0, records = time.process_time(), []
    for t, b, s in plan.groups():
        records += run_group(plan, t.key, b, s, [v.label for v in plan.run_order()], raise_errors=True)
    return time.process_time() - t0, records


def summary(recs: list[dict]) -> dict:
    searches = [s for r in recs for s in r["searches"] if s["optimizer"] == "re"]
    nums = json.dumps([[s["search_queries"], s["regret"], s.get("info_generations")] for s in searches])
    # every number of every cell's row but its timings: the evaluation must agree too
    rows = json.dumps([{k: v for k, v in sorted(r["row"].items()) if "seconds" not in k} for r in recs],
                      default=str)
    return {"cells": len(recs), "re_seconds": sum(s["search_seconds"] for s in searches),
            "rows_digest": hashlib.sha256(rows.encode()).hexdigest()[:12],
            "generations": sum(s.get("info_generations", 0) for s in searches) / max(len(searches), 1),
            "digest": hashlib.sha256(nums.encode()).hexdigest()[:12]}


def measure(args) -> dict:
    from lissnas_bench.experiments import load_config, prepare

    plans = {"ours": prepare(load_config(config(args.seeds, args.demo))),
             "patience 10": prepare(load_config(config(args.seeds, args.demo, patience=10)))}
    plans["reference"] = plans["reference, re only"] = plans["ours"]
    got = {k: [] for k in plans}
    run_once(plans["ours"])  # warm-up: the benchmarks' data, imports and lazy tables, paid once for every variant
    for rep in range(args.repeats):
        for name in (list(plans) if rep % 2 == 0 else list(plans)[::-1]):
            with (as_filed(evaluation=name == "reference") if name.startswith("reference")
                  else contextlib.nullcontext()):
                cpu, recs = run_once(plans[name])
            got[name].append({"cpu": cpu, **summary(recs)})
            print(f"[{rep + 1}/{args.repeats}] {name}: {len(recs)} cells in {cpu:.2f} s CPU", flush=True)
    return got


def table_cost(n_single: int = 300) -> tuple[float, float, float, int]:
    """(seconds to compute NAS-Bench-Graph's whole neighbour table, to load it from the disk cache, per row one
    row at a time, rows)."""
    import numpy as np

    from lissnas_bench import load_benchmark
    from lissnas_bench.benchmarks import neighbours

    bench = load_benchmark("nasbench-graph")
    bench.space.neighbours(bench.archs[:1], 1)  # lazy tables of the space, off the clock
    neighbours.NeighbourRows(1).csr(bench)  # the disk cache exists (a sweep's first worker writes it)
    whole, load = [], []
    for _ in range(3):
        t0 = time.process_time()
        neighbours.NeighbourRows(1).compute_whole(bench)
        whole.append(time.process_time() - t0)
        t0 = time.process_time()
        neighbours.NeighbourRows(1).csr(bench)
        load.append(time.process_time() - t0)
    rows = np.random.default_rng(0).choice(len(bench), n_single, replace=False)
    t0 = time.process_time()
    for r in rows.tolist():
        nb, _ = bench.space.neighbours(bench.archs[r:r + 1], 1)
        np.unique(bench.rows(nb, missing="mask"))
    return min(whole), min(load), (time.process_time() - t0) / n_single, len(bench)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5, help="alternating runs of each variant; medians reported")
    ap.add_argument("--demo", action="store_true", help="examples/compare_demo.yaml instead of re alone")
    add_json_arg(ap)
    args = ap.parse_args()
    got = measure(args)
    whole_s, load_s, one_s, rows_n = table_cost()
    med = {k: {**v[0], **{m: statistics.median(r[m] for r in v) for m in ("cpu", "re_seconds")}}
           for k, v in got.items()}
    o, r, r1, p = med["ours"], med["reference"], med["reference, re only"], med["patience 10"]
    n = o["cells"]
    same = ("ours", "reference", "reference, re only")
    if len({(x["digest"], x["rows_digest"]) for k in same for x in got[k]}) != 1:
        raise SystemExit("ours and the reference returned different numbers")
    what = "examples/compare_demo.yaml" if args.demo else "NAS-Bench-Graph × 5 shrinkers, re alone"
    speed = r["cpu"] / o["cpu"]
    free_re = max(o["cpu"] - o["re_seconds"], 1e-9)
    rows = [
        Row(f"cells per CPU second, {what}, {args.seeds} seeds ({n} cells)", f"{n / o['cpu']:.1f}",
            f"{n / r['cpu']:.1f} (re and evaluation as filed)", speed, "≥ 5×", speed >= 5),
        Row("context: against re alone as filed (evaluation ours), cells per CPU second", f"{n / o['cpu']:.1f}",
            f"{n / r1['cpu']:.1f}", r1["cpu"] / o["cpu"], "–", None),
        Row("re search per cell (ms, wall)", f"{1e3 * o['re_seconds'] / n:.1f}", f"{1e3 * r['re_seconds'] / n:.1f}",
            r["re_seconds"] / o["re_seconds"], "–", None),
        Row("context: the ratio if ours' re searches cost nothing (cells per CPU second)", f"{n / free_re:.1f}",
            f"{n / r['cpu']:.1f}", r["cpu"] / free_re, "–", None),
        Row(f"NAS-Bench-Graph's whole neighbour table ({rows_n:,} rows), computed, CPU",
            f"{1e3 * whole_s:.0f} ms", f"{1e3 * one_s * rows_n:.0f} ms (one row at a time: {1e6 * one_s:.0f} µs a row)",
            one_s * rows_n / whole_s, "–", None),
        Row("the same table loaded from its disk cache (once per process), CPU", f"{1e3 * load_s:.1f} ms",
            f"{1e3 * whole_s:.0f} ms (computed)", whole_s / load_s, "–", None),
        Row("re generations per search", f"{o['generations']:,.0f}", f"{r['generations']:,.0f}", None, "–", None),
        Row("context: patience 10 instead of 100, cells per CPU second", f"{n / p['cpu']:.1f}", f"{n / o['cpu']:.1f}"
            " (patience 100)", o["cpu"] / p["cpu"], "–", None),
        Row("context: patience 10, re generations per search", f"{p['generations']:,.0f}",
            f"{o['generations']:,.0f} (patience 100)", o["generations"] / max(p["generations"], 1), "–", None),
    ]
    notes = [f"Median CPU seconds of {args.repeats} alternating runs per variant, each with cold neighbour rows in "
             "memory (ours loads the whole tables from the disk cache, as each worker process of a sweep does); "
             f"ours and both references returned identical numbers (re searches {o['digest']}, every cell's row "
             f"{o['rows_digest']}).",
             f"re searches: {o['re_seconds']:.2f} s wall of ours' {o['cpu']:.2f} s CPU for {n} cells (reference: "
             f"{r['re_seconds']:.2f} of {r['cpu']:.2f} s).",
             "The reference is the cell as filed only where this script can rebuild it: the generation loop, the "
             "neighbour lookups and the evaluation; the shrinkers, rs, ls and the record are ours in both (they "
             "were slower when filed too), so the ratio is if anything low."]
    doc = build("bench_re", "Regularised evolution in shrunk spaces", rows, notes=notes,
                command="python benchmarks/bench_re.py" + (" --demo" if args.demo else ""), extra={"medians": med})
    report(doc, args.json)


if __name__ == "__main__":
    main()
