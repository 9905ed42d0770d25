#!/usr/bin/env python3
"""Speed of ``evaluate`` on a 423,156-row NB101 table (not a test).  Run: ``python benchmarks/bench_evaluation.py``.

No NB101 table ships with the project, so the table is built the way ``bench_locality.py --nb101-full`` builds
it: every NB101 cell reachable by single edits from 50,000 uniform draws (423,156 cells; found once by
breadth-first search, minutes, and cached in ``$LISSNAS_BENCH_HOME/locality/nb101-closure-keys.npy``), with a
*synthetic* accuracy (an additive function of the encoding plus noise).  LISSNAS (defaults, budget 1000) shrinks
it; then the evaluation of one shrunk space is timed

* the package's way: the rows of S' found by joining the table's stored keys with the shrunk space's keys;
* the reference, measured in the same run, alternately: the way before (``evaluation._rows.reference()``):
  ``shrunk.contains`` on every row of S (which re-canonicalises all 423k rows), S's threshold and choice counts
  recomputed, members and neighbours re-indexed through ``space.index``.

Both are timed "warm", as every cell of a comparison after the first sees them: the benchmark-wide structure of
the top set (``evaluation/claim.py``, cached per benchmark before this change too) is already built.  The first
evaluation on a fresh benchmark object is reported as well.  Both must return identical metrics.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import Row, add_json_arg, build, report  # noqa: E402
from bench_locality import nb101_closure_keys  # noqa: E402 - the same cached table as bench_locality

_CACHES = ("_top_structures", "_eval_domains", "_canonical_rows")


def nb101_table(seed: int = 0):
    """The 423,156-cell NB101 closure with a synthetic additive accuracy (see the module docstring)."""
    from lissnas_bench.benchmarks import Benchmark
    from lissnas_bench.spaces import get_space

    space = get_space("nb101")
    rng = np.random.default_rng(seed)
    A = space.from_index(nb101_closure_keys(space))
    w = rng.normal(size=(space.positions, 3))
    f = w[np.arange(space.positions), A].sum(axis=1) + 0.5 * rng.standard_normal(len(A))
    return Benchmark(id="nb101-synthetic", space=space, archs=A, columns={("synthetic", "f"): f})


def same_metrics(a: dict, b: dict) -> bool:
    def eq(x, y):
        return x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))

    return a.keys() == b.keys() and all(eq(a[k], b[k]) for k in a)


def shrink(bench, seed: int):
    import lissnas_bench as lb
    from lissnas_bench.shrinkers import get_shrinker

    oracle = lb.Oracle(bench, budget=1000)
    return get_shrinker("lissnas").shrink(oracle, np.random.default_rng(seed)).shrunk


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _fmt(s: float) -> str:
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def measure(bench, shrunk, repeat: int):
    """Warm timings of ours and the reference, alternately; their metrics; cold (first-call) timings of both."""
    from lissnas_bench.evaluation import _rows, evaluate

    def ours():
        return evaluate(shrunk, bench)

    def ref():
        with _rows.reference():
            return evaluate(shrunk, bench)

    for key in _CACHES:
        bench.__dict__.pop(key, None)
    cold_ref, _ = timed(ref)
    for key in _CACHES:
        bench.__dict__.pop(key, None)
    cold_ours, _ = timed(ours)
    t_ours, t_ref = [], []
    for _ in range(repeat):
        t, m_ours = timed(ours)
        t_ours.append(t)
        t, m_ref = timed(ref)
        t_ref.append(t)
    return statistics.median(t_ours), statistics.median(t_ref), m_ours, m_ref, cold_ours, cold_ref


def compare_cells(bench, seeds: int, ref_cells: int):
    """Evaluation time of ``seeds`` LISSNAS cells (one per seed): ours measured for all, the reference for the
    first ``ref_cells`` and extrapolated; and whether every measured pair agreed."""
    from lissnas_bench.evaluation import _rows, evaluate

    spaces = [shrink(bench, s) for s in range(seeds)]
    ours, ref, agree = [], [], True
    for i, sp in enumerate(spaces):
        t, m = timed(lambda: evaluate(sp, bench))
        ours.append(t)
        if i < ref_cells:
            with _rows.reference():
                t, m_ref = timed(lambda: evaluate(sp, bench))
            ref.append(t)
            agree &= same_metrics(m, m_ref)
    return sum(ours), statistics.mean(ref) * seeds, agree, [int(s.size) for s in spaces]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="timed evaluations of each way (medians reported)")
    ap.add_argument("--seeds", type=int, default=50, help="cells of the compare-sized run (one per seed)")
    ap.add_argument("--ref-cells", type=int, default=3, help="of those, cells also evaluated the reference way")
    add_json_arg(ap)
    args = ap.parse_args(argv)

    t_build, bench = timed(nb101_table)
    shrunk = shrink(bench, 0)
    ours, ref, m_ours, m_ref, cold_ours, cold_ref = measure(bench, shrunk, args.repeat)
    same = same_metrics(m_ours, m_ref)
    t_json, _ = timed(shrunk.to_json)  # not evaluation, but every compare cell stores it (see the notes)
    cells_ours, cells_ref, cells_agree, sizes = compare_cells(bench, args.seeds, args.ref_cells)
    n = f"{len(bench):,}-row NB101 table"
    rows = [
        Row(f"evaluate one LISSNAS-shrunk space ({m_ours['size']} architectures) on the {n}, per cell (median of "
            f"{args.repeat})", _fmt(ours), f"{_fmt(ref)} (contains on every row)", ref / ours, ">= 20x",
            ref / ours >= 20),
        Row("same metrics as the reference (all keys, exact)", "identical" if same else "DIFFERENT",
            "", None, "identical", same),
        Row("first evaluate on a fresh benchmark object (builds the top set's structure, once per benchmark)",
            _fmt(cold_ours), _fmt(cold_ref), cold_ref / cold_ours, "–", None),
        Row(f"evaluate the {args.seeds} LISSNAS cells of a {args.seeds}-seed compare (ours measured; reference "
            f"extrapolated from {args.ref_cells} cells)", _fmt(cells_ours), f"{_fmt(cells_ref)} (extrapolated)",
            cells_ref / cells_ours, "seconds, not minutes (<= 10 s)", cells_ours <= 10 and cells_agree),
    ]
    notes = [
        f"Table: {len(bench):,} NB101 cells (single-edit closure of 50,000 draws) with a synthetic additive "
        f"accuracy, built in {t_build:.1f} s; LISSNAS n=100, k=10, r=1, budget 1000.",
        f"Compare cells: S' holds from {min(sizes)} to {max(sizes)} architectures "
        f"(median {int(statistics.median(sizes))}); the "
        f"{args.ref_cells} cells evaluated both ways {'agreed' if cells_agree else 'DISAGREED'} exactly.",
        "The reference shares this run's faster nb101 neighbour generation, so its time is if anything lower "
        "than before the change.",
        f"Outside evaluation: shrunk.to_json(), which each compare cell stores, took {_fmt(t_json)} for the same "
        f"space (it hashes the {len(bench):,}-row domain's stored keys).",
    ]
    report(build("bench_evaluation", "evaluate on a 423k-row NB101 table", rows, notes=notes), args.json)


if __name__ == "__main__":
    main()
