"""Graph edit distance between cells, with labelled input/output nodes, a timeout and a cache.

Each supported space turns a canonical encoding into a small ``networkx.DiGraph`` whose nodes carry a ``label``:

* ``nasbench-graph``: nodes ``in``, the 4 op nodes (label = GNN op, ``skip`` included), ``out``; op node ``i``
  takes its input from ``link[i]`` (0 = ``in``); every op node that feeds no other op node feeds ``out``.
* ``nb101``: the pruned DAG of ``space.to_spec`` (labels ``input``, the op names, ``output``).
* ``nb201``: operations live on edges, so each edge whose op is not ``none`` becomes a node labelled with the
  op between its two cell nodes (``in``, ``n1``, ``n2``, ``out``).

Costs: inserting or deleting a node or an edge costs 1, relabelling an op node costs 1, and input/output nodes
can only be matched to each other (substituting them costs 100, i.e. never).  ``networkx.graph_edit_distance``
is exponential in the worst case; it returns the best edit path found within ``timeout`` seconds, which is then
an upper bound (counted in ``GEDCache.timeouts``).  Values are cached per process and, when asked, on disk in
``$LISSNAS_BENCH_HOME/locality/ged-<space>-v2.npz`` keyed by the pair of architecture indices; the file holds
its own SHA-256, and a file that does not match it (corrupt or edited) is ignored with a warning and recomputed.

>>> from lissnas_bench.spaces import get_space
>>> s = get_space("nasbench-graph")
>>> a = s.from_strings(["[0,1,2,3]:skip-skip-fc-gcn", "[0,1,2,3]:skip-skip-fc-gat"])
>>> GEDCache(s).distances(a[:1], a[1:]).tolist()
[1.0]
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..errors import InvalidConfig

log = logging.getLogger(__name__)

GED_SPACES = ("nasbench-graph", "nb101", "nb201")
_IO = {"in", "out", "input", "output"}
_VERSION = 2  # 2: the file carries its checksum


def _graph_nasbench_graph(space, arch):
    import networkx as nx

    g = nx.DiGraph()
    g.add_node("in", label="in")
    g.add_node("out", label="out")
    link = space.LINKS[int(arch[0])]
    for i in range(4):
        g.add_node(i + 1, label=space.OPS[int(arch[i + 1])])
    for i in range(4):
        g.add_edge("in" if link[i] == 0 else link[i], i + 1)
    used = set(link)
    for i in range(1, 5):
        if i not in used:
            g.add_edge(i, "out")
    return g


def _graph_nb101(space, arch):
    import networkx as nx

    matrix, ops = space.to_spec(arch)
    g = nx.DiGraph()
    for v, op in enumerate(ops):
        g.add_node(v, label=op)
    for i, row in enumerate(matrix):
        for j, e in enumerate(row):
            if e:
                g.add_edge(i, j)
    return g


def _graph_nb201(space, arch):
    import networkx as nx

    from ..spaces.nb201 import EDGES, OPS

    names = ("in", "n1", "n2", "out")
    g = nx.DiGraph()
    for v in names:
        g.add_node(v, label=v if v in ("in", "out") else "node")
    for p, (u, v) in enumerate(EDGES):
        op = OPS[int(arch[p])]
        if op == "none":
            continue
        e = f"e{u}{v}"
        g.add_node(e, label=op)
        g.add_edge(names[u], e)
        g.add_edge(e, names[v])
    return g


_BUILDERS = {"nasbench-graph": _graph_nasbench_graph, "nb101": _graph_nb101, "nb201": _graph_nb201}


def to_graph(space, arch):
    """The labelled DiGraph of one canonical architecture of ``space``."""
    base = getattr(space, "base", space)  # SubsetSpace -> its base space
    builder = _BUILDERS.get(base.name)
    if builder is None:
        raise InvalidConfig(
            f"--distance ged is defined for graph spaces ({', '.join(GED_SPACES)}), not for {base.name!r}; "
            "use --distance hamming"
        )
    return builder(base, np.asarray(arch))


def _subst(a, b):
    la, lb = a["label"], b["label"]
    if la == lb:
        return 0.0
    if la in _IO or lb in _IO:
        return 100.0
    return 1.0


def _one(x) -> float:
    return 1.0


def ged(g1, g2, timeout: float) -> tuple[float, bool]:
    """(distance, finished within the timeout)."""
    import networkx as nx

    roots = ("in", "in") if "in" in g1 and "in" in g2 else ((0, 0) if 0 in g1 and 0 in g2 else None)
    t0 = time.perf_counter()
    d = nx.graph_edit_distance(
        g1,
        g2,
        node_subst_cost=_subst,
        node_del_cost=_one,
        node_ins_cost=_one,
        edge_del_cost=_one,
        edge_ins_cost=_one,
        roots=roots,
        timeout=timeout,
    )
    finished = (time.perf_counter() - t0) < 0.95 * timeout
    if d is None:  # nothing found in time: the trivial bound (delete everything, insert everything)
        d = g1.number_of_nodes() + g1.number_of_edges() + g2.number_of_nodes() + g2.number_of_edges()
        finished = False
    return float(d), finished


def max_ged(space) -> int:
    """An upper bound on the GED between two architectures of ``space`` (for checking ``--max-distance``)."""
    base = getattr(space, "base", space)
    # relabel every op node + delete and re-insert every edge
    bounds = {"nasbench-graph": 4 + 2 * 8, "nb101": 5 + 2 * 9, "nb201": 2 * 6 + 2 * 12}
    return bounds.get(base.name, 0)


class GEDCache:
    """Graph edit distances between architectures of one space, memoised by architecture index."""

    def __init__(self, space, timeout: float = 1.0, persist: bool = False):
        self.space = space
        self.base = getattr(space, "base", space)
        if self.base.name not in _BUILDERS:
            to_graph(self.base, None)  # raises the InvalidConfig naming the supported spaces
        self.timeout = float(timeout)
        self.persist = persist
        self._d: dict[tuple[int, int], tuple[float, bool]] = {}
        self._graphs: dict[int, object] = {}
        self.computed = 0
        self.hits = 0
        self.timeouts = 0
        self.seconds = 0.0
        if persist:
            self._load()

    # ------------------------------------------------------------------ disk
    def _path(self) -> Path:
        from .._io import home

        return home() / "locality" / f"ged-{self.base.name}-v{_VERSION}.npz"

    def _load(self) -> None:
        from .._io import load_npz_checked

        p = self._path()
        try:
            z = load_npz_checked(p)
            if z is None:
                return
            if str(z.get("space", "")) != self.base.name:
                raise ValueError(f"it holds distances of space {str(z.get('space'))!r}")
            a, b, d, ok = z["a"], z["b"], z["d"], z["finished"].astype(bool)
            if not (a.shape == b.shape == d.shape == ok.shape) or a.ndim != 1:
                raise ValueError("its arrays have different lengths")
            if float(z["timeout"]) < self.timeout:  # keep only values at least as good as ours
                a, b, d, ok = a[ok], b[ok], d[ok], ok[ok]
            self._d.update({(int(x), int(y)): (float(v), bool(f)) for x, y, v, f in zip(a, b, d, ok)})
        except (OSError, ValueError, KeyError, TypeError) as exc:  # a broken cache is recomputed, never fatal
            log.warning("ignoring the GED cache %s (distances are recomputed): %s", p, exc)

    def save(self) -> None:
        if not self.persist or not self.computed:
            return
        from .._io import save_npz_checked

        keys = np.array(list(self._d), np.int64).reshape(-1, 2)
        vals = list(self._d.values())
        try:  # checksummed, so an edited distance table is detected and recomputed rather than trusted
            save_npz_checked(
                self._path(),
                a=keys[:, 0],
                b=keys[:, 1],
                d=np.array([v for v, _ in vals], np.float64),
                finished=np.array([f for _, f in vals], bool),
                timeout=np.float64(self.timeout),
                space=np.array(self.base.name),
            )
        except OSError as exc:
            log.warning("could not write the GED cache: %s", exc)

    # ------------------------------------------------------------------ distances
    def _graph(self, key: int, arch):
        g = self._graphs.get(key)
        if g is None:
            g = self._graphs[key] = to_graph(self.base, arch)
        return g

    def distances(self, a, b) -> np.ndarray:
        """GED of each row pair ``(a[k], b[k])`` (canonical encodings)."""
        a, b = np.asarray(a), np.asarray(b)
        ka, kb = self.base.index(a), self.base.index(b)
        out = np.empty(len(a))
        for t, (x, y) in enumerate(zip(ka.tolist(), kb.tolist())):
            if x == y:
                out[t] = 0.0
                continue
            key = (x, y) if x < y else (y, x)
            hit = self._d.get(key)
            if hit is None:
                t0 = time.perf_counter()
                hit = ged(self._graph(x, a[t]), self._graph(y, b[t]), self.timeout)
                self.seconds += time.perf_counter() - t0
                self._d[key] = hit
                self.computed += 1
                self.timeouts += not hit[1]
            else:
                self.hits += 1
            out[t] = hit[0]
        return out

    def stats(self) -> dict:
        return {
            "computed": self.computed,
            "cache_hits": self.hits,
            "timeouts": self.timeouts,
            "timeout_s": self.timeout,
            "seconds": round(self.seconds, 3),
        }
