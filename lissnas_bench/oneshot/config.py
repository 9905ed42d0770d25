"""Configuration of one-shot runs: frozen dataclasses, read from YAML/JSON and validated at the boundary.

Every error names the offending field (``train.lr``), says what was expected and what came; unknown fields are
errors too (a misspelt key must not be ignored silently).  Paths are taken relative to the working directory.

>>> cfg = load_config({"space": "mobilenet", "data": {"kind": "synthetic"}, "train": {"steps": 2}})
>>> cfg.train.steps, cfg.search.max_mflops
(2, 600.0)
>>> load_config({"train": {"lr": "fast"}})
Traceback (most recent call last):
...
lissnas_bench.errors.InvalidConfig: train: lr must be a number, got 'fast'
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .._params import Params, param, require
from ..errors import DataFileError, InvalidConfig

SPACES = ("mobilenet", "nasbench-macro")


@dataclass(frozen=True)
class ModelConfig(Params):
    """Scale of the network.  ``None`` keeps the layout's own default (224 px / 1000 classes for mobilenet,
    32 px / 10 classes for nasbench-macro)."""

    where = "model"
    width_mult: float = param(1.0, gt=0, le=4, help="channel width multiplier")
    resolution: Optional[int] = param(None, ge=8, le=1024, help="input resolution in pixels")
    num_classes: Optional[int] = param(None, ge=2, help="classes of the classifier")
    head_channels: Optional[int] = param(None, ge=1, help="channels of the last convolution")
    dropout: float = param(0.0, ge=0, lt=1, help="dropout before the classifier")


@dataclass(frozen=True)
class DataConfig(Params):
    """Where images come from.

    ``kind``: ``synthetic`` (random tensors whose label is planted as a faint class template, so training makes
    progress), ``imagefolder`` (``train_dir``/``val_dir`` with one sub-folder per class, ImageNet layout, needs
    Pillow) or ``cifar10`` (``root`` holding the official ``cifar-10-batches-py`` pickles).
    ``holdout``: images held out of the training split to score subnets during search (SPOS holds out 50,000
    ImageNet training images); 0 uses the validation split instead.
    ``batch_size`` is per process; the global batch is ``batch_size * world_size``.
    """

    where = "data"
    kind: str = param("synthetic", choices=("synthetic", "imagefolder", "cifar10"), help="image source")
    train_dir: Optional[str] = param(None, help="imagefolder: training images, a sub-folder per class")
    val_dir: Optional[str] = param(None, help="imagefolder: validation images")
    root: Optional[str] = param(None, help="cifar10: folder holding cifar-10-batches-py")
    holdout: int = param(0, ge=0, help="training images held out to score subnets (0: use the validation split)")
    batch_size: int = param(64, ge=1, help="images per step and process")
    eval_batch_size: Optional[int] = param(None, ge=1, help="images per evaluation batch (default: batch_size)")
    workers: int = param(4, ge=0, help="data loader processes")
    synthetic_val_size: int = param(512, ge=1, help="synthetic: validation images")
    synthetic_signal: float = param(1.0, gt=0, help="synthetic: strength of the planted class template (noise "
                                                    "has std 1; larger is easier to learn)")

    def check(self):
        if self.kind == "imagefolder":
            require(self.train_dir is not None, "train_dir", "is required when data.kind is imagefolder")
            require(self.val_dir is not None or self.holdout > 0, "val_dir",
                    "is required when data.kind is imagefolder and data.holdout is 0")
        if self.kind == "cifar10":
            require(self.root is not None, "root", "is required when data.kind is cifar10")


@dataclass(frozen=True)
class TrainConfig(Params):
    """Optimisation (SGD with momentum), schedule, precision and checkpointing."""

    where = "train"
    steps: int = param(1000, ge=0, help="optimiser steps")
    lr: float = param(0.25, gt=0, help="peak learning rate")
    momentum: float = param(0.9, ge=0, lt=1, help="SGD momentum")
    nesterov: bool = param(True, help="Nesterov momentum")
    weight_decay: float = param(4e-5, ge=0, help="L2 weight decay")
    label_smoothing: float = param(0.1, ge=0, lt=1, help="label smoothing of the cross-entropy")
    warmup_steps: int = param(0, ge=0, help="linear warm-up steps")
    schedule: str = param("linear", choices=("linear", "cosine", "constant"), help="learning-rate schedule")
    grad_clip: Optional[float] = param(5.0, gt=0, help="gradient-norm clip (null: none)")
    bf16: bool = param(True, help="bf16 autocast (CUDA only)")
    channels_last: bool = param(True, help="channels-last memory format")
    checkpoint_every: int = param(500, ge=1, help="steps between checkpoints")
    log_every: int = param(50, ge=1, help="steps between log lines")
    seed: int = param(0, ge=0, help="seed of path sampling, data order and initialisation")
    device: str = param("auto", choices=("auto", "cpu", "cuda"), help="where to train")
    cpu_threads: Optional[int] = param(None, ge=1, help="PyTorch threads on a CPU (null: PyTorch's default, one per "
                                                        "core; 1 is fastest on a machine other jobs share)")
    init_from: Optional[str] = param(None, help="weights of another checkpoint (e.g. a full-space warm-up)")


@dataclass(frozen=True)
class EvalConfig(Params):
    """Scoring a subnet: BN recalibration on ``calib_batches`` training batches, then top-1 on ``val_batches``
    batches (``None``: the whole held-out/validation split), of ``data.eval_batch_size`` images."""

    where = "eval"
    calib_batches: int = param(20, ge=0, help="training batches to recalibrate batch norm")
    val_batches: Optional[int] = param(None, ge=1, help="validation batches per subnet (null: all)")
    cache: bool = param(True, help="remember scores of subnets already evaluated")


@dataclass(frozen=True)
class SearchConfig(Params):
    """Evolutionary search (SPOS): a population, the top ``parents`` breed by mutation and crossover.

    Constraints: ``max_mflops`` (millions of multiply-adds; default 600, the mobile setting; ``null`` to drop),
    ``max_latency_ms`` with ``latency_lut`` (a ProxylessNAS-format YAML table), ``max_mparams``.
    """

    where = "search"
    population: int = param(50, ge=2, help="subnets per generation")
    generations: int = param(20, ge=1, help="generations")
    parents: int = param(10, ge=1, help="top subnets that breed")
    mutations: int = param(25, ge=0, help="children by mutation per generation")
    crossovers: int = param(25, ge=0, help="children by crossover per generation")
    mutation_prob: float = param(0.1, gt=0, le=1, help="probability that a mutation changes a layer")
    max_mflops: Optional[float] = param(600.0, gt=0, help="FLOPs limit in millions (null: none)")
    max_latency_ms: Optional[float] = param(None, gt=0, help="latency limit (needs latency_lut)")
    max_mparams: Optional[float] = param(None, gt=0, help="parameter limit in millions")
    latency_lut: Optional[str] = param(None, help="ProxylessNAS-format latency table (YAML)")
    seed: int = param(0, ge=0, help="seed of the evolution")

    def check(self):
        require(self.parents <= self.population, "parents", f"must be in [1, population], got {self.parents}")
        require(self.mutations + self.crossovers >= 1, "mutations", "mutations + crossovers must be >= 1")
        require(self.max_latency_ms is None or self.latency_lut is not None, "latency_lut",
                "is required when search.max_latency_ms is set")


@dataclass(frozen=True)
class OneShotConfig(Params):
    space: str = param("mobilenet", choices=SPACES, help="search space of the supernet")
    shrunk: Optional[str] = param(None, help="JSON written by `lissnas-bench shrink`; null = the full space")
    out_dir: str = param("results/oneshot", help="where checkpoints and results go")
    model: ModelConfig = param(default_factory=ModelConfig)
    data: DataConfig = param(default_factory=DataConfig)
    train: TrainConfig = param(default_factory=TrainConfig)
    eval: EvalConfig = param(default_factory=EvalConfig)
    search: SearchConfig = param(default_factory=SearchConfig)
    retrain: TrainConfig = param(default_factory=lambda: TrainConfig(steps=10_000, label_smoothing=0.1))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, **changes) -> OneShotConfig:
        return dataclasses.replace(self, **changes)


# ------------------------------------------------------------------------------------------------ loading


def read_config_file(path) -> dict:
    from .._io import read_json
    from .._yaml import load_yaml

    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"config file {str(path)!r} does not exist")
    what = f"config file {str(path)!r}"
    if path.suffix.lower() == ".json":
        try:
            data = read_json(path, "config file")
        except DataFileError as exc:
            raise DataFileError(f"{what} cannot be parsed: {exc}") from exc
    else:
        data = load_yaml(path, source=what)  # strict: duplicate keys and binary files are refused
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InvalidConfig(f"config file {str(path)!r} must hold a mapping of sections, got {type(data).__name__}")
    return dict(data)


def parse_override(item: str) -> tuple[list[str], object]:
    """``"train.steps=10"`` -> (["train", "steps"], 10); the value is read as YAML (numbers, null, true)."""
    import yaml

    if "=" not in item:
        raise InvalidConfig(f"--set expects KEY=VALUE (e.g. train.steps=100), got {item!r}")
    key, raw = item.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return [k for k in key.strip().split(".") if k], value


def load_config(source=None, overrides: list[str] | dict | None = None) -> OneShotConfig:
    """A validated :class:`OneShotConfig` from a path (YAML/JSON), a mapping or ``None`` (defaults).

    ``overrides``: ``["train.steps=10", "out_dir=results/x"]`` or a nested mapping, applied on top.
    """
    if source is None:
        data: dict = {}
    elif isinstance(source, OneShotConfig):
        data = source.to_dict()
    elif isinstance(source, Mapping):
        data = json.loads(json.dumps(source, default=str))  # deep copy
    else:
        data = read_config_file(source)
    if isinstance(overrides, Mapping):
        overrides = [f"{k}={json.dumps(v)}" for k, v in _flatten(overrides)]
    for item in overrides or []:
        keys, value = parse_override(item)
        if not keys:
            raise InvalidConfig(f"--set expects KEY=VALUE, got {item!r}")
        node = data
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise InvalidConfig(f"--set {item!r}: {k} is not a section")
        node[keys[-1]] = value
    return OneShotConfig.build(data, where="")


def _flatten(d: Mapping, prefix: str = ""):
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            yield from _flatten(v, key + ".")
        else:
            yield key, v
