"""One shrink (the ``shrink`` command): exactly one cell of a comparison, computed in this process.

Seed ``s`` under root seed ``r`` is the comparison cell (target, method, seed ``s``) of a comparison with root seed
``r``: the same stream, the same budget, the same reference size for the size-matched baselines, so
``shrink analognas --method random --seed 3`` reproduces ``compare``'s seed-3 row when the comparison ran with
the same settings.  ``cell_from_folder`` reads those settings from a results folder (``shrink --from``).

>>> out = shrink_once("analognas", method="lissnas", budget=500, seed=0)
>>> out["row"]["method"], out["row"]["queries"] <= 500, out["shrunk"].kind
('lissnas', True, 'pockets')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._params import as_int
from ..errors import InvalidConfig
from .config import (DEFAULT_BUDGET, DEFAULT_Q, FULL, Experiment, Target, Variant, check_q, default_reference,
                     variant)
from .plan import cell_key, prepare


def shrink_once(benchmark, *, dataset: str | None = None, metric: str | None = None, method: str = "lissnas",
                params: Mapping[str, Any] | None = None, budget: int = DEFAULT_BUDGET, seed: int = 0,
                root_seed: int = 0, q: float = DEFAULT_Q, proxy: str | None = None,
                reference_size: int | None = None, reference: Mapping[str, Any] | None = None, space=None,
                arch_column=None, cost_column=None, query_metric: str | None = None,
                restrict_domain: bool = False, label: str | None = None) -> dict:
    """Run one shrinker once and evaluate it: ``{"row", "shrunk", "trace", "params", "data_hash", "cell_seed"}``.

    ``reference_size`` gives a size-matched baseline its size; without it the reference (LISSNAS with its
    defaults or the ``reference`` parameters, or a ``Variant``) runs on the same seed first, exactly as in a
    comparison.  ``label`` names the method in the row (default: ``method``; a sweep's variant label).
    """
    from ..benchmarks import Benchmark
    from ..spaces.shrunk import load_shrunk

    seed, root_seed = as_int(seed, "seed", ge=0), as_int(root_seed, "root_seed", ge=0)
    budget = as_int(budget, "budget", ge=1)
    q = check_q(q)
    v = variant(method, params, label=label or method)
    ref = None
    if v.build().needs_reference and reference_size is None:
        ref = reference if isinstance(reference, Variant) else (
            variant("lissnas", reference) if reference else default_reference(()))
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



def cell_from_folder(folder, *, method: str, seed: int, benchmark: str | None = None, dataset: str | None = None,
                     budget: int | None = None) -> dict:
    """What reproduces the cell (method, seed) of a results folder: ``{"kwargs"`` (for ``shrink_once``),
    ``"key"`` (the cell's key), ``"row"`` (its stored row, ``None`` when it did not finish), ``"data_hash"``,
    ``"target"``}.  ``benchmark`` / ``dataset`` pick the target and ``budget`` the budget when the folder holds
    several; a method, seed, budget or target the folder does not hold is one ``InvalidConfig``."""
    from .store import ResultsFolder

    rf = ResultsFolder(folder)
    man = rf.read_manifest() if rf.root.is_dir() else None
    if man is None or "config" not in man:
        raise InvalidConfig(f"--from {folder}: not a results folder (no manifest.json); give the folder that "
                            "`compare`, `demo`, `run` or `sensitivity` wrote")
    exp = Experiment.from_dict(man["config"])
    tgt = _pick_target(man, benchmark, dataset, folder)
    v = _pick_variant(exp, method, folder)
    seed = as_int(seed, "seed", ge=0)
    if seed not in exp.seeds:
        raise InvalidConfig(f"--from {folder} holds no seed {seed}; its seeds are {_span(exp.seeds)}")
    budget = _pick_budget(exp.budgets, budget, folder)
    t = exp.targets[[x["key"] for x in man["targets"]].index(tgt["key"])]
    reference = exp.reference if v.build().needs_reference else None
    kwargs = {"benchmark": t.benchmark, "dataset": t.dataset, "metric": t.metric, "method": v.method,
              "label": v.label, "params": dict(v.params), "budget": budget, "seed": seed,
              "root_seed": exp.root_seed, "q": exp.q,
              "proxy": t.proxy, "reference": reference, "space": t.space, "arch_column": t.arch_column,
              "cost_column": t.cost_column, "query_metric": t.query_metric, "restrict_domain": t.restrict_domain}
    key = cell_key(tgt["key"], v.label, seed, budget, len(exp.budgets) > 1)
    rec = rf.finished(key, man.get("config_hash"))
    return {"kwargs": kwargs, "key": key, "row": rec["row"] if rec else None, "data_hash": tgt.get("data_hash"),
            "target": tgt, "label": v.label}


def _pick_target(man: dict, benchmark, dataset, folder) -> dict:
    targets = [t for t in man["targets"] if (benchmark is None or benchmark in (t["benchmark"], t["benchmark_id"]))
               and (dataset is None or dataset == t["dataset"])]
    names = ", ".join(f"{t['benchmark_id']} -d {t['dataset']}" for t in man["targets"])
    if not targets:
        raise InvalidConfig(f"--from {folder} holds no target {benchmark or ''} {dataset or ''}".rstrip()
                            + f"; it holds {names}")
    if len(targets) > 1:
        raise InvalidConfig(f"--from {folder} holds {len(targets)} targets: name one with BENCH and --dataset "
                            f"({names})")
    return targets[0]


def _pick_variant(exp: Experiment, method: str, folder) -> Variant:
    shrinkers = [v for v in exp.shrinkers if v.method != FULL]
    hits = [v for v in shrinkers if v.label == method] or [v for v in shrinkers if v.method == method]
    labels = ", ".join(v.label for v in shrinkers)
    if not hits:
        raise InvalidConfig(f"--from {folder} holds no method {method!r}; its methods are {labels}")
    if len(hits) > 1:
        raise InvalidConfig(f"--from {folder} holds several variants of {method!r}: give one label with --method "
                            f"({', '.join(v.label for v in hits)})")
    return hits[0]


def _pick_budget(budgets: tuple[int, ...], budget, folder) -> int:
    if budget is None:
        if len(budgets) > 1:
            raise InvalidConfig(f"--from {folder} holds several budgets ({', '.join(map(str, budgets))}): pick one "
                                "with --budget")
        return budgets[0]
    budget = as_int(budget, "budget", ge=1)
    if budget not in budgets:
        raise InvalidConfig(f"--from {folder} holds no budget {budget}; its budgets are "
                            f"{', '.join(map(str, budgets))}")
    return budget


def _span(seeds) -> str:
    seeds = sorted(seeds)
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(map(str, seeds))
