"""What one query costs in simulated seconds: the cost column of the query's fidelity, or a stated formula.

The rules, in order (docs/search.md, "Time budgets"):

1. ``cost`` given: a column of the benchmark's dataset, or a sum of terms ``K*COLUMN`` (``K`` a number), e.g.
   ``12*train-per-time+valid-per-time`` — twelve epochs of a 200-epoch table's per-epoch training time plus one
   validation pass, the cost of NAS-Bench-201's 12-epoch query when the table has no 12-epoch time;
2. a query at a low fidelity (``...@E``) on a benchmark whose cost column is ``NAME@T``: ``NAME@E`` when the
   dataset has it (an imported NB201 / NATS answers ``x-valid-accuracy@12`` at the cost ``train-time@12``);
3. the benchmark's cost column for the dataset (``Benchmark.cost_metrics``; ``--cost-column`` for a table);
4. none: the queries cost no simulated time, and a time budget is refused.

>>> import numpy as np, lissnas_bench as lb
>>> bench = lb.Benchmark(id="t", space=lb.get_space("nb201"), archs=lb.get_space("nb201").enumerate()[:2],
...                      columns={("d", "acc"): np.array([1.0, 2.0]), ("d", "epoch-time"): np.array([3.0, 4.0]),
...                               ("d", "eval-time"): np.array([0.5, 0.5])})
>>> c = query_cost(bench, "d", "acc", "12*epoch-time + eval-time")
>>> c.values.tolist(), c.spec
([36.5, 48.5], '12*epoch-time+eval-time')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidConfig, UnknownName

_TERM = re.compile(r"^\s*(?:([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*\*\s*)?(.+?)\s*$")


@dataclass(frozen=True)
class QueryCost:
    """Seconds per query aligned with the benchmark's rows (``None``: no training time), and where they come
    from (a column name or the formula, normalised)."""

    values: np.ndarray | None
    spec: str | None


def query_cost(bench, dataset: str, query: str | None, spec: str | None = None) -> QueryCost:
    """The cost of answering ``query`` on ``dataset`` (the rules above); ``spec`` is rule 1's formula."""
    if spec is not None:
        return _formula(bench, dataset, spec)
    default = (getattr(bench, "cost_metrics", None) or {}).get(dataset)
    if default is None:
        return QueryCost(None, None)
    name = _fidelity_column(bench, dataset, query, default) or default
    return QueryCost(np.asarray(bench.columns[(dataset, name)], dtype=np.float64), name)


def _fidelity_column(bench, dataset: str, query: str | None, default: str) -> str | None:
    """``NAME@E`` for a query at fidelity ``E`` when the cost column is ``NAME@T`` and the dataset has it."""
    if not query or "@" not in default or "@" not in query:
        return None
    epochs = query.rsplit("@", 1)[1].split("/", 1)[0]
    cand = f"{default.rsplit('@', 1)[0]}@{epochs}"
    return cand if (dataset, cand) in bench.columns else None


def _formula(bench, dataset: str, spec: str) -> QueryCost:
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidConfig(f"cost must name a column or a formula such as '12*train-per-time', got {spec!r}")
    names = bench.metrics(dataset)
    if spec.strip() in names:  # a column whose name contains '+' or '*' is still a column
        col = spec.strip()
        return QueryCost(np.asarray(bench.columns[(dataset, col)], dtype=np.float64), col)
    total, terms = np.zeros(len(bench)), []
    for part in spec.split("+"):
        m = _TERM.match(part)
        if m is None or not m.group(2):
            raise InvalidConfig(f"cost {spec!r}: cannot read the term {part.strip()!r}; write COLUMN or K*COLUMN "
                                "terms joined by '+'")
        k, col = float(m.group(1)) if m.group(1) else 1.0, m.group(2)
        if col not in names:
            raise UnknownName(f"cost column of {dataset}", col, names)
        total = total + k * np.asarray(bench.columns[(dataset, col)], dtype=np.float64)
        terms.append(col if m.group(1) is None else f"{m.group(1)}*{col}")
    return QueryCost(total, "+".join(terms))
