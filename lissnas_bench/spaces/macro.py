"""NAS-Bench-Macro: a MobileNetV2-style macro space of 8 searchable layers with 3 choices each: 3,969 networks.

A key has one digit per layer, ``0`` identity, ``1`` MBConv expand 3 kernel 3, ``2`` MBConv expand 6 kernel 5.
The 8 layers form stages of 2, 3 and 3; a stage's first layer changes the resolution and width, the others keep
them.  NAS-Bench-Macro's own code (``get_real_arch`` in ``collect_benchmark.py`` / ``train_benchmark.py``) moves
the identity layers after a stage's first layer to the end of the stage before training, so its 3**8 = 6,561 keys
name only 3,969 distinct networks (4,536 keys share their record with another key: ``22212202`` is the best
network ``22212220`` again).  This space is those 3,969 networks.  Its canonical encoding is the original's
canonical key; every one of the 6,561 keys is accepted (``from_strings``) and maps to its canonical form.

``index`` is the rank of the canonical key among the 3,969 (in key order).  The neighbour graph is the quotient
of the Hamming graph on keys: two networks are neighbours when some key of one and some key of the other differ
in one digit (symmetric; "change one layer", with the original's identity rule applied afterwards).  ``distance``
stays the Hamming distance of the canonical encodings.

>>> from lissnas_bench.spaces import get_space
>>> s = get_space("nasbench-macro")
>>> a = s.from_strings("22212202")
>>> a.tolist(), s.to_strings(a), s.size
([[2, 2, 2, 1, 2, 2, 2, 0]], ['22212220'], 3969)
"""

from __future__ import annotations

import itertools
from functools import cached_property

import numpy as np

from ..errors import InvalidArchitecture, InvalidConfig
from ._base import ARCH_DTYPE, Space, as_rng

CHOICES = ("identity", "mbconv_e3_k3", "mbconv_e6_k5")
LAYERS = 8
STAGES = (2, 3, 3)
RAW_SIZE = len(CHOICES) ** LAYERS  # 6,561 keys
_RADIX = len(CHOICES) ** np.arange(LAYERS - 1, -1, -1, dtype=np.int64)


def real_arch(key: str) -> str:
    """NAS-Bench-Macro's ``get_real_arch``: identity layers after each stage's first layer moved to its end.

    >>> real_arch("20212202"), real_arch("22212220")
    ('20212220', '22212220')
    """
    out, i = "", 0
    for n in STAGES:
        first, rest = key[i], key[i + 1 : i + n]
        kept = rest.replace("0", "")
        out += first + kept + "0" * (len(rest) - len(kept))
        i += n
    return out


def _canonical_rows(a: np.ndarray) -> np.ndarray:
    """``real_arch`` on an (n, 8) array: a stable sort of each stage's tail putting identities (0) last."""
    out = a.copy()
    i = 0
    for n in STAGES:
        tail = out[:, i + 1 : i + n]
        order = np.argsort(tail == 0, axis=1, kind="stable")
        out[:, i + 1 : i + n] = np.take_along_axis(tail, order, axis=1)
        i += n
    return out


class _Tables:
    """The 3,969 canonical encodings (sorted by key) and the rank of every one of the 6,561 raw keys."""

    def __init__(self):
        raw = np.array(list(itertools.product(range(len(CHOICES)), repeat=LAYERS)), dtype=ARCH_DTYPE)
        canon_key = _canonical_rows(raw).astype(np.int64) @ _RADIX
        members, rank = np.unique(canon_key, return_inverse=True)
        self.members = raw[members]  # raw is in key order, so raw[key] is the encoding of that key
        self.rank_of_raw = rank.astype(np.int64)
        # quotient neighbour graph: every raw key's Hamming neighbours, mapped to ranks
        shifts = [(p, d) for p in range(LAYERS) for d in (1, 2)]
        src = np.repeat(self.rank_of_raw, len(shifts))
        nb = np.repeat(raw[:, None, :], len(shifts), axis=1)
        for j, (p, d) in enumerate(shifts):
            nb[:, j, p] = (nb[:, j, p] + d) % len(CHOICES)
        dst = self.rank_of_raw[nb.reshape(-1, LAYERS).astype(np.int64) @ _RADIX]
        pairs = np.unique(np.stack([src, dst], axis=1)[src != dst], axis=0)
        from scipy import sparse

        m = len(self.members)
        self.adjacency = sparse.csr_matrix((np.ones(len(pairs), np.int8), (pairs[:, 0], pairs[:, 1])), shape=(m, m))


class MacroSpace(Space):
    """NAS-Bench-Macro's 3,969 networks (see the module docstring).

    >>> MacroSpace().to_strings([[0, 1, 2, 0, 1, 2, 0, 1]])
    ['01210210']
    """

    name = "nasbench-macro"
    n_choices = np.full(LAYERS, len(CHOICES), dtype=np.int64)
    position_names = tuple(f"layer_{i}" for i in range(1, LAYERS + 1))
    choice_names = (CHOICES,) * LAYERS
    string_formats = ("macro",)

    @cached_property
    def _t(self) -> _Tables:
        return _Tables()

    @cached_property
    def size(self) -> int:  # type: ignore[override]
        return int(len(self._t.members))

    def canonicalize(self, archs) -> np.ndarray:
        a = self.as_archs(archs)
        if not self.in_range(a).all():
            self.validate(a)  # raises, naming the first bad row
        return _canonical_rows(a)

    def index(self, archs) -> np.ndarray:
        a = self._validated(archs)
        return self._t.rank_of_raw[a.astype(np.int64) @ _RADIX]

    def from_index(self, idx) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= self.size):
            raise InvalidArchitecture(f"{self.name}: index out of range [0, {self.size})")
        return self._t.members[idx].copy()

    def sample(self, n: int, rng, replace: bool = True) -> np.ndarray:
        """Uniform over the 3,969 networks (not over the 6,561 keys)."""
        rng = as_rng(rng)
        if int(n) < 0:
            raise InvalidConfig(f"n must be >= 0, got {n}")
        if not replace:
            return super().sample(n, rng, replace=False)
        return self.from_index(rng.integers(0, self.size, size=int(n)))

    def neighbours(self, archs, radius: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Networks 1..``radius`` steps away in the quotient graph (see the module docstring), by source then index.

        >>> s = MacroSpace(); nb, src = s.neighbours(s.from_strings("22212220"))
        >>> len(nb), sorted(s.to_strings(nb))[:3]
        (17, ['02212220', '12212220', '20212220'])
        """
        radius = int(radius)
        if radius < 1:
            raise InvalidConfig(f"radius must be >= 1, got {radius}")
        start = self.index(archs)
        adj, m = self._t.adjacency, self.size
        srcs, nodes = [], []
        step = max(1, 2**22 // m)  # sources per block: bounds the dense (networks, sources) frontier
        for c0 in range(0, len(start), step):
            st = start[c0 : c0 + step]
            cols = np.arange(len(st))
            seen = np.zeros((m, len(st)), dtype=bool)
            seen[st, cols] = True
            front = seen.copy()
            for _ in range(radius):  # breadth-first over the block at once: one sparse-dense product per step
                front = (adj @ front.view(np.int8)) > 0
                front &= ~seen
                if not front.any():
                    break
                seen |= front
            seen[st, cols] = False
            src, node = np.nonzero(seen.T)  # row-major: by source, then by index
            srcs.append(src + c0)
            nodes.append(node)
        src = np.concatenate(srcs) if srcs else np.empty(0, np.int64)
        node = np.concatenate(nodes) if nodes else np.empty(0, np.int64)
        return self._t.members[node], src.astype(np.int64)

    def _parse(self, s: str) -> tuple[int, ...]:
        if len(s) != LAYERS or not (s.isascii() and s.isdigit()):
            raise InvalidArchitecture(
                f"nasbench-macro: cannot parse {s!r}; expected {LAYERS} digits, one per layer "
                f"(0 {CHOICES[0]}, 1 {CHOICES[1]}, 2 {CHOICES[2]}), e.g. '22212220'"
            )
        vals = tuple(int(c) for c in s)
        for i, v in enumerate(vals):
            if v >= len(CHOICES):
                raise InvalidArchitecture(
                    f"nasbench-macro: {s!r} has choice {v} at layer {i + 1}; choices are 0..{len(CHOICES) - 1}"
                )
        return vals

    def _format(self, arch: np.ndarray, fmt: str) -> str:
        return "".join(str(int(v)) for v in arch)
