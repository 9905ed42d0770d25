"""Statistics over seeds: bootstrap confidence intervals of means, and paired tests of every method against the
reference method.

The design is paired: within a (target, budget, seed) every method starts from the same stream (the shrinkers'
first samples coincide), so a method is compared with the reference seed by seed.  For each (target, budget,
headline metric) and each other method: the Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, zero differences
dropped; all differences zero gives p = 1) on the seed-wise differences, with Holm's correction across all the
comparisons of one results folder.  The outcome at α = 0.05 is ``better``/``worse`` (the method against the
reference, in the metric's direction) or ``tie``.  Means get 95 % percentile-bootstrap intervals
(``scipy.stats.bootstrap``, 2,000 resamples, a fixed generator so a rebuild gives the same numbers).

>>> import numpy as np
>>> lo, hi = bootstrap_ci(np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0]]))
>>> bool(lo[0] < 2.5 < hi[0]), (float(lo[1]), float(hi[1]))
(True, (5.0, 5.0))
>>> holm(np.array([0.01, 0.04, 0.03])).round(3).tolist()
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

import math
import warnings

import numpy as np

ALPHA = 0.05
N_RESAMPLES = 2000
#: the metrics the paired tests cover, with +1 when higher is better (``mean``/``best`` follow the truth's
#: direction, see ``direction``)
HEADLINE = {
    "recall": 1, "regret": -1, "mean": 1, "top_components_hit": 1, "optima_kept": 1, "good_pockets": 1,
    "shrink_index": 1, "enrichment": 1,
}
#: the measures tested by default: few, because Holm's correction runs over every test of a report (with 10 seeds
#: the smallest two-sided Wilcoxon p is 2/1024, so a report of more than ~25 tests can find nothing significant)
TESTED = ("recall", "regret", "top_components_hit", "optima_kept", "mean")


def direction(metric: str, maximize: bool = True) -> int:
    d = HEADLINE.get(metric)
    if d is None:
        if metric.startswith("search_regret@"):
            return -1
        raise KeyError(metric)
    return -d if metric in ("mean", "best") and not maximize else d


def bootstrap_ci(values: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile-bootstrap interval of the mean of each row of ``values`` (NaN where a row has fewer than two
    finite values; a constant row gives a zero-width interval)."""
    from scipy import stats

    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    lo = np.full(len(values), np.nan)
    hi = np.full(len(values), np.nan)
    ok = np.isfinite(values)
    full = ok.all(axis=1) & (values.shape[1] >= 2)
    rows = [np.flatnonzero(full)] + [[i] for i in np.flatnonzero(~full & (ok.sum(axis=1) >= 2))]
    for idx in rows:
        if not len(idx):
            continue
        data = values[idx] if len(idx) > 1 or full[idx[0]] else values[idx][:, ok[idx[0]]]
        const = np.ptp(data, axis=1) == 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = stats.bootstrap((data,), np.mean, axis=-1, vectorized=True, n_resamples=N_RESAMPLES,
                                  confidence_level=confidence, method="percentile",
                                  random_state=np.random.default_rng(0))
        lo[idx] = np.where(const, data[:, 0], res.confidence_interval.low)
        hi[idx] = np.where(const, data[:, 0], res.confidence_interval.high)
    return lo, hi


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN and does not count)."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if not len(ok):
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def wilcoxon_p(diff: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences (1 when they are all zero): exactly
    ``scipy.stats.wilcoxon(diff, zero_method="wilcox").pvalue``.

    Where SciPy takes its permutation test (at most 13 pairs with ties or zero differences: every one of the 2**n
    sign flips), its statistic is not vectorised and one call costs about 0.2 s; a rebuild of a 10-seed grid makes
    hundreds.  Here the same test is one vectorised ``scipy.stats.permutation_test`` over the non-zero differences
    (the ranks of |d| do not change under a sign flip; a zero's flips only repeat each null value, which leaves
    every proportion as it is); ``tests/test_protocol.py`` checks the p-values equal SciPy's own.

    >>> float(wilcoxon_p(np.array([1.0, 1.0, -2.0, 3.0, 3.0, 0.0, 4.0])))
    0.15625
    """
    from scipy import stats

    diff = diff[np.isfinite(diff)]
    if not len(diff):
        return math.nan
    nonzero = diff[diff != 0]
    if not len(nonzero):
        return 1.0
    magnitude = np.abs(nonzero)
    permutation = 2 <= len(nonzero) and len(diff) <= 13 and (len(nonzero) < len(diff) or
                                                             len(np.unique(magnitude)) < len(magnitude))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not permutation:
            return float(stats.wilcoxon(diff, zero_method="wilcox").pvalue)
        ranks = stats.rankdata(magnitude)

        def r_plus(x, axis=-1):
            return np.sum(np.where(x > 0, ranks, 0.0), axis=axis)

        return float(stats.permutation_test((nonzero,), r_plus, permutation_type="samples", vectorized=True,
                                            n_resamples=np.inf, alternative="two-sided").pvalue)


def paired_tests(results, reference: str, maximize: dict[tuple[str, str, str], bool] | None = None,
                 metrics: tuple[str, ...] | None = None):
    """A row per (benchmark, dataset, metric, budget, headline metric, method ≠ reference): seeds paired, mean of
    each side, mean difference (method - reference), Wilcoxon p, Holm-adjusted p and the outcome."""
    import pandas as pd

    cols = ["benchmark", "dataset", "metric", "budget", "measure", "method", "reference", "n", "method_mean",
            "reference_mean", "mean_diff", "p", "p_holm", "outcome"]
    ok = results[results["status"] == "ok"] if "status" in results.columns else results
    measures = [m for m in (metrics or TESTED) if m in ok.columns]
    rows = []
    for keys, g in ok.groupby(["benchmark", "dataset", "metric", "budget"], sort=False):
        ref = g[g["method"] == reference].set_index("seed")
        if ref.empty:
            continue
        up = (maximize or {}).get(keys[:3], True)
        for method, gm in g.groupby("method", sort=False):
            if method == reference:
                continue
            gm = gm.set_index("seed")
            seeds = gm.index.intersection(ref.index)
            for m in measures:
                a = gm.loc[seeds, m].astype("float64").to_numpy()
                b = ref.loc[seeds, m].astype("float64").to_numpy()
                both = np.isfinite(a) & np.isfinite(b)
                if not both.any():
                    continue
                a, b = a[both], b[both]
                rows.append({**dict(zip(cols[:4], keys)), "measure": m, "method": method, "reference": reference,
                             "n": int(both.sum()), "method_mean": float(a.mean()), "reference_mean": float(b.mean()),
                             "mean_diff": float((a - b).mean()), "p": wilcoxon_p(a - b),
                             "_dir": direction(m, up)})
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows)
    df["p_holm"] = holm(df["p"].to_numpy())
    better = np.sign(df["mean_diff"].to_numpy()) * df["_dir"].to_numpy() > 0
    sig = df["p_holm"].to_numpy() < ALPHA
    df["outcome"] = np.where(~sig, "tie", np.where(better, "better", "worse"))
    return df[cols]
