"""The contracts every registered space, shrinker and optimizer must keep (optuna's ``BasicSamplerTestCase``
idea): the suites are parametrised over the registries, so registering a new one is enough to put it here.

Spaces: strings, indices and canonical forms round-trip; sampling is deterministic and valid; the radius-1
neighbour relation is symmetric and never returns the architecture itself; distance is 0 exactly on equal
canonical forms; out-of-range arrays are refused.  Shrinkers and optimizers run on a planted benchmark: the
budget is never exceeded, every result lies inside the domain, the same seed gives the same result, the shrunk
space survives a JSON round trip, and bad parameters are refused with one clear error.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lissnas_bench import Benchmark, Oracle
from lissnas_bench._params import describe
from lissnas_bench.errors import InvalidArchitecture, InvalidConfig, LissnasBenchError, UnknownName
from lissnas_bench.search import available_optimizers, get_optimizer, optimizer_class
from lissnas_bench.shrinkers import available_shrinkers, get_shrinker, shrinker_class
from lissnas_bench.spaces import available_spaces, get_space
from lissnas_bench.spaces.shrunk import Pockets, load_shrunk

N = 12  # architectures drawn per space check


@pytest.fixture(scope="module", params=available_spaces())
def space(request):
    return get_space(request.param)


def _sample(space, n=N, seed=0):
    return space.sample(n, np.random.default_rng(seed))


# ---------------------------------------------------------------------------------------------- spaces
def test_space_declares_itself(space):
    assert space.name in available_spaces()
    assert space.positions == len(space.n_choices) == len(space.position_names) == len(space.choice_names)
    assert all(len(c) == k for c, k in zip(space.choice_names, space.n_choices))
    assert space.size >= 1 and space.string_formats


def test_space_sampling_is_deterministic_and_valid(space):
    a, b = _sample(space), _sample(space)
    assert np.array_equal(a, b)
    assert space.contains(a).all() and np.array_equal(space.canonicalize(a), a)
    assert not np.array_equal(a, _sample(space, seed=1)) or space.size == 1


def test_space_strings_and_index_round_trip(space):
    a = _sample(space)
    for fmt in space.string_formats:
        assert np.array_equal(space.from_strings(space.to_strings(a, fmt)), a), fmt
    assert np.array_equal(space.from_index(space.index(a)), a)
    assert len(np.unique(space.index(a))) == len(np.unique(a, axis=0))


def test_space_neighbours_symmetric_and_not_self(space):
    a = _sample(space, 4)
    nb, src = space.neighbours(a, 1)
    assert len(nb) == len(src) and len(nb) > 0
    assert space.contains(nb).all()
    keys = space.index(a)
    assert not (space.index(nb) == keys[src]).any()
    if not space.symmetric_neighbours:  # declared directed (nb101's pruned edit relation)
        return
    for i in range(min(len(nb), 40)):
        back, _ = space.neighbours(nb[i : i + 1], 1)
        assert keys[src[i]] in set(space.index(back).tolist())


def test_space_distance(space):
    a = _sample(space, 6)
    d = np.asarray(space.distance(a, a))
    assert d.shape == (6, 6) and (np.diag(d) == 0).all() and (d >= 0).all() and np.array_equal(d, d.T)


def test_space_refuses_out_of_range(space):
    bad = _sample(space, 1).astype(np.int64)
    bad[0, 0] = int(space.n_choices[0]) + 3
    with pytest.raises(InvalidArchitecture):
        space.validate(bad)
    with pytest.raises(LissnasBenchError):
        space.from_strings(["certainly not an architecture"])


# ---------------------------------------------------------------------------------------------- planted benchmark
@pytest.fixture(scope="module")
def planted():
    """All 6,561 NAS-Bench-Macro keys with f = a smooth function of the encoding plus noise (a known landscape)."""
    space = get_space("nasbench-macro")
    archs = space.enumerate()
    rng = np.random.default_rng(7)
    f = archs.astype(float) @ np.linspace(1.0, 2.0, space.positions) + rng.normal(0, 0.5, len(archs))
    return Benchmark(id="planted", space=space, archs=archs, columns={("toy", "f"): f})


def _shrinker(name, **extra):
    cls = shrinker_class(name)
    params = {"n": 30} if any(f.name == "n" for f in dataclasses.fields(cls.Params)) else {}
    if "k" in {f.name for f in dataclasses.fields(cls.Params)}:
        params["k"] = 5
    return get_shrinker(name, **params, **extra)


def _shrink(planted, name, seed=0, budget=200):
    oracle = Oracle(planted, budget=budget)
    ref = 150 if _shrinker(name).needs_reference else None
    return _shrinker(name).shrink(oracle, np.random.default_rng(seed), reference_size=ref, reference_queries=60), oracle


@pytest.mark.parametrize("name", available_shrinkers())
def test_shrinker_budget_domain_determinism(planted, name):
    res, oracle = _shrink(planted, name)
    assert oracle.queries <= 200 and res.queries == oracle.queries
    members = res.shrunk.enumerate()
    assert 1 <= len(members) == res.shrunk.size and planted.space.contains(members).all()
    again, _ = _shrink(planted, name)
    assert again.shrunk.to_json() == res.shrunk.to_json()
    assert list(res.trace.columns[:6]) == ["iteration", "size", "sample_mean", "sample_best", "queries", "accepted"]
    reloaded = load_shrunk(res.shrunk.to_json(), space=planted.space)
    assert np.array_equal(reloaded.enumerate(), members)
    if _shrinker(name).needs_reference:
        assert res.shrunk.size >= 1


@pytest.mark.parametrize("kind, name", [("shrinker", n) for n in available_shrinkers()]
                         + [("optimizer", n) for n in available_optimizers()])
def test_bad_parameters_are_refused(kind, name):
    cls = shrinker_class(name) if kind == "shrinker" else optimizer_class(name)
    build = get_shrinker if kind == "shrinker" else get_optimizer
    with pytest.raises(UnknownName, match="unknown parameter 'no_such_parameter'"):
        build(name, no_such_parameter=1)
    for d in describe(cls.Params):
        assert d["help"], f"{name}.{d['name']} has no help text"
        f = next(f for f in dataclasses.fields(cls.Params) if f.name == d["name"])
        for key, delta in (("ge", -1), ("gt", 0)):
            bound = f.metadata.get(key)
            if bound is not None:
                with pytest.raises(InvalidConfig, match=d["name"]):
                    build(name, **{d["name"]: bound + delta})
        if d["type"].startswith(("integer", "number")):
            with pytest.raises(InvalidConfig, match=d["name"]):
                build(name, **{d["name"]: "not-a-number"})


@pytest.mark.parametrize("name", available_optimizers())
def test_optimizer_budget_domain_determinism(planted, name):
    domain = Pockets(planted.space, planted.space.sample(3, np.random.default_rng(1)), radius=2)
    results = []
    for _ in range(2):
        oracle = Oracle(planted, budget=120)
        res = get_optimizer(name).search(oracle, np.random.default_rng(5), domain)
        archs, _ = oracle.queried()
        assert oracle.queries <= 120 and domain.contains(archs).all()
        assert (np.diff(res.best_so_far) >= 0).all() and res.best_value == res.best_so_far[-1]
        results.append(res.best_so_far)
    assert np.array_equal(results[0], results[1])
