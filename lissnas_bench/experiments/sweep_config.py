"""A sweep configuration file (YAML, or a dict) -> a validated ``Experiment``; every error names its field.

A configuration (full reference in docs/search.md)::

    name: compare-demo           # results go to results/<name> by default (letters, digits, . _ - only)
    root_seed: 0                 # every cell's seed stream derives from it
    seeds: 10                    # seed indices 0..9 (or an explicit list, e.g. [0, 3, 7])
    shrink_budget: 1000          # distinct queries a shrinker may spend
    search_budget: 2000          # distinct queries per cell in total, the shrinker's included
    time_budget: 12000           # optional: simulated training seconds per cell in total, the shrinker's included
    regret_at: [2000, 1000, 500] # checkpoints of the search_regret@q columns (default: B, B/2, B/4)
    curve_points: 200            # anytime-curve points kept per curve (0: none)
    q: 0.01                      # top fraction T_q for recall / precision
    compare_to: lissnas          # the label every other shrinker is tested against (paired Wilcoxon, Holm)
    benchmarks:
      - benchmark: analognas     # an id, or a table path (then also space:, arch_column:, cost_column:; cost:
                                 # a formula such as 12*train-per-time, see experiments/cost.py)
        datasets: [cifar10]      # default: the benchmark's default dataset; "all": every dataset
        metric: baseline_accuracy  # the truth (default: the benchmark's default metric)
        query_metric: baseline_accuracy  # what the oracle answers (default: the natural validation pairing)
    shrinkers:                   # "full" = no shrinking (search the whole space)
      - full
      - lissnas
      - method: lissnas
        label: lissnas-k5        # default: method(key=value, ...) of the parameters given
        params: {radius: 1}      # fixed parameters
        grid: {k: [5, 20]}       # parameters whose values are crossed (one shrinker per combination)
    reference: lissnas           # whose |S'| the size-matched baselines copy (default: lissnas, its defaults)
    optimizers: [rs, re, {method: ls, params: {n_init: 1}}]

>>> exp = load_config({"benchmarks": ["analognas"], "shrinkers": ["full", "lissnas"], "optimizers": ["rs"],
...                    "seeds": 2, "shrink_budget": 200, "search_budget": 400})
>>> len(exp.shrinkers) * len(exp.seeds), exp.regret_at
(4, (400, 200, 100))
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from pathlib import Path

from .._params import coerce
from ..errors import DataFileError, InvalidConfig, LissnasBenchError, UnknownName
from .config import (CURVE_POINTS, DEFAULT_Q, FULL, MAX_SEEDS, REFERENCE_METHOD, Experiment, Target, Variant,
                     variant)

_TOP_KEYS = ("name", "description", "root_seed", "seeds", "shrink_budget", "search_budget", "time_budget",
             "regret_at", "curve_points", "q", "benchmarks", "shrinkers", "reference", "compare_to", "optimizers")
_BENCH_KEYS = ("benchmark", "datasets", "metric", "query_metric", "restrict_domain", "proxy", "space", "arch_column",
               "cost_column", "cost")
_METHOD_KEYS = ("method", "label", "params", "grid")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class SweepConfigError(InvalidConfig):
    """A configuration value is wrong; ``field`` is its path (``shrinkers[2].grid.k``)."""

    def __init__(self, source: str, field: str, problem: str):
        self.source, self.field, self.problem = source, field, problem
        super().__init__(f"config {source + ': ' if source else ': '}{field}: {problem}".replace("config : ",
                                                                                                 "config: "))


class _V:
    """Checks that know the file name, for messages."""

    def __init__(self, source: str):
        self.source = source

    def err(self, field: str, problem: str) -> SweepConfigError:
        return SweepConfigError(self.source, field, problem)

    def keys(self, d, allowed, field: str) -> None:
        if not isinstance(d, Mapping):
            raise self.err(field, f"expected a mapping, got {type(d).__name__} {d!r}")
        for k in d:
            if k not in allowed:
                raise self.err(f"{field}.{k}" if field else str(k), f"unknown key; accepted: {', '.join(allowed)}")

    def value(self, value, tp, field: str, **bounds):
        try:
            return coerce(value, tp, "", bounds)
        except InvalidConfig as exc:
            raise self.err(field, str(exc).strip()) from None

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
    from .._yaml import load_yaml

    p = Path(path_or_dict).expanduser()
    if not p.is_file():
        raise DataFileError(f"configuration file {str(p)!r} does not exist" + (
            " (it is a folder)" if p.is_dir() else ""))
    try:
        data = load_yaml(p, source=f"config {p.name}")
    except DataFileError as exc:
        if "cannot be parsed" in str(exc):  # the same words as a bad value: the file is a configuration
            raise InvalidConfig(str(exc).replace(" cannot be parsed as YAML", ": not valid YAML")) from None
        raise
    if data is None:
        raise InvalidConfig(f"config {p.name}: the file is empty")
    if not isinstance(data, Mapping):
        raise InvalidConfig(f"config {p.name}: the top level must be a mapping of keys (name:, benchmarks:, ...), "
                            f"got {type(data).__name__}")
    return dict(data), p.name


def _method_items(v: _V, items, field: str, kind: str):
    """``(method, given params, label or None, field, grid keys)`` per grid point of a list of method specs."""
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
        out.extend((method, {**params, **dict(zip(names, c))}, label, f, tuple(names)) for c in combos)
    return out


def _variant(v: _V, item, kind: str, known: list[str]) -> Variant:
    method, given, label, field, grid_keys = item
    if method not in known:
        raise v.err(field, str(UnknownName(kind, method, known)))
    try:
        return variant(method, given, label, kind=kind)
    except UnknownName as exc:
        where = "grid" if exc.value in grid_keys else "params"
        raise v.err(f"{field}.{where}.{exc.value}", str(UnknownName(exc.kind, exc.value, exc.accepted))) from None
    except LissnasBenchError as exc:
        shown = ", ".join(f"{k}={x!r}" for k, x in given.items())
        raise v.err(field, f"{exc}" + (f" (parameters: {shown})" if shown else "")) from None


def _seeds(v: _V, raw) -> tuple[int, ...]:
    if isinstance(raw, (list, tuple)):
        if not raw:
            raise v.err("seeds", "is empty")
        seeds = tuple(v.value(s, int, f"seeds[{i}]", ge=0) for i, s in enumerate(raw))
        if len(set(seeds)) != len(seeds):
            raise v.err("seeds", f"lists a seed twice: {list(seeds)}")
        return seeds
    return tuple(range(v.value(raw, int, "seeds", ge=1, le=MAX_SEEDS)))


def _targets(v: _V, items) -> tuple[tuple[Target, ...], list[tuple[str, int]]]:
    """The targets, and ``(benchmark/dataset, domain size)`` of each (for the budget checks)."""
    from ..benchmarks import load_benchmark

    out, seen, sizes = [], set(), []
    for i, item in enumerate(v.list_(items, "benchmarks")):
        f = f"benchmarks[{i}]"
        item = {"benchmark": item} if isinstance(item, str) else item
        v.keys(item, _BENCH_KEYS, f)
        src = v.str_(item.get("benchmark"), f"{f}.benchmark", optional=False)
        opts = {k: v.str_(item.get(k), f"{f}.{k}") for k in ("space", "arch_column", "cost_column")}
        metric, proxy = v.str_(item.get("metric"), f"{f}.metric"), v.str_(item.get("proxy"), f"{f}.proxy")
        query = v.str_(item.get("query_metric"), f"{f}.query_metric")
        restrict = v.value(item.get("restrict_domain", False), bool, f"{f}.restrict_domain")
        cost = v.str_(item.get("cost"), f"{f}.cost")
        try:
            bench = load_benchmark(src, **opts)
        except LissnasBenchError as exc:
            raise v.err(f"{f}.benchmark", str(exc)) from None
        raw = item.get("datasets")
        names = list(bench.datasets) if raw == "all" else v.list_(raw, f"{f}.datasets")
        for j, d in enumerate(names):
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
            if (bench.id, ds, m) in seen:
                raise v.err(fd, f"{bench.id}/{ds}/{m} is listed twice")
            seen.add((bench.id, ds, m))
            out.append(Target(src, ds, m, proxy, **opts, query_metric=query, restrict_domain=restrict, cost=cost))
            sizes.append((f"{bench.id}/{ds}", int(bench.domain(ds, m).size)))
    return tuple(out), sizes


def _budgets(v: _V, data: dict) -> dict:
    from ..search import default_checkpoints

    raw = data.get("shrink_budget", 1000)
    budgets = tuple(sorted({v.value(b, int, f"shrink_budget[{i}]" if isinstance(raw, list) else "shrink_budget", ge=1)
                            for i, b in enumerate(raw if isinstance(raw, list) else [raw])}))
    budget = max(budgets)
    sb = v.value(data.get("search_budget", 2 * budget), int, "search_budget", ge=1)
    if sb < budget:
        raise v.err("search_budget", f"{sb} < shrink_budget {budget}: search_budget is the total per cell, the "
                                     "shrinker's queries included")
    if "regret_at" in data:
        at = tuple(sorted({v.value(q, int, f"regret_at[{i}]", ge=1)
                           for i, q in enumerate(v.list_(data["regret_at"], "regret_at"))}, reverse=True))
        for q in at:
            if q > sb:
                raise v.err("regret_at", f"{q} is beyond search_budget {sb}")
    else:
        at = tuple(default_checkpoints(sb))
    q = v.value(data.get("q", DEFAULT_Q), float, "q", gt=0, lt=1)
    cp = v.value(data.get("curve_points", CURVE_POINTS), int, "curve_points", ge=0)
    tb = data.get("time_budget")
    tb = None if tb is None else v.value(tb, float, "time_budget", gt=0)
    return {"budgets": budgets, "search_budget": sb, "regret_at": at, "q": q, "curve_points": cp, "time_budget": tb}


def load_config(path_or_dict) -> Experiment:
    """Read and validate a sweep configuration (a YAML path or a dict).

    Opens every benchmark to resolve datasets and metrics and builds every variant to check its parameters, so a
    bad value fails here, before any cell runs; budgets against the data are checked by ``prepare``.
    """
    from ..search import available_optimizers
    from ..shrinkers import available_shrinkers

    data, source = _read(path_or_dict)
    v = _V(source)
    v.keys(data, _TOP_KEYS, "")
    for req in ("benchmarks", "shrinkers", "optimizers"):
        if req not in data:
            raise v.err(req, "missing (required)")
    name = v.str_(data.get("name"), "name") or (Path(source).stem if source else "sweep")
    if not _NAME.fullmatch(name) or ".." in name:
        raise v.err("name", f"{name!r} is not a plain folder name: use letters, digits, '.', '_' and '-' "
                            "(results go to results/<name>; choose another place with --out)")
    shrinkers = tuple(_variant(v, it, "shrinker", available_shrinkers() + [FULL])
                      for it in _method_items(v, data["shrinkers"], "shrinkers", "shrinker"))
    _unique(v, shrinkers, "shrinkers")
    optimizers = tuple(_variant(v, it, "optimizer", available_optimizers())
                       for it in _method_items(v, data["optimizers"], "optimizers", "optimizer"))
    _unique(v, optimizers, "optimizers")
    reference = _reference(v, data.get("reference"), shrinkers)
    targets, sizes = _targets(v, data["benchmarks"])
    budgets = _budgets(v, data)
    _check_budgets(v, [*shrinkers, *([reference] if reference else [])], min(budgets["budgets"]), sizes)
    return Experiment(
        targets=targets, shrinkers=shrinkers, seeds=_seeds(v, data.get("seeds", 10)),
        root_seed=v.value(data.get("root_seed", 0), int, "root_seed", ge=0), optimizers=optimizers,
        reference=reference, compare_to=_compare_to(v, data.get("compare_to"), shrinkers), name=name, description=str(data.get("description") or ""), **budgets)


def _check_budgets(v: _V, variants, budget: int, sizes) -> None:
    from .plan import check_budget

    for var in variants:
        obj = var.build()
        for target, size in sizes:
            try:
                check_budget(var.method, obj, budget, size)
            except LissnasBenchError as exc:
                raise v.err("shrink_budget", f"{exc} ({var.label}, {target})") from None


def _reference(v: _V, raw, shrinkers) -> Variant | None:
    from ..shrinkers import available_shrinkers

    needed = any(s.method != FULL and s.build().needs_reference for s in shrinkers)
    if raw is None and not needed:
        return None
    items = _method_items(v, raw if raw is not None else REFERENCE_METHOD, "reference", "shrinker")
    if len(items) != 1:
        raise v.err("reference", "name exactly one shrinker (no grid)")
    ref = _variant(v, (*items[0][:3], "reference", ()), "shrinker", available_shrinkers())
    if ref.build().needs_reference:
        raise v.err("reference", f"{ref.method} is itself size-matched: it cannot be the reference")
    return ref


def _compare_to(v: _V, raw, shrinkers) -> str | None:
    if raw is None:
        return None
    labels = [s.label for s in shrinkers if s.method != FULL]
    if raw not in labels:
        raise v.err("compare_to", f"{raw!r} is not one of the shrinkers' labels: {', '.join(labels)}")
    return raw


def _unique(v: _V, entries, field: str) -> None:
    labels = [e.label for e in entries]
    dup = next((x for x in labels if labels.count(x) > 1), None)
    if dup is not None:
        raise v.err(field, f"label {dup!r} is used twice; give the entries distinct `label:`s or parameters")
