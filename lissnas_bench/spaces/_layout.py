"""The pieces of a MobileNet-style layout (``Op``, ``Block``, ``Layout``) and the latency look-up table: every
cost that is a sum over blocks is a ``(positions, max_choices)`` table, so a batch costs one gather and one sum.
Layouts themselves (``mobilenet_layout``, ``macro_layout``) and the spaces are in ``mobilenet.py``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import DataFileError, InvalidArchitecture, InvalidConfig

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
