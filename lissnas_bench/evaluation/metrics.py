"""``evaluate``: how good a shrunk space is, against the ground truth of a benchmark.

Definitions (with formulas, tie and rounding rules, and edge cases) are in docs/metrics.md; the names below are
the keys of the returned dict.  On a tabulated benchmark every statistic is exact: S' ∩ S is found by joining the
shrunk space's member keys with the keys the table stores (``_rows``; ``shrunk.contains`` on the rows where a kind
keeps no keys), and what depends only on S is computed once per benchmark.  Only a benchmark without rows (a
surrogate) falls back to Monte-Carlo.
"""

from __future__ import annotations

import math
import numbers
import weakref

import numpy as np

from ..errors import InvalidConfig, UnknownArchitecture
from ..spaces import as_rng
from . import _rows
from . import diversity as div
from . import registry
from .proxy import Proxy, load_proxy, rank_correlations

#: keys of ``evaluate``'s result, in order
METRIC_NAMES: tuple[str, ...] = (
    "size",
    "full_size",
    "log10_reduction",
    "estimate",
    "mc_samples",
    "mean",
    "mean_se",
    "median",
    "best",
    "regret",
    "q",
    "top_size",
    "recall",
    "precision",
    "enrichment",
    "concentration",
    "shrink_index",
    "coverage",
    "entropy",
    "pairwise_distance",
    "pockets",
    "good_pockets",
    "top_components_hit",
    "optima_kept",
)
#: keys added when a proxy is given
PROXY_METRIC_NAMES: tuple[str, ...] = (
    "proxy",
    "kendall_tau_shrunk",
    "kendall_tau_full",
    "spearman_shrunk",
    "spearman_full",
    "weighted_tau_shrunk",
    "weighted_tau_full",
    "proxy_n_shrunk",
    "proxy_n_full",
)
#: keys the comparison runner adds (documented in docs/metrics.md; not computed here)
COST_METRIC_NAMES: tuple[str, ...] = ("queries", "sim_seconds", "wall_seconds")

# Above this many members (Monte-Carlo path only) pockets are not counted: the neighbour lists get too large.
_POCKETS_MAX = 200_000
# q * |S| is rounded to this many decimals before the ceiling so that 0.1 * 100 gives 10, not 11.
_Q_DECIMALS = 9


def _check_q(q) -> float:
    if isinstance(q, bool) or not isinstance(q, numbers.Real) or not (0.0 < float(q) < 1.0):
        raise InvalidConfig(f"q must be a number strictly between 0 and 1 (a fraction, e.g. 0.01 for 1 %), got {q!r}")
    return float(q)


def _check_count(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidConfig(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def top_count(q: float, n: int) -> int:
    """``ceil(q * n)``, the number of architectures the top-q fraction of ``n`` asks for (before ties).

    >>> top_count(0.01, 15625), top_count(0.1, 100), top_count(0.01, 5)
    (157, 10, 1)
    """
    return int(math.ceil(round(q * n, _Q_DECIMALS))) if n else 0


def top_threshold(values: np.ndarray, q: float) -> float:
    """The value of the ``ceil(q n)``-th largest element: T_q = {x : f(x) >= threshold} (ties included)."""
    n = len(values)
    k = top_count(q, n)
    return float(np.partition(values, n - k)[n - k])


def _quality(recall: float, precision: float, q_eff: float) -> dict[str, float]:
    """enrichment, concentration and shrink_index from recall, precision and |T_q|/|S| (see docs/metrics.md)."""
    enrichment = precision / q_eff if q_eff > 0 else math.nan
    if q_eff >= 1 or enrichment != enrichment:
        concentration = math.nan
    elif enrichment <= 1:
        concentration = 0.0
    else:
        concentration = min(1.0, math.log(enrichment) / math.log(1.0 / q_eff))
    if recall == 0:
        index = 0.0  # nothing of T_q kept: the worst possible shrink, whatever the size
    elif recall != recall or concentration != concentration:
        index = math.nan
    else:
        index = math.sqrt(recall * concentration)
    return {
        "recall": float(recall),
        "precision": float(precision),
        "enrichment": float(enrichment),
        "concentration": float(concentration),
        "shrink_index": float(index),
    }


def _log10_reduction(full_size: int, size: int) -> float:
    if size <= 0 or full_size <= 0:
        return math.nan
    return float(math.log10(full_size / size))


def _distance_is_hamming(space) -> bool:
    """Whether ``space.distance`` is the Hamming distance of the canonical encoding (every built-in space)."""
    base = getattr(space, "base", space)
    name = getattr(type(base).distance, "__qualname__", "")
    return name in ("Space.distance", "GraphSpace.distance")


def _diversity(space, members: np.ndarray, available: np.ndarray, pairwise_samples: int, rng, *, exact_set: bool,
               keys: np.ndarray | None = None, pockets=None):
    counts = div.choice_counts(members, space.n_choices)
    n = len(members)
    if _distance_is_hamming(space):
        pairwise = div.mean_pairwise_hamming(counts, n)
    else:
        pairwise = div.sampled_pairwise_distance(space, members, pairwise_samples, rng)[0]
    return {
        "coverage": div.coverage(counts, available),
        "entropy": div.entropy(counts, available),
        "pairwise_distance": pairwise,
        "pockets": (pockets() if pockets is not None else div.count_pockets(space, members, keys=keys))
        if exact_set else math.nan,
    }


def _as_shrunk(shrunk, space):
    """Accept an ``(n, positions)`` array as an explicit set of architectures."""
    if isinstance(shrunk, (np.ndarray, list, tuple)):
        from ..spaces.shrunk import Explicit

        return Explicit(space, shrunk)
    if not hasattr(shrunk, "contains"):
        raise InvalidConfig(
            f"evaluate() needs a shrunk space (Pockets, Product, Explicit, a Space, or an array of architectures), "
            f"got {type(shrunk).__name__}"
        )
    sp = getattr(shrunk, "space", None)
    if sp is not None and getattr(sp, "name", None) != space.name:
        raise InvalidConfig(f"the shrunk space is in space {sp.name!r} but the benchmark is in {space.name!r}")
    return shrunk


# ---------------------------------------------------------------------------------------------------- evaluate
def evaluate(
    shrunk,
    benchmark,
    dataset: str | None = None,
    metric: str | None = None,
    *,
    q: float = 0.01,
    proxy=None,
    rng=None,
    mc_samples: int = 20_000,
    pairwise_samples: int = 2_000,
    full_space=None,
) -> dict[str, float | int | str]:
    """Metrics of the shrunk space ``shrunk`` against the ground truth ``benchmark[dataset, metric]``.

    ``shrunk`` is a ``Pockets``/``Product``/``Explicit`` space (anything with ``contains``), a ``Space``, or an
    ``(n, positions)`` array.  S, the full space, is the benchmark's rows with a finite value (restricted to
    ``full_space`` when given); S' is ``shrunk`` ∩ S.  A metric to minimise (``bench.maximize``) is honoured:
    the top set holds its lowest values and regret is the distance to the minimum.  ``proxy`` is a ``Proxy``, a spec for
    ``load_proxy`` or an array aligned with the benchmark's rows.  ``rng`` (Generator or int seed, default 0) is
    only used for Monte-Carlo estimates and sampled distances; on a tabulated benchmark the result is exact and
    deterministic.  Returns a flat dict with the keys ``METRIC_NAMES`` (+ ``PROXY_METRIC_NAMES`` with a proxy),
    defined in docs/metrics.md.

    >>> import lissnas_bench as lb, numpy as np
    >>> bench = lb.load_benchmark("analognas")
    >>> best = bench.archs[np.argsort(bench.column())[-100:]]     # an oracle-ish explicit set of 100
    >>> m = evaluate(best, bench, q=0.01)
    >>> m["size"], m["recall"], m["precision"], m["regret"]
    (100, 0.6369426751592356, 1.0, 0.0)
    """
    q = _check_q(q)
    mc_samples = _check_count("mc_samples", mc_samples, 1)
    pairwise_samples = _check_count("pairwise_samples", pairwise_samples, 2)
    rng = as_rng(0 if rng is None else rng)
    dataset, metric = benchmark.resolve(dataset, metric)
    shrunk = _as_shrunk(shrunk, benchmark.space)
    if getattr(benchmark, "archs", None) is None:
        if proxy is not None:
            raise InvalidConfig("a proxy needs a tabulated benchmark (one with rows); this one is a surrogate")
        return _evaluate_monte_carlo(
            shrunk, benchmark, dataset, metric, q, rng, mc_samples, pairwise_samples, full_space
        )
    return _evaluate_exact(shrunk, benchmark, dataset, metric, q, proxy, rng, pairwise_samples, full_space)


def _sign(bench, dataset, metric) -> float:
    fn = getattr(bench, "maximize", None)
    return 1.0 if not callable(fn) or fn(dataset, metric) else -1.0


def _evaluate_exact(shrunk, bench, dataset, metric, q, proxy, rng, pairwise_samples, full_space):
    sign = _sign(bench, dataset, metric)
    D = _rows.domain(bench, dataset, metric, q, sign, full_space, top_threshold)
    S_rows = D.S_rows
    member_rows = _rows.shrunk_rows(shrunk, bench, D.in_S, S_rows)
    fM = D.scores[member_rows]
    full_size, size = len(S_rows), len(member_rows)

    out: dict[str, float | int | str] = {
        "size": size,
        "full_size": full_size,
        "log10_reduction": _log10_reduction(full_size, size),
        "estimate": "exact",
        "mc_samples": 0,
    }
    if size:  # mean, median and best in the metric's own units; regret >= 0 whatever its direction
        out.update(mean=sign * float(fM.mean()), mean_se=0.0, median=sign * float(np.median(fM)),
                   best=sign * float(fM.max()))
        out["regret"] = float(D.best - fM.max())
    else:
        out.update(mean=math.nan, mean_se=math.nan, median=math.nan, best=math.nan, regret=math.nan)

    if full_size:
        top_size = len(D.top_rows)
        hits = int((fM >= D.threshold).sum())
        precision = hits / size if size else math.nan
        out.update(q=q, top_size=top_size, **_quality(hits / top_size, precision, top_size / full_size))
    else:
        out.update(q=q, top_size=0, recall=math.nan, precision=math.nan, enrichment=math.nan,
                   concentration=math.nan, shrink_index=math.nan)  # fmt: skip

    out.update(_diversity(bench.space, bench.archs[member_rows], D.available, pairwise_samples, rng,
                          exact_set=True, pockets=lambda: div.count_pockets_rows(bench, member_rows)))
    out.update(registry.compute(registry.EvalContext(bench, dataset, metric, q, D.scores, S_rows, member_rows,
                                                     D.top_rows, rng, D.key)))

    if proxy is not None:
        f_all = bench.columns[(dataset, metric)]
        out.update(_proxy_metrics(proxy, bench, dataset, metric, f_all, S_rows, member_rows, full_space))
    return out


# spec string -> loaded Proxy, so that evaluate(..., proxy="table:...") reads the table once per benchmark
_SPEC_CACHE: dict[tuple, tuple[weakref.ref, Proxy]] = {}
_SPEC_CACHE_MAX = 8


def _resolve_proxy(proxy, bench, dataset, metric) -> Proxy:
    if not isinstance(proxy, str):
        return load_proxy(proxy, bench, dataset, metric=metric)
    key = (id(bench), proxy, dataset, metric)
    hit = _SPEC_CACHE.get(key)
    if hit is not None and hit[0]() is bench:
        return hit[1]
    p = load_proxy(proxy, bench, dataset, metric=metric)
    if len(_SPEC_CACHE) >= _SPEC_CACHE_MAX:
        _SPEC_CACHE.pop(next(iter(_SPEC_CACHE)))
    _SPEC_CACHE[key] = (weakref.ref(bench), p)
    return p


def _proxy_metrics(proxy, bench, dataset, metric, f_all, S_rows, member_rows, full_space):
    p = _resolve_proxy(proxy, bench, dataset, metric)
    pm = p.values[member_rows]
    missing = ~np.isfinite(pm)
    if missing.any() and not p.partial:
        first = bench.space.to_strings(bench.archs[member_rows[np.flatnonzero(missing)[:1]]])[0]
        raise UnknownArchitecture(
            f"proxy {p.name!r} has no value for {int(missing.sum())} of the {len(member_rows)} architectures of "
            f"the shrunk space, e.g. {first}; give a proxy that covers them, or load it with "
            f"load_proxy(..., partial=True) to correlate over the covered ones"
        )
    shrunk_r = rank_correlations(pm, f_all[member_rows])
    # the full-space correlation does not depend on the shrunk space: computed once per (benchmark, column, S)
    key = (id(bench), dataset, metric, None if full_space is None else id(full_space), len(S_rows))
    full_r = p._cache.get(key)
    if full_r is None:
        full_r = p._cache[key] = rank_correlations(p.values[S_rows], f_all[S_rows])
    return {
        "proxy": p.name,
        "kendall_tau_shrunk": shrunk_r["kendall_tau"],
        "kendall_tau_full": full_r["kendall_tau"],
        "spearman_shrunk": shrunk_r["spearman"],
        "spearman_full": full_r["spearman"],
        "weighted_tau_shrunk": shrunk_r["weighted_tau"],
        "weighted_tau_full": full_r["weighted_tau"],
        "proxy_n_shrunk": int(shrunk_r["n"]),
        "proxy_n_full": int(full_r["n"]),
    }


def _evaluate_monte_carlo(shrunk, bench, dataset, metric, q, rng, mc_samples, pairwise_samples, full_space):
    """A benchmark without rows (a surrogate): sample S and S' (see docs/metrics.md, "Monte-Carlo")."""
    S = full_space if full_space is not None else bench.domain(dataset, metric)

    def values(archs):
        keep = np.asarray(S.contains(archs), dtype=bool)
        archs = archs[keep]
        f = np.asarray(bench.query(archs, dataset, metric), dtype=np.float64)
        ok = np.isfinite(f)
        return archs[ok], f[ok], len(keep)

    enumerable = bool(getattr(shrunk, "enumerable", False)) and int(shrunk.size) <= mc_samples
    if enumerable:
        A, fA, _ = values(shrunk.enumerate())
        size = len(A)
    else:
        A, fA, drawn = values(shrunk.sample(mc_samples, rng))
        size = int(round(int(shrunk.size) * len(A) / drawn)) if drawn else 0
    B, fB, _ = values(S.sample(mc_samples, rng))
    full_size = int(S.size)

    out: dict[str, float | int | str] = {
        "size": size,
        "full_size": full_size,
        "log10_reduction": _log10_reduction(full_size, size),
        "estimate": "monte-carlo",
        "mc_samples": int(mc_samples),
    }
    out.update(_mc_location(fA, fB, enumerable))
    out.update(_mc_quality(shrunk, S, A, fA, B, fB, size, full_size, q))
    out.update(_mc_diversity(shrunk, S, bench.space, A, B, pairwise_samples, rng, enumerable))
    out.update({k: math.nan for k in registry.registered_keys()})  # they need the true top-q set: unavailable
    return out


def _mc_location(fA: np.ndarray, fB: np.ndarray, enumerable: bool) -> dict[str, float]:
    """Mean (with its standard error), median, best and regret of the sampled shrunk space ``fA``."""
    if not len(fA):
        return dict(mean=math.nan, mean_se=math.nan, median=math.nan, best=math.nan, regret=math.nan)
    se = 0.0 if enumerable else (float(fA.std(ddof=1) / math.sqrt(len(fA))) if len(fA) > 1 else math.nan)
    best = float(fA.max())
    out = dict(mean=float(fA.mean()), mean_se=se, median=float(np.median(fA)), best=best)
    out["regret"] = float(max(fB.max(initial=-np.inf), best) - best)
    out["full_mean"] = float(fB.mean()) if len(fB) else math.nan  # the full space's mean, to compare with
    out["full_mean_se"] = float(fB.std(ddof=1) / math.sqrt(len(fB))) if len(fB) > 1 else math.nan
    return out


def _mc_quality(shrunk, S, A, fA, B, fB, size: int, full_size: int, q: float) -> dict:
    """Top-q recall, precision and the measures built on them, from the samples of S (``B``) and S' (``A``)."""
    if len(fB) and not getattr(S, "finite", True) and len(B) * size < full_size:
        # S cannot be enumerated (e.g. ~1e18 DARTS genotypes), so its top-q set is unknown, and S's sample is not
        # expected to hold a single member of S': estimates of recall and precision would be 0 by construction.
        out = dict(q=q, top_size=top_count(q, full_size), recall=math.nan, precision=math.nan, enrichment=math.nan,
                   concentration=math.nan, shrink_index=math.nan)  # fmt: skip
        out["unavailable"] = (f"recall, precision, enrichment, concentration, shrink_index: the top-q set of "
                              f"{full_size:.3g} architectures cannot be known, and a sample of {len(B):,} of them is "
                              f"not expected to meet the {size:,} of the shrunk space")
        return out
    if len(fB):
        t = top_threshold(fB, q)
        top_B = fB >= t
        q_eff = float(top_B.mean())
        recall = float(np.asarray(shrunk.contains(B[top_B]), dtype=bool).mean())
        precision = float((fA >= t).mean()) if len(fA) else math.nan
        return dict(q=q, top_size=int(round(q_eff * full_size)), **_quality(recall, precision, q_eff))
    return dict(q=q, top_size=0, recall=math.nan, precision=math.nan, enrichment=math.nan,
                concentration=math.nan, shrink_index=math.nan)  # fmt: skip


def _mc_diversity(shrunk, S, space, A, B, pairwise_samples: int, rng, enumerable: bool) -> dict:
    """Diversity of the sampled S', with the coverage and pockets made exact where the shrunk space allows."""
    available = (div.choice_counts(B, space.n_choices) > 0) | (div.choice_counts(A, space.n_choices) > 0)
    d = _diversity(space, A, available, pairwise_samples, rng, exact_set=enumerable)
    if hasattr(shrunk, "choice_mask"):  # exact even when S' cannot be enumerated
        mask = np.asarray(shrunk.choice_mask(), dtype=bool)
        width = available.shape[1]
        mask = np.pad(mask, ((0, 0), (0, max(0, width - mask.shape[1]))))[:, :width]
        d["coverage"] = float((mask & available).sum() / available.sum()) if available.any() else math.nan
    if not enumerable and getattr(shrunk, "enumerable", False) and int(shrunk.size) <= _POCKETS_MAX:
        members = shrunk.enumerate()
        d["pockets"] = div.count_pockets(space, members[np.asarray(S.contains(members), dtype=bool)])
    return d
