"""NAS-Bench-Macro: a MobileNetV2-style macro space of 8 searchable layers with 3 choices each (3**8 = 6,561).

Canonical encoding: one int per layer, ``0`` identity, ``1`` MBConv expand 3 kernel 3, ``2`` MBConv expand 6
kernel 5 -- the digits of the benchmark's own keys, so the single string format ``"macro"`` is that key.

>>> from lissnas_bench.spaces import get_space
>>> s = get_space("nasbench-macro")
>>> a = s.from_strings("22212220")
>>> a.tolist(), s.to_strings(a), s.size
([[2, 2, 2, 1, 2, 2, 2, 0]], ['22212220'], 6561)
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArchitecture
from ._base import Space

CHOICES = ("identity", "mbconv_e3_k3", "mbconv_e6_k5")
LAYERS = 8


class MacroSpace(Space):
    """NAS-Bench-Macro's 8-layer, 3-choice space.

    >>> MacroSpace().to_strings([[0, 1, 2, 0, 1, 2, 0, 1]])
    ['01201201']
    """

    name = "nasbench-macro"
    n_choices = np.full(LAYERS, len(CHOICES), dtype=np.int64)
    position_names = tuple(f"layer_{i}" for i in range(1, LAYERS + 1))
    choice_names = (CHOICES,) * LAYERS
    string_formats = ("macro",)

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
