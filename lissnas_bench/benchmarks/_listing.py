"""What listing benchmarks needs, without numpy: the live surrogates' registrations and, for caches written
before their sidecars held ``info()``, a benchmark built from names alone."""

from __future__ import annotations

import json
from pathlib import Path

from .._io import home

#: ``info()`` fields a listing prints, with their types (a sidecar is a file: check before use)
_INFO = {"id": str, "space": str, "architectures": int, "datasets": list, "metrics": dict, "default_dataset": str,
         "default_metrics": dict, "minimize": dict, "directions": dict, "aliases": dict, "source": str}


def registry_dir() -> Path:
    return home() / "surrogates" / "registered"


def registered_surrogates() -> list[dict]:
    d = registry_dir()
    out = []
    for p in sorted(d.glob("*.json")) if d.exists() else []:
        try:
            out.append(json.loads(p.read_text()))
        except ValueError:
            continue
    return out


def stored_info(side: dict) -> dict | None:
    """The sidecar's ``info`` if it is well formed and describes the file's own rows, else ``None``."""
    info = side.get("info")
    if not isinstance(info, dict) or info.get("architectures") != side["rows"] or info.get("id") != side["id"]:
        return None
    if any(not isinstance(info.get(k), t) or isinstance(info.get(k), bool) for k, t in _INFO.items()):
        return None
    names = [d for d in info["datasets"] if isinstance(d, str)]
    metrics = info["metrics"]
    if len(names) != len(info["datasets"]) or any(
            not isinstance(metrics.get(d), list) or not all(isinstance(m, str) for m in metrics[d]) for d in names):
        return None
    return info


def names_only(side: dict):
    """A ``Benchmark`` with the names, directions and size of a cached one but none of its rows."""
    from ..spaces import get_space
    from ._base import Benchmark

    class _Names(Benchmark):
        def __init__(self):  # no __post_init__: it would index every row
            self.id, self.space, self._rows = side["id"], get_space(side["space"]), int(side["rows"])
            self.columns = {(str(d), str(m)): None for d, m in side["columns"]}
            self.source, self.description, self.data_hash = side["source"], side["description"], side["data_hash"]
            self.default_dataset = side["default_dataset"]
            self.default_metrics, self.cost_metrics = dict(side["default_metrics"]), dict(side["cost_metrics"])
            self.notes, self.minimize = list(side.get("notes", [])), side.get("minimize")
            self.aliases = side.get("aliases", {})
            if self.default_dataset is None and self.columns:
                self.default_dataset = next(iter(self.columns))[0]
            self._check_names()

        def __len__(self) -> int:
            return self._rows

    return _Names()
