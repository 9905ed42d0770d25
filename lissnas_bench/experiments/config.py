"""What an experiment is: targets × shrinker variants × seeds, optionally followed by searches; plain data.

Two front-ends build the one ``Experiment`` the engine runs:

* ``ComparisonConfig`` (``comparison.py``: ``compare``, ``demo``, notebooks): every method once, by name, with
  parameters; ``search=("rs", "re")`` adds the optimizers and the ``full`` pseudo-shrinker (search the whole space).
* ``load_config`` (``run CONFIG.yaml``, ``sweep_config.py``): parameter grids, labels, explicit seed lists.

>>> exp = Experiment(targets=(Target("analognas"),), shrinkers=(variant("lissnas"), variant("random")), seeds=(0, 1))
>>> [v.label for v in exp.shrinkers], exp.budgets
(['lissnas', 'random'], (1000,))
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from .._params import as_float, as_int, jsonable
from ..errors import InvalidConfig

#: queries every method may spend in one cell unless the configuration says otherwise
DEFAULT_BUDGET = 1000
DEFAULT_SEEDS = 10
DEFAULT_Q = 0.01
#: the most seeds a count may ask for (a run that large is refused long before by ``plan.estimate``; this bound
#: keeps the seed list itself from exhausting the memory before that check)
MAX_SEEDS = 1_000_000
#: the method whose |S'| the size-matched baselines copy (by default)
REFERENCE_METHOD = "lissnas"
#: the pseudo-shrinker "no shrinking": the optimizers search the whole space with the same total budget
FULL = "full"
#: anytime-curve points kept per curve (evenly spaced in 1..search_budget, plus the checkpoints)
CURVE_POINTS = 200
#: the default order of methods in a comparison (and in tables and legends)
METHOD_ORDER = ("lissnas", "op-pruning", "top-samples", "single-region", "random")


def budget_list(value, name: str = "budget") -> tuple[int, ...]:
    """Budgets as a sorted tuple of distinct positive integers, from an int, a sequence or ``"200,500,1000"``.

    >>> budget_list("1000, 200,500")
    (200, 500, 1000)
    """
    if isinstance(value, str):
        value = [p for p in (s.strip() for s in value.split(",")) if p]
    if not isinstance(value, (list, tuple)):
        value = [value]
    if not value:
        raise InvalidConfig(f"{name} names no budget: give a positive integer, or several separated by commas")
    out = [as_int(v, name, ge=1) for v in value]
    dup = next((b for b in out if out.count(b) > 1), None)
    if dup is not None:
        raise InvalidConfig(f"{name} lists {dup} twice")
    return tuple(sorted(out))


def check_q(q) -> float:
    """The top fraction q as a float in (0, 1), else one clear ``InvalidConfig``."""
    try:
        v = as_float(q, "q") if not isinstance(q, bool) else None
    except InvalidConfig:
        v = None
    if v is None or not 0.0 < v < 1.0:
        raise InvalidConfig(f"q must be in (0, 1) (the top fraction of the space, e.g. 0.01), got {q!r}")
    return v


def order_methods(names) -> list[str]:
    """Methods in the project's canonical order; others after, alphabetically.

    >>> order_methods(["random", "x", "lissnas"])
    ['lissnas', 'random', 'x']
    """
    names = list(dict.fromkeys(names))
    return [m for m in METHOD_ORDER if m in names] + sorted(n for n in names if n not in METHOD_ORDER)


@dataclass(frozen=True)
class Target:
    """One (benchmark, dataset, metric) to shrink, with an optional proxy to rank against f.

    ``benchmark`` is an id (``analognas``, ``nasbench-graph``, an imported id) or a table path; a table also needs
    ``space`` and ``arch_column`` (and optionally ``cost_column``), exactly as ``load_benchmark`` does.
    ``metric`` is the truth that judges the results; ``query_metric`` what the oracle answers (default: the
    benchmark's natural pairing; the rules are in ``experiments/protocol.py``); ``restrict_domain`` restricts the
    domain to the architectures both have; ``cost`` what one query costs in simulated seconds, a column or a
    formula such as ``12*train-per-time`` (default: the cost column of the query's fidelity, ``experiments/cost.py``).
    """

    benchmark: str
    dataset: str | None = None
    metric: str | None = None
    proxy: str | None = None
    space: str | None = None
    arch_column: str | None = None
    cost_column: str | None = None
    query_metric: str | None = None
    restrict_domain: bool = False
    cost: str | None = None

    def __post_init__(self):
        if not isinstance(self.benchmark, (str, os.PathLike)) or not str(self.benchmark):
            raise InvalidConfig(f"target.benchmark must be a benchmark id or a table path, got {self.benchmark!r}")
        object.__setattr__(self, "benchmark", str(self.benchmark))
        for name in ("dataset", "metric", "proxy", "space", "arch_column", "cost_column", "query_metric", "cost"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, str):
                raise InvalidConfig(f"target.{name} must be a string or None, got {v!r}")
        if not isinstance(self.restrict_domain, bool):
            raise InvalidConfig(f"target.restrict_domain must be true or false, got {self.restrict_domain!r}")

    def source(self) -> dict:
        """What ``load_benchmark`` needs to open the benchmark again (in a worker)."""
        return {"benchmark": self.benchmark, "space": self.space, "arch_column": self.arch_column,
                "cost_column": self.cost_column}


@dataclass(frozen=True)
class Variant:
    """One shrinker or optimizer: its method, every parameter it runs with (defaults filled in) and a label."""

    method: str
    params: tuple[tuple[str, Any], ...]
    label: str

    def to_dict(self) -> dict:
        return {"method": self.method, "params": dict(self.params), "label": self.label}

    @classmethod
    def from_dict(cls, d: Mapping) -> Variant:
        return cls(d["method"], tuple(sorted(dict(d["params"]).items())), d["label"])

    def build(self):
        """The configured shrinker (or optimizer) object."""
        if self.method == FULL:
            return None
        return _factory(self.kind)(self.method, **dict(self.params))

    @property
    def kind(self) -> str:
        from ..search import available_optimizers

        return "optimizer" if self.method in available_optimizers() else "shrinker"


def _factory(kind: str):
    if kind == "optimizer":
        from ..search import get_optimizer

        return get_optimizer
    from ..shrinkers import get_shrinker

    return get_shrinker


def variant(method: str, given: Mapping | None = None, label: str | None = None, *, kind: str = "shrinker") -> Variant:
    """A validated variant: builds the object (``UnknownName`` / ``InvalidConfig`` for bad names or values) and
    records every parameter with its default filled in; the label defaults to ``method(key=value, ...)`` of the
    parameters given."""
    given = dict(given or {})
    if method == FULL:
        if given:
            raise InvalidConfig(f"'{FULL}' (search the full space) takes no parameters")
        return Variant(FULL, (), label or FULL)
    obj = _factory(kind)(method, **given)
    params = tuple(sorted(jsonable(obj.param_dict()).items()))
    if label is None:
        label = method if not given else method + "(" + ",".join(f"{k}={_fmt(v)}" for k, v in given.items()) + ")"
    return Variant(method, params, label)


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


@dataclass(frozen=True)
class Experiment:
    """Everything that determines an experiment's numbers (not where it runs or writes).

    ``budgets``: the shrink budgets (distinct queries a shrinker may spend per cell), each a cell coordinate like the
    seed; ``search_budget``: distinct queries per cell in total when ``optimizers`` search each S' (the shrinker's
    included); ``time_budget``: simulated training seconds per cell in total (the shrinker's included), a second
    stopping rule for the searches, whichever binds first; ``regret_at``: the query counts the result columns report; ``reference``: the variant whose |S'|
    and spend the size-matched baselines copy.
    """

    targets: tuple[Target, ...]
    shrinkers: tuple[Variant, ...]
    seeds: tuple[int, ...]
    root_seed: int = 0
    budgets: tuple[int, ...] = (DEFAULT_BUDGET,)
    q: float = DEFAULT_Q
    optimizers: tuple[Variant, ...] = ()
    search_budget: int | None = None
    regret_at: tuple[int, ...] = ()
    curve_points: int = CURVE_POINTS
    reference: Variant | None = None
    time_budget: float | None = None
    #: the method every other is tested against (label); default: the size-matching reference, else lissnas
    compare_to: str | None = None
    name: str = ""
    description: str = ""

    def __post_init__(self):
        if not self.targets:
            raise InvalidConfig("targets is empty: name at least one benchmark")
        if not self.shrinkers:
            raise InvalidConfig("shrinkers is empty: name at least one method")
        labels = [v.label for v in self.shrinkers]
        dup = next((x for x in labels if labels.count(x) > 1), None)
        if dup is not None:
            raise InvalidConfig(f"method {dup!r} is listed twice")
        if self.optimizers and self.search_budget is None:
            raise InvalidConfig("optimizers need a search budget")
        if self.time_budget is not None:
            if not self.optimizers:
                raise InvalidConfig("a time budget stops searches: name optimizers (search=..., optimizers:)")
            object.__setattr__(self, "time_budget", as_float(self.time_budget, "time_budget", gt=0))
        object.__setattr__(self, "budgets", budget_list(self.budgets))
        if self.compare_to is not None and self.compare_to not in labels:
            raise InvalidConfig(f"the reference method {self.compare_to!r} is not compared; accepted: "
                                f"{', '.join(x for x in labels if x != FULL)}")
        if self.optimizers and self.search_budget < max(self.budgets):
            raise InvalidConfig(f"search budget {self.search_budget} < budget {max(self.budgets)}: the search budget "
                                "is the total per cell, the shrinker's queries included")

    @property
    def statistics_reference(self) -> str:
        """The label every other method is tested against (and drawn under in figures)."""
        labels = [v.label for v in self.shrinkers if v.method != FULL]
        if self.compare_to is not None:
            return self.compare_to
        if self.reference is not None and self.reference.label in labels:
            return self.reference.label
        return REFERENCE_METHOD if REFERENCE_METHOD in labels else labels[0]

    @property
    def budget(self) -> int:
        """The largest shrink budget."""
        return max(self.budgets)

    @property
    def needs_reference(self) -> bool:
        return any(v.method != FULL and v.build().needs_reference for v in self.shrinkers)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["targets"] = [_target_dict(t) for t in self.targets]
        if self.time_budget is None:  # an option left unset does not change the configuration's hash
            d.pop("time_budget")
        d["shrinkers"] = [v.to_dict() for v in self.shrinkers]
        d["optimizers"] = [v.to_dict() for v in self.optimizers]
        d["reference"] = self.reference.to_dict() if self.reference else None
        d["seeds"], d["regret_at"], d["budgets"] = list(self.seeds), list(self.regret_at), list(self.budgets)
        return jsonable(d)

    @classmethod
    def from_dict(cls, d: Mapping) -> Experiment:
        d = dict(d)
        d["targets"] = tuple(Target(**t) for t in d["targets"])
        d["shrinkers"] = tuple(Variant.from_dict(v) for v in d["shrinkers"])
        d["optimizers"] = tuple(Variant.from_dict(v) for v in d.get("optimizers") or ())
        d["reference"] = Variant.from_dict(d["reference"]) if d.get("reference") else None
        d["seeds"], d["regret_at"] = tuple(d["seeds"]), tuple(d.get("regret_at") or ())
        d["budgets"] = tuple(d["budgets"])
        return cls(**d)

    def replace(self, **changes) -> Experiment:
        return replace(self, **changes)


def _target_dict(t: Target) -> dict:
    d = asdict(t)
    if d["cost"] is None:  # as for time_budget: unset, it leaves the hash of older configurations alone
        d.pop("cost")
    return d


def default_reference(shrinkers: Sequence[Variant]) -> Variant:
    """The variant labelled ``lissnas`` when there is one, else LISSNAS with its defaults."""
    for v in shrinkers:
        if v.label == REFERENCE_METHOD and v.method == REFERENCE_METHOD:
            return v
    return variant(REFERENCE_METHOD)
