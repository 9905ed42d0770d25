"""Shrinkers: budgets, determinism, LISSNAS on a planted landscape, op-pruning, baselines, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lissnas_bench import Benchmark, Oracle
from lissnas_bench.errors import InvalidConfig, UnknownName
from lissnas_bench.shrinkers import (
    TRACE_COLUMNS,
    Explicit,
    Pockets,
    Product,
    ShrinkResult,
    available_shrinkers,
    get_shrinker,
)
from conftest import ToySpace

OPT = np.array([3, 1, 4, 0, 2, 4], dtype=np.int8)



@pytest.fixture(scope="module")
def planted():
    """6 positions x 5 choices; f = -(Hamming distance to OPT) + noise of sd 0.1: smooth, one optimum."""
    space = ToySpace([5] * 6)
    archs = space.enumerate()
    f = -(archs != OPT).sum(axis=1) + 0.1 * np.random.default_rng(42).standard_normal(len(archs))
    f[space.index(OPT[None])[0]] = 1.0  # the optimum stays the optimum whatever the noise
    return Benchmark(id="planted", space=space, archs=archs, columns={("synthetic", "f"): f})


def oracle(bench, budget, dataset=None):
    return Oracle(bench, dataset, budget=budget)


def run(name, bench, budget, seed=0, reference_size=None, dataset=None, **params):
    o = oracle(bench, budget, dataset)
    res = get_shrinker(name, **params).shrink(o, np.random.default_rng(seed), reference_size=reference_size)
    return o, res


# ------------------------------------------------------------------------------------------------ registry
def test_registry():
    assert available_shrinkers() == ["lissnas", "op-pruning", "random", "single-region", "top-samples"]
    refs = {n: get_shrinker(n).needs_reference for n in available_shrinkers()}
    assert refs == {"lissnas": False, "op-pruning": True, "random": True, "single-region": True, "top-samples": False}
    with pytest.raises(UnknownName, match="unknown method 'nope'"):
        get_shrinker("nope")


def test_params_from_cli_strings():
    s = get_shrinker("lissnas", n="50", k="5", radius="2", tol="0.25", max_iters="3", union="true")
    assert (s.params.n, s.params.k, s.params.radius, s.params.tol, s.params.max_iters, s.params.union) == (
        50, 5, 2, 0.25, 3, True,
    )
    assert get_shrinker("op-pruning", target_size="none").params.target_size is None
    assert get_shrinker("top-samples", fraction="0.2", n="30").params.n == 30
    assert get_shrinker("lissnas", union="0").params.union is False


@pytest.mark.parametrize(
    "name,params,exc,match",
    [
        ("lissnas", {"kk": 3}, UnknownName, "unknown parameter 'kk'; accepted: n, k, radius"),
        ("lissnas", {"k": "abc"}, InvalidConfig, "lissnas: k must be an integer, got 'abc'"),
        ("lissnas", {"k": "2.5"}, InvalidConfig, "k must be an integer"),
        ("lissnas", {"union": "maybe"}, InvalidConfig, "union must be a boolean, got 'maybe'"),
        ("lissnas", {"radius": 0}, InvalidConfig, "radius must be >= 1"),
        ("lissnas", {"k": 0}, InvalidConfig, "k must be >= 1"),
        ("lissnas", {"k": 101}, InvalidConfig, "k=101 > n=100"),
        ("lissnas", {"n": 0}, InvalidConfig, "n must be >= 1"),
        ("lissnas", {"tol": -1}, InvalidConfig, "tol must be >= 0"),
        ("lissnas", {"max_iters": 0}, InvalidConfig, "max_iters must be >= 1"),
        ("op-pruning", {"drops": 0}, InvalidConfig, "drops must be >= 1"),
        ("op-pruning", {"target_size": 0}, InvalidConfig, "target_size must be >= 1"),
        ("random", {"size": 0}, InvalidConfig, "size must be >= 1"),
        ("single-region", {"n": -3}, InvalidConfig, "n must be >= 1"),
        ("top-samples", {"fraction": 0}, InvalidConfig, "fraction must be > 0"),
        ("top-samples", {"fraction": 1.5}, InvalidConfig, "fraction"),
    ],
)
def test_bad_params(name, params, exc, match):
    with pytest.raises(exc, match=match):
        get_shrinker(name, **params)


def test_budget_smaller_than_n(planted):
    with pytest.raises(InvalidConfig, match="budget 50 < n=100"):
        run("lissnas", planted, 50)
    with pytest.raises(InvalidConfig, match="budget 10 < n=100"):
        run("single-region", planted, 10, reference_size=30)
    with pytest.raises(InvalidConfig, match="budget 5 < n=20"):
        run("top-samples", planted, 5, n=20)
    with pytest.raises(InvalidConfig, match="budget 50 < n=100"):
        run("op-pruning", planted, 50, reference_size=30)


@pytest.mark.parametrize("name,param", [("random", "size=N"), ("single-region", "size=N"), ("op-pruning", "target_size=N")])
def test_size_matched_need_reference(planted, name, param):
    with pytest.raises(InvalidConfig, match=param):
        run(name, planted, 500)
    with pytest.raises(InvalidConfig, match="larger than the space"):
        run(name, planted, 500, reference_size=10**6)


def test_top_samples_needs_n_without_budget(planted):
    with pytest.raises(InvalidConfig, match="set n=N"):
        run("top-samples", planted, None)


# ------------------------------------------------------------------------------------------------ all methods
ALL = [
    ("lissnas", {}),
    ("lissnas", {"union": True, "radius": 2, "k": 3, "n": 40}),
    ("op-pruning", {}),
    ("op-pruning", {"drops": 2, "n": 50}),
    ("random", {}),
    ("single-region", {}),
    ("top-samples", {}),
    ("top-samples", {"n": 90, "fraction": 0.05}),
]


@pytest.mark.parametrize("name,params", ALL)
@pytest.mark.parametrize("budget", [100, 101, 173, 400, 1500])
def test_budget_never_exceeded(planted, name, params, budget):
    o, res = run(name, planted, budget, seed=budget, reference_size=120, **params)
    assert isinstance(res, ShrinkResult)
    assert o.queries <= budget and res.queries == o.queries
    assert res.shrunk.space is o.space and res.shrunk.size >= 1
    assert list(res.trace.columns[: len(TRACE_COLUMNS)]) == list(TRACE_COLUMNS)
    if len(res.trace):
        assert (res.trace["queries"] <= budget).all() and res.trace["queries"].is_monotonic_increasing
        assert res.trace["accepted"].dtype == bool
    assert res.info["method"] == name and "stop" in res.info


@pytest.mark.parametrize("name,params", ALL)
def test_same_seed_same_result(planted, name, params):
    _, a = run(name, planted, 600, seed=7, reference_size=120, **params)
    _, b = run(name, planted, 600, seed=7, reference_size=120, **params)
    _, c = run(name, planted, 600, seed=8, reference_size=120, **params)
    assert a.shrunk.to_json() == b.shrunk.to_json()
    pd.testing.assert_frame_equal(a.trace, b.trace)
    assert a.info == b.info and a.queries == b.queries
    if name != "op-pruning":  # a product space can come out identical by chance
        assert a.shrunk.to_json() != c.shrunk.to_json()


def test_budget_spent_before_the_shrink(planted):
    o = oracle(planted, 150)
    o.query(planted.archs[:120])  # someone else spent most of the budget
    res = get_shrinker("lissnas").shrink(o, np.random.default_rng(0))
    assert res.info["stop"] == "budget" and res.trace.empty
    assert res.shrunk.kind == "product" and res.shrunk.size == planted.space.size
    assert o.queries == 120


# ------------------------------------------------------------------------------------------------ LISSNAS
@pytest.mark.parametrize("seed", range(5))
def test_lissnas_finds_the_planted_optimum(planted, seed):
    o, res = run("lissnas", planted, 3000, seed=seed)
    assert res.shrunk.kind == "pockets"
    assert res.shrunk.contains(OPT[None])[0], res.trace
    assert res.shrunk.size < planted.space.size / 20
    t = res.trace
    assert t["accepted"].iloc[:-1].all()
    assert res.info["stop"] in {"no-improvement", "max-iters", "budget"}
    if res.info["stop"] == "no-improvement":
        assert not t["accepted"].iloc[-1]
        # the result is the last accepted space: its sample mean is the best of the accepted ones
        assert res.info["returned_iteration"] == len(t) - 2
    assert (t["sample_mean"].diff().iloc[1 : len(t) - 1] > 0).all()


def test_lissnas_trace(planted):
    o, res = run("lissnas", planted, 3000, seed=1)
    t = res.trace
    assert t["iteration"].tolist() == list(range(len(t)))
    assert t["size"].iloc[0] == planted.space.size and t["centres"].iloc[0] == 0
    assert (t["n_sampled"] == np.minimum(100, t["size"])).all()
    assert t["queries"].iloc[-1] == o.queries == t["new_queries"].sum()
    last = res.info["returned_iteration"]
    assert t["size"].iloc[last] == res.shrunk.size


def test_lissnas_union_contains_last(planted):
    _, last = run("lissnas", planted, 3000, seed=2)
    _, union = run("lissnas", planted, 3000, seed=2, union=True)
    assert union.shrunk.size >= last.shrunk.size
    assert union.shrunk.contains(last.shrunk.enumerate()).all()
    assert union.info["accepted_iterations"] == last.info["accepted_iterations"]


def test_lissnas_no_improvement_returns_full_space(planted):
    _, res = run("lissnas", planted, 3000, tol=1e9)
    assert res.info["stop"] == "no-improvement" and res.info["accepted_iterations"] == 0
    assert res.trace["accepted"].tolist() == [True, False]
    assert res.shrunk.kind == "product" and res.shrunk.size == planted.space.size


def test_lissnas_budget_of_one_sample(planted):
    o, res = run("lissnas", planted, 100)
    assert res.info["stop"] == "budget" and len(res.trace) == 1 and o.queries == 100
    assert res.shrunk.size == planted.space.size


def test_lissnas_max_iters(planted):
    _, res = run("lissnas", planted, 3000, max_iters=1)
    assert len(res.trace) <= 2
    if res.trace["accepted"].all():
        assert res.info["stop"] == "max-iters" and res.shrunk.kind == "pockets"


def test_lissnas_small_space_samples_everything():
    space = ToySpace([3, 3])
    f = -np.abs(space.enumerate().sum(axis=1) - 4).astype(float)
    bench = Benchmark(id="tiny", space=space, archs=space.enumerate(), columns={("d", "f"): f})
    o, res = run("lissnas", bench, 9, n=20, k=2)
    assert res.trace["n_sampled"].iloc[0] == 9 and o.queries == 9


def test_lissnas_analognas(analognas):
    o, res = run("lissnas", analognas, 1000, seed=0)
    assert o.queries <= 1000 and res.shrunk.kind == "pockets"
    col = analognas.column()
    inside = res.shrunk.contains(analognas.archs)
    assert inside.sum() == res.shrunk.size
    assert col[inside].mean() > col.mean() + 3  # pockets around good cells are much better than average


# ------------------------------------------------------------------------------------------------ op-pruning
@pytest.mark.parametrize("params", [{}, {"drops": 1}, {"drops": 3}, {"reuse": False}])
def test_op_pruning_reaches_target(planted, params):
    o, res = run("op-pruning", planted, 5000, reference_size=100, **params)
    S = res.shrunk
    assert isinstance(S, Product)
    assert (S.counts >= 1).all()
    assert S.size <= 100 and res.info["reached_target"] and res.info["stop"] == "target"
    assert S.size == math.prod(S.counts.tolist())
    # the greedy drops keep the optimum's choices: the lowest-scoring choices are never OPT's
    assert S.contains(OPT[None])[0]
    t = res.trace
    assert (t["size_after"] <= t["size"]).all() and t["accepted"].all()


def test_op_pruning_schedule_fits_the_budget(planted):
    o, res = run("op-pruning", planted, 400, reference_size=50)
    assert res.info["reached_target"] and o.queries <= 400
    _, slow = run("op-pruning", planted, 400, reference_size=50, drops=1)
    assert slow.info["stop"] == "budget" and not slow.info["reached_target"]
    assert slow.shrunk.size > 50 and (slow.shrunk.counts >= 1).all()


def test_op_pruning_target_already_met(planted):
    o, res = run("op-pruning", planted, 500, target_size=planted.space.size)
    assert res.shrunk.size == planted.space.size and o.queries == 0 and res.info["stop"] == "target"


def test_op_pruning_max_rounds(planted):
    _, res = run("op-pruning", planted, 5000, reference_size=10, max_rounds=2, drops=1)
    assert len(res.trace) == 2 and res.info["stop"] == "max-rounds"


def test_op_pruning_proteins(graph_bench):
    o, res = run("op-pruning", graph_bench, 600, dataset="proteins", reference_size=200)
    S = res.shrunk
    assert S.space is o.space and S.size <= 200 and (S.counts >= 1).all()
    assert S.contains(S.enumerate()).all() and o.space.contains(S.enumerate()).all()


# ------------------------------------------------------------------------------------------------ baselines
def test_random_subset(planted):
    o, res = run("random", planted, 100, reference_size=321)
    assert isinstance(res.shrunk, Explicit) and res.shrunk.size == 321 and o.queries == 0
    _, explicit = run("random", planted, 100, size=77, reference_size=321)
    assert explicit.shrunk.size == 77  # the parameter overrides the reference


def test_single_region_ball(planted):
    o, res = run("single-region", planted, 500, reference_size=100, match="ball")
    S = res.shrunk
    assert isinstance(S, Pockets) and len(S.centres) == 1 and S.size >= 100
    assert S.radius == 2 and S.size == 265  # radius 1 holds 25 < 100
    archs, vals = o.queried()
    assert planted.query(S.centres)[0] == vals.max()
    assert res.trace["radius"].tolist() == [1, 2] and res.trace["size"].tolist() == [25, 265]


def test_single_region_matches_size_and_spend(planted):
    """The default cuts the ball to exactly the reference size and samples as many as the reference queried."""
    o = Oracle(planted, budget=500)
    res = get_shrinker("single-region").shrink(o, np.random.default_rng(0), reference_size=100, reference_queries=73)
    S = res.shrunk
    assert S.kind == "explicit" and S.size == 100 and o.queries == 73 and res.info["radius"] == 2
    centre = np.asarray(res.info["centre"])[None, :]
    d = planted.space.distance(S.enumerate(), centre)[:, 0]
    assert (d <= 2).all() and (d <= 1).sum() == 25  # the whole radius-1 ball, then part of the radius-2 shell
    archs, vals = o.queried()
    assert planted.query(centre)[0] == vals.max()


def test_single_region_whole_domain(planted):
    _, res = run("single-region", planted, 500, reference_size=planted.space.size)
    assert res.shrunk.size == planted.space.size and res.info["stop"] == "reference"


def test_single_region_proteins(graph_bench):
    o, res = run("single-region", graph_bench, 200, dataset="proteins", reference_size=150)
    assert res.shrunk.size >= 150 and o.space.contains(res.shrunk.enumerate()).all()


def test_top_samples(planted):
    o, res = run("top-samples", planted, 200, fraction=0.1)
    assert o.queries == 200 and res.shrunk.size == 20
    archs, vals = o.queried()
    best = np.sort(vals)[-20:]
    assert np.allclose(np.sort(planted.query(res.shrunk.enumerate())), best)
    _, small = run("top-samples", planted, 200, fraction=0.001, n=50)
    assert small.shrunk.size == 1


def test_lissnas_seed_diversity(planted):
    """min_seed_distance keeps seeds at least that far apart; 0 is exactly the plain top k."""
    plain = run("lissnas", planted, 500)[1]
    zero = run("lissnas", planted, 500, min_seed_distance=0)[1]
    assert plain.shrunk.to_json() == zero.shrunk.to_json()
    _, res = run("lissnas", planted, 500, min_seed_distance=3)
    c = res.shrunk.centres
    if len(c) > 1:
        d = planted.space.distance(c, c)
        assert d[~np.eye(len(c), dtype=bool)].min() >= 3
