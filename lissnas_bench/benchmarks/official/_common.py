"""Shared pieces of the official-file adapters: checksums, progress, column naming, a streaming unpickler.

Column names.  Every adapter writes columns ``(dataset, metric)`` whose metric names follow one scheme:

* ``<measure>@<epochs>``: mean over the source's seeds / repeats at that training budget (``x-valid-accuracy@200``);
* ``<measure>@<epochs>/seed<s>`` (NB201, NATS) or ``<measure>@<epochs>/run<r>`` (NB101): one trial;
* budget-free measures (``params``, ``flops``, ``latency``) carry no ``@``.

Missing trials are NaN.  ``split_metric("x-valid-accuracy@200/seed777")`` gives ``("x-valid-accuracy", 200, "seed777")``.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ...errors import ChecksumMismatch, DataFileError

#: ``progress(done, total, what)``: called now and then during an import; ``total`` may be 0 when unknown
Progress = Callable[[int, int, str], None]


def no_progress(done: int, total: int, what: str) -> None:  # noqa: ARG001 - the default callback
    return None


def metric_name(measure: str, epochs: int | None = None, trial: str | None = None) -> str:
    """``metric_name("x-valid-accuracy", 200, "seed777") == "x-valid-accuracy@200/seed777"``."""
    name = measure if epochs is None else f"{measure}@{int(epochs)}"
    return name if trial is None else f"{name}/{trial}"


def split_metric(name: str) -> tuple[str, int | None, str | None]:
    """Inverse of ``metric_name``."""
    m = re.fullmatch(r"(.*?)(?:@(\d+))?(?:/(\w+))?", name)
    measure, epochs, trial = m.group(1), m.group(2), m.group(3)
    return measure, (int(epochs) if epochs is not None else None), trial


class Columns:
    """Float64 columns filled row by row; a column is created (all NaN) the first time it is written.

    >>> c = Columns(3); c.set("cifar10", "acc", 1, 90.5); c.arrays()[("cifar10", "acc")].tolist()
    [nan, 90.5, nan]
    """

    def __init__(self, n_rows: int = 1024):
        self.n = max(1, int(n_rows))
        self.cols: dict[tuple[str, str], np.ndarray] = {}

    def _grow(self, row: int) -> None:
        n = self.n
        while n <= row:
            n *= 2
        for k, v in self.cols.items():
            w = np.full(n, np.nan)
            w[: self.n] = v
            self.cols[k] = w
        self.n = n

    def set(self, dataset: str, metric: str, row: int, value) -> None:
        if value is None:
            return
        if row >= self.n:
            self._grow(row)
        col = self.cols.get((dataset, metric))
        if col is None:
            col = self.cols[(dataset, metric)] = np.full(self.n, np.nan)
        col[row] = float(value)

    def column(self, dataset: str, metric: str) -> np.ndarray:
        col = self.cols.get((dataset, metric))
        if col is None:
            col = self.cols[(dataset, metric)] = np.full(self.n, np.nan)
        return col

    def rows_with_data(self, n: int) -> np.ndarray:
        """Rows < n that hold at least one value."""
        if not self.cols:
            return np.empty(0, np.int64)
        any_ = np.zeros(n, bool)
        for v in self.cols.values():
            any_ |= np.isfinite(v[:n]) if len(v) >= n else np.pad(np.isfinite(v), (0, n - len(v)))
        return np.flatnonzero(any_)

    def add_means(self, trial_prefix: str) -> None:
        """Add ``<measure>@<e>`` = nan-mean over its ``.../<trial_prefix>*`` columns (vectorised per group)."""
        groups: dict[tuple[str, str], list[np.ndarray]] = {}
        for (d, m), v in self.cols.items():
            base, _, trial = m.partition("/")
            if trial.startswith(trial_prefix):
                groups.setdefault((d, base), []).append(v)
        for key, vs in groups.items():
            stack = np.stack(vs)
            with np.errstate(invalid="ignore"):
                cnt = np.isfinite(stack).sum(axis=0)
                mean = np.where(cnt > 0, np.nansum(stack, axis=0) / np.maximum(cnt, 1), np.nan)
            self.cols[key] = mean

    def arrays(self, rows: np.ndarray | None = None) -> dict[tuple[str, str], np.ndarray]:
        """Columns in a stable order (dataset, then mean before trials), optionally restricted to ``rows``."""

        def order(k):
            measure, epochs, trial = split_metric(k[1])
            return (k[0], trial is not None, measure, epochs or 0, trial or "")

        out = {}
        for k in sorted(self.cols, key=order):
            v = self.cols[k]
            out[k] = v if rows is None else v[rows]
        return out


# ---------------------------------------------------------------------------------------------------- checksums
def file_digest(path: Path, algo: str, progress: Progress = no_progress, chunk: int = 1 << 22) -> str:
    """Hex digest of a file, reporting progress (checksumming a multi-GB file takes a while)."""
    h = hashlib.new(algo)
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
            done += len(block)
            progress(done, total, f"{algo} of {path.name}")
    return h.hexdigest()


def verify_md5_suffix(path: Path, suffix: str, progress: Progress = no_progress) -> str:
    """NB201 / NATS-Bench convention: the file name ends in the first hex digits of the file's MD5."""
    digest = file_digest(path, "md5", progress)
    if not digest.startswith(suffix.lower()):
        raise ChecksumMismatch(
            f"{path.name}: MD5 {digest} does not start with {suffix!r} as the file name says; the file is "
            "truncated, corrupt or renamed (download it again, or pass --no-verify to import it anyway)"
        )
    return f"MD5 {digest} matches the published prefix {suffix}"


def verify_sha256(path: Path, expected: str, progress: Progress = no_progress) -> str:
    digest = file_digest(path, "sha256", progress)
    if digest != expected:
        raise ChecksumMismatch(
            f"{path.name}: SHA-256 {digest} differs from the published {expected}; the file is truncated or "
            "corrupt (download it again, or pass --no-verify to import it anyway)"
        )
    return f"SHA-256 {digest} matches the published checksum"


# ---------------------------------------------------------------------------------------------------- unpickling
class _Memo(dict):
    """Pickle memo whose length counts every slot ever assigned, so entries can be dropped safely."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __setitem__(self, k, v):
        super().__setitem__(k, v)
        if k >= self.count:
            self.count = k + 1

    def __len__(self) -> int:
        return self.count


def _drop_tensor(*args, **kwargs):  # noqa: ARG001 - stands in for torch's tensor rebuild functions
    return None


class StreamingUnpickler(pickle._Unpickler):  # the pure-Python unpickler: its opcodes can be intercepted
    """Unpickle an NB201 / NATS-Bench benchmark file one batch of architectures at a time.

    Loading the official files with ``torch.load`` / ``pickle.load`` builds every per-epoch curve of every trial
    as Python objects (NB201 v1.1: about 28 GB).  Here, whenever a dict receives items that look like
    architecture entries (``int -> {hp: ArchResults-state}``), ``on_arch(index, entry)`` is called and the entry
    is emptied instead of kept; the memo forgets what those entries referenced.  Peak memory is one pickle batch
    (at most 1,000 architectures).  Only the classes in ``allowed`` can be loaded (a pickle runs code).
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, allowed: dict, what: str, on_arch: Callable[[int, dict], None],
                 tick: Callable[[], None] | None = None):
        super().__init__(file, encoding="latin1")
        self._file = file
        self._tick = tick or (lambda: None)
        self._allowed = allowed
        self._what = what
        self._on_arch = on_arch
        self.memo = _Memo()
        self._mark_memo = 0
        self.n_arch = 0

    def find_class(self, module, name):
        if self.proto < 3:  # Python 2 names, as the stdlib maps them
            import _compat_pickle

            module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise DataFileError(
                f"{self._what}: refusing to unpickle {module}.{name}: not part of this benchmark format"
            ) from None

    def persistent_load(self, pid):  # tensor storages (model weights) are not needed
        return None

    def _arch_entry(self, k, v) -> bool:
        if not isinstance(k, int) or not isinstance(v, dict) or not v:
            return False
        first = next(iter(v.values()))
        return isinstance(first, dict) and "all_results" in first and "arch_str" in first

    def load(self):
        # The stdlib's pure-Python loop, minus its Python-level frame reader: frames are contiguous in the
        # stream, so reading straight from the (C-level buffered) file gives the same bytes several times faster.
        self.read = self._file_read
        self.readline = self._file_readline
        self.readinto = getattr(self._file, "readinto", None)
        self.metastack = []
        self.stack = []
        self.append = self.stack.append
        self.proto = 0
        read = self.read
        dispatch = self.dispatch
        try:
            while True:
                key = read(1)
                if not key:
                    raise EOFError
                dispatch[key[0]](self)
        except pickle._Stop as stopinst:
            return stopinst.value

    def load_frame(self):
        self.read(8)  # frame length; the frame's bytes simply follow

    dispatch[pickle.FRAME[0]] = load_frame

    def load_setitems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if not (items and isinstance(items[1], dict) and self._arch_entry(items[0], items[1])):
            for i in range(0, len(items), 2):
                target[items[i]] = items[i + 1]
            return
        for i in range(0, len(items), 2):
            k, v = items[i], items[i + 1]
            if self._arch_entry(k, v):
                self._on_arch(k, v)
                _clear(v)
                target[k] = None
                self.n_arch += 1
                self._tick()
            else:
                target[k] = v
        self._forget()

    dispatch[pickle.SETITEMS[0]] = load_setitems

    def load_setitem(self):
        stack = self.stack
        value = stack.pop()
        key = stack.pop()
        if isinstance(value, dict) and self._arch_entry(key, value):
            self._on_arch(key, value)
            _clear(value)
            stack[-1][key] = None
            self.n_arch += 1
            self._tick()
            self._forget()
        else:
            stack[-1][key] = value

    dispatch[pickle.SETITEM[0]] = load_setitem

    def _forget(self):
        # Containers of the architectures just handled are empty now; per-epoch keys ('x-valid@57') are only
        # ever shared inside one trial.  Strings that name things (datasets, attributes) stay: later
        # architectures refer back to their first occurrence.
        memo = self.memo
        for i in range(self._mark_memo, memo.count):
            v = dict.get(memo, i)
            if isinstance(v, (dict, list)) or (isinstance(v, str) and "@" in v):
                dict.pop(memo, i, None)
        self._mark_memo = memo.count

    def load_binget(self):
        i = self.read(1)[0]
        self._get(i)

    def load_long_binget(self):
        (i,) = struct.unpack("<I", self.read(4))
        self._get(i)

    def _get(self, i):
        try:
            self.append(dict.__getitem__(self.memo, i))
        except KeyError:
            raise DataFileError(
                f"{self._what}: the file refers back to an object shared between architectures, which this "
                "streaming reader does not support; is it an official release?"
            ) from None

    dispatch[pickle.BINGET[0]] = load_binget
    dispatch[pickle.LONG_BINGET[0]] = load_long_binget


def _clear(obj) -> None:
    """Empty nested dicts/lists in place so the memo's references to them cost nothing."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            stack.extend(v for v in o.values() if isinstance(v, (dict, list)))
            o.clear()
        elif isinstance(o, list):
            stack.extend(v for v in o if isinstance(v, (dict, list)))
            o.clear()


def pickle_classes() -> dict:
    """Classes that the official NB201 / NATS-Bench pickles are made of (no model weights are kept)."""
    import collections

    allowed = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("collections", "defaultdict"): collections.defaultdict,
        ("builtins", "set"): set,
        ("__builtin__", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("copy_reg", "_reconstructor"): _drop_tensor,
        ("torch._utils", "_rebuild_tensor_v2"): _drop_tensor,
        ("torch._utils", "_rebuild_tensor"): _drop_tensor,
        ("torch._utils", "_rebuild_parameter"): _drop_tensor,
    }
    for t in ("Float", "Double", "Half", "Long", "Int", "Short", "Char", "Byte", "Bool", "BFloat16"):
        allowed[("torch", f"{t}Storage")] = None
    from .._unpickle import numpy_scalar_classes

    allowed.update(numpy_scalar_classes())
    import numpy as _np

    allowed[("numpy.core.multiarray", "_reconstruct")] = _reconstruct_array
    allowed[("numpy._core.multiarray", "_reconstruct")] = _reconstruct_array
    allowed[("numpy", "ndarray")] = _np.ndarray
    return allowed


def _reconstruct_array(cls, shape, dtype):
    import numpy as _np

    if cls is not _np.ndarray:  # plain arrays only: no subclass (whose methods the pickle would choose) is built
        raise DataFileError(f"refusing to rebuild an array of class {getattr(cls, '__name__', cls)!r}")
    return _np.ndarray.__new__(cls, shape, dtype)
