"""What the figures cost: their share of the demo's wall time, and each figure kind's median draw + save time.

    python benchmarks/bench_figures.py [--seeds 10] [--repeats 3] [--workers 1] [--dpi 200]

Measured in one run, so the ratios compare like with like on a shared machine:

* the demo (``lissnas-bench demo``'s comparison: analognas + nasbench-graph cora/citeseer/pubmed, 5 methods,
  ``--seeds`` seeds) run end to end into fresh folders with and without figures, alternately, ``--repeats`` times;
  the figures' share is ``(with - without) / with`` of the medians;
* every figure kind of that results folder drawn and saved ``--repeats`` times, PNG only and PNG + SVG + PDF
  (median milliseconds per figure, over targets and repeats);
* ``make_figures`` for the whole folder, in-process and with ``--workers`` processes (when > 1).

Prints a markdown table.  Works on the code before ``FigureOptions`` existed too (then the formats are fixed to
PNG + SVG), which is how the "before" numbers in the README were taken (run it with PYTHONPATH pointing at
a checkout of the older code).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def demo_plan(seeds: int):
    from lissnas_bench.commands.shrink import DEMO_TARGETS
    from lissnas_bench.experiments import ComparisonConfig, Target, prepare

    return prepare(ComparisonConfig(targets=tuple(Target(b, d, m, p) for b, d, m, p in DEMO_TARGETS),
                                    seeds=seeds, budget=1000))


def demo_wall(plan, root: Path, figures: bool, i: int) -> tuple[float, float]:
    """(wall, CPU) seconds of one demo run; the demo runs in this process (one worker), so its CPU time is the
    steadier measure on a shared machine."""
    from lissnas_bench.runner import run_comparison

    t0, c0 = time.perf_counter(), time.process_time()
    run_comparison(plan, root / f"demo-{'fig' if figures else 'nofig'}-{i}", figures=figures)
    return time.perf_counter() - t0, time.process_time() - c0


def load_folder(out: Path) -> dict:
    import pandas as pd

    return {"manifest": json.loads((out / "manifest.json").read_text()),
            "results": pd.read_parquet(out / "results.parquet"), "traces": pd.read_parquet(out / "traces.parquet"),
            "distributions": pd.read_parquet(out / "distributions.parquet"),
            "cells": [json.loads(p.read_text()) for p in sorted((out / "cells").glob("*.json"))]}


def _options(formats, dpi):
    """The saving options, or None on code without ``FigureOptions`` (PNG + SVG there, whatever is asked)."""
    from lissnas_bench.plots import style

    if not hasattr(style, "FigureOptions"):
        return None
    return style.FigureOptions(formats=formats, dpi=dpi)


def figure_jobs(data: dict):
    """``(kind, draw)`` for every figure of the folder: the calls ``make_figures`` makes, one by one."""
    from lissnas_bench.plots import compare as C

    res_all, man = data["results"], data["manifest"]
    yield "overview", lambda: C.plot_overview(res_all, man["targets"])
    for t in man["targets"]:
        res = res_all[(res_all["benchmark"] == t["benchmark_id"]) & (res_all["dataset"] == t["dataset"])]
        dist = data["distributions"][data["distributions"]["target"] == t["key"]]
        tr = data["traces"][(data["traces"]["benchmark"] == t["benchmark_id"])
                            & (data["traces"]["dataset"] == t["dataset"])]
        frac = C.retention(data["cells"], t["key"])
        yield "distribution", lambda: C.plot_distribution(dist, metric=t["metric"])
        yield "size_tradeoff", lambda: C.plot_size_tradeoff(res, full_size=t["space_size"], full_mean=1.0)
        yield "diversity", lambda: C.plot_diversity(res)
        yield "retention", lambda: C.plot_retention(frac, position_names=t["position_names"],
                                                    choice_names=t["choice_names"])
        yield "trace", lambda: C.plot_trace(tr, metric=t["metric"])
        if res["kendall_tau_shrunk"].notna().any():
            yield "kendall", lambda: C.plot_kendall(res)


def per_figure_ms(data: dict, folder: Path, formats, dpi: int, repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) milliseconds to draw and save each figure kind."""
    from lissnas_bench.plots.style import figure_style, save_figure

    opts = _options(formats, dpi)
    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for r in range(repeats):
        for i, (kind, draw) in enumerate(figure_jobs(data)):
            t0, c0 = time.perf_counter(), time.process_time()
            with figure_style(*([opts] if opts is not None else [])):
                fig = draw()
                stem = folder / f"{kind}-{i}-{r}"
                save_figure(fig, stem, *([opts] if opts is not None else []))
            times.setdefault(kind, []).append(1000 * (time.perf_counter() - t0))
            cpu.setdefault(kind, []).append(1000 * (time.process_time() - c0))
    return {k: (statistics.median(v), statistics.median(cpu[k])) for k, v in times.items()}


def make_figures_s(data: dict, folder: Path, workers: int, dpi: int) -> float:
    from lissnas_bench.plots.compare import make_figures

    kw = {}
    opts = _options(("png",), dpi)
    if opts is not None:
        from dataclasses import replace

        kw["options"] = replace(opts, workers=workers)
    t0 = time.perf_counter()
    if workers > 1 and opts is None:
        import concurrent.futures as cf
        import multiprocessing as mp

        with cf.ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
            make_figures(folder, pool=pool, **data)
    else:
        make_figures(folder, **data, **kw)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="processes for the parallel make_figures row")
    ap.add_argument("--dpi", type=int, default=200)
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("agg")
    plan = demo_plan(args.seeds)
    with tempfile.TemporaryDirectory(prefix="bench-figures-") as tmp:
        root = Path(tmp)
        walls = {True: [], False: []}
        for i in range(args.repeats):
            for figures in (False, True):
                walls[figures].append(demo_wall(plan, root, figures, i))
        med = {k: [statistics.median(x[j] for x in v) for j in (0, 1)] for k, v in walls.items()}
        data = load_folder(root / "demo-fig-0")
        png = per_figure_ms(data, root / "png", ("png",), args.dpi, args.repeats)
        allf = per_figure_ms(data, root / "all", ("png", "svg", "pdf"), args.dpi, args.repeats)
        serial = make_figures_s(data, root / "mf1", 1, args.dpi)
        parallel = make_figures_s(data, root / "mfN", args.workers, args.dpi) if args.workers > 1 else None
    fixed = _options(("png",), args.dpi) is None
    print(f"demo, {args.seeds} seeds, median of {args.repeats}; {os.cpu_count()} CPUs; dpi {args.dpi}"
          + ("; code without FigureOptions: every save writes PNG + SVG" if fixed else "") + "\n")
    print("| | wall (s) | CPU (s) |\n|---|--:|--:|")
    print(f"| demo without figures | {med[False][0]:.2f} | {med[False][1]:.2f} |")
    print(f"| demo with figures | {med[True][0]:.2f} | {med[True][1]:.2f} |")
    share = [(med[True][j] - med[False][j]) / med[True][j] for j in (0, 1)]
    print(f"| figures' share of the demo | {share[0]:.0%} | {share[1]:.0%} |")
    print(f"| make_figures, in-process (PNG) | {serial:.2f} | |")
    if parallel is not None:
        print(f"| make_figures, {args.workers} processes (PNG) | {parallel:.2f} | |")
    print("\n| figure | PNG wall (ms) | PNG CPU (ms) | PNG + SVG + PDF CPU (ms) | ratio (CPU) |\n|---|--:|--:|--:|--:|")
    for k in png:
        print(f"| {k} | {png[k][0]:.0f} | {png[k][1]:.0f} | {allf[k][1]:.0f} | {allf[k][1] / png[k][1]:.2f} |")


if __name__ == "__main__":
    main()
