"""The search's speed-ups change no number: neighbour rows shared across searches (``NeighbourRows``) equal a fresh
computation, searches give the same results with and without sharing, and every optimizer stops at once when its
domain is used up.  Nothing here is timed (speed is measured by benchmarks/bench_re.py and bench_sweep.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lissnas_bench import Benchmark, Oracle
from lissnas_bench.search import _base, available_optimizers, get_optimizer
from lissnas_bench.spaces import get_space


@pytest.fixture(scope="module")
def smooth():
    space = get_space("nb201")
    archs = space.enumerate()
    f = -(archs != np.array([3, 1, 4, 0, 2, 4])).sum(axis=1) + 0.1 * np.random.default_rng(3).standard_normal(len(archs))
    return Benchmark(id="smooth", space=space, archs=archs, columns={("smooth", "f"): f})


def _fresh_neighbours(bench, row: int, mask: np.ndarray) -> np.ndarray:
    nb, _ = bench.space.neighbours(bench.archs[[row]], 1)
    r = bench.rows(nb, missing="mask")
    return np.unique(r[(r >= 0) & mask[np.maximum(r, 0)]])


def test_shared_neighbour_rows_equal_a_fresh_computation(smooth):
    rng = np.random.default_rng(0)
    mask = rng.random(len(smooth)) < 0.3
    state = _base.SearchState(Oracle(smooth, budget=50), mask)
    for row in rng.choice(len(smooth), 40, replace=False).tolist():
        got = state.neighbours(row)
        assert np.array_equal(got, _fresh_neighbours(smooth, row, mask & state.oracle.domain_mask))
        assert not got.flags.writeable
    graph = _base.neighbour_graph(smooth)
    assert graph is _base.neighbour_graph(smooth)  # one graph per benchmark object and radius
    assert _base.neighbour_graph(smooth, 2) is not graph


@pytest.mark.parametrize("name", available_optimizers())
def test_results_do_not_depend_on_what_the_process_has_seen(name, smooth):
    """A search from cold neighbour rows and one after other searches filled them return the same numbers."""
    mask = np.zeros(len(smooth), dtype=bool)
    mask[np.random.default_rng(1).choice(len(smooth), 6000, replace=False)] = True  # above PREFETCH_DOMAIN

    def run():
        o = Oracle(smooth, budget=300)
        res = get_optimizer(name).search(o, np.random.default_rng(5), mask)
        return list(o.history), res.best_so_far.tolist(), res.info

    _base._GRAPHS.clear()
    cold = run()
    for seed in range(3):
        get_optimizer("re").search(Oracle(smooth, budget=200), np.random.default_rng(seed), mask)
    assert run() == cold


@pytest.mark.parametrize("name", available_optimizers())
def test_every_optimizer_stops_at_once_when_the_domain_is_used_up(name, smooth):
    mask = np.zeros(len(smooth), dtype=bool)
    mask[np.flatnonzero((smooth.archs[:, :3] == 0).all(axis=1))[:40]] = True
    o = Oracle(smooth, budget=1000)
    res = get_optimizer(name).search(o, np.random.default_rng(0), mask)
    assert o.queries == 40 and res.exhausted and res.stop == "exhausted"
    assert set(o.history) == set(np.flatnonzero(mask).tolist())
    if name == "re":  # known children between two new ones are bounded by patience
        assert res.info["known_children"] <= 100 * (40 - 10 + 1)


def test_a_graph_goes_with_its_benchmark(smooth):
    import gc

    bench = Benchmark(id="tmp", space=smooth.space, archs=smooth.archs, columns=dict(smooth.columns))
    _base.neighbour_graph(bench).of(bench, 0)
    before = len(_base._GRAPHS)
    del bench
    gc.collect()
    assert len(_base._GRAPHS) == before - 1
