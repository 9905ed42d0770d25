"""Metrics beyond the built-in ones: a new metric is one function plus one ``register_metric`` call.

A metric function takes an ``EvalContext`` (everything ``evaluate`` knows about one shrunk space on a tabulated
benchmark) and returns a dict of its values; its keys then appear in ``evaluate``'s result, ``results.parquet``,
``summary.csv`` and the conformance tests.

>>> import math
>>> def share_kept(ctx):
...     return {"share_kept": len(ctx.member_rows) / len(ctx.S_rows)}
>>> register_metric("share", share_kept, keys=("share_kept",))
>>> import lissnas_bench as lb
>>> bench = lb.load_benchmark("analognas")
>>> lb.evaluate(bench.space, bench)["share_kept"]
1.0
>>> unregister_metric("share")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidConfig


@dataclass(frozen=True)
class EvalContext:
    """One evaluation: ``scores`` is the truth oriented so that higher is better, aligned with the benchmark's
    rows; ``S_rows`` the rows of S (the domain), ``member_rows`` those of S' ∩ S, ``top_rows`` those of T_q."""

    bench: object
    dataset: str
    metric: str
    q: float
    scores: np.ndarray
    S_rows: np.ndarray
    member_rows: np.ndarray
    top_rows: np.ndarray
    rng: np.random.Generator
    #: identifies (benchmark, dataset, metric, q, domain) for caches shared between shrunk spaces
    key: tuple


_METRICS: dict[str, tuple[Callable[[EvalContext], dict], tuple[str, ...]]] = {}


def register_metric(name: str, fn: Callable[[EvalContext], dict], *, keys: tuple[str, ...]) -> None:
    """Add ``fn`` (returning the values of ``keys``) to every exact evaluation."""
    if not isinstance(name, str) or not name or name in _METRICS:
        raise InvalidConfig(f"metric name {name!r} is empty or already registered")
    _METRICS[name] = (fn, tuple(keys))


def unregister_metric(name: str) -> None:
    _METRICS.pop(name, None)


def registered_keys() -> tuple[str, ...]:
    return tuple(k for _, keys in _METRICS.values() for k in keys)


def compute(ctx: EvalContext) -> dict:
    out = {}
    for name, (fn, keys) in _METRICS.items():
        vals = fn(ctx)
        missing = set(keys) - set(vals)
        if missing:
            raise RuntimeError(f"metric {name!r} did not return {sorted(missing)}")
        out.update({k: vals[k] for k in keys})
    return out


def _claim(ctx: EvalContext) -> dict:
    from .claim import claim_metrics, top_structure

    T = top_structure(ctx.bench, ctx.key, ctx.S_rows, ctx.scores, ctx.top_rows)
    return claim_metrics(T, ctx.member_rows)


register_metric("claim", _claim, keys=("good_pockets", "top_components_hit", "optima_kept"))
