"""What an analysis costs before it starts: exact or sampled mode, and a refusal (one clear error naming the
option, the estimate and the limit) of settings that would exhaust the memory or run for hours.

>>> from lissnas_bench.locality.settings import LocalitySettings
>>> st = LocalitySettings(walks=10_000_000, max_distance=6, walk_length=500, maximize=True)
>>> check_resources(st, n=15_625, positions=6, neighbours=24, mode="exact")
Traceback (most recent call last):
...
lissnas_bench.errors.InvalidConfig: locality: walks × walk_length: 10,000,000 walks of 501 steps need \
about 234 GiB of memory, over the limit of 4 GiB; lower --walks or --walk-length, or pass --yes (allow_large=True) to run anyway
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import InvalidConfig
from . import measures as M
from ._landscape import Landscape
from .settings import LocalitySettings

#: exact mode: at most this many rows, and at most this many element operations for the pair sums
EXACT_MAX_ROWS = 200_000
EXACT_BUDGET = 4e9
#: refuse (unless allowed) a run whose largest arrays would exceed this many bytes ...
MEMORY_LIMIT = 4 * 2**30
#: ... or that needs more than this many element operations (roughly ten minutes on one core)
WORK_LIMIT = 5e11


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


class Estimate(NamedTuple):
    option: str  # the setting that drives it
    flags: str  # the command-line options to lower
    what: str  # the quantity, in words
    bytes: float
    ops: float


def estimates(st: LocalitySettings, n: int, positions: int, neighbours: int, mode: str) -> list[Estimate]:
    """Peak memory and element operations of the stages that grow with the settings (``neighbours``: the largest
    number of radius-1 moves of an architecture, for the cost of a sampled step)."""
    K, T, N = st.max_distance, st.walk_length + 1, st.samples
    exact = mode == "exact"
    walkers = st.walks if exact else N
    step_ops = 4 * (K + 1) if exact else 8 * (K + 1) + 10 * neighbours * positions
    rows = n * (5 * K + 12) if exact else min(n, 20_000) * 6  # the cluster bootstrap / the FDC's
    boot_chunk = 16.0 * 64 if st.bootstrap else 0.0  # bootstrap weights: 64 replicates of every unit at a time
    return [
        Estimate("walks × walk_length" if exact else "samples × walk_length",
                 "--walks or --walk-length" if exact else "--samples or --walk-length",
                 f"{walkers:,} walks of {T:,} steps", (48.0 * T + boot_chunk) * walkers, float(walkers) * T * step_ops),
        Estimate("samples", "--samples", f"{N:,} sampled pairs per distance", (64.0 * (K + 2) + boot_chunk) * N,
                 float(N) * (K + 2) * 40),
        Estimate("bootstrap", "--bootstrap", f"{st.bootstrap:,} bootstrap replicates", 0.0,
                 float(st.bootstrap) * (rows + walkers * (K + 1) + N * (K + 2) * 4)),
        Estimate("permutations", "--permutations", f"{st.permutations:,} permutations",
                 8.0 * st.permutations + 24.0 * st.permutation_pairs,
                 float(st.permutations) * min(st.permutation_pairs, n * max(neighbours, 1)) * 6),
    ]


def check_resources(st: LocalitySettings, *, n: int, positions: int, neighbours: int, mode: str,
                    allow_large: bool = False) -> None:
    """``InvalidConfig`` naming the option, the estimate and the limit when a stage would need more than
    ``MEMORY_LIMIT`` bytes or ``WORK_LIMIT`` operations, unless ``allow_large``."""
    if allow_large:
        return
    est = estimates(st, n, positions, neighbours, mode)
    worst = max(est, key=lambda e: e.bytes / MEMORY_LIMIT)
    if worst.bytes > MEMORY_LIMIT:
        raise _refusal(worst, f"need about {_gib(worst.bytes)} of memory, over the limit of {_gib(MEMORY_LIMIT)}")
    worst = max(est, key=lambda e: e.ops)
    if worst.ops > WORK_LIMIT:
        raise _refusal(worst, f"need about {worst.ops:.1e} operations (hours), over the limit of {WORK_LIMIT:.0e}")


def _refusal(e: Estimate, problem: str) -> InvalidConfig:
    return InvalidConfig(f"{LocalitySettings.where}: {e.option}: {e.what} {problem}; lower {e.flags}, or pass "
                         "--yes (allow_large=True) to run anyway")


def _gib(b: float) -> str:
    gib = b / 2**30
    if gib < 1:
        return f"{b / 2**20:,.0f} MiB"
    return f"{gib:,.0f} GiB" if gib >= 10 else f"{gib:.1f}".removesuffix(".0") + " GiB"


def max_neighbours(space) -> int:
    """The number of radius-1 moves of an architecture in a product space (an upper bound elsewhere)."""
    k = np.asarray(space.n_choices, np.int64)
    return int(np.sum(k - 1))
