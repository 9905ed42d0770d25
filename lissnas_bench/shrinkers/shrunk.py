"""Deprecated location (until 0.3): shrunk spaces live in ``lissnas_bench.spaces.shrunk``."""

from __future__ import annotations

import warnings

from ..spaces.shrunk import *  # noqa: F403
from ..spaces.shrunk import __all__  # noqa: F401

warnings.warn("lissnas_bench.shrinkers.shrunk moved to lissnas_bench.spaces.shrunk", DeprecationWarning,
              stacklevel=2)
