"""``LocalityResult``: everything one analysis measured (``to_dict()`` is what ``locality.json`` holds)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .._params import jsonable
from .settings import LocalitySettings


@dataclass
class LocalityResult:
    """Everything ``analyze_locality`` measured.  ``to_dict()`` is what ``locality.json`` holds.

    Lists indexed by distance or lag start at 1: ``mean_abs_diff_by_distance[0]`` is d = 1.

    >>> from lissnas_bench.locality import analyze_locality
    >>> res = analyze_locality("analognas", max_distance=2, permutations=19, bootstrap=20, walks=10)
    >>> res.label, res.distances, sorted(res.to_dict()["settings"])[:3]
    ('analognas:cifar10:baseline_accuracy', [1, 2], ['bootstrap', 'confidence', 'distance'])
    """

    benchmark: str
    space: str
    dataset: str
    metric: str
    direction: str
    mode: str
    distance: str
    architectures: int
    space_size: int
    settings: LocalitySettings
    distances: list[int]
    mean_abs_diff_by_distance: list[float]
    mean_abs_diff_ci: list[list[float]]
    mean_sq_diff_by_distance: list[float]
    pairs_by_distance: list[float]
    abs_diff_quantiles_by_distance: list[dict | None]
    random_pair_mean_abs_diff: float
    random_pair_mean_abs_diff_ci: list[float]
    random_pair_mean_sq_diff: float
    random_pair_abs_diff_quantiles: dict | None
    correlation_by_distance: list[float]
    correlation_ci: list[list[float]]
    rwa_by_lag: list[float]
    rwa_method: str
    rwa_by_lag_walks: list[float]
    rwa_walks_ci: list[list[float]]
    correlation_length: float
    correlation_length_walks: float
    fdc: float
    fdc_ci: list[float]
    fdc_method: str
    global_optimum: dict
    enrichment: list[dict]
    local_optima: float
    local_optima_chance: float
    local_optima_detail: dict
    p_value: float
    permutation_test: dict
    neighbour_pairs: int
    isolated: int
    notes: list[str] = field(default_factory=list)
    ged: dict | None = None
    #: arrays for the figures (not part of ``to_dict``)
    plot_data: dict = field(default_factory=dict, repr=False)
    #: seconds per stage (not part of ``to_dict``, so equal seeds give equal JSON)
    timings: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("plot_data", "timings", "settings")}
        d["settings"] = self.settings.to_dict()
        return jsonable(d)

    @property
    def label(self) -> str:
        return f"{self.benchmark}:{self.dataset}:{self.metric}"

    def summary_line(self) -> str:
        r = (
            self.mean_abs_diff_by_distance[0] / self.random_pair_mean_abs_diff
            if self.random_pair_mean_abs_diff
            else math.nan
        )
        return (
            f"{self.label}: |Δf| at d=1 is {r:.0%} of random pairs, corr(d=1) {self.correlation_by_distance[0]:.3f}, "
            f"RWA(1) {self.rwa_by_lag[0]:.3f}, corr. length {self.correlation_length:.2f}, FDC {self.fdc:.3f}, "
            f"{_fmt_count(self.local_optima)} local optima, p = {self.p_value:.3g}"
        )


def _fmt_count(x) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"~{x:.0f}"
