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


def test_rows_filled_on_demand_equal_the_whole_table(smooth, monkeypatch):
    """A benchmark too large for a whole table (NB101) fills rows on demand: the same rows, read-only."""
    from lissnas_bench.benchmarks import neighbours

    whole = neighbours.NeighbourRows(1)
    monkeypatch.setattr(neighbours, "WHOLE_TABLE_ROWS", 10)
    lazy = neighbours.NeighbourRows(1)
    rows = np.random.default_rng(4).choice(len(smooth), 300, replace=False)
    lazy.fill(smooth, rows[:100])
    for r in rows.tolist():
        got = lazy.of(smooth, r)
        assert not got.flags.writeable
        assert np.array_equal(got, _fresh_neighbours(smooth, r, np.ones(len(smooth), dtype=bool)))
    assert lazy.indptr is None and lazy.csr(smooth) is None
    monkeypatch.setattr(neighbours, "WHOLE_TABLE_ROWS", 100_000)
    for r in rows.tolist():
        assert np.array_equal(whole.of(smooth, r), lazy.of(smooth, r))
    assert not whole.indices.flags.writeable


@pytest.mark.parametrize("bench_id", ["analognas", "nasbench-graph"])
def test_pocket_count_from_the_neighbour_table_equals_the_direct_count(bench_id):
    from lissnas_bench import load_benchmark
    from lissnas_bench.evaluation import diversity

    bench = load_benchmark(bench_id)
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 300, 5000):
        rows = np.sort(rng.choice(len(bench), n, replace=False))
        want = diversity.count_pockets(bench.space, bench.archs[rows]) if n else 0
        assert diversity.count_pockets_rows(bench, rows) == want
    # a radius-1 ball is one pocket
    ball = np.union1d([5], _base.neighbour_graph(bench).of(bench, 5))
    assert diversity.count_pockets_rows(bench, ball) == 1


def test_one_row_queries_account_as_a_batch_does(smooth):
    from lissnas_bench.errors import BudgetExhausted

    a, b = Oracle(smooth, budget=3), Oracle(smooth, budget=3)
    for r in (7, 7, 9, 11):
        a.query_rows(np.array([r]))
    b.query_rows(np.array([7, 7, 9, 11]))
    assert a.history == b.history == [7, 9, 11] and a.queries == 3
    assert a.query_rows(np.array([9]))[0] == smooth.columns[("smooth", "f")][9]  # known: free
    with pytest.raises(BudgetExhausted, match="query of 1 new architectures exceeds the budget"):
        a.query_rows(np.array([12]))
    state = _base.SearchState(Oracle(smooth, budget=2), None)
    assert state.query_row(3) == state.query_row(3) == float(smooth.columns[("smooth", "f")][3])
    assert state.query_row(4) is not None and state.query_row(5) is None and state.oracle.queries == 2


def test_sort_based_unique_equals_numpy():
    from lissnas_bench._arrays import unique_first, unique_ints

    rng = np.random.default_rng(2)
    for a in (np.empty(0, np.int64), np.array([4]), rng.integers(0, 50, 1000), rng.integers(0, 10**12, 5000)):
        u, first = np.unique(a, return_index=True)
        assert np.array_equal(unique_ints(a), u)
        got_u, got_first = unique_first(a)
        assert np.array_equal(got_u, u) and np.array_equal(got_first, first)


def test_one_row_query_charges_as_query_rows(smooth):
    """``Oracle.query_row`` (the evolution's child) keeps the same history, budget, time and errors."""
    from lissnas_bench.errors import BudgetExhausted, InvalidConfig

    cost = np.abs(np.random.default_rng(1).standard_normal(len(smooth)))
    cost[5], cost[6] = np.nan, np.inf
    bench = Benchmark(id="timed", space=smooth.space, archs=smooth.archs,
                      columns={**smooth.columns, ("smooth", "time"): cost}, cost_metrics={"smooth": "time"})
    a, b = Oracle(bench, "smooth", "f", budget=4), Oracle(bench, "smooth", "f", budget=4)
    for r in (5, 9, 9, 6, 2):
        assert a.query_row(r) == float(b.query_rows(np.array([r]))[0])
    assert a.history == b.history and a.sim_seconds == b.sim_seconds
    with pytest.raises(BudgetExhausted, match="query of 1 new architectures"):
        a.query_row(11)
    mask = np.ones(len(bench), dtype=bool)
    mask[3] = False
    with pytest.raises(InvalidConfig, match="outside its domain"):
        Oracle(bench, "smooth", "f", domain=mask).query_row(3)


def test_whole_tables_are_cached_on_disk_and_a_damaged_file_is_recomputed(smooth, tmp_path, monkeypatch, caplog):
    """A second process loads the table from ``$LISSNAS_BENCH_HOME/neighbours`` (the same arrays); a file that
    fails its checksum, or holds a table of another size, is recomputed and replaced, with a warning."""
    from lissnas_bench._io import save_npz_checked
    from lissnas_bench.benchmarks import neighbours

    monkeypatch.setenv("LISSNAS_BENCH_HOME", str(tmp_path))
    want = neighbours.NeighbourRows(1).compute_whole(smooth)
    first = neighbours.NeighbourRows(1)
    first.csr(smooth)
    (path,) = (tmp_path / "neighbours").glob("nb201-r1-*.npz")
    computed, compute = [], neighbours.NeighbourRows.compute_whole

    def counted(self, bench):
        computed.append(bench.id)
        return compute(self, bench)

    monkeypatch.setattr(neighbours.NeighbourRows, "compute_whole", counted)
    loaded = neighbours.NeighbourRows(1)
    assert [np.array_equal(a, b) for a, b in zip(loaded.csr(smooth), want)] == [True, True] and not computed
    assert loaded.indices.dtype == np.int64 and not loaded.indices.flags.writeable

    path.write_bytes(path.read_bytes()[:-100])  # truncated
    neighbours.NeighbourRows(1).csr(smooth)
    save_npz_checked(path, indptr=np.zeros(5, np.int64), indices=np.zeros(0, np.int32))  # valid file, wrong table
    neighbours.NeighbourRows(1).csr(smooth)
    assert computed == ["smooth", "smooth"] and caplog.text.count("recomputing") == 2
    assert [np.array_equal(a, b) for a, b in zip(neighbours.NeighbourRows(1).csr(smooth), want)] == [True, True]
    # another benchmark of the same space (other rows) has its own file
    other = Benchmark(id="half", space=smooth.space, archs=smooth.archs[::2], columns={("s", "f"): np.zeros(
        len(smooth.archs[::2]))})
    assert len(neighbours.NeighbourRows(1).csr(other)[0]) == len(other) + 1
    assert len(list((tmp_path / "neighbours").glob("nb201-r1-*.npz"))) == 2
