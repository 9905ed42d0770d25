"""On-disk columnar cache: one Arrow IPC file per benchmark plus a JSON sidecar with its checksum.

Converting a benchmark happens once; later loads memory-map the Arrow file (milliseconds).  Every load checks
the file's size and SHA-256 against the sidecar, so a truncated or corrupt cache is detected and rebuilt (for
embedded benchmarks) or reported (for imported ones), never read silently.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .._io import atomic_path, home, sha256_file, write_json_atomic
from ..errors import DataFileError, UnknownBenchmark
from ..spaces import get_space
from ._base import Benchmark

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_SEP = "\x1f"  # unit separator: cannot occur in dataset or metric names read from files


def embedded_dir() -> Path:
    return home() / "embedded"


def imported_dir() -> Path:
    return home() / "imported"


# ---------------------------------------------------------------------- write / read one benchmark
def save(bench: Benchmark, path: str | os.PathLike, extra: dict | None = None) -> dict:
    """Write ``bench`` atomically to ``path`` (Arrow IPC) and its sidecar ``path.json``; return the sidecar."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    path = Path(path)
    cols = {"key": pa.array(bench.keys)}
    for p in range(bench.space.positions):
        cols[f"a{p}"] = pa.array(bench.archs[:, p])
    names = []
    for i, ((d, m), v) in enumerate(bench.columns.items()):
        cols[f"c{i}"] = pa.array(v)
        names.append([d, m])
    meta = {
        "format_version": FORMAT_VERSION,
        "id": bench.id,
        "space": bench.space.name,
        "columns": names,
        "source": bench.source,
        "description": bench.description,
        "default_dataset": bench.default_dataset,
        "default_metrics": bench.default_metrics,
        "cost_metrics": bench.cost_metrics,
        "data_hash": bench.data_hash,
        "notes": bench.notes,
        "minimize": [list(p) for p in bench.minimize],
        "aliases": bench.aliases,
    }
    table = pa.table(cols).replace_schema_metadata({"lissnas_bench": json.dumps(meta)})
    with atomic_path(path) as tmp:
        with pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    side = {**meta, "rows": len(bench), "bytes": path.stat().st_size, "sha256": sha256_file(path), **(extra or {})}
    write_json_atomic(_sidecar(path), side)
    return side


def load(path: str | os.PathLike, verify: bool = True) -> Benchmark:
    """Read a cached benchmark; raises ``DataFileError`` if it is missing, truncated or corrupt."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    path = Path(path)
    side = read_sidecar(path)
    if verify:
        size = path.stat().st_size if path.exists() else -1
        if size != side.get("bytes") or sha256_file(path) != side.get("sha256"):
            raise DataFileError(f"cache file {path} is truncated or corrupt (checksum mismatch)")
    try:
        with pa.memory_map(str(path), "r") as src:
            table = ipc.open_file(src).read_all()
        meta = json.loads(table.schema.metadata[b"lissnas_bench"])
    except (pa.ArrowInvalid, OSError, KeyError, ValueError) as exc:
        raise DataFileError(f"cannot read cache file {path}: {exc}") from exc
    if meta.get("format_version") != FORMAT_VERSION:
        raise DataFileError(f"cache file {path} has format {meta.get('format_version')}, expected {FORMAT_VERSION}")
    space = get_space(meta["space"])
    archs = np.stack([table.column(f"a{p}").to_numpy() for p in range(space.positions)], axis=1)
    columns = {(d, m): table.column(f"c{i}").to_numpy() for i, (d, m) in enumerate(meta["columns"])}
    return Benchmark(
        id=meta["id"],
        space=space,
        archs=archs,
        columns=columns,
        source=meta["source"],
        description=meta["description"],
        default_dataset=meta["default_dataset"],
        default_metrics=meta["default_metrics"],
        cost_metrics=meta["cost_metrics"],
        data_hash=meta["data_hash"],
        notes=meta.get("notes", []),
        minimize=meta.get("minimize"),  # None in older caches: the adapters' naming rule
        aliases=meta.get("aliases", {}),
    )


def _sidecar(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".json")


def read_sidecar(path: str | os.PathLike) -> dict:
    side = _sidecar(Path(path))
    try:
        return json.loads(side.read_text())
    except FileNotFoundError as exc:
        raise DataFileError(f"cache file {path} has no sidecar {side.name}") from exc
    except ValueError as exc:
        raise DataFileError(f"sidecar {side} is corrupt: {exc}") from exc


# ---------------------------------------------------------------------- embedded benchmarks
def fingerprint(files: Sequence[Path]) -> str:
    """SHA-256 over the source files, memoised on disk by (path, size, mtime) so warm loads skip hashing."""
    memo_path = home() / "fingerprints.json"
    try:
        memo = json.loads(memo_path.read_text())
    except (FileNotFoundError, ValueError):
        memo = {}
    stamp = [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files]
    key = json.dumps(stamp)
    if key in memo:
        return memo[key]
    import hashlib

    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(sha256_file(f).encode())
    memo[key] = h.hexdigest()
    try:
        write_json_atomic(memo_path, memo)
    except OSError:  # a read-only cache dir only costs the memo
        pass
    return memo[key]


def cached(bench_id: str, sources: Sequence[Path], build: Callable[[str], Benchmark], version: int) -> Benchmark:
    """Load ``bench_id`` from the cache, (re)building it from ``sources`` when missing, stale or corrupt."""
    digest = fingerprint(sources)
    path = embedded_dir() / f"{bench_id}-v{version}-{digest[:16]}.arrow"
    if path.exists():
        try:
            return load(path)
        except DataFileError as exc:
            log.warning("%s; rebuilding", exc)
    bench = build(digest)
    save(bench, path, {"source_files": [str(s) for s in sources]})
    return bench


# ---------------------------------------------------------------------- imported benchmarks
def imported_path(bench_id: str) -> Path:
    return imported_dir() / f"{bench_id}.arrow"


def list_imported() -> list[dict]:
    d = imported_dir()
    if not d.exists():
        return []
    out = []
    for p in sorted(d.glob("*.arrow")):
        try:
            out.append({**read_sidecar(p), "path": str(p)})
        except DataFileError:
            continue
    return out


def store_imported(bench: Benchmark, extra: dict | None = None) -> Path:
    path = imported_path(bench.id)
    save(bench, path, extra)
    return path


def remove_imported(bench_id: str) -> None:
    path = imported_path(bench_id)
    if not path.exists():
        raise UnknownBenchmark(bench_id, [b["id"] for b in list_imported()])
    path.unlink()
    _sidecar(path).unlink(missing_ok=True)
