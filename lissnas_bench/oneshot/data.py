"""Training and evaluation data: synthetic tensors, an ImageFolder tree (ImageNet layout) or CIFAR-10.

Every batch is a pure function of (seed, step, rank): the permutation of an epoch comes from
``default_rng([seed, epoch])`` and each image's augmentation from its own seed, so a resumed run sees exactly
the batches an uninterrupted run would have seen, whatever the number of loader workers.

Images travel as ``uint8`` and are normalised on the device (:meth:`DataSource.prepare`), a quarter of the
host-to-device traffic of float32.  Pillow is needed only for ImageFolder trees and is imported lazily.

This module holds the synthetic source and ``make_source``; the contract and index plans are in
``_data_base.py``, the image sources in ``_data_imagefolder.py`` and ``_data_cifar10.py``.
"""

from __future__ import annotations

import math

from ..errors import InvalidConfig
# the contract, the constants and the image sources stay importable from here, where they were first defined
from ._data_base import CIFAR_MEAN, CIFAR_STD, IMAGENET_MEAN, IMAGENET_STD, DataSource, _seed, torch  # noqa: F401
from ._data_cifar10 import Cifar10Source
from ._data_imagefolder import IMG_EXTENSIONS, ImageDataset, ImageFolderSource, _random_resized_crop  # noqa: F401
from .config import OneShotConfig


# ---------------------------------------------------------------------------------------------- synthetic


class SyntheticSource(DataSource):
    """Random images with a planted signal: ``x = noise + template[y]`` (templates are 8x8, upsampled), so
    networks learn and subnets differ.  Generated directly on the device (no host work) for throughput runs."""

    mean = (0.0, 0.0, 0.0)
    std = (1.0, 1.0, 1.0)

    def __init__(self, num_classes: int, resolution: int, batch_size: int, eval_batch_size: int, seed: int,
                 val_size: int = 512, signal: float = 1.0):
        super().__init__(batch_size, eval_batch_size, seed)
        self.num_classes, self.resolution = int(num_classes), int(resolution)
        self._val_size = int(val_size)
        g = torch.Generator().manual_seed(_seed(seed, 101))
        self.templates = torch.randn(self.num_classes, 3, 8, 8, generator=g) * signal
        self._tdev: dict = {}

    def _make(self, n: int, stream: int, index: int, device):
        device = torch.device("cpu") if device is None else torch.device(device)
        g = torch.Generator(device=device).manual_seed(_seed(self.seed, stream, index))
        y = torch.randint(0, self.num_classes, (n,), generator=g, device=device)
        x = torch.randn(n, 3, self.resolution, self.resolution, generator=g, device=device)
        key = str(device)
        if key not in self._tdev:
            self._tdev[key] = self.templates.to(device)
        t = torch.nn.functional.interpolate(self._tdev[key][y], size=(self.resolution, self.resolution),
                                            mode="nearest")
        return x.add_(t), y

    def _train_batch(self, step, rank, world, device):
        return self._make(self.batch_size, 1, step * world + rank, device)

    def calib_batches(self, n):
        for i in range(n):
            yield self._make(self.eval_batch_size, 2, i, None)

    def val_size(self):
        return self._val_size

    def val_batches(self, n=None):
        total = math.ceil(self._val_size / self.eval_batch_size)
        for i in range(total if n is None else min(n, total)):
            size = min(self.eval_batch_size, self._val_size - i * self.eval_batch_size)
            yield self._make(size, 3, i, None)



# ---------------------------------------------------------------------------------------------- factory


def make_source(cfg: OneShotConfig, layout, *, seed: int, batch_size: int | None = None,
                pin_memory: bool = False) -> DataSource:
    """The data source a configuration describes, checked against the network's resolution and classes."""
    d = cfg.data
    bs = int(batch_size or d.batch_size)
    ebs = int(d.eval_batch_size or bs)
    if d.kind == "synthetic":
        return SyntheticSource(layout.num_classes, layout.resolution, bs, ebs, seed, val_size=d.synthetic_val_size,
                               signal=d.synthetic_signal)
    if d.kind == "cifar10":
        if layout.resolution != 32:
            raise InvalidConfig(f"model.resolution must be 32 for data.kind cifar10, got {layout.resolution}")
        src: DataSource = Cifar10Source(d.root, d.holdout, bs, ebs, seed)
    else:
        src = ImageFolderSource(d.train_dir, d.val_dir, d.holdout, layout.resolution, bs, ebs, d.workers, seed,
                                pin_memory=pin_memory)
    if src.num_classes != layout.num_classes:
        raise InvalidConfig(
            f"model.num_classes is {layout.num_classes} but the data has {src.num_classes} classes; "
            f"set model.num_classes: {src.num_classes}"
        )
    return src
