"""``prepare``: validate an experiment against the data before any cell runs, and lay out its cells.

A plan opens every benchmark, resolves datasets and metrics, builds every shrinker and optimizer, loads proxies,
checks every budget against every domain and computes the configuration hash (what a results folder is claimed
with).  Cells are grouped by (target, seed): a group runs its reference variant first, so the size-matched
baselines of the group copy its |S'|; groups are what executors schedule.

>>> from lissnas_bench.experiments import ComparisonConfig, Target, prepare
>>> plan = prepare(ComparisonConfig(targets=(Target("analognas"),), methods=("lissnas", "random"), seeds=2,
...                                 budget=300))
>>> plan.n_cells, [t.key for t in plan.targets], plan.cell_key(plan.targets[0], "random", 1, 300)
(4, ['analognas-cifar10'], 'analognas-cifar10__random__seed001')

Before anything is written, ``run_experiment`` checks ``plan.estimate()`` against ``MAX_MEMORY_BYTES`` and
``MAX_CPU_SECONDS`` (override: ``allow_large=True``, ``--yes``):

>>> estimate(24_000_000, optimizers=3, search_budget=2000).check()
Traceback (most recent call last):
...
lissnas_bench.errors.InvalidConfig: this run has 24,000,000 cells: about 2,197 GiB of memory while its tables \
are built (limit 4 GiB) and 1,600 CPU hours (limit 24); use fewer seeds, targets, methods or optimizers, or pass \
--yes (allow_large=True) to run it anyway
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidConfig
from .comparison import ComparisonConfig
from .config import FULL, Experiment, Target, Variant
from .seeds import seed_sequence, stable_int

#: bump when the layout of a results folder or the computation of a cell changes
FORMAT_VERSION = 2

#: a run whose estimate exceeds either limit is refused unless ``allow_large`` (``--yes``): the memory the parent
#: process holds while it rebuilds the tables from every cell, and the CPU time of all cells together
MAX_MEMORY_BYTES = 4 * 2**30
MAX_CPU_SECONDS = 24 * 3600
#: measured on the development machine (analognas and nasbench-graph, defaults, budget 1,000): a finished
#: cell's record and its rows in the tables, each optimizer's share of it, and the CPU seconds of a shrink and
#: evaluation and of one search query (conservative: about twice what was measured)
CELL_BYTES = 48 * 2**10
OPTIMIZER_BYTES = 16 * 2**10
CELL_SECONDS = 0.06
SEARCH_QUERY_SECONDS = 3e-5


def safe_name(s: str) -> str:
    """A file-name-safe form of a label (``lissnas(k=5)`` -> ``lissnas_k=5``)."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", s).strip("_") or "x"


@dataclass
class PreparedTarget:
    """A target with its dataset and metric resolved, its benchmark opened and its keys computed."""

    target: Target
    key: str
    bench: Any
    proxy: Any
    seed_key: int
    protocol: Any = None  # protocol.Protocol: what the oracle answers, what judges, the shared domain

    def oracle(self, budget: int | None, ss: np.random.SeedSequence):
        """A fresh budgeted oracle of this target in the cell whose stream is ``ss``."""
        from .seeds import noise_seed_sequence

        return self.protocol.oracle(self.bench, budget, np.random.default_rng(noise_seed_sequence(ss)))

    @property
    def protocol_maximize(self) -> bool:
        """The truth's direction."""
        fn = getattr(self.bench, "maximize", None)
        return bool(fn(self.dataset, self.metric)) if callable(fn) else True

    @property
    def domain_size(self) -> int:
        if self.protocol.domain is None:
            return int(self.bench.domain(self.dataset, self.metric).size)
        return int(self.protocol.domain.sum())

    def full_space(self):
        """The domain evaluation scores against, when it is smaller than the truth's (``restrict_domain``)."""
        if self.protocol.domain is None:
            return None
        truth_dom = np.isfinite(self.bench.columns[(self.dataset, self.metric)])
        if np.array_equal(truth_dom, self.protocol.domain):
            return None
        # one per target, not one per cell: building it indexes every row of the domain (423k on NB101)
        if self.__dict__.get("_full_space") is None:
            from ..spaces import SubsetSpace

            self.__dict__["_full_space"] = SubsetSpace(self.bench.space, self.bench.archs[self.protocol.domain])
        return self.__dict__["_full_space"]

    @property
    def dataset(self) -> str:
        return self.target.dataset

    @property
    def metric(self) -> str:
        return self.target.metric


@dataclass(frozen=True)
class Estimate:
    """What a run costs, estimated before it starts: cells, memory (bytes) and CPU seconds."""

    cells: int
    memory_bytes: float
    cpu_seconds: float

    def check(self, allow_large: bool = False) -> None:
        """``InvalidConfig`` with the estimate and the limits when either limit is exceeded, unless
        ``allow_large``."""
        if allow_large or (self.memory_bytes <= MAX_MEMORY_BYTES and self.cpu_seconds <= MAX_CPU_SECONDS):
            return
        raise InvalidConfig(
            f"this run has {self.cells:,} cells: about {_gib(self.memory_bytes)} of memory while its tables are "
            f"built (limit {_gib(MAX_MEMORY_BYTES)}) and {self.cpu_seconds / 3600:,.0f} CPU hours (limit "
            f"{MAX_CPU_SECONDS / 3600:,.0f}); use fewer seeds, targets, methods or optimizers, or pass --yes "
            "(allow_large=True) to run it anyway")


def estimate(cells: int, *, optimizers: int = 0, search_budget: int = 0) -> Estimate:
    """The ``Estimate`` of ``cells`` cells, each searched by ``optimizers`` optimizers up to ``search_budget``
    queries."""
    cells = int(cells)
    return Estimate(cells, float(cells) * (CELL_BYTES + optimizers * OPTIMIZER_BYTES),
                    float(cells) * (CELL_SECONDS + optimizers * search_budget * SEARCH_QUERY_SECONDS))


def cell_key(target_key: str, label: str, seed: int, budget: int, several_budgets: bool) -> str:
    """The file name of a cell: ``<target>[__b<budget>]__<label>__seed<NNN>``."""
    b = f"__b{budget}" if several_budgets else ""
    return f"{target_key}{b}__{safe_name(label)}__seed{seed:03d}"


def _gib(b: float) -> str:
    return f"{b / 2**30:,.0f} GiB" if b >= 2**30 else f"{b / 2**20:,.0f} MiB"


@dataclass
class Plan:
    """A validated experiment: benchmarks opened, shrinkers and optimizers built, hash computed."""

    experiment: Experiment
    targets: list[PreparedTarget]
    shrinkers: dict[str, Any]  # label -> shrinker object (None for FULL)
    optimizers: dict[str, Any]  # label -> optimizer object
    config_hash: str
    #: the label of the shrinker variant that is the reference (None: the reference is run on its own)
    reference_label: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def variants(self) -> tuple[Variant, ...]:
        return self.experiment.shrinkers

    def run_order(self) -> list[Variant]:
        """The variants of a group in the order they run: the reference first, ``full`` last."""
        vs = list(self.variants)
        ref = [v for v in vs if v.label == self.reference_label]
        rest = [v for v in vs if v.label != self.reference_label and v.method != FULL]
        return ref + rest + [v for v in vs if v.method == FULL]

    @property
    def n_cells(self) -> int:
        exp = self.experiment
        return len(self.targets) * len(exp.budgets) * len(self.variants) * len(exp.seeds)

    def estimate(self) -> Estimate:
        """Memory and CPU time of the whole run (every cell, finished or not)."""
        exp = self.experiment
        return estimate(self.n_cells, optimizers=len(exp.optimizers), search_budget=exp.search_budget or 0)

    def cell_key(self, t: PreparedTarget, label: str, seed: int, budget: int) -> str:
        """``<target>__<label>__seed<NNN>``, with ``__b<budget>`` after the target when there are several budgets."""
        return cell_key(t.key, label, seed, budget, len(self.experiment.budgets) > 1)

    def groups(self) -> Iterator[tuple[PreparedTarget, int, int]]:
        """(target, budget, seed) in the canonical order."""
        for t in self.targets:
            for b in self.experiment.budgets:
                for s in self.experiment.seeds:
                    yield t, b, s

    def cells(self) -> Iterator[tuple[PreparedTarget, int, int, Variant]]:
        """(target, budget, seed, variant) in the canonical order: target, budget, seed, then the run order."""
        order = self.run_order()
        for t, b, s in self.groups():
            for v in order:
                yield t, b, s, v

    def target(self, key: str) -> PreparedTarget:
        return next(t for t in self.targets if t.key == key)

    def seed_sequence(self, t: PreparedTarget, seed: int) -> np.random.SeedSequence:
        return seed_sequence(self.experiment.root_seed, t.seed_key, seed)


def check_budget(label: str, shrinker, budget: int, domain_size: int | None = None) -> None:
    """budget < n is an error up front: the method's first sample would already exceed the budget."""
    n = dict(shrinker.param_dict()).get("n") if shrinker is not None else None
    if isinstance(n, int) and not isinstance(n, bool):
        need = n if domain_size is None else min(n, domain_size)
        if budget < need:
            raise InvalidConfig(f"{label}: budget {budget} < n={n}: the budget must pay for at least one full sample; "
                                "raise --budget or lower n")


def check_costs(bench, dataset: str, proto) -> None:
    """A time budget needs a finite, non-negative cost for every architecture of the target's domain (any of
    them may be queried): one ``InvalidConfig`` naming the target otherwise."""
    where = f"target {bench.id}/{dataset}"
    if proto.cost is None:
        raise InvalidConfig(f"{where}: a time budget needs the simulated training time of each query and the "
                            "benchmark has no cost column: give one (cost_column: / --cost-column for a table) or "
                            "a formula (cost: / --cost, e.g. 12*train-per-time)")
    bad = np.flatnonzero(proto.domain & ~(np.isfinite(proto.cost) & (proto.cost >= 0)))
    if len(bad):
        example = bench.space.to_strings(bench.archs[bad[:1]])[0]
        raise InvalidConfig(f"{where}: the cost ({proto.cost_spec}) of {len(bad)} architectures is NaN or negative, "
                            f"e.g. {example}: {proto.cost[bad[0]]!r} s; a time budget needs a finite, non-negative "
                            "cost for every architecture of the domain")


def _open(targets: tuple[Target, ...], given: Mapping[str, Any] | None) -> list[tuple[Target, Any]]:
    from ..benchmarks import load_benchmark

    opened, benches = [], {}
    for t in targets:
        k = tuple(t.source().values())
        if given and t.benchmark in given:
            benches[k] = given[t.benchmark]
        if k not in benches:
            benches[k] = load_benchmark(t.benchmark, space=t.space, arch_column=t.arch_column,
                                        cost_column=t.cost_column)
        bench = benches[k]
        dataset = bench.resolve_dataset(t.dataset)
        from .protocol import is_joined, join_column, resolve

        metric = join_column(bench, dataset, t.metric) if is_joined(t.metric) else bench.resolve(dataset, t.metric)[1]
        proto = resolve(bench, dataset, metric, t.query_metric, t.restrict_domain, cost=t.cost)
        resolved = Target(t.benchmark, dataset, metric, t.proxy, t.space, t.arch_column, t.cost_column, proto.query,
                          t.restrict_domain, t.cost)
        opened.append((resolved, bench, proto))
    return opened


def prepare(config, *, opened: Mapping[str, Any] | None = None) -> Plan:
    """Validate ``config`` (a ``ComparisonConfig``, an ``Experiment``, a sweep YAML path or dict) against the data;
    raises one ``LissnasBenchError`` naming the problem.  ``opened`` maps a target's ``benchmark`` to an already
    opened ``Benchmark`` (used in this process only)."""
    if isinstance(config, Plan):
        return config
    if isinstance(config, ComparisonConfig):
        exp = config.experiment()
    elif isinstance(config, Experiment):
        exp = config
    else:
        from .sweep_config import load_config

        exp = load_config(config)
    shrinkers = {v.label: v.build() for v in exp.shrinkers}
    optimizers = {v.label: v.build() for v in exp.optimizers}
    ref = exp.reference
    ref_label = next((v.label for v in exp.shrinkers if ref is not None and (v.method, v.params) == (
        ref.method, ref.params)), None)
    ref_obj = ref.build() if ref is not None else None

    targets, keys = [], set()
    for t, bench, proto in _open(exp.targets, opened):
        if exp.time_budget is not None:
            check_costs(bench, t.dataset, proto)
        size = int(proto.domain.sum()) if proto.domain is not None else int(bench.domain(t.dataset, t.metric).size)
        if size == 0:
            raise InvalidConfig(f"{bench.id} / {t.dataset}: metric {t.metric!r} has no values (every architecture's "
                                "is missing, NaN or infinite): nothing to shrink; choose another --metric")
        for label, obj in shrinkers.items():
            check_budget(label, obj, min(exp.budgets), size)
        if ref_obj is not None:
            check_budget(f"reference {ref.label}", ref_obj, min(exp.budgets), size)
        key = safe_name(f"{bench.id}-{t.dataset}") + (
            "" if t.metric == bench.resolve(t.dataset)[1] else f"-{safe_name(t.metric)}")
        from .protocol import natural_query

        if proto.query != (natural_query(bench, t.dataset, t.metric) or t.metric):  # a protocol of its own
            key += f"-q-{safe_name(proto.query)}"
        if key in keys:
            raise InvalidConfig(f"target {bench.id}/{t.dataset}/{t.metric} is listed twice")
        keys.add(key)
        proxy = None
        if t.proxy is not None:
            from ..evaluation import load_proxy

            proxy = load_proxy(t.proxy, bench, t.dataset)  # raises when the proxy misses architectures
        targets.append(PreparedTarget(t, key, bench, proxy, stable_int(bench.id, t.dataset, t.metric), proto))
    safe = [safe_name(v.label) for v in exp.shrinkers]
    clash = next((s for s in safe if safe.count(s) > 1), None)
    if clash is not None:
        raise InvalidConfig(f"two shrinker labels give the same file name {clash!r}: give them distinct labels")
    exp = exp.replace(targets=tuple(p.target for p in targets))
    return Plan(exp, targets, shrinkers, optimizers, _hash(exp, targets), ref_label)


def _hash(exp: Experiment, targets: list[PreparedTarget]) -> str:
    d = exp.to_dict()
    for k in ("name", "description"):  # they name a run, they do not change its numbers
        d.pop(k)
    ident = {
        "format": FORMAT_VERSION,
        "experiment": d,
        "data": [p.bench.data_hash for p in targets],
        "queries": [p.protocol.digest() for p in targets],
        # a proxy file may change under the same spec string: hash its scores
        "proxies": [None if p.proxy is None else hashlib.sha256(
            np.ascontiguousarray(getattr(p.proxy, "values", np.zeros(0)), dtype=np.float64).tobytes()).hexdigest()
            for p in targets],
    }
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]
