"""One shrink (the ``shrink`` command): exactly one cell of a comparison, computed in this process.

Seed ``s`` under root seed ``r`` is the comparison cell (target, method, seed ``s``) of a comparison with root seed
``r``: the same stream, the same budget, the same reference size for the size-matched baselines, so
``shrink analognas --method random --seed 3`` reproduces ``compare``'s (or the demo's) seed-3 row.

>>> out = shrink_once("analognas", method="lissnas", budget=500, seed=0)
>>> out["row"]["method"], out["row"]["queries"] <= 500, out["shrunk"].kind
('lissnas', True, 'pockets')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._params import as_int
from ..errors import InvalidConfig
from .config import DEFAULT_BUDGET, DEFAULT_Q, Experiment, Target, check_q, default_reference, variant
from .plan import prepare


def shrink_once(benchmark, *, dataset: str | None = None, metric: str | None = None, method: str = "lissnas",
                params: Mapping[str, Any] | None = None, budget: int = DEFAULT_BUDGET, seed: int = 0,
                root_seed: int = 0, q: float = DEFAULT_Q, proxy: str | None = None,
                reference_size: int | None = None, reference: Mapping[str, Any] | None = None, space=None,
                arch_column=None, cost_column=None, query_metric: str | None = None,
                restrict_domain: bool = False) -> dict:
    """Run one shrinker once and evaluate it: ``{"row", "shrunk", "trace", "params", "data_hash", "cell_seed"}``.

    ``reference_size`` gives a size-matched baseline its size; without it the reference (LISSNAS, its defaults
    or ``reference`` parameters) runs on the same seed first, exactly as in a comparison.
    """
    from ..benchmarks import Benchmark
    from ..spaces.shrunk import load_shrunk

    seed, root_seed = as_int(seed, "seed", ge=0), as_int(root_seed, "root_seed", ge=0)
    budget = as_int(budget, "budget", ge=1)
    q = check_q(q)
    v = variant(method, params, label=method)
    ref = None
    if v.build().needs_reference and reference_size is None:
        ref = variant("lissnas", reference) if reference else default_reference(())
    if reference_size is not None:
        reference_size = as_int(reference_size, "reference_size", ge=1)
        if not v.build().needs_reference:
            raise InvalidConfig(f"--reference-size is for the size-matched baselines; {method} is not one")
    source = benchmark.id if isinstance(benchmark, Benchmark) else str(benchmark)
    exp = Experiment(targets=(Target(source, dataset, metric, proxy, space, arch_column, cost_column, query_metric,
                                     restrict_domain),),
                     shrinkers=(v,), seeds=(seed,), root_seed=root_seed, budgets=(budget,), q=q, reference=ref)
    plan = prepare(exp, opened={source: benchmark} if isinstance(benchmark, Benchmark) else None)
    from .cell import run_group

    t = plan.targets[0]
    ref_given = (reference_size, None) if reference_size is not None else None
    rec = run_group(plan, t.key, budget, seed, [v.label], ref_given, raise_errors=True)[0]
    return {"row": rec["row"], "shrunk": load_shrunk(rec["space"], space=t.bench.domain(t.dataset, t.metric)),
            "trace": rec["trace"], "params": dict(v.params), "data_hash": t.bench.data_hash,
            "cell_seed": rec["row"]["cell_seed"], "config_hash": plan.config_hash}

