"""Where cells run: this process, local worker processes, or a Dask cluster; one implementation for every kind of
experiment.  Results are identical either way: a cell is a pure function of its coordinates; executors only
decide where and in which order tasks run.  Records travel back to the calling process, which alone writes the
results folder, so Dask workers need no shared filesystem with the client (they need lissnas-bench installed and
the benchmark data).

Workers die with their parent: a killed run (even by SIGKILL) leaves no process behind computing cells.

>>> ex = make_executor(workers=1)
>>> list(ex.run(abs, [-1, -2]))
[1, 2]
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator

from .._params import as_int
from ..errors import InvalidConfig

log = logging.getLogger(__name__)

#: Dask settings for the LocalCluster this module starts: cells need no profiling, no dashboard and no fast ticks
QUIET_LOCAL_CLUSTER = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
                       "distributed.admin.system-monitor.interval": "5s",
                       "distributed.worker.memory.monitor-interval": "1s"}


def watch_parent(parent_pid: int, interval: float = 0.5) -> None:
    """Exit this process as soon as ``parent_pid`` is no longer its parent (the parent died).

    On Linux the kernel sends SIGKILL at the parent's death (``PR_SET_PDEATHSIG``); everywhere a daemon thread
    also polls ``os.getppid()``."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:
        os._exit(1)

    def poll():
        while True:
            time.sleep(interval)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=poll, name="lissnas-watch-parent", daemon=True).start()


def _run_batch(fn: Callable, specs: list) -> list:
    """Several tasks in one (fewer, larger tasks: less scheduling overhead per cell)."""
    return [fn(s) for s in specs]


def _batches(specs: list, batch: int) -> list[list]:
    return [specs[i : i + batch] for i in range(0, len(specs), batch)]


class LocalExecutor:
    """``workers`` processes (spawned; they die with this process); ``workers=1`` runs in this process.  ``batch``
    tasks travel together."""

    kind = "local"

    def __init__(self, workers: int | None = None, *, batch: int = 1):
        self.workers = as_int(workers, "--workers", ge=1) if workers is not None else (os.cpu_count() or 1)
        self.batch = as_int(batch, "--batch", ge=1)

    def describe(self) -> dict:
        return {"executor": self.kind, "workers": self.workers, "batch": self.batch}

    def run(self, fn: Callable, specs: Iterable, on_error: Callable | None = None) -> Iterator:
        specs = list(specs)
        if self.workers == 1 or len(specs) <= 1:
            yield from (fn(s) for s in specs)
            return
        import concurrent.futures as cf
        import multiprocessing as mp

        # spawn, not fork: the parent holds threads (progress bar, pyarrow) and a forked lock could deadlock
        with cf.ProcessPoolExecutor(max_workers=min(self.workers, len(specs)), mp_context=mp.get_context("spawn"),
                                    initializer=watch_parent, initargs=(os.getpid(),)) as pool:
            futs = {pool.submit(_run_batch, fn, b): b for b in _batches(specs, self.batch)}
            try:
                for fut in cf.as_completed(futs):
                    try:
                        yield from fut.result()
                    except Exception as exc:  # noqa: BLE001 - a dead worker process: record and go on
                        if on_error is None:
                            raise
                        yield from (on_error(s, exc) for s in futs[fut])
            finally:
                for f in futs:
                    f.cancel()


class DaskExecutor:
    """Tasks on Dask: an existing cluster (``scheduler="tcp://host:port"``) or a ``LocalCluster`` of
    ``local_workers`` single-threaded worker processes (``processes=False``: threads of this process).
    ``batch`` tasks travel together; ``batch=None`` picks about 8 tasks per worker."""

    kind = "dask"

    def __init__(self, scheduler: str | None = None, local_workers: int | None = None, *, processes: bool = True,
                 batch: int | None = None):
        from .._imports import optional_import

        optional_import("distributed", "dask", "the Dask executor (--scheduler / --dask-local)")
        if (scheduler is None) == (local_workers is None):
            raise InvalidConfig("give either --scheduler tcp://HOST:PORT or --dask-local N, not both")
        if local_workers is not None:
            local_workers = as_int(local_workers, "--dask-local", ge=1)
        if scheduler is not None and "://" not in scheduler:
            raise InvalidConfig(f"--scheduler must be an address such as tcp://HOST:8786, got {scheduler!r}")
        self.scheduler, self.local_workers, self.processes = scheduler, local_workers, processes
        self.batch = None if batch is None else as_int(batch, "--batch", ge=1)

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
        import dask

        # the workers get this configuration when they start; idle, a default LocalCluster of two workers burns
        # ~0.09 CPU seconds per second (the statistical profiler samples every 10 ms, the event loops tick every
        # 20 ms), about a sixth of that with these settings (benchmarks/bench_sweep.py measures the run)
        with dask.config.set(QUIET_LOCAL_CLUSTER):
            cluster = LocalCluster(n_workers=self.local_workers, threads_per_worker=1, processes=self.processes,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
        if self.processes:  # local worker processes (and their nannies) die with this process
            me = os.getpid()
            client.run(_watch_from, me, nanny=True)
            client.run(_watch_from, me)
        return client, cluster

    def run(self, fn: Callable, specs: Iterable, on_error: Callable | None = None) -> Iterator:
        from distributed import as_completed

        specs = list(specs)
        if not specs:
            return
        client, cluster = self._client()
        try:
            n_workers = max(1, len(client.scheduler_info().get("workers", {})) or (self.local_workers or 1))
            batch = self.batch or max(1, len(specs) // (8 * n_workers))
            token = uuid.uuid4().hex[:8]  # task keys unique to this run, even on a shared long-lived scheduler
            batches = _batches(specs, batch)
            keys = [f"lissnas-cells-{i}-{token}" for i in range(len(batches))]
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


def _watch_from(client_pid: int) -> None:
    """Run on a local Dask worker or nanny: exit when the client process is gone."""
    def poll():
        while True:
            time.sleep(0.5)
            try:
                os.kill(client_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=poll, name="lissnas-watch-client", daemon=True).start()


def make_executor(*, workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None,
                  dask_processes: bool = True, batch: int | None = None):
    """The executor the CLI options ask for: Dask when ``scheduler`` or ``dask_local`` is given, else local."""
    if scheduler is not None or dask_local is not None:
        if workers is not None:
            raise InvalidConfig("--workers sets local processes; with Dask the cluster decides (--dask-local N)")
        return DaskExecutor(scheduler, dask_local, processes=dask_processes, batch=batch)
    return LocalExecutor(workers, batch=1 if batch is None else batch)


__all__ = ["DaskExecutor", "LocalExecutor", "make_executor", "watch_parent"]
