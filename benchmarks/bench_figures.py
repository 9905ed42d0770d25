"""What the figures cost: their share of the demo's wall time, and each figure kind's CPU time.

    python benchmarks/bench_figures.py [--seeds 20] [--repeats 3] [--json PATH]

Measured in one run, so the ratios compare like with like on a shared machine:

* ``lissnas-bench demo`` (analognas + nasbench-graph cora/citeseer/pubmed, every method, ``--seeds`` seeds, the
  demo's budgets), each run a fresh process into a fresh folder, in three ways taken in turn ``--repeats`` times:
  without figures; with figures as the demo draws them (``fig``: figure processes started before the cells run,
  so their matplotlib import overlaps the computation, and each target drawn there as soon as its cells are done,
  while the next target's run; only the last target and the overview are left after the cells); and with figures
  drawn afterwards in the demo's own process (``inprocess``, the reference: how ``publish`` draws without figure
  processes).  The figures' share is ``(with - without) / with`` of the median walls; the two ways of drawing
  write the same files (checked here, byte for byte);
* every figure kind of that results folder drawn and saved (PNG) ``--repeats`` times in this process: median CPU
  milliseconds per figure, and what a fresh process spends importing matplotlib and drawing its first figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import Row, add_json_arg, build, report  # noqa: E402

MODES = ("nofig", "fig", "inprocess")
GOAL = 0.25


def run_mode(mode: str, out: str, seeds: int) -> None:
    """One demo in this (fresh) process: ``nofig``, ``fig`` (as the demo does it) or ``inprocess``."""
    from lissnas_bench.commands import demo as D

    if mode == "inprocess":  # the reference: no figure processes, publish draws here after the cells
        D._figure_processes = lambda figures, workers: contextlib.nullcontext()
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        D.demo(out=Path(out), seeds=seeds, budget=D.DEMO_BUDGETS, workers=1, docs=None, readme=None,
               figures=mode != "nofig", force=True, yes=True, fmt=None, dpi=None, font_size=None, json_out=True)


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def demo_run(mode: str, out: Path, seeds: int) -> tuple[float, float]:
    """(wall, CPU) seconds of one demo; the CPU counts its figure processes too (they are reaped by the demo)."""
    t0, c0 = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, __file__, "--_run", mode, str(out), "--seeds", str(seeds)], check=True)
    return time.perf_counter() - t0, _children_cpu() - c0


def same_files(a: Path, b: Path) -> bool:
    fa = sorted(p.relative_to(a) for p in (a / "figures").rglob("*") if p.is_file())
    fb = sorted(p.relative_to(b) for p in (b / "figures").rglob("*") if p.is_file())
    return bool(fa) and fa == fb and all((a / p).read_bytes() == (b / p).read_bytes() for p in fa)


def load_folder(out: Path) -> dict:
    import pandas as pd

    return {"manifest": json.loads((out / "manifest.json").read_text()),
            "results": pd.read_parquet(out / "results.parquet"), "traces": pd.read_parquet(out / "traces.parquet"),
            "distributions": pd.read_parquet(out / "distributions.parquet"),
            "summary": pd.read_csv(out / "summary.csv"),
            "cells": [json.loads(p.read_text()) for p in sorted((out / "cells").glob("*.json"))]}


def figure_jobs(data: dict):
    """``(kind, draw)`` for every figure the demo draws (``make_figures`` plus ``report``'s spend figures)."""
    from lissnas_bench.plots import compare as C
    from lissnas_bench.plots.spend import plot_quality_vs_spend

    res_all, man = data["results"], data["manifest"]
    yield "overview", lambda: C.plot_overview(res_all, man["targets"])
    for t in man["targets"]:
        sel = (res_all["benchmark"] == t["benchmark_id"]) & (res_all["dataset"] == t["dataset"])
        res = res_all[sel]
        dist = data["distributions"][data["distributions"]["target"] == t["key"]]
        tr = data["traces"][(data["traces"]["benchmark"] == t["benchmark_id"])
                            & (data["traces"]["dataset"] == t["dataset"])]
        sm = data["summary"][(data["summary"]["benchmark"] == t["benchmark_id"])
                             & (data["summary"]["dataset"] == t["dataset"])]
        frac = C.retention(data["cells"], t["key"])
        yield "distribution", lambda: C.plot_distribution(dist, metric=t["metric"])
        yield "size_tradeoff", lambda: C.plot_size_tradeoff(res, full_size=t["space_size"], full_mean=1.0)
        yield "diversity", lambda: C.plot_diversity(res)
        yield "retention", lambda: C.plot_retention(frac, position_names=t["position_names"],
                                                    choice_names=t["choice_names"])
        yield "trace", lambda: C.plot_trace(tr, metric=t["metric"])
        yield "quality_vs_spend", lambda: plot_quality_vs_spend(sm, title="x")
        if res["kendall_tau_shrunk"].notna().any():
            yield "kendall", lambda: C.plot_kendall(res)


def per_figure_ms(data: dict, folder: Path, repeats: int) -> dict[str, list[float]]:
    """CPU milliseconds to draw and save (PNG) each figure, per kind, over targets and repeats."""
    from lissnas_bench.plots.style import FigureOptions, figure_style, save_figure

    opts = FigureOptions(formats=("png",))
    cpu: dict[str, list[float]] = {}
    for r in range(repeats):
        for i, (kind, draw) in enumerate(figure_jobs(data)):
            c0 = time.process_time()
            with figure_style(opts):
                save_figure(draw(), folder / f"{kind}-{i}-{r}", opts)
            cpu.setdefault(kind, []).append(1000 * (time.process_time() - c0))
    return cpu


def first_figure_s() -> float:
    """Wall seconds for a fresh process to import matplotlib and draw its first figure (a figure process's
    warm-up), less the same process doing nothing."""
    code = "from lissnas_bench.plots._worker import _init; import os; _init(os.getppid())"
    walls = {}
    for name, c in (("warm", code), ("bare", "import lissnas_bench")):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", c], check=True)
        walls[name] = time.perf_counter() - t0
    return walls["warm"] - walls["bare"]


def rows_for(runs: dict, per: dict, repeats: int, warm: float, same: bool) -> tuple[list[Row], list[str]]:
    med = {m: statistics.median(w for w, _ in v) for m, v in runs.items()}
    cpu = {m: statistics.median(c for _, c in v) for m, v in runs.items()}
    share = {m: (med[m] - med["nofig"]) / med[m] for m in ("fig", "inprocess")}
    cpu_share = {m: (cpu[m] - cpu["nofig"]) / cpu[m] for m in ("fig", "inprocess")}
    rows = [Row("figures' share of the demo's wall time", f"{share['fig']:.0%}",
                f"{share['inprocess']:.0%} (drawn in-process after the cells)",
                share["inprocess"] / share["fig"] if share["fig"] > 0 else None, f"≤ {GOAL:.0%}",
                share["fig"] <= GOAL),
            Row("demo with figures, wall", f"{med['fig']:.2f} s", f"{med['inprocess']:.2f} s (in-process)",
                med["inprocess"] / med["fig"], "", None),
            Row("demo without figures, wall", f"{med['nofig']:.2f} s", "", None, "", None),
            Row("figures' share of the demo's CPU (figure processes included)", f"{cpu_share['fig']:.0%}",
                f"{cpu_share['inprocess']:.0%} (in-process)", None, "", None),
            Row("demo with / without figures, CPU", f"{cpu['fig']:.2f} s / {cpu['nofig']:.2f} s",
                f"{cpu['inprocess']:.2f} s (in-process)", None, "", None),
            Row("figure files identical (figure processes vs in-process)", "yes" if same else "**no**", "", None,
                "identical", same),
            Row("fresh process: import matplotlib + first figure", f"{warm:.2f} s", "", None, "", None)]
    for kind, v in per.items():
        rows.append(Row(f"CPU per figure: {kind} (PNG, median of {len(v)})", f"{statistics.median(v):.0f} ms", "",
                        None, "", None))
    n_figs = sum(len(v) for v in per.values()) // repeats
    total = sum(statistics.median(v) * len(v) / repeats for v in per.values())  # CPU ms of one set of figures
    return rows, [f"The demo's {n_figs} figure{'s' if n_figs != 1 else ''} cost {total / 1000:.2f} s of CPU in one "
                  f"warm process ({total / 1000 / med['nofig']:.0%} of the demo without figures); drawn after the "
                  f"cells on two processes they would take at least {total / 2000:.2f} s of wall "
                  f"({total / 2000 / (med['nofig'] + total / 2000):.0%} share), with a free core for each; the "
                  "demo draws each target during the next target's cells, so most of it overlaps them.",
                  "Spread of the walls (the machine's noise): " + "; ".join(
                      f"{m} {min(w for w, _ in v):.1f}–{max(w for w, _ in v):.1f} s" for m, v in runs.items()) + "."]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20, help="seeds per dataset (the demo's default: 20)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--_run", nargs=2, metavar=("MODE", "OUT"), help=argparse.SUPPRESS)
    add_json_arg(ap)
    args = ap.parse_args()
    if args._run:
        return run_mode(args._run[0], args._run[1], args.seeds)
    with tempfile.TemporaryDirectory(prefix="bench-figures-") as tmp:
        root = Path(tmp)
        runs: dict[str, list[tuple[float, float]]] = {m: [] for m in MODES}
        for i in range(args.repeats):
            for m in MODES if i % 2 == 0 else MODES[::-1]:  # alternate, so drift in the load hits all three
                runs[m].append(demo_run(m, root / f"{m}-{i}", args.seeds))
        same = same_files(root / "fig-0", root / "inprocess-0")
        data = load_folder(root / "fig-0")
        per = per_figure_ms(data, root / "png", args.repeats)
        warm = first_figure_s()
    rows, notes = rows_for(runs, per, args.repeats, warm, same)
    notes.insert(0, f"demo with {args.seeds} seeds, median of {args.repeats} end-to-end runs per way (fresh "
                    f"processes, taken in turn); {os.cpu_count()} CPUs; PNG at the default dpi.")
    report(build("bench_figures", "Figures in the demo", rows, notes=notes), args.json)


if __name__ == "__main__":
    main()
