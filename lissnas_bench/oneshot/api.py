"""The one-shot workflow as functions (the CLI calls exactly these): train, search, evaluate, retrain.

Output folder (``out_dir``)::

    supernet.pt             the supernet checkpoint (resumable; rewritten every train.checkpoint_every steps)
    supernet.log.jsonl      loss / lr / images per second every train.log_every steps
    search/best_arch.json   the best architecture found, with its score and costs
    search/candidates.csv   every architecture scored during the search
    retrain/model.pt        the stand-alone network (resumable), retrain/result.json its final accuracy

Under ``torchrun`` every rank runs the same function; rank 0 writes the files.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path

import numpy as np

from .._imports import optional_import
from ..errors import DataFileError, InvalidArchitecture, InvalidConfig
from ..spaces import get_space
from ..spaces.mobilenet import Layout, layout_for
from . import limits
from .config import OneShotConfig, load_config
from .evolution import evolution_search, make_constraint
from .._params import jsonable
from .oracle import SupernetOracle, table_kendall_tau
from .sampler import ArchSampler, load_region, region_to_json

torch = optional_import("torch", "oneshot", "one-shot training")

from .data import make_source  # noqa: E402
from .dist import DistContext, barrier, init_distributed  # noqa: E402
from .evaluate import SubnetEvaluator  # noqa: E402
from .model import build_network, inherit_weights  # noqa: E402
from .trainer import Trainer, atomic_save, load_checkpoint  # noqa: E402

log = logging.getLogger("lissnas_bench.oneshot")


def _cfg(cfg) -> OneShotConfig:
    return cfg if isinstance(cfg, OneShotConfig) else load_config(cfg)


def make_layout(cfg: OneShotConfig) -> Layout:
    m = cfg.model
    return layout_for(cfg.space, width_mult=m.width_mult, resolution=m.resolution, num_classes=m.num_classes,
                      head_channels=m.head_channels)


def _space(cfg: OneShotConfig, layout: Layout):
    space = get_space(cfg.space)
    if not np.array_equal(np.asarray(space.n_choices), layout.n_choices):
        raise InvalidConfig(f"space {cfg.space!r} and its network layout disagree on the choices per position")
    return space


def _model_meta(cfg: OneShotConfig) -> dict:
    return {"space": cfg.space, **{k: getattr(cfg.model, k) for k in ("width_mult", "resolution", "num_classes",
                                                                      "head_channels")}}


def _atomic_text(path: Path, text: str) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------------- training


def train_supernet(cfg, *, resume: bool = True, region=None, stop_after: int | None = None,
                   force: bool = False, allow_large: bool = False) -> dict:
    """Train the weight-sharing supernet with single-path uniform sampling inside ``region`` (default: the
    config's ``shrunk`` space, or the full space).  Resumes from ``<out_dir>/supernet.pt`` when present; a
    checkpoint trained with another lr, seed, batch size, step count, ... is refused unless ``force``.

    ``stop_after``: train at most this many more steps in this call (a later call continues).  A batch whose
    estimated memory exceeds the device's (``limits.py``) is refused unless ``allow_large``.
    Returns a summary (steps, loss, images/s, checkpoint path).
    """
    cfg = _cfg(cfg)
    ctx = init_distributed(cfg.train.device)
    limits.check_train(cfg, device_memory=limits.device_memory(ctx), device=str(ctx.device),
                       allow_large=allow_large)
    layout = make_layout(cfg)
    space = _space(cfg, layout)
    region = load_region(space, cfg.shrunk if region is None else region)
    sampler = ArchSampler(space, region)
    ckpt = Path(cfg.out_dir) / "supernet.pt"
    model = build_network(layout, seed=cfg.train.seed)
    source = make_source(cfg, layout, seed=cfg.train.seed, pin_memory=ctx.device.type == "cuda")
    meta = {"kind": "supernet", "space": cfg.space, "model": _model_meta(cfg), "arch": None,
            "region": region_to_json(region), "config": cfg.to_dict()}
    seed = cfg.train.seed
    trainer = Trainer(model, path_fn=lambda k: sampler.path(seed, k), source=source, cfg=cfg.train, ctx=ctx,
                      checkpoint=ckpt, meta=meta, supernet=True)
    resumed = resume and trainer.resume(force=force)
    if not resumed and cfg.train.init_from:
        init = load_checkpoint(cfg.train.init_from)
        if init["meta"].get("model") != meta["model"]:
            raise InvalidConfig(f"train.init_from: {cfg.train.init_from!r} holds a different network "
                                f"({init['meta'].get('model')})")
        trainer.model.load_state_dict(init["model"])
        log.info("initialised the supernet from %s (step %s)", cfg.train.init_from, init["step"])
    log.info("training the %s supernet in %s (%s), %d steps, %d process(es) on %s", cfg.space,
             "the full space" if sampler.full else "a shrunk space", f"{space.positions} positions",
             cfg.train.steps, ctx.world, ctx.device)
    with cpu_threads(ctx, cfg.train):
        summary = trainer.fit(stop_after)
    summary["history"] = trainer.history
    return summary


@contextlib.contextmanager
def cpu_threads(ctx, train_cfg):
    """PyTorch's threads set to ``train.cpu_threads`` on a CPU while inside, and given back afterwards."""
    if ctx is None or ctx.device.type != "cpu" or train_cfg.cpu_threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(train_cfg.cpu_threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def open_supernet(cfg, checkpoint=None, ctx: DistContext | None = None):
    """(model, layout, space, ctx) for a trained supernet checkpoint (default ``<out_dir>/supernet.pt``)."""
    cfg = _cfg(cfg)
    ctx = ctx or init_distributed(cfg.train.device)
    layout = make_layout(cfg)
    space = _space(cfg, layout)
    path = Path(checkpoint) if checkpoint else Path(cfg.out_dir) / "supernet.pt"
    ck = load_checkpoint(path, map_location="cpu")
    if ck["meta"].get("kind") != "supernet":
        raise InvalidConfig(f"checkpoint {str(path)!r} is not a supernet (kind {ck['meta'].get('kind')!r})")
    if ck["meta"].get("model") != _model_meta(cfg):
        raise InvalidConfig(f"checkpoint {str(path)!r} holds a different network: {ck['meta'].get('model')}")
    model = build_network(layout, seed=cfg.train.seed)
    model.load_state_dict(ck["model"])
    model.to(ctx.device)
    if cfg.train.channels_last:
        model.to(memory_format=torch.channels_last)
    model.eval()
    return model, layout, space, ctx


def subnet_evaluator(cfg: OneShotConfig, model, layout, ctx) -> SubnetEvaluator:
    source = make_source(cfg, layout, seed=cfg.train.seed, pin_memory=ctx.device.type == "cuda")
    e = cfg.eval
    return SubnetEvaluator(model, source, ctx, calib_batches=e.calib_batches, val_batches=e.val_batches,
                           cache=e.cache, bf16=cfg.train.bf16, channels_last=cfg.train.channels_last)


def evaluate_subnets(cfg, archs, checkpoint=None) -> np.ndarray:
    """Top-1 accuracy (%) of each architecture as a subnet of the trained supernet (after BN recalibration).

    ``archs``: an ``(n, positions)`` array or strings in any format of the space.
    """
    cfg = _cfg(cfg)
    model, layout, space, ctx = open_supernet(cfg, checkpoint)
    a = space.from_strings(list(archs)) if _is_strings(archs) else space.validate(archs)
    return subnet_evaluator(cfg, model, layout, ctx)(a)


def _is_strings(archs) -> bool:
    return isinstance(archs, str) or (isinstance(archs, (list, tuple)) and archs and isinstance(archs[0], str))


def supernet_oracle(cfg, checkpoint=None, budget: int | None = None) -> SupernetOracle:
    """A budgeted oracle over the full space that answers with supernet accuracy, for shrinkers to query
    where no benchmark exists (train the supernet on the full space first: the warm-up)."""
    cfg = _cfg(cfg)
    model, layout, space, ctx = open_supernet(cfg, checkpoint)
    return SupernetOracle(subnet_evaluator(cfg, model, layout, ctx), space, budget=budget, name="supernet")


# ----------------------------------------------------------------------------------------------- search


def _costs(space, layout: Layout, archs, lut) -> dict:
    out = {"mflops": layout.flops(archs) / 1e6, "mparams": layout.params(archs) / 1e6}
    if lut is not None:
        out["latency_ms"] = layout.latency(archs, lut)
    return out


def search(cfg, checkpoint=None, *, score_fn=None, write: bool = True, allow_large: bool = False) -> dict:
    """Evolutionary search (SPOS) inside the config's shrunk space, under ``search.max_mflops`` /
    ``max_latency_ms`` / ``max_mparams``; writes ``<out_dir>/search/best_arch.json``.

    ``score_fn``: score architectures with this instead of the supernet (e.g. a benchmark query).  A search
    scoring more than ``limits.MAX_SUBNETS`` subnets is refused unless ``allow_large``.
    """
    cfg = _cfg(cfg)
    limits.check_search(cfg, allow_large=allow_large)
    s = cfg.search
    if score_fn is None:
        model, layout, space, ctx = open_supernet(cfg, checkpoint)
        score_fn = subnet_evaluator(cfg, model, layout, ctx)
    else:
        ctx = None
        layout = make_layout(cfg)
        space = _space(cfg, layout)
    sampler = ArchSampler(space, load_region(space, cfg.shrunk))
    constraint = make_constraint(layout, s.max_mflops, s.max_latency_ms, s.latency_lut, s.max_mparams)
    with cpu_threads(ctx, cfg.train):
        res = evolution_search(sampler, score_fn, constraint, population=s.population, generations=s.generations,
                               parents=s.parents, mutations=s.mutations, crossovers=s.crossovers,
                               mutation_prob=s.mutation_prob, rng=np.random.default_rng(s.seed))
    lut = s.latency_lut
    best = res.best[None, :]
    costs = {k: float(v[0]) for k, v in _costs(space, layout, best, lut).items()}
    out = {
        "space": cfg.space,
        "arch": space.to_strings(best)[0],
        "encoding": [int(c) for c in res.best],
        "supernet_top1": res.best_score,
        **costs,
        "constraint": {"max_mflops": s.max_mflops, "max_latency_ms": s.max_latency_ms,
                       "max_mparams": s.max_mparams, "latency_lut": s.latency_lut},
        "shrunk": cfg.shrunk,
        "evaluated": int(len(res.archs)),
        "history": res.history,
    }
    if "ops" in getattr(space, "string_formats", ()):
        out["ops"] = space.to_strings(best, "ops")[0]
    if write and (ctx is None or ctx.is_main):
        import pandas as pd

        d = Path(cfg.out_dir) / "search"
        _atomic_text(d / "best_arch.json", json.dumps(jsonable(out), indent=2) + "\n")
        df = pd.DataFrame({"arch": space.to_strings(res.archs), "score": res.scores,
                           **_costs(space, layout, res.archs, lut)})
        _atomic_text(d / "candidates.csv", df.to_csv(index=False))
        out["path"] = str(d / "best_arch.json")
    if ctx is not None:
        barrier(ctx)
    log.info("best architecture %s: supernet top-1 %.2f, %.1f MFLOPs", out["arch"], res.best_score,
             costs["mflops"])
    return out


def read_arch(space, arch) -> np.ndarray:
    """One architecture from an array, a string of the space, or a ``best_arch.json`` path."""
    if isinstance(arch, (str, Path)) and str(arch).endswith(".json"):
        p = Path(arch)
        if not p.is_file():
            raise DataFileError(f"architecture file {str(p)!r} does not exist")
        data = json.loads(p.read_text())
        if data.get("space") not in (None, space.name):
            raise InvalidArchitecture(f"{str(p)!r} holds an architecture of {data.get('space')!r}, not {space.name!r}")
        if "encoding" in data:
            return space.validate(np.array(data["encoding"])[None, :])[0]
        return space.from_strings([data["arch"]])[0]
    if isinstance(arch, str):
        return space.from_strings([arch])[0]
    return space.validate(np.asarray(arch).reshape(1, -1))[0]


def kendall_tau_against(cfg, table, n: int = 100, seed: int = 0, checkpoint=None) -> dict:
    """Kendall-Tau between supernet scores of ``n`` architectures sampled from the config's (shrunk) space and
    their true accuracies in ``table`` (e.g. NAS-Bench-Macro's JSON for the ``nasbench-macro`` space)."""
    cfg = _cfg(cfg)
    model, layout, space, ctx = open_supernet(cfg, checkpoint)
    sampler = ArchSampler(space, load_region(space, cfg.shrunk))
    rng = np.random.default_rng(seed)
    archs = np.unique(sampler.sample(n, rng), axis=0)
    scores = subnet_evaluator(cfg, model, layout, ctx)(archs)
    res = table_kendall_tau(space, archs, scores, table)
    return {"tau": res.tau, "pvalue": res.pvalue, "n": res.n, "archs": space.to_strings(archs),
            "scores": scores.tolist()}


# ----------------------------------------------------------------------------------------------- retrain


def retrain(cfg, arch, *, resume: bool = True, stop_after: int | None = None, inherit: bool = False,
            force: bool = False, allow_large: bool = False) -> dict:
    """Train architecture ``arch`` stand-alone from scratch (``retrain`` section), then report its top-1 on the
    validation split.  ``inherit=True`` starts from the supernet's weights instead."""
    cfg = _cfg(cfg)
    ctx = init_distributed(cfg.retrain.device)
    limits.check_train(cfg, device_memory=limits.device_memory(ctx), device=str(ctx.device),
                       allow_large=allow_large)
    layout = make_layout(cfg)
    space = _space(cfg, layout)
    a = read_arch(space, arch)
    arch_str = space.to_strings(a[None, :])[0]
    model = build_network(layout, a, seed=cfg.retrain.seed, dropout=cfg.model.dropout)
    if inherit:
        sup, *_ = open_supernet(cfg, ctx=ctx)
        inherit_weights(model, sup.cpu())
    out = Path(cfg.out_dir) / "retrain"
    source = make_source(cfg, layout, seed=cfg.retrain.seed, pin_memory=ctx.device.type == "cuda")
    meta = {"kind": "standalone", "space": cfg.space, "model": _model_meta(cfg), "arch": arch_str,
            "region": None, "config": cfg.to_dict()}
    trainer = Trainer(model, path_fn=lambda k: None, source=source, cfg=cfg.retrain, ctx=ctx,
                      checkpoint=out / "model.pt", meta=meta, supernet=False)
    if resume:
        trainer.resume(force=force)
    with cpu_threads(ctx, cfg.retrain):
        summary = trainer.fit(stop_after)
    result = {"space": cfg.space, "arch": arch_str, "steps": trainer.step, "done": summary["done"],
              "mflops": float(layout.flops(a[None, :])[0] / 1e6), "mparams": float(layout.params(a[None, :])[0] / 1e6),
              "train_loss": summary["loss"]}
    if summary["done"]:
        result["top1"] = evaluate_standalone_model(trainer.model, source, ctx, cfg)
        if ctx.is_main:
            _atomic_text(out / "result.json", json.dumps(jsonable(result), indent=2) + "\n")
        barrier(ctx)
    return result


@torch.no_grad()
def evaluate_standalone_model(model, source, ctx, cfg: OneShotConfig) -> float:
    """Top-1 (%) of a trained stand-alone network on the whole validation split (its own BN statistics).
    Ranks split the batches and sum the counts."""
    model.eval()
    correct = torch.zeros(2, dtype=torch.float64)
    use_bf16 = cfg.retrain.bf16 and ctx.device.type == "cuda"
    for i, (x, y) in enumerate(source.val_batches(None)):
        if i % ctx.world != ctx.rank:
            continue
        with torch.autocast(device_type=ctx.device.type, dtype=torch.bfloat16, enabled=use_bf16):
            o = model(source.prepare(x, ctx.device, cfg.retrain.channels_last))
        correct[0] += float((o.argmax(1).cpu() == y).sum())
        correct[1] += len(y)
    from .dist import all_reduce_sum

    correct = all_reduce_sum(correct, ctx)
    return 100.0 * float(correct[0]) / max(float(correct[1]), 1.0)


def evaluate_standalone(cfg, checkpoint=None) -> dict:
    """Top-1 (%) of a retrained network (default ``<out_dir>/retrain/model.pt``) on the validation split."""
    cfg = _cfg(cfg)
    ctx = init_distributed(cfg.retrain.device)
    layout = make_layout(cfg)
    space = _space(cfg, layout)
    path = Path(checkpoint) if checkpoint else Path(cfg.out_dir) / "retrain" / "model.pt"
    ck = load_checkpoint(path)
    if ck["meta"].get("kind") != "standalone":
        raise InvalidConfig(f"checkpoint {str(path)!r} is not a stand-alone network")
    a = space.from_strings([ck["meta"]["arch"]])[0]
    model = build_network(layout, a, dropout=cfg.model.dropout)
    model.load_state_dict(ck["model"])
    model.to(ctx.device)
    source = make_source(cfg, layout, seed=cfg.retrain.seed)
    return {"arch": ck["meta"]["arch"], "steps": ck["step"], "top1": evaluate_standalone_model(model, source, ctx, cfg)}


__all__ = [
    "evaluate_standalone",
    "evaluate_subnets",
    "kendall_tau_against",
    "open_supernet",
    "read_arch",
    "retrain",
    "search",
    "supernet_oracle",
    "train_supernet",
    "atomic_save",
]
