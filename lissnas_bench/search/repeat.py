"""Repeated searches: one optimizer on several seeds inside one domain (the ``search`` command).

>>> import lissnas_bench as lb
>>> from lissnas_bench.search import search_seeds
>>> res, curves = search_seeds(lb.load_benchmark("analognas"), optimizer="ls", budget=100, seeds=2)
>>> res["search_total_queries"].tolist(), len(curves)
([100, 100], 200)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InvalidConfig


def search_seeds(bench, *, space=None, optimizer: str = "rs", params: dict | None = None, budget: int = 1000,
                 seeds: int = 10, root_seed: int = 0, dataset: str | None = None, metric: str | None = None,
                 shrink_queries: int = 0, regret_at: Sequence[int] | None = None, space_label: str = "full"):
    """Run one optimizer on ``seeds`` seeds; returns ``(results, curves)`` DataFrames (a row per seed; the
    full-resolution anytime curves).

    ``budget`` is the total per seed.  ``shrink_queries`` charges a shrinker's queries up front (fresh-oracle
    accounting: the search gets ``budget - shrink_queries`` and its curve starts at ``shrink_queries + 1``).
    Seed ``i`` uses ``SeedSequence(root_seed).spawn(seeds)[i]``.

    """
    import pandas as pd

    from ..benchmarks import Oracle
    from . import get_optimizer

    opt = get_optimizer(optimizer, **dict(params or {}))
    dataset, metric = bench.resolve(dataset, metric)
    for name, v, lo in (("budget", budget, 1), ("seeds", seeds, 1), ("seed", root_seed, 0),
                        ("shrink_queries", shrink_queries, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise InvalidConfig(f"{name} must be an integer >= {lo}, got {v!r}")
    if shrink_queries >= budget:
        raise InvalidConfig(f"the shrinker's {shrink_queries} queries leave nothing of the budget {budget}")
    rows, curves = [], []
    for i, ss in enumerate(np.random.SeedSequence(root_seed).spawn(seeds)):
        oracle = Oracle(bench, dataset, metric, budget - shrink_queries)
        res = opt.search(oracle, np.random.default_rng(ss), space, query_offset=shrink_queries)
        ids = {"benchmark": bench.id, "dataset": dataset, "metric": metric, "shrinker": space_label,
               "optimizer": optimizer, "seed": i}
        best_arch = bench.space.to_strings(res.best_arch[None, :])[0] if res.best_arch is not None else None
        rows.append({**ids, "shrink_queries": shrink_queries, **res.columns(regret_at), "best": res.best_value,
                     "regret": res.global_max - res.best_value, "best_arch": best_arch, **{
                         f"info_{k}": v for k, v in res.info.items()}})
        f = res.to_frame()
        for k, v in reversed(ids.items()):
            f.insert(0, k, v)
        curves.append(f)
    return pd.DataFrame(rows), pd.concat(curves, ignore_index=True)
