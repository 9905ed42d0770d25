"""NAS-Bench-201 / NATS-Bench topology space: a 4-node cell, 6 edges, 5 operations per edge.

Canonical encoding: 6 ints, one per edge in NB201 string order (0→1, 0→2, 1→2, 0→3, 1→3, 2→3), each an
index into the NATS-Bench op order ``none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3``.

String formats (all accepted by ``from_strings``, the first is the default of ``to_strings``):

* ``"nb201"``: ``|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|``
* ``"naslib"``: the NASLib / AnalogNAS-Bench 6-tuple ``"(2, 2, 0, 2, 2, 2)"``: edge order 0→1, 0→2, 0→3, 1→2,
  1→3, 2→3 and op order ``skip_connect, none, nor_conv_3x3, nor_conv_1x1, avg_pool_3x3``.
* ``"compact"``: the 6 digits of the canonical encoding, e.g. ``"333133"`` for the cell above.

>>> from lissnas_bench.spaces import get_space
>>> s = get_space("nb201")
>>> cell = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
>>> a = s.from_strings(cell)
>>> a.tolist(), s.to_strings(a, "compact"), s.to_strings(a, "naslib")
([[3, 3, 3, 1, 3, 3]], ['333133'], ['(2, 2, 0, 2, 2, 2)'])
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import InvalidArchitecture
from ._base import ARCH_DTYPE, Space

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: (source, target) node of each position, NB201 string order
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
NASLIB_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
NASLIB_EDGES = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))

# NASLib position j holds canonical position _NASLIB_PERM[j]; canonical op o is NASLib op _TO_NASLIB_OP[o].
# Both maps happen to be involutions, but they are built from the name tables so that stays an accident.
_NASLIB_PERM = np.array([EDGES.index(e) for e in NASLIB_EDGES], dtype=np.intp)
_TO_NASLIB_OP = np.array([NASLIB_OPS.index(o) for o in OPS], dtype=ARCH_DTYPE)
_FROM_NASLIB_OP = np.array([OPS.index(o) for o in NASLIB_OPS], dtype=ARCH_DTYPE)
_FROM_NASLIB_PERM = np.argsort(_NASLIB_PERM)

_TUPLE_RE = re.compile(r"^[(\[]?\s*(-?\d+(?:\s*,\s*-?\d+)*)\s*,?\s*[)\]]?$")


def to_naslib(archs) -> np.ndarray:
    """NASLib 6-tuples (edge and op order of NASLib / AnalogNAS-Bench) of canonical NB201 encodings.

    >>> to_naslib([[0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]]).tolist()
    [[1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]]
    """
    a = _check(archs, "canonical NB201 encoding")
    return _TO_NASLIB_OP[a[:, _NASLIB_PERM]]


def from_naslib(tuples) -> np.ndarray:
    """Canonical NB201 encodings of NASLib 6-tuples (inverse of ``to_naslib``).

    >>> from_naslib([[2, 2, 0, 2, 2, 2]]).tolist()
    [[3, 3, 3, 1, 3, 3]]
    """
    t = _check(tuples, "NASLib tuple")
    return _FROM_NASLIB_OP[t[:, _FROM_NASLIB_PERM]]


def _check(x, what: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[1] != 6:
        raise InvalidArchitecture(f"nb201: expected {what}s of shape (n, 6), got shape {np.shape(x)}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise InvalidArchitecture(f"nb201: {what}s must be integers, got dtype {a.dtype}")
    bad = (a < 0) | (a >= len(OPS))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InvalidArchitecture(
            f"nb201: {what} {a[r].tolist()} (row {r}) has op index {a[r, c]} at position {c}; "
            f"op indices are 0..{len(OPS) - 1}"
        )
    return a.astype(np.intp)


class NB201Space(Space):
    """The NB201 cell space: 5**6 = 15,625 architectures, 24 neighbours at radius 1.

    >>> NB201Space().from_strings("(0, 0, 0, 0, 0, 0)").tolist()   # NASLib: all skip_connect
    [[1, 1, 1, 1, 1, 1]]
    """

    name = "nb201"
    n_choices = np.full(6, len(OPS), dtype=np.int64)
    position_names = tuple(f"edge_{i}_{j}" for i, j in EDGES)
    choice_names = (OPS,) * 6
    string_formats = ("nb201", "naslib", "compact")

    to_naslib = staticmethod(to_naslib)
    from_naslib = staticmethod(from_naslib)

    # ---------------------------------------------------------------- strings
    def _parse(self, s: str) -> tuple[int, ...]:
        if s.startswith("|"):
            return self._parse_nb201(s)
        if s.isascii() and s.isdigit():
            return self._check_ints([int(c) for c in s], s, "compact", range(len(OPS)))
        m = _TUPLE_RE.match(s)
        if m and ("," in s or s[:1] in "(["):
            vals = [int(v) for v in m.group(1).split(",")]
            self._check_ints(vals, s, "naslib", range(len(NASLIB_OPS)))
            return tuple(int(v) for v in from_naslib(np.array(vals))[0])
        raise InvalidArchitecture(
            f"nb201: cannot parse {s!r}; accepted formats: nb201 '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' "
            f"with ops {', '.join(OPS)}; naslib '(i, i, i, i, i, i)' with i in 0..4; compact six digits 0..4"
        )

    @staticmethod
    def _check_ints(vals, s: str, fmt: str, allowed: range) -> tuple[int, ...]:
        if len(vals) != 6:
            raise InvalidArchitecture(f"nb201: {fmt} architecture {s!r} has {len(vals)} entries, expected 6")
        for i, v in enumerate(vals):
            if v not in allowed:
                raise InvalidArchitecture(
                    f"nb201: {fmt} architecture {s!r} has value {v} at position {i}; "
                    f"allowed values are {allowed.start}..{allowed.stop - 1}"
                )
        return tuple(vals)

    @staticmethod
    def _parse_nb201(s: str) -> tuple[int, ...]:
        nodes = s.split("+")
        if len(nodes) != 3:
            raise InvalidArchitecture(
                f"nb201: cell string {s!r} has {len(nodes)} node groups separated by '+', expected 3"
            )
        enc = {}
        for target, group in enumerate(nodes, start=1):
            g = group.strip()
            if not (g.startswith("|") and g.endswith("|")) or len(g) < 2:
                raise InvalidArchitecture(f"nb201: node group {g!r} of {s!r} must look like '|op~k|...|'")
            tokens = g[1:-1].split("|")
            if len(tokens) != target:
                raise InvalidArchitecture(
                    f"nb201: node {target} of {s!r} has {len(tokens)} input edges, expected {target} "
                    f"(one from each of nodes 0..{target - 1})"
                )
            for tok in tokens:
                op, sep, src = tok.strip().partition("~")
                if op not in OPS:
                    raise InvalidArchitecture(
                        f"nb201: unknown op {op!r} in {s!r}; accepted ops: {', '.join(OPS)}"
                    )
                if not sep or not src.strip().isdigit() or int(src) >= target:
                    raise InvalidArchitecture(
                        f"nb201: bad node index in {tok!r} of {s!r}: node {target} takes inputs "
                        f"'~0'..'~{target - 1}'"
                    )
                # inputs may be listed in any order, but each exactly once
                if (int(src), target) in enc:
                    raise InvalidArchitecture(f"nb201: edge {int(src)}->{target} appears twice in {s!r}")
                enc[(int(src), target)] = OPS.index(op)
        return tuple(enc[e] for e in EDGES)

    def _format(self, arch: np.ndarray, fmt: str) -> str:
        if fmt == "compact":
            return "".join(str(int(v)) for v in arch)
        if fmt == "naslib":
            return "(" + ", ".join(str(int(v)) for v in to_naslib(arch)[0]) + ")"
        groups = {t: [] for t in (1, 2, 3)}
        for (src, t), op in zip(EDGES, arch):
            groups[t].append(f"{OPS[int(op)]}~{src}")
        return "+".join("|" + "|".join(groups[t]) + "|" for t in (1, 2, 3))
