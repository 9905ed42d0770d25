#!/usr/bin/env python3
"""Speed of the shrinkers and of the demo (not a test: run it by hand, paste the table into the README).

    python benchmarks/bench_shrinkers.py              # everything (the demo takes under a minute)
    python benchmarks/bench_shrinkers.py --no-demo    # only the shrink timings

Measures
1. one LISSNAS shrink on ``analognas`` (NB201, 15,625 architectures; n=100, k=10, r=1, budget 1000) with the
   package's implementation (goal: < 50 ms);
2. the same algorithm written the straightforward way, inside this script: architectures as tuples, one Python
   dict lookup per architecture, pure-Python neighbour generation, pockets as Python sets (goal: the package
   is >= 20x faster);
3. the wall time of ``lissnas-bench demo`` in a subprocess (goal: < 60 s on 2 cores).

Both LISSNAS versions follow docs/algorithm.md; they draw different random numbers, so the table also shows their
mean |S'| and regret over the timed seeds as a check that they are the same algorithm.  Besides the default
(n=100, k=10, r=1) it times larger pockets: at r=1 a pocket holds ~25 architectures per centre and plain Python
is not slower; the array version pays off as the pockets grow.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------- the naive version
def naive_lissnas(table: dict[tuple, float], n_choices: list[int], budget: int, seed: int, n: int = 100, k: int = 10,
                  radius: int = 1, tol: float = 0.0, max_iters: int = 20):
    """LISSNAS written the obvious way: tuples, dicts, sets, ``random``.  Returns (members, queries)."""
    rnd = random.Random(seed)
    positions = len(n_choices)
    all_archs = list(table)  # S_0
    queried: set[tuple] = set()

    def neighbours(arch):
        for p in range(positions):
            for c in range(n_choices[p]):
                if c != arch[p]:
                    yield arch[:p] + (c,) + arch[p + 1:]

    def pocket(centres) -> set:
        ball = set(centres)
        frontier = set(centres)
        for _ in range(radius):
            nxt = set()
            for a in frontier:
                for b in neighbours(a):
                    if b not in ball and b in table:
                        nxt.add(b)
            ball |= nxt
            frontier = nxt
        return ball

    current = None  # None = the whole space
    incumbent = None
    prev_mean = None
    for t in range(max_iters + 1):
        members = all_archs if current is None else list(current)
        if current is not None:
            members.sort()  # sets have no stable order; sort so that a seed gives one result
        m = min(n, len(members))
        sample = rnd.sample(members, m)
        new = [a for a in sample if a not in queried]
        if len(queried) + len(new) > budget:
            break
        queried.update(new)
        values = [table[a] for a in sample]  # one dict lookup per architecture
        mean = statistics.fmean(values)
        accepted = t == 0 or mean > prev_mean + tol
        if not accepted:
            break
        if current is not None:
            incumbent = current
        prev_mean = mean
        if t == max_iters:
            break
        order = sorted(range(m), key=lambda i: -values[i])[:k]
        current = pocket([sample[i] for i in order])
    return (incumbent if incumbent is not None else set(all_archs)), len(queried)


# ---------------------------------------------------------------------------------------------- timing helpers
def _timeit(fn, repeats: int) -> tuple[float, list]:
    times, outs = [], []
    for r in range(repeats):
        t0 = time.perf_counter()
        outs.append(fn(r))
        times.append(time.perf_counter() - t0)
    return statistics.median(times), outs


#: (n, k, radius, budget): the default first, then larger pockets, where per-architecture Python work grows
CONFIGS = ((100, 10, 1, 1000), (100, 10, 2, 1000), (100, 10, 3, 1000), (1000, 100, 2, 10000))


def bench_shrink(repeats: int) -> tuple[list[dict], float]:
    """Median time per LISSNAS shrink on analognas, package vs straightforward, for each of ``CONFIGS``."""
    import lissnas_bench as lb
    from lissnas_bench.shrinkers import get_shrinker

    bench = lb.load_benchmark("analognas")
    f = bench.column()
    best = float(np.nanmax(f))
    t0 = time.perf_counter()
    table = {tuple(int(x) for x in a): float(v) for a, v in zip(bench.archs, f)}
    t_table = time.perf_counter() - t0
    n_choices = [int(c) for c in bench.space.n_choices]

    rows = []
    for n, k, radius, budget in CONFIGS:
        shrinker = get_shrinker("lissnas", n=n, k=k, radius=radius)

        def ours(seed, shrinker=shrinker, budget=budget):
            res = shrinker.shrink(lb.Oracle(bench, budget=budget), np.random.default_rng(seed))
            return res.shrunk, res.queries

        ours(0)  # warm caches (neighbour patterns, lookup tables), as in every later cell of a comparison
        t_ours, outs = _timeit(ours, repeats)
        def naive(seed, budget=budget, n=n, k=k, radius=radius):
            return naive_lissnas(table, n_choices, budget, seed, n=n, k=k, radius=radius)

        t_naive, nouts = _timeit(naive, max(3, repeats // 4))
        rows.append({
            "config": f"n={n}, k={k}, r={radius}, budget {budget}",
            "ours_ms": 1e3 * t_ours, "naive_ms": 1e3 * t_naive, "speedup": t_naive / t_ours,
            "ours_size": statistics.fmean(s.size for s, _ in outs),
            "naive_size": statistics.fmean(len(s) for s, _ in nouts),
            "ours_regret": statistics.fmean(best - float(np.max(bench.query(s.enumerate()))) for s, _ in outs),
            "naive_regret": statistics.fmean(best - max(table[a] for a in s) for s, _ in nouts),
        })
    return rows, t_table


def bench_demo() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "COLUMNS": "120"}
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lissnas_bench.cli", "demo", "--out", str(Path(tmp) / "demo"),
                        "--no-docs"], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=20, help="timed shrinks per configuration (median reported)")
    ap.add_argument("--no-demo", action="store_true", help="skip the demo's wall time")
    args = ap.parse_args(argv)

    rows, t_table = bench_shrink(args.repeats)
    print(f"cores: {os.cpu_count()}, load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("LISSNAS on analognas (NB201, 15,625 architectures), median per shrink; size and regret are means over "
          "the timed seeds\n")
    print("| configuration | lissnas_bench | straightforward Python | speed-up | mean \\|S′\\| (ours / straightf.) "
          "| mean regret (ours / straightf.) |")
    print("|---|--:|--:|--:|--:|--:|")
    for r in rows:
        print(f"| {r['config']} | {r['ours_ms']:.1f} ms | {r['naive_ms']:.1f} ms | {r['speedup']:.1f}× "
              f"| {r['ours_size']:.0f} / {r['naive_size']:.0f} | {r['ours_regret']:.3f} / {r['naive_regret']:.3f} |")
    print(f"\n(the straightforward version first builds its dict of 15,625 tuples: {1e3 * t_table:.0f} ms, "
          "not counted above)")
    if not args.no_demo:
        print(f"\n| `lissnas-bench demo` (subprocess: 4 datasets × 5 methods × 10 seeds, figures, report) "
              f"| {bench_demo():.1f} s |\n|---|--:|")
    d = rows[0]
    print(f"\ngoals at the default configuration: shrink < 50 ms: {'met' if d['ours_ms'] < 50 else 'NOT met'} "
          f"({d['ours_ms']:.1f} ms); >= 20x the straightforward version: "
          f"{'met' if d['speedup'] >= 20 else 'NOT met'} ({d['speedup']:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
