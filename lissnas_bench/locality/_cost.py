"""Exact or sampled: what an analysis costs before it starts."""

from __future__ import annotations

from ..errors import InvalidConfig
from . import measures as M
from ._landscape import Landscape
from .settings import LocalitySettings

#: exact mode: at most this many rows, and at most this many element operations for the pair sums
EXACT_MAX_ROWS = 200_000
EXACT_BUDGET = 4e9


def choose_mode(L: Landscape, st: LocalitySettings) -> tuple[str, str]:
    """(``exact`` or ``sampled``, the pair-sum method) for ``st.mode``; ``InvalidConfig`` when exact mode is
    asked for and too expensive."""
    P = L.positions
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
