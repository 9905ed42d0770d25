"""``analyze_locality``: every locality measure of one (benchmark, dataset, metric), exact where possible."""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ..errors import InvalidConfig
from . import measures as M

log = logging.getLogger(__name__)

#: fractions q of the top sets used for neighbour enrichment
DEFAULT_TOP_FRACTIONS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
#: metric names containing one of these are treated as "lower is better" unless told otherwise
_LOWER_IS_BETTER = (
    "loss",
    "error",
    "latency",
    "time",
    "param",
    "para",
    "flops",
    "energy",
    "uncertainty",
    "memory",
    "cost",
    "size",
)
#: exact mode: at most this many rows, and at most this many element operations for the pair sums
EXACT_MAX_ROWS = 200_000
EXACT_BUDGET = 4e9
#: default number of steps of every walk (exact mode walks on the precomputed graph, so they are cheap)
EXACT_WALK_LENGTH = 500
SAMPLED_WALK_LENGTH = 20
_BOOTSTRAP_FDC_MAX_ROWS = 20_000  # beyond: Fisher z interval (the bootstrap would cost seconds)


def infer_maximize(metric: str) -> bool:
    """True unless the metric name says lower is better (loss, error, latency, params, ...).

    >>> infer_maximize("valid-accuracy"), infer_maximize("latency"), infer_maximize("train-loss")
    (True, False, False)
    """
    m = metric.lower()
    return not any(h in m for h in _LOWER_IS_BETTER)


@dataclass(frozen=True)
class LocalitySettings:
    """The analysis settings, validated; stored with every result."""

    max_distance: int
    samples: int
    distance: str
    mode: str
    walks: int
    walk_length: int
    permutations: int
    bootstrap: int
    confidence: float
    top_fractions: tuple[float, ...]
    maximize: bool
    ged_timeout: float
    permutation_pairs: int
    seed: int | None


@dataclass
class LocalityResult:
    """Everything ``analyze_locality`` measured.  ``to_dict()`` is what ``locality.json`` holds.

    Lists indexed by distance or lag start at 1: ``mean_abs_diff_by_distance[0]`` is d = 1.
    """

    benchmark: str
    space: str
    dataset: str
    metric: str
    direction: str
    mode: str
    distance: str
    architectures: int
    space_size: int
    settings: LocalitySettings
    distances: list[int]
    mean_abs_diff_by_distance: list[float]
    mean_abs_diff_ci: list[list[float]]
    mean_sq_diff_by_distance: list[float]
    pairs_by_distance: list[float]
    abs_diff_quantiles_by_distance: list[dict | None]
    random_pair_mean_abs_diff: float
    random_pair_mean_abs_diff_ci: list[float]
    random_pair_mean_sq_diff: float
    random_pair_abs_diff_quantiles: dict | None
    correlation_by_distance: list[float]
    correlation_ci: list[list[float]]
    rwa_by_lag: list[float]
    rwa_method: str
    rwa_by_lag_walks: list[float]
    rwa_walks_ci: list[list[float]]
    correlation_length: float
    correlation_length_walks: float
    fdc: float
    fdc_ci: list[float]
    fdc_method: str
    global_optimum: dict
    enrichment: list[dict]
    local_optima: float
    local_optima_chance: float
    local_optima_detail: dict
    p_value: float
    permutation_test: dict
    neighbour_pairs: int
    isolated: int
    notes: list[str] = field(default_factory=list)
    ged: dict | None = None
    #: arrays for the figures (not part of ``to_dict``)
    plot_data: dict = field(default_factory=dict, repr=False)
    #: seconds per stage (not part of ``to_dict``, so equal seeds give equal JSON)
    timings: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("plot_data", "timings", "settings")}
        d["settings"] = asdict(self.settings)
        d["settings"]["top_fractions"] = list(self.settings.top_fractions)
        return _clean(d)

    @property
    def label(self) -> str:
        return f"{self.benchmark}:{self.dataset}:{self.metric}"

    def summary_line(self) -> str:
        r = (
            self.mean_abs_diff_by_distance[0] / self.random_pair_mean_abs_diff
            if self.random_pair_mean_abs_diff
            else math.nan
        )
        return (
            f"{self.label}: |Δf| at d=1 is {r:.0%} of random pairs, corr(d=1) {self.correlation_by_distance[0]:.3f}, "
            f"RWA(1) {self.rwa_by_lag[0]:.3f}, corr. length {self.correlation_length:.2f}, FDC {self.fdc:.3f}, "
            f"{_fmt_count(self.local_optima)} local optima, p = {self.p_value:.3g}"
        )


def _fmt_count(x) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"~{x:.0f}"


def _clean(o):
    """JSON-safe: numpy scalars to Python, NaN/inf to None."""
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, np.ndarray):
        return _clean(o.tolist())
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (float, np.floating)):
        v = float(o)
        return v if math.isfinite(v) else None
    return o


def _f(x) -> float:
    return float(x) if x is not None else math.nan


# ---------------------------------------------------------------------------------------------- landscape


class _Landscape:
    """The rows of a benchmark that have a value, and neighbour look-ups restricted to them."""

    def __init__(self, bench, dataset, metric):
        col = bench.columns[(dataset, metric)]
        ok = np.isfinite(col)
        self.bench = bench
        self.space = bench.space
        self.rows = np.flatnonzero(ok)
        self.A = bench.archs[self.rows]
        self.f = np.asarray(col[self.rows], np.float64)
        self.n = len(self.rows)
        self.pos_of_row = np.full(len(bench), -1, np.int64)
        self.pos_of_row[self.rows] = np.arange(self.n)
        self.n_choices = np.asarray(self.space.n_choices, np.int64)

    def neighbours(self, pos: np.ndarray, chunk: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
        """Radius-1 neighbours of the rows at ``pos`` that have a value: ``(index into pos, neighbour pos)``."""
        srcs, dsts = [], []
        for s in range(0, len(pos), chunk):
            nb, src = self.space.neighbours(self.A[pos[s : s + chunk]], 1)
            if not len(nb):
                continue
            r = self.bench.rows(nb, missing="mask")
            p = np.where(r >= 0, self.pos_of_row[np.clip(r, 0, None)], -1)
            keep = p >= 0
            srcs.append(src[keep].astype(np.int64) + s)
            dsts.append(p[keep])
        if not srcs:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(srcs), np.concatenate(dsts)

    def graph(self) -> M.NeighbourGraph:
        src, dst = self.neighbours(np.arange(self.n))
        return M.graph_from_edges(src, dst, self.n)

    def partners(self, src: np.ndarray, K: int, rng: np.random.Generator, tries: int = 30) -> np.ndarray:
        """For each source one partner at Hamming distance d = 1..K: change d distinct positions, each to a
        uniformly drawn other choice, and retry where the result is not a tabulated canonical architecture.

        In a full product space with equal choice counts this is uniform over the partners at distance d.  Sources
        left without a partner after ``tries`` rounds fall back to a uniform draw among all rows at distance d when
        the table is small enough, else stay -1.  Returns ``(len(src), K)`` positions.
        """
        keep = np.flatnonzero(self.n_choices > 1)
        k = self.n_choices[keep]
        P = len(keep)
        out = np.full((len(src), K), -1, np.int64)
        for d in range(1, min(K, P) + 1):
            todo = np.arange(len(src))
            for _ in range(tries):
                if not len(todo):
                    break
                m = len(todo)
                x = self.A[src[todo]].astype(np.int16)
                pos = np.argsort(rng.random((m, P)), axis=1)[:, :d]
                r = np.arange(m)[:, None]
                x[r, keep[pos]] = (x[r, keep[pos]] + rng.integers(1, k[pos])) % k[pos]
                x = x.astype(self.A.dtype)
                ok = self.space.contains(x)
                p = np.full(m, -1, np.int64)
                if ok.any():
                    rows = self.bench.rows(x[ok], missing="mask")
                    p[ok] = np.where(rows >= 0, self.pos_of_row[np.clip(rows, 0, None)], -1)
                good = p >= 0
                out[todo[good], d - 1] = p[good]
                todo = todo[~good]
        miss = np.flatnonzero((out < 0).any(axis=1))
        if len(miss) and self.n <= 50_000:
            alt = M.sample_pairs_at_distance(self.A, self.n_choices, K, src[miss], rng)
            out[miss] = np.where(out[miss] < 0, alt, out[miss])
        return out

    def hamming(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        keep = self.n_choices > 1
        return (self.A[i][:, keep] != self.A[j][:, keep]).sum(axis=1)


# ---------------------------------------------------------------------------------------------- validation


def _settings(
    space,
    metric,
    *,
    max_distance,
    samples,
    distance,
    mode,
    walks,
    walk_length,
    permutations,
    bootstrap,
    confidence,
    top_fractions,
    maximize,
    ged_timeout,
    permutation_pairs,
    seed,
) -> LocalitySettings:
    if distance not in ("hamming", "ged"):
        raise InvalidConfig(f"distance must be 'hamming' or 'ged', got {distance!r}")
    if mode not in ("auto", "exact", "sampled"):
        raise InvalidConfig(f"mode must be 'auto', 'exact' or 'sampled', got {mode!r}")
    if distance == "ged":
        from .ged import GED_SPACES, max_ged, to_graph

        if getattr(space, "base", space).name not in GED_SPACES:
            to_graph(space, None)  # raises the InvalidConfig naming the supported spaces
        limit, what = max_ged(space), "the largest possible graph edit distance"
    else:
        limit, what = int(space.diameter), "the space's diameter (positions with more than one choice)"
    if max_distance is None:
        max_distance = min(6, limit)
    if isinstance(max_distance, bool) or int(max_distance) != max_distance:
        raise InvalidConfig(f"max_distance must be an integer, got {max_distance!r}")
    max_distance = int(max_distance)
    if max_distance < 1:
        raise InvalidConfig(f"max_distance must be >= 1, got {max_distance}")
    if max_distance > limit:
        raise InvalidConfig(
            f"max_distance {max_distance} is beyond {space.name}'s largest {distance} distance {limit} ({what})"
        )
    samples = int(samples)
    if samples <= 1:
        raise InvalidConfig(f"samples must be >= 2 (pairs per distance), got {samples}")
    for name, v, lo in (
        ("walks", walks, 1),
        ("permutations", permutations, 0),
        ("bootstrap", bootstrap, 0),
        ("permutation_pairs", permutation_pairs, 2),
    ):
        if int(v) < lo:
            raise InvalidConfig(f"{name} must be >= {lo}, got {v}")
    if walk_length is not None and int(walk_length) < max_distance + 1:
        raise InvalidConfig(
            f"walk_length must be > max_distance ({max_distance}) to estimate lags 1..{max_distance}, got {walk_length}"
        )
    if not 0.5 <= float(confidence) < 1:
        raise InvalidConfig(f"confidence must be in [0.5, 1), got {confidence}")
    tops = tuple(float(q) for q in top_fractions)
    if not tops or any(not 0 < q < 1 for q in tops):
        raise InvalidConfig(f"top_fractions must be in (0, 1), got {list(top_fractions)}")
    if float(ged_timeout) <= 0:
        raise InvalidConfig(f"ged_timeout must be > 0 seconds, got {ged_timeout}")
    if maximize is None:
        maximize = infer_maximize(metric)
    return LocalitySettings(
        max_distance,
        samples,
        distance,
        mode,
        int(walks),
        int(walk_length) if walk_length is not None else 0,
        int(permutations),
        int(bootstrap),
        float(confidence),
        tops,
        bool(maximize),
        float(ged_timeout),
        int(permutation_pairs),
        seed,
    )


def _choose_mode(L: _Landscape, st: LocalitySettings) -> tuple[str, str]:
    P = int(np.sum(L.n_choices > 1))
    K = min(st.max_distance, P)
    sub = M.subset_method_cost(L.n, P, K, L.n_choices)
    pair = M.pairwise_method_cost(L.n, P, K)
    method = "subset-sort" if sub is not None and sub <= pair else "pairwise"
    # with GED the exact part is the neighbour graph only (the distance curves are sampled either way)
    cost = 0.0 if st.distance == "ged" else min(c for c in (sub, pair) if c is not None)
    feasible = L.n <= EXACT_MAX_ROWS and cost <= EXACT_BUDGET
    if st.mode == "exact" and not feasible:
        raise InvalidConfig(
            f"exact analysis of {L.n:,} architectures is too expensive (about {cost:.2g} operations, "
            f"limit {EXACT_BUDGET:.0g}, at most {EXACT_MAX_ROWS:,} rows); use mode 'sampled'"
        )
    if st.mode == "sampled" or (st.mode == "auto" and not feasible):
        return "sampled", method
    return "exact", method


# ---------------------------------------------------------------------------------------------- entry point


def analyze_locality(
    bench,
    dataset: str | None = None,
    metric: str | None = None,
    *,
    max_distance: int | None = None,
    samples: int = 1000,
    rng: int | np.random.Generator | None = 0,
    distance: str = "hamming",
    mode: str = "auto",
    walks: int = 100,
    walk_length: int | None = None,
    permutations: int = 999,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    top_fractions=DEFAULT_TOP_FRACTIONS,
    maximize: bool | None = None,
    ged_timeout: float = 1.0,
    permutation_pairs: int = 20_000,
    ged_cache=None,
    space: str | None = None,
    arch_column: str | None = None,
) -> LocalityResult:
    """Locality of a benchmark's landscape: do structurally similar architectures perform similarly?

    ``bench`` is a ``Benchmark`` or anything ``load_benchmark`` accepts.  ``mode='auto'`` is exact (all pairs of
    tabulated architectures, the whole neighbour graph) when that is affordable and sampled otherwise;
    ``samples`` is the number of pairs per distance drawn for distributions (exact mode) or for every estimate
    (sampled mode).  ``rng`` (an int seed or a ``numpy.random.Generator``) drives every random choice; equal
    seeds give equal results.  See ``docs/locality.md`` for the definitions.

    >>> res = analyze_locality("analognas", max_distance=3, permutations=99, bootstrap=100, rng=0)
    >>> res.mode, len(res.mean_abs_diff_by_distance), res.local_optima > 0, res.p_value < 0.05
    ('exact', 3, True, True)
    """
    t_start = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name):
        nonlocal t_start
        now = time.perf_counter()
        timings[name] = round(now - t_start, 4)
        t_start = now

    if isinstance(bench, (str, os.PathLike)):
        from ..benchmarks import load_benchmark

        bench = load_benchmark(bench, space=space, arch_column=arch_column)
    ds, m = bench.resolve(dataset, metric)
    seed = None
    if isinstance(rng, np.random.Generator):
        children = rng.spawn(7)
    else:
        if rng is not None and (isinstance(rng, bool) or not isinstance(rng, (int, np.integer))):
            raise InvalidConfig(f"rng must be an int seed or a numpy.random.Generator, got {type(rng).__name__}")
        seed = None if rng is None else int(rng)
        children = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]
    r_pairs, r_walks, r_perm, r_boot, r_enrich, r_ged, r_fdc = children

    st = _settings(
        bench.space,
        m,
        max_distance=max_distance,
        samples=samples,
        distance=distance,
        mode=mode,
        walks=walks,
        walk_length=walk_length,
        permutations=permutations,
        bootstrap=bootstrap,
        confidence=confidence,
        top_fractions=top_fractions,
        maximize=maximize,
        ged_timeout=ged_timeout,
        permutation_pairs=permutation_pairs,
        seed=seed,
    )
    col = bench.columns[(ds, m)]
    finite = int(np.isfinite(col).sum())
    if finite == 0:
        raise InvalidConfig(f"metric {m!r} of dataset {ds!r} in {bench.id!r} has no values (all NaN)")
    if finite < 3:
        raise InvalidConfig(f"metric {m!r} of dataset {ds!r} in {bench.id!r} has only {finite} values; need >= 3")
    L = _Landscape(bench, ds, m)
    if float(np.ptp(L.f)) == 0.0:
        raise InvalidConfig(f"metric {m!r} of dataset {ds!r} is constant ({L.f[0]}); locality is undefined")
    g = L.f if st.maximize else -L.f
    run_mode, sum_method = _choose_mode(L, st)
    st = replace(
        st,
        walk_length=st.walk_length
        or (EXACT_WALK_LENGTH if run_mode == "exact" else max(SAMPLED_WALK_LENGTH, 2 * st.max_distance)),
    )
    K = st.max_distance
    notes: list[str] = []
    if L.n < L.space.size:
        notes.append(
            f"{L.n:,} of the space's {L.space.size:,} architectures have a value; every measure is over "
            "those (pairs, neighbours and walks stay inside the tabulated set)"
        )
    lap("setup")

    ged_cache_obj = None
    if st.distance == "ged":
        from .ged import GEDCache

        ged_cache_obj = ged_cache if ged_cache is not None else GEDCache(L.space, st.ged_timeout, persist=True)

    if run_mode == "exact":
        out = _exact(L, g, st, sum_method, r_pairs, r_walks, r_perm, r_boot, r_fdc, ged_cache_obj, r_ged, notes, lap)
    else:
        out = _sampled(L, g, st, r_pairs, r_walks, r_perm, r_boot, r_enrich, r_fdc, ged_cache_obj, r_ged, notes, lap)
    if ged_cache_obj is not None:
        ged_cache_obj.save()
        out["ged"] = ged_cache_obj.stats()
        if out["ged"]["timeouts"]:
            notes.append(
                f"{out['ged']['timeouts']} graph edit distances hit the {st.ged_timeout:g} s timeout and "
                "are upper bounds"
            )

    opt_rows = np.flatnonzero(g == g.max())
    out["global_optimum"] = {
        "arch": L.space.to_strings(L.A[opt_rows[:1]])[0],
        "value": float(L.f[opt_rows[0]]),
        "ties": int(len(opt_rows)),
    }
    res = LocalityResult(
        benchmark=bench.id,
        space=L.space.name,
        dataset=ds,
        metric=m,
        direction="max" if st.maximize else "min",
        mode=run_mode,
        distance=st.distance,
        architectures=L.n,
        space_size=int(L.space.size),
        settings=st,
        distances=list(range(1, K + 1)),
        notes=notes,
        timings=timings,
        **out,
    )
    return res


# ---------------------------------------------------------------------------------------------- exact


def _exact_bootstrap(ps: M.PairSums, fdc_d: np.ndarray | None, boot: int, rng, level: float):
    """Cluster bootstrap over architectures: resample the source architectures (with their sums over all partners)
    and recompute every ratio; all replicates at once by one matrix product per chunk.  Also gives the FDC's
    interval (rows resampled) from the same weights when ``fdc_d`` is given."""
    K1 = ps.cnt.shape[0]
    nan2 = np.full(2, np.nan)
    if boot <= 0:
        return np.full((K1 - 1, 2), np.nan), np.full((K1 - 1, 2), np.nan), nan2, nan2
    fc = ps.fc
    cols = [ps.cnt, ps.sabs, ps.cnt * fc, ps.cnt * fc * fc, ps.s1 * fc, np.stack([ps.cnt_all, ps.sabs_all])]
    if fdc_d is not None:
        dc = fdc_d - fdc_d.mean()
        cols.append(np.stack([fc, dc, fc * fc, dc * dc, fc * dc]))
    X = np.concatenate(cols, axis=0).T  # (n, columns)
    S = np.concatenate([w @ X for w in M.bootstrap_weights(len(fc), boot, rng)])
    C, Sabs, Sf, Sf2, Sx = (S[:, i * K1 : (i + 1) * K1] for i in range(5))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_abs = Sabs / C
        mu = Sf / C
        corr = (Sx / C - mu**2) / (Sf2 / C - mu**2)
        rnd = S[:, 5 * K1 + 1] / S[:, 5 * K1]
        fdc_ci = nan2
        if fdc_d is not None:
            n = len(fc)  # every replicate has n rows
            sx, sy, sxx, syy, sxy = (S[:, 5 * K1 + 2 + t] / n for t in range(5))
            fdc_ci = M.percentile_ci((sxy - sx * sy) / np.sqrt((sxx - sx**2) * (syy - sy**2)), level)
    return (
        M.percentile_ci(mean_abs[:, 1:], level),
        M.percentile_ci(corr[:, 1:], level),
        M.percentile_ci(rnd, level),
        fdc_ci,
    )


def _exact(
    L: _Landscape,
    g,
    st: LocalitySettings,
    sum_method,
    r_pairs,
    r_walks,
    r_perm,
    r_boot,
    r_fdc,
    ged_cache,
    r_ged,
    notes,
    lap,
) -> dict:
    K, f, n = st.max_distance, L.f, L.n
    graph = L.graph()
    deg = graph.degree
    pi, pj = graph.undirected_pairs()
    lap("neighbour_graph")
    out: dict = {"neighbour_pairs": int(len(pi)), "isolated": int(np.sum(deg == 0))}
    if out["isolated"]:
        notes.append(
            f"{out['isolated']:,} architectures have no neighbour with a value; they take no part in walks "
            "and are not counted as local optima"
        )

    P = int(np.sum(L.n_choices > 1))
    fdc = _fdc(L, g, st, r_fdc, ged_cache, bootstrap=st.distance != "hamming")
    lap("fdc")
    if st.distance == "hamming":
        Ks = min(K, P)
        ps = (M.hamming_sums if sum_method == "subset-sort" else M.pairwise_sums)(L.A, f, L.n_choices, Ks)
        curve = M.curve_from_sums(ps)
        lap("pair_sums")
        ci_abs, ci_corr, ci_rnd, fdc["fdc_ci"] = _exact_bootstrap(
            ps, fdc.pop("_fdc_all_d"), st.bootstrap, r_boot, st.confidence
        )
        fdc["fdc_ci"] = fdc["fdc_ci"].tolist()
        lap("bootstrap")
        # distributions: one partner per distance for `samples` uniformly drawn sources
        src = r_pairs.choice(n, size=min(st.samples, n), replace=False)
        part = L.partners(src, Ks, r_pairs)
        qd = []
        for d in range(Ks):
            ok = part[:, d] >= 0
            qd.append(M.quantiles(np.abs(f[src[ok]] - f[part[ok, d]])))
        ri, rj = M.random_distinct_pairs(n, st.samples, r_pairs)
        q_rnd = M.quantiles(np.abs(f[ri] - f[rj]))
        lap("distributions")
        out.update(
            pairs_by_distance=curve.pairs.tolist(),
            mean_abs_diff_by_distance=curve.mean_abs.tolist(),
            mean_abs_diff_ci=ci_abs.tolist(),
            mean_sq_diff_by_distance=curve.mean_sq.tolist(),
            abs_diff_quantiles_by_distance=qd,
            random_pair_mean_abs_diff=curve.random_mean_abs,
            random_pair_mean_abs_diff_ci=ci_rnd.tolist(),
            random_pair_mean_sq_diff=curve.random_mean_sq,
            random_pair_abs_diff_quantiles=q_rnd,
            correlation_by_distance=curve.corr.tolist(),
            correlation_ci=ci_corr.tolist(),
        )
        if len(pi) != int(round(curve.pairs[0])):
            notes.append(
                f"the neighbour relation ({len(pi):,} radius-1 pairs) differs from Hamming distance 1 on the "
                f"canonical encoding ({int(curve.pairs[0]):,} pairs): walks, enrichment, local optima and the "
                "permutation test use neighbours, the distance curves use Hamming distance"
            )
    else:
        Wg = max(2, math.ceil(st.samples / K))
        walk_pos = M.walks_on_graph(graph, Wg, K, r_ged) if out["isolated"] < n else np.zeros((0, K + 1), np.int64)
        out.update(_ged_curves(L, st, walk_pos, ged_cache, r_ged, r_boot))
        lap("ged_pairs")

    # random-walk autocorrelation: exact (transition-matrix powers) and by walks
    rwa = M.rwa_exact(f, graph, K)
    length = st.walk_length
    if out["isolated"] < n:
        Wpos = M.walks_on_graph(graph, st.walks, length, r_walks)
        rwa_w, rwa_ci = M.rwa_from_walks(f[Wpos], K, r_walks, st.bootstrap, st.confidence)
    else:
        rwa_w, rwa_ci = np.full(K, np.nan), np.full((K, 2), np.nan)
    out.update(
        rwa_by_lag=rwa.tolist(),
        rwa_method="exact (stationary simple random walk, powers of the transition matrix)",
        rwa_by_lag_walks=rwa_w.tolist(),
        rwa_walks_ci=rwa_ci.tolist(),
        correlation_length=M.correlation_length(rwa[0]),
        correlation_length_walks=M.correlation_length(rwa_w[0]),
    )
    lap("rwa")

    # permutation test on (a random subset of) the neighbour pairs
    if len(pi) >= 2:
        sel = np.arange(len(pi))
        if len(pi) > st.permutation_pairs:
            sel = np.sort(r_perm.choice(len(pi), st.permutation_pairs, replace=False))
        what = "all" if len(sel) == len(pi) else f"{len(sel):,} uniformly drawn"
        pt = M.permutation_test(
            f, pi[sel], pj[sel], st.permutations, r_perm, f"mean |Δf| over {what} radius-1 neighbour pairs"
        )
    else:
        pt = {"p_value": math.nan, "pairs_used": 0}
        notes.append("no neighbour pairs: the permutation test is undefined")
    out.update(p_value=pt["p_value"], permutation_test=pt)
    lap("permutation_test")

    out["enrichment"] = M.enrichment_exact(g, graph, st.top_fractions)
    lo = M.local_optima(g, graph)
    opt = lo["optima"]
    order = np.argsort(-lo["basin_sizes"], kind="stable")
    out.update(
        local_optima=int(len(opt)),
        local_optima_chance=lo["chance"],
        local_optima_detail={
            "estimated": False,
            "method": "exact: every architecture and all its neighbours",
            "isolated": lo["isolated"],
            "global_basin_fraction": lo["global_basin_fraction"],
            "largest_basins": [
                {"arch": a, "value": float(v), "basin_size": int(b)}
                for a, v, b in zip(
                    L.space.to_strings(L.A[opt[order[:20]]]) if len(opt) else [],
                    f[opt[order[:20]]],
                    lo["basin_sizes"][order[:20]],
                )
            ],
            "value_quantiles": M.quantiles(f[opt]),
        },
    )
    lap("enrichment_local_optima")

    fdc.pop("_fdc_all_d", None)
    out.update(fdc)
    out["plot_data"] = {
        "local_optima_values": f[opt],
        "basin_sizes": lo["basin_sizes"],
        "f_all": f,
        **out.pop("_fdc_plot"),
    }
    return out


# ---------------------------------------------------------------------------------------------- GED curves


def _ged_curves(L: _Landscape, st: LocalitySettings, walk_pos: np.ndarray, cache, rng, r_boot) -> dict:
    """Distance curves by graph edit distance on sampled pairs: walk pairs (start, step t) and random pairs."""
    K, f = st.max_distance, L.f
    i = np.repeat(walk_pos[:, 0], walk_pos.shape[1] - 1)
    j = walk_pos[:, 1:].ravel()
    keep = i != j
    i, j = i[keep], j[keep]
    d = cache.distances(L.A[i], L.A[j]) if len(i) else np.empty(0)
    n_rand = max(50, st.samples // 4)
    ri, rj = M.random_distinct_pairs(L.n, n_rand, rng)
    dr = cache.distances(L.A[ri], L.A[rj])
    # random pairs also contribute to the bins they fall into
    i, j, d = np.concatenate([i, ri]), np.concatenate([j, rj]), np.concatenate([d, dr])
    ib = [i[np.rint(d) == k] for k in range(1, K + 1)]
    jb = [j[np.rint(d) == k] for k in range(1, K + 1)]
    return _curve_fields(f, ib, jb, ri, rj, st, r_boot)[0]


def _curve_fields(f, ib, jb, ri, rj, st, r_boot):
    """The distance-curve outputs (shared by the exact and sampled paths) and the curve itself."""
    curve = M.pair_curve(f, ib, jb, ri, rj)
    ci_abs, ci_corr, ci_rnd = _pair_ci(f, ib, jb, ri, rj, st.bootstrap, r_boot, st.confidence)
    fields = dict(
        pairs_by_distance=curve.pairs.tolist(),
        mean_abs_diff_by_distance=curve.mean_abs.tolist(),
        mean_abs_diff_ci=ci_abs.tolist(),
        mean_sq_diff_by_distance=curve.mean_sq.tolist(),
        abs_diff_quantiles_by_distance=[M.quantiles(np.abs(f[a] - f[b])) for a, b in zip(ib, jb)],
        random_pair_mean_abs_diff=curve.random_mean_abs,
        random_pair_mean_abs_diff_ci=ci_rnd.tolist(),
        random_pair_mean_sq_diff=curve.random_mean_sq,
        random_pair_abs_diff_quantiles=M.quantiles(np.abs(f[ri] - f[rj])),
        correlation_by_distance=curve.corr.tolist(),
        correlation_ci=ci_corr.tolist(),
    )
    return fields, curve


def _pair_ci(f, ib, jb, ri, rj, boot, rng, level):
    """Bootstrap over sampled pairs, separately per distance."""
    K = len(ib)
    ci_abs, ci_corr = np.full((K, 2), np.nan), np.full((K, 2), np.nan)
    if boot <= 0:
        return ci_abs, ci_corr, np.full(2, np.nan)
    for d in range(K):
        a, b = f[ib[d]], f[jb[d]]
        if len(a) < 2:
            continue
        ad = np.abs(a - b)
        reps_abs, reps_corr = [], []
        for w in M.bootstrap_weights(len(a), boot, rng):
            reps_abs.append(w @ ad / len(a))
            x = np.concatenate([a, b])
            y = np.concatenate([b, a])
            reps_corr.append(M.pearson_weighted(x, y, np.concatenate([w, w], axis=1)))
        ci_abs[d] = M.percentile_ci(np.concatenate(reps_abs), level)
        ci_corr[d] = M.percentile_ci(np.concatenate(reps_corr), level)
    rd = np.abs(f[ri] - f[rj])
    reps = np.concatenate([w @ rd / len(rd) for w in M.bootstrap_weights(len(rd), boot, rng)])
    return ci_abs, ci_corr, M.percentile_ci(reps, level)


# ---------------------------------------------------------------------------------------------- FDC


def _fdc(L: _Landscape, g, st: LocalitySettings, rng, ged_cache, bootstrap: bool = True) -> dict:
    f = L.f
    opt = np.flatnonzero(g == g.max())
    if st.distance == "hamming":
        if len(opt) > 256:
            opt = opt[:256]
        d = M.distance_to_set(L.A, L.A[opt], L.n_choices).astype(np.float64)
        idx = np.arange(L.n)
        method = "exact: every architecture, Hamming distance to the nearest global optimum"
    else:
        m = min(st.samples, L.n, 300)
        idx = rng.choice(L.n, size=m, replace=False)
        best = np.full(m, np.inf)
        for o in opt[:3]:
            best = np.minimum(best, ged_cache.distances(L.A[idx], np.repeat(L.A[o : o + 1], m, axis=0)))
        d = best
        method = f"sampled: {m} uniformly drawn architectures, graph edit distance to the global optimum"
    fx = f[idx]
    r = M.pearson(fx, d)
    if not bootstrap:
        ci = np.full(2, np.nan)  # filled in by the caller's shared bootstrap
    elif st.bootstrap > 0 and len(idx) <= _BOOTSTRAP_FDC_MAX_ROWS:
        ci = M.percentile_ci(M.weighted_pearson_reps(fx, d, rng, st.bootstrap), st.confidence)
    elif len(idx) > 3 and abs(r) < 1:  # Fisher's z interval for very many rows
        from scipy.stats import norm

        z, se = math.atanh(r), 1 / math.sqrt(len(idx) - 3)
        zq = norm.ppf(0.5 + st.confidence / 2)
        ci = np.tanh([z - zq * se, z + zq * se])
    else:
        ci = np.full(2, np.nan)
    show = rng.choice(len(idx), size=min(3000, len(idx)), replace=False)
    dd = np.rint(d).astype(np.int64)
    means = {int(k): float(fx[dd == k].mean()) for k in np.unique(dd)}
    return {
        "fdc": r,
        "fdc_ci": np.asarray(ci).tolist(),
        "fdc_method": method,
        "_fdc_all_d": d,
        "_fdc_plot": {"fdc_d": d[show], "fdc_f": fx[show], "fdc_mean_by_distance": means},
    }


# ---------------------------------------------------------------------------------------------- sampled


def _sampled(
    L: _Landscape,
    g,
    st: LocalitySettings,
    r_pairs,
    r_walks,
    r_perm,
    r_boot,
    r_enrich,
    r_fdc,
    ged_cache,
    r_ged,
    notes,
    lap,
) -> dict:
    K, f, n, N = st.max_distance, L.f, L.n, st.samples
    length = max(st.walk_length, K + 1)
    notes.append(
        f"sampled: {N} walkers started at uniformly drawn architectures, {length} steps each (a step moves "
        "to a uniformly drawn neighbour that has a value); pairs at distance d are each walker's start and "
        "its first position at distance d; random pairs are uniform pairs of distinct architectures"
    )
    # ---- walks, recording every step's neighbourhood for the first step
    pos = np.empty((N, length + 1), np.int64)
    pos[:, 0] = r_walks.integers(0, n, N)
    deg0 = better0 = None
    pair_i = pair_j = None
    for t in range(length):
        cur = pos[:, t]
        uniq, inv = np.unique(cur, return_inverse=True)
        s, nb = L.neighbours(uniq)
        d_u = np.bincount(s, minlength=len(uniq))
        if t == 0:
            has_better = np.zeros(len(uniq), bool)
            np.logical_or.at(has_better, s, g[nb] > g[uniq[s]])
            deg0, better0 = d_u[inv], has_better[inv]
        o = np.argsort(s, kind="stable")
        s, nb = s[o], nb[o]
        start = np.concatenate([[0], np.cumsum(d_u)])[:-1]
        d = d_u[inv]
        pick = start[inv] + (r_walks.random(N) * d).astype(np.int64)
        nxt = np.where(d > 0, nb[np.minimum(pick, max(len(nb) - 1, 0))] if len(nb) else cur, cur)
        pos[:, t + 1] = nxt
        if t == 0:
            moved = d > 0
            pair_i, pair_j = cur[moved], nxt[moved]
    lap("walks")
    stuck = int(np.sum(deg0 == 0))
    out: dict = {"isolated": stuck, "neighbour_pairs": int(np.sum(deg0))}
    if stuck:
        notes.append(f"{stuck} of {N} sampled start architectures have no neighbour with a value")
    if stuck > N / 2:
        notes.append(
            "most sampled architectures have no tabulated neighbour: the table covers too little of the "
            "space for neighbour-based measures (walks, local optima, enrichment) to mean much"
        )

    # ---- distance curves
    if st.distance == "hamming":
        ib, jb = [], []
        D = np.stack([L.hamming(pos[:, 0], pos[:, t]) for t in range(length + 1)], axis=1)
        for dist in range(1, K + 1):
            hit = D == dist
            has = hit.any(axis=1)
            first = np.argmax(hit, axis=1)
            ib.append(pos[has, 0])
            jb.append(pos[has, first[has]])
        ri, rj = M.random_distinct_pairs(n, N, r_pairs)
        fields, curve = _curve_fields(f, ib, jb, ri, rj, st, r_boot)
        out.update(fields)
        short = [d + 1 for d in range(K) if curve.pairs[d] < N / 2]
        if short:
            notes.append(
                f"fewer than half of the walkers reached distance(s) {short} exactly; those estimates rest "
                f"on {[int(curve.pairs[d - 1]) for d in short]} pairs"
            )
    else:
        Wg = min(N, max(2, math.ceil(N / K)))
        out.update(_ged_curves(L, st, pos[:Wg, : K + 1], ged_cache, r_ged, r_boot))
    lap("distance_curves")

    # ---- RWA from the walks
    # walkers that started on an architecture without tabulated neighbours never move: leave them out
    moving = deg0 > 0
    if moving.sum() >= 2:
        rwa_w, rwa_ci = M.rwa_from_walks(f[pos[moving]], K, r_walks, st.bootstrap, st.confidence)
    else:
        rwa_w, rwa_ci = np.full(K, np.nan), np.full((K, 2), np.nan)
    out.update(
        rwa_by_lag=rwa_w.tolist(),
        rwa_method=f"walks ({int(moving.sum())} walks of {length} steps from uniform starts, pooled estimator)",
        rwa_by_lag_walks=rwa_w.tolist(),
        rwa_walks_ci=rwa_ci.tolist(),
        correlation_length=M.correlation_length(rwa_w[0]),
        correlation_length_walks=M.correlation_length(rwa_w[0]),
    )

    # ---- permutation test on the walkers' first steps
    if len(pair_i) >= 2:
        pt = M.permutation_test(
            f,
            pair_i,
            pair_j,
            st.permutations,
            r_perm,
            "mean |Δf| over radius-1 neighbour pairs (each walker's first step)",
        )
    else:
        pt = {"p_value": math.nan, "pairs_used": 0}
    out.update(p_value=pt["p_value"], permutation_test=pt)
    lap("permutation_test")

    # ---- enrichment: sources drawn from each top set
    enr = []
    for q in st.top_fractions:
        T = M.top_mask(g, q)
        t = int(T.sum())
        if t < 2:
            continue
        members = np.flatnonzero(T)
        src = r_enrich.choice(members, size=min(N, t), replace=False)
        s, nb = L.neighbours(src)
        p = float(T[nb].mean()) if len(nb) else math.nan
        chance = (t - 1) / (n - 1)
        enr.append(
            {
                "q": q,
                "top_size": t,
                "pairs": int(len(nb)),
                "p_neighbour_in_top": p,
                "chance": chance,
                "ratio": p / chance if chance > 0 else math.nan,
                "sampled_sources": int(len(src)),
            }
        )
    out["enrichment"] = enr
    lap("enrichment")

    # ---- local optima: the fraction among the uniform start architectures
    live = deg0 > 0
    k_opt = int(np.sum(live & ~better0))
    frac = k_opt / N
    from scipy.stats import beta

    a = (1 - st.confidence) / 2
    lo_ci = [beta.ppf(a, k_opt, N - k_opt + 1) if k_opt else 0.0, beta.ppf(1 - a, k_opt + 1, N - k_opt)]
    chance = float(np.mean(np.where(live, 1.0 / (deg0 + 1.0), 0.0)) * n)
    out.update(
        local_optima=frac * n,
        local_optima_chance=chance,
        local_optima_detail={
            "estimated": True,
            "ci": [c * n for c in lo_ci],
            "method": f"sampled: fraction of {N} uniform architectures that have a neighbour and none better, "
            f"times {n:,} (Clopper-Pearson interval); basins need the whole graph and are not computed",
            "sampled_optima": k_opt,
        },
    )
    fdc = _fdc(L, g, st, r_fdc, ged_cache)
    fdc.pop("_fdc_all_d")
    out.update(fdc)
    lap("fdc")
    starts = pos[:, 0]
    out["plot_data"] = {
        "local_optima_values": f[starts[live & ~better0]],
        "basin_sizes": None,
        "f_all": f,
        **out.pop("_fdc_plot"),
    }
    return out
