"""One-shot search (SPOS) of MobileNet-style spaces inside shrunk spaces.  Extra: ``pip install "lissnas-bench[oneshot]"``.

Importing this package needs no PyTorch: the configuration, the sampler, the evolutionary search and the
oracle wrapper are plain numpy; the names that train or evaluate networks import PyTorch when first used.

Typical use (the CLI ``lissnas-bench oneshot train|search|evaluate|retrain`` calls the same functions)::

    from lissnas_bench.oneshot import load_config, train_supernet, search, retrain
    cfg = load_config("examples/oneshot_mobilenet.yaml")
    train_supernet(cfg)            # writes <out_dir>/supernet.pt, resumable
    result = search(cfg)           # writes <out_dir>/search/best_arch.json
    retrain(cfg, result["arch"])   # stand-alone training of the best architecture
"""

from __future__ import annotations

import importlib

from .config import OneShotConfig, load_config
from .evolution import EvolutionResult, evolution_search, make_constraint
from .oracle import KendallResult, SupernetOracle, table_kendall_tau, load_accuracy_table
from .sampler import ArchSampler, load_region

# name -> module, imported on first use (these need PyTorch)
_LAZY = {
    "Supernet": "model",
    "build_network": "model",
    "SubnetEvaluator": "evaluate",
    "recalibrate_bn": "evaluate",
    "Trainer": "trainer",
    "train_supernet": "api",
    "search": "api",
    "evaluate_subnets": "api",
    "retrain": "api",
    "supernet_oracle": "api",
    "open_supernet": "api",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ArchSampler",
    "KendallResult",
    "OneShotConfig",
    "EvolutionResult",
    "SupernetOracle",
    "evolution_search",
    "table_kendall_tau",
    "load_accuracy_table",
    "load_config",
    "load_region",
    "make_constraint",
    *_LAZY,
]
