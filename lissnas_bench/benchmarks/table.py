"""Tables a user brings: CSV, Parquet or JSON with an architecture column and numeric metric columns.

Any such table is a benchmark with one dataset (named after the file) whose metrics are its numeric columns, all
maximised unless named in ``minimize`` (a user's column names say nothing reliable about their direction).
Duplicate architectures, unparsable architecture strings and non-numeric values in a numeric column are
reported with the row; missing cells stay NaN.  ``inf`` / ``-inf`` are not measurements: they are treated as
missing too, and the benchmark's ``notes`` (and a logged warning) say how many and where.  A JSON object keyed by architecture (NAS-Bench-Macro's layout)
works too; list values (e.g. per-seed accuracies) become ``name[0]``, ``name[1]``, ... columns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .._io import parse_json, sha256_file
from ..errors import DataFileError, InvalidArchitecture, InvalidConfig, UnknownName
from ..spaces import get_space
from ._base import Benchmark

_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}
# Columns that only number the rows carry no information about architectures.
_INDEX_LIKE = {"index", "unnamed: 0", "idx", "index2", "arch", "row"}

log = logging.getLogger(__name__)


def read_frame(path: Path, arch_column: str | None) -> tuple[pd.DataFrame, str]:
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataFileError(f"{path}: unsupported table type {path.suffix!r}; accepted: {', '.join(_SUFFIXES)}")
    if not path.exists():
        raise DataFileError(f"{path}: no such file")
    try:
        if kind in ("csv", "tsv"):
            # the architecture column stays text: '00000000' must not become the integer 0
            dtype = {arch_column: str} if arch_column else None
            df = pd.read_csv(path, sep="," if kind == "csv" else "\t", low_memory=False, dtype=dtype)
        elif kind == "parquet":
            df = pd.read_parquet(path)
        else:
            obj = parse_json(path.read_text(encoding="utf-8"), "the document")
            df = _frame_from_json(obj, arch_column or "arch")
            arch_column = arch_column or "arch"
    except DataFileError as exc:
        raise DataFileError(f"{path}: cannot read as {kind}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - whatever pandas / pyarrow raise on a damaged file is the file's fault
        raise DataFileError(f"{path}: cannot read as {kind}: {type(exc).__name__}: {exc}") from exc
    if df.empty:
        raise DataFileError(f"{path}: the table has no rows")
    if arch_column is None:
        raise InvalidConfig(f"{path}: name the architecture column with --arch-column; columns: {', '.join(map(str, df.columns))}")
    if arch_column not in df.columns:
        raise UnknownName("architecture column", arch_column, df.columns)
    return df, arch_column


def _frame_from_json(obj, arch_column: str) -> pd.DataFrame:
    if isinstance(obj, dict):  # {arch: {metric: value}}: NAS-Bench-Macro's layout
        rows = []
        for arch, rec in obj.items():
            if not isinstance(rec, dict):
                raise DataFileError(f"JSON value for {arch!r} is {type(rec).__name__}, expected an object of metrics")
            rows.append({arch_column: arch, **_flatten(rec)})
        return pd.DataFrame(rows)
    if isinstance(obj, list) and all(isinstance(r, dict) for r in obj):
        return pd.DataFrame([_flatten(r) for r in obj])
    raise DataFileError("JSON tables must be an object keyed by architecture or a list of records")


def _flatten(rec: dict) -> dict:
    out = {}
    for k, v in rec.items():
        if isinstance(v, list) and v and all(isinstance(x, (int, float)) or x is None for x in v):
            out.update({f"{k}[{i}]": x for i, x in enumerate(v)})
        else:
            out[k] = v
    return out


def numeric_columns(df: pd.DataFrame, arch_column: str) -> tuple[dict[str, np.ndarray], list[str]]:
    """Numeric columns as float arrays; wholly non-numeric columns are skipped (and named).

    A column that is mostly numbers but holds a stray string is an error naming the row.
    """
    cols, skipped = {}, []
    for c in df.columns:
        if c == arch_column:
            continue
        s = df[c]
        if pd.api.types.is_bool_dtype(s):
            skipped.append(str(c))
            continue
        if pd.api.types.is_numeric_dtype(s):
            cols[str(c)] = s.to_numpy(dtype=np.float64, na_value=np.nan)
            continue
        conv = pd.to_numeric(s, errors="coerce")
        bad = conv.isna() & s.notna() & (s.astype(str).str.strip() != "")
        if bad.all() or conv.notna().sum() == 0:
            skipped.append(str(c))
            continue
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataFileError(
                f"column {c!r} is numeric but row {i} holds the non-numeric value {s.iloc[i]!r}"
            )
        cols[str(c)] = conv.to_numpy(dtype=np.float64, na_value=np.nan)
    return cols, skipped


def merge_repeats(path, strings, keys, archs, cols):
    """Rows naming the same architecture (two encodings of one network, as NAS-Bench-Macro's keys that differ
    only in where identity layers sit) are kept once when they hold the same values; different values are an
    error naming the rows.  Returns ``(archs, cols, notes)``."""
    uniq, first, counts = np.unique(keys, return_index=True, return_counts=True)
    if not (counts > 1).any():
        return archs, cols, []
    table = np.column_stack(list(cols.values()))
    for k in uniq[counts > 1]:
        rows = np.flatnonzero(keys == k)
        same = np.all((table[rows] == table[rows[0]]) | (np.isnan(table[rows]) & np.isnan(table[rows[0]])))
        if not same:
            raise DataFileError(
                f"{path}: architecture {strings[rows[0]]!r} appears more than once (rows {rows[:3].tolist()}) "
                "with different values; aggregate repeats (e.g. the mean over seeds) before loading"
            )
    keep = np.sort(first)
    note = (f"{len(keys) - len(uniq)} rows repeat another row's architecture with the same values (e.g. "
            f"{strings[np.flatnonzero(keys == uniq[counts > 1][0])[1]]!r} is "
            f"{strings[np.flatnonzero(keys == uniq[counts > 1][0])[0]]!r}): kept once, {len(uniq)} architectures")
    return archs[keep], {c: v[keep] for c, v in cols.items()}, [note]


def infinite_as_missing(columns: dict, arch_of: Callable[[int], str], source: str) -> list[str]:
    """Replace ``±inf`` by NaN (missing) in place; returns one note per affected column, also logged.

    >>> cols = {"acc": np.array([1.0, np.inf, -np.inf])}
    >>> infinite_as_missing(cols, lambda i: f"arch{i}", "t.csv"), cols["acc"].tolist()
    (["column 'acc': 2 infinite values treated as missing (first: arch1 = inf)"], [1.0, nan, nan])
    """
    notes = []
    for key, v in columns.items():
        bad = np.isinf(v)
        if not bad.any():
            continue
        i = int(np.flatnonzero(bad)[0])
        name = key if isinstance(key, str) else "/".join(map(str, key))
        note = f"column {name!r}: {int(bad.sum())} infinite values treated as missing (first: {arch_of(i)} = {v[i]})"
        v[bad] = np.nan
        notes.append(note)
        log.warning("%s: %s", source, note)
    return notes


def guess_default_metric(names: list[str]) -> str:
    """The column that looks most like a validation accuracy (ties: the leftmost); pass one to be sure.

    Score: +2 for "val", +2 for "acc"/"perf", +1 for "mean", -3 for a per-seed column "x[i]",
    -5 for "loss"/"time"/"flops"/"param"/"latency".
    """

    def score(n: str) -> int:
        n = n.lower()
        s = 2 * ("val" in n) + 2 * ("acc" in n or "perf" in n) + ("mean" in n) - 3 * ("[" in n)
        return s - 5 * any(t in n for t in ("loss", "time", "flops", "param", "latency"))

    return max(names, key=score)  # max keeps the first of equal scores


def load_table(
    path,
    *,
    space: str,
    arch_column: str | None = None,
    dataset: str | None = None,
    default_metric: str | None = None,
    cost_column: str | None = None,
    bench_id: str | None = None,
    minimize=(),
) -> Benchmark:
    """A benchmark from a user's table; ``minimize`` names the columns that are better when lower.

    >>> bench = load_table("results.csv", space="nb201", arch_column="arch_str")  # doctest: +SKIP
    """
    path = Path(path)
    if space is None:
        raise InvalidConfig(f"{path}: say which search space the table is in with --space (e.g. nb201, nasbench-macro)")
    sp = get_space(space)
    df, arch_column = read_frame(path, arch_column)
    strings = df[arch_column].astype(str).tolist()
    try:
        archs = sp.from_strings(strings)
    except InvalidArchitecture:
        # Find the first bad row so the message points into the file.
        for i, s in enumerate(strings):
            try:
                sp.from_strings([s])
            except InvalidArchitecture as exc:
                raise InvalidArchitecture(f"{path}, row {i}, column {arch_column!r}: {exc}") from None
        raise
    cols, skipped = numeric_columns(df, arch_column)
    cols = {k: np.array(v, dtype=np.float64) for k, v in cols.items() if k.lower() not in _INDEX_LIKE}
    inf_notes = infinite_as_missing(cols, lambda i: repr(strings[i]), str(path))
    if not cols:
        raise DataFileError(f"{path}: no numeric metric columns besides {arch_column!r}")
    archs, cols, merged = merge_repeats(path, strings, sp.index(archs), archs, cols)
    dataset = dataset or path.stem
    if default_metric is not None and default_metric not in cols:
        raise UnknownName("metric", default_metric, cols)
    if cost_column is not None and cost_column not in cols:
        raise UnknownName("cost column", cost_column, cols)
    for c in minimize or ():
        if c not in cols:
            raise UnknownName("column to minimise", c, cols)
    if default_metric is None:
        default_metric = guess_default_metric(list(cols))
    notes = ([f"skipped non-numeric columns: {', '.join(skipped)}"] if skipped else []) + inf_notes + merged
    return Benchmark(
        id=bench_id or f"table:{path.name}",
        space=sp,
        archs=archs,
        columns={(dataset, m): v for m, v in cols.items()},
        source=str(path.resolve()),
        description=f"user table {path.name}",
        default_dataset=dataset,
        default_metrics={dataset: default_metric},
        cost_metrics={dataset: cost_column} if cost_column else {},
        data_hash=sha256_file(path),
        notes=notes,
        minimize=[(dataset, c) for c in minimize or ()],
    )
