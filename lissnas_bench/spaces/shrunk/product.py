"""The ``product`` kind: the members whose canonical encoding uses only allowed choices (operation pruning)."""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from ...errors import InvalidConfig
from .. import ARCH_DTYPE, Space, as_rng
from ._base import ENUMERABLE_LIMIT, ShrunkSpace, _choice_mask_of, _domain_members, _is_plain


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
