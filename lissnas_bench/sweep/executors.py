"""Where cells run: local processes (default) or a Dask cluster.  Results are identical either way: a cell is a pure
function of its spec (its seed included); executors only decide where and in which order cells run.

An executor's ``run(fn, specs)`` yields each cell's record as it completes.  Records travel back to the calling
process, which alone writes the results folder, so Dask workers need no shared filesystem with the client (they
do need lissnas-bench installed, and the benchmark data: an embedded benchmark builds its cache from the pip
package on first use; a table path must be readable by every worker).

>>> ex = make_executor(workers=1)
>>> [r for r in ex.run(abs, [-1, -2])]
[1, 2]
"""

from __future__ import annotations

import functools
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator

from ..errors import InvalidConfig

log = logging.getLogger(__name__)


def _check_batch(batch) -> int:
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise InvalidConfig(f"--batch must be a positive number of cells per task, got {batch!r}")
    return batch


def _run_batch(fn: Callable, specs: list) -> list:
    """Several cells in one task (fewer, larger tasks: less scheduling overhead per cell)."""
    return [fn(s) for s in specs]


def _batches(specs: list, batch: int) -> list[list]:
    return [specs[i : i + batch] for i in range(0, len(specs), batch)]


class LocalExecutor:
    """``workers`` processes (``ProcessPoolExecutor``, spawn start method); ``workers=1`` runs in this process.
    ``batch`` cells travel together as one task."""

    kind = "local"

    def __init__(self, workers: int | None = None, *, batch: int = 1):
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise InvalidConfig(f"--workers must be a positive integer, got {workers!r}")
        self.workers = workers or os.cpu_count() or 1
        self.batch = _check_batch(batch)

    def describe(self) -> dict:
        return {"executor": self.kind, "workers": self.workers, "batch": self.batch}

    def run(self, fn: Callable, specs: Iterable, on_error: Callable | None = None) -> Iterator:
        specs = list(specs)
        if self.workers == 1 or len(specs) <= 1:
            for s in specs:
                yield fn(s)
            return
        import concurrent.futures as cf
        import multiprocessing as mp

        # spawn, not fork: the parent may hold threads (the progress bar) and a forked child would inherit locks
        with cf.ProcessPoolExecutor(max_workers=min(self.workers, len(specs)),
                                    mp_context=mp.get_context("spawn")) as pool:
            futs = {pool.submit(_run_batch, fn, b): b for b in _batches(specs, self.batch)}
            try:
                for fut in cf.as_completed(futs):
                    try:
                        yield from fut.result()
                    except Exception as exc:  # noqa: BLE001 - a dead worker process: record and go on
                        if on_error is None:
                            raise
                        for s in futs[fut]:
                            yield on_error(s, exc)
            finally:
                for f in futs:
                    f.cancel()


class DaskExecutor:
    """Cells as Dask tasks: an existing cluster (``scheduler="tcp://host:port"``) or a ``LocalCluster`` of
    ``local_workers`` single-threaded worker processes (``processes=False``: threads of this process).
    ``batch`` cells travel together as one task."""

    kind = "dask"

    def __init__(self, scheduler: str | None = None, local_workers: int | None = None, *, processes: bool = True,
                 batch: int = 1):
        from .._imports import optional_import

        optional_import("distributed", "dask", "the Dask executor (--scheduler / --dask-local)")
        if (scheduler is None) == (local_workers is None):
            raise InvalidConfig("give either --scheduler tcp://HOST:PORT or --dask-local N, not both")
        if local_workers is not None and (isinstance(local_workers, bool) or not isinstance(local_workers, int)
                                          or local_workers < 1):
            raise InvalidConfig(f"--dask-local must be a positive number of workers, got {local_workers!r}")
        if scheduler is not None and "://" not in scheduler:
            raise InvalidConfig(f"--scheduler must be an address such as tcp://HOST:8786, got {scheduler!r}")
        self.scheduler, self.local_workers, self.processes = scheduler, local_workers, processes
        self.batch = _check_batch(batch)

    def describe(self) -> dict:
        return {"executor": self.kind, "scheduler": self.scheduler, "local_workers": self.local_workers,
                "processes": self.processes, "batch": self.batch}

    def _client(self):
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            try:
                return Client(self.scheduler, timeout="20s"), None
            except OSError as exc:
                raise InvalidConfig(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
        cluster = LocalCluster(n_workers=self.local_workers, threads_per_worker=1, processes=self.processes,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        return Client(cluster), cluster

    def run(self, fn: Callable, specs: Iterable, on_error: Callable | None = None) -> Iterator:
        from distributed import as_completed

        specs = list(specs)
        if not specs:
            return
        client, cluster = self._client()
        try:
            token = uuid.uuid4().hex[:8]  # task keys unique to this run, even on a shared long-lived scheduler
            batches = _batches(specs, self.batch)
            keys = [f"lissnas-cells-{b[0]['key'] if isinstance(b[0], dict) and 'key' in b[0] else i}-{token}"
                    for i, b in enumerate(batches)]
            futures = client.map(functools.partial(_run_batch, fn), batches, key=keys, pure=False)
            batch_of = {f.key: b for f, b in zip(futures, batches)}
            for fut in as_completed(futures):
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: record and go on
                    if on_error is None:
                        raise
                    res = [on_error(s, exc) for s in batch_of[fut.key]]
                fut.release()
                yield from res
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def make_executor(*, workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None,
                  dask_processes: bool = True, batch: int = 1):
    """The executor the CLI options ask for: Dask when ``scheduler`` or ``dask_local`` is given, else local."""
    if scheduler is not None or dask_local is not None:
        if workers is not None:
            raise InvalidConfig("--workers sets local processes; with Dask the cluster decides (--dask-local N)")
        return DaskExecutor(scheduler, dask_local, processes=dask_processes, batch=batch)
    return LocalExecutor(workers, batch=batch)


__all__ = ["DaskExecutor", "LocalExecutor", "make_executor"]
