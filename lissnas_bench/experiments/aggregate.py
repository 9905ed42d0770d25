"""Tables from cell records: results (a row per cell), searches (a row per cell × optimizer), summaries over
seeds (one ``summarise`` for every table), traces, distributions and anytime curves.

>>> import pandas as pd
>>> df = pd.DataFrame({"method": ["a", "a", "b"], "status": "ok", "x": [1.0, 3.0, 5.0]})
>>> summarise(df, ["method"])[["method", "n_seeds", "x_mean", "x_std"]].to_dict("records")
[{'method': 'a', 'n_seeds': 2, 'x_mean': 2.0, 'x_std': 1.4142135623730951}, {'method': 'b', 'n_seeds': 1, 'x_mean': 5.0, 'x_std': nan}]
"""

from __future__ import annotations

import math

import numpy as np

from .cell import curve_grid

ID_COLUMNS = ["benchmark", "dataset", "metric", "budget", "method", "seed", "cell_seed", "status", "error"]
SEARCH_ID_COLUMNS = ["benchmark", "dataset", "metric", "budget", "method", "optimizer", "seed", "status"]
#: the label of f over the whole space S in distributions.parquet
FULL_SPACE = "full space"
#: columns summarised per table: every numeric one except identities and timings of the machine
_NOT_SUMMARISED = {"seed", "cell_seed", "budget"}


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _typed(df, rows: list[dict] | None = None):
    """Column types from the values (not from pandas' guess): ints stay ints and bools bools, as nullable
    ``Int64`` / ``boolean`` where some rows leave them empty, so a Parquet round trip changes nothing."""
    kinds: dict[str, set] = {}
    for r in rows if rows is not None else df.to_dict("records"):
        for k, v in r.items():
            if not _missing(v):
                kinds.setdefault(k, set()).add(bool if isinstance(v, (bool, np.bool_)) else int if isinstance(
                    v, (int, np.integer)) else float if isinstance(v, (float, np.floating)) else object)
    for c in df.columns:
        ks, gaps = kinds.get(c, set()), bool(df[c].isna().any())
        if ks == {bool}:
            df[c] = df[c].astype("boolean" if gaps else bool)
        elif ks == {int}:
            df[c] = df[c].astype("Int64" if gaps else "int64")
        elif ks <= {int, float}:
            df[c] = df[c].astype("float64")
    return df


def _frame(rows: list[dict], first: list[str]):
    import pandas as pd

    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=first)
    df = df[[c for c in first if c in df.columns] + [c for c in df.columns if c not in first]]
    return _typed(df, rows).reset_index(drop=True)


def results_frame(cells: list[dict]):
    """A row per cell, in the cells' order: identities, status, then metrics (``full`` rows: search columns
    only; shrink-only columns keep their type as nullable ``Int64`` / ``boolean``)."""
    rows = [{**c["row"], "status": c.get("status", "ok"), "error": c.get("error")} for c in cells]
    return _frame(rows, ID_COLUMNS)


def searches_frame(cells: list[dict]):
    """A row per cell × optimizer (sweep format): the identities, the shrink phase, then the search columns."""
    rows = []
    for c in cells:
        r = c["row"]
        for s in c.get("searches") or ():
            rows.append({k: r[k] for k in ("benchmark", "dataset", "metric", "budget", "method", "seed", "cell_seed")}
                        | {"status": c.get("status", "ok")} | s)
    return _frame(rows, SEARCH_ID_COLUMNS)


def summarise(df, keys: list[str]):
    """Per group of ``keys``: ``n_seeds`` (finished), ``n_failed`` and, for every numeric column, ``<col>_mean``,
    ``<col>_std`` (ddof 1) and the 95 % bootstrap interval of the mean ``<col>_ci_low`` .. ``<col>_ci_high``
    (``stats.bootstrap_ci``) over the finished rows; groups keep the table's order."""
    import pandas as pd

    from .stats import bootstrap_ci

    if df.empty:
        return pd.DataFrame(columns=keys + ["n_seeds", "n_failed"])
    cols = [c for c in df.columns if c not in set(keys) | _NOT_SUMMARISED and pd.api.types.is_numeric_dtype(df[c])
            and not pd.api.types.is_bool_dtype(df[c])]
    out = []
    for k, g in df.groupby(keys, sort=False):
        ok = g[g["status"] == "ok"] if "status" in g.columns else g
        row = dict(zip(keys, k if isinstance(k, tuple) else (k,)))
        row["n_seeds"], row["n_failed"] = int(len(ok)), int(len(g) - len(ok))
        data = ok[cols].astype("float64").to_numpy().T if cols else np.empty((0, 0))
        lo, hi = bootstrap_ci(data) if len(ok) else (np.full(len(cols), np.nan),) * 2
        for i, c in enumerate(cols):
            v = data[i][np.isfinite(data[i])] if len(ok) else np.empty(0)
            row[f"{c}_mean"] = float(v.mean()) if len(v) else math.nan
            row[f"{c}_std"] = float(v.std(ddof=1)) if len(v) > 1 else math.nan
            row[f"{c}_ci_low"], row[f"{c}_ci_high"] = float(lo[i]), float(hi[i])
        out.append(row)
    return pd.DataFrame(out)


#: a method whose mean spend differs from the reference's by more than this share is flagged
SPEND_TOLERANCE = 0.05


def flag_spend(summary, reference: str | None):
    """Add ``spend_ratio`` (mean queries / the reference's, per benchmark, dataset, metric and budget) and
    ``spend_flag`` (more than ``SPEND_TOLERANCE`` away) to a results summary."""
    if summary.empty or reference is None or "queries_mean" not in summary.columns:
        return summary
    keys = [k for k in ("benchmark", "dataset", "metric", "budget") if k in summary.columns]
    ref = summary[summary["method"] == reference].set_index(keys)["queries_mean"]
    base = summary.set_index(keys).index.map(lambda k: ref.get(k, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = summary["queries_mean"].to_numpy(dtype=np.float64) / np.asarray(base, dtype=np.float64)
    summary = summary.copy()
    summary["spend_ratio"] = ratio
    summary["spend_flag"] = np.isfinite(summary["queries_mean"].to_numpy(dtype=np.float64)) & ~(
        np.abs(ratio - 1) <= SPEND_TOLERANCE)
    return summary


def traces_frame(cells: list[dict]):
    import pandas as pd

    parts = []
    for c in cells:
        if c.get("trace"):
            t = pd.DataFrame(c["trace"])
            for col in reversed(("benchmark", "dataset", "metric", "method", "seed")):
                t.insert(0, col, c["row"][col])
            parts.append(t)
    if not parts:
        return pd.DataFrame(columns=["benchmark", "dataset", "metric", "method", "seed", "iteration"])
    return pd.concat(parts, ignore_index=True)


def distributions_frame(cells: list[dict], plan):
    """f over S (``method`` = ``FULL_SPACE``, seed -1) and the stored sample of f over each S'."""
    return distributions_of(cells, {p.key: full_space_values(p) for p in plan.targets})


def full_space_values(p) -> np.ndarray | None:
    """f over the whole space S of a prepared target (float32); ``None`` for a live surrogate (not tabulated)."""
    if p.protocol.domain is None:
        return None
    return p.bench.column(p.dataset, p.metric)[p.protocol.domain].astype(np.float32)


def distributions_of(cells: list[dict], full: dict):
    """``distributions_frame`` from f over S per target key (``full_space_values``), without the plan: what a
    figure process builds for one target."""
    import pandas as pd

    parts = [pd.DataFrame({"target": k, "method": FULL_SPACE, "seed": -1, "value": v})
             for k, v in full.items() if v is not None]
    for c in cells:
        if c.get("f_sample") is not None:
            v = np.asarray([np.nan if x is None else x for x in c["f_sample"]], dtype=np.float32)
            parts.append(pd.DataFrame({"target": c["target"], "method": c["row"]["method"],
                                       "seed": c["row"]["seed"], "value": v}))
    if not parts:
        return pd.DataFrame(columns=["target", "method", "seed", "value"])
    return pd.concat(parts, ignore_index=True)


def curves_frame(cells: list[dict], experiment):
    """The searches' anytime curves in long format (``benchmark, dataset, metric, method, optimizer, seed,
    queries, best_so_far, regret, sim_seconds, stop``), every curve on the same query grid (``curve_points`` evenly
    spaced in 1..search_budget, plus the checkpoints and the shrink budget), so seeds average point by point."""
    import pandas as pd

    cols = ["benchmark", "dataset", "metric", "budget", "method", "optimizer", "seed", "queries", "best_so_far",
            "regret", "sim_seconds", "stop"]
    if not experiment.optimizers:
        return pd.DataFrame(columns=cols)
    grid = curve_grid(int(experiment.search_budget), experiment.curve_points,
                      [*experiment.regret_at, *experiment.budgets])
    # one row of labels and one row of len(grid) values per curve, then whole columns at once: a frame per curve
    # (14,400 in examples/large_grid.yaml) cost seconds and twice the memory in concat
    labels, best, gmax, sim = [], [], [], []
    for c in cells:
        r = c["row"]
        for opt, cv in (c.get("curves") or {}).items():
            q = np.asarray(cv["queries"], dtype=np.int64)
            b = np.asarray([np.nan if x is None else x for x in cv["best"]], dtype=np.float64)
            i = np.searchsorted(q, grid, side="right") - 1
            best.append(np.where(i >= 0, b[np.maximum(i, 0)], np.nan) if len(q) else np.full(len(grid), np.nan))
            s = cv.get("grid_sim_seconds")
            sim.append(np.asarray(s, dtype=np.float64) if s is not None else np.full(len(grid), np.nan))
            gmax.append(float(cv["global_max"]))
            labels.append((r["benchmark"], r["dataset"], r["metric"], int(r["budget"]), r["method"], opt,
                           int(r["seed"]), cv.get("stop")))
    if not labels:
        return pd.DataFrame(columns=cols)
    g = len(grid)
    out = {}
    for j, name in enumerate(("benchmark", "dataset", "metric", "budget", "method", "optimizer", "seed")):
        kind = np.int64 if name in ("budget", "seed") else object
        out[name] = np.repeat(np.array([lab[j] for lab in labels], dtype=kind), g)
    best_all = np.concatenate(best)
    stops = [lab[7] for lab in labels]
    stop = np.repeat(np.array(stops, dtype=object), g)
    out.update(queries=np.tile(grid.astype(np.int64), len(labels)), best_so_far=best_all,
               regret=np.repeat(np.array(gmax), g) - best_all, sim_seconds=np.concatenate(sim),
               # a curve without a stop (an older record) keeps the column object, as concatenating frames did
               stop=pd.Series(stop, dtype=object) if None in stops else stop)
    return pd.DataFrame(out)


def time_grid(time_budget: float, points: int) -> np.ndarray:
    """The simulated seconds a time curve keeps: ``points`` evenly spaced in (0, time_budget].

    >>> time_grid(100, 4).tolist()
    [25.0, 50.0, 75.0, 100.0]
    """
    return np.linspace(0.0, float(time_budget), max(int(points), 1) + 1)[1:]


def time_curves_frame(cells: list[dict], experiment):
    """The anytime curves against simulated seconds (``..., optimizer, seed, seconds, best_so_far, regret``) on one
    grid of ``curve_points`` times up to the time budget.  Empty without a time budget.  Before a run's first
    query has finished its best is NaN."""
    import pandas as pd

    cols = ["benchmark", "dataset", "metric", "budget", "method", "optimizer", "seed", "seconds", "best_so_far",
            "regret", "stop"]
    if not experiment.optimizers or experiment.time_budget is None:
        return pd.DataFrame(columns=cols)
    grid = time_grid(experiment.time_budget, experiment.curve_points or 100)
    parts = []
    for c in cells:
        r = c["row"]
        for opt, cv in (c.get("curves") or {}).items():
            if "seconds" not in cv:
                continue
            t = np.asarray(cv["seconds"], dtype=np.float64)
            b = np.asarray([np.nan if x is None else x for x in cv["best"]], dtype=np.float64)
            i = np.searchsorted(t, grid, side="right") - 1
            best = np.where(i >= 0, b[np.maximum(i, 0)], np.nan) if len(t) else np.full(len(grid), np.nan)
            parts.append(pd.DataFrame({
                "benchmark": r["benchmark"], "dataset": r["dataset"], "metric": r["metric"], "budget": r["budget"],
                "method": r["method"], "optimizer": opt, "seed": int(r["seed"]), "seconds": grid,
                "best_so_far": best, "regret": float(cv["global_max"]) - best, "stop": cv.get("stop")}))
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True).astype({"seed": "int64", "budget": "int64"})


def is_full(cell: dict) -> bool:
    """Whether a record is a ``full`` cell (no shrink phase: no space, no shrink metrics)."""
    return bool(cell.get("full"))
