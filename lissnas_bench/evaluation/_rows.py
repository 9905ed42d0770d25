"""Which rows of a tabulated benchmark a shrunk space (or a domain) holds, from the table's stored keys.

``shrunk.contains(bench.archs)`` re-validates and re-canonicalises every row of the table on every evaluation
(for nb101, 423k rows through a 120-relabelling minimum); the table already holds each row's key, so the rows
are found by joining keys (``spaces.shrunk._keys``) and only what cannot be joined asks ``contains``.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..spaces import Space
from ..spaces.shrunk import Product
from ..spaces.shrunk._keys import canonical_rows, member_rows
from . import diversity as div


def canonical_mask(bench) -> np.ndarray:
    """Mask of the benchmark's rows that are canonical encodings, computed once per benchmark object."""
    hit = bench.__dict__.get("_canonical_rows")
    if hit is None:
        hit = canonical_rows(bench.space, bench.keys, bench.archs)
        hit.flags.writeable = False
        bench.__dict__["_canonical_rows"] = hit  # lives and dies with the benchmark object
    return hit


_REFERENCE = False  # True inside ``reference()``: every membership question goes to ``contains``


@contextmanager
def reference():
    """Evaluate the way before the key join (``contains`` on every row), to check and time the join against."""
    global _REFERENCE
    old, _REFERENCE = _REFERENCE, True
    try:
        yield
    finally:
        _REFERENCE = old


def _joined(shrunk, bench) -> np.ndarray | None:
    if _REFERENCE:
        return None
    scan = isinstance(shrunk, (Space, Product))  # these test every row: the cached canonical mask pays off
    return member_rows(shrunk, bench.space, bench.keys, bench.archs, canonical_mask(bench) if scan else None)


def stored_keys(bench, rows: np.ndarray) -> np.ndarray | None:
    """The table's keys of ``rows`` (None inside ``reference()``: the reference recomputes them)."""
    return None if _REFERENCE else bench.keys[rows]


def contains_mask(space, bench) -> np.ndarray:
    """``space.contains(bench.archs)`` (a domain such as ``full_space``), by keys where the index is shared."""
    rows = _joined(space, bench)
    if rows is None:
        return np.asarray(space.contains(bench.archs), dtype=bool)
    out = np.zeros(len(bench), dtype=bool)
    out[rows] = True
    return out


def shrunk_rows(shrunk, bench, in_S: np.ndarray, S_rows: np.ndarray) -> np.ndarray:
    """Sorted rows of S' ∩ S: the rows of ``S_rows`` (where ``in_S``) that ``shrunk.contains``."""
    rows = _joined(shrunk, bench)
    if rows is None:
        return S_rows[np.asarray(shrunk.contains(bench.archs[S_rows]), dtype=bool)]
    return rows[in_S[rows]]


@dataclass(frozen=True)
class Domain:
    """What an evaluation needs of S (the benchmark's rows with a value, within ``full_space``) that does not
    depend on the shrunk space: computed once per (benchmark, dataset, metric, q, S) and shared."""

    in_S: np.ndarray  # bool per row
    S_rows: np.ndarray
    scores: np.ndarray  # the truth oriented so that higher is better, per row
    best: float  # max of scores over S (nan if S is empty)
    threshold: float  # T_q = {x in S : score >= threshold} (nan if S is empty)
    top_rows: np.ndarray
    available: np.ndarray  # (positions, max_choices) bool: choices some row of S takes
    key: tuple  # identifies (dataset, metric, q, S) for caches keyed by the domain (EvalContext.key)


_DOMAINS_MAX = 8  # each holds a few arrays of the table's length (~7 MB at 423k rows)


def domain(bench, dataset: str, metric: str, q: float, sign: float, full_space, threshold) -> Domain:
    """The ``Domain`` of (dataset, metric, q) restricted to ``full_space``; ``threshold(values, q)`` is T_q's
    cut.  Cached on the benchmark object (a new ``full_space`` object with the same rows shares the entry)."""
    f_all = bench.columns[(dataset, metric)]
    in_S = None
    token = None
    if full_space is not None:
        in_S = np.isfinite(f_all) & contains_mask(full_space, bench)
        token = hash(np.flatnonzero(in_S).tobytes())
    key = (dataset, metric, q, token)
    per = bench.__dict__.setdefault("_eval_domains", {})  # lives and dies with the benchmark object
    hit = None if _REFERENCE else per.get(key)
    if hit is not None:
        return hit
    if in_S is None:
        in_S = np.isfinite(f_all)
    S_rows = np.flatnonzero(in_S)
    scores = f_all if sign > 0 else -f_all
    fS = scores[S_rows]
    t = threshold(fS, q) if len(S_rows) else math.nan
    out = Domain(in_S, S_rows, scores, float(fS.max()) if len(fS) else math.nan, t,
                 S_rows[fS >= t] if len(S_rows) else S_rows[:0],
                 div.choice_counts(bench.archs[S_rows], bench.space.n_choices) > 0, key)
    if not _REFERENCE:
        if len(per) >= _DOMAINS_MAX:
            per.pop(next(iter(per)))
        per[key] = out
    return out
