"""The nasbench-graph tables behind ``graph.py``: the package's canonicalisation of all 59,049 raw encodings
(computed once with ``nas_bench_graph``, kept on disk as a checksummed ``.npz``) and the neighbour graph between
canonical members.  See ``graph.py`` for the encoding.

>>> int(_raw_archs()[_K + 2].tolist()[-1]), _raw_archs().shape
(2, (59049, 5))
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import InvalidConfig
from ._base import ARCH_DTYPE

# Copied from nas_bench_graph.architecture (checked against the package when the tables are built) so that
# names and strings work without building the tables.
LINKS = (
    (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 1, 2), (0, 0, 1, 3),
    (0, 1, 1, 1), (0, 1, 1, 2), (0, 1, 2, 2), (0, 1, 2, 3),
)  # fmt: skip
OPS = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
_SKIP = OPS.index("skip")
_K = 9  # choices per position
_RAW = _K**5
_RADIX = _K ** np.arange(4, -1, -1, dtype=np.int64)  # raw code: mixed radix 9, link most significant
_HASH_RADIX = 10 ** np.arange(4, -1, -1, dtype=np.int64)  # package key: base len(gnn_list) + 1 = 10
_TABLE_VERSION = 2  # 2: a checksummed .npz


@dataclass(frozen=True)
class _Tables:
    canon: np.ndarray  # (59049,) int32: raw code -> raw code of its canonical member, -1 if invalid
    members: np.ndarray  # (26206,) int32 sorted raw codes of the canonical members
    rank: np.ndarray  # (59049,) int32: raw code -> index of its canonical member, -1 if invalid
    member_archs: np.ndarray  # (26206, 5) int8


def _raw_archs() -> np.ndarray:
    return ((np.arange(_RAW, dtype=np.int64)[:, None] // _RADIX) % _K).astype(ARCH_DTYPE)


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("nas-bench-graph")
    except Exception:  # noqa: BLE001 - no metadata only disables the disk cache key's precision
        return "unknown"


def _cache_file():
    """Disk cache of the canonicalisation table, under the project's cache home (checksummed ``.npz``)."""
    try:
        from .._io import home

        return os.path.join(
            os.fspath(home() / "spaces"), f"nasbench-graph-canon-{_package_version()}-v{_TABLE_VERSION}.npz"
        )
    except Exception:  # noqa: BLE001 - the cache is an optimisation, never a failure
        return None


def _compute_canon() -> np.ndarray:
    from nas_bench_graph.architecture import Arch, gnn_list, link_list

    if tuple(map(tuple, link_list)) != LINKS or tuple(gnn_list) != OPS:
        raise InvalidConfig("installed nas_bench_graph has a different link_list / gnn_list than expected")
    raw = _raw_archs().tolist()
    hashes = np.empty(_RAW, dtype=np.int64)
    for code, (lk, *ops) in enumerate(raw):
        hashes[code] = Arch(list(LINKS[lk]), [OPS[o] for o in ops]).valid_hash()
    digits = (hashes[:, None] // _HASH_RADIX) % 10
    target = np.where((digits < _K).all(axis=1), digits @ _RADIX, -1)
    codes = np.arange(_RAW)
    all_skip = (np.asarray(raw)[:, 1:] == _SKIP).all(axis=1)
    # members are the package's fixed points; a hash outside them (none in 1.4.0) would be invalid
    is_member = (target == codes) & ~all_skip
    target[~is_member[target.clip(0)] | (target < 0) | all_skip] = -1
    return target.astype(np.int32)


def _valid_canon(canon) -> bool:
    """A table of the right shape whose targets are members (fixed points) of the right count."""
    if canon.shape != (_RAW,) or canon.dtype != np.int32 or not ((canon >= -1) & (canon < _RAW)).all():
        return False
    valid = canon >= 0
    return bool(np.array_equal(canon[canon[valid]], canon[valid]))


def _load_or_compute_canon() -> np.ndarray:
    import logging

    from .._io import load_npz_checked, save_npz_checked

    # the logger of the space module that used to hold this code, so log filters keep working
    log = logging.getLogger("lissnas_bench.spaces.graph")
    path = _cache_file()
    if path:
        try:
            z = load_npz_checked(path)
            if z is not None and "canon" in z and _valid_canon(z["canon"]):
                return z["canon"]
            if z is not None:
                log.warning("%s does not hold a valid canonicalisation table; recomputing it", path)
        except Exception as exc:  # noqa: BLE001 - a corrupt or edited cache is recomputed and replaced
            log.warning("%s; recomputing the nasbench-graph table", exc)
    canon = _compute_canon()
    if path:
        try:
            save_npz_checked(path, canon=canon)
        except OSError:  # a read-only cache home only costs the half second of recomputing
            pass
    return canon


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    canon = _load_or_compute_canon()
    members = np.flatnonzero(canon == np.arange(_RAW)).astype(np.int32)
    rank_of_member = np.full(_RAW, -1, dtype=np.int32)
    rank_of_member[members] = np.arange(len(members), dtype=np.int32)
    rank = np.where(canon >= 0, rank_of_member[canon.clip(0)], -1).astype(np.int32)
    return _Tables(canon, members, rank, _raw_archs()[members])


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    # np.unique's hash path is several times slower than a sort on these int64 keys
    x = np.sort(x)
    return x[np.concatenate([[True], x[1:] != x[:-1]])] if len(x) else x


@lru_cache(maxsize=1)
def _adjacency() -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, neighbour ranks) of the quotient graph, rows and entries sorted by index."""
    t = _tables()
    raw = _raw_archs().astype(np.int64)
    codes = np.arange(_RAW, dtype=np.int64)
    src, dst = [], []
    for pos in range(5):  # 5 * 8 raw shift patterns, each vectorised over all raw codes
        for shift in range(1, _K):
            moved = codes + (((raw[:, pos] + shift) % _K) - raw[:, pos]) * _RADIX[pos]
            src.append(t.rank)
            dst.append(t.rank[moved])
    s, d = np.concatenate(src).astype(np.int64), np.concatenate(dst).astype(np.int64)
    ok = (s >= 0) & (d >= 0) & (s != d)
    m = len(t.members)
    keys = _sorted_unique(s[ok] * m + d[ok])
    indptr = np.concatenate([[0], np.cumsum(np.bincount(keys // m, minlength=m))]).astype(np.int64)
    return indptr, (keys % m).astype(np.int32)


@lru_cache(maxsize=1)
def _adjacency_matrix():
    """The neighbour graph as an int16 scipy CSR matrix (rows and columns = index)."""
    from scipy import sparse

    indptr, nbr = _adjacency()
    m = len(indptr) - 1
    return sparse.csr_matrix((np.ones(len(nbr), np.int16), nbr, indptr), shape=(m, m))



def _gather(indptr: np.ndarray, nbr: np.ndarray, rows: np.ndarray, nodes: np.ndarray):
    """(row, neighbour) pairs for every CSR neighbour of ``nodes``, in input order."""
    deg = indptr[nodes + 1] - indptr[nodes]
    rep = np.repeat(np.arange(len(nodes)), deg)
    offs = np.arange(len(rep)) - np.repeat(np.cumsum(deg) - deg, deg)  # position inside each CSR row
    return rows[rep].astype(np.int64), nbr[indptr[nodes][rep] + offs].astype(np.int64)

