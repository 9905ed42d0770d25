"""Products of allowed choices in the DARTS space (operation pruning on NAS-Bench-301), without enumerating it.

A ``Product`` keeps the canonical genotypes whose every position uses an allowed choice.  In ``darts`` the two
input slots of a node are tied (distinct, sorted), so the members are not a plain product of the positions; but
the 16 nodes (8 per cell) are independent, and a node's members are its sorted allowed input pairs times its
allowed ops.  Size, uniform sampling, the choice mask and enumeration therefore work node by node.

>>> import numpy as np
>>> from lissnas_bench.spaces import get_space
>>> s = get_space("darts")
>>> full = np.arange(7)[None, :] < s.n_choices[:, None]
>>> product_size(full) == s.size
True
"""

from __future__ import annotations

import numpy as np

from ._base import ARCH_DTYPE, as_rng

N_OPS = 7
_NODES = [(c, k) for c in range(2) for k in range(4)]


def _node(allowed: np.ndarray, c: int, k: int):
    """(sorted allowed input pairs (m, 2), allowed ops of slot 0, allowed ops of slot 1) of one node."""
    base = 16 * c + 4 * k
    ins0, ins1 = np.flatnonzero(allowed[base, : k + 2]), np.flatnonzero(allowed[base + 2, : k + 2])
    pairs = np.array([(i, j) for i in ins0 for j in ins1 if i < j], dtype=np.int64).reshape(-1, 2)
    return pairs, np.flatnonzero(allowed[base + 1, :N_OPS]), np.flatnonzero(allowed[base + 3, :N_OPS])


def product_size(allowed) -> int:
    """Number of canonical genotypes using only allowed choices."""
    size = 1
    for c, k in _NODES:
        pairs, o0, o1 = _node(np.asarray(allowed, bool), c, k)
        size *= len(pairs) * len(o0) * len(o1)
    return int(size)


def product_choice_mask(allowed) -> np.ndarray:
    """Which (position, choice) pairs some member uses (all False for an empty product)."""
    allowed = np.asarray(allowed, bool)
    out = np.zeros_like(allowed)
    if product_size(allowed) == 0:
        return out
    for c, k in _NODES:
        base = 16 * c + 4 * k
        pairs, o0, o1 = _node(allowed, c, k)
        out[base, pairs[:, 0]] = True
        out[base + 2, pairs[:, 1]] = True
        out[base + 1, o0] = True
        out[base + 3, o1] = True
    return out


def product_sample(allowed, n: int, rng) -> np.ndarray:
    """``n`` members drawn uniformly with replacement (each node independently)."""
    allowed, rng = np.asarray(allowed, bool), as_rng(rng)
    out = np.empty((int(n), 32), dtype=ARCH_DTYPE)
    for c, k in _NODES:
        base = 16 * c + 4 * k
        pairs, o0, o1 = _node(allowed, c, k)
        p = pairs[rng.integers(0, len(pairs), size=n)]
        out[:, base], out[:, base + 2] = p[:, 0], p[:, 1]
        out[:, base + 1] = o0[rng.integers(0, len(o0), size=n)]
        out[:, base + 3] = o1[rng.integers(0, len(o1), size=n)]
    return out


def product_keys(allowed) -> np.ndarray:
    """Sorted ``space.index`` of every member (call only when the product is small)."""
    from .darts import _NODE_RADIX, _PAIR_RANK, CELL_SIZE

    allowed = np.asarray(allowed, bool)
    cells = []
    for c in range(2):
        acc = np.zeros(1, dtype=np.int64)
        for k in range(4):
            pairs, o0, o1 = _node(allowed, c, k)
            codes = (_PAIR_RANK[k, pairs[:, 0], pairs[:, 1]][:, None, None] * (N_OPS * N_OPS)
                     + o0[None, :, None] * N_OPS + o1[None, None, :]).ravel()
            acc = (acc[:, None] + codes[None, :] * _NODE_RADIX[k]).ravel()
        cells.append(acc)
    return np.sort((cells[0][:, None] * CELL_SIZE + cells[1][None, :]).ravel())
