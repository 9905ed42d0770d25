"""Locality of NAS landscapes: do structurally similar architectures perform similarly?

``analyze_locality`` measures it on any benchmark, dataset and metric (exact where the tabulated set can be
enumerated, stated sampling elsewhere); ``write_locality_report`` writes ``locality.json``, the figures and
``report.md``; ``compare_locality`` runs several and draws them side by side.  Definitions: ``docs/locality.md``.

>>> from lissnas_bench.locality import analyze_locality
>>> res = analyze_locality("analognas", max_distance=2, permutations=99, bootstrap=50)
>>> res.mode, [round(x, 2) for x in res.correlation_by_distance]   # exact: every pair at d = 1 and 2
('exact', [0.56, 0.29])
"""

from __future__ import annotations

from ._analysis import analyze_locality
from .report import (
    CompareItem,
    compare_locality,
    parse_compare,
    write_compare_report,
    write_locality_report,
)
from .result import LocalityResult
from .settings import DEFAULT_TOP_FRACTIONS, LocalitySettings, infer_maximize

__all__ = [
    "DEFAULT_TOP_FRACTIONS",
    "CompareItem",
    "LocalityResult",
    "LocalitySettings",
    "analyze_locality",
    "compare_locality",
    "infer_maximize",
    "parse_compare",
    "write_compare_report",
    "write_locality_report",
]
