"""Run a sweep: validate, skip finished cells, run the rest on an executor, store each as it lands, aggregate.

>>> from lissnas_bench.sweep import run_sweep
>>> summary = run_sweep("examples/compare_demo.yaml", "results/compare_demo")   # doctest: +SKIP
>>> summary.ran, summary.skipped, summary.failed                                # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .._io import write_json_atomic
from .cell import ID_COLUMNS, failed_record, run_cell
from .config import SweepConfig, expand, load_config
from .store import SweepFolder

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
ProgressFn = Callable[[dict], None]


@dataclass
class SweepSummary:
    """What a run did: ``ran`` cells (of which ``failed`` failed), ``skipped`` (finished before), ``total``."""

    total: int
    ran: int
    skipped: int
    failed: int
    out: Path
    elapsed_seconds: float
    results: object = None  # the results DataFrame

    def line(self) -> str:
        return (f"{self.total} cells: {self.ran} ran, {self.skipped} skipped (already done), {self.failed} failed "
                f"in {self.elapsed_seconds:.1f} s -> {self.out}")


def _versions() -> dict:
    from ..runner import _versions as v

    out = v()
    for pkg in ("dask", "distributed", "pyyaml"):
        from importlib import metadata

        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _manifest(cfg: SweepConfig, cells: list[dict], status: str, started: str, counts: dict, executor: dict,
              elapsed: float | None) -> dict:
    return {
        "format": FORMAT_VERSION,
        "kind": "lissnas-bench sweep",
        "status": status,
        "config_hash": cfg.hash(),
        "config": cfg.to_dict(),
        "cells": {"total": len(cells), **counts},
        "keys": [c["key"] for c in cells],
        "data": {b.bench_id: b.data_hash for b in cfg.benchmarks},
        "executor": executor,
        "versions": _versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "started": started,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds") if status == "complete" else None,
        "elapsed_seconds": elapsed,
    }


def run_sweep(config, out: str | os.PathLike, *, executor=None, workers: int | None = None,
              scheduler: str | None = None, dask_local: int | None = None, force: bool = False,
              progress: ProgressFn | None = None, figures: bool = True) -> SweepSummary:
    """Run (or resume) the sweep ``config`` (a YAML path, a dict or a ``SweepConfig``) into ``out``.

    Executors: local processes (``workers``, default all cores; 1 = in this process), or Dask
    (``scheduler="tcp://host:8786"`` or ``dask_local=N``), or an ``executor`` object.  Cells already finished in
    ``out`` are skipped; a failing cell is recorded with its error and the sweep goes on.  ``progress`` gets
    ``{"done", "total", "key", "status"}`` after every cell (``status``: ok / failed / skipped).
    """
    from .executors import make_executor

    cfg = config if isinstance(config, SweepConfig) else load_config(config)
    if executor is None:
        executor = make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local)
    cells = expand(cfg)
    folder = SweepFolder(out)
    folder.claim(cfg.hash(), force)
    folder.root.mkdir(parents=True, exist_ok=True)
    old = folder.read_manifest() or {}
    started = old.get("started") or datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    desc = executor.describe()
    write_json_atomic(folder.manifest, _manifest(cfg, cells, "running", started, {}, desc, None))

    done = folder.done_keys()
    todo = [c for c in cells if c["key"] not in done]
    n_total, n_done, n_failed = len(cells), 0, 0

    def tick(key: str, status: str) -> None:
        nonlocal n_done
        n_done += 1
        if progress is not None:
            progress({"done": n_done, "total": n_total, "key": key, "status": status})

    for c in cells:
        if c["key"] in done:
            tick(c["key"], "skipped")
    skipped = n_done
    if skipped:
        log.info("resuming %s: %d of %d cells already finished", folder.root, skipped, n_total)

    def on_error(spec, exc):
        return failed_record(spec, f"{type(exc).__name__}: {exc}")

    for rec in executor.run(run_cell, todo, on_error=on_error):
        folder.write_cell(rec)
        status = rec["row"]["status"]
        n_failed += status != "ok"
        if status != "ok":
            log.warning("cell %s failed: %s", rec["key"], rec["row"].get("error"))
        tick(rec["key"], status)

    elapsed = (old.get("elapsed_seconds") or 0.0) + (time.perf_counter() - t0)
    results = rebuild(folder.root, cfg=cfg, cells=cells, figures=figures)
    counts = {"ran": len(todo), "skipped": skipped, "failed": n_failed,
              "ok": int((results["status"] == "ok").sum()) if len(results) else 0}
    write_json_atomic(folder.manifest, _manifest(cfg, cells, "complete", started, counts, desc, elapsed))
    return SweepSummary(total=n_total, ran=len(todo), skipped=skipped, failed=n_failed, out=folder.root,
                        elapsed_seconds=time.perf_counter() - t0, results=results)


# ---------------------------------------------------------------------------------------------- aggregation
def _records(folder: SweepFolder, keys: list[str]) -> list[dict]:
    out = []
    for k in keys:
        rec = folder.read_cell(k)
        if rec is not None:
            out.append(rec)
    return out


def results_frame(records: list[dict]):
    """A row per cell (in the given order): identity columns, status and error, then the metrics."""
    import pandas as pd

    df = pd.DataFrame([r["row"] for r in records])
    if df.empty:
        return pd.DataFrame(columns=["cell", *ID_COLUMNS, "status", "error"])
    first = ["cell", *ID_COLUMNS, "status", "error"]
    df = df[[c for c in first if c in df.columns] + [c for c in df.columns if c not in first]]
    if "reference_size" in df.columns:
        df["reference_size"] = df["reference_size"].astype("Int64")
    for c in ("shrink_queries", "shrunk_size", "search_queries", "search_total_queries", "cell_seed"):
        if c in df.columns:
            df[c] = df[c].astype("Int64")
    return df.reset_index(drop=True)


def _ci95(v: np.ndarray) -> float:
    """Half-width of the 95 % t-interval of the mean (NaN for fewer than two values)."""
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return math.nan
    from scipy import stats

    return float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))


SUMMARY_KEYS = ["benchmark", "dataset", "metric", "shrinker", "optimizer"]
#: the numeric columns summarised (mean, std, 95 % CI half-width)
SUMMARY_PREFIXES = ("search_regret@", "search_best@", "regret", "best", "shrink_queries", "shrunk_size",
                    "search_queries", "search_domain_regret", "search_sim_seconds", "wall_seconds")


def summary_frame(results):
    """Per (benchmark, dataset, metric, shrinker, optimizer): ``n_seeds`` (finished), ``n_failed``, and
    ``<col>_mean``, ``<col>_std``, ``<col>_ci95`` of every regret/best/size/query column over the finished seeds."""
    import pandas as pd

    if results.empty:
        return pd.DataFrame(columns=SUMMARY_KEYS + ["n_seeds", "n_failed"])
    cols = [c for c in results.columns if c.startswith(SUMMARY_PREFIXES) and c not in SUMMARY_KEYS
            and pd.api.types.is_numeric_dtype(results[c]) and not pd.api.types.is_bool_dtype(results[c])]
    rows = []
    for k, g in results.groupby(SUMMARY_KEYS, sort=False):
        ok = g[g["status"] == "ok"]
        row = dict(zip(SUMMARY_KEYS, k))
        row["n_seeds"], row["n_failed"] = int(len(ok)), int(len(g) - len(ok))
        for c in cols:
            v = ok[c].astype("float64").to_numpy()
            fin = v[np.isfinite(v)]
            row[f"{c}_mean"] = float(fin.mean()) if len(fin) else math.nan
            row[f"{c}_std"] = float(fin.std(ddof=1)) if len(fin) > 1 else math.nan
            row[f"{c}_ci95"] = _ci95(v)
        rows.append(row)
    return pd.DataFrame(rows)


def curves_frame(records: list[dict]):
    """The stored anytime curves, one row per (cell, query count): best-so-far, regret, simulated seconds."""
    import pandas as pd

    parts = []
    for r in records:
        c = r.get("curve")
        if not c:
            continue
        row = r["row"]
        q = np.asarray(c["queries"], dtype=np.int64)
        best = np.asarray(c["best"], dtype=np.float64)
        parts.append(pd.DataFrame({
            "cell": row["cell"], **{k: row[k] for k in ID_COLUMNS}, "queries": q, "best_so_far": best,
            "regret": float(c["global_max"]) - best,
            "sim_seconds": np.asarray(c["sim_seconds"], dtype=np.float64) if "sim_seconds" in c else np.nan,
        }))
    if not parts:
        return pd.DataFrame(columns=["cell", *ID_COLUMNS, "queries", "best_so_far", "regret", "sim_seconds"])
    return pd.concat(parts, ignore_index=True)


def _write_df(df, path: Path, kind: str) -> None:
    from ..runner import _write_csv, _write_parquet

    (_write_parquet if kind == "parquet" else _write_csv)(df, path)


def rebuild(out, *, cfg: SweepConfig | None = None, cells: list[dict] | None = None, figures: bool = True):
    """(Re)write results.parquet, summary.csv, curves.parquet and the figures from the cell files."""
    folder = SweepFolder(out)
    if cells is not None:
        keys = [c["key"] for c in cells]
        shrink_budget = cfg.shrink_budget if cfg is not None else None
    else:
        man = folder.read_manifest()
        if man is None:
            from ..errors import DataFileError

            raise DataFileError(f"{folder.root} is not a sweep results folder (no manifest.json)")
        keys = man["keys"]
        shrink_budget = man["config"].get("shrink_budget")
    records = _records(folder, keys)
    results = results_frame(records)
    _write_df(results, folder.results, "parquet")
    _write_df(summary_frame(results), folder.summary, "csv")
    curves = curves_frame(records)
    _write_df(curves, folder.curves, "parquet")
    if figures and len(curves):
        from ..plots.search import save_search_figures

        save_search_figures(curves, folder.figures, shrink_budget=shrink_budget)
    return results


def load_sweep(out):
    """``(results, summary, curves, manifest)`` of a sweep results folder."""
    import pandas as pd

    folder = SweepFolder(out)
    man = folder.read_manifest()
    if man is None or not folder.results.exists():
        from ..errors import DataFileError

        raise DataFileError(f"{folder.root} holds no finished sweep (manifest.json / results.parquet missing)")
    return (pd.read_parquet(folder.results), pd.read_csv(folder.summary), pd.read_parquet(folder.curves), man)
