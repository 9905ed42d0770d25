"""Evaluation of shrunk spaces against a benchmark's ground truth; definitions in docs/metrics.md.

>>> import lissnas_bench as lb
>>> from lissnas_bench.evaluation import evaluate
>>> bench = lb.load_benchmark("analognas")
>>> evaluate(bench.space, bench)["log10_reduction"]      # the full space reduces nothing
0.0
"""

from __future__ import annotations

from .metrics import COST_METRIC_NAMES, METRIC_NAMES, PROXY_METRIC_NAMES, evaluate, top_count
from .proxy import Proxy, kendall_tau, load_proxy, rank_correlations

__all__ = [
    "COST_METRIC_NAMES",
    "METRIC_NAMES",
    "PROXY_METRIC_NAMES",
    "Proxy",
    "evaluate",
    "kendall_tau",
    "load_proxy",
    "rank_correlations",
    "top_count",
]
