"""Seed streams: one root seed; every number of a cell derives from its coordinates, never from its position.

A cell (benchmark, dataset, metric, seed index) gets ``SeedSequence(root_seed, spawn_key=(target_key, seed))``
with ``target_key = crc32(benchmark id, dataset, metric)``.  Its children: 0 shrink, 1 evaluation, 2 the sample of
f over S' kept for the distribution figure, ``(3, crc32(optimizer))`` each search, and 4 the trials a noisy oracle
answers with.  Every shrinker of a cell
starts from the same stream (the size-matched baselines see the reference's result of *their* cell) and every
search of a cell uses the same stream whatever the shrinker (common random numbers), so results do not depend on
the executor, the order cells finish in, or which other cells the grid holds.

>>> ss = seed_sequence(0, stable_int("analognas", "cifar10", "baseline_accuracy"), 3)
>>> cell_seed(ss) == cell_seed(seed_sequence(0, stable_int("analognas", "cifar10", "baseline_accuracy"), 3))
True
"""

from __future__ import annotations

import zlib

import numpy as np


def stable_int(*parts: str) -> int:
    """A 32-bit key that is the same in every process and Python version (``hash()`` is salted)."""
    return zlib.crc32("\x1f".join(parts).encode())


def seed_sequence(root_seed: int, target_key: int, seed: int) -> np.random.SeedSequence:
    """The stream of one (target, seed) cell; every method of the cell starts from it."""
    return np.random.SeedSequence(root_seed, spawn_key=(target_key, seed))


def children(ss: np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """``ss.spawn(n)`` without mutating ``ss``: the same children however often it is asked."""
    return [np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (i,), pool_size=ss.pool_size)
            for i in range(n)]


def search_seed_sequence(cell_ss: np.random.SeedSequence, optimizer: str) -> np.random.SeedSequence:
    """The search's stream in a cell: child ``(3, crc32(optimizer))``, the same for every shrinker of the cell."""
    return np.random.SeedSequence(cell_ss.entropy, spawn_key=tuple(cell_ss.spawn_key) + (3, zlib.crc32(
        optimizer.encode())), pool_size=cell_ss.pool_size)


def noise_seed_sequence(cell_ss: np.random.SeedSequence) -> np.random.SeedSequence:
    """The stream of a cell's noisy oracle (child 4): every method and search of the cell sees the same trials."""
    return np.random.SeedSequence(cell_ss.entropy, spawn_key=tuple(cell_ss.spawn_key) + (4,),
                                  pool_size=cell_ss.pool_size)


def cell_seed(ss: np.random.SeedSequence) -> int:
    """A 63-bit integer naming a cell's seed stream (recorded in the results)."""
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))
