"""LISSNAS's sensitivity to its own parameters: one target, a grid over up to two parameters (others fixed), run on
the one engine; recall, size, good pockets and spend per grid point.

>>> exp = sensitivity_experiment(Target("analognas"), {"k": [5, 10], "radius": [1, 2]}, seeds=3, budget=500)
>>> [v.label for v in exp.shrinkers]
['lissnas(k=5,radius=1)', 'lissnas(k=5,radius=2)', 'lissnas(k=10,radius=1)', 'lissnas(k=10,radius=2)']
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence

from .._params import as_int
from ..errors import InvalidConfig, UnknownName
from .config import MAX_SEEDS, Experiment, Target, check_q, variant

#: the measures a sensitivity study draws, with their labels
MEASURES = (("recall", "recall@q"), ("size", "|S′|"), ("good_pockets", "good pockets"), ("queries", "queries spent"))
METHOD = "lissnas"


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``["k=5,10", "radius=1,2"]`` -> ``{"k": ["5", "10"], "radius": ["1", "2"]}`` (values are checked later by the
    parameter layer)."""
    out: dict[str, list[str]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not key.strip() or not vals:
            raise InvalidConfig(f"--vary expects NAME=V1,V2,... (e.g. k=5,10,20), got {item!r}")
        if key.strip() in out:
            raise InvalidConfig(f"--vary names {key.strip()!r} twice")
        out[key.strip()] = vals
    return out


def sensitivity_experiment(target: Target, grid: Mapping[str, Sequence], fixed: Mapping | None = None, *,
                           seeds: int = 5, budget: int = 1000, q: float = 0.01, root_seed: int = 0,
                           name: str = "sensitivity") -> Experiment:
    """An experiment of LISSNAS variants: the product of ``grid`` (one or two parameters), ``fixed`` for the rest."""
    from ..shrinkers import shrinker_class

    grid = {str(k): list(v) for k, v in grid.items()}
    fixed = dict(fixed or {})
    if not 1 <= len(grid) <= 2:
        raise InvalidConfig(f"vary one or two LISSNAS parameters (the figure is a heatmap), got {len(grid)}")
    names = [f.name for f in dataclasses.fields(shrinker_class(METHOD).Params)]
    for k in [*grid, *fixed]:
        if k not in names:
            raise UnknownName("LISSNAS parameter", k, names)
    both = set(grid) & set(fixed)
    if both:
        raise InvalidConfig(f"{sorted(both)[0]!r} is both varied and fixed")
    variants = []
    for combo in itertools.product(*grid.values()):
        given = {**fixed, **dict(zip(grid, combo))}
        variants.append(variant(METHOD, given, label=METHOD + "(" + ",".join(f"{k}={v}" for k, v in zip(grid, combo))
                                + ")"))
    return Experiment(targets=(target,), shrinkers=tuple(variants),
                      seeds=tuple(range(as_int(seeds, "seeds", ge=1, le=MAX_SEEDS))),
                      root_seed=as_int(root_seed, "root_seed", ge=0), budgets=(as_int(budget, "budget", ge=1),), q=check_q(q), name=name,
                      description=f"LISSNAS sensitivity to {', '.join(grid)}", compare_to=variants[0].label)


def grid_table(summary, grid: Mapping[str, Sequence]):
    """The summary's means per grid point: a column per varied parameter plus ``<measure>_mean`` columns."""
    import pandas as pd

    rows = []
    keys = list(grid)
    for combo in itertools.product(*grid.values()):
        label = METHOD + "(" + ",".join(f"{k}={v}" for k, v in zip(keys, combo)) + ")"
        sel = summary[summary["method"] == label]
        if sel.empty:
            continue
        r = sel.iloc[0]
        rows.append({**dict(zip(keys, combo)), **{f"{m}_mean": r.get(f"{m}_mean") for m, _ in MEASURES}})
    return pd.DataFrame(rows)
