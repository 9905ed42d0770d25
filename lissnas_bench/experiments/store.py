"""The one results-folder layout, and the ``shrink`` command's files.

A results folder (``out``)::

    manifest.json          configuration, its hash, seeds, package versions, data hashes, executor, timing, status
    cells/<key>.json       one finished cell (target, variant, seed): its row, trace, choice mask, f sample, the
                           searches' rows and anytime curves; or, for a failed cell, its error and traceback
    spaces/<key>.json      the shrunk space S' of that cell (loadable with ``lissnas_bench.load_shrunk``)
    results.parquet        a row per cell (rebuilt from cells/ at the end of every run)
    summary.csv            mean, std and 95 % bootstrap CI over seeds per (benchmark, dataset, metric, budget,
                           method), and each method's spend against the reference's
    comparisons.csv        paired Wilcoxon tests of every method against the reference, Holm-corrected
    searches.parquet       (with optimizers) a row per cell × optimizer
    search_summary.csv     (with optimizers) the same statistics per (..., method, optimizer)
    traces.parquet         the iteration traces (LISSNAS, and any shrinker that keeps one)
    distributions.parquet  f over S and a sample of f over each S'
    curves.parquet         (with optimizers) anytime curves against total queries (and simulated seconds)
    curves_time.parquet    (with a time budget) the same curves on a grid of simulated seconds
    figures/, report.md    drawn by ``lissnas_bench.report.publish`` (not by the engine)

A cell file is written atomically and only after its space file, so a run killed at any moment (even with SIGKILL)
loses nothing that had finished; a re-run with the same ``out`` skips finished cells (failed ones run again).
Every aggregate is a pure function of ``cells/`` and the manifest.  Nothing is written through a symbolic link.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from .._io import atomic_path, write_json_atomic
from ..errors import DataFileError, InvalidConfig
from .plan import FORMAT_VERSION
from .seeds import cell_seed

log = logging.getLogger(__name__)

OWN_FILES = ("results.parquet", "summary.csv", "comparisons.csv", "searches.parquet", "search_summary.csv", "traces.parquet",
             "distributions.parquet", "curves.parquet", "curves_time.parquet", "report.md", "manifest.json")
OWN_DIRS = ("cells", "spaces", "figures")
_VERSION_PACKAGES = ("lissnas-bench", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "seaborn",
                     "analog-nasbench", "nas-bench-graph", "dask", "distributed", "pyyaml")


def _no_link(path: Path) -> None:
    if path.is_symlink():
        raise InvalidConfig(f"{path} is a symbolic link: results are never written through links; remove it or "
                            "choose another --out")


class ResultsFolder:
    """Paths, resume and refusal logic of an experiment's output folder."""

    def __init__(self, out: str | os.PathLike):
        self.root = Path(out).expanduser()
        for name in ("cells", "spaces", "figures"):
            setattr(self, name, self.root / name)
        for name in OWN_FILES:
            setattr(self, name.split(".")[0], self.root / name)

    def check_writable(self) -> None:
        """One clear error when ``out`` cannot be a results folder (a file, a link, a link inside)."""
        if self.root.exists() and not self.root.is_dir():
            raise InvalidConfig(f"--out {self.root} is a file, not a folder: choose a folder for the results")
        for p in (self.root, self.cells, self.spaces, self.figures):
            _no_link(p)

    def read_manifest(self) -> dict | None:
        if not self.manifest.exists():
            return None
        try:
            m = json.loads(self.manifest.read_text())
        except (OSError, ValueError) as exc:
            raise DataFileError(f"{self.manifest}: unreadable manifest ({exc}); use --force to start afresh") from exc
        if not isinstance(m, dict):
            raise DataFileError(f"{self.manifest}: not a results manifest; use --force to start afresh")
        return m

    def clear(self) -> None:
        """Remove what an experiment writes (never anything else that lives in the folder)."""
        for name in OWN_DIRS:
            p = self.root / name
            if p.is_symlink():
                p.unlink()
            else:
                shutil.rmtree(p, ignore_errors=True)
        for name in OWN_FILES:
            (self.root / name).unlink(missing_ok=True)

    def has_results(self) -> bool:
        return self.cells.is_dir() and any(self.cells.glob("*.json"))

    def claim(self, config_hash: str, force: bool) -> None:
        """Refuse a folder holding another configuration's results, unless ``force`` (which clears it).  A folder
        whose run failed before any cell finished holds nothing to protect: it is taken over."""
        self.check_writable()
        man = self.read_manifest() if self.root.exists() else None
        if force:
            self.clear()
            return
        if man is not None and man.get("config_hash") != config_hash:
            if not self.has_results():
                self.clear()
                return
            raise InvalidConfig(
                f"{self.root} holds results of a different configuration (hash {man.get('config_hash')}, "
                f"this run {config_hash}); pass --force to clear it, or choose another --out")
        if man is None and self.has_results():
            raise InvalidConfig(f"{self.root} holds result cells without a manifest; pass --force to clear them")

    def cell_path(self, key: str) -> Path:
        return self.cells / f"{key}.json"

    def read_cell(self, key: str) -> dict | None:
        p = self.cell_path(key)
        if not p.exists():
            return None
        try:
            rec = json.loads(p.read_text())
        except (OSError, ValueError):
            # cannot happen with atomic writes, but a hand-edited file should not stop the run: redo that cell
            log.warning("unreadable cell file %s: the cell is run again", p)
            return None
        return rec if isinstance(rec, dict) else None

    def finished(self, key: str, config_hash: str) -> dict | None:
        """The cell record when it finished successfully under ``config_hash``."""
        rec = self.read_cell(key)
        if rec is None or rec.get("config_hash") != config_hash or rec.get("status", "ok") != "ok":
            return None
        return rec

    def write_cell(self, record: dict) -> None:
        """The space file first, then the cell file (its presence means the cell is complete)."""
        space = record.pop("space", None)
        if space is not None:
            rel = f"spaces/{record['key']}.json"
            write_json_atomic(self.root / rel, space)
            record["space_file"] = rel
        write_json_atomic(self.cell_path(record["key"]), record)


def write_table(df, path: Path) -> None:
    """A DataFrame as Parquet (``.parquet``) or CSV, atomically."""
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)


def versions() -> dict[str, str | None]:
    from importlib import metadata

    out = {}
    for pkg in _VERSION_PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def manifest(plan, status: str, started: str, *, elapsed: float | None = None, counts: dict | None = None,
             executor: dict | None = None) -> dict:
    """The manifest of a results folder: everything needed to know what produced it."""
    exp = plan.experiment
    targets, seeds = [], []
    for p in plan.targets:
        sp = p.bench.space
        targets.append({
            "key": p.key, **{k: getattr(p.target, k) for k in ("benchmark", "dataset", "metric", "proxy", "space",
                                                               "arch_column", "cost_column", "query_metric",
                                                               "restrict_domain")},
            "protocol": p.protocol.kind, "protocol_text": p.protocol.describe(),
            "benchmark_id": p.bench.id, "data_hash": p.bench.data_hash, "space_name": sp.name,
            "space_size": p.domain_size,
            "position_names": list(sp.position_names), "choice_names": [list(c) for c in sp.choice_names],
            "seed_key": p.seed_key})
        seeds += [{"target": p.key, "seed": s, "cell_seed": cell_seed(plan.seed_sequence(p, s))} for s in exp.seeds]
    return {
        "format": FORMAT_VERSION, "kind": "lissnas-bench experiment", "status": status,
        "config_hash": plan.config_hash, "config": exp.to_dict(),
        "methods": {v.label: dict(v.params) for v in exp.shrinkers},
        "optimizers": {v.label: dict(v.params) for v in exp.optimizers},
        "reference": exp.reference.to_dict() if exp.reference else None,
        "statistics_reference": exp.statistics_reference,
        "targets": targets, "seeds": seeds, "keys": [plan.cell_key(t, v.label, s, b) for t, b, s, v in plan.cells()],
        "cells": {"total": plan.n_cells, **(counts or {})}, "executor": executor, "versions": versions(),
        "python": sys.version.split()[0], "platform": platform.platform(), "started": started,
        "finished": now() if status == "complete" else None, "elapsed_seconds": elapsed,
    }


# ---------------------------------------------------------------------------------------------- `shrink` files
def shrink_files(out: str | os.PathLike, stem: str) -> tuple[Path, Path]:
    """The two files of the ``shrink`` command: ``<stem>.space.json`` and ``<stem>.metrics.json``."""
    out = Path(out)
    return out / f"{stem}.space.json", out / f"{stem}.metrics.json"


def shrink_queries_of(space_file) -> int | None:
    """The shrinker's query count recorded beside a shrunk-space file that this project wrote, else ``None``:
    a results folder's ``spaces/<key>.json`` (its cell) or the ``shrink`` command's ``<stem>.space.json``."""
    q = _shrink_record(space_file, "queries")
    return q if isinstance(q, int) and not isinstance(q, bool) and q >= 0 else None


def shrink_seconds_of(space_file) -> float | None:
    """The shrinker's simulated training seconds recorded beside a shrunk-space file (as ``shrink_queries_of``),
    else ``None`` (not recorded, or the benchmark has no training time)."""
    s = _shrink_record(space_file, "sim_seconds")
    ok = isinstance(s, (int, float)) and not isinstance(s, bool) and s >= 0 and s == s and s != float("inf")
    return float(s) if ok else None


def _shrink_record(space_file, key: str):
    p = Path(space_file)
    candidates = []
    if p.parent.name == "spaces":
        candidates.append((p.parent.parent / "cells" / f"{p.stem}.json", "row"))
    if p.name.endswith(".space.json"):
        candidates.append((p.with_name(p.name[: -len(".space.json")] + ".metrics.json"), "metrics"))
    for f, part in candidates:
        try:
            return json.loads(f.read_text())[part][key]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None
