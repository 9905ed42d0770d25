"""Process-group set-up for ``torchrun`` (DDP): NCCL on GPUs, gloo on CPU; a single process needs nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .._imports import optional_import
from ..errors import InvalidConfig

torch = optional_import("torch", "oneshot", "one-shot training")


@dataclass(frozen=True)
class DistContext:
    rank: int
    world: int
    local_rank: int
    device: "torch.device"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def init_distributed(device: str = "auto") -> DistContext:
    """Join the process group that ``torchrun`` describes in the environment (``WORLD_SIZE``, ``RANK``,
    ``LOCAL_RANK``, ``MASTER_ADDR``/``PORT``), once per process; pick the device."""
    import torch.distributed as dist

    if device == "cuda" and not torch.cuda.is_available():
        raise InvalidConfig("train.device is 'cuda' but PyTorch sees no CUDA device")
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
        dev = torch.device("cuda", torch.cuda.current_device())
    else:
        dev = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    if dist.is_initialized():
        return DistContext(dist.get_rank(), dist.get_world_size(), local_rank, dev)
    return DistContext(0, 1, 0, dev)


def all_reduce_sum(t, ctx: DistContext):
    """Sum a tensor over ranks (in place on a copy on the collective's device); identity for one process."""
    if not ctx.distributed:
        return t
    import torch.distributed as dist

    out = t.detach().to(ctx.device).clone()
    dist.all_reduce(out, op=dist.ReduceOp.SUM)
    return out.to(t.device)


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        import torch.distributed as dist

        if ctx.device.type == "cuda":
            dist.barrier(device_ids=[ctx.device.index])
        else:
            dist.barrier()
