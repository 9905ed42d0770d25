"""The DARTS / NAS-Bench-301 vocabulary of the ``darts`` space and conversions to and from it: op and cell
names, DARTS' ``Genotype``, NAS-Bench-301's ConfigSpace keys, and the ``(input, op)`` pair lists of NASLib.
``darts.py`` holds the encoding and the space; see its docstring.

>>> cells = [[(0, 3), (1, 3)] * 4, [(0, 0), (1, 0)] * 4]
>>> row_to_config(pairs_to_row(cells))[CONFIG_PREFIX + "edge_normal_0"]
'sep_conv_3x3'
"""

from __future__ import annotations

import ast
import re
from collections import namedtuple

from ..errors import InvalidArchitecture

OPS = ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
CELLS = ("normal", "reduce")
CONCAT = [2, 3, 4, 5]
N_OPS = len(OPS)
CONFIG_PREFIX = "NetworkSelectorDatasetInfo:darts:"

#: same field names as DARTS' and nasbench301's ``Genotype``, so either library accepts ours
Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")


def _gen_re(field: str) -> re.Pattern:
    return re.compile(field + r"\s*=\s*(\[[^\]]*\]|range\([^)]*\))")


_FIELD_RE = {f: _gen_re(f) for f in ("normal", "normal_concat", "reduce", "reduce_concat")}


def parse_genotype(s: str) -> Genotype:
    """The ``Genotype`` written in ``s`` (its ``repr``, or any text with ``normal=[...]`` and ``reduce=[...]``)."""
    fields = {}
    for f, rx in _FIELD_RE.items():
        m = rx.search(s)
        if m is None:
            if f.endswith("concat"):
                continue
            raise InvalidArchitecture(f"darts: genotype {s[:60]!r}... has no field {f}=[...]")
        txt = m.group(1)
        if txt.startswith("range"):
            fields[f] = list(range(*ast.literal_eval(txt[5:].rstrip(",)") + ")")))
        else:
            fields[f] = ast.literal_eval(txt)
    return Genotype(fields["normal"], fields.get("normal_concat"), fields["reduce"], fields.get("reduce_concat"))


def row_to_config(r) -> dict[str, str]:
    """The ``NetworkSelectorDatasetInfo:darts:*`` entries of one canonical row (see ``DartsSpace.to_configs``)."""
    d: dict[str, str] = {}
    for c, cell in enumerate(CELLS):
        start = 0
        for k in range(4):
            base = 16 * c + 4 * k
            i0, i1 = int(r[base]), int(r[base + 2])
            d[f"{CONFIG_PREFIX}edge_{cell}_{start + i0}"] = OPS[int(r[base + 1])]
            d[f"{CONFIG_PREFIX}edge_{cell}_{start + i1}"] = OPS[int(r[base + 3])]
            if k:
                d[f"{CONFIG_PREFIX}inputs_node_{cell}_{k + 2}"] = f"{i0}_{i1}"
            start += k + 2
    return d


def config_to_cells(d) -> list[list[tuple[int, str]]]:
    """The two lists of 8 ``(input, op name)`` pairs a NAS-Bench-301 configuration dict describes."""
    d = dict(d)
    cells = []
    for cell in CELLS:
        pairs, start = [], 0
        for k in range(4):
            node = k + 2
            present = [
                (i, d[f"{CONFIG_PREFIX}edge_{cell}_{start + i}"])
                for i in range(node)
                if f"{CONFIG_PREFIX}edge_{cell}_{start + i}" in d
            ]
            if len(present) != 2:
                raise InvalidArchitecture(
                    f"darts: config has {len(present)} edges into {cell} node {node} "
                    f"(keys {CONFIG_PREFIX}edge_{cell}_{start}..{start + node - 1}); expected exactly 2"
                )
            key = f"{CONFIG_PREFIX}inputs_node_{cell}_{node}"
            if k and key in d and d[key] != f"{present[0][0]}_{present[1][0]}":
                raise InvalidArchitecture(
                    f"darts: {key}={d[key]!r} disagrees with the edges present ({present[0][0]}_{present[1][0]})"
                )
            pairs.extend(present)
            start += node
        cells.append(pairs)
    return cells


def pairs_to_row(cells) -> list[int]:
    """Encoding of two lists of 8 ``(input, op)`` pairs (op as name or index)."""
    if len(cells) != 2:
        raise InvalidArchitecture(f"darts: expected a normal and a reduce cell, got {len(cells)} cells")
    enc = []
    for c, pairs in zip(CELLS, cells):
        pairs = list(pairs)
        if len(pairs) != 8:
            raise InvalidArchitecture(f"darts: the {c} cell has {len(pairs)} (input, op) pairs, expected 8")
        for j, pair in enumerate(pairs):
            i, op = pair
            if isinstance(op, str):
                if op not in OPS:
                    raise InvalidArchitecture(f"darts: unknown op {op!r}; accepted ops: {', '.join(OPS)}")
                op = OPS.index(op)
            i, op = int(i), int(op)
            node = 2 + j // 2
            if not 0 <= i < node:
                raise InvalidArchitecture(f"darts: {c} node {node} has input {i}; allowed inputs are 0..{node - 1}")
            if not 0 <= op < N_OPS:
                raise InvalidArchitecture(f"darts: op index {op} out of range 0..{N_OPS - 1}")
            enc += [i, op]
        for j in range(0, 8, 2):
            if pairs[j][0] == pairs[j + 1][0]:
                raise InvalidArchitecture(
                    f"darts: {c} node {2 + j // 2} takes input {pairs[j][0]} twice; the two inputs must differ"
                )
    return enc
