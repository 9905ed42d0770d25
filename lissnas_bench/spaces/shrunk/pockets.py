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
    def _trusted(cls, space: Space, centre_keys: np.ndarray, radius: int, distinct: bool = False) -> Pockets:
        """Pockets around the members of ``space`` whose ``space.index`` keys are ``centre_keys`` (``distinct``:
        no key repeats), without re-validating them: for shrinkers that drew the centres from ``space``
        themselves (the public constructor would canonicalise and check again what is already a member)."""
        self = object.__new__(cls)
        self.space, self.radius = space, int(radius)
        ck = np.array(centre_keys, dtype=np.int64)  # a copy, sorted in place
        if distinct:
            ck.sort()
        self._centre_keys = ck if distinct else np.unique(ck)
        self._centres = None  # decoded on first use: a shrinker's intermediate pockets never need them
        return self

    @property
    def centres(self) -> np.ndarray:
        if self._centres is None:
            self._centres = self.space.from_index(self._centre_keys)
            self._centres.flags.writeable = False
        return self._centres

    @cached_property
    def _keys(self) -> np.ndarray:
        """Sorted ``space.index`` keys of every member: the balls enumerated with ``space.neighbours``."""
        sp, ck = self.space, self._centre_keys
        parts, total = [ck], len(ck)
        if self.radius > 0:
            base = _plain_base(sp)
            # chunks of centres sized by the ball size: known in a product space, else measured on one centre
            step = 1 if base is None else _chunk_centres(base, self.radius)
            i = 0
            if base is not None and len(ck) <= step:  # the common case: every ball in one go
                return _frozen(_unique_sorted(np.concatenate([ck, _plain_ball_keys(sp, base, ck, self.radius)])))
            while i < len(ck):
                if base is None:
                    nb = sp.index(sp.neighbours(self.centres[i : i + step], self.radius)[0])
                else:
                    nb = _plain_ball_keys(sp, base, ck[i : i + step], self.radius)
                parts.append(nb)
                total += len(nb)
                i, step = i + step, max(1, _CHUNK_ROWS * step // max(1, len(nb)))
                if total > 2 * _CHUNK_ROWS:  # keep the buffer bounded
                    parts = [_unique_sorted(np.concatenate(parts))]
                    total = len(parts[0])
                    if total > COUNT_LIMIT:
                        raise InvalidConfig(
                            f"pockets of radius {self.radius} around {len(ck)} centres hold more than "
                            f"{COUNT_LIMIT:,} architectures: too many to count exactly"
                        )
        return _frozen(_unique_sorted(np.concatenate(parts).astype(np.int64)))

    @property
    def size(self) -> int:
        return int(len(self._keys))

    def _use_hamming(self) -> bool:
        """Answer ``contains`` by broadcast distances instead of materialising huge balls (same answer)."""
        if "_keys" in self.__dict__ or not _hamming_neighbours(self.space):
            return False
        return len(self._centre_keys) * _hamming_ball_size(self.space.n_choices, self.radius) > ENUMERABLE_LIMIT

    def contains(self, archs) -> np.ndarray:
        a = self.space.as_archs(archs)
        ok = self.space.contains(a)
        if ok.any():
            inside = a[ok]
            if self._use_hamming():
                d = self.space.distance(inside, self.centres)
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
            "centres": self.centres.astype(int).tolist(),
            "centre_strings": self.space.to_strings(self.centres),
        }

    @classmethod
    def _from_payload(cls, d, space):
        centres = np.asarray(d["centres"], dtype=np.int64).reshape(-1, space.positions)
        return cls(space, centres, int(d["radius"]))

    def __repr__(self):
        return f"<Pockets {self.space.name}: {len(self._centre_keys)} centres, radius {self.radius}>"


def _frozen(keys: np.ndarray) -> np.ndarray:
    if len(keys) > COUNT_LIMIT:
        raise InvalidConfig(f"pockets hold {len(keys):,} architectures: more than {COUNT_LIMIT:,}")
    keys.flags.writeable = False
    return keys


_PLAIN_BASE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _plain_base(space: Space):
    """The plain product space with the mixed-radix index whose Hamming balls (intersected with ``space``'s
    members when it is a ``SubsetSpace``) are ``space``'s balls, or None; cached per space object."""
    hit = _PLAIN_BASE.get(space)
    if hit is None:
        base = space.base if isinstance(space, SubsetSpace) else space
        # the key arithmetic below is Space's own index; a space that renumbers takes the checked path
        radix = type(base).index is Space.index and type(base).from_index is Space.from_index
        hit = _PLAIN_BASE[space] = (base if radix and _hamming_neighbours(space) else False,)
    return hit[0] or None


def _plain_ball_keys(space: Space, base: Space, centre_keys: np.ndarray, radius: int) -> np.ndarray:
    """``space.index`` keys of the balls around ``centre_keys`` (members of ``space``, whose balls are ``base``'s
    Hamming balls, restricted to its members when it is a ``SubsetSpace``), computed on the mixed-radix keys:
    no architecture is decoded or validated.  May repeat keys and include the centres (the caller unions)."""
    radix, k, pos, offs = _digit_swaps(base)
    if min(radius, base.diameter) == 1:
        # a neighbour changes one digit: replace digit p of the key by every choice c of position p
        digit_part = (centre_keys[:, None] // radix % k) * radix
        keys = ((centre_keys[:, None] - digit_part[:, pos]) + offs).ravel()
    else:
        pats = base._shift_patterns(min(radius, base.diameter))  # int16, as Space.neighbours uses them
        digits = (centre_keys[:, None] // radix % k).astype(np.int16)
        nb = ((digits[:, None, :] + pats[None]) % k.astype(np.int16)).reshape(-1, base.positions)
        keys = np.zeros(len(nb), dtype=np.int64)
        for p, r in enumerate(radix.tolist()):  # per column: small int16 rows, no (rows, positions) int64 copy
            keys += nb[:, p].astype(np.int64) * r
    if space is not base:  # a SubsetSpace: its ball is the base ball restricted to its members
        keys = keys[_sorted_isin(space._keys, keys)]
    return keys


def _digit_swaps(base: Space) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(radix, choices, position, choice * radix) of every (position, choice) pair of ``base``, as int64;
    cached per space object."""
    hit = _SWAPS.get(base)
    if hit is None:
        k = base.n_choices.astype(np.int64)
        pos = np.repeat(np.arange(len(k)), k)
        offs = np.concatenate([np.arange(int(n), dtype=np.int64) for n in k.tolist()]) * base._radix[pos]
        hit = _SWAPS[base] = (base._radix, k, pos, offs)
    return hit


_SWAPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _chunk_centres(base: Space, radius: int) -> int:
    """Centres per chunk so that a chunk's balls hold about ``_CHUNK_ROWS`` keys (cached per space, radius)."""
    steps = _STEPS.setdefault(base, {})
    if radius not in steps:
        steps[radius] = max(1, _CHUNK_ROWS // _hamming_ball_size(base.n_choices, radius))
    return steps[radius]
