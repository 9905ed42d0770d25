"""NAS-Bench-Graph: a 4-op GNN cell = one of 9 link patterns plus one of 9 GNN ops per node (26,206 archs).

Encoding: 5 ints ``[link, op1, op2, op3, op4]``; ``link`` indexes ``nas_bench_graph.link_list`` (node ``i`` takes
its input from node ``link[i]``, 0 = the cell input, ``k`` = the output of op ``k``) and the ops index
``nas_bench_graph.gnn_list`` (gat, gcn, gin, cheb, sage, arma, graph, fc, skip).  Of the 9**5 = 59,049 raw
encodings many are isomorphic; the *canonical* member of each class is the one the package itself picks
(``Arch(link, ops).valid_hash()``), and the all-skip cells are invalid.  The package's canonicalisation runs
once per process for all raw encodings (about half a second); afterwards everything is an array lookup.

* ``index``: rank among the canonical members sorted by encoding (0..26205).  Any valid, even non-canonical,
  encoding gets the index of its canonical member.
* ``hash``: the package's benchmark key (``Arch.hash_arch``: base 10, link index first), ``from_hash`` inverts it.
* ``neighbours``: two architectures are neighbours when *some* encodings of them differ in the link pattern or
  in one op -- the raw Hamming graph divided by isomorphism.  Changing only the canonical encoding of the
  source would not give a symmetric relation (y reachable from x, but not x from y) because canonicalisation
  moves skips and re-orders ops.  ``radius=r`` is the ball of radius r in that graph minus the source (BFS).
* ``distance``: Hamming distance of the canonical encodings.  It is >= 1 between distinct architectures but can
  be larger than their distance in the neighbour graph (a neighbour may differ in up to 5 positions).

String formats: ``"graph"`` ``[0,0,1,2]:gcn-gat-skip-sage`` (the link may be any of the 24 raw link lists
with ``link[i] <= i``; non-standard ones are mapped by the package's ``Arch.regularize``) and ``"hash"``, the
package's integer key as text.

>>> from lissnas_bench.spaces import get_space
>>> s = get_space("nasbench-graph")
>>> a = s.from_strings("[0,0,0,0]:gin-gcn-gat-gcn")   # ops of parallel nodes are sorted
>>> s.to_strings(a), s.to_strings(a, "hash"), int(s.hash(a)[0]), s.size
(['[0,0,0,0]:gat-gcn-gcn-gin'], ['112'], 112, 26206)
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArchitecture, InvalidConfig
from ._base import ARCH_DTYPE, Space, as_rng
from ._graph_tables import (
    _HASH_RADIX,
    _K,
    _RADIX,
    LINKS,
    OPS,
    _adjacency,
    _adjacency_matrix,
    _cache_file,  # noqa: F401 - the disk cache's helpers are still reached as graph._cache_file
    _gather,
    _load_or_compute_canon,  # noqa: F401
    _tables,
)

PROTEIN_OPS = ("gcn", "sage", "arma", "fc", "skip")


def _bad_hash(v) -> str:
    return (
        f"nasbench-graph: {v} is not a NAS-Bench-Graph hash: expected at most 5 decimal digits "
        f"(link index, then 4 op indices), each 0..{_K - 1}"
    )


class GraphSpace(Space):
    """NAS-Bench-Graph's space of 26,206 canonical GNN cells.

    >>> s = GraphSpace()
    >>> a = s.from_hash([88871])   # link [0,1,2,3]: skip, skip, fc, gcn
    >>> s.to_strings(a), s.contains(a).tolist(), s.protein_mask(a).tolist()
    (['[0,1,2,3]:skip-skip-fc-gcn'], [True], [True])
    """

    name = "nasbench-graph"
    n_choices = np.full(5, _K, dtype=np.int64)
    position_names = ("link", "op1", "op2", "op3", "op4")
    choice_names = (tuple("[" + ",".join(map(str, lk)) + "]" for lk in LINKS),) + (OPS,) * 4
    string_formats = ("graph", "hash")

    LINKS = LINKS
    OPS = OPS
    #: the 5 ops of the proteins benchmark (its keys still use the 9-op ``hash``)
    PROTEIN_OPS = PROTEIN_OPS
    PROTEIN_OP_IDS = np.array([OPS.index(o) for o in PROTEIN_OPS], dtype=ARCH_DTYPE)

    # ---------------------------------------------------------------- tables
    @property
    def size(self) -> int:  # type: ignore[override]
        return int(len(_tables().members))

    def _codes(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw codes of in-range rows (0 elsewhere) and the in-range mask."""
        ok = self.in_range(a)
        return np.where(ok, a.astype(np.int64) @ _RADIX, 0), ok

    def is_valid(self, archs) -> np.ndarray:
        codes, ok = self._codes(self.as_archs(archs))
        return ok & (_tables().canon[codes] >= 0)

    def contains(self, archs) -> np.ndarray:
        codes, ok = self._codes(self.as_archs(archs))
        return ok & (_tables().canon[codes] == codes)

    def _ranks(self, archs) -> np.ndarray:
        """Index of every row's canonical member; ``InvalidArchitecture`` for the first invalid row."""
        a = self.as_archs(archs)
        codes, ok = self._codes(a)
        r = _tables().rank[codes]
        bad = ~ok | (r < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            why = "all four ops are skip" if ok[i] else f"choices per position are 0..{_K - 1}"
            raise InvalidArchitecture(f"{self.name}: row {i} ({a[i].tolist()}) is not a valid architecture: {why}")
        return r.astype(np.int64)

    def canonicalize(self, archs) -> np.ndarray:
        return _tables().member_archs[self._ranks(archs)]

    def validate(self, archs) -> np.ndarray:
        return self.canonicalize(archs)

    def index(self, archs) -> np.ndarray:
        return self._ranks(archs)

    def from_index(self, idx) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= self.size):
            raise InvalidArchitecture(f"{self.name}: index out of range [0, {self.size})")
        return _tables().member_archs[idx]

    def enumerate(self) -> np.ndarray:
        return _tables().member_archs.copy()

    def hash(self, archs) -> np.ndarray:
        """The package's benchmark key (``Arch(link, ops).valid_hash()``) of each row, int64.

        >>> GraphSpace().hash([[8, 8, 8, 7, 1]]).tolist()
        [88871]
        """
        return self.canonicalize(archs).astype(np.int64) @ _HASH_RADIX

    def from_hash(self, hashes) -> np.ndarray:
        """Canonical encodings of package keys (keys of non-canonical encodings are canonicalised)."""
        h = np.asarray(hashes).reshape(-1)
        if h.size and not np.issubdtype(h.dtype, np.integer):
            raise InvalidArchitecture(f"{self.name}: hashes must be integers, got dtype {h.dtype}")
        h = h.astype(np.int64)
        digits = (h[:, None] // _HASH_RADIX) % 10
        bad = (h < 0) | (h >= 10**5) | (digits >= _K).any(axis=1)
        if bad.any():
            raise InvalidArchitecture(_bad_hash(h[np.flatnonzero(bad)[0]]))
        return self.canonicalize(digits)

    def protein_mask(self, archs) -> np.ndarray:
        """Rows whose four ops are all in ``PROTEIN_OPS`` (the proteins benchmark has exactly those).

        >>> GraphSpace().protein_mask([[0, 1, 4, 5, 7], [0, 0, 1, 1, 1]]).tolist()
        [True, False]
        """
        a = self.as_archs(archs)
        return np.isin(a[:, 1:], self.PROTEIN_OP_IDS).all(axis=1)

    # ---------------------------------------------------------------- sampling and locality
    def sample(self, n: int, rng, replace: bool = True) -> np.ndarray:
        rng = as_rng(rng)
        n = int(n)
        if n < 0:
            raise InvalidConfig(f"n must be >= 0, got {n}")
        if not replace and n > self.size:
            raise InvalidConfig(f"cannot draw {n} distinct architectures from a space of {self.size}")
        return _tables().member_archs[rng.choice(self.size, size=n, replace=replace)]

    def neighbours(self, archs, radius: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Architectures within ``radius`` steps of each row in the neighbour graph, the row itself excluded.

        Returns ``(nbrs, src)`` sorted by source row, then by index.

        >>> nb, src = GraphSpace().neighbours([[8, 8, 8, 7, 1]])
        >>> len(nb) == len(set(map(tuple, nb.tolist()))), bool((src == 0).all())
        (True, True)
        """
        radius = int(radius)
        if radius < 1:
            raise InvalidConfig(f"radius must be >= 1, got {radius}")
        start = self._ranks(archs)
        indptr, nbr = _adjacency()
        if radius == 1:  # CSR rows are already de-duplicated, sorted and free of self-loops
            rows, nodes = _gather(indptr, nbr, np.arange(len(start)), start)
            return _tables().member_archs[nodes], rows
        m = self.size
        adj = _adjacency_matrix()
        # BFS over a dense (members, sources) frontier: one sparse-dense product per step is far cheaper than
        # gathering and de-duplicating the frontier's neighbour lists once the ball gets large
        chunk = max(1, 2**24 // m)
        out_src, out_node = [], []
        for c0 in range(0, len(start), chunk):
            st = start[c0 : c0 + chunk]
            cols = np.arange(len(st))
            seen = np.zeros((m, len(st)), dtype=bool)
            seen[st, cols] = True
            front = np.zeros_like(seen)
            rows, nodes = _gather(indptr, nbr, cols, st)  # step 1 straight from the CSR rows
            front[nodes, rows] = True
            seen |= front
            for _ in range(radius - 1):
                # counts are at most the maximum degree (156), so int16 cannot overflow
                front = (adj @ front.view(np.int8)) > 0
                front &= ~seen
                if not front.any():
                    break
                seen |= front
            seen[st, cols] = False
            r, n = np.nonzero(seen.T)  # row-major over (source, member): sorted by source, then index
            out_src.append(r + c0)
            out_node.append(n)
        if not out_src:
            return np.empty((0, self.positions), ARCH_DTYPE), np.empty(0, np.int64)
        return _tables().member_archs[np.concatenate(out_node)], np.concatenate(out_src).astype(np.int64)

    def distance(self, a, b) -> np.ndarray:
        """Hamming distance of canonical encodings (see the module docstring)."""
        one = np.asarray(a).ndim == 1
        d = super().distance(self.canonicalize(a), self.canonicalize(b))
        return d[0] if one else d

    # ---------------------------------------------------------------- strings
    def _parse(self, s: str) -> tuple[int, ...]:
        if s.isascii() and s.isdigit():
            if len(s.lstrip("0")) > 5 or "9" in s:
                raise InvalidArchitecture(_bad_hash(s))
            return tuple(int(c) for c in s.rjust(5, "0")[-5:])
        link_txt, sep, ops_txt = s.partition(":")
        if not sep:
            raise InvalidArchitecture(
                f"{self.name}: cannot parse {s!r}; accepted formats: graph '[0,0,1,2]:gcn-gat-skip-sage' "
                f"(ops: {', '.join(OPS)}) or hash (the package's integer key, e.g. '88871')"
            )
        try:
            link = [int(v) for v in link_txt.strip().strip("[]()").split(",")]
        except ValueError:
            link = []
        if len(link) != 4 or any(not 0 <= v <= i for i, v in enumerate(link)):
            raise InvalidArchitecture(
                f"{self.name}: bad link {link_txt.strip()!r} in {s!r}: expected 4 ints where entry i is in "
                f"0..i (0 = cell input, k = output of op k), e.g. [0,0,1,2]"
            )
        ops = [o.strip() for o in ops_txt.split("-")]
        if len(ops) != 4:
            raise InvalidArchitecture(f"{self.name}: {s!r} has {len(ops)} ops, expected 4 separated by '-'")
        for o in ops:
            if o not in OPS:
                raise InvalidArchitecture(f"{self.name}: unknown op {o!r} in {s!r}; accepted ops: {', '.join(OPS)}")
        if tuple(link) not in LINKS:
            from nas_bench_graph.architecture import Arch

            # the package's own relabelling of the 15 non-standard link lists onto link_list
            reg = Arch(link, ops).regularize()
            link, ops = reg.link, reg.ops
        return (LINKS.index(tuple(link)), *(OPS.index(o) for o in ops))

    def _format(self, arch: np.ndarray, fmt: str) -> str:
        if fmt == "hash":
            return str(int(arch.astype(np.int64) @ _HASH_RADIX))
        return self.choice_names[0][int(arch[0])] + ":" + "-".join(OPS[int(o)] for o in arch[1:])
