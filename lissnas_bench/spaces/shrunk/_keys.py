"""Membership of a table's rows by their stored keys: an index join instead of ``shrunk.contains``.

A benchmark stores ``keys = space.index(archs)``, sorted.  ``contains`` would validate and canonicalise every
row again (for nb101 a minimum over 120 relabellings per row); here a shrunk space that holds its members as
sorted keys (``Explicit``, ``Pockets``) is joined against the table's keys, and the only per-row work left is on
the rows found.  The answer is the one ``shrunk.contains(archs)`` gives: a row is a member when it is a canonical
member of the shrunk space's domain and its key is one of the shrunk space's keys.
"""

from __future__ import annotations

import numpy as np

from .._base import Space, SubsetSpace
from ._base import ShrunkSpace, _sorted_isin
from .explicit import Explicit
from .pockets import Pockets
from .product import Product


def root_space(space: Space) -> Space:
    """The space under any ``SubsetSpace`` layers: the one whose ``index`` every layer shares."""
    while isinstance(space, SubsetSpace):
        space = space.base
    return space


def same_index(a: Space, b: Space) -> bool:
    """Whether ``a.index`` and ``b.index`` give the same key to the same architecture."""
    ra, rb = root_space(a), root_space(b)
    if ra is rb:
        return True
    return (type(ra) is type(rb) and ra.name == rb.name and ra.positions == rb.positions
            and np.array_equal(ra.n_choices, rb.n_choices))


def in_domain(space: Space, keys: np.ndarray) -> np.ndarray:
    """Mask of ``keys`` (of valid architectures, in ``space``'s index) that every ``SubsetSpace`` layer holds."""
    ok = np.ones(len(keys), dtype=bool)
    while isinstance(space, SubsetSpace):
        ok &= _sorted_isin(space._keys, keys)
        space = space.base
    return ok


def canonical_rows(space: Space, keys: np.ndarray, archs: np.ndarray) -> np.ndarray:
    """Mask of rows ``archs`` (valid, with ``keys = space.index(archs)``) that are canonical encodings.

    ``from_index`` of a key is the canonical encoding, so a row equal to it is canonical; the rare row that
    differs is asked of ``space.contains`` (exact whatever a space's ``from_index`` does).
    """
    if not len(keys):
        return np.zeros(0, dtype=bool)
    ok = np.all(space.from_index(keys) == archs, axis=1)
    if not ok.all():
        bad = np.flatnonzero(~ok)
        ok[bad] = space.contains(archs[bad])
    return ok


def member_keys(shrunk) -> np.ndarray | None:
    """Sorted ``space.index`` keys of every member, when the shrunk space keeps them (None otherwise)."""
    if isinstance(shrunk, Explicit):
        return shrunk._keys
    if isinstance(shrunk, Pockets) and not shrunk._use_hamming():
        return shrunk._keys  # computed once per Pockets (cached), as contains would
    return None


def rows_of_keys(table_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Sorted rows of the sorted ``table_keys`` whose key is in the sorted ``keys``: the join, O(|keys| log N)."""
    if not len(table_keys) or not len(keys):
        return np.empty(0, dtype=np.int64)
    pos = np.searchsorted(table_keys, keys).clip(0, len(table_keys) - 1)
    return pos[table_keys[pos] == keys].astype(np.int64)


def member_rows(shrunk, space: Space, table_keys: np.ndarray, archs: np.ndarray,
                canonical: np.ndarray | None = None) -> np.ndarray | None:
    """Sorted rows of a table (``archs`` in ``space``, sorted ``table_keys = space.index(archs)``) that are
    members of ``shrunk``: the rows ``shrunk.contains(archs)`` is True for.  ``canonical`` is the table's
    ``canonical_rows`` mask if the caller has it.  None when the join does not apply (the caller then asks
    ``contains``).
    """
    target = shrunk if isinstance(shrunk, Space) else getattr(shrunk, "space", None)
    if not isinstance(target, Space) or not same_index(target, space):
        return None
    if isinstance(shrunk, Space) or isinstance(shrunk, Product):
        rows = np.arange(len(table_keys), dtype=np.int64)  # every row is a candidate: a scan, not a join
    elif isinstance(shrunk, ShrunkSpace) and (mk := member_keys(shrunk)) is not None:
        rows = rows_of_keys(table_keys, mk)
    else:
        return None
    k = table_keys[rows]
    ok = in_domain(target, k)
    ok &= canonical[rows] if canonical is not None else canonical_rows(space, k, archs[rows])
    if isinstance(shrunk, Product) and ok.any():
        ok[ok] = shrunk._mask(archs[rows[ok]])
    return rows[ok]
