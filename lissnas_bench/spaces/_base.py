"""The search-space contract.

An architecture batch is an ``(n, positions)`` small-int numpy array in the space's *canonical encoding*.
Nothing on a hot path builds one Python object per architecture.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from ..errors import InvalidArchitecture, InvalidConfig

ARCH_DTYPE = np.int8
# Pairwise distances are computed in row blocks so an (n, m, positions) temporary stays below ~64 MB.
_DISTANCE_BLOCK_BYTES = 64 * 2**20


def as_rng(rng) -> np.random.Generator:
    """Accept a Generator (preferred) or an int seed; never touch global state."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise InvalidConfig(f"rng must be a numpy.random.Generator or an int seed, got {type(rng).__name__}")


class Space(ABC):
    """A search space: positions, each with a number of choices, and a canonical encoding.

    Subclasses for plain product spaces only implement strings; spaces whose encodings have isomorphic
    duplicates (graph spaces) override ``canonicalize``, ``is_valid``, ``sample``, ``neighbours`` and
    the index functions.
    """

    name: str = ""
    #: number of choices at each position, shape (positions,)
    n_choices: np.ndarray
    #: one name per position, and the names of the choices at each position
    position_names: tuple[str, ...]
    choice_names: tuple[tuple[str, ...], ...]
    #: string formats accepted by ``from_strings`` (the first is what ``to_strings`` writes by default)
    string_formats: tuple[str, ...] = ()
    #: whether b in neighbours(a) implies a in neighbours(b) (the conformance tests check what is declared)
    symmetric_neighbours: bool = True

    # ---------------------------------------------------------------- shape
    @property
    def positions(self) -> int:
        return int(len(self.n_choices))

    @cached_property
    def size(self) -> int:
        """Number of distinct (canonical, valid) architectures."""
        return int(math.prod(int(k) for k in self.n_choices))

    @property
    def finite(self) -> bool:
        """True when ``enumerate()`` is practical (at most ~10 million architectures)."""
        return self.size <= 10_000_000

    @cached_property
    def diameter(self) -> int:
        """Largest possible distance between two architectures."""
        return int(np.sum(self.n_choices > 1))

    # ---------------------------------------------------------------- validity
    def as_archs(self, archs) -> np.ndarray:
        """Return ``archs`` as a 2-D array of the space's dtype, or raise ``InvalidArchitecture``."""
        if type(archs) is np.ndarray and archs.dtype == ARCH_DTYPE and archs.ndim == 2 and archs.shape[1] == self.positions:
            return archs  # the common case on hot paths: nothing to convert or check here
        a = np.asarray(archs)
        if a.ndim == 1 and a.shape[0] == self.positions:
            a = a[None, :]
        if a.ndim != 2 or a.shape[1] != self.positions:
            raise InvalidArchitecture(
                f"{self.name}: expected an array of shape (n, {self.positions}), got shape {a.shape}"
            )
        if a.size and not np.issubdtype(a.dtype, np.integer):
            raise InvalidArchitecture(f"{self.name}: architectures must be integer arrays, got {a.dtype}")
        if a.size and a.dtype != ARCH_DTYPE:
            # the cast below would wrap e.g. 259 to 3 and turn an invalid value into a valid one
            info = np.iinfo(ARCH_DTYPE)
            lo, hi = a.min(), a.max()
            if lo < info.min or hi > info.max:
                bad = int(lo if lo < info.min else hi)
                raise InvalidArchitecture(
                    f"{self.name}: value {bad} is out of range; choices per position are {self.n_choices.tolist()}"
                )
        return a.astype(ARCH_DTYPE, copy=False)

    @cached_property
    def _n_choices_u8(self) -> np.ndarray:
        return self.n_choices.astype(np.uint8)

    def in_range(self, archs: np.ndarray) -> np.ndarray:
        a = np.asarray(archs)
        if a.dtype == ARCH_DTYPE and a.ndim == 2:
            # one unsigned compare covers both bounds: negative int8 values become >= 128 as uint8
            return (a.view(np.uint8) < self._n_choices_u8).all(axis=1)
        return np.all((a >= 0) & (a < self.n_choices), axis=1)

    def is_valid(self, archs) -> np.ndarray:
        """Boolean mask: which rows encode a valid architecture (in any, not necessarily canonical, form)."""
        return self.in_range(self.as_archs(archs))

    def canonicalize(self, archs) -> np.ndarray:
        """Map every valid encoding to the canonical encoding of its architecture (identity here).

        Raises ``InvalidArchitecture`` for invalid rows rather than passing them through.
        """
        a = self.as_archs(archs)
        if not self.in_range(a).all():
            self.validate(a)  # raises, naming the first bad row
        return a.copy()

    @cached_property
    def _identity_canonical(self) -> bool:
        # plain product spaces: every valid encoding is already canonical
        return type(self).canonicalize is Space.canonicalize and type(self).is_valid is Space.is_valid

    def validate(self, archs) -> np.ndarray:
        """Canonical array of ``archs``; one ``InvalidArchitecture`` naming the first bad row otherwise."""
        a = self._validated(archs)
        return a.copy() if a is archs else a  # never hand the caller's own array back

    def _validated(self, archs) -> np.ndarray:
        # validate() without the defensive copy, for internal read-only use on hot paths
        a = self.as_archs(archs)
        ok = self.is_valid(a)
        if self._identity_canonical and ok.all():
            return a
        if not ok.all():
            bad = int(np.flatnonzero(~ok)[0])
            raise InvalidArchitecture(
                f"{self.name}: row {bad} ({a[bad].tolist()}) is not a valid architecture; "
                f"choices per position are {self.n_choices.tolist()}"
            )
        return self.canonicalize(a)

    def contains(self, archs) -> np.ndarray:
        """Mask of rows that are valid canonical members of this space."""
        a = self.as_archs(archs)
        ok = self.is_valid(a)
        if ok.any():
            ok[ok] = np.all(self.canonicalize(a[ok]) == a[ok], axis=1)
        return ok

    # ---------------------------------------------------------------- sampling and enumeration
    def sample(self, n: int, rng, replace: bool = True) -> np.ndarray:
        """``n`` architectures drawn uniformly from the space (without replacement if ``replace=False``)."""
        rng = as_rng(rng)
        n = int(n)
        if n < 0:
            raise InvalidConfig(f"n must be >= 0, got {n}")
        if not replace:
            if n > self.size:
                raise InvalidConfig(f"cannot draw {n} distinct architectures from a space of {self.size}")
            if self.finite:
                return self.from_index(rng.choice(self.size, size=n, replace=False))
            out = np.empty((0, self.positions), ARCH_DTYPE)
            while len(out) < n:
                more = self.sample(2 * (n - len(out)), rng)
                out = np.unique(np.concatenate([out, more]), axis=0)
            return out[rng.permutation(len(out))[:n]]
        return rng.integers(0, self.n_choices, size=(n, self.positions)).astype(ARCH_DTYPE)

    @cached_property
    def _radix(self) -> np.ndarray:
        # position 0 is the most significant digit
        k = self.n_choices.astype(np.int64)
        return np.concatenate([np.cumprod(k[::-1])[::-1][1:], [1]]).astype(np.int64)

    def index(self, archs) -> np.ndarray:
        """Bijective int64 index in ``[0, size)`` of canonical architectures (mixed radix here)."""
        a = self._validated(archs)
        k = np.zeros(len(a), dtype=np.int64)
        for p, r in enumerate(self._radix.tolist()):  # per column: faster than an integer matmul
            k += a[:, p].astype(np.int64) * r
        return k

    def from_index(self, idx) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= self.size):
            raise InvalidArchitecture(f"{self.name}: index out of range [0, {self.size})")
        return ((idx[:, None] // self._radix) % self.n_choices).astype(ARCH_DTYPE)

    def enumerate(self) -> np.ndarray:
        """Every architecture of the space, in index order."""
        if not self.finite:
            raise InvalidConfig(f"{self.name} has {self.size:.3g} architectures: too many to enumerate")
        return self.from_index(np.arange(self.size, dtype=np.int64))

    # ---------------------------------------------------------------- locality
    def _shift_patterns(self, radius: int) -> np.ndarray:
        """All non-zero shift vectors with 1..radius non-zero entries (cached per radius)."""
        cache = self.__dict__.setdefault("_pattern_cache", {})
        if radius not in cache:
            pats = []
            for d in range(1, radius + 1):
                for pos in itertools.combinations(range(self.positions), d):
                    ranges = [range(1, int(self.n_choices[p])) for p in pos]
                    for shifts in itertools.product(*ranges):
                        v = np.zeros(self.positions, np.int16)
                        v[list(pos)] = shifts
                        pats.append(v)
            cache[radius] = np.array(pats, dtype=np.int16).reshape(-1, self.positions)
        return cache[radius]

    def neighbours(self, archs, radius: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Every architecture at distance 1..``radius`` from each row of ``archs``.

        Returns ``(nbrs, src)``: ``nbrs`` an ``(m, positions)`` array and ``src`` the row of ``archs`` each
        neighbour belongs to.  Within one source there are no duplicates and the source itself is excluded.
        """
        radius = int(radius)
        if radius < 1:
            raise InvalidConfig(f"radius must be >= 1, got {radius}")
        a = self.validate(archs)  # out-of-range rows would otherwise wrap round into valid neighbours
        pats = self._shift_patterns(min(radius, self.diameter))
        nb = (a[:, None, :].astype(np.int16) + pats[None]) % self.n_choices.astype(np.int16)
        src = np.repeat(np.arange(len(a)), len(pats))
        return nb.reshape(-1, self.positions).astype(ARCH_DTYPE), src

    def distance(self, a, b) -> np.ndarray:
        """Hamming distance on the canonical encoding.

        ``a`` of shape (positions,) against ``b`` (m, positions) gives (m,); two batches give (n, m).
        """
        one = np.asarray(a).ndim == 1
        A, B = self.as_archs(a), self.as_archs(b)
        rows = max(1, _DISTANCE_BLOCK_BYTES // max(1, len(B) * self.positions))
        out = np.empty((len(A), len(B)), dtype=np.int16)
        for s in range(0, len(A), rows):
            out[s : s + rows] = (A[s : s + rows, None, :] != B[None, :, :]).sum(axis=2)
        return out[0] if one else out

    # ---------------------------------------------------------------- strings
    @abstractmethod
    def _parse(self, s: str) -> tuple[int, ...]:
        """Parse one string in any accepted format into an encoding (may be non-canonical)."""

    @abstractmethod
    def _format(self, arch: np.ndarray, fmt: str) -> str:
        """Format one canonical encoding."""

    def from_strings(self, strings: Sequence[str] | str) -> np.ndarray:
        """Canonical encodings of architectures given as strings in any format this space knows."""
        if isinstance(strings, str):
            strings = [strings]
        rows = []
        for s in strings:
            try:
                rows.append(self._parse(str(s).strip()))
            except InvalidArchitecture:
                raise
            except Exception as exc:  # noqa: BLE001 - every parse failure becomes one clear message
                raise InvalidArchitecture(
                    f"{self.name}: cannot parse architecture {s!r}; accepted formats: "
                    f"{', '.join(self.string_formats)}"
                ) from exc
        return self.validate(np.array(rows, dtype=np.int64).reshape(-1, self.positions))

    def to_strings(self, archs, fmt: str | None = None) -> list[str]:
        fmt = fmt or self.string_formats[0]
        if fmt not in self.string_formats:
            from ..errors import UnknownName

            raise UnknownName("string format", fmt, self.string_formats)
        return [self._format(r, fmt) for r in self.validate(archs)]

    def __repr__(self) -> str:
        return f"<Space {self.name}: {self.positions} positions, {self.size} architectures>"


class SubsetSpace(Space):
    """A finite space restricted to a set of member architectures (e.g. the rows a table has values for).

    ``index`` stays the base space's index so rows keep their identity; ``enumerate`` lists the members.
    """

    def __init__(self, base: Space, members: np.ndarray, name: str | None = None):
        self.base = base
        self.name = name or base.name
        self.n_choices = base.n_choices
        self.position_names = base.position_names
        self.choice_names = base.choice_names
        self.string_formats = base.string_formats
        members = base.as_archs(members)
        self._keys = np.unique(base.index(members))
        self._members = base.from_index(self._keys) if base.finite else members[np.argsort(base.index(members))]

    @property
    def size(self) -> int:  # type: ignore[override]
        return int(len(self._keys))

    @property
    def finite(self) -> bool:
        return True

    def _member_mask(self, a: np.ndarray) -> np.ndarray:
        k = self.base.index(a)
        pos = np.searchsorted(self._keys, k).clip(0, len(self._keys) - 1)
        return self._keys[pos] == k

    def is_valid(self, archs):
        a = self.as_archs(archs)
        return self.base.is_valid(a)

    def canonicalize(self, archs):
        return self.base.canonicalize(archs)

    def contains(self, archs):
        a = self.as_archs(archs)
        ok = self.base.contains(a)
        if ok.any():
            ok[ok] = self._member_mask(a[ok])
        return ok

    def sample(self, n, rng, replace=True):
        rng = as_rng(rng)
        if not replace and n > self.size:
            raise InvalidConfig(f"cannot draw {n} distinct architectures from a space of {self.size}")
        return self._members[rng.choice(self.size, size=int(n), replace=replace)]

    def index(self, archs):
        return self.base.index(archs)

    def from_index(self, idx):
        return self.base.from_index(idx)

    def enumerate(self):
        return self._members.copy()

    def neighbours(self, archs, radius=1):
        nb, src = self.base.neighbours(archs, radius)
        keep = self._member_mask(nb)
        return nb[keep], src[keep]

    def distance(self, a, b):
        return self.base.distance(a, b)

    def _parse(self, s):
        return tuple(self.base.from_strings([s])[0])

    def _format(self, arch, fmt):
        return self.base._format(arch, fmt)
