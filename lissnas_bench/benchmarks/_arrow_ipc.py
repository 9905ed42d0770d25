"""Read our own Arrow IPC cache files with numpy alone: importing pyarrow costs a query more than its lookup
(benchmarks/bench_startup.py measures it: the ``import numpy, pyarrow.ipc`` row against ``import numpy``).

Only the layout ``cache.save`` writes is accepted: one record batch, little-endian, uncompressed, no
dictionaries, every column a fixed-width integer or float without nulls.  Anything else returns ``None`` and
the caller reads the file with pyarrow.  The file's SHA-256 has been checked against its sidecar before this
runs; every offset is still bounds-checked (``struct.error`` / ``ValueError`` -> ``None``), because a file is input.
The flatbuffer tables read here are those of Arrow's ``File.fbs``, ``Schema.fbs`` and ``Message.fbs``.
"""

from __future__ import annotations

import mmap
import struct

import numpy as np

_MAGIC = b"ARROW1"
_INT, _FLOAT = 2, 3  # Schema.fbs Type union
_RECORD_BATCH = 3  # Message.fbs MessageHeader union
_FLOATS = {1: "<f4", 2: "<f8"}  # FloatingPoint.precision: SINGLE, DOUBLE


class _Table:
    """One flatbuffer table: ``field(i)`` is where field ``i`` lies in the buffer, or None when absent."""

    def __init__(self, buf, pos: int):
        self.buf, self.pos = buf, pos
        vt = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vt, self.vt_len = vt, struct.unpack_from("<H", buf, vt)[0]

    def field(self, i: int) -> int | None:
        at = 4 + 2 * i
        off = struct.unpack_from("<H", self.buf, self.vt + at)[0] if at < self.vt_len else 0
        return self.pos + off if off else None

    def scalar(self, i: int, fmt: str, default=0):
        p = self.field(i)
        return default if p is None else struct.unpack_from(fmt, self.buf, p)[0]

    def ref(self, i: int) -> int | None:  # an offset field: table, vector or string
        p = self.field(i)
        return None if p is None else p + struct.unpack_from("<I", self.buf, p)[0]

    def table(self, i: int) -> _Table | None:
        p = self.ref(i)
        return None if p is None else _Table(self.buf, p)

    def vector(self, i: int) -> tuple[int, int]:  # (length, first element)
        p = self.ref(i)
        return (0, 0) if p is None else (struct.unpack_from("<I", self.buf, p)[0], p + 4)

    def tables(self, i: int) -> list[_Table]:
        n, p = self.vector(i)
        return [_Table(self.buf, p + 4 * k + struct.unpack_from("<I", self.buf, p + 4 * k)[0]) for k in range(n)]

    def string(self, i: int) -> bytes:
        n, p = self.vector(i)
        if p + n > len(self.buf):
            raise ValueError("string out of bounds")
        return bytes(self.buf[p:p + n])


def _dtype(field: _Table) -> str | None:
    kind, t = field.scalar(2, "<B"), field.table(3)
    if t is None or field.ref(4) is not None or field.vector(5)[0]:  # dictionary-encoded or nested
        return None
    if kind == _INT:
        bits, signed = t.scalar(0, "<i"), t.scalar(1, "<?", False)
        return f"<{'i' if signed else 'u'}{bits // 8}" if bits in (8, 16, 32, 64) else None
    return _FLOATS.get(t.scalar(0, "<h")) if kind == _FLOAT else None


def read(path) -> tuple[dict[str, np.ndarray], dict[bytes, bytes]] | None:
    """``({column: read-only array}, schema metadata)`` of a cache file, or None where pyarrow must read it."""
    with open(path, "rb") as fh:
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        return _read(buf)
    except (struct.error, ValueError, IndexError, OverflowError):
        return None


def _read(buf) -> tuple[dict[str, np.ndarray], dict[bytes, bytes]] | None:
    size = len(buf)
    if size < 22 or buf[:6] != _MAGIC or buf[-6:] != _MAGIC:
        return None
    footer_len = struct.unpack_from("<i", buf, size - 10)[0]
    start = size - 10 - footer_len
    if footer_len <= 0 or start < 8:
        return None
    footer = _Table(buf, start + struct.unpack_from("<I", buf, start)[0])
    schema = footer.table(1)
    n_dicts, _ = footer.vector(2)
    n_batches, blocks = footer.vector(3)
    if schema is None or n_dicts or n_batches != 1 or schema.scalar(0, "<h") != 0:  # 0: little-endian
        return None
    fields = schema.tables(1)
    dtypes = [_dtype(f) for f in fields]
    if None in dtypes:
        return None
    meta = {kv.string(0): kv.string(1) for kv in schema.tables(2)}
    offset, meta_len, body_len = struct.unpack_from("<qi4xq", buf, blocks)
    head = offset + (8 if struct.unpack_from("<I", buf, offset)[0] == 0xFFFFFFFF else 4)
    message = _Table(buf, head + struct.unpack_from("<I", buf, head)[0])
    batch = message.table(2)
    if message.scalar(1, "<B") != _RECORD_BATCH or batch is None or batch.ref(3) is not None:  # 3: compression
        return None
    rows = batch.scalar(0, "<q")
    n_nodes, nodes = batch.vector(1)
    n_bufs, bufs = batch.vector(2)
    body = offset + meta_len
    if n_nodes != len(fields) or n_bufs != 2 * len(fields) or body + body_len > size:
        return None
    cols = {}
    for k, (f, dt) in enumerate(zip(fields, dtypes)):
        length, nulls = struct.unpack_from("<qq", buf, nodes + 16 * k)
        data_off, data_len = struct.unpack_from("<qq", buf, bufs + 16 * (2 * k + 1))
        width = np.dtype(dt).itemsize
        if length != rows or nulls or data_off < 0 or data_len < rows * width or data_off + data_len > body_len:
            return None
        cols[f.string(0).decode("utf-8")] = np.frombuffer(buf, dtype=dt, count=rows, offset=body + data_off)
    return cols, meta
