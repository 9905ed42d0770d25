"""The ``explicit`` kind: a set of architectures."""

from __future__ import annotations

import numpy as np

from .. import ARCH_DTYPE, Space, as_rng
from ._base import ShrunkSpace, _choice_mask_of, _members_in_domain, _sorted_isin


class Explicit(ShrunkSpace):
    """An explicit set of architectures (canonicalised, de-duplicated, sorted by ``space.index``).

    >>> from lissnas_bench.spaces import get_space
    >>> Explicit(get_space("nb201"), [[0] * 6, [0] * 6, [1] * 6]).size
    2
    """

    kind = "explicit"

    def __init__(self, space: Space, archs):
        self.space = space
        a = np.asarray(archs)
        if a.size == 0:
            a = np.empty((0, space.positions), ARCH_DTYPE)
            self._keys = np.empty(0, np.int64)
        else:
            a = _members_in_domain(space, a, "architecture")
            keys, first = np.unique(space.index(a), return_index=True)
            a, self._keys = a[first], keys
        a.flags.writeable = False
        self._keys.flags.writeable = False
        self.archs = a

    @property
    def size(self) -> int:
        return int(len(self._keys))

    def contains(self, archs):
        a = self.space.as_archs(archs)
        ok = self.space.contains(a)
        if ok.any():
            ok[ok] = _sorted_isin(self._keys, self.space.index(a[ok]))
        return ok

    def sample(self, n, rng, replace=True):
        rng = as_rng(rng)
        n = self._check_n(n, replace)
        return self.archs[rng.choice(self.size, size=n, replace=replace)] if n else self.archs[:0].copy()

    def _enumerate(self):
        return self.archs.copy()

    def choice_mask(self):
        return _choice_mask_of(self.space, self.archs)

    def _payload(self):
        return {"archs": self.archs.astype(int).tolist()}

    @classmethod
    def _from_payload(cls, d, space):
        return cls(space, np.asarray(d["archs"], dtype=np.int64).reshape(-1, space.positions))

    def __repr__(self):
        return f"<Explicit {self.space.name}: {self.size} architectures>"
