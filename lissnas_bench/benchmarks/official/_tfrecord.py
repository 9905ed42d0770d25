"""TFRecord framing without TensorFlow: CRC-32C and the record stream.

A TFRecord file is a sequence of records ``uint64 length | uint32 masked-crc32c(length) | data | uint32
masked-crc32c(data)``.
"""

from __future__ import annotations

import functools
import struct

from ...errors import DataFileError


# ---------------------------------------------------------------------------------------------------- crc32c
def _crc_table() -> list[int]:
    poly = 0x82F63B78  # Castagnoli, reflected
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def _crc32c_py(data: bytes) -> int:
    crc = 0xFFFFFFFF
    t = _TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


@functools.lru_cache(maxsize=None)  # a failed import is not cached by Python: look once
def _fast_crc32c():
    """A C implementation when one happens to be installed (``crc32c`` or ``google-crc32c``)."""
    try:
        import crc32c  # type: ignore[import-not-found]

        return crc32c.crc32c
    except ImportError:
        pass
    try:
        import google_crc32c  # type: ignore[import-not-found]

        return lambda d: google_crc32c.value(bytes(d))
    except ImportError:
        return None


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of ``data``.

    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    """
    f = _fast_crc32c()
    return f(data) if f else _crc32c_py(data)


def masked_crc(data: bytes, crc=None) -> int:
    """TFRecord's masked CRC: rotate right by 15 and add a constant."""
    c = (crc or crc32c)(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def write_tfrecord(path, records) -> None:
    """Write ``records`` (bytes) with TFRecord framing (used by tests to make fixtures)."""
    with open(path, "wb") as f:
        for data in records:
            n = struct.pack("<Q", len(data))
            f.write(n + struct.pack("<I", masked_crc(n)) + data + struct.pack("<I", masked_crc(data)))


def read_tfrecords(f, *, check_data_crc: bool, what: str, crc=None):
    """Yield ``(offset, data)`` of each record; raises ``DataFileError`` on a bad frame or a truncated file."""
    off = 0
    while True:
        head = f.read(12)
        if not head:
            return
        if len(head) < 12:
            raise DataFileError(f"{what}: truncated at byte {off} (incomplete record header)")
        (n,) = struct.unpack("<Q", head[:8])
        (hcrc,) = struct.unpack("<I", head[8:])
        if masked_crc(head[:8], crc) != hcrc:
            raise DataFileError(
                f"{what}: bad record header at byte {off}: "
                + ("not a TFRecord file" if off == 0 else "the file is corrupt")
            )
        body = f.read(n + 4)
        if len(body) < n + 4:
            raise DataFileError(f"{what}: truncated at byte {off} (record of {n} bytes is incomplete)")
        data = body[:n]
        if check_data_crc and masked_crc(data, crc) != struct.unpack("<I", body[n:])[0]:
            raise DataFileError(f"{what}: record at byte {off} fails its CRC: the file is corrupt")
        yield off, data
        off += 12 + n + 4
