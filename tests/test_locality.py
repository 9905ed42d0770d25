"""Locality analysis: analytic values on planted landscapes, chance on random ones, invariances, errors, CLI.

Planted landscape on NB201 (P = 6 positions, q = 5 choices, all 15,625 cells):
``f(x) = sum_p g_p(x_p) + eps(x)``, each ``g_p`` centred with population variance ``v_p``, ``eps`` iid noise with
variance ``s2``; ``V = sum_p v_p``.  Over all ordered pairs at Hamming distance d (differing set S uniform among
the d-subsets, the two values at each differing position uniform among distinct pairs):

* ``E[(g_p(a) - g_p(b))^2 | a != b] = 2 v_p q / (q - 1)``, so ``E[Δf^2 | d] = (d / P) * sum_p 2 v_p q/(q-1) + 2 s2``;
* ``corr(d) = 1 - E[Δf^2 | d] / (2 (V + s2)) = V (1 - d q / (P (q - 1))) / (V + s2)``;
* the simple random walk changes one uniformly chosen position to another value: a centred main effect decays
  by ``lam = 1 - q / (P (q - 1))`` per step and white noise only correlates with itself when the walk is back
  where it started, so ``rho(h) = (V lam^h + s2 P_return(h)) / (V + s2)`` with
  ``P_return(h) = q^-P sum_t C(P, t) (q - 1)^t (1 - t q / (P (q - 1)))^h``;
* with ``x*`` the global optimum, ``d(x) = sum_p [x_p != x*_p]`` has variance ``P (q - 1) / q^2`` and
  ``Cov(g_p, [x_p != a]) = -g_p(a) / q``, so ``FDC = -sum_p g_p(x*_p) / sqrt(P (q - 1) Var f)``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lissnas_bench.benchmarks import Benchmark
from lissnas_bench.errors import InvalidConfig
from lissnas_bench.locality import analyze_locality, parse_compare
from lissnas_bench.locality import measures as M
from lissnas_bench.spaces import get_space

FAST = dict(permutations=199, bootstrap=200, samples=300, walks=50, walk_length=200)
SIGMAS = np.array([3.0, 2.0, 1.5, 1.0, 0.7, 0.5])
NOISE = 0.8


def planted(space_name="nb201", sigmas=SIGMAS, noise=NOISE, seed=1):
    """Additive effects (exact population variances sigma_p^2) plus iid Gaussian noise on the whole space."""
    space = get_space(space_name)
    A = space.enumerate()
    rng = np.random.default_rng(seed)
    effects = []
    f = np.zeros(len(A))
    for p, q in enumerate(space.n_choices):
        e = rng.normal(size=int(q))
        e -= e.mean()
        e *= sigmas[p] / math.sqrt(np.mean(e**2))
        effects.append(e)
        f += e[A[:, p]]
    f += noise * rng.standard_normal(len(A))
    return Benchmark(id="syn", space=space, archs=A, columns={("syn", "f"): f}), effects


def analytic(effects, noise, P, q, K, opt):
    v = np.array([np.mean(e**2) for e in effects])
    V, s2 = v.sum(), noise**2
    d = np.arange(1, K + 1)
    msq = d / P * np.sum(2 * v * q / (q - 1)) + 2 * s2
    corr = 1 - msq / (2 * (V + s2))
    lam = 1 - q / (P * (q - 1))
    t = np.arange(P + 1)
    mult = np.array([math.comb(P, k) * (q - 1) ** k for k in t])
    p_ret = np.array([np.sum(mult * (1 - t * q / (P * (q - 1))) ** h) / q**P for h in d])
    rwa = (V * lam**d + s2 * p_ret) / (V + s2)
    g_opt = sum(e[a] for e, a in zip(effects, opt))
    return msq, corr, rwa, g_opt


@pytest.fixture(scope="module")
def additive():
    bench, effects = planted()
    return bench, effects, analyze_locality(bench, rng=0, **FAST)


@pytest.fixture(scope="module")
def random_landscape():
    space = get_space("nb201")
    f = np.random.default_rng(7).standard_normal(space.size)
    bench = Benchmark(id="rnd", space=space, archs=space.enumerate(), columns={("syn", "f"): f})
    return analyze_locality(bench, rng=3, **FAST)


# ---------------------------------------------------------------------------------------------- exact sums


@pytest.mark.parametrize("space_name", ["nasbench-macro", "nasbench-graph"])
def test_exact_pair_sums_match_brute_force(space_name):
    space = get_space(space_name)
    rng = np.random.default_rng(0)
    A = space.enumerate()[rng.choice(space.size, 300, replace=False)]
    f = rng.normal(size=len(A))
    K = space.diameter
    D = (A[:, None, :] != A[None, :, :]).sum(axis=2)
    AD = np.abs(f[:, None] - f[None, :])
    for method in (M.hamming_sums, M.pairwise_sums):
        ps = method(A, f, space.n_choices, K)
        for d in range(1, K + 1):
            np.testing.assert_allclose(ps.cnt[d], (D == d).sum(axis=1))
            np.testing.assert_allclose(ps.sabs[d], np.where(D == d, AD, 0).sum(axis=1), atol=1e-9)
            np.testing.assert_allclose(ps.s1[d], (D == d) @ (f - f.mean()), atol=1e-9)
        np.testing.assert_allclose(ps.sabs_all, AD.sum(axis=1), atol=1e-9)
    c = M.curve_from_sums(M.hamming_sums(A, f, space.n_choices, K))
    for d in range(1, K + 1):
        i, j = np.nonzero(D == d)
        if len(i) > 2:
            assert c.mean_abs[d - 1] == pytest.approx(AD[i, j].mean(), rel=1e-9)
            assert c.corr[d - 1] == pytest.approx(np.corrcoef(f[i], f[j])[0, 1], rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------------------------- planted structure


def test_planted_curves_match_analytic_values(additive):
    bench, effects, res = additive
    f = bench.column("syn", "f")
    opt = bench.archs[np.argmax(f)]
    msq, corr, rwa, g_opt = analytic(effects, NOISE, P=6, q=5, K=6, opt=opt)
    assert res.mode == "exact"
    assert res.pairs_by_distance == [187_500, 1_875_000, 10_000_000, 30_000_000, 48_000_000, 32_000_000]
    np.testing.assert_allclose(res.mean_sq_diff_by_distance, msq, rtol=0.03)
    np.testing.assert_allclose(res.correlation_by_distance, corr, atol=0.01)
    np.testing.assert_allclose(res.rwa_by_lag, rwa, atol=0.01)  # exact RWA
    np.testing.assert_allclose(res.rwa_by_lag_walks, rwa, atol=0.06)  # 50 walks x 200 steps
    assert res.correlation_length == pytest.approx(-1 / math.log(rwa[0]), rel=0.03)
    assert res.fdc == pytest.approx(-g_opt / math.sqrt(6 * 4 * np.var(f)), abs=0.02)
    # random pairs: E[Δf^2] = 2 Var f * n / (n - 1)
    assert res.random_pair_mean_sq_diff == pytest.approx(2 * np.var(f) * len(f) / (len(f) - 1), rel=1e-9)
    # the exact curves sit inside their own bootstrap intervals and rise towards the random-pair level
    for m, (lo, hi) in zip(res.mean_abs_diff_by_distance, res.mean_abs_diff_ci):
        assert lo <= m <= hi
    assert np.all(np.diff(res.mean_abs_diff_by_distance) > 0)
    assert res.mean_abs_diff_by_distance[0] < 0.6 * res.random_pair_mean_abs_diff
    assert res.p_value == pytest.approx(1 / 200)
    assert all(e["ratio"] > 1.5 for e in res.enrichment if e["q"] <= 0.2)
    assert res.local_optima < res.local_optima_chance / 5


def test_noise_free_additive_landscape_is_exactly_analytic():
    bench, effects = planted(noise=0.0)
    res = analyze_locality(bench, rng=0, **FAST)
    f = bench.column("syn", "f")
    best = tuple(int(np.argmax(e)) for e in effects)
    msq, corr, rwa, g_opt = analytic(effects, 0.0, P=6, q=5, K=6, opt=best)
    # without noise every formula holds to rounding error
    np.testing.assert_allclose(res.mean_sq_diff_by_distance, msq, rtol=1e-9)
    np.testing.assert_allclose(res.correlation_by_distance, corr, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.rwa_by_lag, rwa, rtol=1e-9, atol=1e-12)
    assert res.fdc == pytest.approx(-g_opt / math.sqrt(6 * 4 * np.var(f)), rel=1e-9)
    # a separable landscape has one local optimum, and best-improvement climbing reaches it from everywhere
    assert res.local_optima == 1
    assert res.local_optima_detail["global_basin_fraction"] == 1.0
    assert res.global_optimum["arch"] == get_space("nb201").to_strings(np.array([best]))[0]


def test_random_landscape_sits_at_chance(random_landscape):
    res = random_landscape
    ratio = np.array(res.mean_abs_diff_by_distance) / res.random_pair_mean_abs_diff
    np.testing.assert_allclose(ratio, 1.0, atol=0.02)
    np.testing.assert_allclose(res.correlation_by_distance, 0.0, atol=0.02)
    # white noise only correlates with itself when the walk is back at its start: rho(h) = P_return(h)
    _, _, p_ret, _ = analytic([np.zeros(5)] * 6, 1.0, P=6, q=5, K=6, opt=(0,) * 6)
    np.testing.assert_allclose(res.rwa_by_lag, p_ret, atol=0.01)
    assert p_ret[1] == pytest.approx(1 / 24)  # two steps: back with probability 1 / 24
    assert abs(res.fdc) < 0.03
    for e in res.enrichment:
        if e["q"] >= 0.05:
            assert e["ratio"] == pytest.approx(1.0, abs=0.1)
    assert res.local_optima == pytest.approx(res.local_optima_chance, rel=0.15)  # 15625 / 25 = 625
    assert res.p_value > 0.05  # the permutation test does not reject
    assert res.permutation_test["observed"] == pytest.approx(res.permutation_test["null_mean"], rel=0.02)


def test_sampled_mode_agrees_with_exact(additive):
    bench, _, exact = additive
    res = analyze_locality(bench, mode="sampled", rng=0, samples=1500, permutations=99, bootstrap=100)
    assert res.mode == "sampled" and res.local_optima_detail["estimated"]
    np.testing.assert_allclose(res.mean_abs_diff_by_distance, exact.mean_abs_diff_by_distance, rtol=0.1)
    np.testing.assert_allclose(res.correlation_by_distance, exact.correlation_by_distance, atol=0.08)
    np.testing.assert_allclose(res.rwa_by_lag[:3], exact.rwa_by_lag[:3], atol=0.06)
    assert res.random_pair_mean_abs_diff == pytest.approx(exact.random_pair_mean_abs_diff, rel=0.08)
    assert res.p_value == pytest.approx(1 / 100)


# ---------------------------------------------------------------------------------------------- invariance, seeds


def test_relabelling_choices_changes_nothing_exact(additive):
    bench, _, res = additive
    space = bench.space
    rng = np.random.default_rng(11)
    perms = [rng.permutation(int(q)) for q in space.n_choices]
    A2 = np.stack([perms[p][bench.archs[:, p]] for p in range(space.positions)], axis=1).astype(np.int8)
    bench2 = Benchmark(id="syn", space=space, archs=A2, columns={("syn", "f"): bench.column("syn", "f").copy()})
    res2 = analyze_locality(bench2, rng=0, **FAST)
    for key in (
        "mean_abs_diff_by_distance",
        "mean_sq_diff_by_distance",
        "correlation_by_distance",
        "rwa_by_lag",
        "pairs_by_distance",
    ):
        np.testing.assert_allclose(getattr(res2, key), getattr(res, key), rtol=1e-9, err_msg=key)
    for key in ("random_pair_mean_abs_diff", "fdc", "local_optima", "local_optima_chance", "neighbour_pairs"):
        assert getattr(res2, key) == pytest.approx(getattr(res, key), rel=1e-9), key
    assert [e["ratio"] for e in res2.enrichment] == pytest.approx([e["ratio"] for e in res.enrichment])
    assert res2.local_optima_detail["global_basin_fraction"] == res.local_optima_detail["global_basin_fraction"]


def test_same_seed_same_output_and_generator_accepted():
    bench, _ = planted(space_name="nasbench-macro", sigmas=np.linspace(2, 0.5, 8), seed=2)
    kw = dict(max_distance=3, permutations=49, bootstrap=50, samples=100, walks=20, walk_length=50)
    a = json.dumps(analyze_locality(bench, rng=5, **kw).to_dict())
    b = json.dumps(analyze_locality(bench, rng=5, **kw).to_dict())
    assert a == b
    c = analyze_locality(bench, rng=6, **kw).to_dict()
    assert c["rwa_by_lag_walks"] != json.loads(a)["rwa_by_lag_walks"]  # the seed drives the walks
    g1 = analyze_locality(bench, rng=np.random.default_rng(9), **kw).to_dict()
    g2 = analyze_locality(bench, rng=np.random.default_rng(9), **kw).to_dict()
    assert g1 == g2


# ---------------------------------------------------------------------------------------------- bad input


def test_bad_input_raises_one_clear_error():
    bench, _ = planted()
    with pytest.raises(InvalidConfig, match="beyond nb201's largest hamming distance 6"):
        analyze_locality(bench, max_distance=7)
    with pytest.raises(InvalidConfig, match="samples must be >= 2"):
        analyze_locality(bench, samples=1)
    with pytest.raises(InvalidConfig, match="samples must be >= 2"):
        analyze_locality(bench, samples=0)
    space = bench.space
    nan = Benchmark(id="nan", space=space, archs=space.enumerate(), columns={("d", "acc"): np.full(space.size, np.nan)})
    with pytest.raises(InvalidConfig, match="no values \\(all NaN\\)"):
        analyze_locality(nan)
    with pytest.raises(InvalidConfig, match="distance must be"):
        analyze_locality(bench, distance="euclid")
    with pytest.raises(InvalidConfig, match="ged is defined for graph spaces"):
        analyze_locality(
            Benchmark(
                id="m",
                space=get_space("nasbench-macro"),
                archs=get_space("nasbench-macro").enumerate(),
                columns={("d", "f"): np.arange(float(get_space("nasbench-macro").size))},
            ),
            distance="ged",
        )


def test_parse_compare():
    items = parse_compare("nasbench-graph:cora,nasbench-graph:citeseer,analognas")
    assert [(i.benchmark, i.dataset, i.metric) for i in items] == [
        ("nasbench-graph", "cora", None),
        ("nasbench-graph", "citeseer", None),
        ("analognas", None, None),
    ]
    with pytest.raises(InvalidConfig):
        parse_compare("a,,b")
    with pytest.raises(InvalidConfig):
        parse_compare("a:b:c:d")


# ---------------------------------------------------------------------------------------------- subsets, graph, GED


def test_partial_table_and_minimised_metric():
    bench, _ = planted(space_name="nasbench-macro", sigmas=np.linspace(2, 0.5, 8), seed=4)
    f = bench.column("syn", "f").copy()
    f[np.random.default_rng(0).random(len(f)) < 0.3] = np.nan  # 30 % missing: NaN rows are left out
    part = Benchmark(id="part", space=bench.space, archs=bench.archs, columns={("syn", "loss"): -f})
    res = analyze_locality(part, max_distance=8, rng=0, **FAST)
    assert res.direction == "min" and res.mode == "exact"
    assert res.architectures == int(np.isfinite(f).sum())
    assert any("have a value" in n for n in res.notes)
    assert res.correlation_by_distance[0] > 0.5 and res.p_value < 0.01
    assert res.fdc > 0  # minimised: larger loss further from the optimum


def test_graph_space_ged(graph_bench):
    res = analyze_locality(
        graph_bench,
        "cora",
        distance="ged",
        max_distance=3,
        samples=40,
        permutations=19,
        bootstrap=20,
        walks=10,
        walk_length=20,
        ged_timeout=0.5,
        rng=0,
    )
    assert res.distance == "ged" and res.ged["computed"] > 0
    assert sum(res.pairs_by_distance) > 0
    assert res.local_optima > 0 and res.neighbour_pairs > 0
    from lissnas_bench.locality.ged import GEDCache

    s = graph_bench.space
    a = s.from_strings(["[0,1,2,3]:skip-skip-fc-gcn", "[0,1,2,3]:skip-gcn-fc-gcn", "[0,0,0,0]:gcn-gcn-gcn-gcn"])
    cache = GEDCache(s, timeout=1.0)
    d = cache.distances(a[[0, 0, 1]], a[[1, 2, 0]])
    assert d[0] == 1 and d[2] == 1 and d[1] > 1  # symmetric, relabelling one op costs 1
    assert cache.hits == 1


# ---------------------------------------------------------------------------------------------- CLI and report


def test_cli_json_and_files(tmp_path):
    import typer
    from typer.testing import CliRunner

    from lissnas_bench.commands.locality import register

    app = typer.Typer()
    register(app)

    @app.callback()
    def _root():  # keep `locality` a sub-command
        pass

    out = tmp_path / "loc"
    r = CliRunner().invoke(
        app,
        [
            "locality",
            "analognas",
            "--max-distance",
            "3",
            "--samples",
            "100",
            "--seed",
            "1",
            "--permutations",
            "49",
            "--bootstrap",
            "50",
            "--walks",
            "20",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    for key in (
        "mean_abs_diff_by_distance",
        "random_pair_mean_abs_diff",
        "correlation_by_distance",
        "rwa_by_lag",
        "correlation_length",
        "fdc",
        "local_optima",
        "p_value",
    ):
        assert key in d, key
    assert len(d["mean_abs_diff_by_distance"]) == 3 and len(d["rwa_by_lag"]) == 3
    assert json.loads((out / "locality.json").read_text())["fdc"] == d["fdc"]
    for stem in ("abs_diff", "correlation", "rwa", "fdc", "enrichment", "local_optima"):
        assert (out / f"{stem}.png").stat().st_size > 0
    report = (out / "report.md").read_text()
    assert "![abs_diff](abs_diff.png)" in report and "p = " in report
    r = CliRunner().invoke(app, ["locality", "analognas", "--max-distance", "9", "--out", str(out)])
    assert isinstance(r.exception, InvalidConfig)  # cli.main turns it into one stderr line and exit code 2


def test_compare_analyses_each_target_once(monkeypatch):
    """BENCH given positionally and again in --compare (or a default spelled out) is analysed once."""
    from lissnas_bench.locality import compare_locality

    calls = []
    import lissnas_bench.locality.report as report

    monkeypatch.setattr(report, "analyze_locality", lambda b, d, m, **kw: calls.append((b.id, b.resolve(d, m))) or calls[-1])
    out = compare_locality(["analognas", "analognas:cifar10", "analognas::baseline_accuracy", "analognas::noisy_accuracy"])
    assert len(out) == 2 and calls == [("analognas", ("cifar10", "baseline_accuracy")), ("analognas", ("cifar10", "noisy_accuracy"))]
