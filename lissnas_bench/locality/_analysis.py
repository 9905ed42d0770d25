"""``analyze_locality``: every locality measure of one (benchmark, dataset, metric), exact where possible.

The work is split by concern: ``settings`` (the validated settings and the random streams), ``_cost`` (exact or
sampled, and what a run would cost), ``_exact`` and ``_sampled`` (the two paths), ``_stages`` (what they share),
``measures`` (the array functions) and ``result`` (the result type).
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import InvalidConfig
from ._cost import check_resources, choose_mode, max_neighbours
from ._exact import run_exact
from ._landscape import Landscape, Run
from ._sampled import run_sampled
from .result import LocalityResult
from .settings import _UNSET, LocalitySettings, Streams, settings_from


def analyze_locality(
    bench,
    dataset: str | None = None,
    metric: str | None = None,
    *,
    settings: LocalitySettings | dict | None = None,
    rng: int | np.random.Generator | None = _UNSET,
    ged_cache=None,
    space: str | None = None,
    arch_column: str | None = None,
    allow_large: bool = False,
    **overrides,
) -> LocalityResult:
    """Locality of a benchmark's landscape: do structurally similar architectures perform similarly?

    ``bench`` is a ``Benchmark`` or anything ``load_benchmark`` accepts (``space``/``arch_column`` are passed on).
    ``settings`` (a ``LocalitySettings`` or a mapping) and keyword ``overrides`` of its fields (``max_distance``,
    ``samples``, ``mode``, ``walks``, ...) say what to compute; ``mode='auto'`` is exact (all pairs of tabulated
    architectures, the whole neighbour graph) when that is affordable and sampled otherwise.  ``rng`` (an int
    seed, None for fresh entropy, or a ``numpy.random.Generator``) drives every random choice (default: the
    settings' ``seed``, 0); equal seeds give equal results.  A run whose memory or work estimate is over the
    limits of ``_cost`` (4 GiB, 5e11 operations) is refused with one error naming the option, unless
    ``allow_large``.  See ``docs/locality.md`` for the definitions.

    >>> res = analyze_locality("analognas", max_distance=3, permutations=99, bootstrap=100, rng=0)
    >>> res.mode, len(res.mean_abs_diff_by_distance), res.local_optima > 0, res.p_value < 0.05
    ('exact', 3, True, True)
    >>> analyze_locality("analognas", samples=1)
    Traceback (most recent call last):
    ...
    lissnas_bench.errors.InvalidConfig: locality: samples must be >= 2, got 1
    """
    st, generator = settings_from(settings, rng, overrides)
    if isinstance(bench, (str, os.PathLike)):
        from ..benchmarks import load_benchmark

        bench = load_benchmark(bench, space=space, arch_column=arch_column)
    ds, m = bench.resolve(dataset, metric)
    st = st.resolve(bench.space, m)
    streams = Streams.spawn(generator, st.seed)
    run = _prepare(bench, ds, m, st, streams)
    run_mode, sum_method = choose_mode(run.land, run.st)
    run.st = run.st.for_mode(run_mode)
    check_resources(run.st, n=run.land.n, positions=run.land.positions, neighbours=max_neighbours(bench.space),
                    mode=run_mode, allow_large=allow_large)
    if run.st.distance == "ged":
        from .ged import GEDCache

        run.ged = ged_cache if ged_cache is not None else GEDCache(run.land.space, run.st.ged_timeout, persist=True)
    run.lap("setup")
    out = run_exact(run, sum_method) if run_mode == "exact" else run_sampled(run)
    _finish_ged(run, out)
    return _result(bench, ds, m, run, run_mode, out)


def _prepare(bench, ds: str, m: str, st: LocalitySettings, streams: Streams) -> Run:
    """The landscape of (``ds``, ``m``), checked: ``InvalidConfig`` for a metric with fewer than 3 values or a
    constant one."""
    col = bench.columns[(ds, m)]
    finite = int(np.isfinite(col).sum())
    if finite == 0:
        raise InvalidConfig(f"metric {m!r} of dataset {ds!r} in {bench.id!r} has no values (all NaN)")
    if finite < 3:
        raise InvalidConfig(f"metric {m!r} of dataset {ds!r} in {bench.id!r} has only {finite} values; need >= 3")
    L = Landscape(bench, ds, m)
    if float(np.ptp(L.f)) == 0.0:
        raise InvalidConfig(f"metric {m!r} of dataset {ds!r} is constant ({L.f[0]}); locality is undefined")
    run = Run(L, L.f if st.maximize else -L.f, st, streams)
    if L.n < L.space.size:
        run.note(
            f"{L.n:,} of the space's {L.space.size:,} architectures have a value; every measure is over "
            "those (pairs, neighbours and walks stay inside the tabulated set)"
        )
    return run


def _finish_ged(run: Run, out: dict) -> None:
    if run.ged is None:
        return
    run.ged.save()
    out["ged"] = run.ged.stats()
    if out["ged"]["timeouts"]:
        run.note(
            f"{out['ged']['timeouts']} graph edit distances hit the {run.st.ged_timeout:g} s timeout and "
            "are upper bounds"
        )


def _result(bench, ds: str, m: str, run: Run, run_mode: str, out: dict) -> LocalityResult:
    L, g, st = run.land, run.g, run.st
    opt_rows = np.flatnonzero(g == g.max())
    out["global_optimum"] = {
        "arch": L.space.to_strings(L.A[opt_rows[:1]])[0],
        "value": float(L.f[opt_rows[0]]),
        "ties": int(len(opt_rows)),
    }
    return LocalityResult(
        benchmark=bench.id,
        space=L.space.name,
        dataset=ds,
        metric=m,
        direction="max" if st.maximize else "min",
        mode=run_mode,
        distance=st.distance,
        architectures=L.n,
        space_size=int(L.space.size),
        settings=st,
        distances=list(range(1, st.max_distance + 1)),
        notes=run.notes,
        timings=run.clock.timings,
        **out,
    )
