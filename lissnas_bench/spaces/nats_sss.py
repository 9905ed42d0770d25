"""NATS-Bench size search space (``sss``): the channel count of 5 layers, each one of 8, 16, ..., 64.

Canonical encoding: 5 ints, position ``i`` is the index of layer ``i``'s channel count in
``CHANNELS = (8, 16, 24, 32, 40, 48, 56, 64)``.  It is a plain product space: 8**5 = 32,768 architectures,
mixed-radix index, Hamming distance, 35 neighbours at radius 1.

String formats: ``"nats"`` (the NATS-Bench string ``'64:32:8:16:48'``) and ``"compact"`` (the 5 digits of the
encoding, ``'73015'``).

>>> from lissnas_bench.spaces import get_space
>>> s = get_space("nats-sss")
>>> a = s.from_strings("64:32:8:16:48")
>>> a.tolist(), s.to_strings(a, "compact"), s.size
([[7, 3, 0, 1, 5]], ['73015'], 32768)
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArchitecture
from ._base import Space

CHANNELS = (8, 16, 24, 32, 40, 48, 56, 64)
LAYERS = 5


class NATSSizeSpace(Space):
    """NATS-Bench sss: 5 layers x 8 channel counts.

    >>> NATSSizeSpace().to_strings([[0, 0, 0, 0, 0]])
    ['8:8:8:8:8']
    """

    name = "nats-sss"
    n_choices = np.full(LAYERS, len(CHANNELS), dtype=np.int64)
    position_names = tuple(f"channels_{i}" for i in range(LAYERS))
    choice_names = (tuple(str(c) for c in CHANNELS),) * LAYERS
    string_formats = ("nats", "compact")

    def _parse(self, s: str) -> tuple[int, ...]:
        if ":" in s:
            parts = [p.strip() for p in s.split(":")]
            if len(parts) != LAYERS:
                raise InvalidArchitecture(
                    f"nats-sss: {s!r} has {len(parts)} channel counts, expected {LAYERS} separated by ':'"
                )
            out = []
            for p in parts:
                if not p.isdigit() or int(p) not in CHANNELS:
                    raise InvalidArchitecture(
                        f"nats-sss: channel count {p!r} in {s!r} is not one of {', '.join(map(str, CHANNELS))}"
                    )
                out.append(CHANNELS.index(int(p)))
            return tuple(out)
        if s.isascii() and s.isdigit() and len(s) == LAYERS:
            vals = tuple(int(c) for c in s)
            if max(vals) < len(CHANNELS):
                return vals
        raise InvalidArchitecture(
            f"nats-sss: cannot parse {s!r}; accepted formats: nats 'C1:C2:C3:C4:C5' with C in "
            f"{', '.join(map(str, CHANNELS))}; compact five digits 0..7"
        )

    def _format(self, arch: np.ndarray, fmt: str) -> str:
        if fmt == "nats":
            return ":".join(str(CHANNELS[int(i)]) for i in arch)
        return "".join(str(int(i)) for i in arch)
