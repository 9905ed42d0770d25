"""The sweep's results folder: one JSON file per finished cell, written atomically, plus aggregates rebuilt from them.

Layout (``out``)::

    manifest.json      configuration, its hash, cell keys in grid order, counts, versions, data hashes, executor
    cells/<key>.json   one cell: its result row, its anytime curve (and the traceback when it failed)
    results.parquet    a row per cell of the grid (grid order), failed cells included with their error
    summary.csv        per (benchmark, dataset, metric, shrinker, optimizer): seeds, failures, mean/std/95 % CI
    curves.parquet     the anytime curves (best-so-far and regret against total queries), long format
    figures/           search_regret__<benchmark>-<dataset>.png/.svg

It reuses the comparison runner's folder logic (``runner.ResultsFolder``): a folder holding another
configuration's results is refused unless ``force``, which clears what a sweep writes (and nothing else).
"""

from __future__ import annotations

import shutil

from .._io import write_json_atomic
from ..runner import ResultsFolder

_OWN_FILES = ("results.parquet", "summary.csv", "curves.parquet", "manifest.json")
_OWN_DIRS = ("cells", "figures")


class SweepFolder(ResultsFolder):
    """Paths, resume and refusal for a sweep's ``out`` folder."""

    def __init__(self, out):
        super().__init__(out)
        self.curves = self.root / "curves.parquet"

    def clear(self) -> None:
        for name in _OWN_DIRS:
            shutil.rmtree(self.root / name, ignore_errors=True)
        for name in _OWN_FILES:
            (self.root / name).unlink(missing_ok=True)

    def write_cell(self, record: dict) -> None:
        """Atomically: a reader (or a resumed run) sees the whole cell or none of it."""
        write_json_atomic(self.cell_path(record["key"]), record)

    def done_keys(self) -> set[str]:
        """Keys of the cells that finished successfully (failed cells are run again on resume)."""
        out = set()
        if not self.cells.is_dir():
            return out
        for p in self.cells.glob("*.json"):
            rec = self.read_cell(p.stem)
            if rec is not None and rec.get("row", {}).get("status") == "ok":
                out.add(p.stem)
        return out
