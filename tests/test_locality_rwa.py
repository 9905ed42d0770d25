"""The random-walk autocorrelation's walk estimate and its interval, on planted landscapes whose exact value is
known (issue #14: "the exact ρ falls outside the 100-walk interval at lags 2-3").

* Exact mode (walks from the stationary law, pooled mean and variance, bootstrap over walks) is unbiased and its
  95 % interval covers the analytic ρ(h) of an additive NB201 landscape in about 95 % of seeds.
* Sampled mode starts its walkers uniformly.  Where the degree goes with f (a partial table that keeps good
  architectures more often) uniform starts over-weight poorly connected rows and bias ρ; weighting each walk by
  its start's degree (importance weights to the stationary law) removes the bias.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_locality import analytic, planted

from lissnas_bench.benchmarks import Benchmark
from lissnas_bench.locality import analyze_locality
from lissnas_bench.locality import measures as M
from lissnas_bench.locality._landscape import Landscape

K = 4
SEEDS = 100


def _coverage(graph, f, exact, walks, length, seeds, start=None, weights=None):
    """Mean estimate and the fraction of seeds whose interval covers ``exact``, per lag."""
    est, cover = [], []
    for s in range(seeds):
        rng = np.random.default_rng(s)
        st = None if start is None else start(rng)
        pos = M.walks_on_graph(graph, walks, length, rng, start=st)
        w = None if weights is None else weights[pos[:, 0]]
        rho, ci = M.rwa_from_walks(f[pos], K, rng, 200, 0.95, weights=w)
        est.append(rho)
        cover.append((ci[:, 0] <= exact) & (exact <= ci[:, 1]))
    return np.mean(est, axis=0), np.std(est, axis=0), np.mean(cover, axis=0)


@pytest.fixture(scope="module")
def additive_graph():
    bench, effects = planted()
    L = Landscape(bench, "syn", "f")
    _, _, rwa, _ = analytic(effects, 0.8, P=6, q=5, K=K, opt=(0,) * 6)
    return L.graph(), L.f, rwa


def test_exact_mode_walk_interval_covers_the_analytic_value(additive_graph):
    graph, f, rwa = additive_graph
    np.testing.assert_allclose(M.rwa_exact(f, graph, K), rwa, atol=0.01)  # the planted value is the exact one
    mean, sd, cover = _coverage(graph, f, rwa, walks=100, length=200, seeds=SEEDS)
    assert np.all(np.abs(mean - rwa) < 3 * sd / np.sqrt(SEEDS)), (mean, rwa)  # unbiased
    assert np.all(cover >= 0.88) and cover.mean() >= 0.92, cover  # nominal 95 %; binomial sd 2.2 % per lag


@pytest.fixture(scope="module")
def degree_biased():
    """A partial NB201 table that keeps good architectures more often, so that degree and f go together."""
    bench, _ = planted(seed=3)
    f = bench.column("syn", "f")
    rank = np.argsort(np.argsort(f)) / len(f)
    keep = np.random.default_rng(0).random(len(f)) < 0.05 + 0.95 * rank**3
    part = Benchmark(id="biased", space=bench.space, archs=bench.archs,
                     columns={("syn", "f"): np.where(keep, f, np.nan)})
    L = Landscape(part, "syn", "f")
    graph = L.graph()
    assert np.corrcoef(graph.degree, L.f)[0, 1] > 0.5
    return part, graph, L.f, M.rwa_exact(L.f, graph, K)


def test_uniform_starts_need_degree_weights(degree_biased):
    _, graph, f, exact = degree_biased
    live = np.flatnonzero(graph.degree > 0)

    def uniform(rng):
        return rng.choice(live, 1000)

    mean, sd, cover = _coverage(graph, f, exact, 1000, 20, 40, start=uniform)
    assert np.all(mean - exact > 3 * sd / np.sqrt(40)), (mean, exact)  # unweighted: biased upwards ...
    assert np.all(cover < 0.6), cover  # ... so that its interval misses the exact value most of the time
    mean, sd, cover = _coverage(graph, f, exact, 1000, 20, 40, start=uniform, weights=graph.degree)
    assert np.all(np.abs(mean - exact) < 3 * sd / np.sqrt(40)), (mean, exact)
    assert np.all(cover >= 0.8), cover


def test_sampled_mode_matches_the_exact_value_on_a_degree_biased_table(degree_biased):
    part, _, _, exact = degree_biased
    res = analyze_locality(part, mode="sampled", max_distance=K, samples=3000, permutations=9, bootstrap=200, rng=1)
    assert "weighted by their degree" in res.rwa_method
    np.testing.assert_allclose(res.rwa_by_lag, exact, atol=0.03)
    lo, hi = np.array(res.rwa_walks_ci).T
    assert np.mean((lo <= exact) & (exact <= hi)) >= 0.75
