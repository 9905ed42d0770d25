"""Lazy optional imports: the core imports without PyTorch, Dask or the official benchmark packages."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependency


def optional_import(module: str, extra: str, feature: str = "this feature") -> ModuleType:
    """Import ``module`` or raise one clear ``MissingDependency`` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(module.split(".")[0], extra, feature) from exc
