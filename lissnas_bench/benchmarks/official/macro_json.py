"""NAS-Bench-Macro's published JSON (``nas-bench-macro_cifar10.json``: all 3**8 = 6,561 architectures).

The file maps the 8-digit key to ``{test_acc: [3 runs], mean_acc, std, params, flops}``.  It is read with the
generic table loader and renamed to the scheme of the other adapters: ``test-accuracy`` (mean of the runs),
``test-accuracy/run0``..``run2``, ``test-accuracy-std``, ``params``, ``flops``; dataset ``cifar10``.  The
original names (``mean_acc``, ``std``, ``test_acc[i]``) are accepted too.

NAS-Bench-Macro trained each *network* once: keys that differ only in where identity layers sit inside a stage
(its ``get_real_arch``) share one record, so the 6,561 keys give 3,969 architectures (``spaces/macro.py``).  A
file whose repeated keys disagree is refused.

>>> from lissnas_bench.benchmarks.official import import_file                  # doctest: +SKIP
>>> bench, log = import_file("macro", "nas-bench-macro_cifar10.json")       # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import DataFileError
from .._base import Benchmark
from ..table import load_table
from ._common import Progress, no_progress, verify_sha256

#: SHA-256 of the file at NAS-Bench-Macro commit 61a2bfc (the project does not publish one itself)
RELEASES = {"nas-bench-macro_cifar10.json": "686dee8363cc21cca8c1f321ad5749454f2d9b9ca5972682e137e539bc522297"}
DATASET = "cifar10"


def _rename(m: str) -> str:
    run = re.fullmatch(r"test_acc\[(\d+)\]", m)
    if run:
        return f"test-accuracy/run{run.group(1)}"
    return {"mean_acc": "test-accuracy", "std": "test-accuracy-std"}.get(m, m)


def import_macro(
    path: Path, *, bench_id: str | None = None, verify: bool = True, progress: Progress = no_progress
) -> tuple[Benchmark, list[str]]:
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file (NAS-Bench-Macro is one JSON file)")
    if path.suffix.lower() != ".json":
        raise DataFileError(f"{path.name}: NAS-Bench-Macro's data is a .json file")
    log = []
    if verify:
        expected = RELEASES["nas-bench-macro_cifar10.json"]
        log.append(verify_sha256(path, expected, progress) + " (file of NAS-Bench-Macro commit 61a2bfc)")
    else:
        log.append("checksum not verified (--no-verify)")
    t = load_table(path, space="nasbench-macro", arch_column="arch", dataset=DATASET)
    cols = {(DATASET, _rename(m)): v for (_, m), v in t.columns.items()}
    if (DATASET, "test-accuracy") not in cols:
        raise DataFileError(f"{path.name}: no mean_acc field; is it NAS-Bench-Macro's JSON?")
    bench = Benchmark(
        id=bench_id or "nasbench-macro",
        space=t.space,
        archs=t.archs,
        columns=cols,
        source=f"{path.name} (NAS-Bench-Macro, CIFAR-10)",
        description="NAS-Bench-Macro: MobileNetV2-style macro space, 3 training runs per architecture (accuracy in %)",
        default_dataset=DATASET,
        default_metrics={DATASET: "test-accuracy"},
        data_hash=t.data_hash,
        notes=t.notes,
    )
    import json

    n_keys = len(json.loads(path.read_text()))
    log.append(f"read {n_keys:,} keys: {len(bench):,} distinct networks (keys that differ only in where identity "
               "layers sit share one record, as in NAS-Bench-Macro's get_real_arch)")
    return bench, log
