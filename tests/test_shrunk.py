"""Shrunk spaces on small spaces with known answers; contains / size / enumerate / sample agree; JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lissnas_bench.errors import DataFileError, InvalidArchitecture, InvalidConfig, UnknownName
from lissnas_bench.spaces.shrunk import pockets as shrunk_mod
from lissnas_bench.spaces.shrunk import Explicit, Pockets, Product, ShrunkSpace, load_shrunk
from conftest import ToySpace

from lissnas_bench.spaces import get_space



@pytest.fixture(scope="module")
def nb201():
    return get_space("nb201")


@pytest.fixture(scope="module")
def graph():
    return get_space("nasbench-graph")


@pytest.fixture(scope="module")
def proteins(graph_bench):
    return graph_bench.domain("proteins")


def check_consistent(sh: ShrunkSpace, universe: np.ndarray | None = None, seed: int = 0) -> None:
    """contains, size, enumerate, sample and choice_mask describe one member set."""
    space = sh.space
    members = sh.enumerate()
    assert len(members) == sh.size
    assert sh.contains(members).all()
    if len(members) > 1:
        keys = space.index(members)
        assert np.all(keys[1:] > keys[:-1]), "enumerate must be sorted by space.index"
    universe = space.enumerate() if universe is None else universe
    assert int(sh.contains(universe).sum()) == sh.size
    if sh.size:
        rng = np.random.default_rng(seed)
        s = sh.sample(50, rng)
        assert s.shape == (50, space.positions) and sh.contains(s).all()
        m = min(sh.size, 30)
        d = sh.sample(m, rng, replace=False)
        assert len(np.unique(space.index(d))) == m and sh.contains(d).all()
    mask = sh.choice_mask()
    assert mask.shape == (space.positions, int(space.n_choices.max()))
    expect = np.zeros_like(mask)
    for p in range(space.positions):
        expect[p, np.unique(members[:, p])] = True
    assert np.array_equal(mask, expect)


# ------------------------------------------------------------------------------------------------ Pockets
def test_nb201_ball_sizes(nb201):
    c = nb201.from_strings(["333133"])
    assert Pockets(nb201, c, 0).size == 1
    assert Pockets(nb201, c, 1).size == 25  # 1 + 6 positions * 4 other ops
    assert Pockets(nb201, c, 2).size == 265  # + C(6,2) * 4**2
    assert Pockets(nb201, c, 6).size == 15625
    check_consistent(Pockets(nb201, c, 1))
    check_consistent(Pockets(nb201, c, 2))


@pytest.mark.parametrize("distance,size", [(0, 25), (1, 45), (2, 48), (3, 50)])
def test_two_pockets_overlap(nb201, distance, size):
    a = np.zeros(6, np.int8)
    b = a.copy()
    b[:distance] = 1
    p = Pockets(nb201, [a, b], 1)
    assert p.size == size  # 25 + 25 - overlap: 5 at distance 1, 2 at distance 2, none beyond
    check_consistent(p)


def test_pockets_membership_is_distance_to_nearest_centre(nb201):
    rng = np.random.default_rng(3)
    centres = nb201.sample(4, rng)
    p = Pockets(nb201, centres, 2)
    full = nb201.enumerate()
    d = nb201.distance(full, centres).min(axis=1)
    assert np.array_equal(p.contains(full), d <= 2)


def test_pockets_centres_are_deduplicated_and_sorted(nb201):
    p = Pockets(nb201, [[1] * 6, [0] * 6, [1] * 6], 1)
    assert p.centres.tolist() == [[0] * 6, [1] * 6]


def test_pockets_hamming_fast_path_agrees(nb201, monkeypatch):
    rng = np.random.default_rng(1)
    centres = nb201.sample(3, rng)
    full = nb201.enumerate()
    slow = Pockets(nb201, centres, 2).contains(full)
    monkeypatch.setattr(shrunk_mod, "ENUMERABLE_LIMIT", 10)
    fast = Pockets(nb201, centres, 2)
    assert fast._use_hamming()
    assert np.array_equal(fast.contains(full), slow)


@pytest.mark.parametrize("radius", [1, 2, 3])
def test_pockets_random_plain_product(radius):
    from conftest import ToySpace

    s = ToySpace([3] * 8)  # a plain product space: balls are Hamming balls
    for seed in range(3):
        centres = s.sample(1 + seed * 3, np.random.default_rng(seed))
        p = Pockets(s, centres, radius)
        full = s.enumerate()
        assert np.array_equal(p.contains(full), s.distance(full, centres).min(axis=1) <= radius)
        check_consistent(p, full, seed)


def test_pockets_choice_mask(nb201):
    c = [[3, 3, 3, 1, 3, 3]]
    assert Pockets(nb201, c, 1).choice_mask().all()
    m0 = Pockets(nb201, c, 0).choice_mask()
    assert m0.sum() == 6 and m0[3, 1] and m0[0, 3]


def test_pockets_graph_uses_neighbour_graph(graph):
    c = graph.from_strings(["[0,0,1,2]:gcn-gat-skip-sage"])
    nb, _ = graph.neighbours(c, 1)
    p1 = Pockets(graph, c, 1)
    assert p1.size == len(nb) + 1
    assert p1.contains(nb).all()
    p2 = Pockets(graph, c, 2)
    nb2, _ = graph.neighbours(c, 2)
    assert p2.size == len(nb2) + 1
    # the neighbour graph is not the Hamming distance of canonical encodings: the ball reaches farther
    assert graph.distance(c[0], p2.enumerate()).max() > 2
    check_consistent(p1)
    check_consistent(p2)


def test_pockets_subset_domain(graph, proteins):
    c = proteins.sample(3, np.random.default_rng(0))
    p = Pockets(proteins, c, 1)
    full_ball = Pockets(graph, c, 1).enumerate()
    expect = full_ball[proteins.contains(full_ball)]  # the base space's ball intersected with the domain
    assert np.array_equal(p.enumerate(), expect)
    assert p.size < len(full_ball)
    check_consistent(p, graph.enumerate())


def test_pockets_bad_input(nb201, proteins, graph):
    with pytest.raises(InvalidConfig):
        Pockets(nb201, [[0] * 6], -1)
    with pytest.raises(InvalidConfig):
        Pockets(nb201, np.empty((0, 6), np.int8), 1)
    with pytest.raises(InvalidArchitecture):
        Pockets(nb201, [[5] * 6], 1)
    outside = graph.enumerate()[~proteins.contains(graph.enumerate())][:1]
    with pytest.raises(InvalidArchitecture, match="not in the domain"):
        Pockets(proteins, outside, 1)


# ------------------------------------------------------------------------------------------------ Product
def test_product_size_and_order(nb201):
    allowed = np.zeros((6, 5), bool)
    allowed[:, [1, 3]] = True
    allowed[0, 4] = True
    p = Product(nb201, allowed)
    assert p.size == 3 * 2**5
    assert np.array_equal(p.choice_mask(), allowed)
    check_consistent(p)
    assert Product.full(nb201).size == 15625


def test_product_toy_uneven():
    s = ToySpace([2, 3, 4])
    allowed = np.zeros((3, 4), bool)
    allowed[0, 1] = allowed[1, [0, 2]] = allowed[2, [0, 1, 3]] = True
    p = Product(s, allowed)
    assert p.size == 6
    assert p.enumerate().tolist() == [[1, 0, 0], [1, 0, 1], [1, 0, 3], [1, 2, 0], [1, 2, 1], [1, 2, 3]]
    check_consistent(p)
    with pytest.raises(InvalidConfig, match="only 2 choices"):
        Product(s, np.ones((3, 4), bool))
    with pytest.raises(InvalidConfig, match="no choice at position 1"):
        Product(s, np.eye(3, 4, dtype=bool) * [[1], [0], [1]])
    with pytest.raises(InvalidConfig, match="shape"):
        Product(s, np.ones((3, 3), bool))


def test_product_graph_is_exact(graph):
    allowed = np.zeros((5, 9), bool)
    allowed[0, 0] = True  # link [0,0,0,0]: four parallel ops, canonical encodings sort them
    allowed[1:, [0, 1]] = True  # gat, gcn
    p = Product(graph, allowed)
    assert p.size == 5  # multisets of 4 ops from 2
    check_consistent(p)
    assert Product.full(graph).size == graph.size
    allowed[1:] = False
    allowed[1:, 8] = True  # all skip: invalid
    assert Product(graph, allowed).size == 0
    with pytest.raises(InvalidConfig):
        Product(graph, allowed).sample(1, np.random.default_rng(0))


def test_product_subset_domain(proteins, graph):
    full = Product.full(proteins)
    assert full.size == proteins.size
    allowed = full.choice_mask()
    assert not allowed[1:, graph.OPS.index("gat")].any()  # proteins has 5 of the 9 ops
    allowed[1, graph.OPS.index("gcn")] = False
    p = Product(proteins, allowed)
    check_consistent(p, graph.enumerate())


def test_product_sampling_is_uniform(nb201):
    allowed = np.zeros((6, 5), bool)
    allowed[:, :2] = True
    p = Product(nb201, allowed)
    s = p.sample(64_000, np.random.default_rng(0))
    counts = np.bincount(nb201.index(s), minlength=nb201.size)[nb201.index(p.enumerate())]
    assert counts.min() > 800 and counts.max() < 1200  # 1000 expected per member


# ------------------------------------------------------------------------------------------------ Explicit
def test_explicit(nb201):
    e = Explicit(nb201, [[0] * 6, [4] * 6, [0] * 6, [1, 2, 3, 4, 0, 1]])
    assert e.size == 3
    check_consistent(e)
    assert e.contains([[4] * 6, [3] * 6]).tolist() == [True, False]
    empty = Explicit(nb201, [])
    assert empty.size == 0 and empty.enumerate().shape == (0, 6) and not empty.contains([[0] * 6]).any()
    with pytest.raises(InvalidConfig):
        empty.sample(1, np.random.default_rng(0))
    with pytest.raises(InvalidConfig):
        e.sample(4, np.random.default_rng(0), replace=False)


def test_explicit_graph_canonicalises(graph):
    a = graph.from_strings(["[0,0,0,0]:gin-gcn-gat-gcn"])
    raw = np.array([[0, 2, 1, 0, 1]], np.int8)  # a non-canonical encoding of the same cell
    e = Explicit(graph, raw)
    assert e.size == 1 and np.array_equal(e.enumerate(), a)


# ------------------------------------------------------------------------------------------------ enumerate limits
def test_enumerate_limit(nb201):
    p = Pockets(nb201, [[0] * 6], 1)
    assert p.enumerable
    with pytest.raises(InvalidConfig, match="enumeration limit"):
        p.enumerate(limit=10)
    huge = Product.full(get_space("mobilenet"))
    assert not huge.enumerable
    with pytest.raises(InvalidConfig):
        huge.enumerate()
    s = huge.sample(5, np.random.default_rng(0), replace=False)
    assert huge.contains(s).all()


# ------------------------------------------------------------------------------------------------ JSON
def _roundtrip(sh, space=None):
    d = json.loads(json.dumps(sh.to_json()))  # plain JSON types only
    back = load_shrunk(d, space)
    assert type(back) is type(sh) and back.size == sh.size
    assert np.array_equal(back.enumerate(), sh.enumerate())
    return d


def test_json_roundtrips(nb201, graph, tmp_path):
    d = _roundtrip(Pockets(nb201, [[0] * 6, [1] * 6], 1))
    assert d["kind"] == "pockets" and d["space"] == "nb201" and d["version"] == 1 and d["size"] == 50
    allowed = np.ones((6, 5), bool)
    allowed[2, 0] = False
    _roundtrip(Product(nb201, allowed))
    _roundtrip(Explicit(nb201, [[0] * 6, [3] * 6]))
    _roundtrip(Pockets(graph, graph.sample(2, np.random.default_rng(0)), 2))
    sh = Pockets(nb201, [[2] * 6], 1)
    sh.save(tmp_path / "s.json")
    assert load_shrunk(tmp_path / "s.json").size == 25
    assert ShrunkSpace.from_json(sh.to_json()).size == 25
    with pytest.raises(InvalidConfig):
        Product.from_json(sh.to_json())


def test_json_toy_space_needs_space():
    s = ToySpace([2, 3])
    e = Explicit(s, [[1, 2]])
    assert load_shrunk(e.to_json(), s).size == 1


def test_json_restricted_domain(proteins, graph_bench, graph):
    p = Pockets(proteins, proteins.sample(2, np.random.default_rng(1)), 1)
    d = _roundtrip(p, proteins)
    assert d["domain"]["restricted"] and d["domain"]["size"] == proteins.size
    with pytest.raises(InvalidConfig, match="restricted domain"):
        load_shrunk(d)
    with pytest.raises(InvalidConfig):
        load_shrunk(d, graph)
    other = graph_bench.domain("cora")  # the full space, not a SubsetSpace: size differs
    with pytest.raises(InvalidConfig):
        load_shrunk(d, other)


def test_json_errors(nb201, tmp_path):
    d = Pockets(nb201, [[0] * 6], 1).to_json()
    with pytest.raises(UnknownName):
        load_shrunk({**d, "kind": "blob"})
    with pytest.raises(InvalidConfig, match="version"):
        load_shrunk({**d, "version": 2})
    with pytest.raises(InvalidConfig, match="malformed"):
        load_shrunk({k: v for k, v in d.items() if k != "radius"})
    with pytest.raises(InvalidConfig):
        load_shrunk(d, get_space("nasbench-macro"))
    with pytest.raises(DataFileError):
        load_shrunk(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(DataFileError):
        load_shrunk(tmp_path / "bad.json")
