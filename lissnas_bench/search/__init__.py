"""Search inside a (shrunk) space through the budgeted Oracle.  A new optimizer is one file plus one entry in
``_REGISTRY``.

>>> import numpy as np, lissnas_bench as lb
>>> from lissnas_bench.search import available_optimizers, get_optimizer
>>> available_optimizers()
['rs', 're', 'ls']
>>> oracle = lb.Oracle(lb.load_benchmark("analognas"), budget=100)
>>> res = get_optimizer("ls").search(oracle, np.random.default_rng(0))
>>> int(res.queries[-1]), res.regret_at(100) >= 0
(100, True)
"""

from __future__ import annotations

import importlib

from .._registry import register
from ..errors import UnknownName
from ._base import Optimizer, SearchState, domain_mask, fork_oracle, search_after_shrink
from .result import COLUMN_PREFIX, SearchResult, Truth, default_checkpoints
from .repeat import search_seeds

# name -> "module:Class", imported on first use
_REGISTRY: dict[str, str] = {
    "rs": "lissnas_bench.search.random_search:RandomSearch",
    "re": "lissnas_bench.search.evolution:RegularizedEvolution",
    "ls": "lissnas_bench.search.local_search:LocalSearch",
}


def available_optimizers() -> list[str]:
    return list(_REGISTRY)


def register_optimizer(name: str, cls) -> None:
    """Make ``get_optimizer(name)`` build ``cls``; ``cls`` is an ``Optimizer`` subclass or ``"module:Class"``.
    Registering is all a new optimizer needs to be under the conformance tests (``tests/test_conformance.py``).

    >>> from lissnas_bench.search.random_search import RandomSearch
    >>> register_optimizer("rs-again", RandomSearch); "rs-again" in available_optimizers()
    True
    >>> unregister_optimizer("rs-again")
    """
    register(_REGISTRY, "optimizer", name, cls)


def unregister_optimizer(name: str) -> None:
    _REGISTRY.pop(name, None)


def optimizer_class(name: str) -> type[Optimizer]:
    if name not in _REGISTRY:
        raise UnknownName("optimizer", name, available_optimizers())
    module, cls = _REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)


def get_optimizer(name: str, **params) -> Optimizer:
    """A configured optimizer; unknown parameters raise ``UnknownName``, bad values ``InvalidConfig``."""
    return optimizer_class(name)(**params)


__all__ = [
    "COLUMN_PREFIX",
    "Optimizer",
    "SearchResult",
    "SearchState",
    "Truth",
    "available_optimizers",
    "default_checkpoints",
    "domain_mask",
    "fork_oracle",
    "get_optimizer",
    "optimizer_class",
    "register_optimizer",
    "unregister_optimizer",
    "search_after_shrink",
    "search_seeds",
]
