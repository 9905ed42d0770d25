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

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import DataFileError, InvalidArchitecture, InvalidConfig
from ._base import Space

# ----------------------------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Op:
    """One candidate operation of a block: an inverted-residual ``mbconv`` or an ``identity``.

    An identity in a block that changes resolution or width is a 1x1 convolution with stride and batch norm
    (NAS-Bench-Macro's down-sampling "identity"); where the shape is kept it costs nothing.
    """

    name: str
    kind: str  # "mbconv" | "identity"
    kernel: int = 0
    expand: int = 0

    def __post_init__(self):
        if self.kind not in ("mbconv", "identity"):
            raise InvalidConfig(f"op kind must be 'mbconv' or 'identity', got {self.kind!r}")


def mbconv(kernel: int, expand: int, name: str | None = None) -> Op:
    return Op(name or f"k{kernel}e{expand}", "mbconv", kernel, expand)


IDENTITY = Op("skip", "identity")


@dataclass(frozen=True)
class Block:
    """A block at a fixed place in the network: its input/output shape and its candidate operations."""

    name: str
    cin: int
    cout: int
    stride: int
    size_in: int  # input height (= width)
    ops: tuple[Op, ...]
    searchable: bool = True

    @property
    def size_out(self) -> int:
        # conv with padding k // 2 and odd k: floor((H - 1) / s) + 1
        return (self.size_in - 1) // self.stride + 1

    @property
    def keeps_shape(self) -> bool:
        return self.stride == 1 and self.cin == self.cout


@dataclass(frozen=True)
class Layout:
    """A stem, blocks and a head; costs are sums over blocks of per-choice tables."""

    name: str
    resolution: int
    num_classes: int
    stem_channels: int
    stem_stride: int
    blocks: tuple[Block, ...]
    head_channels: int  # 0: no 1x1 head convolution
    activation: str = "relu6"  # "relu6" | "relu"
    stem_kernel: int = 3

    # ------------------------------------------------------------------ structure
    @cached_property
    def searchable(self) -> tuple[int, ...]:
        """Indices into ``blocks`` of the searchable blocks (= the architecture's positions)."""
        return tuple(i for i, b in enumerate(self.blocks) if b.searchable)

    @cached_property
    def n_choices(self) -> np.ndarray:
        return np.array([len(self.blocks[i].ops) for i in self.searchable], dtype=np.int64)

    @property
    def positions(self) -> int:
        return len(self.searchable)

    @property
    def stem_size_out(self) -> int:
        return (self.resolution - 1) // self.stem_stride + 1

    @property
    def final_size(self) -> int:
        return self.blocks[-1].size_out if self.blocks else self.stem_size_out

    @property
    def final_channels(self) -> int:
        return self.blocks[-1].cout if self.blocks else self.stem_channels

    @property
    def features(self) -> int:
        """Width of the vector fed to the classifier."""
        return self.head_channels or self.final_channels

    def ops_of(self, arch) -> list[Op]:
        """The operation of every block (fixed blocks included) for one architecture."""
        arch = [int(c) for c in np.asarray(arch).reshape(-1)]
        if len(arch) != self.positions:
            raise InvalidArchitecture(f"{self.name}: expected {self.positions} choices, got {len(arch)}")
        out, it = [], iter(arch)
        for b in self.blocks:
            c = next(it) if b.searchable else 0
            if not 0 <= c < len(b.ops):
                raise InvalidArchitecture(f"{self.name}: block {b.name} has {len(b.ops)} choices, got {c}")
            out.append(b.ops[c])
        return out

    # ------------------------------------------------------------------ per-op costs
    @staticmethod
    def _op_cost(b: Block, op: Op) -> tuple[int, int]:
        """(multiply-adds, parameters) of ``op`` in block ``b``; BN counts 2 parameters per channel."""
        hi, ho = b.size_in, b.size_out
        if op.kind == "identity":
            if b.keeps_shape:
                return 0, 0
            return ho * ho * b.cin * b.cout, b.cin * b.cout + 2 * b.cout
        hidden = b.cin * op.expand
        macs = params = 0
        if op.expand != 1:
            macs += hi * hi * b.cin * hidden
            params += b.cin * hidden + 2 * hidden
        macs += ho * ho * hidden * op.kernel**2
        params += hidden * op.kernel**2 + 2 * hidden
        macs += ho * ho * hidden * b.cout
        params += hidden * b.cout + 2 * b.cout
        return macs, params

    def _fixed_cost(self) -> tuple[int, int]:
        s = self.stem_size_out
        macs = s * s * 3 * self.stem_channels * self.stem_kernel**2
        params = 3 * self.stem_channels * self.stem_kernel**2 + 2 * self.stem_channels
        for b in self.blocks:
            if not b.searchable:
                m, p = self._op_cost(b, b.ops[0])
                macs, params = macs + m, params + p
        f = self.final_size
        if self.head_channels:
            macs += f * f * self.final_channels * self.head_channels
            params += self.final_channels * self.head_channels + 2 * self.head_channels
        macs += self.features * self.num_classes
        params += self.features * self.num_classes + self.num_classes
        return macs, params

    @cached_property
    def _cost_tables(self) -> tuple[int, int, np.ndarray, np.ndarray]:
        k = int(self.n_choices.max()) if self.positions else 1
        flops = np.zeros((self.positions, k), np.int64)
        params = np.zeros((self.positions, k), np.int64)
        for p, i in enumerate(self.searchable):
            for c, op in enumerate(self.blocks[i].ops):
                flops[p, c], params[p, c] = self._op_cost(self.blocks[i], op)
        f0, p0 = self._fixed_cost()
        return f0, p0, flops, params

    def _gather(self, table: np.ndarray, archs) -> np.ndarray:
        a = np.asarray(archs, dtype=np.int64)
        if a.ndim == 1:
            a = a[None, :]
        if a.shape[1] != self.positions:
            raise InvalidArchitecture(f"{self.name}: expected shape (n, {self.positions}), got {a.shape}")
        if a.size and ((a < 0).any() or (a >= self.n_choices).any()):
            raise InvalidArchitecture(f"{self.name}: choice out of range; choices are {self.n_choices.tolist()}")
        return table[np.arange(self.positions), a].sum(axis=1)

    def flops(self, archs) -> np.ndarray:
        """Multiply-adds (convolutions and the classifier; BN, activations and pooling not counted), int64."""
        f0, _, table, _ = self._cost_tables
        return f0 + self._gather(table, archs)

    def params(self, archs) -> np.ndarray:
        """Trainable parameters of the stand-alone network (conv and linear weights, linear bias, BN affine)."""
        _, p0, _, table = self._cost_tables
        return p0 + self._gather(table, archs)

    # ------------------------------------------------------------------ latency look-up table
    def _latency_keys(self) -> tuple[list[str], list[list[str | None]]]:
        """ProxylessNAS look-up-table keys: fixed ones, and one per (position, choice) (None = free)."""
        r, s = self.resolution, self.stem_size_out
        fixed = [f"Conv-input:{r}x{r}x3-output:{s}x{s}x{self.stem_channels}"]
        per_pos: list[list[str | None]] = []
        for b in self.blocks:
            keys = [_block_key(b, op) for op in b.ops]
            if b.searchable:
                per_pos.append(keys)
            elif keys[0] is not None:
                fixed.append(keys[0])
        f, c = self.final_size, self.final_channels
        if self.head_channels:
            fixed.append(f"Conv_1-input:{f}x{f}x{c}-output:{f}x{f}x{self.head_channels}")
        fixed.append(f"Logits-input:{f}x{f}x{self.features}-output:{self.num_classes}")
        return fixed, per_pos

    def latency_keys(self) -> list[str]:
        """Every key a look-up table must hold to estimate latencies in this layout."""
        fixed, per_pos = self._latency_keys()
        return list(dict.fromkeys(fixed + [k for ks in per_pos for k in ks if k is not None]))

    def latency(self, archs, lut: LatencyLUT | str | Path | Mapping) -> np.ndarray:
        """Latency estimate (the LUT's unit, ms for ProxylessNAS tables): the sum of block means."""
        lut = lut if isinstance(lut, LatencyLUT) else LatencyLUT.load(lut)
        fixed, table = lut.tables(self)
        return fixed + self._gather(table, archs)


def _block_key(b: Block, op: Op) -> str | None:
    hi, ho = b.size_in, b.size_out
    io = f"input:{hi}x{hi}x{b.cin}-output:{ho}x{ho}x{b.cout}"
    if op.kind == "identity":
        # a shape-keeping skip costs nothing; a down-sampling "identity" is a strided 1x1 conv
        return None if b.keeps_shape else f"Conv1x1-{io}-stride:{b.stride}"
    return f"expanded_conv-{io}-expand:{op.expand}-kernel:{op.kernel}-stride:{b.stride}-idskip:{int(b.keeps_shape)}"


class LatencyLUT:
    """A ProxylessNAS-format latency look-up table: ``{key: {count, mean, var}}`` (YAML or JSON), or plain
    ``{key: mean}``.

    >>> lut = LatencyLUT({"Conv-input:224x224x3-output:112x112x32": {"count": 1, "mean": 4.4, "var": 0.1}})
    >>> lut["Conv-input:224x224x3-output:112x112x32"]
    4.4
    """

    def __init__(self, entries: Mapping, source: str = "latency table"):
        self.source = source
        self.means: dict[str, float] = {}
        for k, v in entries.items():
            mean = v.get("mean") if isinstance(v, Mapping) else v
            if isinstance(mean, bool) or not isinstance(mean, (int, float)) or not math.isfinite(mean):
                raise DataFileError(f"{source}: entry {k!r} has no numeric 'mean' (got {v!r})")
            self.means[str(k)] = float(mean)
        self._cache: dict[Layout, tuple[float, np.ndarray]] = {}

    @classmethod
    def load(cls, src) -> LatencyLUT:
        if isinstance(src, LatencyLUT):
            return src
        if isinstance(src, Mapping):
            return cls(src)
        path = Path(src)
        if not path.is_file():
            raise DataFileError(f"latency table {str(path)!r} does not exist")
        try:
            import yaml  # pyyaml is a core dependency; YAML is a superset of JSON

            data = yaml.safe_load(path.read_text())
        except Exception as exc:  # noqa: BLE001 - any parse error is a data-file error
            raise DataFileError(f"latency table {str(path)!r} is not valid YAML/JSON: {exc}") from exc
        if not isinstance(data, Mapping) or not data:
            raise DataFileError(f"latency table {str(path)!r} must be a non-empty mapping of key -> {{mean: ...}}")
        return cls(data, source=f"latency table {str(path)!r}")

    def __getitem__(self, key: str) -> float:
        return self.means[key]

    def __len__(self) -> int:
        return len(self.means)

    def tables(self, layout: Layout) -> tuple[float, np.ndarray]:
        key = layout
        if key not in self._cache:
            fixed_keys, per_pos = layout._latency_keys()
            needed = fixed_keys + [k for ks in per_pos for k in ks if k is not None]
            missing = [k for k in dict.fromkeys(needed) if k not in self.means]
            if missing:
                shown = ", ".join(missing[:5]) + (f", ... ({len(missing)} in all)" if len(missing) > 5 else "")
                raise DataFileError(f"{self.source} lacks keys for layout {layout.name!r}: {shown}")
            k = int(layout.n_choices.max()) if layout.positions else 1
            table = np.zeros((layout.positions, k), np.float64)
            for p, ks in enumerate(per_pos):
                for c, name in enumerate(ks):
                    table[p, c] = 0.0 if name is None else self.means[name]
            self._cache[key] = (float(sum(self.means[n] for n in fixed_keys)), table)
        return self._cache[key]


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
