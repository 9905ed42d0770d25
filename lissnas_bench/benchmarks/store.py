"""An append-only on-disk store of surrogate answers, keyed by the architecture's canonical index.

A store is a folder: ``manifest.json`` (what the answers come from: the models' fingerprint, the predicting
software's versions, the value columns) and Parquet part files, each holding ``key`` (int64, ``space.index``)
plus one float64 column per value.  Parts are only ever added, each written under a temporary name and renamed
into place, so a reader (or a second process appending to the same store) sees whole parts or nothing; a key
present in several parts (two processes answered it) has the same value in each, because the surrogate is
deterministic, and the first one read is kept.  Many small parts are merged into one now and then (the merged
part is written before the small ones are deleted, so nothing is ever missing).

New answers are held in memory and written as one part when ``flush_every`` have accumulated, on ``flush()`` and
on ``close()``; an interrupted run loses at most those, and a rerun recomputes them identically.

>>> import tempfile, numpy as np
>>> st = AnswerStore(tempfile.mkdtemp(), {"models": "abc"}, ("mean",))
>>> st.add(np.array([7, 3]), {"mean": np.array([0.5, 0.25])})
>>> found, vals = st.get(np.array([3, 4, 7]))
>>> found.tolist(), vals["mean"][found].tolist()
([True, False, True], [0.25, 0.5])
>>> st.close(); len(AnswerStore(st.root, {"models": "abc"}, ("mean",)))
2
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path

import numpy as np

from .._io import atomic_path, write_json_atomic
from ..errors import DataFileError

FORMAT_VERSION = 1
#: merge the parts into one when a store is opened with more than this many
_MERGE_PARTS = 32


class AnswerStore:
    """Answers of one surrogate (``identity``) for int64 keys; ``columns`` are the value names."""

    def __init__(self, root, identity: dict, columns: tuple[str, ...], *, flush_every: int = 4096):
        self.root = Path(root)
        self.identity = dict(identity)
        self.columns = tuple(columns)
        self.flush_every = int(flush_every)
        self.root.mkdir(parents=True, exist_ok=True)
        self.manifest = self._open_manifest()
        self._keys = np.empty(0, np.int64)
        self._vals = {c: np.empty(0) for c in self.columns}
        #: answers not yet written: key -> values (a dict, so single-architecture queries stay cheap)
        self._recent: dict[int, tuple[float, ...]] = {}
        parts = self._parts()
        self._load(parts)
        if len(parts) > _MERGE_PARTS:
            self._merge(parts)

    # ------------------------------------------------------------------ manifest
    def _open_manifest(self) -> dict:
        path = self.root / "manifest.json"
        want = {"format_version": FORMAT_VERSION, "identity": self.identity, "columns": list(self.columns)}
        if not path.exists():
            write_json_atomic(path, {**want, "versions": None})
            return {**want, "versions": None}
        try:
            have = json.loads(path.read_text())
        except ValueError as exc:
            raise DataFileError(f"{path}: corrupt store manifest ({exc})") from exc
        for k in ("format_version", "identity", "columns"):
            if have.get(k) != want[k]:
                raise DataFileError(
                    f"{self.root}: this answer store holds answers of another surrogate ({k} {have.get(k)!r}, "
                    f"expected {want[k]!r}); answers of different models are never mixed: use another store folder"
                )
        return have

    def check_versions(self, versions: dict) -> None:
        """Record the predicting software's versions on first use; refuse different ones later."""
        have = self.manifest.get("versions")
        if have is None:
            self.manifest["versions"] = dict(versions)
            write_json_atomic(self.root / "manifest.json", self.manifest)
        elif have != dict(versions):
            raise DataFileError(
                f"{self.root}: the stored answers were computed with {have}, but this surrogate runs {versions}; "
                "answers of different software are never mixed: use another store folder (or delete this one)"
            )

    # ------------------------------------------------------------------ parts
    def _parts(self) -> list[Path]:
        return sorted(self.root.glob("part-*.parquet"))

    def _read_part(self, path: Path):
        import pyarrow.parquet as pq

        try:
            t = pq.read_table(path)
        except FileNotFoundError:
            return None  # merged away by another process since it was listed
        except OSError as exc:
            raise DataFileError(f"{path}: unreadable answer-store part ({exc})") from exc
        missing = {"key", *self.columns} - set(t.column_names)
        if missing:
            raise DataFileError(f"{path}: answer-store part lacks columns {sorted(missing)}")
        return t.column("key").to_numpy().astype(np.int64), {c: t.column(c).to_numpy().astype(np.float64)
                                                             for c in self.columns}

    def _load(self, parts: list[Path]) -> None:
        read = [r for r in (self._read_part(p) for p in parts) if r is not None]
        if read:
            self._merge_in([k for k, _ in read], {c: [v[c] for _, v in read] for c in self.columns})

    def _merge_in(self, keys: list[np.ndarray], vals: dict[str, list[np.ndarray]]) -> None:
        k = np.concatenate([self._keys, *keys])
        v = {c: np.concatenate([self._vals[c], *vals[c]]) for c in self.columns}
        uniq, first = np.unique(k, return_index=True)  # sorted keys; the first occurrence wins
        self._keys = uniq
        self._vals = {c: v[c][first] for c in self.columns}

    def _write_part(self, keys: np.ndarray, vals: dict[str, np.ndarray]) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        name = f"part-{os.getpid()}-{uuid.uuid4().hex}.parquet"
        table = pa.table({"key": pa.array(keys, pa.int64()), **{c: pa.array(vals[c], pa.float64())
                                                                for c in self.columns}})
        with atomic_path(self.root / name) as tmp:
            pq.write_table(table, tmp)
        return self.root / name

    def _merge(self, parts: list[Path]) -> None:
        """One part with everything read so far, then the small parts are removed (best effort)."""
        self._write_part(self._keys, self._vals)
        for p in parts:
            with contextlib.suppress(OSError):
                p.unlink()

    # ------------------------------------------------------------------ use
    def __len__(self) -> int:
        return int(len(self._keys)) + len(self._recent)

    def get(self, keys) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """``found`` mask and value arrays (NaN where not found) for ``keys``."""
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        vals = {c: np.full(len(keys), np.nan) for c in self.columns}
        found = np.zeros(len(keys), bool)
        if len(self._keys):
            pos = np.searchsorted(self._keys, keys).clip(0, len(self._keys) - 1)
            found = self._keys[pos] == keys
            for c in self.columns:
                vals[c][found] = self._vals[c][pos[found]]
        if self._recent:
            for i in np.flatnonzero(~found):
                hit = self._recent.get(int(keys[i]))
                if hit is not None:
                    found[i] = True
                    for c, x in zip(self.columns, hit):
                        vals[c][i] = x
        return found, vals

    def add(self, keys, vals: dict[str, np.ndarray]) -> None:
        """Remember new answers; they reach the disk with the next part (see the module docstring)."""
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        cols = [np.asarray(vals[c], dtype=np.float64).reshape(-1) for c in self.columns]
        for i, k in enumerate(keys.tolist()):
            self._recent.setdefault(k, tuple(float(col[i]) for col in cols))
        if len(self._recent) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Write every answer not yet on disk as one new part (and index it with the rest)."""
        if not self._recent:
            return
        keys = np.fromiter(self._recent, dtype=np.int64, count=len(self._recent))
        table = np.array(list(self._recent.values()), dtype=np.float64).reshape(len(keys), len(self.columns))
        vals = {c: table[:, j] for j, c in enumerate(self.columns)}
        self._write_part(keys, vals)
        self._merge_in([keys], {c: [vals[c]] for c in self.columns})
        self._recent = {}

    def close(self) -> None:
        self.flush()
