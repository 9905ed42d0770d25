"""Known values of the metrics for the paper's claim (good pockets, top components hit, optima kept) on a planted
landscape with two separate peaks, in both metric directions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import ToySpace
from lissnas_bench import Benchmark, evaluate
from lissnas_bench.spaces.shrunk import Explicit

PEAKS = {"000": 10.0, "001": 9.0, "222": 10.0, "221": 9.0}  # two peaks three edits apart; everything else 0


def planted(maximize: bool = True):
    space = ToySpace([3, 3, 3])
    archs = space.enumerate()
    f = np.array([PEAKS.get("".join(map(str, a)), 0.0) for a in archs])
    if not maximize:
        f = -f
    return Benchmark(id="peaks", space=space, archs=archs, columns={("toy", "f"): f},
                     **({} if maximize else {"minimize": [("toy", "f")]}))


@pytest.mark.parametrize("maximize", [True, False])
@pytest.mark.parametrize("members, pockets, hit, optima", [
    (["000", "001"], 1, 0.5, 0.5),  # one peak, whole
    (["000", "222"], 2, 1.0, 1.0),  # both peaks' tops
    (["001", "221", "111"], 2, 1.0, 0.0),  # both regions, neither optimum
    (["111", "112"], 0, 0.0, 0.0),  # nothing good
])
def test_known_values(maximize, members, pockets, hit, optima):
    if not maximize and "minimize" not in Benchmark.__dataclass_fields__:
        pytest.skip("metric directions are not merged yet")
    bench = planted(maximize)
    q = 4 / 27  # T_q = the four peak cells
    m = evaluate(Explicit(bench.space, bench.space.from_strings(members)), bench, q=q)
    assert m["top_size"] == 4
    assert (m["good_pockets"], m["top_components_hit"], m["optima_kept"]) == (pockets, hit, optima)


def test_the_whole_space_keeps_everything():
    bench = planted()
    m = evaluate(bench.space, bench, q=4 / 27)
    assert (m["good_pockets"], m["top_components_hit"], m["optima_kept"]) == (2, 1.0, 1.0)


def test_random_subsets_keep_little():
    """A random subset of 5 of the 27 cells rarely holds both peaks: these metrics reward good networks only."""
    bench = planted()
    rng = np.random.default_rng(0)
    hits = [evaluate(Explicit(bench.space, bench.space.sample(5, rng, replace=False)), bench, q=4 / 27)
            ["top_components_hit"] for _ in range(200)]
    assert 0.25 < float(np.mean(hits)) < 0.55 and not math.isnan(np.mean(hits))
