"""The fast shrink path gives the same results as before it was fast: for several seeds and every shrinker the
shrunk space's members, the queries, the trace and the info are pinned to digests recorded from the code before
the integer-key rewrite (so a change of random-number use or of tie-breaking shows up here)."""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np
import pytest

from lissnas_bench import Oracle
from lissnas_bench.shrinkers import get_shrinker

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
}
SEEDS = (0, 1, 7)


def _digest(bench, name, params, budget, ref, seed) -> str:
    oracle = Oracle(bench, budget=budget)
    res = get_shrinker(name, **params).shrink(oracle, np.random.default_rng(seed), reference_size=ref)
    members = bench.space.index(res.shrunk.enumerate()).astype(np.int64)
    trace = {c: [repr(x) for x in res.trace[c].tolist()] for c in res.trace.columns}
    doc = {"members": hashlib.sha256(members.tobytes()).hexdigest(), "kind": res.shrunk.kind,
           "queries": res.queries, "oracle": int(oracle.queries), "trace": trace,
           "info": json.loads(json.dumps(res.info, default=repr))}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


#: recorded from the code before the rewrite (``python tests/test_shrink_fast.py`` prints the table)
PINNED: dict[str, list[str]] = {
    'lissnas-graph': ['f4d4318cb7e3ae3c', '951593acd63ec0b4', '05011d23435a78a7'],
    'lissnas-nb201': ['2bbfd41a570039c6', '5bc7c29cac5d2245', 'eb7086219e80747b'],
    'lissnas-nb201-r2': ['5a6ad224eeec5e83', '3d4816bfd4573c14', '38bb54062fdc1932'],
    'lissnas-nb201-spread': ['34e448c128ed13aa', 'c40e3acd1ccc61f9', 'dbc7374947153263'],
    'lissnas-nb201-tight': ['20203486f048a3f7', 'ce67c85acb135124', '78e520c0cc4bbde0'],
    'lissnas-nb201-union': ['14ebb9d8ffdafffe', 'bb008979ccce8ac2', 'a774cc7e5a79c23b'],
    'op-pruning-graph': ['ed670beaf5babb7c', 'f1662d77eb5a3b82', '9059592f66389149'],
    'op-pruning-nb201': ['66c3ba53a22b2191', '59921c9d728578e4', 'a39163083543ee64'],
    'random-nb201': ['eefa7607070ab053', '92825bdad8dbb990', 'e536cfe2eb9ca3bd'],
    'single-region-nb201': ['f9ad9bfbef7bc061', 'dbf210ae4e13490b', '5f97ccb85da01595'],
    'top-samples-nb201': ['3ad2c1cf4a029d40', '241146e568c37a2a', 'd3259cb01851ef90'],
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


if __name__ == "__main__":
    from lissnas_bench import load_benchmark

    bs = {b: load_benchmark(b) for b in {c[0] for c in CASES.values()}}
    for case, (b, name, params, budget, ref) in sorted(CASES.items()):
        print(f"    {case!r}: {[_digest(bs[b], name, params, budget, ref, s) for s in SEEDS]!r},")
    sys.exit(0)
