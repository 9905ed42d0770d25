"""Shrunk spaces: what a shrinker returns, behind one interface.  A shrunk space is a space: a subset of a
domain space, with the same questions answered (contains, size, sample, enumerate).

Three kinds, each a subset of a *domain* ``space`` (the oracle's domain; a ``SubsetSpace`` when a table only
covers part of the space, e.g. NAS-Bench-Graph's ``proteins``):

* ``Pockets(space, centres, radius)``: the union of radius-``radius`` balls around ``centres`` (LISSNAS).
  The distance is the shortest-path distance in the space's neighbour graph (``space.neighbours``): Hamming
  distance for product spaces (nb201, nasbench-macro, nats-sss, mobilenet), the quotient graph of
  ``nasbench-graph`` (see ``spaces/graph.py``; *not* ``space.distance``, the Hamming distance of canonical
  encodings), edit distance for nb101.  In a ``SubsetSpace`` domain a ball is the base space's ball intersected
  with the domain (paths may pass through architectures outside the domain).
* ``Product(space, allowed)``: the architectures whose canonical encoding uses only allowed choices at every
  position (operation pruning).  For a plain product space the size is the product of the counts; a space that
  factorises its products itself (``darts``: ``product_size``, ``product_sample``, ``product_keys``,
  ``product_choice_mask``) answers for them; otherwise (canonical duplicates, invalid encodings, ``SubsetSpace``
  domains) the domain is enumerated and masked, so the size is exact there too.
* ``Explicit(space, archs)``: a set of architectures.

Every kind answers ``contains``, ``size`` (exact), ``sample`` (uniform over members), ``enumerate`` (sorted by
``space.index``), ``choice_mask`` and ``to_json`` / ``from_json``; ``contains``, ``size``, ``enumerate`` and
``sample`` agree exactly because they all derive from one member set (Pockets: the sorted ``space.index`` keys of
the enumerated balls).

>>> import numpy as np
>>> from lissnas_bench.spaces import get_space
>>> s = get_space("nb201")
>>> p = Pockets(s, [[3, 3, 3, 1, 3, 3]], radius=1)
>>> p.size, bool(p.contains([[3, 3, 3, 1, 3, 0]])[0]), p.sample(3, np.random.default_rng(0)).shape
(25, True, (3, 6))
>>> load_shrunk(p.to_json()).size
25
"""


from __future__ import annotations

from ._base import COUNT_LIMIT, ENUMERABLE_LIMIT, JSON_VERSION, ShrunkSpace, load_shrunk
from .explicit import Explicit
from .pockets import Pockets
from .product import Product

__all__ = ["COUNT_LIMIT", "ENUMERABLE_LIMIT", "JSON_VERSION", "Explicit", "Pockets", "Product", "ShrunkSpace",
           "load_shrunk"]
