"""Timing of the locality analysis (not a test).  Run: ``python benchmarks/bench_locality.py [--figures DIR]``.

* exact NB201 (AnalogNAS-Bench, all 15,625 cells, all 187,500 radius-1 pairs, distances 1..6) -- target < 2 s;
* exact NAS-Bench-Graph (26,206 canonical cells, 583,180 radius-1 pairs, Hamming distances 1..5);
* sampled NAS-Bench-101: no NB101 table ships with the project, so the rows carry a synthetic additive f on NB101
  cells: by default the distinct cells among 400,000 uniform draws (~34k); with ``--nb101-full`` every cell
  reachable by single edits from them (423,156 cells, found once by breadth-first search -- minutes -- and cached
  in ``$LISSNAS_BENCH_HOME/locality/nb101-closure-keys.npy``).  The cost of sampled mode is dominated by
  ``space.neighbours`` on the walkers, which does not depend on where f comes from.

Each case prints the best of ``--repeat`` runs as wall time and as process CPU time (the CPU time is the better
guide on a busy machine), plus the per-stage breakdown of the fastest run.  ``--figures DIR`` also writes the
full reports (figures, report.md) of the real benchmarks into DIR.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from _report import Row, add_json_arg, build, report


def _time(fn, repeat):
    best = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        res = fn()
        w, c = time.perf_counter() - w0, time.process_time() - c0
        if best is None or w < best[0]:
            best = (w, c, res)
    return best


def _row(name, w, c, res, extra="", goal_s=None):
    """One table row; the per-stage breakdown of the fastest run goes to stdout as context."""
    stages = ", ".join(f"{k} {v:.2f}" for k, v in res.timings.items() if v >= 0.005)
    print(f"{name}: wall {w:.2f} s, cpu {c:.2f} s; stages (s): {stages}", flush=True)
    ours = f"{w:.2f} s wall ({c:.2f} s CPU)" + (f"; {extra}" if extra else "")
    return Row(name, ours, "–", None, f"< {goal_s:g} s" if goal_s else "–", (w < goal_s) if goal_s else None)


def nb101_closure_keys(space, seed: int = 0) -> np.ndarray:
    """Index keys of every NB101 cell reachable by single edits from 50,000 uniform draws (cached on disk)."""
    from lissnas_bench._io import atomic_path, home

    path = home() / "locality" / "nb101-closure-keys.npy"
    if path.exists():
        return np.load(path)
    rng = np.random.default_rng(seed)
    keys = np.unique(space.index(space.sample(50_000, rng)))
    front = space.from_index(keys)
    while len(front):
        nb, _ = space.neighbours(front)
        new = np.setdiff1d(np.unique(space.index(nb)), keys, assume_unique=True)
        keys = np.union1d(keys, new)
        front = space.from_index(new)
        print(f"    closure: {len(keys):,} cells", flush=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, keys)
    return keys


def synthetic_nb101(n_draws: int, seed: int = 0, full: bool = False):
    """A Benchmark on the NB101 space with an additive f + noise: the distinct cells among ``n_draws`` uniform
    draws, or (``full``) the closure of NB101 under single edits."""
    from lissnas_bench.benchmarks import Benchmark
    from lissnas_bench.spaces import get_space

    space = get_space("nb101")
    rng = np.random.default_rng(seed)
    A = space.from_index(nb101_closure_keys(space)) if full else np.unique(space.sample(n_draws, rng), axis=0)
    w = rng.normal(size=(space.positions, 3))
    f = w[np.arange(space.positions), A].sum(axis=1) + 0.5 * rng.standard_normal(len(A))
    return Benchmark(id="nb101-synthetic", space=space, archs=A, columns={("synthetic", "f"): f})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--nb101-draws", type=int, default=400_000)
    ap.add_argument("--skip-nb101", action="store_true")
    ap.add_argument("--nb101-full", action="store_true", help="use the 423k-cell NB101 closure (built once, cached)")
    add_json_arg(ap)
    ap.add_argument("--figures", default=None, help="write full reports of the real benchmarks into this folder")
    args = ap.parse_args(argv)

    from lissnas_bench import load_benchmark
    from lissnas_bench.locality import analyze_locality, write_locality_report

    rows = []
    nb201 = load_benchmark("analognas")
    analyze_locality(nb201, max_distance=1, permutations=9, bootstrap=9)  # warm caches (shift patterns, imports)
    w, c, res = _time(lambda: analyze_locality(nb201), args.repeat)
    rows.append(_row("exact NB201 `analognas` (15,625 cells, d ≤ 6)", w, c, res,
                     f"{int(res.neighbour_pairs):,} radius-1 pairs", goal_s=2.0))

    graph = load_benchmark("nasbench-graph")
    analyze_locality(graph, "cora", max_distance=1, permutations=9, bootstrap=9)
    w, c, res_g = _time(lambda: analyze_locality(graph, "cora"), args.repeat)
    rows.append(_row("exact `nasbench-graph` cora (26,206 cells, d ≤ 5)", w, c, res_g,
                     f"{int(res_g.neighbour_pairs):,} radius-1 pairs"))
    w, c, res_p = _time(lambda: analyze_locality(graph, "proteins"), args.repeat)
    rows.append(_row("exact `nasbench-graph` proteins (2,021 rows)", w, c, res_p))

    if not args.skip_nb101:
        t0 = time.perf_counter()
        nb101 = synthetic_nb101(args.nb101_draws, full=args.nb101_full)
        t_build = time.perf_counter() - t0
        for samples in (200, 1000):
            w, c, res_s = _time(lambda n=samples: analyze_locality(nb101, samples=n), 1)
            rows.append(_row(f"sampled NB101, synthetic f ({len(nb101):,} rows, {samples} walkers)", w, c, res_s,
                             f"table built in {t_build:.1f} s; {res_s.isolated} of {samples} starts isolated"))

    notes = [f"Best of {args.repeat} runs each (NB101: one). NB101 has no table here, so its rows carry a synthetic "
             "additive f; sampled mode's cost is the walkers' neighbour generation, not the table size."]
    report(build("bench_locality", "Locality analysis", rows, notes=notes), args.json)
    if args.figures:
        for r in (res, res_g):
            out = os.path.join(args.figures, f"{r.benchmark}-{r.dataset}-{r.metric}")
            write_locality_report(r, out)
            print(f"wrote {out}/")


if __name__ == "__main__":
    main()
