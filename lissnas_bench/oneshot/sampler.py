"""Where the supernet's paths come from: the full space or a shrunk space (no PyTorch needed).

A *region* is anything with ``sample(n, rng) -> (n, positions) array`` and ``contains(archs) -> bool mask``:
a :class:`~lissnas_bench.spaces.Space` (the full space) or a shrunk space (``Pockets``, ``Product``,
``Explicit``) as written by ``lissnas-bench shrink``.  The sampler checks what the region hands out, so a
buggy region can never make the supernet train a path outside it.

>>> from lissnas_bench.spaces import get_space
>>> import numpy as np
>>> s = ArchSampler(get_space("nasbench-macro"))
>>> s.sample(2, np.random.default_rng(0)).shape
(2, 8)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import DataFileError, InvalidArchitecture, InvalidConfig
from ..spaces import Space, as_rng


def load_region(space: Space, shrunk=None):
    """The full ``space`` (``shrunk is None``), or a shrunk space from an object, a JSON path or a dict."""
    if shrunk is None:
        return space
    if hasattr(shrunk, "sample") and hasattr(shrunk, "contains"):
        region = shrunk
    else:
        if isinstance(shrunk, (str, Path)):
            path = Path(shrunk)
            if not path.is_file():
                raise DataFileError(f"shrunk space file {str(path)!r} does not exist")
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError as exc:
                raise DataFileError(f"shrunk space file {str(path)!r} is not valid JSON: {exc}") from exc
        elif isinstance(shrunk, Mapping):
            data = dict(shrunk)
        else:
            raise InvalidConfig(f"shrunk: expected a path, a mapping or a shrunk-space object, got {shrunk!r}")
        try:
            from ..spaces.shrunk import load_shrunk
        except ImportError as exc:  # pragma: no cover - the shrinkers package ships with the core
            raise InvalidConfig("shrunk spaces need lissnas_bench.spaces.shrunk, which is not available") from exc
        region = load_shrunk(data, space)
    rspace = getattr(region, "space", None)
    if rspace is not None and getattr(rspace, "name", space.name) != space.name:
        raise InvalidConfig(f"shrunk: the shrunk space belongs to space {rspace.name!r}, not {space.name!r}")
    return region


def region_to_json(region) -> dict | None:
    """The JSON of a shrunk space (``None`` for the full space), for checkpoints and reports."""
    if isinstance(region, Space):
        return None
    to_json = getattr(region, "to_json", None)
    return to_json() if callable(to_json) else None


class ArchSampler:
    """Uniform paths from a region of ``space``; every path handed out is checked to lie in the region."""

    def __init__(self, space: Space, region=None):
        self.space = space
        self.region = space if region is None else region
        self.full = self.region is space

    def sample(self, n: int, rng) -> np.ndarray:
        rng = as_rng(rng)
        a = self.space.as_archs(self.region.sample(int(n), rng))
        if len(a) != n:
            raise InvalidArchitecture(f"the shrunk space returned {len(a)} architectures, {n} requested")
        if not self.full and not np.all(self.region.contains(a)):
            raise InvalidArchitecture("the shrunk space sampled an architecture it does not contain")
        if not np.all(self.space.contains(a)):
            raise InvalidArchitecture(f"the shrunk space sampled an architecture outside {self.space.name}")
        return a

    def contains(self, archs) -> np.ndarray:
        a = self.space.as_archs(archs)
        ok = self.space.contains(a)
        if not self.full and ok.any():
            ok[ok] = np.asarray(self.region.contains(a[ok]), dtype=bool)
        return ok

    def path(self, seed: int, step: int) -> tuple[int, ...]:
        """The path of training step ``step``: a pure function of (seed, step), so a resumed run and every
        DDP rank draw the same paths without sharing generator state."""
        rng = np.random.default_rng([int(seed), 0x5B05, int(step)])
        return tuple(int(c) for c in self.sample(1, rng)[0])
