"""Paired tests of a results folder's rebuild: ``experiments.stats.paired_tests`` with our ``wilcoxon_p`` against
the same tests through ``scipy.stats.wilcoxon`` itself, on the cells of ``examples/compare_demo.yaml`` at 10 seeds.

    python benchmarks/bench_stats.py [--seeds 10] [--repeats 3] [--json PATH]

At 10 seeds most comparisons have ties or zero differences (a recall of 1.0 on both sides, equal spend), so SciPy
takes its exact permutation test over the 2**10 sign flips with a statistic it does not vectorise; ours runs the
same permutation test vectorised.  Both tables must be identical (the script stops otherwise).  The cells are run
once into a temporary folder, off the clock; then the two variants are timed alternately, ``--repeats`` times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import Row, add_json_arg, build, report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def scipy_wilcoxon_p(diff):
    """``wilcoxon_p`` as it was: SciPy's own call for every comparison."""
    import math

    import numpy as np
    from scipy import stats

    diff = diff[np.isfinite(diff)]
    if not len(diff):
        return math.nan
    if not np.any(diff != 0):
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.wilcoxon(diff, zero_method="wilcox").pvalue)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    add_json_arg(ap)
    args = ap.parse_args()

    import numpy as np
    import pandas as pd
    import yaml

    from lissnas_bench.experiments import load_config, prepare, stats
    from lissnas_bench.experiments.run import run_experiment

    cfg = {**yaml.safe_load((ROOT / "examples" / "compare_demo.yaml").read_text()), "seeds": args.seeds}
    plan = prepare(load_config(cfg))
    with tempfile.TemporaryDirectory(prefix="bench-stats-") as tmp:
        run_experiment(plan, tmp, workers=1)
        results = pd.read_parquet(Path(tmp) / "results.parquet")
    ref = plan.experiment.statistics_reference
    maximize = {(t.bench.id, t.dataset, t.metric): t.protocol_maximize for t in plan.targets}
    ours_fn = stats.wilcoxon_p
    times = {"ours": [], "scipy": []}
    tables = {}
    for rep in range(args.repeats):
        for name in (("ours", "scipy") if rep % 2 == 0 else ("scipy", "ours")):
            stats.wilcoxon_p = ours_fn if name == "ours" else scipy_wilcoxon_p
            try:
                t0 = time.process_time()
                tables[name] = stats.paired_tests(results, ref, maximize)
                times[name].append(time.process_time() - t0)
            finally:
                stats.wilcoxon_p = ours_fn
            print(f"[{rep + 1}/{args.repeats}] {name}: {times[name][-1]:.2f} s CPU", flush=True)
    same = tables["ours"].equals(tables["scipy"])
    if not same:
        raise SystemExit("wilcoxon_p and scipy.stats.wilcoxon gave different tables")
    table = tables["ours"]
    o, s = statistics.median(times["ours"]), statistics.median(times["scipy"])
    rows = [
        Row(f"paired tests of compare_demo.yaml at {args.seeds} seeds ({len(table)} comparisons), CPU",
            f"{o:.2f} s", f"{s:.2f} s (scipy.stats.wilcoxon per comparison)", s / o, "–", None),
        Row("same p-values, Holm adjustments and outcomes", "identical" if same else "different", "", None,
            "identical", same),
    ]
    ties = int(np.sum(table["n"].to_numpy() <= 13))
    notes = [f"Medians of {args.repeats} alternating runs; {len(results)} cells run once beforehand (off the "
             f"clock); {ties} of the {len(table)} comparisons have at most 13 pairs, where SciPy permutes when "
             "there are ties or zero differences."]
    doc = build("bench_stats", "Paired tests in a rebuild", rows, notes=notes,
                extra={"ours_s": o, "scipy_s": s, "comparisons": len(table)})
    report(doc, args.json)


if __name__ == "__main__":
    main()
