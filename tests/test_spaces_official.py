"""The spaces of the official benchmarks: nb101 (hash, pruning, canonical form), darts (NB301), nats-sss."""

from __future__ import annotations

import ast
import importlib.util
import itertools
import json
from importlib import metadata

import numpy as np
import pytest

from conftest import shared_file
from lissnas_bench.errors import InvalidArchitecture, InvalidConfig
from lissnas_bench.spaces import get_space
from lissnas_bench.spaces.darts import CELL_SIZE, CONFIG_PREFIX, SIZE, Genotype

# A cell of the official NAS-Bench-101 dataset and its published module hash (the dataset's first row in hash
# order; the same spec/hash pair appears in several public NB101 tools' tests and docs).
KNOWN_MATRIX = [
    [0, 1, 0, 0, 1, 1, 0],
    [0, 0, 1, 0, 0, 0, 0],
    [0, 0, 0, 1, 0, 0, 1],
    [0, 0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0],
]
KNOWN_OPS = ["input", "conv3x3-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"]
KNOWN_HASH = "00005c142e6f48ac74fdcf73e3439874"

DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
    "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)


@pytest.fixture(scope="module")
def nb101():
    return get_space("nb101")


@pytest.fixture(scope="module")
def darts():
    return get_space("darts")


@pytest.fixture(scope="module")
def sss():
    return get_space("nats-sss")


def _permute(matrix, ops, perm):
    """Relabel interior vertices: new vertex perm[v] is old vertex v (keeps input/output fixed)."""
    m = np.asarray(matrix)
    n = len(ops)
    p = [0, *perm, n - 1]
    inv = np.argsort(p)
    return m[np.ix_(inv, inv)], [ops[i] for i in inv]


# ---------------------------------------------------------------------------------------------------- nats-sss
def test_sss_basics(sss):
    assert sss.size == 32768 and sss.finite and sss.positions == 5
    a = sss.from_strings(["64:32:8:16:48", "8:8:8:8:8"])
    assert a.tolist() == [[7, 3, 0, 1, 5], [0] * 5]
    assert sss.to_strings(a) == ["64:32:8:16:48", "8:8:8:8:8"]
    assert (sss.from_strings(sss.to_strings(a, "compact")) == a).all()
    allx = sss.enumerate()
    assert len(np.unique(sss.index(allx))) == 32768
    nb, src = sss.neighbours(a)
    assert np.bincount(src).tolist() == [35, 35]
    assert (sss.distance(a[0], nb[src == 0]) == 1).all()


@pytest.mark.parametrize("bad", ["64:32:8:16", "64:32:8:16:47", "abc", "88888"])
def test_sss_rejects(sss, bad):
    with pytest.raises(InvalidArchitecture):
        sss.from_strings(bad)


# ---------------------------------------------------------------------------------------------------- nb101
def test_nb101_known_hash(nb101):
    assert nb101.hash(KNOWN_MATRIX, KNOWN_OPS) == KNOWN_HASH
    a = nb101.from_spec(KNOWN_MATRIX, KNOWN_OPS)
    assert nb101.hashes(a) == [KNOWN_HASH]


def test_nb101_hash_invariant_under_permutation(nb101):
    rng = np.random.default_rng(0)
    for arch in nb101.sample(40, rng):
        m, ops = nb101.to_spec(arch)
        h = nb101.hash(m, ops)
        k = nb101.index(arch)[0]
        interior = len(ops) - 2
        for perm in itertools.islice(itertools.permutations(range(1, interior + 1)), 0, None, 7):
            pm, pops = _permute(m, ops, perm)
            if np.tril(pm).any():  # relabelling must keep the matrix upper-triangular
                continue
            assert nb101.hash(pm, pops) == h
            assert nb101.index(nb101.from_spec(pm, pops))[0] == k


def test_nb101_hash_distinguishes_label_swap(nb101):
    m = [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    h1 = nb101.hash(m, ["input", "conv3x3-bn-relu", "maxpool3x3", "output"])
    h2 = nb101.hash(m, ["input", "maxpool3x3", "conv3x3-bn-relu", "output"])
    assert h1 != h2


def test_nb101_canonical_iff_same_hash_on_samples(nb101):
    x = nb101.sample(3000, np.random.default_rng(1))
    h = nb101.hashes(x)
    k = nb101.index(x).tolist()
    assert len(set(h)) == len(set(k)) == len(set(zip(h, k)))


def test_nb101_pruning(nb101):
    # vertex 2 is dangling (no path to output), vertex 4 unreachable from input: both pruned
    m = np.zeros((7, 7), int)
    m[0, 1] = m[1, 6] = m[0, 2] = m[4, 5] = m[5, 6] = m[0, 3] = m[3, 6] = 1
    ops = ["input", "conv3x3-bn-relu", "maxpool3x3", "conv1x1-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "output"]
    a = nb101.from_spec(m, ops)
    pm, pops = nb101.to_spec(a)
    assert len(pops) == 4 and sum(map(sum, pm)) == 4
    assert sorted(pops[1:-1]) == ["conv1x1-bn-relu", "conv3x3-bn-relu"]
    # same hash as the hand-pruned spec
    assert nb101.hash(m, ops) == nb101.hash(
        [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
        ["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"],
    )
    # more than 9 edges before pruning, 5 after: valid (vertex 5 takes 5 inputs but feeds nothing)
    m = np.zeros((7, 7), int)
    for i in range(5):
        m[i, i + 1 if i < 4 else 6] = 1
        m[i, 5] = 1
    assert m.sum() == 10
    a = nb101.from_spec(m, ["input"] + ["conv3x3-bn-relu"] * 5 + ["output"])
    assert sum(map(sum, nb101.to_spec(a)[0])) == 5
    # the smallest valid cell: input -> output
    a = nb101.from_spec([[0, 1], [0, 0]], ["input", "output"])
    assert nb101.to_spec(a) == ([[0, 1], [0, 0]], ["input", "output"])


def _enc(m, interior_ops):
    from lissnas_bench.spaces.nb101 import spec_to_encoding

    return spec_to_encoding(m, ["input", *interior_ops, "output"])[None, :]


@pytest.mark.parametrize(
    "matrix, ops, what",
    [
        ([[0, 0, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"], None),  # valid (vertex 1 pruned)
        ([[0, 1, 0], [0, 0, 0], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"], "not a valid"),  # no path
        ([[0, 1], [1, 0]], ["input", "output"], "upper-triangular"),
        ([[0, 1], [0, 0]], ["input", "conv5x5"], "start with 'input' and end with 'output'"),
        ([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"], "unknown op 'conv5x5'"),
        ([[0, 2], [0, 0]], ["input", "output"], "0 or 1"),
        (np.zeros((8, 8), int), ["input"] + ["maxpool3x3"] * 6 + ["output"], "does not reach the output"),
        (np.eye(8, k=1, dtype=int), ["input"] + ["maxpool3x3"] * 6 + ["output"], "8 vertices remain after pruning"),
        ([[0]], ["input"], "at least 2 vertices"),
    ],
)
def test_nb101_spec_errors(nb101, matrix, ops, what):
    if what is None:
        nb101.from_spec(matrix, ops)
        return
    with pytest.raises(InvalidArchitecture, match=what):
        nb101.from_spec(matrix, ops)


def test_nb101_accepts_what_the_reference_accepts(nb101):
    """ModelSpec prunes first: an 8x8 spec that prunes to 4 vertices is a cell, and so is an unknown op name on a
    vertex pruning removes (reference hash of 0->1->2->7 with a dangling 0->3: 852f2104...)."""
    m = np.zeros((8, 8), int)
    m[0, 1] = m[1, 2] = m[2, 7] = m[0, 3] = 1
    ops = ["input", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv5x5", "no-such-op", "maxpool3x3", "x", "output"]
    h = nb101.hash(m, ops)
    assert h.startswith("852f2104") and h == nb101.hash(m[np.ix_([0, 1, 2, 7], [0, 1, 2, 7])],
                                                        ["input", "conv3x3-bn-relu", "conv3x3-bn-relu", "output"])
    assert nb101.hashes(nb101.from_spec(m, ops)) == [h]
    small = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]  # vertex 2 is a dead end: pruned
    assert nb101.hash(small, ["input", "conv1x1-bn-relu", "conv5x5", "output"]) == nb101.hash(
        [[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv1x1-bn-relu", "output"])
    with pytest.raises(InvalidArchitecture, match="unknown op 'conv5x5'"):  # on a kept vertex: refused
        nb101.hash(m, ops[:1] + ["conv5x5"] + ops[2:])
    s = nb101.to_strings(nb101.from_spec(m, ops), "spec")[0]
    assert s == "0100/0010/0001/0000|input,conv3x3-bn-relu,conv3x3-bn-relu,output"
    nine = np.zeros((9, 9), int)  # 9 vertices, 8 of them on the path: too many even after pruning
    for v in range(8):
        nine[v, v + 1] = 1
    with pytest.raises(InvalidArchitecture, match="9 vertices remain"):
        nb101.from_spec(nine, ["input"] + ["conv3x3-bn-relu"] * 7 + ["output"])


def test_nb101_ten_edges_invalid(nb101):
    m = np.triu(np.ones((5, 5), int), 1)  # 10 edges on 5 vertices, all on input->output paths
    with pytest.raises(InvalidArchitecture):
        nb101.from_spec(m, ["input"] + ["conv3x3-bn-relu"] * 3 + ["output"])
    assert not nb101.is_valid(_enc(m, ["conv3x3-bn-relu"] * 3))[0]


def test_nb101_strings_roundtrip(nb101):
    a = nb101.sample(300, np.random.default_rng(2))
    for fmt in nb101.string_formats:
        assert (nb101.from_strings(nb101.to_strings(a, fmt)) == a).all(), fmt
    assert nb101.to_strings(nb101.from_spec(KNOWN_MATRIX, KNOWN_OPS), "spec")[0].endswith(
        "|input,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output"
    )
    with pytest.raises(InvalidArchitecture, match="accepted formats"):
        nb101.from_strings("hello")


def test_nb101_canonical_and_index(nb101):
    a = nb101.sample(500, np.random.default_rng(3))
    assert nb101.contains(a).all()
    assert (nb101.canonicalize(a) == a).all()
    k = nb101.index(a)
    assert (nb101.from_index(k) == a).all()
    assert k.dtype == np.int64 and (k >= 0).all()
    assert not nb101.finite and nb101.size == 423_624
    with pytest.raises(InvalidConfig):
        nb101.enumerate()
    # pruned vertices carry no information: changing their op keeps the architecture
    b = nb101.from_spec([[0, 1], [0, 0]], ["input", "output"])
    c = b.copy()
    c[0, 21:] = 2
    assert (nb101.canonicalize(c) == b).all()


def test_nb101_sampling_is_reproducible(nb101):
    a = nb101.sample(50, np.random.default_rng(7))
    b = nb101.sample(50, np.random.default_rng(7))
    assert (a == b).all()
    d = nb101.sample(40, np.random.default_rng(8), replace=False)
    assert len(np.unique(nb101.index(d))) == 40


def test_nb101_neighbours(nb101):
    a = nb101.sample(60, np.random.default_rng(4))
    nb, src = nb101.neighbours(a)
    assert nb101.contains(nb).all()  # valid and canonical
    keys = nb101.index(nb)
    own = nb101.index(a)
    assert not (keys == own[src]).any()
    pairs = set(zip(src.tolist(), keys.tolist()))
    assert len(pairs) == len(src)  # de-duplicated per source
    assert len(nb) <= 41 * len(a)  # 21 flips + 10 backward edges + 10 op changes
    # an edit that prunes nothing (same vertex count) can be undone by one edit
    nv = lambda x: np.array([len(nb101.to_spec(r)[1]) for r in x])  # noqa: E731
    same = nv(nb) == nv(a)[src]
    back, bsrc = nb101.neighbours(nb[same])
    back_keys = set(zip(bsrc.tolist(), nb101.index(back).tolist()))
    for j, (s, k) in enumerate(zip(src[same], keys[same])):
        assert (j, own[s]) in back_keys
    # radius 2 contains radius 1 and is de-duplicated
    nb2, src2 = nb101.neighbours(a[:5], radius=2)
    p2 = set(zip(src2.tolist(), nb101.index(nb2).tolist()))
    assert len(p2) == len(src2)
    assert {(s, k) for s, k in pairs if s < 5} <= p2


@pytest.mark.shared
def test_nb101_real_cells():
    p = shared_file("nb101/naslib_zc_nasbench101_subset.json")
    s = get_space("nb101")
    keys = list(json.loads(p.read_text())["nasbench101"]["cifar10"])
    assert len(keys) == 500
    a = s.from_strings(keys)
    assert s.contains(a).all()
    # the hash of each unpruned spec equals the hash of its canonical encoding
    names = ["input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu"]
    direct = []
    for k in keys:
        t = ast.literal_eval(k)
        direct.append(s.hash(np.array(t[:49]).reshape(7, 7), [names[c] for c in t[49:]]))
    assert direct == s.hashes(a)
    # several unpruned specs collapse to one model; canonical encodings group exactly like hashes
    idx = s.index(a).tolist()
    assert len(set(direct)) == len(set(idx)) == len(set(zip(direct, idx))) == 292
    for fmt in s.string_formats:
        assert (s.from_strings(s.to_strings(a, fmt)) == a).all()


# ---------------------------------------------------------------------------------------------------- darts
def test_darts_genotype_roundtrip(darts):
    a = darts.from_strings(DARTS_V2)
    g = darts.to_genotypes(a)[0]
    assert g.normal[0] == ("sep_conv_3x3", 0) and g.normal_concat == [2, 3, 4, 5]
    # node 4 of the normal cell is given as (1, 0): canonical order sorts by input
    assert g.normal[4:6] == [("skip_connect", 0), ("sep_conv_3x3", 1)]
    for fmt in darts.string_formats:
        assert (darts.from_strings(darts.to_strings(a, fmt)) == a).all(), fmt
    assert (darts.from_genotypes(darts.to_genotypes(a)) == a).all()
    assert (darts.from_configs(darts.to_configs(a)) == a).all()
    # range(...) concat as DARTS writes it is accepted
    assert (darts.from_strings(DARTS_V2.replace("[2, 3, 4, 5]", "range(2, 6)")) == a).all()


def test_darts_config_layout(darts):
    a = darts.from_strings(DARTS_V2)
    c = darts.to_configs(a)[0]
    assert c[CONFIG_PREFIX + "edge_normal_0"] == "sep_conv_3x3"  # node 2 <- 0
    assert c[CONFIG_PREFIX + "edge_normal_5"] == "skip_connect" and c[CONFIG_PREFIX + "edge_normal_6"] == "sep_conv_3x3"
    # normal node 5 takes inputs 0 and 2: edges 9 + 0 and 9 + 2
    assert c[CONFIG_PREFIX + "edge_normal_9"] == "skip_connect"
    assert c[CONFIG_PREFIX + "edge_normal_11"] == "dil_conv_3x3"
    assert c[CONFIG_PREFIX + "inputs_node_normal_5"] == "0_2"
    assert CONFIG_PREFIX + "inputs_node_normal_2" not in c
    assert len([k for k in c if ":edge_" in k]) == 16 and len([k for k in c if "inputs_node" in k]) == 6


def test_darts_config_matches_nasbench301_converter(darts):
    """nasbench301's own genotype -> config converter (loaded from its file: importing the package pulls
    in its whole model zoo)."""
    try:
        path = metadata.distribution("nasbench301").locate_file("nasbench301/representations.py")
    except metadata.PackageNotFoundError:
        pytest.skip("nasbench301 is not installed (extra 'nb301')")
    spec = importlib.util.spec_from_file_location("_nb301_repr", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    a = darts.sample(200, np.random.default_rng(0))
    for g, c in zip(darts.to_genotypes(a), darts.to_configs(a)):
        assert mod.convert_genotype_to_config(g) == c


def test_darts_index_bijective(darts):
    assert darts.size == SIZE == CELL_SIZE**2 and SIZE < 2**63 and CELL_SIZE == 180 * 49**4
    a = darts.sample(2000, np.random.default_rng(5))
    assert darts.contains(a).all()
    k = darts.index(a)
    assert (darts.from_index(k) == a).all()
    edge = np.array([0, 1, SIZE - 1, CELL_SIZE, CELL_SIZE - 1], dtype=np.int64)
    assert (darts.index(darts.from_index(edge)) == edge).all()
    with pytest.raises(InvalidArchitecture):
        darts.from_index([SIZE])


def test_darts_canonicalisation(darts):
    a = darts.from_strings(DARTS_V2)
    b = a.copy()
    b[0, [4, 5, 6, 7]] = b[0, [6, 7, 4, 5]]  # swap the slots of normal node 3
    assert not darts.contains(b)[0] and darts.is_valid(b)[0]
    assert (darts.canonicalize(b) == a).all()
    assert darts.distance(darts.canonicalize(b)[0], a)[0] == 0


@pytest.mark.parametrize(
    "bad, what",
    [
        (DARTS_V2.replace("('sep_conv_3x3', 1), ('sep_conv_3x3', 0)", "('sep_conv_3x3', 1), ('sep_conv_3x3', 1)", 1), "twice"),
        (DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"), "allowed inputs"),
        (DARTS_V2.replace("dil_conv_3x3", "conv_7x1_1x7"), "unknown op"),
        (DARTS_V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 3, 4]"), "unsupported"),
        ("[[(0, 1)], [(0, 1)]]", "pairs, expected 8"),
        ("garbage", "accepted formats"),
    ],
)
def test_darts_rejects(darts, bad, what):
    with pytest.raises(InvalidArchitecture, match=what):
        darts.from_strings(bad)


def test_darts_neighbours(darts):
    a = darts.sample(20, np.random.default_rng(6))
    nb, src = darts.neighbours(a)
    assert np.bincount(src).tolist() == [120] * 20
    assert darts.contains(nb).all()
    k = darts.index(nb)
    assert len(set(zip(src.tolist(), k.tolist()))) == len(src)
    assert not (k == darts.index(a)[src]).any()
    d = darts.distance(a[0], nb[src == 0])
    assert (d >= 1).all() and (d <= 4).all() and (d == 1).sum() >= 96
    # symmetric: every neighbour has the source among its neighbours
    back, bsrc = darts.neighbours(nb[src == 0])
    bk = darts.index(back)
    own = darts.index(a[:1])[0]
    assert all(own in set(bk[bsrc == j].tolist()) for j in range(120))
    nb2, src2 = darts.neighbours(a[:2], radius=2)
    assert len(set(zip(src2.tolist(), darts.index(nb2).tolist()))) == len(src2) > 240


@pytest.mark.shared
def test_darts_real_genotypes():
    p = shared_file("nb301/naslib_zc_nasbench301_subset.json")
    s = get_space("darts")
    keys = list(json.loads(p.read_text())["cifar10"])
    assert len(keys) == 725
    a = s.from_strings(keys)
    assert len(np.unique(s.index(a))) == 725
    for fmt in s.string_formats:
        assert (s.from_strings(s.to_strings(a, fmt)) == a).all(), fmt
    # compact output equals NASLib's key once both are in canonical (input-sorted) order
    for k, c in zip(keys, s.to_compact(a)):
        cells = ast.literal_eval(k)
        assert [sorted(cell[j : j + 2]) for cell in cells for j in range(0, 8, 2)] == [
            c[i][j : j + 2] for i in range(2) for j in range(0, 8, 2)
        ]
    g = s.to_genotypes(a[:1])[0]
    assert isinstance(g, Genotype) and g.reduce_concat == [2, 3, 4, 5]
