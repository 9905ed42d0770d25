"""The protocol of a target: what the oracle answers (the *query* metric) and what judges the result (the *truth*).

A real searcher never sees test accuracy.  So a target names both:

* ``metric``: the truth, a column of the benchmark or ``table:PATH:COLUMN`` (another table's column joined on the
  architecture);
* ``query_metric``: what shrinkers and optimizers are answered; by default the benchmark's natural pairing
  (NAS-Bench-Graph ``perf`` -> ``valid_perf``; imported NB201/NATS ``*-test-*`` -> ``x-valid-*``; NB101 ``test`` ->
  ``validation``; a user table: ``test`` -> ``valid``/``val``/``validation`` when such a column exists), else the
  truth itself, which every result then flags as ``oracle = truth: noise-free upper bound``.  It may be another
  metric (``valid_perf``), another dataset's (``metric:DATASET:NAME``), another table's (``table:PATH:COLUMN``), a
  CSV of scores (``csv:PATH``), ``truth`` (explicitly the upper bound), or ``trial:METRIC``: each architecture is
  answered with one of its per-seed trials (``METRIC/seedS`` or ``METRIC/runR`` columns), drawn once per cell
  from the cell's stream and the same on every repeat (NATS-Bench's random-trial querying).

Every architecture of the truth's domain must have a query answer (one clear error says how many do not, with an
example) unless ``restrict_domain`` restricts the domain to the architectures both have.

>>> import lissnas_bench as lb
>>> bench = lb.load_benchmark("nasbench-graph")
>>> natural_query(bench, "cora", "perf"), natural_query(lb.load_benchmark("analognas"), "cifar10", "baseline_accuracy")
('valid_perf', None)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidConfig, UnknownArchitecture, UnknownName

UPPER_BOUND = "oracle = truth: noise-free upper bound"
#: exact names paired with their validation counterpart
_EXACT = {"perf": "valid_perf"}
#: (pattern, replacement) tried in order on the truth's name; the first that names a metric of the dataset wins
_RULES = (("ori-test", "x-valid"), ("x-test", "x-valid"), ("test", "validation"), ("test", "valid"), ("test", "val"))
_JOINED = ("table:", "csv:")


def natural_query(bench, dataset: str, truth: str) -> str | None:
    """The query metric a searcher would see for ``truth`` on this benchmark, or ``None`` (only the truth)."""
    declared = (getattr(bench, "pairings", None) or {}).get(dataset, {}).get(truth)
    names = set(bench.metrics(dataset))
    if declared in names:
        return declared
    if truth in _EXACT and _EXACT[truth] in names:
        return _EXACT[truth]
    base, at, rest = truth.partition("@")
    for pat, rep in _RULES:
        if re.search(rf"(^|[-_]){re.escape(pat)}([-_]|$)", base):
            cand = re.sub(rf"(^|[-_]){re.escape(pat)}([-_]|$)", rf"\g<1>{rep}\g<2>", base, count=1) + at + rest
            if cand in names and cand != truth:
                return cand
    return None


def join_column(bench, dataset: str, spec: str) -> str:
    """Add ``table:PATH:COLUMN`` / ``csv:PATH`` as a column of ``bench`` (in this process) and return its name."""
    from ..evaluation import load_proxy

    if (dataset, spec) not in bench.columns:
        p = load_proxy(spec, bench, dataset, partial=True)
        bench.columns[(dataset, spec)] = np.asarray(p.values, dtype=np.float64)
        bench._domains.clear()
    return spec


@dataclass
class Protocol:
    """A target's resolved protocol: the truth column, what the oracle answers, and the shared domain."""

    dataset: str
    truth: str
    query: str  # a metric of the benchmark, or a spec (trial:..., metric:DS:NAME, table:..., csv:...)
    kind: str  # UPPER_BOUND, "query", "trial"
    column: str | None  # the benchmark column the oracle answers (None: ``values`` or drawn trials)
    values: np.ndarray | None  # the query's answers aligned with the rows (a joined table or another dataset)
    trials: np.ndarray | None  # (rows, trials) for trial:, NaN where a trial is missing
    maximize: bool  # the query's direction (the oracle answers it as a score, higher is better)
    domain: np.ndarray | None  # rows both the truth and the query have (None: a live surrogate, no rows)
    cost: np.ndarray | None = None  # simulated seconds of one query per row (cost.py); None: no training time
    cost_spec: str | None = None  # where the cost comes from (a column, or the formula)

    @property
    def upper_bound(self) -> bool:
        return self.kind == UPPER_BOUND

    def describe(self) -> str:
        if self.upper_bound:
            return f"query = truth = {self.truth} — {UPPER_BOUND}"
        what = "one noisy trial of " + self.query[len("trial:"):] if self.kind == "trial" else self.query
        return f"query {what}; truth {self.truth}"

    def digest(self) -> str:
        """A hash of the query's numbers (a joined file may change under the same spec)."""
        h = hashlib.sha256(self.query.encode())
        if self.cost_spec is not None:  # the formula's columns are covered by the data hash
            h.update(f"cost={self.cost_spec}".encode())
        for a in (self.values, self.trials, self.domain):  # a column is covered by the data hash
            if a is not None:
                h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    def oracle(self, bench, budget: int | None, rng: np.random.Generator | None = None):
        """A budgeted oracle answering this protocol's query (a ``trial:`` query draws its trials from ``rng``)."""
        from ..benchmarks import Oracle

        if self.column is not None:
            if self.domain is None:  # a live surrogate: no rows, its own accounting
                return Oracle(bench, self.dataset, self.column, budget)
            return Oracle(bench, self.dataset, self.column, budget, domain=self.domain, cost=self.cost)
        values = self.values if self.kind != "trial" else draw_trials(self.trials, rng)
        return Oracle(bench, self.dataset, None, budget, values=values, name=self.query, maximize=self.maximize,
                      domain=self.domain, cost=self.cost)


def draw_trials(trials: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One finite trial per row, uniformly among the row's finite trials (NaN where it has none)."""
    ok = np.isfinite(trials)
    n = ok.sum(axis=1)
    pick = np.floor(rng.random(len(trials)) * np.maximum(n, 1)).astype(np.int64)
    # the pick-th finite trial of each row: rank the finite ones
    rank = np.cumsum(ok, axis=1) - 1
    hit = ok & (rank == pick[:, None])
    out = np.where(hit, trials, 0.0).sum(axis=1)
    return np.where(n > 0, out, np.nan)


def _trial_columns(bench, dataset: str, metric: str) -> list[str]:
    pat = re.compile(re.escape(metric) + r"/(seed|run)\d+$")
    cols = [m for m in bench.metrics(dataset) if pat.match(m)]
    if not cols:
        raise UnknownName(f"per-trial column of {metric!r} (METRIC/seedS or METRIC/runR)", f"trial:{metric}",
                          [m for m in bench.metrics(dataset) if "/" in m][:20] or ["none in this benchmark"])
    return cols


def resolve(bench, dataset: str, truth: str, query: str | None, restrict_domain: bool = False,
            cost: str | None = None) -> Protocol:
    """The protocol of (dataset, truth) with query spec ``query`` (``None``: the natural pairing); ``cost`` is the
    cost formula of ``experiments/cost.py`` (``None``: the cost column of the query's fidelity)."""
    from dataclasses import replace

    from .cost import query_cost

    proto = _resolve(bench, dataset, truth, query, restrict_domain)
    if proto.domain is None:  # a live surrogate charges its own runtime model, per query, in its LiveOracle
        return proto
    c = query_cost(bench, dataset, proto.column if proto.column is not None else proto.query, cost)
    return replace(proto, cost=c.values, cost_spec=c.spec)


def _resolve(bench, dataset: str, truth: str, query: str | None, restrict_domain: bool) -> Protocol:
    from ..evaluation import load_proxy

    if getattr(bench, "live", False):
        return _live(bench, dataset, truth, query)
    t_dom = np.isfinite(bench.columns[(dataset, truth)])
    if query is None:
        query = natural_query(bench, dataset, truth) or "truth"
    column = values = trials = None
    if query == "truth" or query == truth:
        return Protocol(dataset, truth, truth, UPPER_BOUND, truth, None, None, _maximize(bench, dataset, truth),
                        t_dom)
    if query.startswith("trial:"):
        metric = bench.resolve(dataset, query[len("trial:"):])[1]
        trials = np.stack([bench.columns[(dataset, c)] for c in _trial_columns(bench, dataset, metric)], axis=1)
        have, kind, query, direction = np.isfinite(trials).any(axis=1), "trial", f"trial:{metric}", metric
    elif query in bench.metrics(dataset) or query in (getattr(bench, "aliases", None) or {}).get(dataset, {}):
        column = direction = query = bench.resolve(dataset, query)[1]
        have, kind = np.isfinite(bench.columns[(dataset, query)]), "query"
    else:
        values = load_proxy(query, bench, dataset, metric=truth, partial=True).values
        have, kind, direction = np.isfinite(values), "query", truth  # a joined score: the truth's direction
    missing = np.flatnonzero(t_dom & ~have)
    if len(missing) and not restrict_domain:
        example = bench.space.to_strings(bench.archs[missing[:1]])[0]
        raise UnknownArchitecture(
            f"the query metric {query!r} has no value for {len(missing)} of the {int(t_dom.sum())} architectures "
            f"with a {dataset}/{truth} value, e.g. {example}; give a query that covers them, or restrict the domain "
            "to the architectures both have (--restrict-domain, restrict_domain=True)")
    domain = t_dom & have
    if not domain.any():
        raise InvalidConfig(f"the query {query!r} and the truth {truth!r} share no architecture")
    return Protocol(dataset, truth, query, kind, column, values, trials, _maximize(bench, dataset, direction), domain)


def _live(bench, dataset: str, truth: str, query: str | None) -> Protocol:
    """A live surrogate answers any architecture: no rows, no domain mask; the query is one of its metrics."""
    if query is None or query in ("truth", truth):
        return Protocol(dataset, truth, truth, UPPER_BOUND, truth, None, None, _maximize(bench, dataset, truth), None)
    query = bench.resolve(dataset, query)[1]
    return Protocol(dataset, truth, query, "query", query, None, None, _maximize(bench, dataset, query), None)


def _maximize(bench, dataset: str, metric: str) -> bool:
    fn = getattr(bench, "maximize", None)
    return bool(fn(dataset, metric)) if callable(fn) else True


def is_joined(spec: str | None) -> bool:
    return isinstance(spec, str) and spec.startswith(_JOINED)
