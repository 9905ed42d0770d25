"""DARTS / NAS-Bench-301 space: a normal and a reduction cell, each 4 intermediate nodes with 2 inputs.

Encoding (32 positions): for cell ``normal`` then ``reduce``, for node 2..5, for slot 0, 1: the input node
(0..node-1; 0 and 1 are the two cell inputs) and the op, an index into ``OPS = (max_pool_3x3, avg_pool_3x3,
skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5)`` (NASLib / NAS-Bench-301 order).

The two inputs of a node are distinct (as in DARTS genotypes and NAS-Bench-301's ConfigSpace).  Canonical
encoding: the two (input, op) slots of each node sorted by input node, so slot 0 holds the smaller input; node 2's
inputs are therefore always (0, 1).  Per cell there are 1*3*6*10 input pairs and 49 op pairs per node:
``180 * 49**4 = 1,037,664,180`` cells and ``size`` = its square, about 1.08e18; ``index`` is a bijection onto
``[0, size)`` (normal cell most significant), so it fits int64.

Distance is Hamming on the canonical encoding: changing one op is distance 1; re-wiring one input is 1 or 2 when
the slot order is kept and up to 4 when the sort swaps the two slots.  ``neighbours`` (radius 1) are the 96 op
changes plus the 24 re-wirings to a node input not already used by that node: 120 per genotype, all distinct.

String formats: ``"genotype"`` (DARTS ``Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5],
...)``), ``"compact"`` (NASLib ``[[(input, op)] * 8, [(input, op)] * 8]``), ``"config"`` (the NAS-Bench-301
ConfigSpace dictionary as JSON; see ``to_configs``).

>>> from lissnas_bench.spaces import get_space
>>> s = get_space("darts")
>>> a = s.from_strings("[[(0, 3), (1, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (1, 2)],"
...                    " [(0, 0), (1, 0), (2, 2), (0, 0), (2, 2), (0, 0), (2, 2), (0, 0)]]")
>>> s.to_strings(a, "genotype")[0][:60]
"Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ("
>>> s.to_configs(a)[0]["NetworkSelectorDatasetInfo:darts:inputs_node_normal_4"]
'0_1'
"""

from __future__ import annotations

import ast
import itertools
import json
from functools import cached_property

import numpy as np

from ..errors import InvalidArchitecture, InvalidConfig
from . import _darts_product as _dp
from ._base import ARCH_DTYPE, Space, as_rng
from ._darts_formats import (
    CELLS,
    CONCAT,
    CONFIG_PREFIX,
    N_OPS,
    OPS,
    Genotype,
    config_to_cells,
    pairs_to_row,
    parse_genotype,
    row_to_config,
)

NODES = (2, 3, 4, 5)
POSITIONS = 32

# position layout: cell c, node k (0..3), slot s (0..1) -> input at 16c + 4k + 2s, op at that + 1
_IN_POS = np.array([16 * c + 4 * k + 2 * s for c in range(2) for k in range(4) for s in range(2)])
_OP_POS = _IN_POS + 1
_N_INPUTS = np.array([k + 2 for c in range(2) for k in range(4) for s in range(2)])  # per slot
# sorted input pairs of node k, in lexicographic order; their rank is part of the index
_PAIRS = [list(itertools.combinations(range(k + 2), 2)) for k in range(4)]
_PAIR_RANK = np.full((4, 6, 6), -1, dtype=np.int64)
for _k, _ps in enumerate(_PAIRS):
    for _r, (_i, _j) in enumerate(_ps):
        _PAIR_RANK[_k, _i, _j] = _r
_PAIR_TABLE = [np.array(ps, dtype=np.int64) for ps in _PAIRS]
_NODE_BASE = np.array([len(ps) * N_OPS * N_OPS for ps in _PAIRS], dtype=np.int64)  # 49, 147, 294, 490
_NODE_RADIX = np.array([int(np.prod(_NODE_BASE[k + 1 :])) for k in range(4)], dtype=np.int64)
CELL_SIZE = int(np.prod(_NODE_BASE))  # 1,037,664,180
SIZE = CELL_SIZE * CELL_SIZE


class DartsSpace(Space):
    """The DARTS cell space of NAS-Bench-301 (normal + reduction cell).

    >>> s = DartsSpace()
    >>> a = s.sample(2, rng=0)
    >>> bool((s.from_index(s.index(a)) == a).all()), len(s.neighbours(a[:1])[0])
    (True, 120)
    """

    name = "darts"
    n_choices = np.array(
        [n for c in range(2) for k in range(4) for s in range(2) for n in (k + 2, N_OPS)], dtype=np.int64
    )
    position_names = tuple(
        f"{cell}_node{node}_{what}{s}" for cell in CELLS for node in NODES for s in range(2) for what in ("in", "op")
    )
    choice_names = tuple(
        names
        for c in range(2)
        for k in range(4)
        for s in range(2)
        for names in (tuple(str(i) for i in range(k + 2)), OPS)
    )
    string_formats = ("genotype", "compact", "config")
    ops = OPS

    @cached_property
    def size(self) -> int:  # type: ignore[override]
        return SIZE

    @property
    def finite(self) -> bool:
        return False

    @cached_property
    def diameter(self) -> int:
        return POSITIONS - 4  # node 2's canonical inputs are always (0, 1)

    # ---------------------------------------------------------------- validity
    def is_valid(self, archs) -> np.ndarray:
        a = self.as_archs(archs)
        ins = a[:, _IN_POS].reshape(-1, 8, 2)
        return self.in_range(a) & np.all(ins[:, :, 0] != ins[:, :, 1], axis=1)

    def canonicalize(self, archs) -> np.ndarray:
        a = self.as_archs(archs).copy()
        if not len(a):
            return a
        ins = a[:, _IN_POS].reshape(-1, 8, 2)
        swap = ins[:, :, 0] > ins[:, :, 1]  # (n, 8 nodes)
        rows, nodes = np.nonzero(swap)
        p0, p1 = _IN_POS[2 * nodes], _IN_POS[2 * nodes + 1]
        for off in (0, 1):  # swap input and op of the two slots
            t = a[rows, p0 + off].copy()
            a[rows, p0 + off] = a[rows, p1 + off]
            a[rows, p1 + off] = t
        return a

    # ---------------------------------------------------------------- index
    def _cell_index(self, a: np.ndarray, c: int) -> np.ndarray:
        out = np.zeros(len(a), dtype=np.int64)
        for k in range(4):
            base = 16 * c + 4 * k
            i0, o0, i1, o1 = (a[:, base + j].astype(np.int64) for j in range(4))
            code = _PAIR_RANK[k, i0, i1] * (N_OPS * N_OPS) + o0 * N_OPS + o1
            out += code * _NODE_RADIX[k]
        return out

    def index(self, archs) -> np.ndarray:
        """Bijective int64 index in ``[0, size)`` of each architecture (canonicalised first)."""
        a = self.validate(archs)
        return self._cell_index(a, 0) * CELL_SIZE + self._cell_index(a, 1)

    def from_index(self, idx) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= SIZE):
            raise InvalidArchitecture(f"darts: index out of range [0, {SIZE})")
        out = np.empty((len(idx), POSITIONS), dtype=ARCH_DTYPE)
        for c, cell in enumerate((idx // CELL_SIZE, idx % CELL_SIZE)):
            for k in range(4):
                code = (cell // _NODE_RADIX[k]) % _NODE_BASE[k]
                pair = _PAIR_TABLE[k][code // (N_OPS * N_OPS)]
                base = 16 * c + 4 * k
                out[:, base] = pair[:, 0]
                out[:, base + 1] = (code // N_OPS) % N_OPS
                out[:, base + 2] = pair[:, 1]
                out[:, base + 3] = code % N_OPS
        return out

    def enumerate(self) -> np.ndarray:
        raise InvalidConfig(f"darts has {SIZE:.3g} architectures: too many to enumerate")

    # a Product of allowed choices (op-pruning) is counted, sampled and listed node by node: _darts_product.py
    product_size = staticmethod(_dp.product_size)
    product_choice_mask = staticmethod(_dp.product_choice_mask)
    product_sample = staticmethod(_dp.product_sample)
    product_keys = staticmethod(_dp.product_keys)

    def sample(self, n: int, rng, replace: bool = True) -> np.ndarray:
        """Uniform over the ~1.08e18 canonical genotypes (uniform index)."""
        rng = as_rng(rng)
        n = int(n)
        if n < 0:
            raise InvalidConfig(f"n must be >= 0, got {n}")
        if not replace:
            return super().sample(n, rng, replace=False)
        return self.from_index(rng.integers(0, SIZE, size=n, dtype=np.int64))

    # ---------------------------------------------------------------- locality
    def _one_step(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(a)
        # 16 op positions x 6 other ops
        shifts = np.arange(1, N_OPS)
        pos = np.repeat(_OP_POS, len(shifts))
        sh = np.tile(shifts, len(_OP_POS))
        ops = np.repeat(a[:, None, :], len(pos), axis=1)
        j = np.arange(len(pos))
        ops[:, j, pos] = (ops[:, j, pos] + sh) % N_OPS
        # every slot to every input of its node; invalid / unchanged ones are dropped below
        slot_pos, new_in = [], []
        for sidx, p in enumerate(_IN_POS):
            for t in range(_N_INPUTS[sidx]):
                slot_pos.append(p)
                new_in.append(t)
        slot_pos, new_in = np.array(slot_pos), np.array(new_in)
        other = np.where(slot_pos % 4 == 0, slot_pos + 2, slot_pos - 2)
        rew = np.repeat(a[:, None, :], len(slot_pos), axis=1)
        j = np.arange(len(slot_pos))
        keep = (rew[:, j, slot_pos] != new_in) & (rew[:, j, other] != new_in)
        rew[:, j, slot_pos] = new_in
        cand = np.concatenate([ops, rew], axis=1)
        ok = np.concatenate([np.ones((n, len(pos)), bool), keep], axis=1)
        src = np.broadcast_to(np.arange(n)[:, None], ok.shape)[ok]
        return self.canonicalize(cand[ok]), src

    def neighbours(self, archs, radius: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """The 120 single edits (one op changed or one input re-wired) of each genotype, up to ``radius`` edits.

        >>> s = DartsSpace(); nb, src = s.neighbours(s.sample(3, rng=1))
        >>> nb.shape, bool(s.contains(nb).all())
        ((360, 32), True)
        """
        radius = int(radius)
        if radius < 1:
            raise InvalidConfig(f"radius must be >= 1, got {radius}")
        a = self.validate(archs)
        if radius == 1:
            return self._one_step(a)  # single edits are distinct and never the source
        # (src, index) pairs seen so far; rows of a structured view so np.unique/isin work on pairs
        src0 = np.arange(len(a), dtype=np.int64)
        seen = np.stack([src0, self._idx(a)], axis=1)
        front, fsrc, outs = a, src0, []
        for _ in range(radius):
            if not len(front):
                break
            nb, local = self._one_step(front)
            pairs = np.unique(np.stack([fsrc[local], self._idx(nb)], axis=1), axis=0)
            new = ~_rows_in(pairs, seen)
            pairs = pairs[new]
            seen = np.concatenate([seen, pairs])
            outs.append(pairs)
            front, fsrc = self.from_index(pairs[:, 1]), pairs[:, 0]
        allp = np.concatenate(outs) if outs else np.empty((0, 2), np.int64)
        allp = allp[np.lexsort((allp[:, 1], allp[:, 0]))]
        return self.from_index(allp[:, 1]), allp[:, 0]

    def _idx(self, canonical: np.ndarray) -> np.ndarray:
        return self._cell_index(canonical, 0) * CELL_SIZE + self._cell_index(canonical, 1)

    # ---------------------------------------------------------------- conversions
    def to_genotypes(self, archs) -> list[Genotype]:
        """DARTS ``Genotype`` namedtuples (slots in canonical order)."""
        out = []
        for r in self.validate(archs):
            cells = [[(OPS[int(r[p + 1])], int(r[p])) for p in _IN_POS[8 * c : 8 * c + 8]] for c in range(2)]
            out.append(Genotype(cells[0], list(CONCAT), cells[1], list(CONCAT)))
        return out

    def from_genotypes(self, genotypes) -> np.ndarray:
        """Canonical encodings of objects with ``.normal`` / ``.reduce`` lists of ``(op, input)``."""
        rows = []
        for g in genotypes:
            for f in ("normal_concat", "reduce_concat"):
                cc = getattr(g, f, CONCAT)
                if cc is not None and list(cc) != CONCAT:
                    raise InvalidArchitecture(f"darts: {f}={list(cc)} unsupported; NAS-Bench-301 uses {CONCAT}")
            rows.append(pairs_to_row([[(i, op) for op, i in g.normal], [(i, op) for op, i in g.reduce]]))
        return self.validate(np.array(rows, dtype=np.int64).reshape(-1, POSITIONS))

    def to_compact(self, archs) -> list[list[list[tuple[int, int]]]]:
        """NASLib compact form ``[[(input, op_index)] * 8, [(input, op_index)] * 8]``."""
        return [
            [[(int(r[p]), int(r[p + 1])) for p in _IN_POS[8 * c : 8 * c + 8]] for c in range(2)]
            for r in self.validate(archs)
        ]

    def to_configs(self, archs) -> list[dict[str, str]]:
        """NAS-Bench-301 ConfigSpace dictionaries (the ``NetworkSelectorDatasetInfo:darts:*`` entries).

        Edges of a cell are numbered 0..13: node 2 takes 0-1, node 3 takes 2-4, node 4 takes 5-8 and node 5 takes
        9-13, edge ``start(node) + input``; ``inputs_node_<cell>_<node>`` (nodes 3..5) is ``'i_j'`` with i < j.
        """
        return [row_to_config(r) for r in self.validate(archs)]

    def from_configs(self, configs) -> np.ndarray:
        """Canonical encodings of NAS-Bench-301 configuration dicts (other hyperparameters are ignored)."""
        rows = [pairs_to_row(config_to_cells(d)) for d in configs]
        return self.validate(np.array(rows, dtype=np.int64).reshape(-1, POSITIONS))

    # ---------------------------------------------------------------- strings
    def _parse(self, s: str) -> tuple[int, ...]:
        if s.startswith("{"):
            return tuple(self.from_configs([json.loads(s)])[0].tolist())
        if "normal" in s and "reduce" in s:
            return tuple(self.from_genotypes([parse_genotype(s)])[0].tolist())
        if s[:1] in "([":
            cells = ast.literal_eval(s)
            return tuple(pairs_to_row([list(c) for c in cells]))
        raise InvalidArchitecture(
            f"darts: cannot parse {s[:60]!r}; accepted formats: genotype \"Genotype(normal=[('sep_conv_3x3', 0), "
            f"...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])\", compact "
            f"'[[(input, op), ...8], [...8]]', config JSON with {CONFIG_PREFIX}* keys"
        )

    def _format(self, arch: np.ndarray, fmt: str) -> str:
        if fmt == "genotype":
            g = self.to_genotypes(arch[None, :])[0]
            return (
                f"Genotype(normal={g.normal}, normal_concat={g.normal_concat}, "
                f"reduce={g.reduce}, reduce_concat={g.reduce_concat})"
            )
        if fmt == "compact":
            return str(self.to_compact(arch[None, :])[0])
        return json.dumps(self.to_configs(arch[None, :])[0])


def _rows_in(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which rows of the (n, 2) int64 array ``a`` occur in ``b``."""
    if not len(b) or not len(a):
        return np.zeros(len(a), bool)
    dt = np.dtype([("s", np.int64), ("k", np.int64)])
    av = np.ascontiguousarray(a).view(dt).ravel()
    bv = np.ascontiguousarray(b).view(dt).ravel()
    return np.isin(av, bv)
