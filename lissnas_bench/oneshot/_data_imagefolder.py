"""ImageFolder data (ImageNet layout: one sub-folder per class) for one-shot training.

Training images get torchvision's random-resized crop and a horizontal flip, seeded per image; evaluation images
are resized and centre-cropped.  Pillow is imported only when a source is built or an image is read.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .._imports import optional_import
from ..errors import DataFileError
from ._data_base import DataSource, _Plan, _split, torch

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", ".JPEG")


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
