"""The training loop shared by the supernet (one sampled path per step) and stand-alone retraining.

Everything a step depends on is a function of the step number -- the path (``ArchSampler.path``), the batch
(``DataSource``), the learning rate -- so the checkpoint only needs the weights, the optimizer state and the
step, and a resumed run repeats the uninterrupted one exactly (given the same world size and, on GPUs,
deterministic kernels).  Checkpoints are written atomically (temporary file, fsync, rename) by rank 0.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .._imports import optional_import
from ..errors import DataFileError, InvalidConfig
from .config import TrainConfig
from .dist import DistContext, all_reduce_sum, barrier

torch = optional_import("torch", "oneshot", "one-shot training")
nn = torch.nn

log = logging.getLogger("lissnas_bench.oneshot")

CHECKPOINT_FORMAT = "lissnas-bench-oneshot/1"
#: what a step depends on besides its number: resuming with other values would not repeat the uninterrupted run
RESUME_FIELDS = ("steps", "lr", "momentum", "nesterov", "weight_decay", "label_smoothing", "warmup_steps",
                 "schedule", "grad_clip", "seed")


def atomic_save(obj, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_checkpoint(path, map_location="cpu") -> dict:
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"checkpoint {str(path)!r} does not exist")
    try:
        ck = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - truncated or foreign file
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()] or [type(exc).__name__]
        # torch's weights-only refusal is a page of advice; the line that matters names the refused object
        why = next((ln for ln in lines if ln.startswith("WeightsUnpickler error")), lines[0])
        raise DataFileError(
            f"checkpoint {str(path)!r} cannot be read ({why}); only plain tensors and containers are loaded"
        ) from exc
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise DataFileError(f"checkpoint {str(path)!r} is not a lissnas-bench one-shot checkpoint")
    return ck


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then ``linear`` decay to 0, ``cosine`` decay to 0, or ``constant``."""
    if cfg.warmup_steps and step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    span = max(1, cfg.steps - cfg.warmup_steps)
    t = min(1.0, (step - cfg.warmup_steps) / span)
    if cfg.schedule == "linear":
        return 1.0 - t
    if cfg.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * t))
    return 1.0


def _param_groups(model, weight_decay: float):
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 else no_decay).append(p)  # no weight decay on BN and biases
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


@dataclass
class _Window:
    """The steps since the last log row, and the run's fixed reference points (steps and clock)."""

    loss: object  # a 0-d tensor on the device: summed there, read once per log row
    start: int
    end: int
    global_batch: int
    t_window: float
    t0: float
    steps: int = 0


class Trainer:
    """Trains ``model``; ``path_fn(step)`` gives the path of each step (``None`` for a stand-alone network).

    ``meta`` is stored in every checkpoint and compared on resume (``kind``, ``space``, ``model``...).
    """

    def __init__(self, model, *, path_fn: Callable[[int], tuple | None], source, cfg: TrainConfig,
                 ctx: DistContext, checkpoint: Path, meta: dict, supernet: bool):
        self.cfg, self.ctx, self.source = cfg, ctx, source
        self.path_fn = path_fn
        self.checkpoint = Path(checkpoint)
        self.log_path = self.checkpoint.with_suffix(".log.jsonl")
        self.meta = dict(meta)
        self.model = model.to(ctx.device)
        if cfg.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.net = self.model
        if ctx.distributed:
            from torch.nn.parallel import DistributedDataParallel as DDP

            # a supernet step uses one path: the other operations get no gradient that step.  Its BN running
            # statistics are re-estimated per subnet before scoring, so they need not be broadcast each step.
            self.net = DDP(self.model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None,
                           find_unused_parameters=supernet, broadcast_buffers=not supernet)
        self.optimizer = torch.optim.SGD(
            _param_groups(self.model, cfg.weight_decay), lr=cfg.lr, momentum=cfg.momentum,
            nesterov=cfg.nesterov and cfg.momentum > 0,
        )
        self.use_bf16 = cfg.bf16 and ctx.device.type == "cuda"
        self.training = {**{f: getattr(cfg, f) for f in RESUME_FIELDS}, "batch_size": source.batch_size}
        self.step = 0
        self.history: list[dict] = []

    # ------------------------------------------------------------------ checkpoints
    def state(self) -> dict:
        return {
            "format": CHECKPOINT_FORMAT,
            "step": self.step,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "meta": self.meta,
            "training": self.training,
            "world_size": self.ctx.world,
            "torch": str(torch.__version__),
        }

    def save(self) -> None:
        if self.ctx.is_main:
            atomic_save(self.state(), self.checkpoint)
        barrier(self.ctx)

    def resume(self, force: bool = False) -> bool:
        """Load ``self.checkpoint`` if it exists; False if there is nothing to resume.

        A checkpoint of another network is refused; one trained with other optimisation settings
        (``RESUME_FIELDS``, batch size) too, unless ``force``.
        """
        if not self.checkpoint.is_file():
            return False
        ck = load_checkpoint(self.checkpoint, map_location=self.ctx.device)
        meta = ck.get("meta") if isinstance(ck.get("meta"), dict) else {}
        for key in ("kind", "space", "model", "arch"):
            if meta.get(key) != self.meta.get(key):
                raise InvalidConfig(
                    f"checkpoint {str(self.checkpoint)!r} was written for {key} {meta.get(key)!r}, "
                    f"not {self.meta.get(key)!r}; use another out_dir or start without resuming"
                )
        self._check_training(ck.get("training"), force)
        if meta.get("region") != self.meta.get("region"):
            log.warning("resuming %s with a different shrunk space than it was trained in so far", self.checkpoint)
        if ck.get("world_size") != self.ctx.world:
            log.warning("resuming with %d processes after %s: the batches differ from an uninterrupted run",
                        self.ctx.world, ck.get("world_size"))
        self.model.load_state_dict(ck["model"])
        self.optimizer.load_state_dict(ck["optimizer"])
        self.step = int(ck["step"])
        if self.ctx.is_main and self.log_path.is_file():  # drop log rows the resumed run will write again
            rows = [r for r in self.log_path.read_text().splitlines() if r.strip()]
            keep = [r for r in rows if json.loads(r).get("step", 0) <= self.step]
            self.log_path.write_text("".join(r + "\n" for r in keep))
        log.info("resumed %s at step %d", self.checkpoint, self.step)
        return True

    def _check_training(self, stored, force: bool) -> None:
        if not isinstance(stored, dict):
            log.warning("checkpoint %s does not record its training settings; cannot check them", self.checkpoint)
            return
        changed = [f"{k} {stored.get(k)!r} -> {v!r}" for k, v in self.training.items() if stored.get(k) != v]
        if not changed:
            return
        what = f"checkpoint {str(self.checkpoint)!r} was trained with other settings ({', '.join(changed)})"
        if not force:
            raise InvalidConfig(
                f"{what}: resuming would not repeat an uninterrupted run; pass --force to resume anyway, "
                "--no-resume to start over, or use another out_dir"
            )
        log.warning("%s; resuming anyway (--force)", what)

    # ------------------------------------------------------------------ training
    def autocast(self):
        return torch.autocast(device_type=self.ctx.device.type, dtype=torch.bfloat16, enabled=self.use_bf16)

    def fit(self, stop_after: int | None = None) -> dict:
        """Train up to ``cfg.steps`` (or ``stop_after`` more steps, to split a run); returns a summary."""
        cfg, ctx = self.cfg, self.ctx
        end = cfg.steps if stop_after is None else min(cfg.steps, self.step + int(stop_after))
        dev = ctx.device
        if dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats(dev)
        self.model.train()
        batches = self.source.train_batches(self.step, ctx.rank, ctx.world, dev)
        w = _Window(loss=torch.zeros((), device=dev), start=self.step, end=end,
                    global_batch=self.source.batch_size * ctx.world, t_window=time.perf_counter(),
                    t0=time.perf_counter())
        last_loss = math.nan
        params = [p for p in self.model.parameters() if p.requires_grad]
        while self.step < end:
            x, y = next(batches)
            loss, lr = self._train_step(x, y, params)
            w.loss += loss.detach()
            w.steps += 1
            if self.step % cfg.log_every == 0 or self.step == end:
                last_loss = self._log_window(w, lr)
            if self.step % cfg.checkpoint_every == 0 or self.step == end:
                self.save()
        if w.start == end and not self.checkpoint.is_file():
            self.save()
        return self._summary(w, last_loss)

    def _train_step(self, x, y, params) -> tuple:
        """One optimisation step at ``self.step`` (which it advances); returns the loss and the learning rate."""
        cfg, dev = self.cfg, self.ctx.device
        k = self.step
        lr = cfg.lr * lr_factor(k, cfg)
        for g in self.optimizer.param_groups:
            g["lr"] = lr
        arch = self.path_fn(k)
        x = self.source.prepare(x, dev, cfg.channels_last)
        y = y.to(dev, non_blocking=True)
        with self.autocast():
            out = self.net(x, arch)
        loss = nn.functional.cross_entropy(out.float(), y, label_smoothing=cfg.label_smoothing)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        self.optimizer.step()
        self.step += 1
        return loss, lr

    def _log_window(self, w: _Window, lr: float) -> float:
        """Log the steps since the last row (mean loss over ranks, throughput) and start a new window."""
        ctx, dev = self.ctx, self.ctx.device
        mean_loss = all_reduce_sum(w.loss / w.steps, ctx).item() / ctx.world
        if not math.isfinite(mean_loss):
            raise FloatingPointError(f"training diverged at step {self.step}: loss {mean_loss}")
        now = time.perf_counter()
        ips = w.steps * w.global_batch / max(now - w.t_window, 1e-9)
        row = {"step": self.step, "loss": round(mean_loss, 5), "lr": lr, "images_per_s": round(ips, 1)}
        if dev.type == "cuda":
            row["peak_mem_gb"] = round(torch.cuda.max_memory_allocated(dev) / 2**30, 2)
        eta = (w.end - self.step) * (now - w.t0) / max(self.step - w.start, 1)
        log.info("step %d/%d  loss %.4f  lr %.4g  %.0f img/s  eta %.0fs", self.step, self.cfg.steps, mean_loss,
                 lr, ips, eta)
        self.history.append(row)
        if ctx.is_main:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "a") as f:
                f.write(json.dumps(row) + "\n")
        w.loss.zero_()
        w.steps, w.t_window = 0, time.perf_counter()
        return mean_loss

    def _summary(self, w: _Window, last_loss: float) -> dict:
        seconds = time.perf_counter() - w.t0
        self._check_in_sync()
        dev = self.ctx.device
        summary = {
            "step": self.step,
            "steps": self.cfg.steps,
            "done": self.step >= self.cfg.steps,
            "loss": last_loss,
            "seconds": round(seconds, 3),
            "images_per_s": round((self.step - w.start) * w.global_batch / seconds, 1) if self.step > w.start else None,
            "world_size": self.ctx.world,
            "checkpoint": str(self.checkpoint),
        }
        if dev.type == "cuda":
            summary["peak_mem_gb"] = round(torch.cuda.max_memory_allocated(dev) / 2**30, 2)
        return summary

    def _check_in_sync(self) -> None:
        """DDP ranks must hold identical weights; a cheap checksum catches a broken set-up early."""
        if not self.ctx.distributed:
            return
        with torch.no_grad():
            c = sum(p.double().sum() for p in self.model.parameters()).reshape(1).to(self.ctx.device)
            both = torch.cat([c, -c])
            import torch.distributed as dist

            dist.all_reduce(both, op=dist.ReduceOp.MAX)
        if float(both[0] + both[1]) != 0.0:
            raise RuntimeError("DDP ranks hold different weights after training")
        log.info("all %d ranks hold identical weights", self.ctx.world)
