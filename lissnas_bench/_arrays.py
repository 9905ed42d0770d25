"""Sort-based ``np.unique`` for 1-D integer arrays on hot paths.

NumPy 2.3+ answers a plain ``np.unique(a)`` with a hash table and then sorts the distinct values, which on this
project's row and key arrays is several times slower than one sort (NumPy 2.4).  These return exactly what
``np.unique`` returns (sorted distinct values; the index of each value's first occurrence).

>>> import numpy as np
>>> unique_ints(np.array([3, 1, 3, 2]))
array([1, 2, 3])
>>> unique_first(np.array([3, 1, 3, 2]))
(array([1, 2, 3]), array([1, 3, 0]))
"""

from __future__ import annotations

import numpy as np


def _firsts(s: np.ndarray) -> np.ndarray:
    m = np.empty(len(s), dtype=bool)
    if len(s):
        m[0] = True
        np.not_equal(s[1:], s[:-1], out=m[1:])
    return m


def unique_ints(a) -> np.ndarray:
    """``np.unique(a)`` of a 1-D integer array."""
    s = np.sort(np.asarray(a).reshape(-1))
    return s[_firsts(s)]


def unique_first(a) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(a, return_index=True)`` of a 1-D integer array."""
    a = np.asarray(a).reshape(-1)
    order = np.argsort(a, kind="stable")  # stable: the first of equal values comes first
    s = a[order]
    m = _firsts(s)
    return s[m], order[m]
