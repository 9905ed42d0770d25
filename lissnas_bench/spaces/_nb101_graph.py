"""NAS-Bench-101 cell graphs as arrays: the encoding's constants, pruning, validity, canonical keys and the
module hash.  ``nb101.py`` builds the space on these; see its docstring for the encoding.

>>> A = adjacency(np.zeros((1, POSITIONS), dtype=np.int64)); A[0, 0, V - 1] = True
>>> _valid_graphs(A).tolist()
[True]
"""

from __future__ import annotations

import hashlib
import itertools

import numpy as np

OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
V = 7  # vertices
MAX_EDGES = 9
EDGES = tuple((i, j) for i in range(V) for j in range(i + 1, V))
N_EDGE = len(EDGES)  # 21
N_OP = V - 2  # 5
POSITIONS = N_EDGE + N_OP  # 26

_EI = np.array([e[0] for e in EDGES])
_EJ = np.array([e[1] for e in EDGES])
_N_CHOICES = np.array([2] * N_EDGE + [len(OPS)] * N_OP, dtype=np.int64)
_RADIX = np.concatenate([np.cumprod(_N_CHOICES[::-1])[::-1][1:], [1]]).astype(np.int64)
_KEY_SPACE = int(np.prod(_N_CHOICES))  # 2**21 * 3**5 = 509,607,936 < 2**29
_KEY_BITS = 29

# Adjacency entries an edit can ever set: the 21 above the diagonal plus the 10 backward edges between interior
# vertices (nothing enters the input or leaves the output).
_BACK_I, _BACK_J = np.array([(i, j) for i in range(1, V - 1) for j in range(i + 1, V - 1)]).T
_ENT_I = np.concatenate([_EI, _BACK_J])
_ENT_J = np.concatenate([_EJ, _BACK_I])
# Weight of an entry that a relabelling would put on or below the diagonal: larger than any key times the edge
# count, so the minimum over relabellings never picks one that is not upper-triangular.
_BAD_WEIGHT = float(2**40)


def _perm_tables():
    """Weights turning adjacency entries + ops into the key of each interior relabelling.

    Relabelling ``p`` sends vertex ``v`` to ``sigma[p, v]``.  For a DAG with entries ``bits`` (the 31 of
    ``_ENT_I, _ENT_J``) the relabelled encoding has key ``bits @ W_adj[:, p] + ops @ W_op[:, p]``, or at least
    ``_BAD_WEIGHT`` when the relabelled matrix is not upper-triangular.
    """
    sigma = np.array([(0, *p, V - 1) for p in itertools.permutations(range(1, V - 1))])
    pos = {e: k for k, e in enumerate(EDGES)}
    w_adj = np.zeros((len(_ENT_I), len(sigma)))
    w_op = np.zeros((N_OP, len(sigma)))
    for p, s in enumerate(sigma):
        for k, (i, j) in enumerate(zip(_ENT_I, _ENT_J)):
            a, b = s[i], s[j]
            w_adj[k, p] = _RADIX[pos[(a, b)]] if a < b else _BAD_WEIGHT
        for v in range(1, V - 1):
            w_op[v - 1, p] = _RADIX[N_EDGE + s[v] - 1]
    return w_adj, w_op


# float64 matmuls (BLAS) are exact here: every sum stays below 2**53.
_W_ADJ, _W_OP = _perm_tables()
_BIT = (1 << np.arange(V)).astype(np.uint8)


def adjacency(archs: np.ndarray) -> np.ndarray:
    """(n, 7, 7) bool adjacency matrices of (n, 26) encodings."""
    a = np.asarray(archs)
    A = np.zeros((len(a), V, V), dtype=bool)
    A[:, _EI, _EJ] = a[:, :N_EDGE] == 1
    return A


def _prune(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices on an input→output path ``keep`` (n, 7) and whether input reaches output (n,).

    ``A`` may be any DAG on the 7 vertices (not only upper-triangular), so reachability is iterated; vertex sets
    are 7-bit masks so each step is a handful of vectorised integer operations.
    """
    n = len(A)
    succ = np.packbits(A, axis=2, bitorder="little")[:, :, 0]  # bit j of succ[:, v]: edge v -> j
    pred = np.packbits(A, axis=1, bitorder="little")[:, 0, :]  # bit i of pred[:, v]: edge i -> v

    def closure(start: int, nbr: np.ndarray) -> np.ndarray:
        seen = np.full(n, start, dtype=np.uint8)
        for _ in range(V - 1):
            new = seen.copy()
            for v in range(V):
                new |= np.where(seen & _BIT[v], nbr[:, v], 0).astype(np.uint8)
            if (new == seen).all():
                break
            seen = new
        return seen

    fwd = closure(1, succ)
    bwd = closure(1 << (V - 1), pred)
    keep = ((fwd & bwd)[:, None] & _BIT[None, :]) > 0
    return keep, (fwd & _BIT[V - 1]) > 0


def _reach(A: np.ndarray) -> np.ndarray:
    """Transitive closure (paths of length >= 1) of DAG adjacencies (n, 7, 7)."""
    R = A.copy()
    for _ in range(3):  # path lengths double each round: 1, 2, 4, 8 >= 6
        R |= (R.astype(np.uint8) @ R.astype(np.uint8)) > 0
    return R


def _valid_graphs(A: np.ndarray) -> np.ndarray:
    """NAS-Bench-101 validity of DAG adjacencies: input reaches output, at most 9 edges after pruning."""
    keep, connected = _prune(A)
    n_edges = (A & keep[:, :, None] & keep[:, None, :]).sum(axis=(1, 2))
    return connected & (n_edges <= MAX_EDGES)


def _graph_keys(A: np.ndarray, ops: np.ndarray) -> np.ndarray:
    """Canonical key of valid DAGs ``A`` (n, 7, 7) with interior ops (n, 5): min over relabellings."""
    out = np.empty(len(A), dtype=np.int64)
    for s in range(0, len(A), 32768):  # bounds the (rows, 120) temporaries to ~30 MB
        blk = A[s : s + 32768]
        keep, _ = _prune(blk)
        blk = blk & keep[:, :, None] & keep[:, None, :]
        bits = blk[:, _ENT_I, _ENT_J].astype(np.float64)
        o = np.where(keep[:, 1 : V - 1], ops[s : s + 32768], 0).astype(np.float64)
        out[s : s + 32768] = (bits @ _W_ADJ + o @ _W_OP).min(axis=1).astype(np.int64)
    return out


def _hash_module(matrix: np.ndarray, labels: list[int]) -> str:
    """NAS-Bench-101's isomorphism-invariant module hash (published algorithm, graph_util.hash_module).

    Each vertex starts from MD5 of ``str((out_degree, in_degree, label))``; then, ``n_vertices`` times, every
    vertex becomes MD5 of its sorted in-neighbour hashes, '|', sorted out-neighbour hashes, '|', its own hash.
    The module hash is MD5 of ``str(sorted(vertex_hashes))``.
    """
    m = np.asarray(matrix).astype(bool)
    n = m.shape[0]
    ins = [int(x) for x in m.sum(axis=0)]
    outs = [int(x) for x in m.sum(axis=1)]
    h = [hashlib.md5(str((outs[v], ins[v], labels[v])).encode("utf-8")).hexdigest() for v in range(n)]
    preds = [np.flatnonzero(m[:, v]).tolist() for v in range(n)]
    succs = [np.flatnonzero(m[v, :]).tolist() for v in range(n)]
    for _ in range(n):
        h = [
            hashlib.md5(
                (
                    "".join(sorted(h[w] for w in preds[v]))
                    + "|"
                    + "".join(sorted(h[w] for w in succs[v]))
                    + "|"
                    + h[v]
                ).encode("utf-8")
            ).hexdigest()
            for v in range(n)
        ]
    return hashlib.md5(str(sorted(h)).encode("utf-8")).hexdigest()


def _spec_keep(m: np.ndarray) -> np.ndarray:
    """``ModelSpec._prune`` on any k x k DAG: the vertices on an input -> output path (bool, k)."""
    k = m.shape[0]
    fwd, bwd = np.zeros(k, bool), np.zeros(k, bool)
    fwd[0], bwd[k - 1] = True, True
    for v in range(k):  # upper-triangular: one pass in vertex order reaches everything
        if fwd[v]:
            fwd[v + 1 :] |= m[v, v + 1 :] > 0
    for v in range(k - 1, -1, -1):
        if bwd[v]:
            bwd[:v] |= m[:v, v] > 0
    return fwd & bwd
