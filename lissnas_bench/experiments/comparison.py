"""``ComparisonConfig``: every method once, by name, with parameters, on one or more targets at the same budgets;
the front-end of ``compare``, ``demo`` and the notebooks.  It builds the one ``Experiment`` the engine runs.

>>> cfg = ComparisonConfig(targets=(Target("analognas"),), methods=("lissnas", "random"), seeds=2, budget=300)
>>> exp = cfg.experiment()
>>> [v.label for v in exp.shrinkers], exp.seeds, exp.reference.label
(['lissnas', 'random'], (0, 1), 'lissnas')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .._params import as_float, as_int, jsonable
from ..errors import InvalidConfig, UnknownName
from .config import (DEFAULT_BUDGET, DEFAULT_Q, DEFAULT_SEEDS, FULL, MAX_SEEDS, REFERENCE_METHOD, Experiment, Target,
                     Variant, _target_dict, budget_list, check_q, default_reference, order_methods, variant)


@dataclass(frozen=True)
class ComparisonConfig:
    """A comparison: every method × seed on one or more targets at the same query budget.

    ``methods`` defaults to every registered shrinker; ``params`` maps a method to its parameters, e.g.
    ``{"lissnas": {"k": 5, "radius": 2}}`` (strings such as ``"5"`` are accepted, as from the CLI).  ``search``
    names optimizers (``"rs,re,ls"``) that search each shrunk space after the shrink, up to ``search_budget``
    distinct queries per cell in total, the shrinker's included (default ``2 × budget``); a ``full``
    pseudo-method searches the whole space with the same total.
    """

    targets: tuple[Target, ...]
    methods: tuple[str, ...] | None = None
    seeds: int = DEFAULT_SEEDS
    root_seed: int = 0
    budget: int | tuple[int, ...] = DEFAULT_BUDGET  #: one budget, or several (each a cell coordinate)
    q: float = DEFAULT_Q
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    search: tuple[str, ...] = ()
    search_budget: int | None = None
    #: the method the others are tested against (default lissnas when compared, else the first)
    reference: str | None = None
    #: simulated training seconds per cell in total for the searches (None: queries only)
    time_budget: float | None = None

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 - frozen dataclass
        set_("targets", _targets(self.targets))
        set_("methods", _names(self.methods, "methods", "shrinker"))
        set_("seeds", as_int(self.seeds, "seeds", ge=1, le=MAX_SEEDS))
        set_("root_seed", as_int(self.root_seed, "root_seed", ge=0))
        b = budget_list(self.budget)
        set_("budget", b[0] if len(b) == 1 else b)
        set_("q", check_q(self.q))
        if not isinstance(self.params, Mapping):
            raise InvalidConfig(f"params must map a method to its parameters, got {self.params!r}")
        params = {}
        for m, p in self.params.items():
            if not isinstance(p, Mapping):
                raise InvalidConfig(f"params[{m!r}] must be a mapping of parameter names to values, got {p!r}")
            if self.methods is not None and m not in self.methods:
                raise InvalidConfig(f"parameters given for method {m!r}, which is not compared "
                                    f"({', '.join(self.methods)})")
            params[str(m)] = dict(p)
        set_("params", params)
        set_("search", _names(self.search, "search", "optimizer") or ())
        if self.reference is not None and self.methods is not None and self.reference not in self.methods:
            raise InvalidConfig(f"the reference method {self.reference!r} is not compared ({', '.join(self.methods)})")
        self._check_search_budget()

    def _check_search_budget(self) -> None:
        sb = self.search_budget
        if self.time_budget is not None:
            if not self.search:
                raise InvalidConfig(f"a time budget ({self.time_budget}) is given but no search optimizer: add "
                                    "--search rs,re,ls (search=...), or drop the time budget")
            object.__setattr__(self, "time_budget", as_float(self.time_budget, "time_budget", gt=0))
        if not self.search:
            if sb is not None:
                raise InvalidConfig(f"a search budget ({sb}) is given but no search optimizer: add --search rs,re,ls "
                                    "(search=...), or drop the search budget")
            return
        top = max(self.budgets)
        sb = 2 * top if sb is None else as_int(sb, "search_budget", ge=1)
        if sb < top:
            raise InvalidConfig(
                f"search budget {sb} < budget {top}: the search budget is the total per cell, the "
                f"shrinker's queries included (--search-budget, default 2 × the largest --budget)")
        object.__setattr__(self, "search_budget", sb)

    @property
    def budgets(self) -> tuple[int, ...]:
        return budget_list(self.budget)

    def experiment(self) -> Experiment:
        """The ``Experiment`` this comparison runs (shrinkers validated with their parameters)."""
        from ..search import default_checkpoints
        from ..shrinkers import available_shrinkers

        known = available_shrinkers()
        methods = self.methods if self.methods is not None else tuple(order_methods(known))
        for m in methods:
            if m not in known:
                raise UnknownName("method", m, known)
        shrinkers = tuple(variant(m, self.params.get(m), label=m) for m in methods)
        optimizers = tuple(variant(o, kind="optimizer") for o in self.search)
        if optimizers:
            shrinkers += (Variant(FULL, (), FULL),)
        reference = None
        if any(v.method != FULL and v.build().needs_reference and not _own_size(v) for v in shrinkers):
            if REFERENCE_METHOD not in methods:
                need = [v.method for v in shrinkers if v.method != FULL and v.build().needs_reference]
                raise InvalidConfig(
                    f"{', '.join(need)} {'is' if len(need) == 1 else 'are'} size-matched to {REFERENCE_METHOD}'s "
                    f"result in the same cell: add {REFERENCE_METHOD} to the methods, or give "
                    f"{'it' if len(need) == 1 else 'each'} a size (e.g. --param random.size=500)")
            reference = default_reference(shrinkers)
        return Experiment(
            targets=self.targets, shrinkers=shrinkers, seeds=tuple(range(self.seeds)), root_seed=self.root_seed,
            budgets=self.budgets, q=self.q, optimizers=optimizers, search_budget=self.search_budget,
            regret_at=tuple(default_checkpoints(self.search_budget)) if optimizers else (), reference=reference,
            compare_to=self.reference, time_budget=self.time_budget)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["targets"] = [_target_dict(t) for t in self.targets]
        d["methods"] = list(self.methods) if self.methods is not None else None
        if self.reference is None:
            d.pop("reference")
        if self.time_budget is None:
            d.pop("time_budget")
        if self.search:
            d["search"] = list(self.search)
        else:
            d.pop("search")
            d.pop("search_budget")
        return jsonable(d)

    @classmethod
    def from_dict(cls, d: Mapping) -> ComparisonConfig:
        d = dict(d)
        d["targets"] = tuple(Target(**t) for t in d.get("targets", ()))
        for k in ("methods", "search", "budget"):
            if isinstance(d.get(k), list):
                d[k] = tuple(d[k])
        return cls(**d)


#: parameters with which a size-matched baseline brings its own size (then it needs no reference)
_OWN_SIZE_PARAMS = ("size", "target_size", "reference_size")


def _own_size(v: Variant) -> bool:
    return any(dict(v.params).get(k) is not None for k in _OWN_SIZE_PARAMS)


def _targets(targets) -> tuple[Target, ...]:
    if isinstance(targets, (Target, str)):
        targets = (targets,)
    try:
        out = tuple(t if isinstance(t, Target) else Target(str(t)) for t in targets)
    except TypeError:
        raise InvalidConfig(f"targets must be a sequence of Target (or benchmark ids), got {targets!r}") from None
    if not out:
        raise InvalidConfig("targets is empty: name at least one benchmark")
    seen = set()
    for t in out:
        k = (t.benchmark, t.dataset, t.metric)
        if k in seen:
            raise InvalidConfig(f"target {t.benchmark}/{t.dataset}/{t.metric} is listed twice")
        seen.add(k)
    return out


def _names(value, field: str, kind: str) -> tuple[str, ...] | None:
    """A tuple of method names from a tuple or ``"a,b"``; ``None`` stays ``None``; names checked."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [p.strip() for p in value.split(",") if p.strip()]
    if not isinstance(value, (tuple, list)):
        raise InvalidConfig(f"{field} must name {kind}s (e.g. ('rs', 're')), got {value!r}")
    names = tuple(str(v).strip() for v in value)
    if kind == "shrinker" and not names:
        raise InvalidConfig(f"{field} is empty: name at least one shrinker")
    if kind == "optimizer":
        from ..search import available_optimizers

        known = available_optimizers()
        for n in names:
            if n not in known:
                raise UnknownName("optimizer", n, known)
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise InvalidConfig(f"{'optimizer' if kind == 'optimizer' else 'method'} {dup!r} is listed twice"
                            + (" in search" if kind == "optimizer" else ""))
    return names
