"""The columnar benchmark: one row per architecture, one float column per (dataset, metric).

Each (dataset, metric) has a direction, declared by whoever builds the benchmark (``minimize``: the columns that
are better when lower; every other column is maximised), and a dataset may accept other names for its metrics
(``aliases``: the names the benchmark's own paper and code use, e.g. NAS-Bench-Macro's ``mean_acc``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidConfig, UnknownArchitecture, UnknownDataset, UnknownMetric
from ..spaces import Space, SubsetSpace, get_space

# Dense key->row lookup for spaces up to this size (an int32 array; 50M keys = 200 MB is the cap).
_DENSE_LOOKUP_MAX = 20_000_000
#: name tokens of metrics that are better when lower, in the adapters' naming scheme (docs/data.md)
LOWER_IS_BETTER = frozenset(
    ("loss", "error", "err", "latency", "time", "runtime", "params", "param", "parameters", "para", "flops", "macs",
     "energy", "uncertainty", "memory", "cost", "std", "size")
)


def lower_is_better(metric: str) -> bool:
    """Whether an adapter's metric name says lower is better (a whole token: ``train-loss@200``, ``params``).

    Adapters declare their directions with this rule; user tables do not (they maximise unless told).

    >>> lower_is_better("x-valid-accuracy@200"), lower_is_better("train-time@200"), lower_is_better("val-accuracy-std@100")
    (False, True, True)
    """
    return any(t in LOWER_IS_BETTER for t in re.split(r"[^a-z0-9]+", metric.lower()))


def minimized_by_name(columns: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (dataset, metric) pairs ``lower_is_better`` declares minimised."""
    return [(d, m) for d, m in columns if lower_is_better(m)]


@dataclass
class Benchmark:
    """A NAS benchmark as flat columns.

    ``archs`` holds the canonical encodings (rows sorted by ``space.index``); ``columns`` maps
    ``(dataset, metric)`` to a float64 array aligned with the rows (NaN = not measured).

    >>> import lissnas_bench as lb
    >>> bench = lb.load_benchmark("analognas")
    >>> a = bench.space.from_strings(["|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"])
    >>> round(float(bench.query(a)[0]), 4)
    93.2424
    """

    id: str
    space: Space
    archs: np.ndarray
    columns: dict[tuple[str, str], np.ndarray]
    source: str = ""
    description: str = ""
    default_dataset: str | None = None
    default_metrics: dict[str, str] = field(default_factory=dict)
    #: per dataset, the metric holding simulated training seconds (charged by the Oracle)
    cost_metrics: dict[str, str] = field(default_factory=dict)
    data_hash: str = ""
    #: what the converter had to drop or could not read, for the user's information
    notes: list[str] = field(default_factory=list)
    #: (dataset, metric) pairs that are better when lower; the rest are maximised.  ``None`` (caches written
    #: before directions were stored) means "as ``lower_is_better`` says", the rule every adapter declares with.
    minimize: list | None = field(default_factory=list)
    #: per dataset, other accepted names of its metrics: ``{dataset: {alias: metric}}``
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self):
        if isinstance(self.space, str):
            self.space = get_space(self.space)
        self.archs = self.space.as_archs(self.archs)
        self.keys = np.asarray(self.space.index(self.archs), dtype=np.int64)
        order = np.argsort(self.keys, kind="stable")
        if not np.all(order == np.arange(len(order))):
            self.archs, self.keys = self.archs[order], self.keys[order]
            self.columns = {k: np.asarray(v, np.float64)[order] for k, v in self.columns.items()}
        else:
            self.columns = {k: np.asarray(v, np.float64) for k, v in self.columns.items()}
        dup = np.flatnonzero(np.diff(self.keys) == 0)
        if dup.size:
            raise InvalidConfig(
                f"benchmark {self.id!r}: duplicate architecture {self.space.to_strings(self.archs[dup[:1]])[0]}"
            )
        for k, v in self.columns.items():
            if v.shape != (len(self.archs),):
                raise InvalidConfig(f"column {k} has shape {v.shape}, expected ({len(self.archs)},)")
        if self.default_dataset is None and self.columns:
            self.default_dataset = next(iter(self.columns))[0]
        self._check_names()
        self._lookup = None
        self._domains: dict = {}

    def _check_names(self) -> None:
        """Normalise ``minimize`` and ``aliases`` and check that they name existing columns."""
        names = set(self._names())
        pairs = minimized_by_name(names) if self.minimize is None else [tuple(p) for p in self.minimize]
        for d, m in pairs:
            if (d, m) not in names:
                raise InvalidConfig(f"benchmark {self.id!r}: cannot minimise {m!r} on {d!r}: no such column")
        self.minimize = sorted(set(pairs))
        self._min_set = set(self.minimize)
        aliases: dict[str, dict[str, str]] = {}
        for d, table in (self.aliases or {}).items():
            for alias, m in table.items():
                if (d, m) not in names:
                    raise InvalidConfig(f"benchmark {self.id!r}: alias {alias!r} names no metric ({d!r}, {m!r})")
                if (d, alias) not in names:  # a real column always wins over an alias of the same name
                    aliases.setdefault(d, {})[str(alias)] = str(m)
        self.aliases = aliases

    def _names(self) -> list[tuple[str, str]]:
        return list(self.columns)

    # ------------------------------------------------------------------ names
    @property
    def datasets(self) -> list[str]:
        return list(dict.fromkeys(d for d, _ in self._names()))

    def metrics(self, dataset: str | None = None) -> list[str]:
        dataset = self.resolve_dataset(dataset)
        return [m for d, m in self._names() if d == dataset]

    def metric_aliases(self, dataset: str | None = None) -> dict[str, str]:
        """``{alias: metric}`` of a dataset: the original names the benchmark's own paper and code use."""
        return dict(self.aliases.get(self.resolve_dataset(dataset), {}))

    def maximize(self, dataset: str | None = None, metric: str | None = None) -> bool:
        """Whether (dataset, metric) is better when higher (aliases accepted).

        >>> import lissnas_bench as lb
        >>> b = lb.load_benchmark("nasbench-graph")
        >>> b.maximize("cora", "valid_perf"), b.maximize("cora", "latency")
        (True, False)
        """
        return self.resolve(dataset, metric) not in self._min_set

    def resolve_dataset(self, dataset: str | None) -> str:
        if dataset is None:
            return self.default_dataset
        if dataset not in self.datasets:
            raise UnknownDataset(dataset, self.datasets)
        return dataset

    def resolve(self, dataset: str | None = None, metric: str | None = None) -> tuple[str, str]:
        """Fill in defaults and check ``(dataset, metric)``; raises with the accepted names."""
        dataset = self.resolve_dataset(dataset)
        names = self.metrics(dataset)
        if metric is None:
            metric = self.default_metrics.get(dataset, names[0])
        if metric not in names:
            alias = self.aliases.get(dataset, {})
            if metric in alias:
                return dataset, alias[metric]
            raise UnknownMetric(metric, names + [f"{a} (= {m})" for a, m in alias.items()])
        return dataset, metric

    def __len__(self) -> int:
        return len(self.archs)

    # ------------------------------------------------------------------ lookups
    def _row_lookup(self):
        if self._lookup is None:
            if self.space.finite and self.space.size <= _DENSE_LOOKUP_MAX:
                dense = np.full(self.space.size, -1, dtype=np.int32)
                dense[self.keys] = np.arange(len(self.keys), dtype=np.int32)
                self._lookup = dense
            else:
                self._lookup = False  # use searchsorted on the sorted keys
        return self._lookup

    def rows(self, archs, *, missing: str = "raise") -> np.ndarray:
        """Row of each architecture (canonicalised first).  ``missing='mask'`` returns -1 instead of raising."""
        k = self.space.index(archs)  # validates and canonicalises
        lut = self._row_lookup()
        if lut is not False:
            r = lut[k]
        else:
            pos = np.searchsorted(self.keys, k).clip(0, max(len(self.keys) - 1, 0))
            r = np.where(self.keys[pos] == k, pos, -1) if len(self.keys) else np.full(len(k), -1)
        if missing == "raise" and (r < 0).any():
            bad = int(np.flatnonzero(r < 0)[0])
            a = self.space.validate(archs)
            raise UnknownArchitecture(
                f"benchmark {self.id!r} has no row for {self.space.to_strings(a[bad : bad + 1])[0]} "
                f"({len(self)} architectures are tabulated)"
            )
        return r.astype(np.int64)

    def column(self, dataset: str | None = None, metric: str | None = None) -> np.ndarray:
        """The whole column for (dataset, metric), aligned with ``archs`` (read-only view)."""
        col = self.columns[self.resolve(dataset, metric)].view()
        col.flags.writeable = False
        return col

    def query(self, archs, dataset: str | None = None, metric: str | None = None) -> np.ndarray:
        """Metric values of ``archs`` (an array gather). NaN where the source has no measurement."""
        col = self.columns[self.resolve(dataset, metric)]
        return col[self.rows(archs)]

    def domain(self, dataset: str | None = None, metric: str | None = None) -> Space:
        """The space of architectures that have a value for (dataset, metric).

        The full space when the table covers all of it; otherwise a ``SubsetSpace`` of the measured rows.
        """
        key = self.resolve(dataset, metric)
        if key not in self._domains:
            ok = np.isfinite(self.columns[key])
            if ok.all() and len(self) == self.space.size:
                self._domains[key] = self.space
            else:
                self._domains[key] = SubsetSpace(self.space, self.archs[ok])
        return self._domains[key]

    def info(self) -> dict:
        return {
            "id": self.id,
            "space": self.space.name,
            "architectures": len(self),
            "datasets": self.datasets,
            "metrics": {d: self.metrics(d) for d in self.datasets},
            "default_dataset": self.default_dataset,
            "default_metrics": {d: self.resolve(d)[1] for d in self.datasets},
            "minimize": {d: [m for dd, m in self.minimize if dd == d] for d in self.datasets},
            "directions": {d: {m: "minimize" if (d, m) in self._min_set else "maximize"
                               for m in self.metrics(d)} for d in self.datasets},
            "aliases": {d: self.metric_aliases(d) for d in self.datasets},
            "source": self.source,
            "data_hash": self.data_hash,
        }

    def __repr__(self) -> str:
        return f"<Benchmark {self.id}: {self.space.name}, {len(self)} architectures, datasets {self.datasets}>"
