"""Repeated searches: one optimizer on several seeds inside one domain (the ``search`` command).

Each seed searches on the target's *query* metric (what a searcher sees; by default the benchmark's natural
pairing, ``experiments/protocol.py``) and is judged on the *truth* ``metric``.

>>> import lissnas_bench as lb
>>> from lissnas_bench.search import search_seeds
>>> res, curves = search_seeds(lb.load_benchmark("analognas"), optimizer="ls", budget=100, seeds=2)
>>> res["search_total_queries"].tolist(), res["search_stop"].tolist(), len(curves)
([100, 100], ['queries', 'queries'], 200)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._params import as_float, as_int
from ..errors import InvalidConfig


def search_seeds(bench, *, space=None, optimizer: str = "rs", params: dict | None = None, budget: int = 1000,
                 seeds: int = 10, root_seed: int = 0, dataset: str | None = None, metric: str | None = None,
                 query_metric: str | None = None, restrict_domain: bool = False, cost: str | None = None,
                 time_budget: float | None = None, shrink_queries: int = 0, shrink_seconds: float = 0.0,
                 regret_at: Sequence[int] | None = None, space_label: str = "full", allow_large: bool = False):
    """Run one optimizer on ``seeds`` seeds; returns ``(results, curves)`` DataFrames (a row per seed; the
    full-resolution anytime curves, with the cumulative simulated seconds of every query).

    ``budget`` is the total queries per seed and ``time_budget`` (optional) the total simulated seconds; the
    search stops at whichever binds first (``search_stop``).  ``shrink_queries`` / ``shrink_seconds`` charge a
    shrinker's spend up front (fresh-oracle accounting: the search gets ``budget - shrink_queries`` queries and its
    curve starts at ``shrink_queries + 1``).  ``query_metric``, ``restrict_domain`` and ``cost`` are the target's
    protocol (``Target``).  Seed ``i`` uses ``SeedSequence(root_seed).spawn(seeds)[i]``.  A run over the size limits
    of ``experiments.plan`` (memory, CPU hours) is refused before it starts unless ``allow_large``.
    """
    import pandas as pd

    from ..experiments.config import MAX_SEEDS
    from ..experiments.plan import estimate
    from ..experiments.protocol import resolve
    from . import get_optimizer
    from .result import Truth

    opt = get_optimizer(optimizer, **dict(params or {}))
    dataset, metric = bench.resolve(dataset, metric)
    for name, v, lo in (("budget", budget, 1), ("seeds", seeds, 1), ("seed", root_seed, 0),
                        ("shrink_queries", shrink_queries, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise InvalidConfig(f"{name} must be an integer >= {lo}, got {v!r}")
    if shrink_queries >= budget:
        raise InvalidConfig(f"the shrinker's {shrink_queries} queries leave nothing of the budget {budget}")
    as_int(seeds, "seeds", ge=1, le=MAX_SEEDS)
    estimate(seeds, optimizers=1, search_budget=budget).check(allow_large)
    shrink_seconds = as_float(shrink_seconds, "shrink_seconds", ge=0)
    proto = resolve(bench, dataset, metric, query_metric, restrict_domain, cost=cost)
    truth = None if getattr(bench, "live", False) else Truth.of(bench, dataset, metric)
    rows, curves = [], []
    for i, ss in enumerate(np.random.SeedSequence(root_seed).spawn(seeds)):
        # a trial query draws its trials from a stream of its own: the search's stream is the seed's
        noise = np.random.default_rng(ss.spawn(1)[0]) if proto.kind == "trial" else None
        oracle = proto.oracle(bench, budget - shrink_queries, noise)
        res = opt.search(oracle, np.random.default_rng(ss), space, query_offset=shrink_queries, truth=truth,
                         time_budget=time_budget, seconds_offset=shrink_seconds)
        ids = {"benchmark": bench.id, "dataset": dataset, "metric": metric, "shrinker": space_label,
               "optimizer": optimizer, "seed": i}
        best_arch = bench.space.to_strings(res.best_arch[None, :])[0] if res.best_arch is not None else None
        rows.append({**ids, "query_metric": proto.query, "protocol": proto.kind, "cost": proto.cost_spec,
                     "time_budget": time_budget, "shrink_queries": shrink_queries, **res.columns(regret_at),
                     "best": res.best_value, "regret": res.regret_at(int(res.queries[-1])) if len(res.queries)
                     else float("nan"), "best_arch": best_arch, **{f"info_{k}": v for k, v in res.info.items()}})
        f = res.to_frame()
        f["stop"] = res.stop
        for k, v in reversed(ids.items()):
            f.insert(0, k, v)
        curves.append(f)
    return pd.DataFrame(rows), pd.concat(curves, ignore_index=True)
