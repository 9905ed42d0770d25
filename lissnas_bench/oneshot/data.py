"""Training and evaluation data: synthetic tensors, an ImageFolder tree (ImageNet layout) or CIFAR-10.

Every batch is a pure function of (seed, step, rank): the permutation of an epoch comes from
``default_rng([seed, epoch])`` and each image's augmentation from its own seed, so a resumed run sees exactly
the batches an uninterrupted run would have seen, whatever the number of loader workers.

Images travel as ``uint8`` and are normalised on the device (:meth:`DataSource.prepare`), a quarter of the
host-to-device traffic of float32.  Pillow is needed only for ImageFolder trees and is imported lazily.
"""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .._imports import optional_import
from ..errors import DataFileError, InvalidConfig
from .config import OneShotConfig

torch = optional_import("torch", "oneshot", "one-shot training")

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", ".JPEG")


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


# ---------------------------------------------------------------------------------------------- ImageFolder


def _scan(root: Path) -> tuple[list[str], list[tuple[str, int]]]:
    if not root.is_dir():
        raise DataFileError(f"image folder {str(root)!r} does not exist")
    classes = sorted(d.name for d in os.scandir(root) if d.is_dir())
    if not classes:
        raise DataFileError(f"image folder {str(root)!r} has no class sub-folders")
    samples = []
    for c, name in enumerate(classes):
        for dirpath, _, files in sorted(os.walk(root / name, followlinks=True)):
            for f in sorted(files):
                if f.lower().endswith(tuple(e.lower() for e in IMG_EXTENSIONS)):
                    samples.append((os.path.join(dirpath, f), c))
    if not samples:
        raise DataFileError(f"image folder {str(root)!r} holds no images ({', '.join(IMG_EXTENSIONS[:4])}, ...)")
    return classes, samples


def _random_resized_crop(w: int, h: int, rng: np.random.Generator, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    """torchvision's RandomResizedCrop box (left, top, right, bottom)."""
    area = w * h
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(*log_ratio))
        cw, ch = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            top, left = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
            return left, top, left + cw, top + ch
    in_ratio = w / h
    if in_ratio < ratio[0]:
        cw, ch = w, int(round(w / ratio[0]))
    elif in_ratio > ratio[1]:
        ch, cw = h, int(round(h * ratio[1]))
    else:
        cw, ch = w, h
    top, left = (h - ch) // 2, (w - cw) // 2
    return left, top, left + cw, top + ch


class ImageDataset:
    """Map-style dataset over ``(path, label)``; items are addressed by ``(index, seed)``.

    Training: random-resized crop (scale 0.08-1) and horizontal flip; evaluation: resize the shorter side to
    ``resolution / 0.875`` and centre-crop.  Returns ``uint8`` CHW tensors.
    """

    def __init__(self, samples, resolution: int, train: bool):
        self.samples, self.resolution, self.train = samples, int(resolution), bool(train)

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, item):
        index, seed = item if isinstance(item, tuple) else (item, 0)
        Image = optional_import("PIL.Image", "oneshot", "ImageFolder data (Pillow)")
        path, label = self.samples[int(index)]
        try:
            with Image.open(path) as im:
                r = self.resolution
                if not self.train:
                    im.draft("RGB", (r, r))  # JPEG: decode at reduced size when it can
                img = im.convert("RGB")
        except OSError as exc:
            raise DataFileError(f"cannot read image {path!r}: {exc}") from exc
        w, h = img.size
        resample = Image.Resampling.BILINEAR
        if self.train:
            rng = np.random.default_rng(int(seed))
            box = _random_resized_crop(w, h, rng)
            img = img.resize((r, r), resample, box=box)
            if rng.random() < 0.5:
                img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        else:
            short = int(round(r / 0.875))
            scale = short / min(w, h)
            nw, nh = max(r, int(round(w * scale))), max(r, int(round(h * scale)))
            img = img.resize((nw, nh), resample)
            left, top = (nw - r) // 2, (nh - r) // 2
            img = img.crop((left, top, left + r, top + r))
        arr = np.asarray(img, dtype=np.uint8)
        return torch.from_numpy(arr.copy()).permute(2, 0, 1).contiguous(), int(label)


class _StepBatches:
    """Endless batch sampler for a DataLoader: lists of (index, seed) for steps start, start + 1, ..."""

    def __init__(self, plan: _Plan, start: int, rank: int, world: int):
        self.plan, self.start, self.rank, self.world = plan, start, rank, world

    def __iter__(self):
        step = self.start
        while True:
            idx, seeds = self.plan.batch(step, self.rank, self.world)
            yield [(int(i), int(s)) for i, s in zip(idx, seeds)]
            step += 1


class ImageFolderSource(DataSource):
    def __init__(self, train_dir, val_dir, holdout: int, resolution: int, batch_size: int, eval_batch_size: int,
                 workers: int, seed: int, pin_memory: bool = False):
        super().__init__(batch_size, eval_batch_size, seed)
        optional_import("PIL.Image", "oneshot", "ImageFolder data (Pillow)")
        self.resolution = int(resolution)
        self.classes, samples = _scan(Path(train_dir))
        self.num_classes = len(self.classes)
        self.workers, self.pin_memory = int(workers), pin_memory
        train_idx, hold_idx = _split(len(samples), holdout, seed)
        self.train_samples = samples
        self.plan = _Plan(train_idx, self.batch_size, seed)
        if holdout > 0:
            self.val_samples = [samples[i] for i in hold_idx]
        else:
            classes, self.val_samples = _scan(Path(val_dir))
            if classes != self.classes:
                raise DataFileError(
                    f"validation folder {str(val_dir)!r} has {len(classes)} classes that differ from the "
                    f"{len(self.classes)} of the training folder"
                )
        self.calib_pool = np.random.default_rng([seed, 13]).permutation(train_idx)

    def _loader(self, dataset, batch_sampler):
        from torch.utils.data import DataLoader

        return DataLoader(dataset, batch_sampler=batch_sampler, num_workers=self.workers,
                          pin_memory=self.pin_memory, persistent_workers=False,
                          prefetch_factor=4 if self.workers else None)

    def train_batches(self, start_step, rank=0, world=1, device=None):
        ds = ImageDataset(self.train_samples, self.resolution, train=True)
        yield from self._loader(ds, _StepBatches(self.plan, int(start_step), rank, world))

    def calib_batches(self, n):
        b = self.eval_batch_size
        idx = self.calib_pool[: n * b]
        ds = ImageDataset(self.train_samples, self.resolution, train=False)
        batches = [[(int(i), 0) for i in idx[k: k + b]] for k in range(0, len(idx), b)]
        yield from self._loader(ds, batches)

    def val_size(self):
        return len(self.val_samples)

    def val_batches(self, n=None):
        b = self.eval_batch_size
        total = len(self.val_samples) if n is None else min(len(self.val_samples), n * b)
        ds = ImageDataset(self.val_samples, self.resolution, train=False)
        yield from self._loader(ds, [[(i, 0) for i in range(k, min(k + b, total))] for k in range(0, total, b)])


# ---------------------------------------------------------------------------------------------- CIFAR-10


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
