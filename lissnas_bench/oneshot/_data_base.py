"""The data-source contract of one-shot training and the index plans the image sources share.

A ``DataSource`` serves endless training batches and the calibration and validation splits; ``_Plan`` makes
every training batch a pure function of (seed, step, rank).  The sources themselves live in ``data.py``
(synthetic), ``_data_imagefolder.py`` and ``_data_cifar10.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .._imports import optional_import
from ..errors import InvalidConfig

torch = optional_import("torch", "oneshot", "one-shot training")

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def _seed(*parts: int) -> int:
    """A 63-bit seed derived from integers (for torch generators)."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1, np.uint64)[0] >> np.uint64(1))


class DataSource:
    """Base class.  Subclasses implement ``_train_batch(step, rank, world)`` or override ``train_batches``,
    and ``_eval_items`` for the calibration and validation splits."""

    num_classes: int
    resolution: int
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def __init__(self, batch_size: int, eval_batch_size: int, seed: int):
        self.batch_size = int(batch_size)
        self.eval_batch_size = int(eval_batch_size)
        self.seed = int(seed)
        self._norm: dict = {}

    # ---------------------------------------------------------------- device-side normalisation
    def prepare(self, x, device, channels_last: bool = False):
        """Move a batch to ``device`` and normalise it (uint8 -> float); float batches are used as they are."""
        x = x.to(device, non_blocking=True)
        if x.dtype == torch.uint8:
            key = str(device)
            if key not in self._norm:
                mean = torch.tensor(self.mean, device=device).view(1, 3, 1, 1) * 255
                std = torch.tensor(self.std, device=device).view(1, 3, 1, 1) * 255
                self._norm[key] = (mean, 1.0 / std)
            mean, inv = self._norm[key]
            x = (x.float() - mean) * inv
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    # ---------------------------------------------------------------- training stream
    def train_batches(self, start_step: int, rank: int = 0, world: int = 1, device=None) -> Iterator:
        """Batches for steps ``start_step, start_step + 1, ...`` of this rank (an endless iterator)."""
        step = int(start_step)
        while True:
            yield self._train_batch(step, rank, world, device)
            step += 1

    def _train_batch(self, step, rank, world, device):  # pragma: no cover - abstract
        raise NotImplementedError

    # ---------------------------------------------------------------- evaluation splits
    def calib_batches(self, n: int) -> Iterator:
        """``n`` fixed batches of training images (evaluation transform) for BN recalibration."""
        raise NotImplementedError

    def val_batches(self, n: int | None = None) -> Iterator:
        """The validation split (the held-out part of the training set when ``holdout`` > 0), in order."""
        raise NotImplementedError

    def val_size(self) -> int:
        raise NotImplementedError



# ---------------------------------------------------------------------------------------------- index plans


class _Plan:
    """Which training images (and augmentation seeds) make up each step's batch on each rank."""

    def __init__(self, indices: np.ndarray, batch_size: int, seed: int):
        self.indices = np.asarray(indices, np.int64)
        self.batch_size = batch_size
        self.seed = seed
        self._epoch = (-1, None)

    def batch(self, step: int, rank: int, world: int) -> tuple[np.ndarray, np.ndarray]:
        gb = self.batch_size * world
        per_epoch = len(self.indices) // gb
        if per_epoch == 0:
            raise InvalidConfig(
                f"data.batch_size: a global batch of {gb} exceeds the {len(self.indices)} training images"
            )
        epoch, pos = divmod(step, per_epoch)
        if self._epoch[0] != epoch:
            perm = np.random.default_rng([self.seed, 7, epoch]).permutation(len(self.indices))
            self._epoch = (epoch, self.indices[perm])
        lo = pos * gb + rank * self.batch_size
        idx = self._epoch[1][lo: lo + self.batch_size]
        seeds = np.random.default_rng([self.seed, 11, step]).integers(0, 2**62, size=gb)
        return idx, seeds[rank * self.batch_size: (rank + 1) * self.batch_size]


def _split(n: int, holdout: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if holdout >= n:
        raise InvalidConfig(f"data.holdout: {holdout} held-out images leave none of the {n} for training")
    perm = np.random.default_rng([seed, 5]).permutation(n)
    return np.sort(perm[holdout:]), np.sort(perm[:holdout])
