"""Search-space shrinkers.  A new shrinker is one file plus one entry in ``_REGISTRY``.

>>> from lissnas_bench.shrinkers import available_shrinkers, get_shrinker
>>> available_shrinkers()
['lissnas', 'op-pruning', 'random', 'single-region', 'top-samples']
>>> get_shrinker("lissnas", k="5").params.k        # CLI strings are coerced to the field type
5
"""

from __future__ import annotations

import importlib

from .._registry import register
from ..errors import UnknownName
from ._base import TRACE_COLUMNS, ShrinkResult, Shrinker
from ..spaces.shrunk import ENUMERABLE_LIMIT, Explicit, Pockets, Product, ShrunkSpace, load_shrunk

# name -> "module:Class", imported on first use
_REGISTRY: dict[str, str] = {
    "lissnas": "lissnas_bench.shrinkers.lissnas:LISSNAS",
    "op-pruning": "lissnas_bench.shrinkers.op_pruning:OpPruning",
    "random": "lissnas_bench.shrinkers.random_subset:RandomSubset",
    "single-region": "lissnas_bench.shrinkers.single_region:SingleRegion",
    "top-samples": "lissnas_bench.shrinkers.top_samples:TopSamples",
}


def available_shrinkers() -> list[str]:
    return list(_REGISTRY)


def register_shrinker(name: str, cls) -> None:
    """Make ``get_shrinker(name)`` build ``cls``; ``cls`` is a ``Shrinker`` subclass or ``"module:Class"``.
    Registering is all a new shrinker needs to be under the conformance tests (``tests/test_conformance.py``)
    and available to ``compare --methods`` and sweeps.

    >>> from lissnas_bench.shrinkers.random_subset import RandomSubset
    >>> register_shrinker("random-again", RandomSubset); "random-again" in available_shrinkers()
    True
    >>> unregister_shrinker("random-again")
    """
    register(_REGISTRY, "shrinker", name, cls)


def unregister_shrinker(name: str) -> None:
    _REGISTRY.pop(name, None)


def shrinker_class(name: str) -> type[Shrinker]:
    """The class registered as ``name`` (for ``needs_reference``, ``Params`` defaults, ...)."""
    if name not in _REGISTRY:
        raise UnknownName("method", name, available_shrinkers())
    module, cls = _REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)


def get_shrinker(name: str, **params) -> Shrinker:
    """A configured shrinker; unknown parameters raise ``UnknownName``, bad values ``InvalidConfig``."""
    return shrinker_class(name)(**params)


__all__ = [
    "ENUMERABLE_LIMIT",
    "TRACE_COLUMNS",
    "Explicit",
    "Pockets",
    "Product",
    "ShrinkResult",
    "Shrinker",
    "ShrunkSpace",
    "available_shrinkers",
    "get_shrinker",
    "load_shrunk",
    "register_shrinker",
    "shrinker_class",
    "unregister_shrinker",
]
