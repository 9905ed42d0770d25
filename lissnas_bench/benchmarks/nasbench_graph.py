"""NAS-Bench-Graph (package ``nas-bench-graph``): 26,206 GNN architectures on 9 datasets."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DataFileError
from ._unpickle import numpy_scalar_classes, restricted_load

if TYPE_CHECKING:  # listing benchmarks reads this module's constants: numpy and the space load in build()
    from ._base import Benchmark

ID = "nasbench-graph"
SPACE = "nasbench-graph"
VERSION = 2
DATASETS = ["cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins"]
METRICS = ["valid_perf", "perf", "latency", "para"]
SOURCE = "PyPI package nas-bench-graph 1.4.0 (NAS-Bench-Graph, Qin et al., NeurIPS 2022), light/*.bench"


def data_dir() -> Path:
    spec = importlib.util.find_spec("nas_bench_graph")
    if spec is None or not spec.submodule_search_locations:
        raise DataFileError("the package nas-bench-graph is not installed: pip install nas-bench-graph")
    return Path(next(iter(spec.submodule_search_locations))) / "light"


def sources() -> list[Path]:
    d = data_dir()
    files = [d / f"{name}.bench" for name in DATASETS]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise DataFileError(f"nas-bench-graph is installed but {d} lacks {', '.join(missing)}")
    return files


def build(digest: str) -> Benchmark:
    import numpy as np

    from ..spaces import get_space
    from ._base import Benchmark, minimized_by_name

    space = get_space("nasbench-graph")
    archs = space.enumerate()
    hashes = space.hash(archs)
    order = np.argsort(hashes)
    cols: dict[tuple[str, str], np.ndarray] = {}
    for f, name in zip(sources(), DATASETS):
        bench = restricted_load(f, numpy_scalar_classes(), f"NAS-Bench-Graph {name}.bench")
        keys = np.fromiter(bench.keys(), dtype=np.int64, count=len(bench))
        pos = np.searchsorted(hashes, keys, sorter=order).clip(0, len(order) - 1)
        rows = order[pos]
        if not np.all(hashes[rows] == keys):
            raise DataFileError(f"{f}: {int(np.sum(hashes[rows] != keys))} keys are not canonical architectures")
        recs = list(bench.values())
        for m in METRICS:
            col = np.full(len(archs), np.nan)
            col[rows] = np.array([float(r[m]) for r in recs], dtype=np.float64)
            cols[(name, m)] = col
    return Benchmark(
        id=ID,
        space=space,
        archs=archs,
        columns=cols,
        source=SOURCE,
        description="GNN architectures (9 link patterns x 4 of 9 operations; proteins: 5 operations) trained on "
        "9 graph datasets; perf/valid_perf are test/validation accuracy as fractions, latency in seconds, "
        "para = parameters in millions",
        default_dataset="cora",
        default_metrics={d: "perf" for d in DATASETS},  # the truth; searchers see valid_perf
        data_hash=digest,
        minimize=minimized_by_name(cols),
    )
