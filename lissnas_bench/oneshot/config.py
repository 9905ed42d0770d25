"""Configuration of one-shot runs: frozen dataclasses, read from YAML/JSON and validated at the boundary.

Every error names the offending field (``train.lr``), says what was expected and what came; unknown fields are
errors too (a misspelt key must not be ignored silently).  Paths are taken relative to the working directory.

>>> cfg = load_config({"space": "mobilenet", "data": {"kind": "synthetic"}, "train": {"steps": 2}})
>>> cfg.train.steps, cfg.search.max_mflops
(2, 600.0)
>>> load_config({"train": {"lr": "fast"}})
Traceback (most recent call last):
...
lissnas_bench.errors.InvalidConfig: train.lr: expected a number, got 'fast'
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from ..errors import DataFileError, InvalidConfig

SPACES = ("mobilenet", "nasbench-macro")


@dataclass(frozen=True)
class ModelConfig:
    """Scale of the network.  ``None`` keeps the layout's own default (224 px / 1000 classes for mobilenet,
    32 px / 10 classes for nasbench-macro)."""

    width_mult: float = 1.0
    resolution: Optional[int] = None
    num_classes: Optional[int] = None
    head_channels: Optional[int] = None
    dropout: float = 0.0


@dataclass(frozen=True)
class DataConfig:
    """Where images come from.

    ``kind``: ``synthetic`` (random tensors whose label is planted as a faint class template, so training makes
    progress), ``imagefolder`` (``train_dir``/``val_dir`` with one sub-folder per class, ImageNet layout, needs
    Pillow) or ``cifar10`` (``root`` holding the official ``cifar-10-batches-py`` pickles).
    ``holdout``: images held out of the training split to score subnets during search (SPOS holds out 50,000
    ImageNet training images); 0 uses the validation split instead.
    ``batch_size`` is per process; the global batch is ``batch_size * world_size``.
    """

    kind: str = "synthetic"
    train_dir: Optional[str] = None
    val_dir: Optional[str] = None
    root: Optional[str] = None
    holdout: int = 0
    batch_size: int = 64
    eval_batch_size: Optional[int] = None
    workers: int = 4
    synthetic_val_size: int = 512


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation (SGD with momentum), schedule, precision and checkpointing."""

    steps: int = 1000
    lr: float = 0.25
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 4e-5
    label_smoothing: float = 0.1
    warmup_steps: int = 0
    schedule: str = "linear"  # linear | cosine | constant
    grad_clip: Optional[float] = 5.0
    bf16: bool = True  # bf16 autocast (CUDA only)
    channels_last: bool = True
    checkpoint_every: int = 500
    log_every: int = 50
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    init_from: Optional[str] = None  # weights of another checkpoint (e.g. a full-space warm-up)


@dataclass(frozen=True)
class EvalConfig:
    """Scoring a subnet: BN recalibration on ``calib_batches`` training batches, then top-1 on ``val_batches``
    batches (``None``: the whole held-out/validation split), of ``data.eval_batch_size`` images."""

    calib_batches: int = 20
    val_batches: Optional[int] = None
    cache: bool = True


@dataclass(frozen=True)
class SearchConfig:
    """Evolutionary search (SPOS): a population, the top ``parents`` breed by mutation and crossover.

    Constraints: ``max_mflops`` (millions of multiply-adds; default 600, the mobile setting; ``null`` to drop),
    ``max_latency_ms`` with ``latency_lut`` (a ProxylessNAS-format YAML table), ``max_mparams``.
    """

    population: int = 50
    generations: int = 20
    parents: int = 10
    mutations: int = 25
    crossovers: int = 25
    mutation_prob: float = 0.1
    max_mflops: Optional[float] = 600.0
    max_latency_ms: Optional[float] = None
    max_mparams: Optional[float] = None
    latency_lut: Optional[str] = None
    seed: int = 0


@dataclass(frozen=True)
class OneShotConfig:
    space: str = "mobilenet"
    shrunk: Optional[str] = None  # JSON written by `lissnas-bench shrink`; None = the full space
    out_dir: str = "runs/oneshot"
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    retrain: TrainConfig = field(default_factory=lambda: TrainConfig(steps=10_000, label_smoothing=0.1))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, **changes) -> OneShotConfig:
        return dataclasses.replace(self, **changes)


# ------------------------------------------------------------------------------------------------ loading


def _type_name(tp) -> str:
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(tp, str(tp))


def _coerce(value, tp, where: str):
    """Check ``value`` against a simple annotation (int/float/bool/str, Optional of those, dataclass)."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], where)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where)
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, (str, Path)):
            return str(value)
    raise InvalidConfig(f"{where}: expected {_type_name(tp)}, got {value!r}")


def _build(cls, data, where: str):
    if isinstance(data, cls):
        return data
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InvalidConfig(f"{where or 'config'}: expected a mapping of fields, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in data if k not in names]
    if unknown:
        pre = f"{where}." if where else ""
        raise InvalidConfig(f"unknown field {pre}{unknown[0]}; accepted: {', '.join(names)}")
    kwargs = {k: _coerce(v, hints[k], f"{where}.{k}" if where else k) for k, v in data.items()}
    return cls(**kwargs)


def _check(cond: bool, where: str, msg: str):
    if not cond:
        raise InvalidConfig(f"{where}: {msg}")


def validate(cfg: OneShotConfig) -> OneShotConfig:
    """Range and consistency checks; returns ``cfg`` or raises ``InvalidConfig`` naming the field."""
    _check(cfg.space in SPACES, "space", f"must be one of {', '.join(SPACES)}, got {cfg.space!r}")
    m = cfg.model
    _check(0 < m.width_mult <= 4, "model.width_mult", f"must be in (0, 4], got {m.width_mult}")
    _check(m.resolution is None or 8 <= m.resolution <= 1024, "model.resolution", f"must be in [8, 1024], got {m.resolution}")
    _check(m.num_classes is None or m.num_classes >= 2, "model.num_classes", f"must be >= 2, got {m.num_classes}")
    _check(m.head_channels is None or m.head_channels >= 1, "model.head_channels", "must be >= 1")
    _check(0 <= m.dropout < 1, "model.dropout", f"must be in [0, 1), got {m.dropout}")
    d = cfg.data
    kinds = ("synthetic", "imagefolder", "cifar10")
    _check(d.kind in kinds, "data.kind", f"must be one of {', '.join(kinds)}, got {d.kind!r}")
    if d.kind == "imagefolder":
        _check(d.train_dir is not None, "data.train_dir", "is required when data.kind is imagefolder")
        _check(d.val_dir is not None or d.holdout > 0, "data.val_dir",
               "is required when data.kind is imagefolder and data.holdout is 0")
    if d.kind == "cifar10":
        _check(d.root is not None, "data.root", "is required when data.kind is cifar10")
    _check(d.holdout >= 0, "data.holdout", f"must be >= 0, got {d.holdout}")
    _check(d.batch_size >= 1, "data.batch_size", f"must be >= 1, got {d.batch_size}")
    _check(d.eval_batch_size is None or d.eval_batch_size >= 1, "data.eval_batch_size", "must be >= 1")
    _check(d.workers >= 0, "data.workers", f"must be >= 0, got {d.workers}")
    _check(d.synthetic_val_size >= 1, "data.synthetic_val_size", "must be >= 1")
    for name in ("train", "retrain"):
        t: TrainConfig = getattr(cfg, name)
        _check(t.steps >= 0, f"{name}.steps", f"must be >= 0, got {t.steps}")
        _check(t.lr > 0, f"{name}.lr", f"must be > 0, got {t.lr}")
        _check(0 <= t.momentum < 1, f"{name}.momentum", f"must be in [0, 1), got {t.momentum}")
        _check(t.weight_decay >= 0, f"{name}.weight_decay", f"must be >= 0, got {t.weight_decay}")
        _check(0 <= t.label_smoothing < 1, f"{name}.label_smoothing", f"must be in [0, 1), got {t.label_smoothing}")
        _check(t.warmup_steps >= 0, f"{name}.warmup_steps", f"must be >= 0, got {t.warmup_steps}")
        _check(t.schedule in ("linear", "cosine", "constant"), f"{name}.schedule",
               f"must be linear, cosine or constant, got {t.schedule!r}")
        _check(t.grad_clip is None or t.grad_clip > 0, f"{name}.grad_clip", "must be > 0 or null")
        _check(t.checkpoint_every >= 1, f"{name}.checkpoint_every", f"must be >= 1, got {t.checkpoint_every}")
        _check(t.log_every >= 1, f"{name}.log_every", f"must be >= 1, got {t.log_every}")
        _check(t.device in ("auto", "cpu", "cuda"), f"{name}.device", f"must be auto, cpu or cuda, got {t.device!r}")
        _check(t.seed >= 0, f"{name}.seed", f"must be >= 0, got {t.seed}")
    e = cfg.eval
    _check(e.calib_batches >= 0, "eval.calib_batches", f"must be >= 0, got {e.calib_batches}")
    _check(e.val_batches is None or e.val_batches >= 1, "eval.val_batches", "must be >= 1 or null")
    s = cfg.search
    _check(s.population >= 2, "search.population", f"must be >= 2, got {s.population}")
    _check(s.generations >= 1, "search.generations", f"must be >= 1, got {s.generations}")
    _check(1 <= s.parents <= s.population, "search.parents", f"must be in [1, population], got {s.parents}")
    _check(s.mutations >= 0 and s.crossovers >= 0, "search.mutations", "mutations and crossovers must be >= 0")
    _check(s.mutations + s.crossovers >= 1, "search.mutations", "mutations + crossovers must be >= 1")
    _check(0 < s.mutation_prob <= 1, "search.mutation_prob", f"must be in (0, 1], got {s.mutation_prob}")
    for f in ("max_mflops", "max_latency_ms", "max_mparams"):
        v = getattr(s, f)
        _check(v is None or v > 0, f"search.{f}", f"must be > 0 or null, got {v}")
    _check(s.max_latency_ms is None or s.latency_lut is not None, "search.latency_lut",
           "is required when search.max_latency_ms is set")
    _check(s.seed >= 0, "search.seed", f"must be >= 0, got {s.seed}")
    return cfg


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

    ``overrides``: ``["train.steps=10", "out_dir=runs/x"]`` or a nested mapping, applied on top.
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
    return validate(_build(OneShotConfig, data, ""))


def _flatten(d: Mapping, prefix: str = ""):
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            yield from _flatten(v, key + ".")
        else:
            yield key, v
