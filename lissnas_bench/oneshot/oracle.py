"""The supernet as an accuracy oracle, and Kendall-Tau between supernet scores and true accuracies.

:class:`SupernetOracle` has the interface of the benchmark ``Oracle`` (``query``, ``queries``, ``budget``,
``BudgetExhausted`` past the budget; distinct architectures are counted, repeats are free), so a shrinker
(``lissnas``, ``op-pruning``) can query supernet accuracy where no benchmark exists.  It wraps any
``archs -> scores`` function; :func:`lissnas_bench.oneshot.supernet_oracle` builds one from a trained supernet.

>>> import numpy as np
>>> from lissnas_bench.spaces import get_space
>>> space = get_space("nasbench-macro")
>>> oracle = SupernetOracle(lambda a: a.sum(axis=1) * 1.0, space, budget=2)
>>> oracle.query(space.from_strings(["22212220", "22212220", "00000000"])).tolist(), oracle.queries
([13.0, 13.0, 0.0], 2)
>>> oracle.query(space.from_strings(["11111111"]))
Traceback (most recent call last):
...
lissnas_bench.errors.BudgetExhausted: supernet oracle: 1 new architecture(s) would exceed the budget (2 of 2 used)
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import BudgetExhausted, DataFileError, InvalidConfig, UnknownArchitecture


class SupernetOracle:
    """Budgeted, caching access to a scoring function over a space (higher is better).

    ``budget=None`` is unlimited.  ``sim_seconds`` accumulates the wall-clock time spent scoring, the
    analogue of a benchmark's simulated training seconds.
    """

    def __init__(self, score_fn: Callable[[np.ndarray], np.ndarray], space, budget: int | None = None,
                 name: str = "supernet"):
        if budget is not None and (not isinstance(budget, (int, np.integer)) or budget < 0):
            raise InvalidConfig(f"budget must be a non-negative integer or None, got {budget!r}")
        self.score_fn = score_fn
        self.space = space
        self.budget = None if budget is None else int(budget)
        self.name = name
        self._cache: dict[bytes, float] = {}
        #: architectures in the order they were first scored (for anytime curves)
        self.history: list[np.ndarray] = []
        #: wall-clock seconds spent scoring (the benchmark Oracle's simulated training time)
        self.sim_seconds = 0.0
        self.has_time = True
        self.dataset, self.metric = name, "top1"

    @property
    def cost_seconds(self) -> float:
        return self.sim_seconds

    @property
    def queries(self) -> int:
        """Distinct architectures scored so far."""
        return len(self._cache)

    @property
    def remaining(self) -> float:
        return math.inf if self.budget is None else self.budget - self.queries

    def _keys(self, a: np.ndarray) -> list[bytes]:
        return [r.tobytes() for r in np.ascontiguousarray(a, dtype=np.int8)]

    def is_known(self, archs) -> np.ndarray:
        """Which architectures were already scored (asking them again costs nothing)."""
        return np.array([k in self._cache for k in self._keys(self.space.validate(archs))], dtype=bool)

    def new_count(self, archs) -> int:
        """How many distinct architectures of ``archs`` a query would charge."""
        return len({k for k in self._keys(self.space.validate(archs)) if k not in self._cache})

    def queried(self) -> tuple[np.ndarray, np.ndarray]:
        """All architectures scored so far (in order) and their scores."""
        a = np.array(self.history, dtype=np.int8).reshape(-1, self.space.positions)
        return a, np.array([self._cache[k] for k in self._keys(a)], dtype=np.float64)

    def query(self, archs) -> np.ndarray:
        """Scores of ``archs``; charges each architecture not scored before, all or nothing."""
        import time

        a = self.space.validate(archs)
        keys = self._keys(a)
        new_idx, new_keys = [], set()
        for i, k in enumerate(keys):
            if k not in self._cache and k not in new_keys:
                new_keys.add(k)
                new_idx.append(i)
        if self.budget is not None and self.queries + len(new_idx) > self.budget:
            raise BudgetExhausted(
                f"{self.name} oracle: {len(new_idx)} new architecture(s) would exceed the budget "
                f"({self.queries} of {self.budget} used)"
            )
        if new_idx:
            t0 = time.perf_counter()
            scores = np.asarray(self.score_fn(a[new_idx]), dtype=np.float64).reshape(-1)
            self.sim_seconds += time.perf_counter() - t0
            if len(scores) != len(new_idx):
                raise InvalidConfig(f"score function returned {len(scores)} values for {len(new_idx)} architectures")
            for i, s in zip(new_idx, scores):
                self._cache[keys[i]] = float(s)
                self.history.append(a[i].copy())
        return np.array([self._cache[k] for k in keys], dtype=np.float64)

    __call__ = query

    def __repr__(self) -> str:
        return f"<SupernetOracle {self.space.name}: {self.queries} queries, budget {self.budget}>"


# ------------------------------------------------------------------------------------------ Kendall-Tau


@dataclass(frozen=True)
class KendallResult:
    tau: float
    pvalue: float
    n: int


def load_accuracy_table(path, metric: str = "mean_acc") -> dict[str, float]:
    """``{arch string: accuracy}`` from a JSON object keyed by architecture (the NAS-Bench-Macro layout,
    ``{"22212220": {"mean_acc": 93.127, ...}}``) or a CSV with columns ``arch`` and ``metric``."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"accuracy table {str(path)!r} does not exist")
    if path.suffix.lower() == ".csv":
        import pandas as pd

        df = pd.read_csv(path)
        col = "arch" if "arch" in df.columns else df.columns[0]
        if metric not in df.columns:
            raise DataFileError(f"accuracy table {str(path)!r} has no column {metric!r}; columns: {list(df.columns)}")
        return {str(k): float(v) for k, v in zip(df[col], df[metric])}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataFileError(f"accuracy table {str(path)!r} is not valid JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise DataFileError(f"accuracy table {str(path)!r}: expected a JSON object keyed by architecture")
    out = {}
    for k, v in data.items():
        val = v.get(metric) if isinstance(v, Mapping) else v
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            raise DataFileError(f"accuracy table {str(path)!r}: entry {k!r} has no numeric {metric!r}")
        out[str(k)] = float(val)
    return out


def table_kendall_tau(space, archs, scores, table) -> KendallResult:
    """Kendall's tau-b (``scipy.stats.kendalltau``) between ``scores`` of ``archs`` and their true accuracies.

    ``table``: ``{arch string: accuracy}`` (any string form of ``space``), or a path for
    :func:`load_accuracy_table`.

    >>> from lissnas_bench.spaces import get_space
    >>> s = get_space("nasbench-macro")
    >>> a = s.from_strings(["00000000", "11111111", "22222222"])
    >>> table_kendall_tau(s, a, [1.0, 2.0, 3.0], {"00000000": 80.0, "11111111": 90.0, "22222222": 92.0}).tau
    1.0
    """
    from scipy.stats import kendalltau

    if isinstance(table, (str, Path)):
        table = load_accuracy_table(table)
    a = space.validate(archs)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(scores) != len(a):
        raise InvalidConfig(f"{len(scores)} scores for {len(a)} architectures")
    keys = [str(k) for k in table]
    try:
        table_idx = space.index(space.from_strings(keys)).tolist()
    except Exception as exc:  # noqa: BLE001 - an unparsable key is a data error
        raise DataFileError(f"accuracy table: its keys are not architectures of {space.name}: {exc}") from exc
    canon = dict(zip(table_idx, (float(v) for v in table.values())))
    idx = space.index(a)
    missing = [i for i, k in enumerate(idx.tolist()) if k not in canon]
    if missing:
        shown = ", ".join(space.to_strings(a[missing[:3]]))
        raise UnknownArchitecture(f"accuracy table lacks {len(missing)} of the {len(a)} architectures (e.g. {shown})")
    truth = np.array([canon[k] for k in idx.tolist()])
    if len(a) < 2:
        raise InvalidConfig("Kendall-Tau needs at least 2 architectures")
    res = kendalltau(scores, truth)
    return KendallResult(float(res.statistic), float(res.pvalue), int(len(a)))
