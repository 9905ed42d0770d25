"""MobileNet-style layouts and the ``mobilenet`` search space (ProxylessNAS / SPOS mobile setting).

A :class:`Layout` describes a network as a stem, a sequence of blocks (searchable or fixed) and a head.  It
knows each block's input and output shapes, so every cost that is a sum over blocks -- multiply-adds, parameters,
latency from a look-up table -- is precomputed once as a ``(positions, max_choices)`` table; the cost of a batch
of architectures is then one gather and one sum.  No PyTorch is needed here; ``lissnas_bench.oneshot`` builds
the networks from the same layout.

The ``mobilenet`` space (224 px, width 1.0, 1000 classes)::

    stem       conv 3x3 s2, 3 -> 32                     224 -> 112
    fixed      MBConv expand 1, kernel 3, 32 -> 16      112
    stage 1    4 layers, 24 channels, first stride 2    112 -> 56
    stage 2    4 layers, 40 channels, first stride 2     56 -> 28
    stage 3    4 layers, 80 channels, first stride 2     28 -> 14
    stage 4    4 layers, 96 channels, stride 1           14
    stage 5    4 layers, 192 channels, first stride 2    14 -> 7
    stage 6    1 layer, 320 channels, stride 1            7
    head       conv 1x1 320 -> 1280, global pool, linear 1280 -> 1000

Each of the 21 searchable layers chooses an MBConv with kernel {3, 5, 7} x expansion {3, 6}
(choices 0..5: ``k3e3, k3e6, k5e3, k5e6, k7e3, k7e6``); the 15 layers that keep resolution and width may also
be skipped (choice 6, ``skip``).  So choice ``c < 6`` means the same operation at every layer.

>>> from lissnas_bench.spaces import get_space
>>> space = get_space("mobilenet")
>>> a = space.from_strings(["000000000000000000000"])      # every layer k3e3
>>> round(float(space.flops(a)[0]) / 1e6, 1)               # multiply-adds, millions
257.4
>>> space.to_strings(a, "ops")[0][:17]
'k3e3-k3e3-k3e3-k3'
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import InvalidArchitecture, InvalidConfig
from ._base import Space
from ._layout import IDENTITY, Block, LatencyLUT, Layout, Op, _block_key, mbconv  # noqa: F401 - public here too


# ----------------------------------------------------------------------------------------------- layouts


def make_divisible(v: float, divisor: int = 8) -> int:
    """Round a width to a multiple of ``divisor`` (the MobileNet rule: never below 90 % of ``v``)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new < 0.9 * v:
        new += divisor
    return int(new)


MOBILENET_OPS = (mbconv(3, 3), mbconv(3, 6), mbconv(5, 3), mbconv(5, 6), mbconv(7, 3), mbconv(7, 6))
# (channels, layers, first stride) of the 6 searchable stages (ProxylessNAS mobile / SPOS-style)
MOBILENET_STAGES = ((24, 4, 2), (40, 4, 2), (80, 4, 2), (96, 4, 1), (192, 4, 2), (320, 1, 1))


def mobilenet_layout(
    width_mult: float = 1.0, resolution: int = 224, num_classes: int = 1000, head_channels: int | None = None
) -> Layout:
    """The searchable ProxylessNAS-style MobileNetV2 layout (21 positions); see the module docstring."""
    _check_scale(width_mult, resolution, num_classes)
    stem = make_divisible(32 * width_mult)
    first = make_divisible(16 * width_mult)
    head = head_channels if head_channels is not None else (
        make_divisible(1280 * width_mult) if width_mult > 1.0 else 1280
    )
    size = (resolution - 1) // 2 + 1
    blocks = [Block("first", stem, first, 1, size, (mbconv(3, 1),), searchable=False)]
    cin, nominal_cin = first, 16
    for s, (c, n, stride) in enumerate(MOBILENET_STAGES, start=1):
        cout = make_divisible(c * width_mult)
        for j in range(n):
            st = stride if j == 0 else 1
            # where skip is a choice is decided at width 1.0, so every width has the same space
            ops = MOBILENET_OPS + ((IDENTITY,) if st == 1 and nominal_cin == c else ())
            b = Block(f"stage{s}.{j}", cin, cout, st, size, ops)
            blocks.append(b)
            size, cin, nominal_cin = b.size_out, cout, c
    return Layout("mobilenet", resolution, num_classes, stem, 2, tuple(blocks), head, "relu6")


def mobilenetv2_layout(width_mult: float = 1.0, resolution: int = 224, num_classes: int = 1000) -> Layout:
    """MobileNetV2 (Sandler et al. 2018) with no search: every block fixed (0 positions).  ~300 M MAdds at 1.0."""
    _check_scale(width_mult, resolution, num_classes)
    settings = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1))  # (expand, channels, repeats, first stride)
    stem = make_divisible(32 * width_mult)
    size, cin, blocks = (resolution - 1) // 2 + 1, stem, []
    for s, (t, c, n, stride) in enumerate(settings):
        cout = make_divisible(c * width_mult)
        for j in range(n):
            b = Block(f"block{s}.{j}", cin, cout, stride if j == 0 else 1, size, (mbconv(3, t),), searchable=False)
            blocks.append(b)
            size, cin = b.size_out, cout
    head = make_divisible(1280 * width_mult) if width_mult > 1.0 else 1280
    return Layout("mobilenetv2", resolution, num_classes, stem, 2, tuple(blocks), head, "relu6")


MACRO_OPS = (Op("identity", "identity"), mbconv(3, 3), mbconv(5, 6))


def macro_layout(
    width_mult: float = 1.0, resolution: int = 32, num_classes: int = 10, head_channels: int | None = None
) -> Layout:
    """NAS-Bench-Macro's CIFAR network (8 positions x {identity, MBConv e3 k3, MBConv e6 k5}).

    Stem conv 3x3 s1 to 32 channels; stages of 2, 3, 3 layers doubling the width (64, 128, 256) with a
    stride-2 first layer, whose "identity" is a strided 1x1 conv + BN; head conv 1x1 to 1280; ReLU.
    """
    _check_scale(width_mult, resolution, num_classes)
    stem = make_divisible(32 * width_mult)
    size, cin, blocks = resolution, stem, []
    for s, n in enumerate((2, 3, 3), start=1):
        cout = cin * 2
        for j in range(n):
            b = Block(f"stage{s}.{j}", cin, cout, 2 if j == 0 else 1, size, MACRO_OPS)
            blocks.append(b)
            size, cin = b.size_out, cout
    head = head_channels if head_channels is not None else 1280
    return Layout("nasbench-macro", resolution, num_classes, stem, 1, tuple(blocks), head, "relu")


def _check_scale(width_mult, resolution, num_classes):
    if not (isinstance(width_mult, (int, float)) and 0 < width_mult <= 4):
        raise InvalidConfig(f"width_mult must be in (0, 4], got {width_mult!r}")
    if not (isinstance(resolution, int) and 8 <= resolution <= 1024):
        raise InvalidConfig(f"resolution must be an int in [8, 1024], got {resolution!r}")
    if not (isinstance(num_classes, int) and num_classes >= 2):
        raise InvalidConfig(f"num_classes must be an int >= 2, got {num_classes!r}")


LAYOUTS = {"mobilenet": mobilenet_layout, "nasbench-macro": macro_layout}


def layout_for(space_name: str, **scale) -> Layout:
    """The layout behind a space name (``mobilenet`` or ``nasbench-macro``), optionally rescaled."""
    if space_name not in LAYOUTS:
        from ..errors import UnknownSpace

        raise UnknownSpace(space_name, sorted(LAYOUTS))
    return LAYOUTS[space_name](**{k: v for k, v in scale.items() if v is not None})


# ----------------------------------------------------------------------------------------------- spaces


class LayoutSpace(Space):
    """A product space whose positions are a layout's searchable blocks; knows its FLOPs, params, latency.

    String formats: ``digits`` (one digit per position, e.g. ``'0123...'``) and ``ops`` (choice names joined
    by ``-``, e.g. ``'k3e3-k5e6-...'``).
    """

    def __init__(self, layout: Layout, name: str | None = None):
        self.layout = layout
        self.name = name or layout.name
        self.n_choices = layout.n_choices.copy()
        self.position_names = tuple(layout.blocks[i].name for i in layout.searchable)
        self.choice_names = tuple(tuple(op.name for op in layout.blocks[i].ops) for i in layout.searchable)
        self.string_formats = ("digits", "ops")

    def _parse(self, s: str) -> tuple[int, ...]:
        if re.fullmatch(r"[0-9]+", s):
            if len(s) != self.positions:
                raise InvalidArchitecture(f"{self.name}: expected {self.positions} digits, got {len(s)} in {s!r}")
            return tuple(int(ch) for ch in s)
        names = [t for t in re.split(r"[-,\s]+", s) if t]
        if len(names) != self.positions:
            raise InvalidArchitecture(
                f"{self.name}: expected {self.positions} operation names, got {len(names)} in {s!r}"
            )
        out = []
        for p, n in enumerate(names):
            if n not in self.choice_names[p]:
                raise InvalidArchitecture(
                    f"{self.name}: position {self.position_names[p]} has no choice {n!r}; "
                    f"accepted: {', '.join(self.choice_names[p])}"
                )
            out.append(self.choice_names[p].index(n))
        return tuple(out)

    def _format(self, arch: np.ndarray, fmt: str) -> str:
        if fmt == "digits":
            return "".join(str(int(c)) for c in arch)
        return "-".join(self.choice_names[p][int(c)] for p, c in enumerate(arch))

    def flops(self, archs) -> np.ndarray:
        """Multiply-adds of each architecture (int64); see :meth:`Layout.flops`."""
        return self.layout.flops(self.as_archs(archs))

    def params(self, archs) -> np.ndarray:
        return self.layout.params(self.as_archs(archs))

    def latency(self, archs, lut) -> np.ndarray:
        """Latency estimate from a ProxylessNAS-format look-up table (path, mapping or :class:`LatencyLUT`)."""
        return self.layout.latency(self.as_archs(archs), lut)


class MobileNetSpace(LayoutSpace):
    """The ``mobilenet`` space: 21 layers, 6 or 7 choices each (about 2.2e16 architectures)."""

    def __init__(self):
        super().__init__(mobilenet_layout(), "mobilenet")
