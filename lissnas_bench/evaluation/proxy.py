"""Proxies: any per-architecture score that should rank architectures like the ground truth does.

A ``Proxy`` is a float array aligned with a benchmark's rows (NaN where the proxy has no score), so correlating it
with the ground truth over a shrunk space is a gather.  ``load_proxy`` builds one from

* another metric of the same benchmark: ``"metric:noisy_accuracy"``, a bare ``"noisy_accuracy"``, or another
  dataset's metric ``"metric:cifar10:valid_perf"``;
* a numeric column of another table in the benchmark's space: ``"table:PATH:COLUMN"`` (the architecture column
  is detected: the first text, then integer, column whose first values all parse as architectures; or give
  ``arch_column=``);
* a CSV of scores per architecture, e.g. supernet evaluations: ``"csv:PATH"`` with columns ``arch`` and ``score``
  (a path ending in ``.csv`` without a prefix means the same).

Coverage rule: a proxy must score every architecture of S, the rows with a ground-truth value for the
(dataset, metric) being evaluated; otherwise ``load_proxy`` raises ``UnknownArchitecture`` saying how many are
missing, with an example.  A proxy that only scores some architectures (e.g. a few hundred supernet evaluations)
is accepted with ``partial=True`` (or the spec prefix ``"partial:"``): correlations are then computed over the
covered architectures and ``evaluate`` reports how many that was.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataFileError, InvalidArchitecture, InvalidConfig, UnknownName

# Architecture-column detection parses this many leading values of each candidate column.
_DETECT_ROWS = 20


@dataclass(eq=False)
class Proxy:
    """Scores aligned with ``benchmark.archs`` (NaN where absent).

    ``partial=False`` (the default) makes ``evaluate`` refuse a shrunk space the proxy does not fully cover;
    ``partial=True`` correlates over the covered architectures and reports how many that was.

    >>> import lissnas_bench as lb
    >>> bench = lb.load_benchmark("analognas")
    >>> p = load_proxy("noisy_accuracy", bench)
    >>> p.name, p.covered
    ('metric:cifar10:noisy_accuracy', 15625)
    """

    values: np.ndarray
    name: str
    benchmark_id: str
    partial: bool = False
    #: architectures the source scored that the benchmark has no row for (dropped)
    unmatched: int = 0
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.values = np.asarray(self.values, dtype=np.float64)
        self.values.flags.writeable = False

    @property
    def covered(self) -> int:
        """Number of benchmark rows with a finite score."""
        return int(np.isfinite(self.values).sum())

    def check(self, benchmark) -> None:
        if len(self.values) != len(benchmark.archs) or self.benchmark_id != benchmark.id:
            raise InvalidConfig(
                f"proxy {self.name!r} was loaded for benchmark {self.benchmark_id!r} ({len(self.values)} rows), "
                f"not for {benchmark.id!r} ({len(benchmark.archs)} rows); load it with load_proxy(spec, benchmark)"
            )


def load_proxy(
    spec,
    benchmark,
    dataset: str | None = None,
    *,
    metric: str | None = None,
    arch_column: str | None = None,
    space: str | None = None,
    partial: bool = False,
) -> Proxy:
    """A ``Proxy`` for ``benchmark`` from a spec string, an array aligned with its rows, or a ``Proxy``.

    ``dataset``/``metric`` name the ground truth the proxy will be compared with (defaults: the benchmark's);
    every architecture with a value there must have a proxy score unless ``partial`` (see the module docstring).
    ``space`` only checks that a table is in the benchmark's space (a proxy must score the benchmark's
    architectures); ``arch_column`` overrides the detection of a table's architecture column.

    >>> import lissnas_bench as lb
    >>> bench = lb.load_benchmark("nasbench-graph")
    >>> load_proxy("metric:perf", bench, "cora").covered
    26206
    """
    if isinstance(spec, Proxy):
        spec.check(benchmark)
        return spec
    if isinstance(spec, str) and spec.startswith("partial:"):
        spec, partial = spec[len("partial:") :], True
    truth = benchmark.resolve(dataset, metric)
    proxy = _load(spec, benchmark, truth[0], arch_column, space, partial)
    return _check_coverage(proxy, benchmark, truth)


def _load(spec, benchmark, dataset, arch_column, space, partial) -> Proxy:
    if not isinstance(spec, (str, Path)):
        values = np.asarray(spec, dtype=np.float64)
        if values.shape != (len(benchmark.archs),):
            raise InvalidConfig(
                f"a proxy array must have one value per benchmark row, shape ({len(benchmark.archs)},); "
                f"got {values.shape}"
            )
        return Proxy(values, "array", benchmark.id, partial)
    spec = str(spec)
    if space is not None and space != benchmark.space.name:
        raise InvalidConfig(
            f"proxy {spec!r}: a proxy must be in the benchmark's space {benchmark.space.name!r}, got --space {space}"
        )
    kind, _, rest = spec.partition(":")
    if kind == "metric":
        return _from_metric(rest, benchmark, dataset, partial)
    if kind == "table":
        path, sep, column = rest.rpartition(":")
        if not sep or not path or not column:
            raise InvalidConfig(f"proxy {spec!r}: write a table proxy as table:PATH:COLUMN")
        return _from_table(Path(path), column, benchmark, arch_column, partial, spec)
    if kind == "csv":
        return _from_table(Path(rest), "score", benchmark, arch_column or "arch", partial, spec)
    if spec in benchmark.metrics(dataset):
        return _from_metric(spec, benchmark, dataset, partial)
    if spec.lower().endswith(".csv"):
        return _from_table(Path(spec), "score", benchmark, arch_column or "arch", partial, spec)
    raise UnknownName(
        "proxy",
        spec,
        [f"metric:{m}" for m in benchmark.metrics(dataset)] + ["table:PATH:COLUMN", "csv:PATH"],
    )


def _check_coverage(proxy: Proxy, benchmark, truth: tuple[str, str]) -> Proxy:
    if proxy.covered == 0:
        raise InvalidConfig(
            f"proxy {proxy.name!r} has no value for any of the {len(benchmark.archs)} architectures of benchmark "
            f"{benchmark.id!r} (space {benchmark.space.name})"
        )
    if not proxy.partial:
        in_S = np.isfinite(benchmark.columns[truth])
        missing = np.flatnonzero(in_S & ~np.isfinite(proxy.values))
        if len(missing):
            from ..errors import UnknownArchitecture

            example = benchmark.space.to_strings(benchmark.archs[missing[:1]])[0]
            raise UnknownArchitecture(
                f"proxy {proxy.name!r} has no value for {len(missing)} of the {int(in_S.sum())} architectures "
                f"with a {truth[0]}/{truth[1]} value, e.g. {example}; use a proxy that scores all of them, or "
                f"accept partial coverage with the prefix 'partial:' (load_proxy(..., partial=True))"
            )
    return proxy


def _from_metric(rest: str, benchmark, dataset, partial) -> Proxy:
    ds, sep, metric = rest.rpartition(":")
    if not sep:
        ds = dataset
    if not metric:
        raise InvalidConfig("write a metric proxy as metric:NAME or metric:DATASET:NAME")
    ds, metric = benchmark.resolve(ds or None, metric)
    return Proxy(benchmark.columns[(ds, metric)], f"metric:{ds}:{metric}", benchmark.id, partial)


def _detect_arch_column(path: Path, space) -> str:
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".json":
        return "arch"  # the benchmark table reader names the key column of a JSON object "arch"
    if not path.exists():
        raise DataFileError(f"{path}: no such file")
    try:
        if suffix in (".csv", ".tsv"):  # as text: macro keys such as "00120012" must keep their zeros
            df = pd.read_csv(path, sep="," if suffix == ".csv" else "\t", nrows=_DETECT_ROWS, dtype=str)
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path).head(_DETECT_ROWS)
        else:
            raise DataFileError(f"{path}: unsupported table type {suffix!r}; accepted: .csv, .tsv, .parquet, .json")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, DataFileError):
            raise
        raise DataFileError(f"{path}: cannot read as a table: {exc}") from exc
    text, ints = [], []
    for c in df.columns:
        vals = df[c].dropna().astype(str).str.strip()
        if vals.empty or pd.api.types.is_float_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            continue
        if vals.str.fullmatch(r"[+-]?\d+").all():
            ints.append(c)
        elif pd.to_numeric(vals, errors="coerce").isna().any():
            text.append(c)
    for c in text + ints:  # text first: an integer column is more often a row number than an architecture
        try:
            space.from_strings(df[c].dropna().astype(str).str.strip().tolist())
        except InvalidArchitecture:
            continue
        return str(c)
    raise InvalidConfig(
        f"{path}: no column holds {space.name} architectures in its first {_DETECT_ROWS} rows; "
        f"name it with arch_column= (--arch-column); columns: {', '.join(map(str, df.columns))}"
    )


def _from_table(path: Path, column: str, benchmark, arch_column, partial, spec) -> Proxy:
    from ..benchmarks.table import load_table

    space = benchmark.space
    if arch_column is None:
        arch_column = _detect_arch_column(path, space)
    table = load_table(path, space=space.name, arch_column=arch_column, bench_id=f"proxy:{path.name}")
    names = [m for _, m in table.columns]
    if column not in names:
        raise UnknownName(f"numeric column of {path.name}", column, names)
    col = table.columns[(table.default_dataset, column)]
    rows = benchmark.rows(table.archs, missing="mask")
    ok = rows >= 0
    values = np.full(len(benchmark.archs), np.nan)
    values[rows[ok]] = col[ok]
    return Proxy(values, spec, benchmark.id, partial, unmatched=int((~ok).sum()))


# ---------------------------------------------------------------------------------------------- correlations
NAN_CORRELATIONS = {"kendall_tau": math.nan, "spearman": math.nan, "weighted_tau": math.nan}


def rank_correlations(x, y) -> dict[str, float | int]:
    """Kendall τ-b, Spearman ρ and weighted τ (scipy defaults) between ``x`` and ``y`` over pairs where both
    are finite; ``n`` is how many pairs that was.  Fewer than 2 pairs or a constant side give NaN (no warning).

    >>> r = rank_correlations([1, 2, 3, 4], [10, 20, 40, 30])
    >>> round(r["kendall_tau"], 4), round(r["spearman"], 4), r["n"]
    (0.6667, 0.8, 4)
    """
    from scipy import stats

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.all():
        x, y = x[ok], y[ok]
    out: dict[str, float | int] = dict(NAN_CORRELATIONS, n=int(len(x)))
    if len(x) < 2 or x.min() == x.max() or y.min() == y.max():
        return out
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out["kendall_tau"] = float(stats.kendalltau(x, y).statistic)
        out["spearman"] = float(stats.spearmanr(x, y).statistic)
        out["weighted_tau"] = float(stats.weightedtau(x, y).statistic)
    return out


def kendall_tau(x, y) -> float:
    """Kendall τ-b (``scipy.stats.kendalltau``) over the pairs where both values are finite; NaN for fewer than
    two pairs or a constant side.

    >>> round(kendall_tau([1, 2, 3], [1, 3, 2]), 4)
    0.3333
    """
    return float(rank_correlations(x, y)["kendall_tau"])
