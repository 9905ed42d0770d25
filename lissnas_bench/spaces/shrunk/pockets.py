"""The ``pockets`` kind: the union of radius-r balls in the space's neighbour graph around centres (LISSNAS)."""

from __future__ import annotations

import weakref
from functools import cached_property

import numpy as np

from ...errors import InvalidConfig
from .. import Space, SubsetSpace, as_rng
from ._base import (COUNT_LIMIT, ENUMERABLE_LIMIT, _CHUNK_ROWS, ShrunkSpace, _choice_mask_of, _hamming_ball_size,
                    _hamming_neighbours, _members_in_domain, _sorted_isin, _unique_sorted)


class Pockets(ShrunkSpace):
    """Union of radius-``radius`` balls (in the space's neighbour graph) around ``centres``.

    ``radius`` may be 0 (the centres themselves).  Centres are canonicalised, de-duplicated and kept sorted
    by ``space.index``; each must be in the domain.

    >>> from lissnas_bench.spaces import get_space
    >>> s = get_space("nb201")
    >>> Pockets(s, [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]], radius=1).size   # two overlapping balls: 25 + 25 - 5
    45
    """

    kind = "pockets"

    def __init__(self, space: Space, centres, radius: int = 1):
        if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or radius < 0:
            raise InvalidConfig(f"radius must be a non-negative integer, got {radius!r}")
        self.space = space
        self.radius = int(radius)
        c = _members_in_domain(space, centres, "centre")
        if not len(c):
            raise InvalidConfig("Pockets needs at least one centre")
        ck = space.index(c)
        ck, first = np.unique(ck, return_index=True)
        self._centre_keys = ck
        self._centres = c[first]
        self._centres.flags.writeable = False

    @classmethod
    def _trusted(cls, space: Space, centre_keys: np.ndarray, radius: int) -> Pockets:
        """Pockets around the members of ``space`` whose ``space.index`` keys are ``centre_keys``, without
        re-validating them: for shrinkers that drew the centres from ``space`` themselves (the public constructor
        would canonicalise and check again what is already a member)."""
        self = object.__new__(cls)
        self.space, self.radius = space, int(radius)
        self._centre_keys = np.unique(np.asarray(centre_keys, dtype=np.int64))
        self._centres = space.from_index(self._centre_keys)
        self._centres.flags.writeable = False
        return self

    @property
    def centres(self) -> np.ndarray:
        return self._centres

    @cached_property
    def _keys(self) -> np.ndarray:
        """Sorted ``space.index`` keys of every member: the balls enumerated with ``space.neighbours``."""
        sp, c = self.space, self._centres
        parts, total = [self._centre_keys], len(self._centre_keys)
        if self.radius > 0:
            step, i = 1, 0  # one centre first, then chunks sized by the measured ball size
            while i < len(c):
                nb = _ball_keys(sp, c[i : i + step], self.radius)
                parts.append(nb)
                total += len(nb)
                i, step = i + step, max(1, _CHUNK_ROWS * step // max(1, len(nb)))
                if total > 2 * _CHUNK_ROWS:  # keep the buffer bounded
                    parts = [_unique_sorted(np.concatenate(parts))]
                    total = len(parts[0])
                    if total > COUNT_LIMIT:
                        raise InvalidConfig(
                            f"pockets of radius {self.radius} around {len(c)} centres hold more than "
                            f"{COUNT_LIMIT:,} architectures: too many to count exactly"
                        )
        keys = _unique_sorted(np.concatenate(parts).astype(np.int64))
        if len(keys) > COUNT_LIMIT:
            raise InvalidConfig(f"pockets hold {len(keys):,} architectures: more than {COUNT_LIMIT:,}")
        keys.flags.writeable = False
        return keys

    @property
    def size(self) -> int:
        return int(len(self._keys))

    def _use_hamming(self) -> bool:
        """Answer ``contains`` by broadcast distances instead of materialising huge balls (same answer)."""
        if "_keys" in self.__dict__ or not _hamming_neighbours(self.space):
            return False
        return len(self._centres) * _hamming_ball_size(self.space.n_choices, self.radius) > ENUMERABLE_LIMIT

    def contains(self, archs) -> np.ndarray:
        a = self.space.as_archs(archs)
        ok = self.space.contains(a)
        if ok.any():
            inside = a[ok]
            if self._use_hamming():
                d = self.space.distance(inside, self._centres)
                ok[ok] = d.min(axis=1) <= self.radius
            else:
                ok[ok] = _sorted_isin(self._keys, self.space.index(inside))
        return ok

    def sample(self, n, rng, replace=True):
        rng = as_rng(rng)
        n = self._check_n(n, replace)
        return self.space.from_index(self._sample_keys(n, rng, replace))

    def _sample_keys(self, n: int, rng: np.random.Generator, replace: bool = True) -> np.ndarray:
        """The ``space.index`` keys of ``sample(n, rng, replace)`` (same random numbers; ``n`` unchecked)."""
        keys = self._keys
        return keys[rng.choice(len(keys), size=n, replace=replace)]

    def _enumerate(self):
        return self.space.from_index(self._keys)

    def choice_mask(self):
        out = None
        for s in range(0, self.size, _CHUNK_ROWS):
            out = _choice_mask_of(self.space, self.space.from_index(self._keys[s : s + _CHUNK_ROWS]), out)
        return out

    def _payload(self):
        return {
            "distance": "neighbour-graph",
            "radius": self.radius,
            "centres": self._centres.astype(int).tolist(),
            "centre_strings": self.space.to_strings(self._centres),
        }

    @classmethod
    def _from_payload(cls, d, space):
        centres = np.asarray(d["centres"], dtype=np.int64).reshape(-1, space.positions)
        return cls(space, centres, int(d["radius"]))

    def __repr__(self):
        return f"<Pockets {self.space.name}: {len(self._centres)} centres, radius {self.radius}>"


_PLAIN_BASE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _plain_base(space: Space):
    """The plain product space whose Hamming balls (intersected with ``space``'s members when it is a
    ``SubsetSpace``) are ``space``'s balls, or None; cached per space object."""
    hit = _PLAIN_BASE.get(space)
    if hit is None:
        base = space.base if isinstance(space, SubsetSpace) else space
        hit = _PLAIN_BASE[space] = (base if _hamming_neighbours(space) else False,)
    return hit[0] or None


def _ball_keys(space: Space, centres: np.ndarray, radius: int) -> np.ndarray:
    """``space.index(space.neighbours(centres, radius)[0])``: for plain product spaces straight from the digits
    of the centres (members of ``space``, so nothing to validate), the same keys without two validations."""
    base = _plain_base(space)
    if base is None:
        nb, _ = space.neighbours(centres, radius)
        return space.index(nb)
    pats = base._shift_patterns(min(radius, base.diameter))
    digits = (centres[:, None, :].astype(np.int16) + pats[None]) % base.n_choices.astype(np.int16)
    keys = digits.reshape(-1, base.positions).astype(np.int64) @ base._radix
    if space is not base:  # a SubsetSpace: its ball is the base ball restricted to its members
        keys = keys[_sorted_isin(space._keys, keys)]
    return keys
