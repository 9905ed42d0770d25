"""What a one-shot run needs, estimated before it starts, and a refusal (one clear error naming the field, the
estimate and the limit) of settings that would exhaust the memory or run for days.  Override: ``--yes``
(``allow_large=True``).  No PyTorch needed.

>>> from lissnas_bench.oneshot.config import load_config
>>> cfg = load_config({"data": {"batch_size": 1_000_000}, "model": {"resolution": 32}})
>>> check_train(cfg, device_memory=None)
Traceback (most recent call last):
...
lissnas_bench.errors.InvalidConfig: data.batch_size: 1,000,000 images of 32 px need about 1,977 GiB of memory \
per training step, over the limit of 4 GiB on this device (cpu); lower data.batch_size (or model.resolution, \
model.width_mult), or pass --yes (allow_large=True) to run anyway
"""

from __future__ import annotations

from ..errors import InvalidConfig

#: the memory a CPU step may use (on a GPU: the device's own memory)
MAX_HOST_MEMORY_BYTES = 4 * 2**30
#: the most subnets one evolutionary search may score (each is a BN recalibration and a validation pass)
MAX_SUBNETS = 200_000
#: float32 tensors kept per activation for the backward pass (a convolution's input and its batch norm's)
_SAVED = 2
_MARGIN = 1.25  # allocator slack and workspace


def activation_bytes(layout, *, train: bool = True) -> float:
    """Bytes per image of the largest path's activations (kept for the backward pass when ``train``)."""
    s = layout.stem_size_out
    total = 3 * layout.resolution**2 + s * s * layout.stem_channels
    for b in layout.blocks:
        best = b.size_out**2 * b.cout
        for op in b.ops:
            if op.kind == "mbconv":
                hidden = b.cin * op.expand
                best = max(best, b.size_in**2 * hidden + b.size_out**2 * (hidden + b.cout))
        total += best
    total += layout.final_size**2 * (layout.head_channels or layout.final_channels)
    return 4.0 * total * (_SAVED if train else 1) * _MARGIN


def check_train(cfg, *, device_memory: int | None, device: str = "cpu", allow_large: bool = False,
                batch_size: int | None = None) -> None:
    """Refuse a training step (supernet or retraining) whose batch would not fit the device."""
    from ..spaces.mobilenet import layout_for

    if allow_large:
        return
    m = cfg.model
    layout = layout_for(cfg.space, width_mult=m.width_mult, resolution=m.resolution, num_classes=m.num_classes,
                        head_channels=m.head_channels)
    bs = int(batch_size or cfg.data.batch_size)
    need = bs * activation_bytes(layout, train=True)
    limit = device_memory or MAX_HOST_MEMORY_BYTES
    if need > limit:
        raise InvalidConfig(
            f"data.batch_size: {bs:,} images of {layout.resolution} px need about {_gib(need)} of memory per "
            f"training step, over the limit of {_gib(limit)} on this device ({device}); lower data.batch_size "
            "(or model.resolution, model.width_mult), or pass --yes (allow_large=True) to run anyway")
    ebs = int(cfg.data.eval_batch_size or bs)
    need = ebs * activation_bytes(layout, train=False)
    if need > limit:
        raise InvalidConfig(f"data.eval_batch_size: {ebs:,} images need about {_gib(need)} per evaluation batch, "
                            f"over the limit of {_gib(limit)} ({device}); lower data.eval_batch_size, or pass --yes")


def check_search(cfg, *, allow_large: bool = False) -> None:
    """Refuse an evolutionary search that would score more than ``MAX_SUBNETS`` subnets."""
    s = cfg.search
    n = s.population + s.generations * (s.mutations + s.crossovers)
    if not allow_large and n > MAX_SUBNETS:
        raise InvalidConfig(
            f"search: population {s.population:,} + {s.generations:,} generations × {s.mutations + s.crossovers:,} "
            f"children = {n:,} subnets to score (each a BN recalibration and a validation pass), over the limit of "
            f"{MAX_SUBNETS:,}; lower search.population, generations, mutations or crossovers, or pass --yes "
            "(allow_large=True) to run anyway")


def device_memory(ctx) -> int | None:
    """The memory of ``ctx``'s CUDA device in bytes (``None`` on a CPU)."""
    if ctx.device.type != "cuda":
        return None
    import torch

    return int(torch.cuda.get_device_properties(ctx.device).total_memory)


def _gib(b: float) -> str:
    return f"{b / 2**30:,.0f} GiB" if b >= 2**30 else f"{b / 2**20:,.0f} MiB"
