"""The keyed evaluation path (rows of S' joined by the table's stored keys) gives exactly the metrics of the way
before it (``contains`` on every row), on several spaces, every kind of shrunk space, and restricted domains."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lissnas_bench.benchmarks import Benchmark
from lissnas_bench.evaluation import _rows, evaluate
from lissnas_bench.spaces import SubsetSpace, get_space
from lissnas_bench.spaces._nb101_graph import N_EDGE, _prune, adjacency
from lissnas_bench.spaces.shrunk import Explicit, Pockets, Product
from lissnas_bench.spaces.shrunk._keys import member_rows


def _same(a: dict, b: dict) -> bool:
    def eq(x, y):
        return x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))

    return a.keys() == b.keys() and all(eq(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def nb101_small():
    """Some 3,000 NB101 cells with a synthetic truth, NaN on some rows, and some rows stored in a non-canonical
    encoding (an op set on a pruned vertex): ``contains`` is False for those, and so must the join be."""
    space = get_space("nb101")
    rng = np.random.default_rng(3)
    a = np.unique(space.sample(10_000, rng), axis=0)
    keep, _ = _prune(adjacency(a))
    pruned = np.flatnonzero(~keep[:, 1:-1].all(axis=1))[:40]
    for r in pruned:  # a pruned interior vertex's op is 0 in the canonical encoding
        v = int(np.flatnonzero(~keep[r, 1:-1])[0])
        a[r, N_EDGE + v] = 2
    f = rng.normal(size=len(a))
    f[rng.choice(len(a), 50, replace=False)] = np.nan
    bench = Benchmark(id="nb101-small", space=space, archs=a, columns={("syn", "f"): f})
    assert not space.contains(bench.archs).all()  # the fixture does hold non-canonical rows
    return bench


def _cases(bench, dataset):
    """Shrunk spaces of every kind in the benchmark's domain for ``dataset``."""
    dom = bench.domain(dataset)
    rng = np.random.default_rng(0)
    members = bench.archs[np.isfinite(bench.column(dataset))]
    members = members[dom.contains(members)]
    centres = members[rng.choice(len(members), 8, replace=False)]
    K = int(bench.space.n_choices.max())
    allowed = np.arange(K)[None, :] < bench.space.n_choices[:, None]
    allowed[0, 0] = allowed[-1, 1] = False
    out = {
        "pockets-r1": Pockets(dom, centres, radius=1),
        "pockets-r2": Pockets(dom, centres[:3], radius=2),
        "explicit": Explicit(dom, members[rng.choice(len(members), 60, replace=False)]),
        "product": Product(dom, allowed),
        "domain": dom,
        "array": members[:30],
    }
    if not isinstance(dom, SubsetSpace) and bench.space.name == "nb201":  # broadcast distances, not keys
        out["pockets-hamming"] = Pockets(dom, members[rng.choice(len(members), 200, replace=False)], radius=6)
    return out


def _benchmarks(request):
    name = request.param
    if name == "nb101-small":
        return request.getfixturevalue("nb101_small"), "syn"
    if name == "analognas":
        return request.getfixturevalue("analognas"), None
    return request.getfixturevalue("graph_bench"), name.split(":")[1]


@pytest.fixture(params=["analognas", "graph:cora", "graph:proteins", "nb101-small"])
def target(request):
    return _benchmarks(request)


def test_keyed_metrics_equal_the_contains_way(target):
    bench, dataset = target
    for label, shrunk in _cases(bench, dataset).items():
        new = evaluate(shrunk, bench, dataset, q=0.05)
        with _rows.reference():
            old = evaluate(shrunk, bench, dataset, q=0.05)
        assert _same(new, old), (label, {k: (new[k], old[k]) for k in new if not _same({k: new[k]}, {k: old[k]})})


def test_full_space_restriction_and_proxy_agree(target):
    bench, dataset = target
    rng = np.random.default_rng(1)
    rows = np.flatnonzero(np.isfinite(bench.column(dataset)))
    full = SubsetSpace(bench.space, bench.archs[np.sort(rng.choice(rows, len(rows) // 2, replace=False))])
    proxy = bench.column(dataset) + rng.normal(size=len(bench))
    for label, shrunk in _cases(bench, dataset).items():
        new = evaluate(shrunk, bench, dataset, full_space=full, proxy=proxy)
        with _rows.reference():
            old = evaluate(shrunk, bench, dataset, full_space=full, proxy=proxy)
        assert _same(new, old), label


def test_join_is_contains_on_every_row(target):
    bench, dataset = target
    for label, shrunk in _cases(bench, dataset).items():
        if isinstance(shrunk, np.ndarray):
            continue
        rows = member_rows(shrunk, bench.space, bench.keys, bench.archs)
        want = np.flatnonzero(shrunk.contains(bench.archs))
        if rows is None:  # the join does not apply (broadcast distances): evaluate asks contains
            assert label == "pockets-hamming"
            continue
        assert np.array_equal(rows, want), label


def test_a_warm_evaluation_does_not_recanonicalise_the_table(nb101_small, monkeypatch):
    """What made evaluation slow: every row through the 120-relabelling minimum, three times.  Counted, not timed."""
    import lissnas_bench.spaces.nb101 as nb101

    bench = nb101_small
    shrunk = _cases(bench, "syn")["pockets-r1"]
    evaluate(shrunk, bench)  # builds what is shared by every shrunk space of this benchmark
    seen = []
    real = nb101._graph_keys
    monkeypatch.setattr(nb101, "_graph_keys", lambda A, ops: seen.append(len(A)) or real(A, ops))
    evaluate(shrunk, bench)
    n_S = int(np.isfinite(bench.column()).sum())
    assert max(seen) < n_S, seen  # S' and the neighbours of S' (pockets) only, never the rows of S
    with _rows.reference():
        seen.clear()
        evaluate(shrunk, bench)
    assert max(seen) >= n_S  # the reference does canonicalise them (so the check above means something)
