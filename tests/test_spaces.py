"""Search spaces: encodings, strings, indices, sampling, neighbourhoods, and agreement with the official packages."""

from __future__ import annotations

import itertools
import json
import math
import zipfile
from pathlib import Path

import nas_bench_graph as nbg
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lissnas_bench.errors import InvalidArchitecture, InvalidConfig, UnknownName
from lissnas_bench.spaces import get_space
from lissnas_bench.spaces.macro import real_arch
from lissnas_bench.spaces.nb201 import EDGES, NASLIB_EDGES, NASLIB_OPS, OPS, from_naslib, to_naslib

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
NB201_CSV = SHARED / "nb201" / "nas_landscapes_cifar10-valid_avg.csv"
NB201_ZEN = SHARED / "nb201" / "naslib_nb201_zen_all15625.zip"
MACRO_JSON = SHARED / "macro" / "nas-bench-macro_cifar10.json"

SPACES = ["nb201", "nasbench-macro", "nasbench-graph"]
PRODUCT = ["nb201"]  # nasbench-macro is a quotient of the 3**8 keys: tested on its own below
CELL_A = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
ANALOG_BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


@pytest.fixture(scope="module", params=SPACES)
def space(request):
    return get_space(request.param)


@pytest.fixture(scope="module")
def nb201():
    return get_space("nb201")


@pytest.fixture(scope="module")
def graph():
    return get_space("nasbench-graph")


def _rows(a) -> set:
    return set(map(tuple, np.asarray(a).tolist()))


# ---------------------------------------------------------------------------- every space
def test_string_round_trip_every_format(space):
    archs = space.sample(min(space.size, 5000), np.random.default_rng(0), replace=False)
    for fmt in space.string_formats:
        strings = space.to_strings(archs, fmt)
        assert len(set(strings)) == len(archs), fmt
        np.testing.assert_array_equal(space.from_strings(strings), archs, err_msg=fmt)


def test_unknown_string_format(space):
    with pytest.raises(UnknownName, match="no-such-format"):
        space.to_strings(space.sample(1, 0), "no-such-format")


def test_index_bijective_over_whole_space(space):
    archs = space.enumerate()
    assert archs.shape == (space.size, space.positions)
    assert len(_rows(archs)) == space.size
    np.testing.assert_array_equal(space.index(archs), np.arange(space.size))
    np.testing.assert_array_equal(space.from_index(np.arange(space.size)), archs)
    assert space.contains(archs).all() and space.is_valid(archs).all()
    np.testing.assert_array_equal(space.canonicalize(archs), archs)
    with pytest.raises(InvalidArchitecture, match="out of range"):
        space.from_index([space.size])
    with pytest.raises(InvalidArchitecture, match="out of range"):
        space.from_index([-1])


@pytest.mark.parametrize("radius", [1, 2])
def test_neighbours_distinct_members_not_self(space, radius):
    src_archs = space.sample(40, np.random.default_rng(radius))
    nb, src = space.neighbours(src_archs, radius)
    assert nb.shape[1] == space.positions and len(nb) == len(src)
    assert space.contains(nb).all()
    pairs = np.column_stack([src, space.index(nb)])
    assert len(np.unique(pairs, axis=0)) == len(pairs), "duplicates within one source"
    assert ((src_archs[src] != nb).sum(axis=1) >= 1).all(), "a source is its own neighbour"


@pytest.mark.parametrize("name", PRODUCT)
@pytest.mark.parametrize("radius", [1, 2, 3])
def test_product_neighbours_exact_hamming_ball(name, radius):
    space = get_space(name)
    a = space.sample(25, np.random.default_rng(radius))
    nb, src = space.neighbours(a, radius)
    d = (a[src] != nb).sum(axis=1)
    np.testing.assert_array_equal(d[:50], [space.distance(a[s], n[None])[0] for s, n in zip(src[:50], nb[:50])])
    assert ((d >= 1) & (d <= radius)).all()
    k, p = int(space.n_choices[0]), space.positions
    ball = sum(math.comb(p, r) * (k - 1) ** r for r in range(1, radius + 1))
    np.testing.assert_array_equal(np.bincount(src, minlength=len(a)), ball)


def test_neighbour_relation_symmetric(space):
    archs = space.enumerate() if space.name == "nasbench-graph" else space.sample(500, 7)
    nb, src = space.neighbours(archs)
    m = space.size
    pairs = space.index(archs)[src] * m + space.index(nb)  # x * m + y for y in N(x)
    if space.name == "nasbench-graph":  # every source was given, so these are all edges
        edges = pairs
    else:
        back, back_src = space.neighbours(nb)
        edges = space.index(nb)[back_src] * m + space.index(back)
    edges = np.sort(edges)  # membership by binary search: np.isin is slow on a million int64 keys
    rev = (pairs % m) * m + pairs // m
    assert (edges[np.searchsorted(edges, rev).clip(0, len(edges) - 1)] == rev).all()


def test_sampling_uniform(space):
    idx = space.index(space.sample(200_000, np.random.default_rng(12345)))
    buckets = 64
    counts = np.bincount(idx * buckets // space.size, minlength=buckets)
    expected = np.diff(-(-np.arange(buckets + 1) * space.size // buckets)) / space.size * len(idx)
    assert stats.chisquare(counts, expected).pvalue > 1e-3
    # and one position on its own (the encoding, not just the index, is uniform for product spaces)
    if space.name in PRODUCT:
        col = space.sample(200_000, np.random.default_rng(54321))[:, 2]
        assert stats.chisquare(np.bincount(col, minlength=int(space.n_choices[2]))).pvalue > 1e-3


def test_sample_without_replacement(space):
    a = space.sample(3000, np.random.default_rng(1), replace=False)
    assert len(_rows(a)) == 3000 and space.contains(a).all()
    assert len(_rows(space.sample(space.size, 2, replace=False))) == space.size
    with pytest.raises(InvalidConfig):
        space.sample(space.size + 1, 0, replace=False)
    np.testing.assert_array_equal(space.sample(10, 3), space.sample(10, np.random.default_rng(3)))


def test_out_of_range_arrays_rejected(space):
    good = space.sample(1, 0)[0].astype(np.int64)
    for bad_value in (-1, int(space.n_choices[0]), 259, -300, 10**6):
        bad = good.copy()
        bad[0] = bad_value
        if -128 <= bad_value <= 127:
            assert not space.is_valid(bad).any() and not space.contains(bad).any()
        for f in (space.validate, space.canonicalize, space.index, space.to_strings, space.neighbours):
            with pytest.raises(InvalidArchitecture, match=r"valid architecture|out of range") as err:
                f(bad)
            assert str(bad_value) in str(err.value)
    with pytest.raises(InvalidArchitecture, match="shape"):
        space.validate(good[:-1])
    with pytest.raises(InvalidArchitecture, match="integer"):
        space.validate(good.astype(float))


def test_garbage_strings_rejected(space):
    for s in ["", "hello", "[[", "1" * 40]:
        with pytest.raises(InvalidArchitecture) as err:
            space.from_strings(s)
        assert space.name in str(err.value)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), name=st.sampled_from(SPACES))
def test_hypothesis_round_trips(data, name):
    space = get_space(name)
    raw = np.array(
        data.draw(st.lists(st.integers(0, int(space.n_choices[0]) - 1), min_size=space.positions,
                           max_size=space.positions))
    )[None]
    if not space.is_valid(raw).all():
        with pytest.raises(InvalidArchitecture):
            space.validate(raw)
        return
    c = space.canonicalize(raw)
    np.testing.assert_array_equal(space.canonicalize(c), c)
    np.testing.assert_array_equal(space.from_index(space.index(raw)), c)
    for fmt in space.string_formats:
        np.testing.assert_array_equal(space.from_strings(space.to_strings(raw, fmt)), c)


# ---------------------------------------------------------------------------- NB201
def test_nb201_size_and_neighbour_counts(nb201):
    assert nb201.size == 15625 and nb201.positions == 6
    a = nb201.sample(10, 0)
    assert np.bincount(nb201.neighbours(a, 1)[1]).tolist() == [24] * 10
    assert np.bincount(nb201.neighbours(a, 2)[1]).tolist() == [24 + math.comb(6, 2) * 16] * 10


def test_nb201_cell_a(nb201):
    a = nb201.from_strings(CELL_A)
    assert a.tolist() == [[3, 3, 3, 1, 3, 3]]
    assert nb201.to_strings(a) == [CELL_A]
    assert nb201.to_strings(a, "compact") == ["333133"]
    assert nb201.to_strings(a, "naslib") == ["(2, 2, 0, 2, 2, 2)"]
    for s in ["333133", "(2, 2, 0, 2, 2, 2)", "[2,2,0,2,2,2]", "2, 2, 0, 2, 2, 2", f"  {CELL_A} "]:
        assert nb201.from_strings(s).tolist() == [[3, 3, 3, 1, 3, 3]], s
    # inputs of a node may be listed in any order
    shuffled = "|nor_conv_3x3~0|+|nor_conv_3x3~1|nor_conv_3x3~0|+|nor_conv_3x3~2|skip_connect~0|nor_conv_3x3~1|"
    assert nb201.from_strings(shuffled).tolist() == a.tolist()


def test_nb201_naslib_known_values(nb201):
    assert nb201.to_strings([[0] * 6], "naslib") == ["(1, 1, 1, 1, 1, 1)"]  # all none
    assert nb201.from_strings("(0, 0, 0, 0, 0, 0)").tolist() == [[OPS.index("skip_connect")] * 6]
    # AnalogNAS best cell, converted by hand from the documented edge and op orders
    ops_by_edge = {(0, 1): "nor_conv_3x3", (0, 2): "nor_conv_3x3", (1, 2): "nor_conv_3x3",
                   (0, 3): "skip_connect", (1, 3): "nor_conv_1x1", (2, 3): "nor_conv_3x3"}
    expected = tuple(NASLIB_OPS.index(ops_by_edge[e]) for e in NASLIB_EDGES)
    assert expected == (2, 2, 0, 2, 3, 2)
    best = nb201.from_strings(ANALOG_BEST)
    assert tuple(to_naslib(best)[0]) == expected
    assert nb201.to_strings(best, "naslib") == [str(expected)]
    assert nb201.from_strings(str(expected)).tolist() == best.tolist()
    assert best.tolist() == [[OPS.index(ops_by_edge[e]) for e in EDGES]]


def test_nb201_naslib_converters_vectorised_inverse(nb201):
    archs = nb201.enumerate()
    t = to_naslib(archs)
    assert t.shape == archs.shape and len(_rows(t)) == nb201.size
    np.testing.assert_array_equal(from_naslib(t), archs)
    np.testing.assert_array_equal(nb201.from_naslib(nb201.to_naslib(archs)), archs)
    with pytest.raises(InvalidArchitecture, match="5"):
        from_naslib([[0, 0, 0, 0, 0, 5]])
    with pytest.raises(InvalidArchitecture, match="shape"):
        to_naslib([[0, 0, 0]])


_A_TOKENS = ("nor_conv_3x3~0", "nor_conv_3x3~0", "nor_conv_3x3~1", "skip_connect~0", "nor_conv_3x3~1", "nor_conv_3x3~2")


def _cell_a_with(edge: int, token: str) -> str:
    """Cell A's string with the token of one edge (NB201 order) replaced."""
    tokens = list(_A_TOKENS)
    tokens[edge] = token
    return "|{}|+|{}|{}|+|{}|{}|{}|".format(*tokens)


@pytest.mark.parametrize(
    "bad, match",
    [
        (_cell_a_with(0, "nor_conv_3x3~0"), None),  # sanity: the template is cell A
        (_cell_a_with(0, "nor_conv_5x5~0"), "nor_conv_5x5"),
        (_cell_a_with(0, "nor_conv_3x3~1"), "~1"),
        (_cell_a_with(2, "nor_conv_3x3~2"), "~2"),
        (_cell_a_with(2, "nor_conv_3x3~0"), "twice"),
        (_cell_a_with(0, "nor_conv_3x3"), "node index"),
        (_cell_a_with(0, "nor_conv_3x3~x"), "~x"),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "2 node groups"),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|", "1 input edges"),
        ("(0, 0, 0, 0, 0)", "5 entries"),
        ("(0, 0, 0, 0, 0, 0, 0)", "7 entries"),
        ("(0, 0, 0, 0, 0, 5)", "value 5"),
        ("(0, 0, 0, -1, 0, 0)", "value -1"),
        ("33313", "5 entries"),
        ("333139", "value 9"),
    ],
)
def test_nb201_parse_errors(nb201, bad, match):
    if match is None:
        assert bad == CELL_A
        return
    with pytest.raises(InvalidArchitecture, match=match) as err:
        nb201.from_strings(bad)
    assert "nb201" in str(err.value)


@pytest.mark.shared
@pytest.mark.skipif(not NB201_CSV.exists(), reason=f"shared data file {NB201_CSV} not available")
def test_nb201_official_strings_parse(nb201):
    import pandas as pd

    strings = pd.read_csv(NB201_CSV, usecols=["arch_str"])["arch_str"].tolist()
    archs = nb201.from_strings(strings)
    assert len(strings) == 15625 and len(_rows(archs)) == 15625
    assert nb201.to_strings(archs) == strings


@pytest.mark.shared
@pytest.mark.skipif(not (NB201_CSV.exists() and NB201_ZEN.exists()), reason="shared NB201 data files not available")
def test_nb201_naslib_convention_matches_official_data(nb201):
    """NASLib's tuples, converted, must line up with the official strings: cell A and a high rank correlation."""
    import pandas as pd

    with zipfile.ZipFile(NB201_ZEN) as z:
        recs = [r for n in z.namelist() if "--cifar10--" in n for r in json.loads(z.read(n))]
    naslib = nb201.from_strings([r["arch"] for r in recs])
    assert len(_rows(naslib)) == 15625
    val = np.full(nb201.size, np.nan)
    val[nb201.index(naslib)] = [r["val_accuracy"] for r in recs]
    assert val[nb201.index(nb201.from_strings(CELL_A))[0]] == pytest.approx(90.93)
    csv = pd.read_csv(NB201_CSV, usecols=["arch_str", "valid-accuracy"])
    official = np.full(nb201.size, np.nan)
    official[nb201.index(nb201.from_strings(csv["arch_str"].tolist()))] = csv["valid-accuracy"].to_numpy()
    assert stats.spearmanr(val, official).statistic > 0.9


# ---------------------------------------------------------------------------- NAS-Bench-Macro
def test_macro_basics():
    s = get_space("nasbench-macro")
    assert s.size == 3969 and s.positions == 8
    a = s.from_strings("22212220")
    assert a.tolist() == [[2, 2, 2, 1, 2, 2, 2, 0]] and s.to_strings(a) == ["22212220"]
    assert s.to_strings(s.from_strings(["22212202", "20212202", "00000000"])) == ["22212220", "20212220", "00000000"]
    assert real_arch("01021201") == "01021210"  # a stage's first layer stays where it is, even as identity
    for bad, match in [("2221222", "8 digits"), ("222122200", "8 digits"), ("22212223", "choice 3"),
                       ("2221222x", "8 digits")]:
        with pytest.raises(InvalidArchitecture, match=match):
            s.from_strings(bad)


def test_macro_canonical_form_is_the_originals():
    s = get_space("nasbench-macro")
    raw = np.array(list(itertools.product(range(3), repeat=8)), dtype=np.int8)
    keys = ["".join(map(str, r)) for r in raw]
    canon = s.to_strings(s.canonicalize(raw))
    assert canon == [real_arch(k) for k in keys] and len(set(canon)) == 3969
    assert s.contains(raw).sum() == 3969  # the canonical keys are the members
    # the neighbour graph is the quotient of the Hamming graph on keys
    i = s.index(raw)
    nb, src = s.neighbours(s.from_index(np.arange(s.size)))
    edges = set(zip(src.tolist(), s.index(nb).tolist()))
    for r in range(0, len(raw), 97):
        for p in range(8):
            for d in (1, 2):
                other = raw[r].copy()
                other[p] = (other[p] + d) % 3
                j = int(s.index(other[None])[0])
                assert j == i[r] or (int(i[r]), j) in edges


@pytest.mark.shared
@pytest.mark.skipif(not MACRO_JSON.exists(), reason=f"shared data file {MACRO_JSON} not available")
def test_macro_official_keys_map_to_their_records_canonical_form():
    s = get_space("nasbench-macro")
    data = json.loads(MACRO_JSON.read_text())
    keys = list(data)
    canon = s.to_strings(s.from_strings(keys))
    assert len(keys) == 6561 and len(set(canon)) == 3969
    record = {k: json.dumps(v, sort_keys=True) for k, v in data.items()}
    assert all(record[k] == record[c] for k, c in zip(keys, canon))  # every key shares its canonical key's record
    from collections import Counter

    groups = Counter(canon)
    assert sum(1 for c in canon if groups[c] > 1) == 4536  # keys that share their record with another key
    assert len(set(record.values())) == 3969  # distinct networks have distinct records
    assert canon[keys.index("22212202")] == "22212220"


# ---------------------------------------------------------------------------- NAS-Bench-Graph
def _raw_all():
    return np.array(list(itertools.product(range(9), repeat=5)), dtype=np.int8)


def test_graph_members_are_the_benchmark_keys(graph):
    keys = np.array(sorted(nbg.light_read("cora")))
    assert graph.size == len(keys) == 26206
    hashes = graph.hash(graph.enumerate())
    np.testing.assert_array_equal(hashes, keys)  # index order == key order, one member per key
    np.testing.assert_array_equal(graph.from_hash(keys), graph.enumerate())
    assert graph.to_strings(graph.from_hash(keys[:5]), "hash") == [str(k) for k in keys[:5]]


def test_graph_canonicalisation_agrees_with_package(graph):
    raw = _raw_all()
    valid = graph.is_valid(raw)
    all_skip = (raw[:, 1:] == graph.OPS.index("skip")).all(axis=1)
    np.testing.assert_array_equal(valid, ~all_skip)
    c = graph.canonicalize(raw[valid])
    np.testing.assert_array_equal(graph.canonicalize(c), c)  # idempotent
    assert graph.contains(c).all()
    assert graph.contains(raw).sum() == graph.size
    for i in np.random.default_rng(0).choice(np.flatnonzero(valid), 300, replace=False):
        lk, *ops = raw[i].tolist()
        expected = nbg.Arch(list(graph.LINKS[lk]), [graph.OPS[o] for o in ops]).valid_hash()
        assert graph.hash(raw[i])[0] == expected
    with pytest.raises(InvalidArchitecture, match="skip"):
        graph.canonicalize(raw[all_skip][:1])


def _relabel(link, ops, perm):
    """Move op k to slot perm[k]; None when that breaks the 'inputs come from earlier nodes' rule."""
    new_link, new_ops = [0] * 4, [""] * 4
    for k in range(4):
        new_link[perm[k]] = 0 if link[k] == 0 else perm[link[k] - 1] + 1
        new_ops[perm[k]] = ops[k]
    return None if any(v > i for i, v in enumerate(new_link)) else (new_link, new_ops)


@settings(max_examples=80, deadline=None)
@given(
    link=st.tuples(st.just(0), st.integers(0, 1), st.integers(0, 2), st.integers(0, 3)),
    ops=st.lists(st.sampled_from(["gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip"]),
                 min_size=4, max_size=4),
)
def test_graph_isomorphic_encodings_share_a_member(link, ops):
    graph = get_space("nasbench-graph")
    if set(ops) == {"skip"}:
        return
    fmt = "[{}]:{}"
    base = graph.from_strings(fmt.format(",".join(map(str, link)), "-".join(ops)))
    for perm in itertools.permutations(range(4)):
        r = _relabel(link, ops, perm)
        if r is not None:
            other = graph.from_strings(fmt.format(",".join(map(str, r[0])), "-".join(r[1])))
            np.testing.assert_array_equal(other, base, err_msg=str((link, ops, perm)))


def test_graph_regularize_cases_and_known_isomorphs(graph):
    # the package's regularize() examples: link [0,0,0,2] is [0,0,0,1] with ops 0 and 1 swapped, etc.
    same = [
        ("[0,0,0,2]:gat-gcn-gin-sage", "[0,0,0,1]:gcn-gat-gin-sage"),
        ("[0,1,0,0]:gat-gcn-gin-sage", "[0,0,0,1]:gat-gin-sage-gcn"),
        ("[0,1,2,1]:gat-gcn-gin-sage", "[0,1,1,2]:gat-gcn-sage-gin"),
        ("[0,0,0,0]:sage-gin-gcn-gat", "[0,0,0,0]:gat-gcn-gin-sage"),
        ("[0,0,1,2]:gin-gat-sage-fc", "[0,0,1,2]:gat-gin-fc-sage"),
    ]
    for a, b in same:
        np.testing.assert_array_equal(graph.from_strings(a), graph.from_strings(b), err_msg=a)
    assert graph.to_strings(graph.from_strings("[0,0,0,0]:sage-gin-gcn-gat")) == ["[0,0,0,0]:gat-gcn-gin-sage"]


def test_graph_neighbours_symmetric_quotient_graph(graph):
    rng = np.random.default_rng(3)
    a = graph.sample(30, rng)
    nb1, src1 = graph.neighbours(a, 1)
    nb2, src2 = graph.neighbours(a, 2)
    assert (np.diff(src1) >= 0).all() and (np.diff(src2) >= 0).all()
    for s in range(len(a)):  # radius 2 = radius-1 ball of the radius-1 ball, minus the source
        one = _rows(nb1[src1 == s])
        two = set(one)
        for n in one:
            two |= _rows(graph.neighbours(np.array(n), 1)[0])
        two.discard(tuple(a[s].tolist()))
        assert _rows(nb2[src2 == s]) == two
    # every raw one-position change of any encoding lands on a neighbour (or the source, or all-skip)
    raw = _raw_all()
    idx = graph.index(a[:5])
    raw = raw[graph.is_valid(raw)]
    for s, i in enumerate(idx):
        members = raw[graph.index(raw) == i]
        moved = np.repeat(members, 40, axis=0)
        shift = np.tile(np.array([(p, k) for p in range(5) for k in range(1, 9)]), (len(members), 1))
        moved[np.arange(len(moved)), shift[:, 0]] = (moved[np.arange(len(moved)), shift[:, 0]] + shift[:, 1]) % 9
        moved = moved[graph.is_valid(moved)]
        reached = set(graph.index(moved).tolist()) - {int(i)}
        assert reached == set(graph.index(nb1[src1 == s]).tolist())
    # large radius reaches the whole space
    nb, _ = graph.neighbours(a[:1], 10)
    assert len(nb) == graph.size - 1


def test_graph_distance_is_hamming_on_canonical(graph):
    a = graph.sample(50, 5)
    d = graph.distance(a, a)
    assert d.shape == (50, 50) and (np.diag(d) == 0).all() and (d == d.T).all()
    nb, src = graph.neighbours(a[:1])
    dist = graph.distance(a[0], nb)
    assert dist.min() >= 1 and dist.max() <= 5


def test_graph_proteins(graph):
    proteins = np.array(sorted(nbg.light_read("proteins")))
    members = graph.enumerate()
    mask = graph.protein_mask(members)
    assert mask.sum() == len(proteins) == 2021
    # proteins keys use the 9-op hash (not hash_arch(use_proteins=True))
    np.testing.assert_array_equal(graph.hash(members[mask]), proteins)
    assert set(graph.PROTEIN_OPS) == {"gcn", "sage", "arma", "fc", "skip"}


@pytest.mark.parametrize(
    "bad, match",
    [
        ("[0,0,0,0]:gcn-gcn-gcn-gru", "gru"),
        ("[0,0,0,0]:gcn-gcn-gcn", "3 ops"),
        ("[0,2,0,0]:gcn-gcn-gcn-gcn", "link"),
        ("[1,0,0,0]:gcn-gcn-gcn-gcn", "link"),
        ("[0,0,0]:gcn-gcn-gcn-gcn", "link"),
        ("[0,0,x,0]:gcn-gcn-gcn-gcn", "link"),
        ("[0,1,2,3]:skip-skip-skip-skip", "skip"),
        ("88888", "skip"),
        ("89999", "89999"),
        ("123456", "123456"),
        ("gcn-gcn", "accepted formats"),
    ],
)
def test_graph_parse_errors(graph, bad, match):
    with pytest.raises(InvalidArchitecture, match=match.replace("[", r"\[")):
        graph.from_strings(bad)


def test_graph_from_hash_errors(graph):
    for bad in (-1, 100000, 19):
        with pytest.raises(InvalidArchitecture, match=str(bad)):
            graph.from_hash([bad])
    with pytest.raises(InvalidArchitecture, match="integers"):
        graph.from_hash([1.5])


def test_graph_disk_cache(graph, tmp_path, monkeypatch):
    from lissnas_bench.spaces import graph as graph_mod

    canon = graph_mod._tables().canon
    monkeypatch.setenv("LISSNAS_BENCH_HOME", str(tmp_path))
    path = Path(graph_mod._cache_file())
    assert path.parent == tmp_path / "spaces"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a numpy file")  # a corrupt cache is recomputed and replaced
    np.testing.assert_array_equal(graph_mod._load_or_compute_canon(), canon)
    np.testing.assert_array_equal(np.load(path)["canon"], canon)
    np.testing.assert_array_equal(graph_mod._load_or_compute_canon(), canon)  # now from disk
    # an edited table (consistent, but another canonicalisation) fails its checksum and is recomputed
    with np.load(path) as z:
        arrays = dict(z)
    edited = arrays["canon"].copy()
    edited[edited == edited[edited >= 0][0]] = -1  # drop one class: still a valid-looking table
    np.savez(path, canon=edited, _sha256=arrays["_sha256"])
    np.testing.assert_array_equal(graph_mod._load_or_compute_canon(), canon)
    np.testing.assert_array_equal(np.load(path)["canon"], canon)  # and replaced on disk
