"""Scoring subnets of a supernet: BN recalibration, then top-1 accuracy; batches of subnets over all ranks.

A supernet's BN running statistics are a blend over every path trained, so SPOS re-estimates them for each
subnet before evaluating it: reset, then a cumulative average over a few training batches.  Each subnet starts
from reset statistics, so its score does not depend on what was evaluated before it.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from .._imports import optional_import
from .dist import DistContext, all_reduce_sum

torch = optional_import("torch", "oneshot", "one-shot training")
nn = torch.nn

log = logging.getLogger("lissnas_bench.oneshot")


def _bn_layers(model):
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def recalibrate_bn(model, arch, batches, prepare, autocast=None) -> None:
    """Re-estimate every BN layer's running statistics for path ``arch`` from ``batches`` (exact average)."""
    bns = _bn_layers(model)
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative moving average: every batch weighs the same
    was_training = model.training
    model.train()
    try:
        for x, _ in batches:
            with autocast():
                model(prepare(x), arch)
    finally:
        for bn, m in zip(bns, momenta):
            bn.momentum = m
        model.train(was_training)


class SubnetEvaluator:
    """Top-1 accuracy (%) of subnets of ``model`` (an unwrapped :class:`~lissnas_bench.oneshot.model.Supernet`).

    Calibration and validation batches are read once and kept in memory (``cache=True``) -- as ``uint8`` for
    image data -- so scoring thousands of subnets decodes no image twice.
    """

    def __init__(self, model, source, ctx: DistContext, *, calib_batches: int = 20, val_batches: int | None = None,
                 cache: bool = True, bf16: bool = True, channels_last: bool = True):
        self.model, self.source, self.ctx = model, source, ctx
        self.n_calib, self.n_val = int(calib_batches), val_batches
        self.channels_last = bool(channels_last)
        self.use_bf16 = bool(bf16) and ctx.device.type == "cuda"
        self._calib = self._cache(source.calib_batches(self.n_calib)) if cache else None
        self._val = self._cache(source.val_batches(self.n_val)) if cache else None
        self.evaluated = 0
        self.seconds = 0.0

    def _cache(self, batches) -> list:
        """Keep the batches in memory: on the GPU when they take under a quarter of its free memory."""
        out = list(batches)
        dev = self.ctx.device
        if dev.type == "cuda" and out:
            nbytes = sum(x.numel() * x.element_size() for x, _ in out)
            free, _ = torch.cuda.mem_get_info(dev)
            if nbytes < free // 4:
                return [(x.to(dev), y.to(dev)) for x, y in out]
            return [(x.pin_memory(), y.pin_memory()) for x, y in out]
        return out

    def autocast(self):
        return torch.autocast(device_type=self.ctx.device.type, dtype=torch.bfloat16, enabled=self.use_bf16)

    def _prepare(self, x):
        return self.source.prepare(x, self.ctx.device, self.channels_last)

    def calib(self):
        return self._calib if self._calib is not None else self.source.calib_batches(self.n_calib)

    def val(self):
        return self._val if self._val is not None else self.source.val_batches(self.n_val)

    @torch.no_grad()
    def score_one(self, arch) -> float:
        arch = tuple(int(c) for c in arch)
        if self.n_calib:
            recalibrate_bn(self.model, arch, self.calib(), self._prepare, self.autocast)
        self.model.eval()
        correct = torch.zeros((), dtype=torch.int64, device=self.ctx.device)
        total = 0
        for x, y in self.val():
            with self.autocast():
                out = self.model(self._prepare(x), arch)
            correct += (out.argmax(1) == y.to(self.ctx.device, non_blocking=True)).sum()
            total += len(y)
        return 100.0 * float(correct.item()) / max(total, 1)

    def __call__(self, archs) -> np.ndarray:
        """Scores of a batch of architectures; with several ranks each scores its share and all receive all."""
        archs = np.asarray(archs, dtype=np.int64).reshape(len(archs), -1)
        t0 = time.perf_counter()
        out = torch.zeros(len(archs), dtype=torch.float64)
        mine = range(self.ctx.rank, len(archs), self.ctx.world)
        for i in mine:
            out[i] = self.score_one(archs[i])
        out = all_reduce_sum(out, self.ctx)
        self.evaluated += len(archs)
        dt = time.perf_counter() - t0
        self.seconds += dt
        log.debug("scored %d subnets in %.2fs", len(archs), dt)
        return out.numpy()
