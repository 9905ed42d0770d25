"""A small fixed results input for the figure tests: every table a results folder has, and a locality result,
built from a seeded generator (no benchmark is run, so the figures do not move when an analysis changes)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd

METHODS = ("lissnas", "op-pruning", "top-samples", "single-region", "random")
NB201_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
GRAPH_LINKS = ["[0,0,0,0]", "[0,0,0,1]", "[0,0,1,1]", "[0,0,1,2]", "[0,0,1,3]", "[0,1,1,1]", "[0,1,1,2]",
               "[0,1,2,2]", "[0,1,2,3]"]
GRAPH_OPS = ["gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip"]
SEEDS = 4


def target(i: int, kind: str = "nb201") -> dict:
    bench, ds, metric = (("toy-nb201", f"data{i}", "accuracy") if kind == "nb201"
                         else ("toy-graph", f"graph{i}", "valid_perf"))
    names = [NB201_OPS] * 6 if kind == "nb201" else [GRAPH_LINKS] + [GRAPH_OPS] * 4
    positions = ([f"edge_{a}_{b}" for a, b in ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))] if kind == "nb201"
                 else ["link", "op1", "op2", "op3", "op4"])
    return {"key": f"{bench}-{ds}", "benchmark_id": bench, "dataset": ds, "metric": metric,
            "space_size": 15625 if kind == "nb201" else 26206, "position_names": positions, "choice_names": names,
            "proxy": "noisy_accuracy" if kind == "nb201" else None}


def manifest(n_targets: int = 2) -> dict:
    return {"targets": [target(i, "nb201" if i % 2 == 0 else "graph") for i in range(n_targets)]}


def results(man: dict) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for j, t in enumerate(man["targets"]):
        scale = 1.0 if t["metric"] == "accuracy" else 0.01
        base = 90.0 if t["metric"] == "accuracy" else 0.78
        for k, m in enumerate(METHODS):
            for s in range(SEEDS):
                size = {"top-samples": 100, "single-region": 265}.get(m, float(rng.integers(150, 900)))
                regret = 0.0 if m == "lissnas" or (m == "op-pruning" and s % 2) else abs(rng.normal(0.3, 0.2))
                rows.append({
                    "benchmark": t["benchmark_id"], "dataset": t["dataset"], "metric": t["metric"], "method": m,
                    "seed": s, "size": size, "mean": base + scale * (3 - k + rng.normal(0, 0.5)),
                    "regret": scale * regret,
                    "coverage": min(1.0, 1.0 - 0.5 * (m == "op-pruning") + rng.normal(0, 0.02)),
                    "entropy": min(1.0, 0.6 + 0.1 * k + rng.normal(0, 0.05)), "pairwise_distance": 0.5 + 0.07 * k,
                    "pockets": 1.0 if k in (0, 1, 3) else float(rng.integers(40, 300)),
                    "kendall_tau_shrunk": 0.1 + 0.05 * k + rng.normal(0, 0.04) if t["proxy"] else math.nan,
                    "kendall_tau_full": 0.33 if t["proxy"] else math.nan,
                })
    return pd.DataFrame(rows)


def distributions(man: dict) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    parts = []
    for t in man["targets"]:
        full = np.concatenate([rng.normal(88, 4, 1800), np.full(200, 10.0)])  # a long tail, as NB201's
        parts.append(pd.DataFrame({"target": t["key"], "method": "full space", "seed": -1, "value": full}))
        for k, m in enumerate(METHODS):
            v = rng.normal(93 - k, 0.5 + 0.8 * k, 300)
            parts.append(pd.DataFrame({"target": t["key"], "method": m, "seed": 0, "value": v}))
    return pd.concat(parts, ignore_index=True)


def traces(man: dict) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    rows = []
    for t in man["targets"]:
        for s in range(SEEDS):
            n = 3 + s % 3
            for it in range(n + 1):
                rows.append({"benchmark": t["benchmark_id"], "dataset": t["dataset"], "metric": t["metric"],
                             "method": "lissnas", "seed": s, "iteration": it,
                             "size": t["space_size"] if it == 0 else 250 - 12 * it + int(rng.integers(0, 9)),
                             "sample_mean": 87 + 6 * (1 - math.exp(-it)) + rng.normal(0, 0.3),
                             "accepted": it < n})
    return pd.DataFrame(rows)


def cells(man: dict) -> list[dict]:
    rng = np.random.default_rng(3)
    out = []
    for t in man["targets"]:
        shape = (len(t["choice_names"]), max(len(c) for c in t["choice_names"]))
        for m in METHODS:
            for s in range(SEEDS):
                keep = rng.random(shape) > (0.5 if m == "op-pruning" else 0.03)
                out.append({"target": t["key"], "row": {"method": m, "seed": s}, "choice_mask": keep.tolist()})
    return out


def curves(man: dict, optimizers=("rs", "re", "ls")) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    q = np.arange(50, 2001, 50)
    rows = []
    for t in man["targets"][:1]:
        for sh in ("full",) + METHODS:
            for o in optimizers:
                for s in range(SEEDS):
                    level = 0.0 if sh == "lissnas" else 0.05 * (1 + METHODS.index(sh) if sh in METHODS else 1)
                    reg = level + 0.9 * np.exp(-q / 250) * (1 + 0.3 * rng.random())
                    rows += [{"benchmark": t["benchmark_id"], "dataset": t["dataset"], "metric": t["metric"],
                              "shrinker": sh, "optimizer": o, "seed": s, "queries": int(x), "regret": float(r)}
                             for x, r in zip(q, np.minimum.accumulate(reg))]
    return pd.DataFrame(rows)


def locality_result(label: str = "toy-nb201:data0:accuracy") -> SimpleNamespace:
    """What the locality figures read of a ``LocalityResult`` (same attribute names), with fixed numbers."""
    rng = np.random.default_rng(5)
    d = [1, 2, 3, 4, 5, 6]
    mean = [4.1, 6.1, 7.3, 8.0, 8.4, 8.7]
    quant = [{"q05": 0.1, "q25": 0.4 * m / 2, "q50": m / 3, "q75": m, "q95": 4 * m} for m in mean]
    rho = [0.56, 0.35, 0.23, 0.16, 0.12, 0.09]
    walks = [r + 0.015 for r in rho]
    f_all = np.concatenate([rng.normal(88, 4, 3000), np.full(100, 10.0)])
    opt = np.sort(rng.normal(93, 0.6, 17))
    fdc_d = rng.integers(0, 7, 1500)
    return SimpleNamespace(
        benchmark=label.split(":")[0], dataset=label.split(":")[1], metric=label.split(":")[2], mode="exact",
        distance="hamming", label=label, distances=d, mean_abs_diff_by_distance=mean,
        mean_abs_diff_ci=[[m - 0.2, m + 0.2] for m in mean], abs_diff_quantiles_by_distance=quant,
        random_pair_mean_abs_diff=8.3, random_pair_mean_abs_diff_ci=[8.1, 8.5],
        random_pair_abs_diff_quantiles={"q05": 0.3, "q25": 1.2, "q50": 3.1, "q75": 6.7, "q95": 30.0},
        correlation_by_distance=[0.56, 0.29, 0.12, 0.03, -0.02, -0.05],
        correlation_ci=[[c - 0.02, c + 0.02] for c in (0.56, 0.29, 0.12, 0.03, -0.02, -0.05)],
        rwa_by_lag=rho, rwa_by_lag_walks=walks, rwa_walks_ci=[[w - 0.02, w + 0.02] for w in walks],
        rwa_method="exact (stationary simple random walk, powers of the transition matrix)",
        correlation_length=-1 / math.log(rho[0]), settings=SimpleNamespace(walks=100, samples=1000),
        fdc=-0.22, enrichment=[{"q": q, "ratio": 0.8 / q ** 0.8} for q in (0.001, 0.005, 0.01, 0.05, 0.1, 0.5)],
        local_optima=17, local_optima_chance=625.0,
        plot_data={"fdc_d": fdc_d, "fdc_f": 93 - 1.5 * fdc_d + rng.normal(0, 3, len(fdc_d)),
                   "fdc_mean_by_distance": {k: 93 - 1.5 * k for k in range(7)}, "f_all": f_all,
                   "local_optima_values": opt, "basin_sizes": np.round(10 ** (1 + 2 * rng.random(17)))},
    )


def spend_summary() -> pd.DataFrame:
    """A summary of three methods at three budgets (quality against spend)."""
    rows = []
    for i, m in enumerate(["lissnas", "op-pruning", "random"]):
        for b in (200, 500, 1000):
            spent = 0.0 if m == "random" else b * (0.45 if m == "lissnas" else 0.8)
            rec = 0.01 if m == "random" else (0.2 + 0.25 * b / 1000) / (1 + i)
            rows.append({"benchmark": "toy-nb201", "dataset": "data0", "metric": "accuracy", "method": m,
                         "budget": b, "queries_mean": spent, "recall_mean": rec, "recall_ci_low": rec * 0.8,
                         "recall_ci_high": min(1.0, rec * 1.2), "regret_mean": 0.3 - rec / 2,
                         "regret_ci_low": 0.25 - rec / 2, "regret_ci_high": 0.35 - rec / 2,
                         "top_components_hit_mean": 0.2 + rec / 3, "top_components_hit_ci_low": 0.15 + rec / 3,
                         "top_components_hit_ci_high": 0.25 + rec / 3})
    return pd.DataFrame(rows)


def sensitivity_table() -> pd.DataFrame:
    rows = []
    for k in ("5", "10", "20"):
        for r in ("1", "2"):
            rows.append({"k": k, "radius": r, "recall_mean": int(k) / 40 * int(r), "size_mean": 100.0 * int(k) ** int(r),
                         "good_pockets_mean": int(k) / 5 * int(r), "queries_mean": 300.0 + int(k) * 5})
    return pd.DataFrame(rows)
