"""Radius-r neighbour rows of a benchmark's rows, computed once per benchmark object and shared by every user in
the process: the searches of a cell, every cell of a worker, and the pocket count of ``evaluate``.

A row's neighbours are the rows of ``space.neighbours(arch, r)`` that the benchmark tabulates (canonicalised by
``Benchmark.rows``), sorted and distinct; a neighbour that canonicalises to the row itself stays in.  A table of
at most ``WHOLE_TABLE_ROWS`` rows is computed whole on first use, as CSR arrays: a broadcast call costs a small
fraction per row of one row at a time (``benchmarks/bench_re.py`` measures both), and a sweep visits thousands of
rows.  Larger tables (NB101's 423k) fill on demand, a few rows per call.

A whole table is also kept on disk (``$LISSNAS_BENCH_HOME/neighbours/``, a checksummed ``.npz`` named by the
space, the radius and the SHA-256 of the benchmark's architectures), so each worker process of a sweep loads it
in milliseconds instead of computing it; a file that fails its checksum or does not describe a table of this
benchmark's size is recomputed and replaced.

>>> import lissnas_bench as lb
>>> bench = lb.load_benchmark("analognas")
>>> graph = neighbour_graph(bench)
>>> graph is neighbour_graph(bench), len(graph.of(bench, 0))
(True, 24)
"""

from __future__ import annotations

import hashlib
import logging
import weakref

import numpy as np

from .._arrays import unique_ints

#: a benchmark with at most this many rows gets its whole neighbour table on first use
WHOLE_TABLE_ROWS = 100_000
_CHUNK = 4096
#: bump when what a row's neighbours are changes (the disk cache's files are then recomputed)
_VERSION = 1
_log = logging.getLogger(__name__)


class NeighbourRows:
    """The neighbour rows of one benchmark at one radius: whole (``indptr``/``indices``) or filled on demand."""

    def __init__(self, radius: int):
        self.radius = int(radius)  # the benchmark is passed to each call: a reference here would keep it alive
        self.rows: dict[int, np.ndarray] = {}
        self.indptr: np.ndarray | None = None
        self.indices: np.ndarray | None = None
        self._adjacency = None

    def of(self, bench, row: int) -> np.ndarray:
        """The sorted neighbour rows of ``row`` (read-only)."""
        if self.indptr is None and len(bench) <= WHOLE_TABLE_ROWS:
            self._build_whole(bench)
        if self.indptr is not None:
            return self.indices[self.indptr[row]:self.indptr[row + 1]]
        out = self.rows.get(row)
        if out is None:
            self.fill(bench, np.array([row], dtype=np.int64))
            out = self.rows[row]
        return out

    def csr(self, bench) -> tuple[np.ndarray, np.ndarray] | None:
        """``(indptr, indices)`` of the whole table, or ``None`` for a benchmark too large to hold it."""
        if self.indptr is None and len(bench) <= WHOLE_TABLE_ROWS:
            self._build_whole(bench)
        return None if self.indptr is None else (self.indptr, self.indices)

    def adjacency(self, bench):
        """The whole table as a SciPy CSR matrix (row -> neighbour rows), or ``None`` as for ``csr``."""
        if self._adjacency is None and self.csr(bench) is not None:
            from scipy.sparse import csr_matrix

            self._adjacency = csr_matrix((np.ones(len(self.indices), np.int8), self.indices, self.indptr),
                                         shape=(len(bench), len(bench)))
        return self._adjacency

    def fill(self, bench, rows: np.ndarray) -> None:
        """Compute the rows of ``rows`` not known yet, in one broadcast call (a whole table has them all)."""
        if self.indptr is not None or len(bench) <= WHOLE_TABLE_ROWS:
            self.csr(bench)
            return
        rows = np.asarray([r for r in np.asarray(rows).tolist() if r not in self.rows], dtype=np.int64)
        if not len(rows):
            return
        src, r = self._pairs(bench, rows)
        bounds = np.searchsorted(src, np.arange(len(rows) + 1))
        for i, row in enumerate(rows.tolist()):
            out = r[bounds[i]:bounds[i + 1]]
            out.flags.writeable = False
            self.rows[row] = out

    def _pairs(self, bench, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``rows``, neighbour row) pairs, distinct, sorted by position then row."""
        n = len(bench)
        parts = []
        for s in range(0, len(rows), _CHUNK):
            nb, src = bench.space.neighbours(bench.archs[rows[s:s + _CHUNK]], self.radius)
            r = bench.rows(nb, missing="mask") if len(nb) else np.empty(0, dtype=np.int64)
            ok = r >= 0
            parts.append((src[ok].astype(np.int64) + s) * n + r[ok])
        pairs = unique_ints(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
        return pairs // n, pairs % n

    def _build_whole(self, bench) -> None:
        path = _cache_path(bench, self.radius)
        got = _load_table(path, len(bench)) if path is not None else None
        if got is None:
            got = self.compute_whole(bench)
            if path is not None:
                _save_table(path, *got)
        self.indptr, self.indices = got
        self.indices.flags.writeable = False
        self.rows.clear()

    def compute_whole(self, bench) -> tuple[np.ndarray, np.ndarray]:
        """``(indptr, indices)`` of the whole table, computed (no cache)."""
        n = len(bench)
        src, r = self._pairs(bench, np.arange(n, dtype=np.int64))
        return np.searchsorted(src, np.arange(n + 1)), r


def _cache_path(bench, radius: int):
    """The disk cache file of ``bench``'s table at ``radius`` (``None``: no usable cache home)."""
    try:
        from .._io import home

        h = hashlib.sha256(f"{bench.space.name}|{radius}|{_VERSION}|{bench.archs.dtype.str}|{bench.archs.shape}|"
                           .encode())
        h.update(np.ascontiguousarray(bench.archs).tobytes())
        return home() / "neighbours" / f"{bench.space.name}-r{radius}-{h.hexdigest()[:32]}.npz"
    except Exception:  # noqa: BLE001 - the cache is an optimisation, never a failure
        return None


def _load_table(path, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """A cached table for ``n`` rows, or ``None`` (absent, or damaged: logged, then recomputed)."""
    from .._io import load_npz_checked

    try:
        z = load_npz_checked(path)
    except Exception as exc:  # noqa: BLE001 - a corrupt or edited cache is recomputed and replaced
        _log.warning("%s; recomputing the neighbour table", exc)
        return None
    if z is None:
        return None
    indptr, indices = z.get("indptr"), z.get("indices")
    if not _valid_table(indptr, indices, n):
        _log.warning("%s does not hold a neighbour table of %d rows; recomputing it", path, n)
        return None
    return indptr, indices.astype(np.int64)


def _valid_table(indptr, indices, n: int) -> bool:
    """CSR arrays of ``n`` rows, in the dtypes ``_save_table`` writes, pointing at rows ``0..n-1``."""
    if indptr is None or indices is None or indptr.dtype != np.int64 or indices.dtype != np.int32:
        return False
    if indptr.shape != (n + 1,) or indices.ndim != 1 or indptr[0] != 0 or indptr[-1] != len(indices):
        return False
    if not (np.diff(indptr) >= 0).all():
        return False
    return not len(indices) or (0 <= int(indices.min()) and int(indices.max()) < n)


def _save_table(path, indptr: np.ndarray, indices: np.ndarray) -> None:
    from .._io import save_npz_checked

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # int32 on disk: half the bytes to read and checksum (rows are far below 2**31: WHOLE_TABLE_ROWS)
        save_npz_checked(path, indptr=indptr.astype(np.int64), indices=indices.astype(np.int32))
    except OSError:  # a read-only cache home only costs recomputing it
        pass


#: (id of a benchmark, radius) -> (a weak reference to that benchmark, its rows); a benchmark is unhashable
_GRAPHS: dict[tuple[int, int], tuple[weakref.ref, NeighbourRows]] = {}


def neighbour_graph(bench, radius: int = 1) -> NeighbourRows:
    """The process's ``NeighbourRows`` of ``bench`` (this very object) at ``radius``; dropped with ``bench``."""
    key = (id(bench), int(radius))
    hit = _GRAPHS.get(key)
    if hit is not None and hit[0]() is bench:
        return hit[1]

    def forget(ref, key=key, graphs=_GRAPHS):  # bound now: module globals may be gone at interpreter exit
        if graphs.get(key, (None,))[0] is ref:
            del graphs[key]

    graph = NeighbourRows(radius)
    _GRAPHS[key] = (weakref.ref(bench, forget), graph)
    return graph
