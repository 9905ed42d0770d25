"""The comparison engine: every shrinker × seed on one or more (benchmark, dataset) targets, resumably.

>>> from lissnas_bench.runner import ComparisonConfig, Target, run_comparison
>>> cfg = ComparisonConfig(targets=(Target("analognas"),), seeds=2, budget=300)
>>> df = run_comparison(cfg, "results/doctest", force=True)          # doctest: +SKIP
>>> df.groupby("method")["regret"].mean()                            # doctest: +SKIP

Layout of a results folder (``out``)::

    manifest.json        configuration, its hash, seeds, package versions, data hashes, timing
    cells/<key>.json     one finished (benchmark, dataset, method, seed) cell: metrics, trace, choice mask, f sample
    spaces/<key>.json    the shrunk space S' of that cell
    results.parquet      a row per cell (rebuilt from cells/ at the end of every run)
    summary.csv          mean and std over seeds per (benchmark, dataset, metric, method)
    traces.parquet       the iteration traces (LISSNAS, and any shrinker that keeps one)
    distributions.parquet  f over S and a sample of f over each S'
    curves.parquet       (only with ``search``) anytime curves: regret against total queries per cell × optimizer
    figures/             PNG + SVG
    report.md            the report, embedding the figures and the summary

A cell file is written atomically, and only after its shrunk space, so a run killed at any moment (even with
SIGKILL) loses nothing that had finished; re-running with the same ``out`` skips finished cells.  Every
aggregate file is a pure function of ``cells/`` and the manifest.

Seeds: one root seed; each cell (benchmark, dataset, seed index) gets
``SeedSequence(root_seed, spawn_key=(target_key, seed_index))``, and every method of that cell starts from the same
stream, so the size-matched baselines (``random``, ``single-region``) see the LISSNAS result of *their* cell.

Search (``ComparisonConfig.search``, ``compare --search rs,re,ls``).  After each shrink, every optimizer searches
S' continuing the shrinker's oracle (a copy: ``search_after_shrink``) up to ``search_budget`` distinct queries in
total, the shrinker's included; its columns carry the optimizer as a suffix (``search_regret@2000[re]``).  Per
(benchmark, dataset, seed) one more cell, the pseudo-method ``full`` (``SEARCH_FULL``), runs the same optimizers
on the whole space from a fresh oracle with the same total budget: its row holds only the search columns.  Every
search of a cell uses ``search_seed_sequence(cell stream, optimizer)``: the same stream for every shrinker and
for ``full`` (common random numbers), and the sweep's, so ``compare --search`` and ``lissnas-bench run`` agree.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import platform
import re
import shutil
import sys
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ._io import write_json_atomic, write_text_atomic
from .errors import InvalidConfig, LissnasBenchError, UnknownName

log = logging.getLogger(__name__)

#: queries every method may spend in one cell unless the configuration says otherwise
DEFAULT_BUDGET = 1000
DEFAULT_SEEDS = 10
DEFAULT_Q = 0.01
#: the method whose |S'| the size-matched baselines copy
REFERENCE_METHOD = "lissnas"
#: how many values of f over each S' a cell keeps for the distribution figure
F_SAMPLE = 400
#: bump when the layout of a results folder changes
FORMAT_VERSION = 1
#: the pseudo-method of a comparison with ``search``: the optimizers on the full space, same total budget
SEARCH_FULL = "full"
#: anytime-curve points per curve in curves.parquet (evenly spaced in 1..search_budget, plus the checkpoints)
CURVE_POINTS = 200

_OWN_FILES = ("results.parquet", "summary.csv", "traces.parquet", "distributions.parquet", "curves.parquet",
              "report.md", "manifest.json")
_OWN_DIRS = ("cells", "spaces", "figures")
_VERSION_PACKAGES = ("lissnas-bench", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "seaborn",
                     "analog-nasbench", "nas-bench-graph")
#: parameters with which a size-matched baseline brings its own size (then it needs no reference method)
_OWN_SIZE_PARAMS = ("size", "target_size", "reference_size")
_ID_COLUMNS = ["benchmark", "dataset", "metric", "method", "seed", "cell_seed"]


# ============================================================================ configuration
@dataclass(frozen=True)
class Target:
    """One (benchmark, dataset, metric) to shrink, with an optional proxy to rank against f.

    ``benchmark`` is an id (``analognas``, ``nasbench-graph``, an imported id) or a table path; a table also needs
    ``space`` and ``arch_column`` (and optionally ``cost_column``), exactly as ``load_benchmark`` does.
    """

    benchmark: str
    dataset: str | None = None
    metric: str | None = None
    proxy: str | None = None
    space: str | None = None
    arch_column: str | None = None
    cost_column: str | None = None

    def __post_init__(self):
        if not isinstance(self.benchmark, (str, os.PathLike)) or not str(self.benchmark):
            raise InvalidConfig(f"target.benchmark must be a benchmark id or a table path, got {self.benchmark!r}")
        object.__setattr__(self, "benchmark", str(self.benchmark))
        for name in ("dataset", "metric", "proxy", "space", "arch_column", "cost_column"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, str):
                raise InvalidConfig(f"target.{name} must be a string or None, got {v!r}")


def _as_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
            value = int(value)
        else:
            raise InvalidConfig(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise InvalidConfig(f"{name} must be >= {minimum}, got {value}")
    return int(value)


@dataclass(frozen=True)
class ComparisonConfig:
    """Everything that determines a comparison's numbers (and nothing else: not the output folder or workers).

    ``methods`` defaults to every registered shrinker; ``params`` maps a method to its parameters, e.g.
    ``{"lissnas": {"k": 5, "radius": 2}}`` (strings such as ``"5"`` are accepted, as from the CLI).

    ``search`` names optimizers (``rs``, ``re``, ``ls``, or ``"rs,re,ls"``) that search each shrunk space after
    the shrink, up to ``search_budget`` distinct queries per cell in total, the shrinker's included (default
    ``2 × budget``; it must be ``>= budget``); a ``full`` pseudo-method searches the whole space with the same
    total.  Empty (the default): no search, and the configuration (and its hash) is exactly as before.
    """

    targets: tuple[Target, ...]
    methods: tuple[str, ...] | None = None
    seeds: int = DEFAULT_SEEDS
    root_seed: int = 0
    budget: int = DEFAULT_BUDGET
    q: float = DEFAULT_Q
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    search: tuple[str, ...] = ()
    search_budget: int | None = None

    def __post_init__(self):
        targets = self.targets
        if isinstance(targets, (Target, str)):
            targets = (targets,)
        try:
            targets = tuple(t if isinstance(t, Target) else Target(str(t)) for t in targets)
        except TypeError:
            raise InvalidConfig(
                f"targets must be a sequence of Target (or benchmark ids), got {self.targets!r}") from None
        if not targets:
            raise InvalidConfig("targets is empty: name at least one benchmark")
        seen = set()
        for t in targets:
            k = (t.benchmark, t.dataset, t.metric)
            if k in seen:
                raise InvalidConfig(f"target {t.benchmark}/{t.dataset}/{t.metric} is listed twice")
            seen.add(k)
        object.__setattr__(self, "targets", targets)

        methods = self.methods
        if methods is not None:
            if isinstance(methods, str):
                methods = tuple(m.strip() for m in methods.split(",") if m.strip())
            methods = tuple(str(m) for m in methods)
            if not methods:
                raise InvalidConfig("methods is empty: name at least one shrinker")
            dup = [m for m in methods if methods.count(m) > 1]
            if dup:
                raise InvalidConfig(f"method {dup[0]!r} is listed twice")
        object.__setattr__(self, "methods", methods)

        object.__setattr__(self, "seeds", _as_int("seeds", self.seeds, 1))
        object.__setattr__(self, "root_seed", _as_int("root_seed", self.root_seed, 0))
        object.__setattr__(self, "budget", _as_int("budget", self.budget, 1))
        try:
            q = float(self.q)
        except (TypeError, ValueError):
            raise InvalidConfig(f"q must be a number in (0, 1), got {self.q!r}") from None
        if not (0.0 < q < 1.0):
            raise InvalidConfig(f"q must be in (0, 1) (the top fraction of the space), got {self.q!r}")
        object.__setattr__(self, "q", q)

        if not isinstance(self.params, Mapping):
            raise InvalidConfig(f"params must map a method to its parameters, got {self.params!r}")
        params = {}
        for m, p in self.params.items():
            if not isinstance(p, Mapping):
                raise InvalidConfig(f"params[{m!r}] must be a mapping of parameter names to values, got {p!r}")
            if methods is not None and m not in methods:
                raise InvalidConfig(f"parameters given for method {m!r}, which is not compared ({', '.join(methods)})")
            params[str(m)] = dict(p)
        object.__setattr__(self, "params", params)
        self._check_search()

    def _check_search(self) -> None:
        from .search import available_optimizers

        search = self.search
        if search is None:
            search = ()
        if isinstance(search, str):
            search = tuple(o.strip() for o in search.split(",") if o.strip())
        if not isinstance(search, (tuple, list)):
            raise InvalidConfig(f"search must name optimizers (e.g. ('rs', 're', 'ls')), got {self.search!r}")
        search = tuple(str(o).strip() for o in search)
        known = available_optimizers()
        for o in search:
            if o not in known:
                raise UnknownName("optimizer", o, known)
        dup = [o for o in search if search.count(o) > 1]
        if dup:
            raise InvalidConfig(f"optimizer {dup[0]!r} is listed twice in search")
        object.__setattr__(self, "search", search)
        sb = self.search_budget
        if not search:
            if sb is not None:
                raise InvalidConfig(f"a search budget ({sb}) is given but no search optimizer: add --search rs,re,ls "
                                    "(search=...), or drop the search budget")
            return
        sb = 2 * self.budget if sb is None else _as_int("search_budget", sb, 1)
        if sb < self.budget:
            raise InvalidConfig(
                f"search budget {sb} < budget {self.budget}: the search budget is the total per cell, the "
                f"shrinker's queries included (--search-budget, default 2 × --budget)")
        object.__setattr__(self, "search_budget", sb)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["targets"] = [asdict(t) for t in self.targets]
        d["methods"] = list(self.methods) if self.methods is not None else None
        if self.search:
            d["search"] = list(self.search)
        else:  # a comparison without search keeps its pre-search configuration (and hash)
            d.pop("search")
            d.pop("search_budget")
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> ComparisonConfig:
        d = dict(d)
        d["targets"] = tuple(Target(**t) for t in d.get("targets", ()))
        if d.get("methods") is not None:
            d["methods"] = tuple(d["methods"])
        if d.get("search") is not None:
            d["search"] = tuple(d["search"])
        return cls(**d)


# ============================================================================ preparation (validates everything)
@dataclass
class _Prepared:
    target: Target  # dataset and metric filled in
    key: str
    bench: Any
    proxy: Any
    seed_key: int


@dataclass
class Plan:
    """A validated comparison: benchmarks opened, shrinkers built, proxies loaded, hash computed."""

    config: ComparisonConfig
    methods: tuple[str, ...]
    run_order: tuple[str, ...]
    shrinkers: dict[str, Any]
    method_params: dict[str, dict]
    targets: list[_Prepared]
    config_hash: str
    #: the search optimizers' parameters (defaults filled in); empty without search
    optimizer_params: dict[str, dict] = field(default_factory=dict)

    @property
    def cell_methods(self) -> tuple[str, ...]:
        """What runs per (target, seed), in order: the shrinkers (reference first), then ``full`` with search."""
        return self.run_order + ((SEARCH_FULL,) if self.config.search else ())

    @property
    def n_cells(self) -> int:
        return len(self.targets) * len(self.cell_methods) * self.config.seeds

    def cells(self):
        """(target, seed index, method) in run order: per cell, the reference method first (``full`` last)."""
        for t in self.targets:
            for s in range(self.config.seeds):
                for m in self.cell_methods:
                    yield t, s, m


def _safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s).strip("_") or "x"


def _stable_int(*parts: str) -> int:
    return zlib.crc32("\x1f".join(parts).encode())


def cell_key(target_key: str, method: str, seed: int) -> str:
    return f"{target_key}__{_safe(method)}__seed{seed:03d}"


def _shrinker_params(shrinker, given: Mapping) -> dict:
    """The parameters a shrinker actually runs with (its defaults filled in)."""
    pd_ = getattr(shrinker, "param_dict", None)
    p = pd_() if callable(pd_) else None
    if not isinstance(p, Mapping):
        p = given
    return {str(k): _jsonable(v) for k, v in p.items()}


def _jsonable(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return str(v)


def _check_budget(method: str, shrinker, budget: int, domain_size: int | None = None) -> None:
    """budget < n is an error up front: the method's first sample would already exceed the budget."""
    n = _shrinker_params(shrinker, {}).get("n")
    if isinstance(n, int) and not isinstance(n, bool):
        need = n if domain_size is None else min(n, domain_size)
        if budget < need:
            raise InvalidConfig(
                f"{method}: budget {budget} < n={n}: the budget must pay for at least one full sample; "
                "raise --budget or lower n")


def prepare(config: ComparisonConfig) -> Plan:
    """Validate the whole configuration before any cell runs: benchmarks, datasets, metrics, every shrinker with
    its parameters, budgets, proxies.  Raises one ``LissnasBenchError`` naming the problem."""
    from .benchmarks import load_benchmark
    from .shrinkers import available_shrinkers, get_shrinker

    from .plots.style import order_methods

    known = list(available_shrinkers())
    methods = config.methods if config.methods is not None else tuple(order_methods(known))
    for m in methods:
        if m not in known:
            raise UnknownName("method", m, known)
    shrinkers, method_params = {}, {}
    for m in methods:
        given = config.params.get(m, {})
        shrinkers[m] = get_shrinker(m, **given)  # UnknownName / InvalidConfig for bad parameters
        method_params[m] = _shrinker_params(shrinkers[m], given)
    needs_ref = [m for m in methods if getattr(shrinkers[m], "needs_reference", False)
                 and not any(method_params[m].get(k) is not None for k in _OWN_SIZE_PARAMS)]
    if needs_ref and REFERENCE_METHOD not in methods:
        raise InvalidConfig(
            f"{', '.join(needs_ref)} {'is' if len(needs_ref) == 1 else 'are'} size-matched to {REFERENCE_METHOD}'s "
            f"result in the same cell: add {REFERENCE_METHOD} to the methods, or give "
            f"{'it' if len(needs_ref) == 1 else 'each'} a size (e.g. --param random.size=500)")
    run_order = tuple(([REFERENCE_METHOD] if REFERENCE_METHOD in methods else [])
                      + [m for m in methods if m != REFERENCE_METHOD])

    targets, used_keys = [], set()
    benches: dict[tuple, Any] = {}
    for t in config.targets:
        bkey = (t.benchmark, t.space, t.arch_column, t.cost_column)
        if bkey not in benches:
            benches[bkey] = load_benchmark(t.benchmark, space=t.space, arch_column=t.arch_column,
                                           cost_column=t.cost_column)
        bench = benches[bkey]
        dataset, metric = bench.resolve(t.dataset, t.metric)
        resolved = Target(t.benchmark, dataset, metric, t.proxy, t.space, t.arch_column, t.cost_column)
        dom_size = int(bench.domain(dataset, metric).size)
        for m in methods:
            _check_budget(m, shrinkers[m], config.budget, dom_size)
        key = _safe(f"{bench.id}-{dataset}") + ("" if metric == bench.resolve(dataset)[1] else f"-{_safe(metric)}")
        if key in used_keys:
            raise InvalidConfig(f"target {bench.id}/{dataset}/{metric} is listed twice")
        used_keys.add(key)
        proxy = None
        if t.proxy is not None:
            from .evaluation import load_proxy

            proxy = load_proxy(t.proxy, bench, dataset)  # raises when the proxy misses architectures
        targets.append(_Prepared(resolved, key, bench, proxy, _stable_int(bench.id, dataset, metric)))

    optimizer_params: dict[str, dict] = {}
    if config.search:
        from .search import get_optimizer

        optimizer_params = {o: {str(k): _jsonable(v) for k, v in get_optimizer(o).param_dict().items()}
                            for o in config.search}

    resolved_cfg = ComparisonConfig(
        targets=tuple(p.target for p in targets), methods=tuple(methods), seeds=config.seeds,
        root_seed=config.root_seed, budget=config.budget, q=config.q, params=config.params,
        search=config.search, search_budget=config.search_budget)
    ident = {
        "format": FORMAT_VERSION,
        "config": {**resolved_cfg.to_dict(), "params": method_params},
        "data": [p.bench.data_hash for p in targets],
        # a proxy file may change under the same spec string: hash its scores
        "proxies": [None if p.proxy is None else hashlib.sha256(
            np.ascontiguousarray(getattr(p.proxy, "values", np.zeros(0)), dtype=np.float64).tobytes()).hexdigest()
            for p in targets],
    }
    if optimizer_params:
        ident["optimizers"] = optimizer_params
    digest = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Plan(resolved_cfg, tuple(methods), run_order, shrinkers, method_params, targets, digest,
                optimizer_params)


# ============================================================================ one cell
def seed_sequence(root_seed: int, target_seed_key: int, seed_index: int) -> np.random.SeedSequence:
    """The seed sequence of one (benchmark, dataset, seed index) cell; every method of the cell starts from it."""
    return np.random.SeedSequence(root_seed, spawn_key=(target_seed_key, seed_index))


def _children(ss: np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """``ss.spawn(n)`` without mutating ``ss``: the same children however often it is asked."""
    return [np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (i,), pool_size=ss.pool_size)
            for i in range(n)]


def cell_seed(ss: np.random.SeedSequence) -> int:
    """A 63-bit integer naming a cell's seed stream (recorded in the results)."""
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _scalar(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, str) or v is None:
        return v
    return _SKIP


_SKIP = object()


def _shrunk_values(shrunk, bench, dataset, metric, rng, n=F_SAMPLE) -> np.ndarray:
    """f over S' (all of it when small, else a uniform sample) for the distribution figure."""
    size = int(shrunk.size)
    if size <= n and getattr(shrunk, "enumerable", True):
        archs = shrunk.enumerate(n)
    else:
        archs = shrunk.sample(n, rng)
    vals = bench.query(archs, dataset, metric) if len(archs) else np.empty(0)
    return np.asarray(vals, dtype=np.float64)


def run_cell(bench, dataset: str, metric: str, method: str, shrinker, *, budget: int,
             ss: np.random.SeedSequence, q: float = DEFAULT_Q, proxy=None, reference_size: int | None = None,
             search: tuple[str, ...] = (), search_budget: int | None = None) -> dict:
    """Run one shrinker on one cell and evaluate it.  Returns a dict with ``row`` (flat metrics), ``trace``
    (records), ``shrunk`` (the space), ``choice_mask`` and ``f_sample``; with ``search`` (optimizer names) each
    optimizer then searches S' continuing the shrinker's oracle up to ``search_budget`` queries in total
    (``search_*[opt]`` columns in ``row``, compact anytime curves in ``search_curves``)."""
    from .benchmarks import Oracle
    from .evaluation import evaluate

    shrink_ss, eval_ss, sample_ss = _children(ss, 3)
    oracle = Oracle(bench, dataset, metric, budget)
    t0 = time.perf_counter()
    res = shrinker.shrink(oracle, np.random.default_rng(shrink_ss), reference_size=reference_size)
    wall = time.perf_counter() - t0
    if oracle.queries > budget:  # the Oracle raises first; this guards shrinkers that query around it
        raise RuntimeError(f"{method} spent {oracle.queries} queries, more than the budget {budget}")
    t1 = time.perf_counter()
    metrics = evaluate(res.shrunk, bench, dataset, metric, q=q, proxy=proxy, rng=np.random.default_rng(eval_ss))
    eval_wall = time.perf_counter() - t1

    row: dict[str, Any] = {}
    for k, v in metrics.items():
        v = _scalar(v)
        if v is not _SKIP:
            row[str(k)] = v
    queries = getattr(res, "queries", None)
    row["queries"] = int(queries if queries is not None else oracle.queries)
    row["sim_seconds"] = float(oracle.sim_seconds) if oracle.has_time else math.nan
    row["wall_seconds"] = float(wall)
    row["eval_seconds"] = float(eval_wall)
    row["reference_size"] = int(reference_size) if reference_size is not None else None
    for k, v in (getattr(res, "info", None) or {}).items():
        v = _scalar(v)
        if v is not _SKIP:
            row[f"info_{k}"] = v

    trace = getattr(res, "trace", None)
    trace_records = [] if trace is None else [  # full float precision (DataFrame.to_json rounds to 10 digits)
        {str(k): v for k, v in ((k, _scalar(v)) for k, v in rec.items()) if v is not _SKIP}
        for rec in trace.to_dict(orient="records")]
    try:
        mask = np.asarray(res.shrunk.choice_mask(), dtype=bool).astype(int).tolist()
    except (NotImplementedError, LissnasBenchError) as exc:  # a kind of space may not define it
        log.debug("no choice mask for %s: %s", method, exc)
        mask = None
    f_sample = _shrunk_values(res.shrunk, bench, dataset, metric, np.random.default_rng(sample_ss))
    out = {"row": row, "trace": trace_records, "shrunk": res.shrunk, "shrunk_size": int(res.shrunk.size),
           "choice_mask": mask, "f_sample": f_sample.tolist()}
    if search:
        cols, curves = _searches(res, oracle, ss, search, _search_budget(search_budget, budget))
        row.update(cols)
        out["search_curves"] = curves
    return out


def _search_budget(search_budget: int | None, budget: int) -> int:
    return 2 * int(budget) if search_budget is None else int(search_budget)


def compact_curve(result) -> dict:
    """A ``SearchResult``'s best-so-far step function, losslessly: the query counts where it changes (and the
    last one), the best value from there on, and the global maximum (regret = ``global_max - best``)."""
    q = np.asarray(result.queries, dtype=np.int64)
    b = np.asarray(result.best_so_far, dtype=np.float64)
    keep = np.ones(len(b), dtype=bool)
    if len(b) > 1:
        keep[1:-1] = b[1:-1] != b[:-2]  # NaN != NaN: kept, harmless
    return {"queries": q[keep].tolist(), "best": b[keep].tolist(), "global_max": float(result.global_max),
            "search_start": int(result.search_start)}


def _searches(shrink_result, oracle, ss: np.random.SeedSequence, search, search_budget: int) -> tuple[dict, dict]:
    """Every optimizer of ``search`` inside ``shrink_result`` (``None``: the full space), each continuing a copy
    of ``oracle`` up to ``search_budget`` queries in total with its own stream; ``(columns, curves)``."""
    from .search import search_after_shrink, search_seed_sequence

    cols: dict[str, Any] = {}
    curves: dict[str, dict] = {}
    domain: dict[str, Any] = {}
    t0 = time.perf_counter()
    for opt in search:
        c, res = search_after_shrink(shrink_result, oracle, opt,
                                     np.random.default_rng(search_seed_sequence(ss, opt)),
                                     budget=search_budget, suffix=f"[{opt}]", return_result=True)
        for name in ("search_domain_size", "search_domain_regret"):  # a property of S', not of the optimizer
            domain[name] = c.pop(f"{name}[{opt}]")
        cols.update({k: _scalar(v) for k, v in c.items()})
        curves[opt] = compact_curve(res)
    cols.update({k: _scalar(v) for k, v in domain.items()})
    cols["search_seconds"] = time.perf_counter() - t0
    return cols, curves


def run_full_cell(bench, dataset: str, metric: str, *, ss: np.random.SeedSequence, search,
                  search_budget: int) -> dict:
    """The ``full`` pseudo-method of a comparison with search: the optimizers on the whole space from a fresh
    oracle with the same total budget as shrink-then-search.  Its row holds the search columns only."""
    from .benchmarks import Oracle

    cols, curves = _searches(None, Oracle(bench, dataset, metric, 0), ss, search, int(search_budget))
    return {"row": cols, "search_curves": curves}


# ============================================================================ results folder
class ResultsFolder:
    """Paths and the resume/refusal logic of a comparison's output folder."""

    def __init__(self, out: str | os.PathLike):
        self.root = Path(out).expanduser()
        self.cells = self.root / "cells"
        self.spaces = self.root / "spaces"
        self.figures = self.root / "figures"
        self.manifest = self.root / "manifest.json"
        self.results = self.root / "results.parquet"
        self.summary = self.root / "summary.csv"
        self.traces = self.root / "traces.parquet"
        self.distributions = self.root / "distributions.parquet"
        self.curves = self.root / "curves.parquet"
        self.report = self.root / "report.md"

    def read_manifest(self) -> dict | None:
        if not self.manifest.exists():
            return None
        try:
            return json.loads(self.manifest.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            from .errors import DataFileError

            raise DataFileError(f"{self.manifest}: unreadable manifest ({exc}); use --force to start afresh") from exc

    def clear(self) -> None:
        """Remove what a comparison writes (never anything else that lives in the folder)."""
        for name in _OWN_DIRS:
            shutil.rmtree(self.root / name, ignore_errors=True)
        for name in _OWN_FILES:
            (self.root / name).unlink(missing_ok=True)

    def claim(self, config_hash: str, force: bool) -> None:
        """Refuse a folder holding another configuration's results, unless ``force`` (which clears it)."""
        man = self.read_manifest() if self.root.exists() else None
        if force:
            self.clear()
            return
        if man is not None:
            if man.get("config_hash") != config_hash:
                raise InvalidConfig(
                    f"{self.root} holds results of a different configuration (hash {man.get('config_hash')}, "
                    f"this run {config_hash}); pass --force to clear it, or choose another --out")
            return
        if self.cells.exists() and any(self.cells.glob("*.json")):
            raise InvalidConfig(f"{self.root} holds result cells without a manifest; pass --force to clear them")

    def cell_path(self, key: str) -> Path:
        return self.cells / f"{key}.json"

    def read_cell(self, key: str) -> dict | None:
        p = self.cell_path(key)
        if not p.exists():
            return None
        try:
            return json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            # cannot happen with atomic writes, but a hand-edited file should not stop the run: redo that cell
            log.warning("unreadable cell file %s: the cell is run again", p)
            return None


def _versions() -> dict[str, str | None]:
    from importlib import metadata

    out = {}
    for pkg in _VERSION_PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _manifest(plan: Plan, status: str, started: str, elapsed: float | None = None, n_done: int = 0) -> dict:
    cfg = plan.config
    targets, seeds = [], []
    for p in plan.targets:
        sp = p.bench.space
        targets.append({
            "key": p.key, **asdict(p.target), "benchmark_id": p.bench.id, "data_hash": p.bench.data_hash,
            "space_name": sp.name, "space_size": int(p.bench.domain(p.target.dataset, p.target.metric).size),
            "position_names": list(sp.position_names), "choice_names": [list(c) for c in sp.choice_names],
            "seed_key": p.seed_key,
        })
        for s in range(cfg.seeds):
            seeds.append({"target": p.key, "seed": s,
                          "cell_seed": cell_seed(seed_sequence(cfg.root_seed, p.seed_key, s))})
    return {
        "format": FORMAT_VERSION,
        "kind": "lissnas-bench comparison",
        "status": status,
        "config_hash": plan.config_hash,
        "config": cfg.to_dict(),
        "methods": plan.method_params,
        **({"optimizers": plan.optimizer_params} if plan.config.search else {}),
        "targets": targets,
        "seeds": seeds,
        "cells": {"total": plan.n_cells, "done": n_done},
        "versions": _versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "started": started,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds") if status == "complete" else None,
        "elapsed_seconds": elapsed,
    }


def _write_cell(folder: ResultsFolder, key: str, plan: Plan, target: _Prepared, method: str, seed: int,
                out: dict) -> dict:
    space_rel = f"spaces/{key}.json"
    js = out["shrunk"].to_json()
    if isinstance(js, str):
        write_text_atomic(folder.root / space_rel, js if js.endswith("\n") else js + "\n")
    else:
        write_json_atomic(folder.root / space_rel, js)
    ss = seed_sequence(plan.config.root_seed, target.seed_key, seed)
    ids = {"benchmark": target.bench.id, "dataset": target.target.dataset, "metric": target.target.metric,
           "method": method, "seed": seed, "cell_seed": cell_seed(ss)}
    record = {
        "key": key, "config_hash": plan.config_hash, "target": target.key,
        "row": {**ids, **out["row"]}, "shrunk_size": out["shrunk_size"], "space_file": space_rel,
        "trace": out["trace"], "choice_mask": out["choice_mask"], "f_sample": out["f_sample"],
    }
    if "search_curves" in out:
        record["search_curves"] = out["search_curves"]
    # written last: its presence means the cell (and its space file) is complete
    write_json_atomic(folder.cell_path(key), record)
    return record


def _write_full_cell(folder: ResultsFolder, key: str, plan: Plan, target: _Prepared, seed: int, out: dict) -> dict:
    ss = seed_sequence(plan.config.root_seed, target.seed_key, seed)
    ids = {"benchmark": target.bench.id, "dataset": target.target.dataset, "metric": target.target.metric,
           "method": SEARCH_FULL, "seed": seed, "cell_seed": cell_seed(ss)}
    record = {"key": key, "config_hash": plan.config_hash, "target": target.key, "row": {**ids, **out["row"]},
              "search_curves": out["search_curves"]}
    write_json_atomic(folder.cell_path(key), record)
    return record


ProgressFn = Callable[[dict], None]


def run_comparison(config: ComparisonConfig | Plan, out: str | os.PathLike, *, force: bool = False,
                   progress: ProgressFn | None = None, figures: bool = True, workers: int = 1):
    """Run (or resume) a comparison into ``out`` and return its results table (a row per method × seed).

    ``progress`` is called after every cell with ``{"done", "total", "key", "method", "seed", "target",
    "skipped"}``.  ``workers > 1`` runs (target, seed) groups in that many processes; the numbers do not depend on
    it.  A folder holding a different configuration is refused unless ``force`` (which clears it first).
    """
    plan = config if isinstance(config, Plan) else prepare(config)
    workers = _as_int("workers", workers, 1)
    folder = ResultsFolder(out)
    folder.claim(plan.config_hash, force)
    folder.root.mkdir(parents=True, exist_ok=True)
    old = folder.read_manifest()
    started = (old or {}).get("started") or datetime.now(timezone.utc).isoformat(timespec="seconds")
    t_start = time.perf_counter()
    write_json_atomic(folder.manifest, _manifest(plan, "running", started))

    total = plan.n_cells
    state = {"done": 0}

    def report(key, t, m, s, skipped):
        state["done"] += 1
        if progress is not None:
            progress({"done": state["done"], "total": total, "key": key, "method": m, "seed": s,
                      "target": t.key, "skipped": skipped})

    groups = []
    for t in plan.targets:
        for s in range(plan.config.seeds):
            pending = [m for m in plan.cell_methods if folder.read_cell(cell_key(t.key, m, s)) is None]
            for m in plan.cell_methods:
                if m not in pending:
                    report(cell_key(t.key, m, s), t, m, s, True)
            if pending:
                groups.append((t, s, pending))
    n_skipped = state["done"]
    if n_skipped:
        log.info("resuming %s: %d of %d cells already finished", folder.root, n_skipped, total)

    with contextlib.ExitStack() as stack:
        pool = None
        if workers > 1:
            import concurrent.futures as cf
            import multiprocessing as mp

            # spawn, not fork: the parent may hold threads (pyarrow) and a forked lock would deadlock
            pool = stack.enter_context(cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")))
        if pool is None or len(groups) <= 1:
            for t, s, pending in groups:
                for key, m in _run_group(plan, folder, t, s, pending):
                    report(key, t, m, s, False)
        else:
            _run_parallel(plan, folder, groups, pool, report)
        df = _finish_run(plan, folder, old, started, t_start, n_skipped, figures, pool)
    return df


def _finish_run(plan, folder, old, started, t_start, n_skipped, figures, pool):
    total = plan.n_cells
    t_cells = time.perf_counter() - t_start
    log.info("%d cells run in %.1f s (%d finished before)", total - n_skipped, t_cells, n_skipped)
    df = rebuild(folder.root, plan=plan, figures=figures, pool=pool)
    elapsed = ((old or {}).get("elapsed_seconds") or 0.0) + time.perf_counter() - t_start
    write_json_atomic(folder.manifest, _manifest(plan, "complete", started, elapsed, total))
    log.info("comparison finished: %s", folder.report)
    return df


def _run_group(plan: Plan, folder: ResultsFolder, t: _Prepared, s: int, pending: list[str]):
    """Run the pending methods of one (target, seed) cell, reference method first; yields (key, method)."""
    ss = seed_sequence(plan.config.root_seed, t.seed_key, s)
    ref_size = None
    if REFERENCE_METHOD in plan.run_order and REFERENCE_METHOD not in pending:
        ref_size = folder.read_cell(cell_key(t.key, REFERENCE_METHOD, s))["shrunk_size"]
    cfg = plan.config
    for m in plan.cell_methods:
        if m not in pending:
            continue
        if m == SEARCH_FULL:
            key = cell_key(t.key, m, s)
            log.debug("cell %s", key)
            out = run_full_cell(t.bench, t.target.dataset, t.target.metric, ss=ss, search=cfg.search,
                                search_budget=cfg.search_budget)
            _write_full_cell(folder, key, plan, t, s, out)
            yield key, m
            continue
        shrinker = plan.shrinkers[m]
        ref = ref_size if getattr(shrinker, "needs_reference", False) else None
        key = cell_key(t.key, m, s)
        log.debug("cell %s", key)
        out = run_cell(t.bench, t.target.dataset, t.target.metric, m, shrinker, budget=cfg.budget,
                       ss=ss, q=cfg.q, proxy=t.proxy, reference_size=ref, search=cfg.search,
                       search_budget=cfg.search_budget)
        _write_cell(folder, key, plan, t, m, s, out)
        if m == REFERENCE_METHOD:
            ref_size = out["shrunk_size"]
        yield key, m


# ---------------------------------------------------------------- process pool
_WORKER_PLAN: dict[str, Plan] = {}


def _worker_group(config_dict: dict, out: str, target_key: str, s: int, pending: list[str]):
    plan = _WORKER_PLAN.get("plan")
    if plan is None:
        logging.basicConfig(level=logging.WARNING)
        plan = _WORKER_PLAN["plan"] = prepare(ComparisonConfig.from_dict(config_dict))
    t = next(p for p in plan.targets if p.key == target_key)
    return [(key, m) for key, m in _run_group(plan, ResultsFolder(out), t, s, pending)]


def _run_parallel(plan: Plan, folder: ResultsFolder, groups, pool, report) -> None:
    import concurrent.futures as cf

    cfg = plan.config.to_dict()
    futs = {pool.submit(_worker_group, cfg, str(folder.root), t.key, s, pending): (t, s) for t, s, pending in groups}
    try:
        for fut in cf.as_completed(futs):
            t, s = futs[fut]
            for key, m in fut.result():
                report(key, t, m, s, False)
    except BaseException:
        for f in futs:
            f.cancel()
        raise


# ============================================================================ aggregation
def load_cells(out: str | os.PathLike, manifest: dict | None = None) -> list[dict]:
    """The finished cell records of a results folder, in the manifest's canonical order."""
    folder = ResultsFolder(out)
    manifest = manifest or folder.read_manifest()
    if manifest is None:
        from .errors import DataFileError

        raise DataFileError(f"{folder.root} is not a comparison results folder (no manifest.json)")
    methods = list(manifest["config"]["methods"]) + ([SEARCH_FULL] if manifest["config"].get("search") else [])
    recs = []
    for t in manifest["targets"]:
        for s in range(manifest["config"]["seeds"]):
            for m in methods:
                rec = folder.read_cell(cell_key(t["key"], m, s))
                if rec is not None and rec.get("config_hash") == manifest["config_hash"]:
                    recs.append(rec)
    return recs


def results_frame(cells: list[dict]):
    """A row per cell, in the cells' order.  Rows of the ``full`` pseudo-method (search only) leave the shrink
    columns empty: those keep their type as nullable ``Int64`` / ``boolean`` columns."""
    import pandas as pd

    full = [i for i, c in enumerate(cells) if c["row"].get("method") == SEARCH_FULL]
    if not full or len(full) == len(cells):
        return _rows_frame([c["row"] for c in cells])
    is_full = set(full)
    shrink = [i for i in range(len(cells)) if i not in is_full]
    a = _rows_frame([cells[i]["row"] for i in shrink])
    b = _rows_frame([cells[i]["row"] for i in full])
    a.index, b.index = shrink, full
    for c in a.columns:
        if c in b.columns:
            continue
        if pd.api.types.is_bool_dtype(a[c]):
            a[c] = a[c].astype("boolean")
        elif pd.api.types.is_integer_dtype(a[c]):
            a[c] = a[c].astype("Int64")
    b = b.astype({c: a[c].dtype for c in b.columns if c in a.columns and a[c].dtype != b[c].dtype})
    df = pd.concat([a, b]).sort_index()
    return df.reset_index(drop=True)


def _rows_frame(rows: list[dict]):
    import pandas as pd

    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=_ID_COLUMNS)
    first = [c for c in _ID_COLUMNS if c in df.columns]
    df = df[first + [c for c in df.columns if c not in first]]
    df["seed"] = df["seed"].astype("int64")
    df["cell_seed"] = df["cell_seed"].astype("int64")
    for c in df.columns:  # columns some methods leave empty: nullable dtypes, identical after a Parquet round trip
        if df[c].dtype != object:
            continue
        vals = [v for v in df[c] if v is not None and not (isinstance(v, float) and math.isnan(v))]
        if vals and all(isinstance(v, bool) for v in vals):
            df[c] = df[c].astype("boolean")
        elif vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            df[c] = df[c].astype("Int64")
        elif vals and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            df[c] = df[c].astype("float64")
        elif not vals:
            df[c] = df[c].astype("float64")
    return df.reset_index(drop=True)


def summary_frame(results):
    """Mean and standard deviation (ddof=1) over seeds of every numeric column, per (benchmark, dataset, metric,
    method); methods keep the results' order."""
    import pandas as pd

    keys = ["benchmark", "dataset", "metric", "method"]
    skip = set(keys) | {"seed", "cell_seed"}
    num = [c for c in results.columns if c not in skip and pd.api.types.is_numeric_dtype(results[c])
           and not pd.api.types.is_bool_dtype(results[c])]
    out = []
    for k, g in results.groupby(keys, sort=False):
        row = dict(zip(keys, k))
        row["n_seeds"] = int(len(g))
        for c in num:
            v = g[c].astype("float64")
            row[f"{c}_mean"] = float(v.mean()) if v.notna().any() else math.nan
            row[f"{c}_std"] = float(v.std(ddof=1)) if v.notna().sum() > 1 else math.nan
        out.append(row)
    return pd.DataFrame(out)


def traces_frame(cells: list[dict]):
    import pandas as pd

    parts = []
    for c in cells:
        if c.get("trace"):
            t = pd.DataFrame(c["trace"])
            r = c["row"]
            for col in reversed(("benchmark", "dataset", "metric", "method", "seed")):
                t.insert(0, col, r[col])
            parts.append(t)
    if not parts:
        return pd.DataFrame(columns=["benchmark", "dataset", "metric", "method", "seed", "iteration"])
    return pd.concat(parts, ignore_index=True)


def distributions_frame(cells: list[dict], manifest: dict, plan: Plan | None = None):
    """f over S (``method`` = ``FULL_SPACE``, seed -1) and the stored sample of f over each S'."""
    import pandas as pd

    from .plots.style import FULL_SPACE

    parts = []
    for t in manifest["targets"]:
        full = None
        if plan is not None:
            p = next(p for p in plan.targets if p.key == t["key"])
            col = p.bench.column(p.target.dataset, p.target.metric)
            full = col[np.isfinite(col)]
        if full is not None:
            parts.append(pd.DataFrame({"target": t["key"], "method": FULL_SPACE, "seed": -1,
                                       "value": full.astype(np.float32)}))
    for c in cells:
        parts.append(pd.DataFrame({"target": c["target"], "method": c["row"]["method"], "seed": c["row"]["seed"],
                                   "value": np.asarray(c["f_sample"], dtype=np.float32)}))
    if not parts:
        return pd.DataFrame(columns=["target", "method", "seed", "value"])
    return pd.concat(parts, ignore_index=True)


def curves_frame(cells: list[dict], config: ComparisonConfig):
    """The searches' anytime curves in long format: ``benchmark, dataset, metric, method, optimizer, seed,
    queries, best_so_far, regret``, every curve on the same query grid (``CURVE_POINTS`` evenly spaced in
    1..search_budget, plus the budget and the ``search_regret@q`` checkpoints), so seeds average point by point."""
    import pandas as pd

    from .search import default_checkpoints
    from .sweep.cell import curve_points

    cols = ["benchmark", "dataset", "metric", "method", "optimizer", "seed", "queries", "best_so_far", "regret"]
    if not config.search:
        return pd.DataFrame(columns=cols)
    B = int(config.search_budget)
    grid = curve_points(B, CURVE_POINTS, [*default_checkpoints(B), int(config.budget)])
    parts = []
    for c in cells:
        r = c["row"]
        for opt, cv in (c.get("search_curves") or {}).items():
            q = np.asarray(cv["queries"], dtype=np.int64)
            b = np.asarray(cv["best"], dtype=np.float64)
            i = np.searchsorted(q, grid, side="right") - 1
            best = np.where(i >= 0, b[np.maximum(i, 0)], np.nan) if len(q) else np.full(len(grid), np.nan)
            parts.append(pd.DataFrame({
                "benchmark": r["benchmark"], "dataset": r["dataset"], "metric": r["metric"], "method": r["method"],
                "optimizer": opt, "seed": int(r["seed"]), "queries": grid, "best_so_far": best,
                "regret": float(cv["global_max"]) - best}))
    if not parts:
        return pd.DataFrame(columns=cols)
    df = pd.concat(parts, ignore_index=True)
    return df.astype({"seed": "int64", "queries": "int64"})


def _write_parquet(df, path: Path) -> None:
    from ._io import atomic_path

    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


def _write_csv(df, path: Path) -> None:
    from ._io import atomic_path

    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def rebuild(out: str | os.PathLike, *, plan: Plan | None = None, figures: bool = True, pool=None):
    """(Re)write results.parquet, summary.csv, traces.parquet, distributions.parquet (with search:
    curves.parquet), the figures and report.md from the cell files.  Without ``plan`` the benchmarks are reopened
    from the manifest for f over S."""
    import pandas as pd

    folder = ResultsFolder(out)
    manifest = folder.read_manifest()
    if manifest is None:
        from .errors import DataFileError

        raise DataFileError(f"{folder.root} is not a comparison results folder (no manifest.json)")
    if plan is None:
        plan = prepare(ComparisonConfig.from_dict(manifest["config"]))
    cells = load_cells(folder.root, manifest)
    results = results_frame(cells)
    _write_parquet(results, folder.results)
    summary = summary_frame(results) if len(results) else pd.DataFrame()
    _write_csv(summary, folder.summary)
    # the shrink tables and figures: without the search-only `full` cells
    shrink_cells = [c for c in cells if c["row"].get("method") != SEARCH_FULL]
    shrink_results = results_frame(shrink_cells) if len(shrink_cells) < len(cells) else results
    traces = traces_frame(shrink_cells)
    _write_parquet(traces, folder.traces)
    dist = distributions_frame(shrink_cells, manifest, plan)
    _write_parquet(dist, folder.distributions)
    curves = None
    if plan.config.search:
        curves = curves_frame(cells, plan.config)
        _write_parquet(curves, folder.curves)
    figs = {}
    log.info("tables rebuilt from %d cells", len(cells))
    if figures and len(results):
        from .plots.compare import make_figures

        t0 = time.perf_counter()
        extra = {} if curves is None else {"curves": curves, "shrink_budget": plan.config.budget}
        figs = make_figures(folder.root, manifest=_manifest(plan, "running", manifest.get("started") or ""),
                            results=shrink_results, traces=traces, distributions=dist, cells=shrink_cells,
                            pool=pool, **extra)
        log.info("%d figures drawn in %.1f s", sum(len(v) for v in figs.values()), time.perf_counter() - t0)
    from .report import write_report

    write_report(folder.root, manifest=_manifest(plan, "complete", manifest.get("started") or ""),
                 results=results, summary=summary, figures=figs)
    return results


def load_results(out: str | os.PathLike):
    """``(results, summary, manifest)`` of a finished results folder (what the notebook reads)."""
    import pandas as pd

    folder = ResultsFolder(out)
    man = folder.read_manifest()
    if man is None or not folder.results.exists():
        from .errors import DataFileError

        raise DataFileError(f"{folder.root} holds no finished comparison (manifest.json / results.parquet missing)")
    return pd.read_parquet(folder.results), pd.read_csv(folder.summary), man


# ============================================================================ one shrink (the `shrink` command)
def shrink_once(benchmark, *, dataset: str | None = None, metric: str | None = None, method: str = "lissnas",
                params: Mapping[str, Any] | None = None, budget: int = DEFAULT_BUDGET, seed: int = 0,
                q: float = DEFAULT_Q, proxy: str | None = None, reference_size: int | None = None) -> dict:
    """Run one shrinker once and evaluate it: ``{"row": metrics, "shrunk": space, "trace": records, ...}``.

    A size-matched baseline without ``reference_size`` first runs LISSNAS (defaults) on the same seed for it,
    exactly as a comparison cell does.

    >>> out = shrink_once("analognas", method="lissnas", budget=500, seed=0)   # doctest: +SKIP
    >>> out["row"]["size"], out["row"]["regret"]                              # doctest: +SKIP
    """
    from .benchmarks import Benchmark, load_benchmark
    from .shrinkers import get_shrinker

    bench = benchmark if isinstance(benchmark, Benchmark) else load_benchmark(benchmark)
    dataset, metric = bench.resolve(dataset, metric)
    budget = _as_int("budget", budget, 1)
    seed = _as_int("seed", seed, 0)
    if not (0 < float(q) < 1):
        raise InvalidConfig(f"q must be in (0, 1), got {q!r}")
    shrinker = get_shrinker(method, **dict(params or {}))
    _check_budget(method, shrinker, budget)
    proxy_obj = None
    if proxy is not None:
        from .evaluation import load_proxy

        proxy_obj = load_proxy(proxy, bench, dataset)
    ss = np.random.SeedSequence(seed)
    if getattr(shrinker, "needs_reference", False) and reference_size is None:
        ref = get_shrinker(REFERENCE_METHOD)
        _check_budget(REFERENCE_METHOD, ref, budget)
        from .benchmarks import Oracle

        shrink_ss = _children(ss, 3)[0]
        res = ref.shrink(Oracle(bench, dataset, metric, budget), np.random.default_rng(shrink_ss))
        reference_size = int(res.shrunk.size)
        log.info("%s is size-matched: reference |S'| = %d from %s on seed %d", method, reference_size,
                 REFERENCE_METHOD, seed)
    out = run_cell(bench, dataset, metric, method, shrinker, budget=budget, ss=ss, q=float(q), proxy=proxy_obj,
                   reference_size=reference_size)
    out["row"] = {"benchmark": bench.id, "dataset": dataset, "metric": metric, "method": method, "seed": seed,
                  **out["row"]}
    out["params"] = _shrinker_params(shrinker, params or {})
    out["data_hash"] = bench.data_hash
    return out
