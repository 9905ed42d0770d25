"""Adapters for the official benchmark files a user downloads: convert once, then use by id everywhere.

``import_file(kind, path)`` reads the file (verifying its published checksum unless ``verify=False``) into a
``Benchmark``; ``import_benchmark`` also stores it in the cache's registry of imported benchmarks, atomically,
so ``load_benchmark(id)`` and every command find it.  Kinds:

=========  ==============================================================  ==========
kind       file                                                            extra
=========  ==============================================================  ==========
nb201      ``NAS-Bench-201-v1_0-e61699.pth`` / ``-v1_1-096897.pth``        ``nb201``
nats-tss   ``NATS-tss-v1_0-3ffb9.pickle.pbz2`` or its ``-simple/`` folder  ``nats``
nats-sss   ``NATS-sss-v1_0-50262.pickle.pbz2`` or its ``-simple/`` folder  ``nats``
nb101      ``nasbench_full.tfrecord`` / ``nasbench_only108.tfrecord``      (none)
nb301      ``nb_models_1.0/`` (surrogate ensembles)                        ``nb301``
macro      ``nas-bench-macro_cifar10.json``                                (none)
=========  ==============================================================  ==========

Unpickling runs code: the pickle-based formats (NB201, NATS-Bench) are only read when a user imports them,
and then with an unpickler that accepts only the classes those formats are made of.

>>> from lissnas_bench.benchmarks.official import available_kinds
>>> available_kinds()
['macro', 'nats-sss', 'nats-tss', 'nb101', 'nb201', 'nb301']
"""

from __future__ import annotations

import time
from pathlib import Path

from ...errors import DataFileError, InvalidConfig, UnknownName
from .._base import Benchmark
from ._common import Progress, no_progress
from ._names import declare

#: kind -> (what it reads, the default id prefix)
KINDS = {
    "nb201": "NAS-Bench-201 .pth (v1.0, v1.1)",
    "nats-tss": "NATS-Bench topology: .pickle.pbz2 file or fast_mode directory",
    "nats-sss": "NATS-Bench size: .pickle.pbz2 file or fast_mode directory",
    "nb101": "NAS-Bench-101 .tfrecord (full or only108)",
    "nb301": "NAS-Bench-301 surrogate model directory",
    "macro": "NAS-Bench-Macro JSON",
}


def available_kinds() -> list[str]:
    return sorted(KINDS)


def import_file(
    kind: str,
    path,
    *,
    bench_id: str | None = None,
    verify: bool = True,
    progress: Progress = no_progress,
    **options,
) -> tuple[Benchmark, list[str]]:
    """Read an official file into a ``Benchmark`` without storing it; returns it and what was checked.

    ``options`` go to the adapter (``nb301``: ``archs``, ``sample``, ``seed``, ``trust_pickles``: its model files
    are pickles and are loaded only with ``trust_pickles=True``).
    """
    if kind not in KINDS:
        raise UnknownName("benchmark kind", kind, available_kinds())
    if kind != "nb301" and options:
        raise InvalidConfig(f"options {sorted(options)} only apply to nb301")
    path = Path(path).expanduser()
    if not path.exists():
        raise DataFileError(f"{path}: no such file or directory")
    common = {"bench_id": bench_id, "verify": verify, "progress": progress}
    bench, log = _read(kind, path, common, options)
    return declare(kind, bench), log


def _read(kind: str, path: Path, common: dict, options: dict) -> tuple[Benchmark, list[str]]:
    if kind == "nb201":
        from .nb201_pth import import_pth

        return import_pth(path, **common)
    if kind in ("nats-tss", "nats-sss"):
        from .nats import import_nats

        return import_nats(path, kind.split("-")[1], **common)
    if kind == "nb101":
        from .nb101_tfrecord import import_tfrecord

        return import_tfrecord(path, **common)
    if kind == "nb301":
        from .nb301 import import_nb301

        return import_nb301(path, **common, **options)
    from .macro_json import import_macro

    return import_macro(path, **common)


def import_benchmark(
    kind: str,
    path,
    *,
    bench_id: str | None = None,
    verify: bool = True,
    force: bool = False,
    progress: Progress = no_progress,
    **options,
) -> dict:
    """Convert an official file once into the cache; afterwards ``load_benchmark(id)`` finds it.

    Returns the stored sidecar (id, rows, columns, checksum, ...) plus ``log`` and ``seconds``.  Nothing is
    written unless the whole file was read; an existing id is refused unless ``force``.

    >>> from lissnas_bench.benchmarks.official import import_benchmark          # doctest: +SKIP
    >>> import_benchmark("nb101", "nasbench_only108.tfrecord")["id"]           # doctest: +SKIP
    'nb101-only108'
    """
    from .. import _EMBEDDED, cache

    if bench_id is not None:
        cache.check_id(bench_id)
        if bench_id in _EMBEDDED:
            raise InvalidConfig(f"{bench_id!r} is an embedded benchmark's id; choose another --name")
        _refuse_existing(bench_id, force)
    t0 = time.perf_counter()
    bench, log = import_file(kind, path, bench_id=bench_id, verify=verify, progress=progress, **options)
    if bench_id is None:
        if bench.id in _EMBEDDED:
            raise InvalidConfig(f"{bench.id!r} is an embedded benchmark's id; choose another --name")
        _refuse_existing(bench.id, force)
    # cache.save writes atomically and removes the Arrow file again if its sidecar cannot be written
    target = cache.store_imported(
        bench, {"kind": kind, "imported_from": str(Path(path).expanduser().resolve()), "import_log": log}
    )
    side = cache.read_sidecar(target)
    return {**side, "log": log, "seconds": time.perf_counter() - t0, "path": str(target)}


def _refuse_existing(bench_id: str, force: bool) -> None:
    from .. import cache

    if cache.imported_path(bench_id).exists() and not force:
        raise InvalidConfig(
            f"a benchmark {bench_id!r} is already imported; remove it (lissnas-bench data remove {bench_id}), "
            "choose another --name, or pass --force"
        )


def remove_benchmark(bench_id: str) -> None:
    """Delete an imported benchmark from the cache."""
    from .. import cache

    cache.remove_imported(bench_id)


def list_benchmarks() -> list[dict]:
    """Sidecars of the imported benchmarks (id, space, rows, kind, source, ...)."""
    from .. import cache

    return cache.list_imported()


__all__ = ["KINDS", "available_kinds", "import_benchmark", "import_file", "list_benchmarks", "remove_benchmark"]
