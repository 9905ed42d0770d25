"""Shrinkers, searches, evaluation and the CLI on the live NAS-Bench-301 surrogate (a stand-in predictor: the real
ensembles are exercised in the side environment by tests/test_official_nb301.py)."""

from __future__ import annotations

import itertools
import json
import math
import sys

import numpy as np
import pytest

from conftest import run_cli
from lissnas_bench import Oracle, evaluate
from lissnas_bench.benchmarks.live_oracle import LiveOracle
from lissnas_bench.benchmarks.official._nb301_fake import FakeBackend
from lissnas_bench.benchmarks.surrogate import SurrogateBenchmark
from lissnas_bench.errors import BudgetExhausted
from lissnas_bench.search import get_optimizer, search_after_shrink, search_seeds
from lissnas_bench.shrinkers import get_shrinker
from lissnas_bench.shrinkers.shrunk import Pockets, Product, load_shrunk
from lissnas_bench.spaces import get_space
from test_surrogate import FAKE, models_folder

DARTS = get_space("darts")


@pytest.fixture
def live(tmp_path):
    b = SurrogateBenchmark(None, predictor=FakeBackend(None), store=tmp_path / "store")
    yield b
    b.close()


# ---------------------------------------------------------------------------------------------- products on darts
def test_darts_products_match_brute_force():
    rng = np.random.default_rng(0)
    K = int(DARTS.n_choices.max())
    allowed = np.arange(K)[None, :] < DARTS.n_choices[:, None]
    allowed[:] = False
    for c, k in itertools.product(range(2), range(4)):  # per node: a valid input pair, one op per slot
        base = 16 * c + 4 * k
        i, j = sorted(rng.choice(k + 2, size=2, replace=False))
        allowed[[base, base + 1, base + 2, base + 3], [i, rng.integers(7), j, rng.integers(7)]] = True
    allowed[[5, 7, 21], [0, 4, 6]] = True  # a few second choices; some of them pair into invalid or unsorted inputs
    allowed[[12, 14], [2, 0]] = True
    raw = np.array(list(itertools.product(*[np.flatnonzero(r) for r in allowed])), dtype=np.int8)
    members = raw[DARTS.is_valid(raw)]
    members = members[np.all(DARTS.canonicalize(members) == members, axis=1)]
    P = Product(DARTS, allowed)
    assert P.size == len(members) > 0
    assert np.array_equal(P.enumerate(), members[np.argsort(DARTS.index(members))])
    assert P.contains(P.sample(500, rng)).all()
    assert len(np.unique(DARTS.index(P.sample(P.size, rng, replace=False)))) == P.size
    full = Product.full(DARTS)
    assert full.size == DARTS.size and full.contains(full.sample(20, rng, replace=False)).all()


# ---------------------------------------------------------------------------------------------- oracle
def test_live_oracle_accounting(live):
    o = Oracle(live, budget=10)
    assert isinstance(o, LiveOracle) and o.has_time
    a = DARTS.sample(6, np.random.default_rng(0))
    v = o.query(np.concatenate([a, a[:2]]))
    assert o.queries == 6 and o.history == list(range(6)) and np.array_equal(v[6:], v[:2])
    assert o.new_count(DARTS.sample(5, np.random.default_rng(1))) == 5 and o.is_known(a).all()
    with pytest.raises(BudgetExhausted):
        o.query(DARTS.sample(5, np.random.default_rng(1)))
    assert o.queries == 6  # all or nothing
    assert o.sim_seconds == pytest.approx(float(live.query(a, metric="runtime@100").sum()))
    archs, vals = o.queried()
    assert np.array_equal(DARTS.index(archs), DARTS.index(a)) and np.array_equal(vals, v[:6])


# ---------------------------------------------------------------------------------------------- shrinkers + evaluation
def test_lissnas_returns_pockets_larger_than_their_centres(live):
    o = Oracle(live, budget=1000)
    res = get_shrinker("lissnas").shrink(o, np.random.default_rng(0))
    s = res.shrunk
    assert isinstance(s, Pockets) and s.radius == 1 and res.queries <= 1000
    assert len(s.centres) == 10 and s.size > 10 * 100  # ten balls of 121 (a few overlap)
    assert all(Pockets(DARTS, c[None], 1).size == 121 for c in s.centres)
    assert res.trace["accepted"].iloc[1:].any()  # it did shrink on this locality-friendly stand-in
    m = evaluate(s, live, rng=0)
    assert m["estimate"] == "monte-carlo" and m["size"] == s.size and m["mean_se"] == 0.0  # all members evaluated
    for k in ("recall", "precision", "enrichment", "concentration", "shrink_index"):
        assert math.isnan(m[k])
    assert "top-q set" in m["unavailable"] and m["mean"] > m["full_mean"] and m["full_mean_se"] > 0
    again = load_shrunk(s.to_json())
    assert again.size == s.size


def test_every_shrinker_runs_on_the_live_space(live):
    from lissnas_bench.runner import shrink_once

    sizes = {}
    for method in ("lissnas", "op-pruning", "random", "single-region", "top-samples"):
        out = shrink_once(live, method=method, budget=600, seed=1)
        assert out["row"]["queries"] <= 600 and out["row"]["estimate"] == "monte-carlo"
        sizes[method] = out["row"]["size"]
    assert isinstance(shrink_once(live, method="op-pruning", budget=600, seed=1)["shrunk"], Product)
    assert sizes["op-pruning"] <= sizes["lissnas"] * 2


# ---------------------------------------------------------------------------------------------- searches
@pytest.mark.parametrize("opt", ["rs", "re", "ls"])
def test_searches_on_the_live_surrogate(live, opt):
    o = Oracle(live, budget=400)
    r = get_optimizer(opt).search(o, np.random.default_rng(0))
    assert r.queries[-1] == 400 and o.queries == 400 and np.isfinite(r.best_value)
    assert math.isnan(r.regret_at(400)) and DARTS.contains(r.best_arch[None]).all()
    assert r.sim_seconds is not None and r.sim_seconds[-1] == pytest.approx(o.sim_seconds)
    shrink_oracle = Oracle(live, budget=300)
    res = get_shrinker("lissnas").shrink(shrink_oracle, np.random.default_rng(0))
    cols, out = search_after_shrink(res, shrink_oracle, opt, np.random.default_rng(1), budget=600,
                                    return_result=True)
    assert cols["search_total_queries"] == 600 and res.shrunk.contains(out.best_arch[None])[0]
    assert np.isfinite(out.domain_max) and out.best_value <= out.domain_max
    again = get_optimizer(opt).search(Oracle(live, budget=400), np.random.default_rng(0))
    assert np.array_equal(again.best_so_far, r.best_so_far)  # reproducible


def test_search_seeds_on_live(live):
    res, curves = search_seeds(live, optimizer="re", budget=150, seeds=2)
    assert res["search_total_queries"].tolist() == [150, 150] and len(curves) == 300


# ---------------------------------------------------------------------------------------------- CLI
@pytest.fixture
def fake_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("LISSNAS_NB301_BACKEND", FAKE)
    monkeypatch.setenv("LISSNAS_NB301_PYTHON", sys.executable)
    return models_folder(tmp_path / "nb_models_1.0")


def test_cli_query_shrink_search_with_a_surrogate(fake_cli, tmp_path, capsys):
    models = fake_cli
    arch = DARTS.to_strings(DARTS.sample(1, np.random.default_rng(3)), "compact")[0]
    code, out, err = run_cli(capsys, "query", "--surrogate", models, "--trust-pickles", arch, "--json")
    assert code == 0, err
    key = DARTS.index(DARTS.from_strings(arch))
    assert json.loads(out)["values"][0]["value"] == pytest.approx(FakeBackend(None).predict(key)["val_mean"][0])
    code, out, err = run_cli(capsys, "shrink", "--surrogate", models, "--trust-pickles", "--budget", "500",
                             "--out", tmp_path / "s", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["metrics"]["size"] > 10 and doc["metrics"]["recall"] is None and doc["metrics"]["unavailable"]
    space = json.loads((tmp_path / "s" / doc["space_file"]).read_text())
    assert space["kind"] == "pockets" and space["space"] == "darts"
    code, out, err = run_cli(capsys, "search", "--surrogate", models, "--trust-pickles", "--in",
                             tmp_path / "s" / doc["space_file"], "--optimizer", "re", "--budget", "900", "--seeds",
                             "1", "--json")
    assert code == 0, err
    rec = json.loads(out)["records"][0]
    assert rec["search_total_queries"] == 900 and rec["shrink_queries"] == doc["metrics"]["queries"] and rec["best"] > 0


def test_cli_registered_live_id(fake_cli, capsys):
    code, out, err = run_cli(capsys, "data", "import", "nb301", fake_cli, "--live", "--trust-pickles", "--name",
                             "nb301-live")
    assert code == 0, err
    code, out, err = run_cli(capsys, "benchmarks", "--json")
    assert code == 0, err
    info = next(b for b in json.loads(out)["benchmarks"] if b["id"] == "nb301-live")
    assert info["live"] and info["space"] == "darts" and info["directions"]["cifar10"]["runtime@100"] == "minimize"
    arch = DARTS.to_strings(DARTS.sample(1, np.random.default_rng(4)))[0]
    code, out, err = run_cli(capsys, "query", "nb301-live", arch, "--metric", "val_accuracy", "--json")
    assert code == 2 and "--trust-pickles" in err
    code, out, err = run_cli(capsys, "query", "nb301-live", arch, "--trust-pickles", "--json")
    assert code == 0, err
