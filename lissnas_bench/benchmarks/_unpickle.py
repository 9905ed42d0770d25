"""Restricted unpickling of the embedded packages' data files.

Unpickling runs code, so we only accept the handful of classes each known file is made of; anything else in
the stream is refused with a ``DataFileError``.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping

from .._io import os_error
from ..errors import DataFileError


class Record:
    """A plain attribute bag standing in for a package's record class."""

    def __setstate__(self, state):
        self.__dict__.update(state)


class RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, allowed: Mapping[tuple[str, str], object], what: str):
        super().__init__(file)
        self._allowed = allowed
        self._what = what

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise DataFileError(
                f"{self._what}: refusing to unpickle {module}.{name} (only "
                f"{', '.join(f'{m}.{n}' for m, n in self._allowed)} are expected in this file)"
            ) from None


def restricted_load(path, allowed: Mapping[tuple[str, str], object], what: str):
    try:
        with open(path, "rb") as f:
            return RestrictedUnpickler(f, allowed, what).load()
    except DataFileError:
        raise
    except OSError as exc:
        raise os_error(exc, path, "read") from exc
    except Exception as exc:  # noqa: BLE001 - whatever a damaged or hostile stream raises is the file's fault
        raise DataFileError(f"{what}: {path} is truncated or corrupt ({type(exc).__name__}: {exc})") from exc


def numpy_scalar_classes() -> dict[tuple[str, str], object]:
    """What a pickled numpy float64 scalar refers to, under numpy 1.x and 2.x module names."""
    import numpy as np

    try:
        from numpy._core.multiarray import scalar  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import scalar
    return {
        ("numpy.core.multiarray", "scalar"): scalar,
        ("numpy._core.multiarray", "scalar"): scalar,
        ("numpy", "dtype"): np.dtype,
    }
