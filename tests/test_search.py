"""Search: exact budgets, restriction to shrunk spaces, fair accounting after a shrink, RE/LS beat RS on a planted
smooth landscape, determinism, parameters, and the ``search`` command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lissnas_bench import Benchmark, Oracle
from lissnas_bench.errors import InvalidConfig, UnknownName
from lissnas_bench.search import (
    available_optimizers,
    fork_oracle,
    get_optimizer,
    search_after_shrink,
    search_seeds,
)
from lissnas_bench.experiments import shrink_queries_of
from lissnas_bench.shrinkers import Explicit, Pockets, Product, get_shrinker
from lissnas_bench.spaces import get_space

OPTS = available_optimizers()
OPT = np.array([3, 1, 4, 0, 2, 4], dtype=np.int8)


@pytest.fixture(scope="module")
def planted():
    """NB201's 15,625 cells; f = -(Hamming distance to OPT) + noise of sd 0.1: smooth, one optimum, plus a
    simulated training time per architecture."""
    space = get_space("nb201")
    archs = space.enumerate()
    rng = np.random.default_rng(7)
    f = -(archs != OPT).sum(axis=1) + 0.1 * rng.standard_normal(len(archs))
    f[space.index(OPT[None])[0]] = 1.0
    cost = rng.uniform(10, 20, len(archs))
    return Benchmark(id="syn", space=space, archs=archs, columns={("syn", "f"): f, ("syn", "seconds"): cost},
                     cost_metrics={"syn": "seconds"})


def _search(name, bench, budget, seed=0, space=None, dataset=None, **params):
    o = Oracle(bench, dataset, budget=budget)
    return o, get_optimizer(name, **params).search(o, np.random.default_rng(seed), space)


@pytest.mark.parametrize("name", OPTS)
def test_budget_exact_and_curve(name, analognas):
    o, res = _search(name, analognas, 137)
    assert o.queries == 137 and len(o.history) == len(set(o.history)) == 137
    assert res.queries.tolist() == list(range(1, 138))
    assert np.all(np.diff(res.best_so_far) >= 0)
    vals = analognas.column()[np.asarray(o.history)]
    assert res.best_so_far[-1] == vals.max() == res.best_value
    assert res.regret_at(137) == pytest.approx(np.nanmax(analognas.column()) - vals.max())
    assert res.best_at(10) == vals[:10].max() and np.isnan(res.best_at(0))
    assert res.sim_seconds is None and res.search_start == 0 and not res.exhausted


@pytest.mark.parametrize("name", OPTS)
def test_same_seed_same_curve(name, analognas):
    (oa, a), (ob, b), (oc, _) = (_search(name, analognas, 80, seed=s) for s in (3, 3, 4))
    assert oa.history == ob.history and np.array_equal(a.best_so_far, b.best_so_far)
    assert oa.history != oc.history


def _shrunk_spaces(bench, dataset=None):
    dom = bench.domain(dataset)
    rng = np.random.default_rng(0)
    centres = dom.sample(3, rng)
    allowed = np.zeros((dom.positions, int(dom.n_choices.max())), dtype=bool)
    allowed[:, :2] = True
    return {
        "pockets": Pockets(dom, centres, radius=1),
        "product": Product(dom, allowed),
        "explicit": Explicit(dom, dom.sample(40, rng, replace=False)),
        "isolated": Explicit(dom, dom.sample(4, rng, replace=False)),  # no member neighbours another
    }


@pytest.mark.parametrize("name", OPTS)
@pytest.mark.parametrize("which", [("analognas", None), ("graph_bench", "proteins")])
def test_restricted_search_never_leaves_the_space(name, which, request):
    bench = request.getfixturevalue(which[0])
    for kind, shrunk in _shrunk_spaces(bench, which[1]).items():
        for budget in (30, shrunk.size + 50):
            o, res = _search(name, bench, budget, space=shrunk, dataset=which[1])
            archs = bench.archs[np.asarray(o.history)]
            assert shrunk.contains(archs).all(), (kind, name)
            assert o.queries == min(budget, shrunk.size)
            assert res.exhausted == (budget > shrunk.size)
            assert res.domain_size == shrunk.size


def test_planted_landscape_re_and_ls_beat_rs(planted):
    budget, seeds = 120, 12
    mean = {}
    for name in OPTS:
        mean[name] = np.mean([_search(name, planted, budget, seed=s)[1].regret_at(budget) for s in range(seeds)])
    assert mean["re"] < mean["rs"] and mean["ls"] < mean["rs"], mean


def test_simulated_time_is_recorded(planted):
    o, res = _search("re", planted, 50)
    cost = planted.columns[("syn", "seconds")][np.asarray(o.history)]
    assert np.allclose(res.sim_seconds, np.cumsum(cost))
    assert res.sim_seconds[-1] == pytest.approx(o.sim_seconds)
    assert res.to_frame()["sim_seconds"].iloc[-1] == pytest.approx(o.sim_seconds)


def test_shrink_then_search_accounting(analognas):
    o = Oracle(analognas, budget=200)
    res = get_shrinker("lissnas", n=50, k=5).shrink(o, np.random.default_rng(0))
    before = list(o.history)
    cols, sr = search_after_shrink(res, o, "ls", np.random.default_rng(1), budget=400, return_result=True)
    assert o.history == before and o.budget == 200  # the shrinker's oracle is left alone
    assert sr.search_start == len(before) == res.queries
    assert cols["search_total_queries"] == sr.queries[-1] <= 400
    assert cols["search_queries"] == sr.queries[-1] - len(before)
    # the curve starts with the shrink phase: its best-so-far is the shrinker's incumbent
    shrink_best = analognas.column()[np.asarray(before)].max()
    assert sr.best_at(len(before)) == shrink_best
    assert set(cols) >= {"search_regret@400", "search_regret@200", "search_regret@100", "search_exhausted"}


def test_search_after_shrink_reuses_known_architectures_for_free(analognas):
    o = Oracle(analognas, budget=300)
    res = get_shrinker("top-samples", fraction=0.2).shrink(o, np.random.default_rng(0))
    # S' = the best 20 % of what the shrinker queried: all of it is known, so the search costs nothing
    cols = search_after_shrink(res, o, "rs", np.random.default_rng(0), budget=400)
    assert cols["search_queries"] == 0 and cols["search_exhausted"] is True
    assert cols["search_total_queries"] == o.queries == 300
    assert cols["search_regret@400"] == pytest.approx(cols["search_domain_regret"])


def test_full_space_baseline_and_suffix(analognas):
    cols = search_after_shrink(None, Oracle(analognas, budget=0), "re", np.random.default_rng(0), budget=90,
                               regret_at=[90, 45], suffix="[re]")
    assert cols["search_total_queries[re]"] == cols["search_queries[re]"] == 90
    assert cols["search_domain_size[re]"] == 15625 and cols["search_domain_regret[re]"] == 0
    assert set(cols) >= {"search_regret@90[re]", "search_regret@45[re]"}


def test_fresh_oracle_with_query_offset(analognas):
    o = Oracle(analognas, budget=70)
    res = get_optimizer("rs").search(o, np.random.default_rng(0), query_offset=30)
    assert res.queries[0] == 31 and res.queries[-1] == 100 and res.budget == 100
    assert np.isnan(res.best_at(30)) and res.search_start == 30


def test_fork_oracle_is_independent(analognas):
    o = Oracle(analognas, budget=50)
    o.query(analognas.space.sample(20, np.random.default_rng(0)))
    f = fork_oracle(o, 80)
    assert f.history == o.history and f.budget == 80
    f.query(analognas.archs[:5])
    assert o.queries == 20
    with pytest.raises(InvalidConfig):
        fork_oracle(o, 10)


def test_parameters_and_errors(analognas):
    assert get_optimizer("re").param_dict() == {"population": 10, "tournament": 3, "patience": 100}
    assert get_optimizer("re", population="20").params.population == 20
    with pytest.raises(UnknownName, match="unknown optimizer 'sa'"):
        get_optimizer("sa")
    with pytest.raises(UnknownName, match="optimizer 're': unknown parameter 'pop'"):
        get_optimizer("re", pop=3)
    with pytest.raises(InvalidConfig, match="tournament"):
        get_optimizer("re", tournament=0)
    with pytest.raises(InvalidConfig, match="n_init"):
        get_optimizer("ls", n_init="x")
    with pytest.raises(InvalidConfig, match="larger than the oracle's budget"):
        get_optimizer("rs").search(Oracle(analognas, budget=10), np.random.default_rng(0), budget=20)
    with pytest.raises(InvalidConfig, match="give the search a budget"):
        get_optimizer("rs").search(Oracle(analognas), np.random.default_rng(0))
    with pytest.raises(InvalidConfig, match="nasbench-graph"):
        get_optimizer("rs").search(Oracle(analognas, budget=5), np.random.default_rng(0),
                                   Explicit(get_space("nasbench-graph"), get_space("nasbench-graph").enumerate()[:3]))


def test_search_seeds_frame(analognas):
    res, curves = search_seeds(analognas, optimizer="re", budget=60, seeds=3, root_seed=1)
    assert res["seed"].tolist() == [0, 1, 2] and (res["search_total_queries"] == 60).all()
    assert len(curves) == 180 and set(curves["phase"]) == {"search"}
    with pytest.raises(InvalidConfig, match="leave nothing"):
        search_seeds(analognas, budget=60, shrink_queries=60)


# ---------------------------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def cli():
    import typer
    from typer.testing import CliRunner

    from lissnas_bench.commands import search as cmd
    from lissnas_bench.commands import shrink as shrink_cmd

    app = typer.Typer()
    cmd.register(app)
    shrink_cmd.register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_cli_search_json(cli):
    r = cli("search", "analognas", "--optimizer", "ls", "--budget", "60", "--seeds", "2", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert [x["search_total_queries"] for x in d["records"]] == [60, 60] and d["regret"]["mean"] >= 0
    assert d["stops"] == {"queries": 2} and d["query_metric"] == d["metric"]  # analognas: the truth itself


def test_cli_search_in_shrunk_space(cli, tmp_path):
    r = cli("shrink", "analognas", "--budget", "150", "--param", "n=50", "--out", str(tmp_path), "--json")
    assert r.exit_code == 0, r.output
    space_file = json.loads(r.stdout)["space_file"]
    used = shrink_queries_of(space_file)
    assert used is not None and 0 < used <= 150
    r = cli("search", "analognas", "--in", space_file, "-O", "re", "-b", "300", "--seeds", "2", "--json",
            "--out", str(tmp_path / "s"))
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["shrink_queries"] == used
    assert all(x["search_total_queries"] <= 300 for x in d["records"])
    assert (tmp_path / "s" / "results.parquet").exists() and d["files"]["figures"]


def test_cli_search_errors(cli):
    r = cli("search", "analognas", "--optimizer", "nope", "-b", "10", "--seeds", "1")
    assert isinstance(r.exception, UnknownName)
    r = cli("search", "analognas", "--param", "population", "-O", "re", "-b", "10")
    assert isinstance(r.exception, InvalidConfig)


# ---------------------------------------------------------------------------------------------- RE: speed, exactly
def test_bounded_draws_are_numpys_draws():
    """BoundedDraws gives exactly rng.integers(0, n), interleaved with the generator's own use after sync()."""
    from lissnas_bench.search._draws import BoundedDraws

    rs = np.random.default_rng(1)
    for trial in range(60):
        seed = int(rs.integers(1 << 30))
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        if trial % 2:
            a.integers(0, 5), b.integers(0, 5)  # start with a buffered half in the bit generator
        d, got, want = BoundedDraws(a), [], []
        for _ in range(400):
            op = int(rs.integers(6))
            n = int(rs.integers(1, 40)) if rs.random() < 0.95 else int(rs.integers(1, 2**32 - 1))
            if op < 3:
                got.append(d.below(n)), want.append(int(b.integers(0, n)))
            elif op == 3:
                got.append(d.take(n, 3)), want.append(b.integers(0, n, size=3).tolist())
            elif op == 4:
                d.sync()
                got.append(a.choice(5000, size=1, replace=False).tolist())
                want.append(b.choice(5000, size=1, replace=False).tolist())
            else:
                d.sync()
                got.append(a.random()), want.append(b.random())
        d.sync()
        assert got == want and a.random() == b.random(), trial
    assert not BoundedDraws.supports(np.random.Generator(np.random.Philox(0)))


def test_re_is_the_same_with_any_bit_generator_path(analognas, monkeypatch):
    """The pure-Python draws change nothing: a PCG64 run equals the same run through NumPy's own calls."""
    from lissnas_bench.search import evolution

    shrunk = _shrunk_spaces(analognas)["pockets"]
    runs = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(evolution.BoundedDraws, "supports", staticmethod(lambda rng: False))
        o = Oracle(analognas, budget=shrunk.size + 10)
        res = get_optimizer("re").search(o, np.random.default_rng(4), shrunk)
        runs.append((o.history, res.info))
    assert runs[0] == runs[1] and runs[0][1]["known_children"] > 0


@pytest.mark.parametrize("patience", [1, 2])
def test_re_fresh_children_drawn_inline_are_numpys_draws(analognas, monkeypatch, patience):
    """A fresh child is drawn from the buffered stream (one bounded draw: what ``choice(n, 1, replace=False)``
    makes), not by handing the generator back: the whole domain (15,625 candidates, Floyd's path of ``choice``)
    and a low patience give dozens of them, and the history equals NumPy's own calls."""
    from lissnas_bench.search import evolution

    runs = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(evolution.BoundedDraws, "supports", staticmethod(lambda rng: False))
        o = Oracle(analognas, budget=600)
        res = get_optimizer("re", patience=patience).search(o, np.random.default_rng(11))
        runs.append((o.history, res.info))
    assert runs[0] == runs[1] and runs[0][1]["fresh_children"] > 30


def test_re_stops_when_the_domain_is_used_up_and_bounds_known_children(planted):
    """A tiny domain: RE queries all of it and stops (exhausted); known children never run past `patience` in a
    row (then a fresh one is forced), so the generations stay bounded."""
    space = planted.space
    dom = np.zeros(len(planted), dtype=bool)
    dom[space.index(np.array([[0, 0, 0, 0, 0, c] for c in range(5)] + [[0, 0, 0, 0, 1, 0]]))] = True
    for patience in (1, 5, 100):
        o = Oracle(planted, budget=1000)
        res = get_optimizer("re", population=3, patience=patience).search(o, np.random.default_rng(0), dom)
        assert o.queries == 6 and res.exhausted and res.stop == "exhausted"
        info = res.info
        assert info["generations"] == info["known_children"] + (6 - 3)  # every other child was new
        # between two new children at most `patience` known ones (then a fresh child is forced)
        assert info["known_children"] <= patience * (6 - 3 + 1)


def test_local_search_variants_of_the_published_runners(planted):
    """NASLib's runner (10 to start, 1 at each restart) and naszilla's (first improvement) are parameters; the
    first-improvement climb queries no more than the best-improvement one per step."""
    full = Oracle(planted, budget=300)
    a = get_optimizer("ls", n_init=10, restart_init=1).search(full, np.random.default_rng(2))
    first = Oracle(planted, budget=300)
    b = get_optimizer("ls", n_init=10, first_improvement=True).search(first, np.random.default_rng(2))
    assert full.history[:10] == first.history[:10]  # the same ten random starts
    assert b.info["steps"] / 300 >= a.info["steps"] / 300  # cheaper steps: more of them for the same budget
    with pytest.raises(InvalidConfig, match="restart_init must be >= 1"):
        get_optimizer("ls", restart_init=0)


@pytest.mark.parametrize("params", [{}, {"population": 1}, {"population": 2, "tournament": 1},
                                    {"tournament": 5, "patience": 1}, {"population": 30, "patience": 3}])
def test_re_inline_draws_are_the_draw_methods(analognas, monkeypatch, params):
    """The inline draws of ``_generations_pcg64`` equal ``BoundedDraws``' methods draw for draw, also where a
    draw may be a rejection: the stream is salted with outputs that make Lemire's test fire (0 is one for
    every bound), and both ways must still agree (and with NumPy's calls when unsalted)."""
    from lissnas_bench.search import _draws, evolution

    shrunk = _shrunk_spaces(analognas)["pockets"]
    refill = _draws.BoundedDraws._refill

    def salted(self):
        refill(self)
        self._u32[self._pos::7] = [0] * len(self._u32[self._pos::7])

    def run(inline: bool, salt: bool, numpy: bool = False):
        with monkeypatch.context() as m:
            m.setattr(evolution, "_INLINE_DRAWS", inline)
            if salt:
                m.setattr(_draws.BoundedDraws, "_refill", salted)
            if numpy:
                m.setattr(evolution.BoundedDraws, "supports", staticmethod(lambda rng: False))
            o = Oracle(analognas, budget=shrunk.size + 10)
            res = get_optimizer("re", **params).search(o, np.random.default_rng(4), shrunk)
            return o.history, res.info

    assert run(True, True) == run(False, True)
    assert run(True, False) == run(False, False) == run(True, False, numpy=True)
