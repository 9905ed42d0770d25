"""Networks built from a :class:`~lissnas_bench.spaces.mobilenet.Layout`: the weight-sharing supernet and
stand-alone subnets.

The supernet holds every candidate operation of every searchable block; ``forward(x, arch)`` runs one path
(single-path one-shot, SPOS).  A stand-alone network (``arch`` given at construction) holds only the chosen
operations, under the *same* parameter names, so a subnet's weights can be copied out of the supernet with a
plain ``load_state_dict`` (see :func:`inherit_weights`) and its parameter count equals ``layout.params(arch)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._imports import optional_import

torch = optional_import("torch", "oneshot", "one-shot training")
nn = torch.nn

from ..spaces.mobilenet import Block, Layout, Op  # noqa: E402


def _act(name: str) -> nn.Module:
    return nn.ReLU6(inplace=True) if name == "relu6" else nn.ReLU(inplace=True)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand (skipped when expand = 1), kxk depthwise, 1x1 linear projection; a
    residual connection where the block keeps its shape."""

    def __init__(self, cin: int, cout: int, stride: int, kernel: int, expand: int, act: str):
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), _act(act)]
        layers += [
            nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            _act(act),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.conv(x)
        return x + y if self.residual else y


class Skip(nn.Module):
    """Identity; a strided 1x1 conv + BN where the block changes shape (NAS-Bench-Macro's down-sampling)."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x if self.proj is None else self.proj(x)


def make_op(block: Block, op: Op, act: str) -> nn.Module:
    if op.kind == "identity":
        return Skip(block.cin, block.cout, block.stride)
    return MBConv(block.cin, block.cout, block.stride, op.kernel, op.expand, act)


class ChoiceBlock(nn.Module):
    """The candidate operations of one block, keyed by choice index."""

    def __init__(self, block: Block, act: str, choices: Sequence[int]):
        super().__init__()
        self.ops = nn.ModuleDict({str(c): make_op(block, block.ops[c], act) for c in choices})

    def forward(self, x, choice: int):
        return self.ops[str(choice)](x)


class Supernet(nn.Module):
    """All paths of ``layout`` (``arch=None``), or the stand-alone network of one architecture.

    ``choices``: optionally, the allowed choice indices per position (e.g. a ``Product`` shrunk space), to
    build only those operations.
    """

    def __init__(self, layout: Layout, arch=None, dropout: float = 0.0, choices=None):
        super().__init__()
        self.layout = layout
        self.fixed_arch = None if arch is None else tuple(int(c) for c in np.asarray(arch).reshape(-1))
        if self.fixed_arch is not None:
            layout.ops_of(self.fixed_arch)  # validates
        act = layout.activation
        self.stem = nn.Sequential(
            nn.Conv2d(3, layout.stem_channels, layout.stem_kernel, layout.stem_stride, layout.stem_kernel // 2,
                      bias=False),
            nn.BatchNorm2d(layout.stem_channels),
            _act(act),
        )
        blocks, p = [], 0
        for b in layout.blocks:
            if not b.searchable:
                chosen: Sequence[int] = (0,)
            elif self.fixed_arch is not None:
                chosen = (self.fixed_arch[p],)
            elif choices is not None:
                chosen = sorted(int(c) for c in choices[p])
            else:
                chosen = range(len(b.ops))
            p += int(b.searchable)
            blocks.append(ChoiceBlock(b, act, chosen))
        self.blocks = nn.ModuleList(blocks)
        if layout.head_channels:
            self.head = nn.Sequential(
                nn.Conv2d(layout.final_channels, layout.head_channels, 1, bias=False),
                nn.BatchNorm2d(layout.head_channels),
                _act(act),
            )
        else:
            self.head = nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.classifier = nn.Linear(layout.features, layout.num_classes)

    @property
    def is_supernet(self) -> bool:
        return self.fixed_arch is None

    def forward(self, x, arch=None):
        if arch is None:
            arch = self.fixed_arch
            if arch is None:
                raise ValueError("a supernet needs an architecture: model(x, arch)")
        x = self.stem(x)
        p = 0
        for b, m in zip(self.layout.blocks, self.blocks):
            if b.searchable:
                x = m(x, int(arch[p]))
                p += 1
            else:
                x = m(x, 0)
        x = self.pool(self.head(x)).flatten(1)
        return self.classifier(self.dropout(x))

    def reset_parameters(self, generator=None) -> None:
        """MobileNet initialisation, drawn from ``generator`` (a ``torch.Generator``; never global state)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
                m.reset_running_stats()
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01, generator=generator)
                nn.init.zeros_(m.bias)


def build_network(layout: Layout, arch=None, *, seed: int = 0, dropout: float = 0.0, choices=None) -> Supernet:
    """A supernet (``arch=None``) or a stand-alone network, initialised from ``seed``.

    >>> from lissnas_bench.spaces.mobilenet import mobilenet_layout
    >>> layout = mobilenet_layout(width_mult=0.25, resolution=32, num_classes=10, head_channels=64)
    >>> net = build_network(layout, [0] * 21)
    >>> sum(p.numel() for p in net.parameters()) == int(layout.params([0] * 21)[0])
    True
    """
    g = torch.Generator().manual_seed(int(seed))
    net = Supernet(layout, arch, dropout=dropout, choices=choices)
    net.reset_parameters(g)
    return net


def inherit_weights(standalone: Supernet, supernet: Supernet) -> Supernet:
    """Copy the supernet's weights (and BN buffers) of the stand-alone network's path into it."""
    own = standalone.state_dict()
    src = supernet.state_dict()
    standalone.load_state_dict({k: src[k] for k in own}, strict=True)
    return standalone
