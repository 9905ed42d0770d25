"""Search spaces.  A new space is one file plus one entry in ``_REGISTRY``."""

from __future__ import annotations

import importlib
from functools import lru_cache

from .._registry import register
from ..errors import UnknownSpace
from ._base import ARCH_DTYPE, Space, SubsetSpace, as_rng

# name -> "module:Class"; imported lazily so a space with optional dependencies costs nothing until used.
_REGISTRY: dict[str, str] = {
    "nb201": "lissnas_bench.spaces.nb201:NB201Space",
    "nasbench-macro": "lissnas_bench.spaces.macro:MacroSpace",
    "nasbench-graph": "lissnas_bench.spaces.graph:GraphSpace",
    "mobilenet": "lissnas_bench.spaces.mobilenet:MobileNetSpace",
    "nb101": "lissnas_bench.spaces.nb101:NB101Space",
    "darts": "lissnas_bench.spaces.darts:DartsSpace",
    "nats-sss": "lissnas_bench.spaces.nats_sss:NATSSizeSpace",
}


def available_spaces() -> list[str]:
    return sorted(_REGISTRY)


def register_space(name: str, cls) -> None:
    """Make ``get_space(name)`` return ``cls()``; ``cls`` is a ``Space`` subclass or ``"module:Class"`` (imported on
    first use).  Registering is all a new space needs to be under the conformance tests
    (``tests/test_conformance.py``).

    >>> from lissnas_bench.spaces.macro import MacroSpace
    >>> register_space("macro-again", MacroSpace); get_space("macro-again").size
    3969
    >>> unregister_space("macro-again")
    """
    register(_REGISTRY, "space", name, cls)
    get_space.cache_clear()


def unregister_space(name: str) -> None:
    _REGISTRY.pop(name, None)
    get_space.cache_clear()


@lru_cache(maxsize=None)
def get_space(name: str) -> Space:
    """The search space called ``name`` (see ``available_spaces()``).

    >>> get_space("nb201").size
    15625
    """
    if name not in _REGISTRY:
        raise UnknownSpace(name, available_spaces())
    module, cls = _REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)()


__all__ = ["ARCH_DTYPE", "Space", "SubsetSpace", "as_rng", "available_spaces", "get_space", "register_space",
           "unregister_space"]
