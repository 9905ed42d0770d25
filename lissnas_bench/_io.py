"""Paths and atomic writes shared by the cache, results and checkpoints.

Filesystem failures (a read-only or full disk, a home that is a file, a path that is a directory) become one
``DataFileError`` saying what could not be done where (``os_error``), so no command shows a traceback for them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from pathlib import Path

from .errors import DataFileError

_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.ENOTDIR: "a component of the path is not a directory",
    errno.EISDIR: "it is a directory",
    errno.EEXIST: "a file of that name is in the way",
}


def home() -> Path:
    """Root of lissnas-bench's on-disk cache: ``$LISSNAS_BENCH_HOME`` or the platform's user cache dir."""
    env = os.environ.get("LISSNAS_BENCH_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("lissnas-bench"))


def os_error(exc: OSError, path, action: str) -> DataFileError:
    """One clear error for a failed filesystem operation: what, where, why, and what to do about the cache.

    Inside the cache home the message also says how to move it (``LISSNAS_BENCH_HOME``).

    >>> import errno
    >>> print(os_error(OSError(errno.ENOSPC, "No space left on device"), "/nonexistent/run/out.csv", "write"))
    cannot write /nonexistent/run/out.csv: no space left on the device
    """
    if isinstance(exc, DataFileError):
        return exc
    reason = _REASONS.get(exc.errno, exc.strerror or str(exc))
    msg = f"cannot {action} {path}: {reason}"
    root = home()
    if action != "read" and _inside(Path(path), root):
        if root.exists() and not root.is_dir():
            msg += f" (the cache home {root} is a file: set LISSNAS_BENCH_HOME to a directory)"
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            msg += f" (the cache directory {root} is not writable: set LISSNAS_BENCH_HOME to a writable directory)"
        elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
            msg += f" (free some space, or set LISSNAS_BENCH_HOME to a directory on another disk; now {root})"
    err = DataFileError(msg)
    err.errno = exc.errno
    return err


def _inside(path: Path, root: Path) -> bool:
    try:
        return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(root))
    except (OSError, ValueError):
        return False


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while block := f.read(chunk):
                h.update(block)
    except OSError as exc:
        raise os_error(exc, path, "read") from exc
    return h.hexdigest()


def read_json(path: str | os.PathLike, what: str):
    """Parse a JSON file; a missing file raises ``FileNotFoundError``, anything else wrong one ``DataFileError``.

    Nesting deeper than Python's recursion limit (a 100,000-level document) is refused like any corrupt file.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{what} {path} is not UTF-8 text JSON ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise os_error(exc, path, "read") from exc
    return parse_json(text, f"{what} {path}")


def parse_json(text: str, what: str):
    """``json.loads`` with one ``DataFileError`` for malformed or absurdly deep documents."""
    try:
        return json.loads(text)
    except RecursionError:
        raise DataFileError(f"{what} is nested too deeply to be read as JSON") from None
    except ValueError as exc:
        raise DataFileError(f"{what} is not valid JSON: {exc}") from exc


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path in the same directory; rename it onto ``path`` only if the block succeeds.

    A reader therefore sees either the old file or the complete new one, even if the process is killed.
    Filesystem errors (read-only, full, not a directory, ...) raise one ``DataFileError`` (``os_error``) and
    leave nothing behind.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise os_error(exc, path.parent if exc.errno != errno.EISDIR else path, "write to") from exc
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; results should be as readable as any other
        yield Path(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, DataFileError):
            raise os_error(exc, path, "write") from exc
        raise


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# read once at import: os.umask can only be read by setting it, which would race with other threads later
_UMASK = _read_umask()


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    """Strict JSON (NaN and infinities become null, see ``_params.jsonable``), written atomically."""
    from ._params import jsonable

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


# ---------------------------------------------------------------------- checksummed array files
def _arrays_digest(arrays: dict) -> str:
    import numpy as np

    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save_npz_checked(path: str | os.PathLike, **arrays) -> None:
    """Write ``arrays`` atomically to an ``.npz`` that also holds their SHA-256 (checked by ``load_npz_checked``).

    >>> import numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.npz")
    >>> save_npz_checked(p, x=np.arange(3)); load_npz_checked(p)["x"].tolist()
    [0, 1, 2]
    """
    import numpy as np

    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays, _sha256=np.array(_arrays_digest(arrays)))


def load_npz_checked(path: str | os.PathLike) -> dict | None:
    """The arrays of a ``save_npz_checked`` file; ``None`` if it does not exist.

    Raises ``DataFileError`` when it is unreadable, holds pickled objects, or its content does not match its
    checksum (truncated, corrupt or edited): callers recompute what it caches.
    """
    import numpy as np

    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - whatever a damaged file raises (zip, format, pickled objects)
        raise DataFileError(f"{path} is unreadable ({type(exc).__name__}: {exc})") from exc
    stored = arrays.pop("_sha256", None)
    if stored is None or stored.shape != () or str(stored) != _arrays_digest(arrays):
        raise DataFileError(f"{path} does not match its checksum (truncated, corrupt or edited)")
    return arrays
