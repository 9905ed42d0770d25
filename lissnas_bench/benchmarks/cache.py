"""On-disk columnar cache: one Arrow IPC file per benchmark plus a JSON sidecar with its checksum.

Converting a benchmark happens once; later loads memory-map the Arrow file (milliseconds).  Every load checks
the file's size and SHA-256 against the sidecar and the benchmark it holds (id, space, source hash, stored both
in the sidecar and in the Arrow metadata) against the one asked for, so a truncated, corrupt, swapped or renamed
cache file is detected and rebuilt (for embedded benchmarks) or reported (for imported ones), never served
under the wrong name.  A warm load writes nothing: a read-only cache home still serves what it holds.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._io import atomic_path, home, os_error, parse_json, read_json, sha256_file, write_json_atomic
from ..errors import DataFileError, InvalidConfig, UnknownBenchmark

if TYPE_CHECKING:  # numpy, the spaces and Benchmark load on first use: listing benchmarks needs none of them
    import numpy as np

    from ._base import Benchmark

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_SEP = "\x1f"  # unit separator: cannot occur in dataset or metric names read from files
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: sidecar fields every reader relies on, with their types
_SIDECAR = {"id": str, "space": str, "rows": int, "bytes": int, "sha256": str, "columns": list}


def embedded_dir() -> Path:
    return home() / "embedded"


def imported_dir() -> Path:
    return home() / "imported"


def valid_id(bench_id) -> bool:
    """Whether ``bench_id`` may name an imported benchmark (and so a file in the cache).

    >>> valid_id("nb201-v1_1"), valid_id("../victim/important"), valid_id("/etc/passwd")
    (True, False, False)
    """
    return isinstance(bench_id, str) and _ID_RE.fullmatch(bench_id) is not None


def check_id(bench_id) -> None:
    if not valid_id(bench_id):
        raise InvalidConfig(
            f"benchmark id {bench_id!r} must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit)"
        )


# ---------------------------------------------------------------------- write / read one benchmark
def save(bench: Benchmark, path: str | os.PathLike, extra: dict | None = None) -> dict:
    """Write ``bench`` atomically to ``path`` (Arrow IPC) and its sidecar ``path.json``; return the sidecar.

    If the sidecar cannot be written the Arrow file is removed again: nothing half-written stays behind.
    """
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
    try:
        side = {**meta, "rows": len(bench), "bytes": path.stat().st_size, "sha256": sha256_file(path),
                "info": bench.info(), **(extra or {})}
        write_json_atomic(_sidecar(path), side)
    except BaseException as exc:
        try:
            path.unlink()
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, DataFileError):
            raise os_error(exc, path, "write") from exc
        raise
    return side


def load(
    path: str | os.PathLike,
    verify: bool = True,
    *,
    expect_id: str | None = None,
    expect_space: str | None = None,
    expect_source_hash: str | None = None,
) -> Benchmark:
    """Read a cached benchmark; raises ``DataFileError`` if it is missing, truncated, corrupt or not the one
    expected (``expect_*``: the id, space and source hash it must hold)."""
    path = Path(path)
    side = read_sidecar(path)
    _check_identity(path, "its sidecar", side, expect_id, expect_space, expect_source_hash)
    try:
        if path.is_dir():
            raise DataFileError(f"cache file {path} is a directory, not an Arrow file")
        if verify:
            size = path.stat().st_size if path.exists() else -1
            if size != side.get("bytes") or sha256_file(path) != side.get("sha256"):
                raise DataFileError(f"cache file {path} is truncated or corrupt (checksum mismatch)")
        table, meta = _read_arrow(path)
    except OSError as exc:
        raise os_error(exc, path, "read") from exc
    if meta.get("format_version") != FORMAT_VERSION:
        raise DataFileError(f"cache file {path} has format {meta.get('format_version')}, expected {FORMAT_VERSION}")
    for key in ("id", "space", "data_hash"):
        if meta.get(key) != side.get(key):
            raise DataFileError(
                f"cache file {path} holds {key} {meta.get(key)!r} but its sidecar says {side.get(key)!r} "
                "(a file copied over another?)"
            )
    try:
        return _benchmark(table, meta)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise DataFileError(f"cache file {path} has malformed metadata ({type(exc).__name__}: {exc})") from exc


def _read_arrow(path: Path):
    """``({column name: array}, metadata)``: numpy reads the layout ``save`` writes, pyarrow anything else."""
    from ._arrow_ipc import read

    got = read(path)
    if got is None:
        got = _read_with_pyarrow(path)
    table, schema_meta = got
    raw = schema_meta.get(b"lissnas_bench")
    if raw is None:
        raise DataFileError(f"cache file {path} is not a lissnas-bench cache (no lissnas_bench metadata)")
    meta = parse_json(raw.decode("utf-8", "replace"), f"the metadata of cache file {path}")
    if not isinstance(meta, dict):
        raise DataFileError(f"the metadata of cache file {path} is {type(meta).__name__}, expected an object")
    return table, meta


def _read_with_pyarrow(path: Path):
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        with pa.memory_map(str(path), "r") as src:
            table = ipc.open_file(src).read_all()
    except (pa.ArrowInvalid, ValueError) as exc:
        raise DataFileError(f"cannot read cache file {path}: {exc}") from exc
    return {n: _numpy(table.column(n)) for n in table.column_names}, table.schema.metadata or {}


def _benchmark(table: dict, meta: dict) -> Benchmark:
    import numpy as np

    from ..spaces import get_space
    from ._base import Benchmark

    space = get_space(meta["space"])
    archs = np.stack([table[f"a{p}"] for p in range(space.positions)], axis=1)
    columns = {(d, m): table[f"c{i}"] for i, (d, m) in enumerate(meta["columns"])}
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


def _numpy(column) -> np.ndarray:
    """A read-only numpy view of one Arrow column.

    ``ChunkedArray.to_numpy`` imports pandas (a third of a second) even for a plain int8 column; DLPack hands
    over the same zero-copy buffer without it.  Columns DLPack refuses (nulls, several chunks, booleans, strings,
    pyarrow < 15) take the general route."""
    import warnings

    import numpy as np

    if column.num_chunks == 1:
        try:
            with warnings.catch_warnings():  # pyarrow exports only unversioned capsules; numpy 2.4 warns on them
                warnings.simplefilter("ignore", DeprecationWarning)
                out = np.from_dlpack(column.chunk(0))
        except (AttributeError, TypeError, ValueError, BufferError, RuntimeError):
            pass
        else:
            out.flags.writeable = False  # the buffer may be the read-only memory map
            return out
    return column.to_numpy()


def describe(path: str | os.PathLike, *, expect_id: str | None = None, expect_space: str | None = None,
             expect_source_hash: str | None = None) -> dict:
    """``load(path).info()`` from the sidecar alone, after the same size and checksum test as ``load``.

    Listing benchmarks needs their names, not their rows: this skips numpy, pyarrow and the space's index tables
    (``save`` stores ``info()`` in the sidecar).
    Raises ``DataFileError`` where ``load`` would (then the caller loads, or rebuilds, the benchmark)."""
    path = Path(path)
    side = read_sidecar(path)
    _check_identity(path, "its sidecar", side, expect_id, expect_space, expect_source_hash)
    try:
        if not path.is_file() or path.stat().st_size != side["bytes"] or sha256_file(path) != side["sha256"]:
            raise DataFileError(f"cache file {path} is missing, truncated or corrupt (checksum mismatch)")
        from ._listing import names_only, stored_info

        info = stored_info(side)
        return info if info is not None else names_only(side).info()  # older sidecars hold no listing
    except OSError as exc:
        raise os_error(exc, path, "read") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataFileError(f"sidecar of cache file {path} is malformed ({type(exc).__name__}: {exc})") from exc


def cached_info(bench_id: str, sources: Sequence[Path], version: int, space: str | None = None) -> dict | None:
    """``info()`` of an embedded benchmark from its cache's sidecar; ``None`` if it must be (re)built first."""
    digest = fingerprint(sources)
    path = embedded_dir() / f"{bench_id}-v{version}-{digest[:16]}.arrow"
    try:
        return describe(path, expect_id=bench_id, expect_space=space, expect_source_hash=digest)
    except DataFileError:
        return None


def _check_identity(path: Path, what: str, rec: dict, expect_id, expect_space, expect_hash) -> None:
    for key, want in (("id", expect_id), ("space", expect_space), ("data_hash", expect_hash)):
        if want is not None and rec.get(key) != want:
            raise DataFileError(
                f"cache file {path} is not the benchmark asked for: {what} says {key} {rec.get(key)!r}, "
                f"expected {want!r} (a cache file copied or renamed onto another?)"
            )


def _sidecar(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".json")


def read_sidecar(path: str | os.PathLike) -> dict:
    side = _sidecar(Path(path))
    try:
        data = read_json(side, "sidecar")
    except FileNotFoundError as exc:
        raise DataFileError(f"cache file {path} has no sidecar {side.name}") from exc
    except DataFileError as exc:
        raise DataFileError(f"{exc} (the sidecar of cache file {path} is corrupt)") from exc
    if not isinstance(data, dict):
        raise DataFileError(f"sidecar {side} is corrupt: it holds a {type(data).__name__}, expected an object")
    for key, typ in _SIDECAR.items():
        if not isinstance(data.get(key), typ) or isinstance(data.get(key), bool):
            raise DataFileError(f"sidecar {side} is corrupt: {key!r} is missing or not a {typ.__name__}")
    return data


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError as exc:
        raise os_error(exc, path, "read") from exc


# ---------------------------------------------------------------------- embedded benchmarks
def fingerprint(files: Sequence[Path]) -> str:
    """SHA-256 over the source files, memoised on disk by (path, size, mtime) so warm loads skip hashing.

    The memo is best-effort both ways: unreadable means recompute, unwritable (read-only home) means no memo.
    """
    memo_path = home() / "fingerprints.json"
    try:
        memo = read_json(memo_path, "fingerprint memo")
    except (OSError, DataFileError):  # missing, unreadable or corrupt: recompute
        memo = {}
    if not isinstance(memo, dict):
        memo = {}
    try:
        stamp = [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files]
    except OSError as exc:
        raise os_error(exc, files[0] if files else "?", "read") from exc
    key = json.dumps(stamp)
    if isinstance(memo.get(key), str):
        return memo[key]
    import hashlib

    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(sha256_file(f).encode())
    memo[key] = h.hexdigest()
    try:
        write_json_atomic(memo_path, memo)
    except OSError:  # a read-only cache dir only costs the memo (DataFileError is an OSError too)
        pass
    return memo[key]


def cached(bench_id: str, sources: Sequence[Path], build: Callable[[str], Benchmark], version: int,
           space: str | None = None) -> Benchmark:
    """Load ``bench_id`` from the cache, (re)building it from ``sources`` when missing, stale, corrupt or not
    the benchmark it should be (another benchmark's file copied onto it)."""
    digest = fingerprint(sources)
    path = embedded_dir() / f"{bench_id}-v{version}-{digest[:16]}.arrow"
    if _exists(path):
        try:
            return load(path, expect_id=bench_id, expect_space=space, expect_source_hash=digest)
        except DataFileError as exc:
            log.warning("%s; rebuilding", exc)
    bench = build(digest)
    save(bench, path, {"source_files": [str(s) for s in sources]})
    return bench


# ---------------------------------------------------------------------- imported benchmarks
def imported_path(bench_id: str) -> Path:
    check_id(bench_id)
    return imported_dir() / f"{bench_id}.arrow"


def load_imported(bench_id: str) -> Benchmark:
    """An imported benchmark by id; a damaged or swapped file is an error telling how to re-import it."""
    path = imported_path(bench_id)
    try:
        return load(path, expect_id=bench_id)
    except DataFileError as exc:
        if getattr(exc, "errno", None) is not None:  # a filesystem fault, not a bad file
            raise
        raise DataFileError(
            f"{exc}; import it again (lissnas-bench data import KIND PATH --name {bench_id} --force) "
            f"or remove it (lissnas-bench data remove {bench_id})"
        ) from exc


def is_imported(bench_id: str) -> bool:
    return valid_id(bench_id) and _exists(imported_path(bench_id))


def list_imported() -> list[dict]:
    """Sidecars of the imported benchmarks; a file whose sidecar names another id is skipped (with a warning)."""
    d = imported_dir()
    try:
        paths = sorted(d.glob("*.arrow")) if d.is_dir() else []
    except OSError as exc:
        raise os_error(exc, d, "read") from exc
    out = []
    for p in paths:
        try:
            side = read_sidecar(p)
        except DataFileError as exc:
            log.warning("skipping %s: %s", p, exc)
            continue
        if side["id"] != p.stem or not valid_id(p.stem):
            log.warning("skipping %s: its sidecar is that of %r", p, side["id"])
            continue
        out.append({**side, "path": str(p)})
    return out


def store_imported(bench: Benchmark, extra: dict | None = None) -> Path:
    path = imported_path(bench.id)
    save(bench, path, extra)
    return path


def remove_imported(bench_id: str) -> None:
    """Delete an imported benchmark's Arrow file and sidecar, and never anything outside ``imported_dir()``."""
    path = imported_path(bench_id)  # refuses '../x', '/abs', ...: ids are plain names
    root = imported_dir()
    if not _exists(path):
        raise UnknownBenchmark(bench_id, [b["id"] for b in list_imported()])
    try:
        inside = path.resolve().parent == root.resolve() and not path.is_dir()
    except OSError as exc:
        raise os_error(exc, path, "read") from exc
    if not inside:
        raise DataFileError(f"refusing to delete {path}: it does not resolve to a file inside {root}")
    for p in (path, _sidecar(path)):
        try:
            p.unlink(missing_ok=True)
        except OSError as exc:
            raise os_error(exc, p, "delete") from exc
