"""The ``mobilenet`` space and the layouts behind it: structure, strings, analytic FLOPs/params, latency tables."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from lissnas_bench.errors import DataFileError, InvalidArchitecture
from lissnas_bench.spaces import get_space
from lissnas_bench.spaces.mobilenet import (
    LatencyLUT,
    LayoutSpace,
    macro_layout,
    mobilenet_layout,
    mobilenetv2_layout,
)

from conftest import shared_file


@pytest.fixture(scope="module")
def space():
    return get_space("mobilenet")


def test_structure(space):
    assert space.positions == 21
    # the first layer of each of the 6 stages changes shape: 6 choices; the 15 others may also be skipped
    assert sorted(space.n_choices.tolist()) == [6] * 6 + [7] * 15
    assert space.size == 6**6 * 7**15
    assert not space.finite
    layout = space.layout
    assert [b.cout for b in layout.blocks if b.searchable][::4][:5] == [24, 40, 80, 96, 192]
    assert layout.final_size == 7 and layout.final_channels == 320 and layout.head_channels == 1280
    for p, i in enumerate(layout.searchable):
        b = layout.blocks[i]
        assert (space.n_choices[p] == 7) == b.keeps_shape
        assert space.choice_names[p][:6] == ("k3e3", "k3e6", "k5e3", "k5e6", "k7e3", "k7e6")


def test_strings_round_trip(space):
    rng = np.random.default_rng(0)
    a = space.sample(50, rng)
    for fmt in space.string_formats:
        assert np.array_equal(space.from_strings(space.to_strings(a, fmt)), a)
    with pytest.raises(InvalidArchitecture):
        space.from_strings(["7" * 21])  # skip is not a choice of the first layer
    with pytest.raises(InvalidArchitecture):
        space.from_strings(["0" * 20])
    with pytest.raises(InvalidArchitecture, match="no choice 'k9e9'"):
        space.from_strings(["-".join(["k9e9"] * 21)])


def test_neighbours_and_distance(space):
    a = space.sample(3, np.random.default_rng(1))
    nb, src = space.neighbours(a)
    assert len(nb) == 3 * int((space.n_choices - 1).sum())
    assert np.all(space.contains(nb))
    assert np.all(space.distance(a[src], nb).diagonal() == 1)
    assert np.all(space.distance(a[0], a) == (a != a[0]).sum(axis=1))


def test_mobilenetv2_flops_match_published():
    # MobileNetV2-1.0 at 224 px: "300M" multiply-adds and 3.4-3.5 M parameters (Sandler et al. 2018)
    layout = mobilenetv2_layout()
    none = np.zeros((1, 0), np.int64)
    flops = int(layout.flops(none)[0])
    assert abs(flops / 300e6 - 1) < 0.03
    assert flops == 300_774_272
    assert int(layout.params(none)[0]) == 3_504_872  # torchvision's count, BN affine included


def test_vectorised_costs_equal_per_arch_sum(space):
    a = space.sample(20, np.random.default_rng(2))
    f, p = space.flops(a), space.params(a)
    layout = space.layout
    for i in range(len(a)):
        ops = layout.ops_of(a[i])
        mf, mp = layout._fixed_cost()
        for b, op in zip(layout.blocks, ops):
            if b.searchable:
                x, y = layout._op_cost(b, op)
                mf, mp = mf + x, mp + y
        assert (f[i], p[i]) == (mf, mp)
    lo, hi = space.flops([[0] * 21]), space.flops([[5] * 21])
    assert 200e6 < lo[0] < hi[0] < 700e6  # the mobile regime around the 600 M limit


def test_macro_layout_matches_nas_bench_macro():
    # NAS-Bench-Macro's own counts for architecture 02012100 (from its JSON file)
    layout = macro_layout()
    a = get_space("nasbench-macro").from_strings(["02012100"])
    assert int(layout.params(a)[0]) == 890_666
    assert int(layout.flops(a)[0]) == 47_327_744


@pytest.mark.shared
def test_macro_layout_matches_every_benchmark_row():
    import json

    data = json.loads(shared_file("macro/nas-bench-macro_cifar10.json").read_text())
    space = get_space("nasbench-macro")
    keys = sorted(data)
    a = space.from_strings(keys)
    layout = macro_layout()
    assert np.array_equal(layout.params(a), [data[k]["params"] for k in keys])
    assert np.array_equal(layout.flops(a), [data[k]["flops"] for k in keys])


def _tiny_lut(layout, seed=0):
    """A look-up table in the ProxylessNAS format with made-up means, one entry per key the layout needs."""
    rng = np.random.default_rng(seed)
    lines = []
    means = {}
    for k in layout.latency_keys():
        m = float(np.round(rng.uniform(0.1, 3.0), 3))
        means[k] = m
        lines.append(f"{k}:\n  count: 10\n  mean: {m}\n  var: 0.01\n")
    return "".join(lines), means


def test_latency_from_lut_fixture(tmp_path, space):
    text, means = _tiny_lut(space.layout)
    path = tmp_path / "lut.yaml"
    path.write_text(text)
    a = space.from_strings(["0" * 21, "5" + "6" * 3 + "5" + "6" * 3 + "5" + "6" * 3 + "5" + "6" * 3 + "5" + "6" * 3 + "5"])
    lat = space.latency(a, path)
    # by hand: stem + fixed first block + head + logits + one key per searchable layer (skip = 0)
    layout = space.layout
    fixed = sum(means[k] for k in layout.latency_keys() if not k.startswith("expanded_conv") or "expand:1-" in k)
    blocks0 = sum(means[layout._latency_keys()[1][p][0]] for p in range(21))
    assert lat[0] == pytest.approx(fixed + blocks0)
    firsts = [p for p in range(21) if space.n_choices[p] == 6]
    blocks1 = sum(means[layout._latency_keys()[1][p][5]] for p in firsts)
    assert lat[1] == pytest.approx(fixed + blocks1)
    assert "Conv-input:224x224x3-output:112x112x32" in means
    assert "Logits-input:7x7x1280-output:1000" in means
    assert "expanded_conv-input:112x112x16-output:56x56x24-expand:3-kernel:3-stride:2-idskip:0" in means
    # a table missing a key says which
    path.write_text(text.split("expanded_conv")[0])
    with pytest.raises(DataFileError, match="lacks keys"):
        space.latency(a, path)
    with pytest.raises(DataFileError, match="does not exist"):
        space.latency(a, tmp_path / "nope.yaml")
    path.write_text("Conv-input:1x1x3-output:1x1x3: {count: 1}\n")
    with pytest.raises(DataFileError, match="numeric 'mean'"):
        LatencyLUT.load(path)


@pytest.mark.shared
def test_latency_with_pixel1_table(space):
    lut = LatencyLUT.load(shared_file("hardware/proxylessnas_pixel1_latency_lut.yaml"))
    a = space.sample(100, np.random.default_rng(3))
    lat = space.latency(a, lut)
    assert np.all((lat > 30) & (lat < 250))  # Pixel 1, milliseconds
    # more expensive choices are slower: all-k7e6 vs all-k3e3
    slow, fast = space.latency([[5] * 21, [0] * 21], lut)
    assert slow > fast


def test_scaled_layouts_keep_the_space():
    full = mobilenet_layout()
    for w, r in [(0.25, 32), (0.5, 64), (1.4, 224)]:
        small = mobilenet_layout(width_mult=w, resolution=r, num_classes=10)
        assert np.array_equal(small.n_choices, full.n_choices)
    s = LayoutSpace(macro_layout(width_mult=0.5), "nasbench-macro")
    assert s.size == 3**8


def test_core_imports_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import numpy as np\n"
        "from lissnas_bench.spaces import get_space\n"
        "s = get_space('mobilenet'); print(int(s.flops(s.sample(2, 0)).min() > 0))\n"
        "import lissnas_bench.oneshot as o\n"
        "cfg = o.load_config({'train': {'steps': 1}})\n"
        "try:\n"
        "    o.train_supernet\n"
        "except Exception as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "1"
    assert "MissingDependency" in out.stdout and "lissnas-bench[oneshot]" in out.stdout


# ------------------------------------------------------------------------------------------ FLOP counters


def _subnets(layout, n, seed):
    space = LayoutSpace(layout)
    return space.sample(n, np.random.default_rng(seed))


def test_flops_match_torch_flop_counter():
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from lissnas_bench.oneshot.model import build_network

    for layout in (mobilenet_layout(width_mult=0.5, resolution=64, num_classes=10),
                   macro_layout(width_mult=0.25, resolution=32, head_channels=64)):
        for arch in _subnets(layout, 3, 0):
            net = build_network(layout, arch).eval()
            with torch.no_grad(), FlopCounterMode(display=False) as fc:
                net(torch.zeros(1, 3, layout.resolution, layout.resolution))
            assert fc.get_total_flops() == 2 * int(layout.flops(arch[None])[0])  # FLOPs = 2 x multiply-adds
            assert sum(p.numel() for p in net.parameters()) == int(layout.params(arch[None])[0])


def test_flops_match_thop_on_sampled_networks():
    torch = pytest.importorskip("torch")
    thop = pytest.importorskip("thop", reason="thop (FLOP counter) is not installed")
    from lissnas_bench.oneshot.model import build_network

    nn = torch.nn

    def zero(m, x, y):  # count only multiply-adds of convolutions and the classifier
        m.total_ops += torch.zeros(1, dtype=torch.float64)

    ignore = {nn.BatchNorm2d: zero, nn.AdaptiveAvgPool2d: zero, nn.ReLU6: zero, nn.ReLU: zero, nn.Dropout: zero}
    full = mobilenet_layout()
    cases = [(full, a) for a in _subnets(full, 2, 1)]
    cases += [(mobilenetv2_layout(), np.zeros(0, np.int64))]
    small = mobilenet_layout(width_mult=0.35, resolution=96, num_classes=100)
    cases += [(small, a) for a in _subnets(small, 3, 2)]
    for layout, arch in cases:
        net = build_network(layout, arch).eval()
        macs, params = thop.profile(net, inputs=(torch.zeros(1, 3, layout.resolution, layout.resolution),),
                                    custom_ops=ignore, verbose=False)
        assert int(macs) == int(layout.flops(arch[None])[0])
        assert int(params) == int(layout.params(arch[None])[0])
