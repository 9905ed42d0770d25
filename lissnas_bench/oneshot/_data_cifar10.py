"""CIFAR-10 from the official ``cifar-10-batches-py`` pickles, read without running any code they carry."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from ..errors import DataFileError
from ._data_base import CIFAR_MEAN, CIFAR_STD, DataSource, _Plan, _split, torch


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """The official CIFAR-10 pickles hold a dict of numpy arrays and lists; refuse anything else."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 carry bytes
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR-10 file")


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise DataFileError(f"CIFAR-10 file {str(path)!r} does not exist (expected the cifar-10-batches-py files)")
    try:
        with open(path, "rb") as f:
            d = _NumpyOnlyUnpickler(f, encoding="bytes").load()
        data = np.asarray(d[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(d[b"labels"], dtype=np.int64)
    except (pickle.UnpicklingError, KeyError, ValueError, EOFError, TypeError, AttributeError, IndexError) as exc:
        raise DataFileError(f"CIFAR-10 file {str(path)!r} is not a CIFAR-10 python batch: {exc}") from exc
    return data, labels


class Cifar10Source(DataSource):
    """CIFAR-10 from the official ``cifar-10-batches-py`` folder (``root`` may be it or its parent).
    Training: 4-pixel padded random crop and horizontal flip."""

    mean, std = CIFAR_MEAN, CIFAR_STD

    def __init__(self, root, holdout: int, batch_size: int, eval_batch_size: int, seed: int):
        super().__init__(batch_size, eval_batch_size, seed)
        root = Path(root)
        if (root / "cifar-10-batches-py").is_dir():
            root = root / "cifar-10-batches-py"
        parts = [_read_cifar_batch(root / f"data_batch_{i}") for i in range(1, 6)]
        self.x = np.concatenate([p[0] for p in parts])
        self.y = np.concatenate([p[1] for p in parts])
        self.num_classes, self.resolution = 10, 32
        train_idx, hold_idx = _split(len(self.x), holdout, seed)
        self.plan = _Plan(train_idx, self.batch_size, seed)
        if holdout > 0:
            self.vx, self.vy = self.x[hold_idx], self.y[hold_idx]
        else:
            self.vx, self.vy = _read_cifar_batch(root / "test_batch")
        self.calib_pool = np.random.default_rng([seed, 13]).permutation(train_idx)

    def _train_batch(self, step, rank, world, device):
        idx, seeds = self.plan.batch(step, rank, world)
        imgs = np.pad(self.x[idx], ((0, 0), (0, 0), (4, 4), (4, 4)))
        out = np.empty((len(idx), 3, 32, 32), np.uint8)
        for j, s in enumerate(seeds):
            rng = np.random.default_rng(int(s))
            t, left = rng.integers(0, 9, size=2)
            crop = imgs[j, :, t: t + 32, left: left + 32]
            out[j] = crop[:, :, ::-1] if rng.random() < 0.5 else crop
        return torch.from_numpy(out), torch.from_numpy(self.y[idx])

    def calib_batches(self, n):
        b = self.eval_batch_size
        idx = self.calib_pool[: n * b]
        for k in range(0, len(idx), b):
            j = idx[k: k + b]
            yield torch.from_numpy(self.x[j]), torch.from_numpy(self.y[j])

    def val_size(self):
        return len(self.vx)

    def val_batches(self, n=None):
        b = self.eval_batch_size
        total = len(self.vx) if n is None else min(len(self.vx), n * b)
        for k in range(0, total, b):
            e = min(k + b, total)
            yield torch.from_numpy(self.vx[k:e]), torch.from_numpy(self.vy[k:e])
