"""The sweep configuration: a YAML (or dict) schema, validated up front, and its expansion into cells.

A configuration (full reference in docs/search.md)::

    name: compare-demo
    root_seed: 0                 # every cell's seed stream derives from it
    seeds: 10                    # seed indices 0..9 (or an explicit list, e.g. [0, 3, 7])
    shrink_budget: 1000          # distinct queries a shrinker may spend
    search_budget: 2000          # distinct queries per cell in total, the shrinker's included
    regret_at: [2000, 1000, 500] # checkpoints of the search_regret@q columns (default: B, B/2, B/4)
    curve_points: 200            # anytime-curve points kept per cell (0: none)
    benchmarks:
      - benchmark: analognas     # an id, or a table path (then also space:, arch_column:, cost_column:)
        datasets: [cifar10]      # default: the benchmark's default dataset; "all": every dataset
        metric: baseline_accuracy  # default: the benchmark's default metric
    shrinkers:                   # "full" = no shrinking (search the whole space)
      - full
      - lissnas
      - method: lissnas
        label: lissnas-k5        # default: method(key=value, ...) of the parameters given
        params: {radius: 1}      # fixed parameters
        grid: {k: [5, 20]}       # parameters whose values are crossed (one shrinker per combination)
    reference: lissnas           # whose |S'| the size-matched baselines copy (default: lissnas, its defaults)
    optimizers: [rs, re, {method: ls, params: {n_init: 1}}]

Every error names the offending field: ``config sweep.yaml: shrinkers[2].grid.k: ...``.

>>> cfg = load_config({"benchmarks": ["analognas"], "shrinkers": ["full", "lissnas"], "optimizers": ["rs"],
...                    "seeds": 2, "shrink_budget": 200, "search_budget": 400})
>>> len(expand(cfg)), cfg.regret_at
(4, (400, 200, 100))
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import DataFileError, InvalidConfig, LissnasBenchError, UnknownName

#: the pseudo-shrinker "search the full space": no shrink phase, the search gets the whole budget
FULL = "full"
#: bump when the cell computation changes in a way that changes numbers (invalidates stored cells)
CELL_FORMAT = 1

_TOP_KEYS = ("name", "description", "root_seed", "seeds", "shrink_budget", "search_budget", "regret_at",
             "curve_points", "benchmarks", "shrinkers", "reference", "optimizers")
_BENCH_KEYS = ("benchmark", "datasets", "metric", "space", "arch_column", "cost_column")
_METHOD_KEYS = ("method", "label", "params", "grid")
DEFAULTS = {"root_seed": 0, "seeds": 10, "shrink_budget": 1000, "curve_points": 200}


class SweepConfigError(InvalidConfig):
    """A configuration value is wrong; ``field`` is its path (``shrinkers[2].grid.k``)."""

    def __init__(self, source: str, field: str, problem: str):
        self.source, self.field, self.problem = source, field, problem
        where = f"config {source}: " if source else "config: "
        super().__init__(f"{where}{field}: {problem}")


# ---------------------------------------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class BenchmarkEntry:
    """One benchmark (id or table) with its datasets and metric resolved."""

    benchmark: str
    datasets: tuple[str, ...]
    metric: tuple[str, ...]  # one metric per dataset (resolved defaults may differ between datasets)
    space: str | None = None
    arch_column: str | None = None
    cost_column: str | None = None
    bench_id: str = ""
    data_hash: str = ""

    def source(self) -> dict:
        """What ``load_benchmark`` needs to open it again (in a worker)."""
        return {"benchmark": self.benchmark, "space": self.space, "arch_column": self.arch_column,
                "cost_column": self.cost_column}


@dataclass(frozen=True)
class MethodEntry:
    """One shrinker or optimizer variant: method name, every parameter (defaults filled in), label."""

    method: str
    params: tuple[tuple[str, Any], ...]
    label: str

    def to_dict(self) -> dict:
        return {"method": self.method, "params": dict(self.params), "label": self.label}


@dataclass(frozen=True)
class SweepConfig:
    """A validated sweep.  Build with ``load_config``; ``expand`` lists its cells."""

    name: str
    root_seed: int
    seeds: tuple[int, ...]
    shrink_budget: int
    search_budget: int
    regret_at: tuple[int, ...]
    curve_points: int
    benchmarks: tuple[BenchmarkEntry, ...]
    shrinkers: tuple[MethodEntry, ...]
    optimizers: tuple[MethodEntry, ...]
    reference: MethodEntry | None
    description: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["shrinkers"] = [m.to_dict() for m in self.shrinkers]
        d["optimizers"] = [m.to_dict() for m in self.optimizers]
        d["reference"] = self.reference.to_dict() if self.reference else None
        d["seeds"] = list(self.seeds)
        d["regret_at"] = list(self.regret_at)
        d["benchmarks"] = [{**asdict(b), "datasets": list(b.datasets), "metric": list(b.metric)}
                           for b in self.benchmarks]
        return d

    def hash(self) -> str:
        """Everything that determines the numbers (not ``name`` / ``description``)."""
        d = self.to_dict()
        d.pop("name")
        d.pop("description")
        d["cell_format"] = CELL_FORMAT
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]

    @property
    def n_cells(self) -> int:
        n_targets = sum(len(b.datasets) for b in self.benchmarks)
        return n_targets * len(self.shrinkers) * len(self.optimizers) * len(self.seeds)


# ---------------------------------------------------------------------------------------------- validation
class _V:
    """Validation helpers that know the source (file name) for messages."""

    def __init__(self, source: str):
        self.source = source

    def err(self, field: str, problem: str) -> SweepConfigError:
        return SweepConfigError(self.source, field, problem)

    def keys(self, d, allowed, field: str) -> None:
        if not isinstance(d, Mapping):
            raise self.err(field, f"expected a mapping, got {type(d).__name__} {d!r}")
        for k in d:
            if k not in allowed:
                raise self.err(f"{field}.{k}" if field else str(k),
                               f"unknown key; accepted: {', '.join(allowed)}")

    def int_(self, value, field: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
                value = int(value)
            else:
                raise self.err(field, f"must be an integer, got {value!r}")
        if value < minimum:
            raise self.err(field, f"must be >= {minimum}, got {value}")
        return int(value)

    def str_(self, value, field: str, optional: bool = True) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.err(field, f"must be a non-empty string, got {value!r}")
        return value.strip()

    def list_(self, value, field: str) -> list:
        if isinstance(value, (str, Mapping)) or value is None:
            return [value]
        if not isinstance(value, (list, tuple)):
            raise self.err(field, f"expected a list, got {type(value).__name__} {value!r}")
        if not value:
            raise self.err(field, "is empty")
        return list(value)


def _read(path_or_dict) -> tuple[dict, str]:
    if isinstance(path_or_dict, Mapping):
        return dict(path_or_dict), ""
    import yaml

    p = Path(path_or_dict).expanduser()
    if not p.is_file():
        raise DataFileError(f"configuration file {str(p)!r} does not exist")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise InvalidConfig(f"config {p.name}: not valid YAML: {exc}") from None
    if data is None:
        raise InvalidConfig(f"config {p.name}: the file is empty")
    if not isinstance(data, Mapping):
        raise InvalidConfig(f"config {p.name}: the top level must be a mapping of keys (name:, benchmarks:, ...), "
                            f"got {type(data).__name__}")
    return dict(data), p.name


def _label(method: str, given: dict) -> str:
    if not given:
        return method
    return f"{method}(" + ",".join(f"{k}={_fmt(v)}" for k, v in given.items()) + ")"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _method_entries(v: _V, items, field: str, kind: str) -> list[tuple[str, dict, str | None, str, tuple]]:
    """Expand a list of method specs into (method, given params, label or None, field, grid keys) per grid
    point."""
    out = []
    for i, item in enumerate(v.list_(items, field)):
        f = f"{field}[{i}]"
        if isinstance(item, str):
            out.append((item.strip(), {}, None, f, ()))
            continue
        v.keys(item, _METHOD_KEYS, f)
        if "method" not in item:
            raise v.err(f"{f}.method", f"missing: name the {kind}")
        method = v.str_(item["method"], f"{f}.method", optional=False)
        params = item.get("params") or {}
        v.keys(params, tuple(params) if isinstance(params, Mapping) else (), f"{f}.params")
        grid = item.get("grid") or {}
        if not isinstance(grid, Mapping):
            raise v.err(f"{f}.grid", f"expected a mapping of parameter -> list of values, got {grid!r}")
        for k, vals in grid.items():
            if not isinstance(vals, (list, tuple)) or not vals:
                raise v.err(f"{f}.grid.{k}", f"expected a non-empty list of values, got {vals!r}")
            if k in params:
                raise v.err(f"{f}.grid.{k}", "is also given in params; give it in one place")
        label = v.str_(item.get("label"), f"{f}.label")
        names = list(grid)
        combos = list(itertools.product(*[grid[k] for k in names])) if names else [()]
        if label is not None and len(combos) > 1:
            raise v.err(f"{f}.label", f"one label for {len(combos)} grid points: drop label (each point is "
                                      "labelled by its parameters)")
        for combo in combos:
            out.append((method, {**params, **dict(zip(names, combo))}, label, f, tuple(names)))
    return out


def _build(v: _V, method: str, given: dict, field: str, kind: str, known: list[str], factory,
           grid_keys: tuple = ()):
    """Instantiate (validates method and parameters); errors name ``field``."""
    if method not in known:
        raise v.err(field, str(UnknownName(kind, method, known)))
    try:
        obj = factory(method, **given)
    except UnknownName as exc:
        where = "grid" if exc.value in grid_keys else "params"
        raise v.err(f"{field}.{where}.{exc.value}", str(UnknownName(exc.kind, exc.value, exc.accepted))) from None
    except LissnasBenchError as exc:
        shown = ", ".join(f"{k}={x!r}" for k, x in given.items())
        raise v.err(field, f"{exc}" + (f" (parameters: {shown})" if shown else "")) from None
    return obj


def _entry(method: str, obj, given: dict, label: str | None) -> MethodEntry:
    params = obj.param_dict() if hasattr(obj, "param_dict") else dict(given)
    params = {k: _plain(x) for k, x in params.items()}
    return MethodEntry(method, tuple(sorted(params.items())), label or _label(method, given))


def _plain(x):
    import numpy as np

    if isinstance(x, np.generic):
        return x.item()
    return x


def load_config(path_or_dict) -> SweepConfig:
    """Read and validate a sweep configuration (a YAML path or a dict).

    Opens every benchmark to check datasets and metrics, and builds every shrinker and optimizer variant to check
    its parameters and the budgets, so a bad value fails here, before any cell runs.
    """
    from ..search import available_optimizers, get_optimizer
    from ..shrinkers import available_shrinkers, get_shrinker

    data, source = _read(path_or_dict)
    v = _V(source)
    v.keys(data, _TOP_KEYS, "")
    for req in ("benchmarks", "shrinkers", "optimizers"):
        if req not in data:
            raise v.err(req, "missing (required)")
    name = v.str_(data.get("name"), "name") or (Path(source).stem if source else "sweep")
    description = str(data.get("description") or "")
    root_seed = v.int_(data.get("root_seed", DEFAULTS["root_seed"]), "root_seed", 0)
    seeds_raw = data.get("seeds", DEFAULTS["seeds"])
    if isinstance(seeds_raw, (list, tuple)):
        if not seeds_raw:
            raise v.err("seeds", "is empty")
        seeds = tuple(v.int_(s, f"seeds[{i}]", 0) for i, s in enumerate(seeds_raw))
        if len(set(seeds)) != len(seeds):
            raise v.err("seeds", f"lists a seed twice: {list(seeds)}")
    else:
        seeds = tuple(range(v.int_(seeds_raw, "seeds", 1)))
    shrink_budget = v.int_(data.get("shrink_budget", DEFAULTS["shrink_budget"]), "shrink_budget", 1)
    search_budget = v.int_(data.get("search_budget", 2 * shrink_budget), "search_budget", 1)
    if search_budget < shrink_budget:
        raise v.err("search_budget", f"{search_budget} < shrink_budget {shrink_budget}: search_budget is the total "
                                     "per cell, the shrinker's queries included")
    if "regret_at" in data:
        regret_at = tuple(sorted({v.int_(q, f"regret_at[{i}]", 1)
                                  for i, q in enumerate(v.list_(data["regret_at"], "regret_at"))}, reverse=True))
        for q in regret_at:
            if q > search_budget:
                raise v.err("regret_at", f"{q} is beyond search_budget {search_budget}")
    else:
        from ..search import default_checkpoints

        regret_at = tuple(default_checkpoints(search_budget))
    curve_points = v.int_(data.get("curve_points", DEFAULTS["curve_points"]), "curve_points", 0)

    # ---- benchmarks
    from ..benchmarks import load_benchmark

    benches = []
    seen_targets: set = set()
    domain_sizes: list[tuple[str, int]] = []
    for i, item in enumerate(v.list_(data["benchmarks"], "benchmarks")):
        f = f"benchmarks[{i}]"
        if isinstance(item, str):
            item = {"benchmark": item}
        v.keys(item, _BENCH_KEYS, f)
        src = v.str_(item.get("benchmark"), f"{f}.benchmark", optional=False)
        space = v.str_(item.get("space"), f"{f}.space")
        arch_col = v.str_(item.get("arch_column"), f"{f}.arch_column")
        cost_col = v.str_(item.get("cost_column"), f"{f}.cost_column")
        metric = v.str_(item.get("metric"), f"{f}.metric")
        try:
            bench = load_benchmark(src, space=space, arch_column=arch_col, cost_column=cost_col)
        except LissnasBenchError as exc:
            raise v.err(f"{f}.benchmark", str(exc)) from None
        raw = item.get("datasets")
        if raw == "all":
            dsets_raw = list(bench.datasets)
        else:
            dsets_raw = v.list_(raw, f"{f}.datasets")
        dsets, metrics = [], []
        for j, d in enumerate(dsets_raw):
            fd = f"{f}.datasets[{j}]" if raw is not None and not isinstance(raw, str) else f"{f}.datasets"
            if d is not None and not isinstance(d, str):
                raise v.err(fd, f"must be a dataset name, got {d!r}")
            try:
                ds = bench.resolve_dataset(d)
            except LissnasBenchError as exc:
                raise v.err(fd, str(exc)) from None
            try:
                ds, m = bench.resolve(ds, metric)
            except LissnasBenchError as exc:
                raise v.err(f"{f}.metric", f"{exc} (dataset {ds})") from None
            key = (bench.id, ds, m)
            if key in seen_targets:
                raise v.err(fd, f"{bench.id}/{ds}/{m} is listed twice")
            seen_targets.add(key)
            dsets.append(ds)
            metrics.append(m)
            domain_sizes.append((f"{bench.id}/{ds}", int(bench.domain(ds, m).size)))
        benches.append(BenchmarkEntry(src, tuple(dsets), tuple(metrics), space, arch_col, cost_col, bench.id,
                                      bench.data_hash))

    # ---- shrinkers
    known_sh = available_shrinkers()
    shrinkers, needs_ref = [], []
    for method, given, label, f, gk in _method_entries(v, data["shrinkers"], "shrinkers", "shrinker"):
        if method == FULL:
            if given:
                raise v.err(f, f"'{FULL}' (search the full space) takes no parameters")
            shrinkers.append(MethodEntry(FULL, (), label or FULL))
            continue
        obj = _build(v, method, given, f, "shrinker", known_sh + [FULL], get_shrinker, gk)
        _check_shrink_budget(v, f, method, obj, shrink_budget, domain_sizes)
        if getattr(obj, "needs_reference", False):
            needs_ref.append(method)
        shrinkers.append(_entry(method, obj, given, label))
    _unique_labels(v, shrinkers, "shrinkers")

    reference = None
    ref_raw = data.get("reference")
    if ref_raw is not None or needs_ref:
        from ..runner import REFERENCE_METHOD

        items = _method_entries(v, ref_raw if ref_raw is not None else REFERENCE_METHOD, "reference", "shrinker")
        if len(items) != 1:
            raise v.err("reference", "name exactly one shrinker (no grid)")
        method, given, label, _, _ = items[0]
        obj = _build(v, method, given, "reference", "shrinker", known_sh, get_shrinker)
        if getattr(obj, "needs_reference", False):
            raise v.err("reference", f"{method} is itself size-matched: it cannot be the reference")
        _check_shrink_budget(v, "reference", method, obj, shrink_budget, domain_sizes)
        reference = _entry(method, obj, given, label)

    # ---- optimizers
    optimizers = []
    for method, given, label, f, gk in _method_entries(v, data["optimizers"], "optimizers", "optimizer"):
        obj = _build(v, method, given, f, "optimizer", available_optimizers(), get_optimizer, gk)
        optimizers.append(_entry(method, obj, given, label))
    _unique_labels(v, optimizers, "optimizers")

    return SweepConfig(name=name, root_seed=root_seed, seeds=seeds, shrink_budget=shrink_budget,
                       search_budget=search_budget, regret_at=regret_at, curve_points=curve_points,
                       benchmarks=tuple(benches), shrinkers=tuple(shrinkers), optimizers=tuple(optimizers),
                       reference=reference, description=description)


def _check_shrink_budget(v: _V, field: str, method: str, obj, budget: int, domains) -> None:
    from ..runner import _check_budget

    for target, size in domains:
        try:
            _check_budget(method, obj, budget, size)
        except LissnasBenchError as exc:
            raise v.err("shrink_budget", f"{exc} ({field}, {target})") from None


def _unique_labels(v: _V, entries: list[MethodEntry], field: str) -> None:
    seen: dict[str, int] = {}
    for i, e in enumerate(entries):
        if e.label in seen:
            raise v.err(field, f"label {e.label!r} is used twice; give the entries distinct `label:`s or parameters")
        seen[e.label] = i


# ---------------------------------------------------------------------------------------------- cells
def expand(config: SweepConfig) -> list[dict]:
    """Every cell of the grid, in a fixed order (benchmark, dataset, shrinker, optimizer, seed).

    A cell is a plain dict (it travels to worker processes and Dask workers): everything ``run_cell`` needs,
    and ``key``, a file-name-safe id that changes whenever anything that determines the cell's numbers changes.
    """
    cells = []
    for b in config.benchmarks:
        for ds, metric in zip(b.datasets, b.metric):
            for sh in config.shrinkers:
                ref = config.reference.to_dict() if config.reference is not None else None
                for opt in config.optimizers:
                    for seed in config.seeds:
                        spec = {
                            "source": b.source(), "bench_id": b.bench_id, "data_hash": b.data_hash,
                            "dataset": ds, "metric": metric,
                            "shrinker": sh.to_dict(), "reference": ref if sh.method != FULL else None,
                            "optimizer": opt.to_dict(), "seed": int(seed), "root_seed": config.root_seed,
                            "shrink_budget": config.shrink_budget, "search_budget": config.search_budget,
                            "regret_at": list(config.regret_at), "curve_points": config.curve_points,
                            "cell_format": CELL_FORMAT,
                        }
                        spec["key"] = cell_key(spec)
                        cells.append(spec)
    return cells


def _safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", s).strip("_") or "x"


def cell_key(spec: Mapping) -> str:
    """``<bench>-<dataset>__<shrinker>__<optimizer>__seed<NNN>__<hash>``; the hash covers the whole spec
    (parameters, budgets, root seed, data hash), so a stored cell is reused only by an identical cell."""
    ident = {k: spec[k] for k in spec if k != "key"}
    for m in ("shrinker", "optimizer"):  # labels name a cell, they do not change its numbers
        ident[m] = {k: x for k, x in spec[m].items() if k != "label"}
    digest = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:10]
    name = "__".join([_safe(f"{spec['bench_id']}-{spec['dataset']}"), _safe(spec["shrinker"]["label"]),
                      _safe(spec["optimizer"]["label"]), f"seed{spec['seed']:03d}", digest])
    return name[:200] if len(name) > 200 else name


__all__ = ["FULL", "BenchmarkEntry", "MethodEntry", "SweepConfig", "SweepConfigError", "cell_key", "expand",
           "load_config"]