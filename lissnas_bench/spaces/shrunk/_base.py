"""The shrunk-space contract (``ShrunkSpace``), JSON loading, and helpers the three kinds share.

A kind is a subclass with a ``kind`` name; defining it registers it for ``load_shrunk`` (``_KINDS``).
"""

from __future__ import annotations

import hashlib
import json
import math
import weakref
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..._io import write_json_atomic
from ...errors import DataFileError, InvalidArchitecture, InvalidConfig, UnknownName
from .. import Space, SubsetSpace, get_space

ENUMERABLE_LIMIT = 2_000_000
#: largest member set a Pockets or non-product Product will materialise (as int64 keys) to count exactly
COUNT_LIMIT = 50_000_000
JSON_VERSION = 1
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
    x = x.copy()
    x.sort()  # the method: np.sort's dispatch costs as much as sorting a pocket's few hundred keys
    if len(x) < 2:
        return x
    first = np.empty(len(x), dtype=bool)
    first[0] = True
    np.not_equal(x[1:], x[:-1], out=first[1:])
    return x[first]


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
        # the domain's own sorted keys equal index(enumerate()) without re-indexing every member (423k on NB101)
        keys = np.ascontiguousarray(space._keys, dtype="<i8")
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
#: kind name -> class; filled by ``ShrunkSpace.__init_subclass__``
_KINDS: dict[str, type] = {}


class ShrunkSpace(ABC):
    """A subset of ``space`` (an oracle's domain).  See the module docstring for the three kinds."""

    kind: str = ""
    space: Space

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.kind:
            _KINDS[cls.kind] = cls

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
        if kind not in _KINDS:
            raise UnknownName("shrunk-space kind", kind, list(_KINDS))
        target = _KINDS[kind]
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
    >>> from lissnas_bench.spaces.shrunk import Explicit
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


