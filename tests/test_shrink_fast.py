"""The fast shrink path gives the same results as before it was fast: for several seeds and every shrinker the
shrunk space's members, the queries, the trace and the info are pinned to digests recorded from the code before
the integer-key rewrite (so a change of random-number use or of tie-breaking shows up here)."""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import sys

import numpy as np
import pytest

from lissnas_bench import Oracle
from lissnas_bench.errors import BudgetExhausted
from lissnas_bench.shrinkers import Pockets, get_shrinker
from lissnas_bench.spaces import SubsetSpace

#: (benchmark, shrinker, params, budget, reference size)
CASES = {
    "lissnas-nb201": ("analognas", "lissnas", {}, 1000, None),
    "lissnas-nb201-r2": ("analognas", "lissnas", {"radius": 2, "k": 5}, 1000, None),
    "lissnas-nb201-union": ("analognas", "lissnas", {"union": True, "tol": 0.01}, 2000, None),
    "lissnas-nb201-spread": ("analognas", "lissnas", {"min_seed_distance": 2}, 1000, None),
    "lissnas-nb201-tight": ("analognas", "lissnas", {"n": 50, "k": 10}, 120, None),
    "lissnas-graph": ("nasbench-graph", "lissnas", {}, 1000, None),
    "op-pruning-nb201": ("analognas", "op-pruning", {}, 1000, 200),
    "op-pruning-graph": ("nasbench-graph", "op-pruning", {"drops": 2}, 1000, 300),
    "single-region-nb201": ("analognas", "single-region", {}, 1000, 150),
    "top-samples-nb201": ("analognas", "top-samples", {}, 1000, None),
    "random-nb201": ("analognas", "random", {}, 1000, 150),
    # a domain that is part of the space (a SubsetSpace): balls are restricted to it
    "lissnas-nb201-subset": ("analognas", "lissnas", {"domain": 0.6}, 1000, None),
    "lissnas-nb201-subset-r2": ("analognas", "lissnas", {"domain": 0.3, "radius": 2}, 1000, None),
    "op-pruning-nb201-subset": ("analognas", "op-pruning", {"domain": 0.6}, 1000, 200),
}
SEEDS = (0, 1, 7)


def _digest(bench, name, params, budget, ref, seed) -> str:
    params = dict(params)
    keep = params.pop("domain", None)  # the fraction of rows the oracle may answer
    domain = None if keep is None else np.random.default_rng(123).random(len(bench)) < keep
    oracle = Oracle(bench, budget=budget, domain=domain)
    res = get_shrinker(name, **params).shrink(oracle, np.random.default_rng(seed), reference_size=ref)
    members = bench.space.index(res.shrunk.enumerate()).astype(np.int64)
    trace = {c: [repr(x) for x in res.trace[c].tolist()] for c in res.trace.columns}
    doc = {"members": hashlib.sha256(members.tobytes()).hexdigest(), "kind": res.shrunk.kind,
           "queries": res.queries, "oracle": int(oracle.queries), "trace": trace,
           "history": hashlib.sha256(np.asarray(oracle.history, np.int64).tobytes()).hexdigest(),
           "sim": repr(float(oracle.sim_seconds)),
           "info": json.loads(json.dumps(res.info, default=repr))}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


#: recorded from the code before the rewrite (commit e41b792; ``python tests/test_shrink_fast.py`` prints the table)
PINNED: dict[str, list[str]] = {
    'lissnas-graph': ['13ed8c428c3da733', '9f57e18de932b075', '1d7dff70689706b1'],
    'lissnas-nb201': ['c4d613b2b4e85134', '9ba5cf439d9c4e40', '1dbac5d6a9613ddd'],
    'lissnas-nb201-r2': ['1907ab5a3330e2ee', '9ea3892a4c2746c6', '3db9456fef260c42'],
    'lissnas-nb201-spread': ['0395925d3c6d3aea', '9ae3085df660e525', '94aa1243eae58114'],
    'lissnas-nb201-subset': ['d31f3019df3ec5a4', 'dbcae8b67ed99dc6', 'e9a50c63df75a124'],
    'lissnas-nb201-subset-r2': ['d67358121f126327', '4b59f26ffdea591b', '9d39af19a38dfa80'],
    'lissnas-nb201-tight': ['861de472d4e62584', 'cd6bb76607dbe367', 'c198aeaf5a639bc7'],
    'lissnas-nb201-union': ['891594815da9e0c8', '4cbcfab4d3533c99', 'c09f1d04c71bb2c1'],
    'op-pruning-graph': ['4122537b480d47a7', '93e556f664be430f', '84e0f10baf35a282'],
    'op-pruning-nb201': ['a0e0324c6d205c9a', 'd1f3150be3dc021e', 'cbd7e701eed65276'],
    'op-pruning-nb201-subset': ['b1ee63559046b14f', '516bee603035365b', '470d0d09e75f9395'],
    'random-nb201': ['86c93a582042ea03', '84b3add0c9dcdacf', '6478a13cfd8fabc6'],
    'single-region-nb201': ['6a5b7678eddbeb4f', '390912574ba4635e', '01d9278dc238289d'],
    'top-samples-nb201': ['a580000c67d56dc4', '252d56d22f5c2f19', '9c54f6806d3bc370'],
}


@pytest.fixture(scope="module")
def benches():
    from lissnas_bench import load_benchmark

    return {b: load_benchmark(b) for b in {c[0] for c in CASES.values()}}


@pytest.mark.parametrize("case", sorted(CASES))
def test_results_unchanged(benches, case):
    bench_name, name, params, budget, ref = CASES[case]
    got = [_digest(benches[bench_name], name, params, budget, ref, s) for s in SEEDS]
    assert got == PINNED[case]


def test_importing_shrinkers_imports_no_pandas():
    # the CLI starts fast only if the shrinkers (imported by nearly every command) leave pandas for later
    code = "import lissnas_bench.shrinkers, sys; print(sorted({'pandas', 'scipy', 'matplotlib'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_trace_is_built_lazily_and_survives_pickling(benches):
    res = get_shrinker("lissnas").shrink(Oracle(benches["analognas"], budget=1000), np.random.default_rng(0))
    back = pickle.loads(pickle.dumps(res))
    assert res.trace_records() == res.trace.to_dict(orient="records") == back.trace.to_dict(orient="records")
    assert res.trace["accepted"].dtype == bool and res.trace["size"].dtype == np.int64
    assert back.shrunk.size == res.shrunk.size and back.info == res.info


def _reference_ball_keys(space, centres, radius):
    nb, _ = space.neighbours(centres, radius)
    return np.unique(np.concatenate([space.index(centres), space.index(nb)]))


@pytest.mark.parametrize("radius", [1, 2])
@pytest.mark.parametrize("domain", ["full", "subset", "graph"])
def test_trusted_pockets_match_the_checked_constructor(benches, radius, domain):
    bench = benches["nasbench-graph" if domain == "graph" else "analognas"]
    space = bench.space
    if domain == "subset":
        space = SubsetSpace(space, bench.archs[np.random.default_rng(5).random(len(bench)) < 0.4])
    rng = np.random.default_rng(radius)
    centres = space.sample(7, rng, replace=False)
    fast = Pockets._trusted(space, space.index(centres), radius)
    checked = Pockets(space, centres, radius)
    np.testing.assert_array_equal(fast._keys, _reference_ball_keys(space, centres, radius))
    np.testing.assert_array_equal(fast._keys, checked._keys)
    np.testing.assert_array_equal(fast.centres, checked.centres)
    assert fast.to_json() == checked.to_json()


def test_key_queries_charge_like_query(benches):
    bench = benches["analognas"]
    a, b = Oracle(bench, budget=250), Oracle(bench, budget=250)
    rng = np.random.default_rng(0)
    for _ in range(3):
        keys = rng.choice(bench.space.size, size=100, replace=False)
        archs = bench.space.from_index(keys)
        if a.new_count(archs) > a.remaining:
            assert b._query_distinct_keys(keys) is None
            with pytest.raises(BudgetExhausted):
                a.query(archs)
        else:
            np.testing.assert_array_equal(a.query(archs), b._query_distinct_keys(keys))
        assert a.history == b.history and a.sim_seconds == b.sim_seconds and a.queries == b.queries


if __name__ == "__main__":
    from lissnas_bench import load_benchmark

    bs = {b: load_benchmark(b) for b in {c[0] for c in CASES.values()}}
    for case, (b, name, params, budget, ref) in sorted(CASES.items()):
        print(f"    {case!r}: {[_digest(bs[b], name, params, budget, ref, s) for s in SEEDS]!r},")
    sys.exit(0)
