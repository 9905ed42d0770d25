"""NAS-Bench-101 ``.tfrecord`` files read without TensorFlow (``nasbench_full.tfrecord``, ``nasbench_only108.tfrecord``).

A TFRecord file is a sequence of records ``uint64 length | uint32 masked-crc32c(length) | data | uint32
masked-crc32c(data)``.  Each NAS-Bench-101 record is the JSON list ``[module_hash, epochs, adjacency (row-major
digits), operations (comma-separated), metrics]`` where ``metrics`` is a base64 ``nasbench.ModelMetrics`` protobuf:
``evaluation_data`` (repeated: at start, halfway, end of training; each with ``training_time``,
``train_accuracy``, ``validation_accuracy``, ``test_accuracy``), ``trainable_parameters``, ``total_time``.
The protobuf is decoded by hand (``decode_model_metrics``): no TensorFlow, no protobuf package.

Columns (dataset ``cifar10``; accuracies converted to % like the other benchmarks, times in seconds), for every
budget E in {4, 12, 36, 108} present: ``{train,validation,test}-accuracy@E``, ``training-time@E`` and the same
with a ``halfway-`` prefix (the evaluation at half the budget), each as the mean of the three runs and per run
(``.../run0``..``run2``); plus ``params``.

>>> from lissnas_bench.benchmarks.official import import_file              # doctest: +SKIP
>>> bench, log = import_file("nb101", "nasbench_only108.tfrecord")         # doctest: +SKIP
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import numpy as np

from ...errors import ChecksumMismatch, DataFileError
from ...spaces import get_space
from ...spaces.nb101 import spec_to_encoding
from .._base import Benchmark
from ._common import Progress, file_digest, metric_name, no_progress
# the TFRecord framing moved to _tfrecord.py; its names stay importable from here
from ._tfrecord import _fast_crc32c, crc32c, masked_crc, read_tfrecords, write_tfrecord  # noqa: F401

#: published SHA-256 of the two releases (NAS-Bench-101 README)
RELEASES = {
    "nasbench_full.tfrecord": "3d64db8180fb1b0207212f9032205064312b6907a3bbc81eabea10db2f5c7e9c",
    "nasbench_only108.tfrecord": "4c39c3936e36a85269881d659e44e61a245babcb72cb374eacacf75d0e5f4fd1",
}
EPOCHS = (4, 12, 36, 108)
REPEATS = 3
#: stored per (module, budget, run): final then halfway values
FIELDS = ("train-accuracy", "validation-accuracy", "test-accuracy", "training-time")
_ACC = np.array([True, True, True, False])


# ---------------------------------------------------------------------------------------------------- protobuf
def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes):
    """Yield ``(field_number, wire_type, value)``; value is int (varint), bytes (len) or raw 8/4 bytes."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 1:
            v = buf[i : i + 8]
            i += 8
        elif wt == 2:
            ln, i = _varint(buf, i)
            v = buf[i : i + ln]
            i += ln
        elif wt == 5:
            v = buf[i : i + 4]
            i += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wt}")
        if i > n:
            raise ValueError("protobuf message ends inside a field")
        yield field, wt, v


_EVAL_FIELDS = {1: "current_epoch", 2: "training_time", 3: "train_accuracy", 4: "validation_accuracy",
                5: "test_accuracy", 8: "predict_time"}


def decode_model_metrics(buf: bytes) -> dict:
    """Decode a ``nasbench.ModelMetrics`` protobuf.

    >>> m = decode_model_metrics(bytes([0x10, 0x96, 0x01]))   # trainable_parameters = 150
    >>> m["trainable_parameters"], m["evaluation_data"]
    (150, [])
    """
    out = {"evaluation_data": [], "trainable_parameters": None, "total_time": None}
    for field, wt, v in _fields(buf):
        if field == 1 and wt == 2:
            ev = {}
            for f2, wt2, v2 in _fields(v):
                name = _EVAL_FIELDS.get(f2)
                if name and wt2 == 1:
                    ev[name] = struct.unpack("<d", v2)[0]
                elif f2 in (6, 7) and wt2 == 2:
                    ev["checkpoint_path" if f2 == 6 else "sample_metrics_file"] = v2.decode("utf-8", "replace")
            out["evaluation_data"].append(ev)
        elif field == 2 and wt == 0:
            out["trainable_parameters"] = v - (1 << 64) if v >= 1 << 63 else v  # int32 is sign-extended
        elif field == 3 and wt == 1:
            out["total_time"] = struct.unpack("<d", v)[0]
    return out


def encode_model_metrics(evaluations: list[dict], params: int, total_time: float) -> bytes:
    """Encode a ``ModelMetrics`` message (the inverse of ``decode_model_metrics``; used for test fixtures)."""

    def varint(x: int) -> bytes:
        out = bytearray()
        while True:
            b = x & 0x7F
            x >>= 7
            out.append(b | (0x80 if x else 0))
            if not x:
                return bytes(out)

    msg = bytearray()
    for ev in evaluations:
        sub = bytearray()
        for f, name in _EVAL_FIELDS.items():
            if name in ev:
                sub += varint((f << 3) | 1) + struct.pack("<d", ev[name])
        for f, name in ((6, "checkpoint_path"), (7, "sample_metrics_file")):
            if name in ev:
                b = ev[name].encode()
                sub += varint((f << 3) | 2) + varint(len(b)) + b
        msg += varint((1 << 3) | 2) + varint(len(sub)) + sub
    msg += varint((2 << 3) | 0) + varint(params)
    msg += varint((3 << 3) | 1) + struct.pack("<d", total_time)
    return bytes(msg)


# ---------------------------------------------------------------------------------------------------- import
def _record_fields(data: bytes):
    """``[module_hash, epochs, adjacency, operations, metrics]`` of one record, each of the type it must have."""
    rec = json.loads(data.decode("utf-8"))  # RecursionError on absurd nesting: reported by the caller
    types = (str, int, str, str, str)
    if not isinstance(rec, list) or len(rec) != 5 or any(
        not isinstance(v, t) or isinstance(v, bool) for v, t in zip(rec, types)
    ):
        raise ValueError("expected [hash, epochs, adjacency, operations, metrics] as [str, int, str, str, str]")
    return rec


def _check_release(path: Path, verify: bool, progress: Progress, log: list[str]) -> tuple[str | None, bool]:
    """The release ``path`` is (by checksum when ``verify``, else by name) and whether record CRCs need checking."""
    if not verify:
        log.append("checksum not verified (--no-verify); record CRCs checked")
        return (path.name if path.name in RELEASES else None), True
    digest = file_digest(path, "sha256", progress)
    release = next((n for n, h in RELEASES.items() if h == digest), None)
    if release is None:
        expected = RELEASES.get(path.name)
        raise ChecksumMismatch(
            f"{path.name}: SHA-256 {digest} is not that of a published NAS-Bench-101 release"
            + (f" ({path.name}: {expected})" if expected else f" ({', '.join(RELEASES)})")
            + "; the file is truncated, corrupt or not official (pass --no-verify to import it anyway)"
        )
    log.append(f"SHA-256 {digest} matches the published checksum of {release}")
    return release, False  # the whole file is proven intact; per-record CRCs would only cost time


def _parse_record(off: int, data: bytes, name: str):
    """``(hash, epochs, adjacency, operations, metrics, halfway evaluation, final evaluation)`` of one record."""
    try:
        h, epochs, adj, ops, metrics = _record_fields(data)
        m = decode_model_metrics(base64.b64decode(metrics))
        ev = m["evaluation_data"]
        half, final = ev[1], ev[2]
    except (ValueError, TypeError, IndexError, KeyError, RecursionError, struct.error) as exc:
        raise DataFileError(
            f"{name}: record at byte {off} is not a NAS-Bench-101 record ({type(exc).__name__}: {exc})"
        ) from None
    if epochs not in EPOCHS:
        raise DataFileError(f"{name}: record at byte {off} has a budget of {epochs} epochs; NAS-Bench-101 has {EPOCHS}")
    return h, epochs, adj, ops, m, half, final


class _Modules:
    """The records read so far, one row per module hash; the arrays double when full."""

    def __init__(self):
        self.cap = 1 << 12
        self.vals = np.full((self.cap, len(EPOCHS), REPEATS, 2, len(FIELDS)), np.nan)
        self.params = np.full(self.cap, np.nan)
        self.row_of: dict[str, int] = {}
        self.specs: list[tuple[str, str]] = []
        self.seen_runs: dict[tuple[int, int], int] = {}
        self.n_rec = 0

    def _row(self, h: str, adj: str, ops: str, m: dict) -> int:
        r = self.row_of.get(h)
        if r is None:
            r = self.row_of[h] = len(self.specs)
            self.specs.append((adj, ops))
            if r >= self.cap:
                self.cap *= 2
                self.vals = np.concatenate([self.vals, np.full_like(self.vals, np.nan)])
                self.params = np.concatenate([self.params, np.full_like(self.params, np.nan)])
            self.params[r] = m["trainable_parameters"] if m["trainable_parameters"] is not None else np.nan
        return r

    def add(self, off: int, data: bytes, name: str) -> None:
        h, epochs, adj, ops, m, half, final = _parse_record(off, data, name)
        r = self._row(h, adj, ops, m)
        e = EPOCHS.index(epochs)
        run = self.seen_runs.get((r, e), 0)
        if run >= REPEATS:
            raise DataFileError(f"{name}: module {h} has more than {REPEATS} runs at {epochs} epochs")
        self.seen_runs[(r, e)] = run + 1
        for k, rec in ((0, final), (1, half)):
            self.vals[r, e, run, k] = (rec.get("train_accuracy", np.nan), rec.get("validation_accuracy", np.nan),
                                       rec.get("test_accuracy", np.nan), rec.get("training_time", np.nan))
        self.n_rec += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(vals, params)`` trimmed to the modules read, accuracies in percent."""
        n = len(self.specs)
        vals, params = self.vals[:n], self.params[:n]
        vals[..., _ACC] *= 100.0  # fractions -> percent, like every other benchmark here
        return vals, params


def _read_modules(path: Path, check_crc: bool, total: int, progress: Progress) -> _Modules:
    mods = _Modules()
    crc = _fast_crc32c()
    with open(path, "rb") as f:
        for off, data in read_tfrecords(f, check_data_crc=check_crc, what=path.name, crc=crc):
            mods.add(off, data, path.name)
            if mods.n_rec % 20000 == 0:
                progress(f.tell(), total, path.name)
    progress(total, total, path.name)
    if not mods.specs:
        raise DataFileError(f"{path.name}: the file holds no records")
    return mods


def _encode_specs(space, specs: list[tuple[str, str]], hashes: list[str], name: str) -> np.ndarray:
    """Canonical encodings of the modules' ``(adjacency digits, comma-separated ops)``."""
    enc = np.empty((len(specs), 26), dtype=np.int64)
    for i, (adj, ops) in enumerate(specs):
        try:
            k = int(round(len(adj) ** 0.5))
            mat = np.frombuffer(adj.encode(), dtype=np.uint8).reshape(k, k) - ord("0")
            enc[i] = spec_to_encoding(mat, ops.split(","))
        except Exception as exc:  # noqa: BLE001
            raise DataFileError(f"{name}: module {hashes[i]} has an invalid spec ({exc})") from None
    return space.validate(enc)


def _check_hashes(space, archs: np.ndarray, hashes: list[str], name: str) -> str:
    """NAS-Bench-101's hash identifies a model; our canonical form must agree (checked on a sample, cheap)."""
    n = len(hashes)
    sample = np.linspace(0, n - 1, min(n, 500)).astype(int)
    ours = space.hashes(archs[sample])
    wrong = [i for i, hh in zip(sample, ours) if hh != hashes[i]]
    if wrong:
        raise DataFileError(
            f"{name}: module {hashes[wrong[0]]} hashes to {ours[list(sample).index(wrong[0])]} here; "
            "the file's module hashes do not follow NAS-Bench-101's algorithm"
        )
    return f"NAS-Bench-101 module hash recomputed and matched on {len(sample)} modules"


def _columns(vals: np.ndarray, params: np.ndarray, ds: str) -> tuple[dict, list[int]]:
    """The benchmark columns (means over runs, then each run) and the budgets present (indices into EPOCHS)."""
    cols: dict[tuple[str, str], np.ndarray] = {}
    present = [e for e in range(len(EPOCHS)) if np.isfinite(vals[:, e]).any()]
    for e in present:
        E = EPOCHS[e]
        for k, prefix in ((0, ""), (1, "halfway-")):
            for j, field in enumerate(FIELDS):
                block = vals[:, e, :, k, j]
                with np.errstate(invalid="ignore"):
                    cnt = np.isfinite(block).sum(axis=1)
                    cols[(ds, metric_name(prefix + field, E))] = np.where(
                        cnt > 0, np.nansum(block, axis=1) / np.maximum(cnt, 1), np.nan
                    )
    for e in present:
        E = EPOCHS[e]
        for k, prefix in ((0, ""), (1, "halfway-")):
            for j, field in enumerate(FIELDS):
                for run in range(REPEATS):
                    col = vals[:, e, run, k, j]
                    if np.isfinite(col).any():
                        cols[(ds, metric_name(prefix + field, E, f"run{run}"))] = col.copy()
    cols[(ds, "params")] = params
    return cols, present


def import_tfrecord(
    path: Path,
    *,
    bench_id: str | None = None,
    verify: bool = True,
    progress: Progress = no_progress,
) -> tuple[Benchmark, list[str]]:
    """Read an NB101 tfrecord into a ``Benchmark`` (one row per module hash, every budget and run)."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file (NAS-Bench-101 is one .tfrecord file)")
    log: list[str] = []
    total = path.stat().st_size
    release, check_crc = _check_release(path, verify, progress, log)
    mods = _read_modules(path, check_crc, total, progress)
    vals, params = mods.arrays()
    n, n_rec, hashes = len(mods.specs), mods.n_rec, list(mods.row_of)
    space = get_space("nb101")
    archs = _encode_specs(space, mods.specs, hashes, path.name)
    log.append(_check_hashes(space, archs, hashes, path.name))
    ds = "cifar10"
    cols, present = _columns(vals, params, ds)
    top = EPOCHS[max(present)]
    default_id = {"nasbench_full.tfrecord": "nb101", "nasbench_only108.tfrecord": "nb101-only108"}
    bench = Benchmark(
        id=bench_id or default_id.get(release or "", "nb101"),
        space=space,
        archs=archs,
        columns=cols,
        source=f"{path.name} (NAS-Bench-101{', ' + release if release else ''}, tfrecord)",
        description="NAS-Bench-101 on CIFAR-10: budgets of 4/12/36/108 epochs, three runs each, final and halfway "
        "evaluations (accuracies in %, training time in seconds)",
        default_dataset=ds,
        default_metrics={ds: f"validation-accuracy@{top}"},
        cost_metrics={ds: f"training-time@{top}"},
        notes=[f"{n_rec} records, {n} modules"],
    )
    log.append(f"read {n_rec} records: {n} modules, budgets {[EPOCHS[e] for e in present]}")
    return bench, log
