"""Shrunk spaces: what a shrinker returns, behind one interface.

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

import hashlib
import json
import math
import weakref
from abc import ABC, abstractmethod
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path

import numpy as np

from .._io import write_json_atomic
from ..errors import DataFileError, InvalidArchitecture, InvalidConfig, UnknownName
from ..spaces import ARCH_DTYPE, Space, SubsetSpace, as_rng, get_space

#: ``enumerable`` is True up to this many members
ENUMERABLE_LIMIT = 2_000_000
#: largest member set a Pockets or non-product Product will materialise (as int64 keys) to count exactly
COUNT_LIMIT = 50_000_000
JSON_VERSION = 1
KINDS = ("pockets", "product", "explicit")
# ball enumeration works on chunks of centres producing at most this many neighbour rows at once
_CHUNK_ROWS = 2**22


# ---------------------------------------------------------------------------------------------- helpers
def _is_plain(space: Space) -> bool:
    """A full product space: every encoding valid and canonical, neighbours = Hamming, size = product."""
    if isinstance(space, SubsetSpace):
        return False
    t = type(space)
    return (
        t.canonicalize is Space.canonicalize
        and t.neighbours is Space.neighbours
        and t.is_valid is Space.is_valid
        and t.contains is Space.contains
        and t.distance is Space.distance
        and space.size == math.prod(int(k) for k in space.n_choices)
    )


def _hamming_neighbours(space: Space) -> bool:
    """Neighbour-graph distance equals ``space.distance`` (a plain space, or a SubsetSpace of one)."""
    return _is_plain(space.base if isinstance(space, SubsetSpace) else space)


def _hamming_ball_size(n_choices: np.ndarray, radius: int) -> int:
    """Size of a radius-``radius`` Hamming ball in the product space (coefficients of prod(1 + (k-1)x))."""
    poly = [1]
    for k in n_choices.tolist():
        nxt = poly + [0]
        for i, c in enumerate(poly):
            nxt[i + 1] += c * (int(k) - 1)
        poly = nxt
    return int(sum(poly[: radius + 1]))


def _sorted_isin(sorted_keys: np.ndarray, k: np.ndarray) -> np.ndarray:
    if not len(sorted_keys):
        return np.zeros(len(k), dtype=bool)
    pos = np.searchsorted(sorted_keys, k).clip(0, len(sorted_keys) - 1)
    return sorted_keys[pos] == k


def _unique_sorted(x: np.ndarray) -> np.ndarray:
    x = np.sort(x)
    return x[np.concatenate([[True], x[1:] != x[:-1]])] if len(x) else x


def _members_in_domain(space: Space, archs, what: str) -> np.ndarray:
    """Canonical encodings of ``archs``; ``InvalidArchitecture`` naming the first one outside the domain."""
    a = space.validate(archs)
    ok = space.contains(a)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise InvalidArchitecture(
            f"{what} {space.to_strings(a[bad : bad + 1])[0]} (row {bad}) is not in the domain "
            f"({space.size} architectures of {space.name})"
        )
    return a


_DOMAIN_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _domain_members(space: Space) -> tuple[np.ndarray, np.ndarray]:
    """``space.enumerate()`` sorted by ``space.index`` (read-only) and its columns as contiguous intp rows,
    cached per space object."""
    hit = _DOMAIN_CACHE.get(space)
    if hit is None:
        out = space.enumerate()
        keys = space.index(out)
        if len(keys) > 1 and not np.all(keys[1:] > keys[:-1]):
            out = out[np.argsort(keys, kind="stable")]
        out.flags.writeable = False
        cols = np.ascontiguousarray(out.T, dtype=np.intp)
        cols.flags.writeable = False
        hit = _DOMAIN_CACHE[space] = (out, cols)
    return hit


def _choice_mask_of(space: Space, archs: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    K = int(space.n_choices.max())
    if out is None:
        out = np.zeros((space.positions, K), dtype=bool)
    if len(archs):
        for p in range(space.positions):
            out[p] |= np.bincount(archs[:, p].astype(np.intp), minlength=K)[:K] > 0
    return out


def _domain_info(space: Space) -> dict:
    info = {"size": int(space.size), "restricted": isinstance(space, SubsetSpace)}
    if isinstance(space, SubsetSpace):
        keys = np.ascontiguousarray(space.index(space.enumerate()), dtype="<i8")
        info["members_sha256"] = hashlib.sha256(keys.tobytes()).hexdigest()
    return info


def _resolve_space(d: Mapping, space: Space | None) -> Space:
    name = d.get("space")
    dom = d.get("domain") or {}
    if space is None:
        if dom.get("restricted"):
            raise InvalidConfig(
                f"this shrunk space lives in a restricted domain of {dom.get('size')} {name} architectures "
                "(the rows one dataset has values for): pass space=benchmark.domain(dataset, metric) "
                "(or oracle.space) to load it"
            )
        if not isinstance(name, str):
            raise InvalidConfig(f"shrunk-space JSON: 'space' must be a space name, got {name!r}")
        return get_space(name)
    if space.name != name:
        raise InvalidConfig(f"shrunk-space JSON is for space {name!r}, but space {space.name!r} was given")
    if "size" in dom and int(dom["size"]) != space.size:
        raise InvalidConfig(
            f"shrunk-space JSON was made in a domain of {dom['size']} {name} architectures, but the given space "
            f"has {space.size}: pass the same domain (benchmark.domain(dataset, metric))"
        )
    if dom.get("members_sha256") and _domain_info(space).get("members_sha256") != dom["members_sha256"]:
        raise InvalidConfig(
            f"shrunk-space JSON was made in a different {dom.get('size')}-architecture domain of {name} "
            "than the one given (member lists differ)"
        )
    return space


# ---------------------------------------------------------------------------------------------- base
class ShrunkSpace(ABC):
    """A subset of ``space`` (an oracle's domain).  See the module docstring for the three kinds."""

    kind: str = ""
    space: Space

    # -- interface ------------------------------------------------------------------------------
    @abstractmethod
    def contains(self, archs) -> np.ndarray:
        """Mask of rows that are canonical members of this shrunk space."""

    @property
    @abstractmethod
    def size(self) -> int:
        """Exact number of member architectures."""

    @abstractmethod
    def sample(self, n: int, rng, replace: bool = True) -> np.ndarray:
        """``n`` members drawn uniformly (without replacement if ``replace=False``)."""

    @abstractmethod
    def _enumerate(self) -> np.ndarray:
        """All members, sorted by ``space.index``."""

    @abstractmethod
    def _payload(self) -> dict:
        """Kind-specific JSON fields."""

    @classmethod
    @abstractmethod
    def _from_payload(cls, d: Mapping, space: Space) -> ShrunkSpace: ...

    # -- shared ---------------------------------------------------------------------------------
    @property
    def enumerable(self) -> bool:
        """Whether ``enumerate()`` works without a ``limit`` (at most ``ENUMERABLE_LIMIT`` members)."""
        try:
            return self.size <= ENUMERABLE_LIMIT
        except InvalidConfig:
            return False

    def enumerate(self, limit: int | None = None) -> np.ndarray:
        """Every member, sorted by ``space.index``; ``InvalidConfig`` if there are more than ``limit``
        (default ``ENUMERABLE_LIMIT``)."""
        limit = ENUMERABLE_LIMIT if limit is None else int(limit)
        if self.size > limit:
            raise InvalidConfig(
                f"{self.kind} space has {self.size:,} architectures, more than the enumeration limit {limit:,}"
            )
        return self._enumerate()

    def choice_mask(self) -> np.ndarray:
        """``(positions, max_choices)`` bool: which (position, choice) pairs occur in some member."""
        return _choice_mask_of(self.space, self.enumerate(limit=COUNT_LIMIT))

    def _check_n(self, n, replace: bool) -> int:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InvalidConfig(f"n must be a non-negative integer, got {n!r}")
        n = int(n)
        if n and self.size == 0:
            raise InvalidConfig(f"cannot sample from an empty {self.kind} space")
        if not replace and n > self.size:
            raise InvalidConfig(f"cannot draw {n} distinct architectures from a {self.kind} space of {self.size}")
        return n

    def to_json(self) -> dict:
        """Plain-JSON description: ``{"kind", "space", "version", "domain", "size", ...kind fields}``."""
        d = {"kind": self.kind, "space": self.space.name, "version": JSON_VERSION, "domain": _domain_info(self.space)}
        d.update(self._payload())
        d["size"] = int(self.size)
        return d

    @classmethod
    def from_json(cls, d: Mapping, space: Space | None = None) -> ShrunkSpace:
        """Inverse of ``to_json``.  ``space`` must be the same domain (required for restricted domains)."""
        if not isinstance(d, Mapping):
            raise InvalidConfig(f"shrunk-space JSON must be an object, got {type(d).__name__}")
        kind = d.get("kind")
        if kind not in _KIND_CLASSES:
            raise UnknownName("shrunk-space kind", kind, KINDS)
        target = _KIND_CLASSES[kind]
        if cls is not ShrunkSpace and not issubclass(target, cls):
            raise InvalidConfig(f"{cls.__name__}.from_json got a {kind!r} shrunk space")
        if d.get("version") != JSON_VERSION:
            raise InvalidConfig(f"shrunk-space JSON version {d.get('version')!r} is not supported (expected 1)")
        space = _resolve_space(d, space)
        try:
            return target._from_payload(d, space)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, (InvalidConfig, InvalidArchitecture)):
                raise
            raise InvalidConfig(f"malformed {kind} shrunk-space JSON: {exc!r}") from exc

    def save(self, path) -> None:
        """Write ``to_json()`` to ``path`` atomically."""
        write_json_atomic(path, self.to_json())


def load_shrunk(path_or_dict, space: Space | None = None) -> ShrunkSpace:
    """A shrunk space from a JSON file path or a ``to_json()`` dict.

    >>> from lissnas_bench.spaces import get_space
    >>> e = Explicit(get_space("nasbench-macro"), [[0] * 8, [1] * 8])
    >>> load_shrunk(e.to_json()).size
    2
    """
    if isinstance(path_or_dict, Mapping):
        return ShrunkSpace.from_json(path_or_dict, space)
    path = Path(path_or_dict)
    if not path.is_file():
        raise DataFileError(f"shrunk space file {str(path)!r} does not exist")
    try:
        d = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"shrunk space file {str(path)!r} is not valid JSON: {exc}") from exc
    return ShrunkSpace.from_json(d, space)


# ---------------------------------------------------------------------------------------------- Pockets
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
                nb, _ = sp.neighbours(c[i : i + step], self.radius)
                parts.append(sp.index(nb))
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
        keys = self._keys
        return self.space.from_index(keys[rng.choice(len(keys), size=n, replace=replace)])

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


# ---------------------------------------------------------------------------------------------- Product
class Product(ShrunkSpace):
    """The members of ``space`` whose canonical encoding uses only allowed choices at every position.

    ``allowed`` is a ``(positions, max_choices)`` bool array; choices beyond a position's count must be False
    and every position needs at least one allowed choice.

    >>> from lissnas_bench.spaces import get_space
    >>> s = get_space("nb201")
    >>> allowed = np.zeros((6, 5), bool); allowed[:, [1, 3]] = True
    >>> Product(s, allowed).size
    64
    """

    kind = "product"

    def __init__(self, space: Space, allowed):
        P, K = space.positions, int(space.n_choices.max())
        a = np.asarray(allowed)
        if a.shape != (P, K):
            raise InvalidConfig(f"allowed must have shape (positions, max_choices) = ({P}, {K}), got {a.shape}")
        if a.dtype != bool:
            if not np.isin(a, (0, 1)).all():
                raise InvalidConfig("allowed must be a boolean mask")
            a = a.astype(bool)
        beyond = np.arange(K)[None, :] >= space.n_choices[:, None]
        if (a & beyond).any():
            p, c = np.argwhere(a & beyond)[0]
            raise InvalidConfig(f"allowed[{p}, {c}] is True but position {p} has only {space.n_choices[p]} choices")
        counts = a.sum(axis=1)
        if (counts == 0).any():
            p = int(np.flatnonzero(counts == 0)[0])
            raise InvalidConfig(f"allowed keeps no choice at position {p} ({space.position_names[p]})")
        self.space = space
        self.allowed = a.copy()
        self.allowed.flags.writeable = False
        self._plain = _is_plain(space)
        self._factored = not self._plain and hasattr(space, "product_size")  # darts: too large to enumerate

    @classmethod
    def full(cls, space: Space) -> Product:
        """The whole domain as a Product (every choice allowed)."""
        K = int(space.n_choices.max())
        return cls(space, np.arange(K)[None, :] < space.n_choices[:, None])

    @property
    def counts(self) -> np.ndarray:
        """Allowed choices per position."""
        return self.allowed.sum(axis=1)

    @cached_property
    def _table(self) -> np.ndarray:
        """(positions, max_count) table: the allowed choices of each position, packed to the left."""
        t = np.zeros((self.space.positions, int(self.counts.max())), dtype=ARCH_DTYPE)
        for p in range(self.space.positions):  # per position, not per architecture
            ch = np.flatnonzero(self.allowed[p])
            t[p, : len(ch)] = ch
        return t

    @cached_property
    def _radix(self) -> np.ndarray:
        k = self.counts.astype(np.int64)
        return np.concatenate([np.cumprod(k[::-1])[::-1][1:], [1]]).astype(np.int64)

    def _decode(self, idx: np.ndarray) -> np.ndarray:
        digits = (idx[:, None] // self._radix) % self.counts
        return self._table[np.arange(self.space.positions)[None, :], digits]

    @cached_property
    def _members(self) -> np.ndarray:
        """Non-plain domains: the domain's members whose choices are all allowed, sorted by index."""
        if not self.space.finite:
            raise InvalidConfig(
                f"a Product over {self.space.name} needs an enumerable space ({self.space.size:,} architectures "
                "are not enumerated)"
            )
        dom, cols = _domain_members(self.space)
        m = np.ones(len(dom), dtype=bool)
        for p in range(self.space.positions):
            m &= self.allowed[p].take(cols[p])
        out = dom[m]
        out.flags.writeable = False
        return out

    def _mask(self, a: np.ndarray) -> np.ndarray:
        m = np.ones(len(a), dtype=bool)
        for p in range(self.space.positions):  # one gather per position: faster than a 2-D fancy index
            m &= self.allowed[p][a[:, p]]
        return m

    @property
    def size(self) -> int:
        if self._plain:
            return math.prod(int(k) for k in self.counts)
        if self._factored:
            return int(self.space.product_size(self.allowed))
        return int(len(self._members))

    def contains(self, archs):
        a = self.space.as_archs(archs)
        ok = self.space.contains(a)
        if ok.any():
            ok[ok] = self._mask(a[ok])
        return ok

    def sample(self, n, rng, replace=True):
        rng = as_rng(rng)
        n = self._check_n(n, replace)
        if self._factored:
            return self._factored_sample(n, rng, replace)
        if not self._plain:
            return self._members[rng.choice(len(self._members), size=n, replace=replace)]
        if replace:
            digits = rng.integers(0, self.counts, size=(n, self.space.positions))
            return self._table[np.arange(self.space.positions)[None, :], digits]
        if self.size < 2**62:
            return self._decode(rng.choice(self.size, size=n, replace=False).astype(np.int64))
        out = np.empty((0, self.space.positions), ARCH_DTYPE)  # astronomically large: reject duplicates
        while len(out) < n:
            more = self.sample(2 * (n - len(out)), rng)
            out = np.unique(np.concatenate([out, more]), axis=0)
        return out[rng.permutation(len(out))[:n]]

    def _factored_sample(self, n: int, rng, replace: bool) -> np.ndarray:
        if replace:
            return self.space.product_sample(self.allowed, n, rng)
        if self.size <= max(4 * n, ENUMERABLE_LIMIT // 8):
            keys = self.space.product_keys(self.allowed)
            return self.space.from_index(keys[rng.choice(len(keys), size=n, replace=False)])
        out = np.empty(0, np.int64)  # a huge product: reject the rare repeats
        while len(out) < n:
            more = self.space.index(self.space.product_sample(self.allowed, 2 * (n - len(out)), rng))
            out = np.concatenate([out, more[np.isin(more, out, invert=True)]])
            out = out[np.sort(np.unique(out, return_index=True)[1])]
        return self.space.from_index(out[:n])

    def _enumerate(self):
        if self._factored:
            return self.space.from_index(self.space.product_keys(self.allowed))
        if not self._plain:
            return self._members.copy()
        # mixed radix over the allowed choices, position 0 most significant: the same order as space.index
        return self._decode(np.arange(self.size, dtype=np.int64))

    def choice_mask(self):
        if self._plain:
            return self.allowed.copy()
        if self._factored:
            return self.space.product_choice_mask(self.allowed)
        return _choice_mask_of(self.space, self._members)

    def _payload(self):
        allowed = [np.flatnonzero(row).tolist() for row in self.allowed]
        names = [[self.space.choice_names[p][c] for c in ch] for p, ch in enumerate(allowed)]
        return {"allowed": allowed, "allowed_names": names}

    @classmethod
    def _from_payload(cls, d, space):
        P, K = space.positions, int(space.n_choices.max())
        rows = d["allowed"]
        if len(rows) != P:
            raise InvalidConfig(f"product JSON: 'allowed' has {len(rows)} positions, {space.name} has {P}")
        mask = np.zeros((P, K), dtype=bool)
        for p, ch in enumerate(rows):
            ch = np.asarray(ch, dtype=np.int64).reshape(-1)
            if ch.size and (ch.min() < 0 or ch.max() >= space.n_choices[p]):
                raise InvalidConfig(f"product JSON: position {p} allows choice outside 0..{space.n_choices[p] - 1}")
            mask[p, ch] = True
        return cls(space, mask)

    def __repr__(self):
        return f"<Product {self.space.name}: choices per position {self.counts.tolist()}>"


# ---------------------------------------------------------------------------------------------- Explicit
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


_KIND_CLASSES: dict[str, type[ShrunkSpace]] = {"pockets": Pockets, "product": Product, "explicit": Explicit}

__all__ = ["ENUMERABLE_LIMIT", "Explicit", "Pockets", "Product", "ShrunkSpace", "load_shrunk"]
