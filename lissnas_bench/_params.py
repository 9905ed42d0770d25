"""One validation layer for every configuration: shrinker and optimizer parameters, comparison and sweep
configurations, locality settings and one-shot configs.

A parameter class is a frozen dataclass deriving from ``Params`` whose fields declare their constraints as data
with ``param(...)`` (scikit-learn's ``_parameter_constraints`` idea); one engine coerces the values (strings from
the command line or YAML are accepted where they spell a value of the field's type), checks every constraint and
writes the message, which always names the field.  Cross-field rules go in ``check()``.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Demo(Params):
...     where = "demo"
...     n: int = param(100, ge=1, help="architectures per sample")
...     mode: str = param("fast", choices=("fast", "exact"), help="how")
...     def check(self):
...         require(self.n % 2 == 0, "n", f"must be even, got {self.n}")
>>> Demo.build({"n": "4"}).n
4
>>> Demo(n=0)
Traceback (most recent call last):
...
lissnas_bench.errors.InvalidConfig: demo: n must be >= 1, got 0
>>> Demo.build({"mode": "slow"}, where="config x.yaml: shrinkers[0]")
Traceback (most recent call last):
...
lissnas_bench.errors.InvalidConfig: config x.yaml: shrinkers[0]: mode must be one of fast, exact; got 'slow'

``jsonable`` is the one JSON sanitiser: everything written as JSON (cells, manifests, reports, CLI ``--json``)
goes through it, so NaN and infinities become ``null`` and NumPy values plain Python.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import math
import numbers
import types
import typing
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, ClassVar

from .errors import InvalidConfig, UnknownName

_TRUE = {"true", "yes", "on", "1", "t", "y"}
_FALSE = {"false", "no", "off", "0", "f", "n"}
_NONE = {"none", "null", "~", ""}
_MISSING = dataclasses.MISSING

# the field path of the object being built, so that messages raised by __post_init__ / check() name it fully
_WHERE: contextvars.ContextVar[str | None] = contextvars.ContextVar("lissnas_params_where", default=None)


# ---------------------------------------------------------------------------------------------- declaring
def param(default=_MISSING, *, default_factory=_MISSING, ge=None, gt=None, le=None, lt=None, choices=None,
          finite: bool = True, help: str = "") -> Any:
    """A dataclass field with constraints: bounds (``ge``/``gt``/``le``/``lt``), ``choices``, ``finite`` floats
    (the default), and a one-line ``help`` (shown by ``lissnas-bench methods``)."""
    meta = {"ge": ge, "gt": gt, "le": le, "lt": lt, "choices": tuple(choices) if choices is not None else None,
            "finite": finite, "help": help}
    if default_factory is not _MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def require(cond: bool, field: str, problem: str) -> None:
    """For ``check()``: raise ``InvalidConfig`` naming ``field`` (in the current path) unless ``cond``."""
    if not cond:
        raise _error(field, problem)


def _join(path: str | None, field: str) -> str:
    return f"{path}.{field}" if path else field


def _prefix() -> str:
    w = _WHERE.get()
    return f"{w}: " if w else ""


def _error(field: str, problem: str) -> InvalidConfig:
    return InvalidConfig(f"{_prefix()}{field} {problem}" if field else f"{_prefix()}{problem}")


@contextlib.contextmanager
def at(path: str | None):
    """Messages raised inside name ``path`` as their place (``config x.yaml: shrinkers[2]``)."""
    token = _WHERE.set(path)
    try:
        yield
    finally:
        _WHERE.reset(token)


class Params:
    """Mixin for frozen dataclasses of parameters: coercion and constraint checks on construction.

    ``where`` (class attribute) prefixes messages when no surrounding path is set (``lissnas: k must be ...``).
    """

    where: ClassVar[str] = ""

    def __post_init__(self):
        outer = _WHERE.get()
        with at(outer if outer is not None else self.where):
            for f, tp in _fields(type(self)):
                v = getattr(self, f.name)
                c = coerce(v, tp, f.name, f.metadata)
                if c is not v:
                    object.__setattr__(self, f.name, c)
            self.check()

    def check(self) -> None:
        """Cross-field rules; use ``require``."""

    @classmethod
    def build(cls, given: Mapping | None = None, *, where: str | None = None):
        """An instance from a mapping (values may be strings); unknown keys raise ``UnknownName``."""
        if given is None:
            given = {}
        if isinstance(given, cls):
            return given
        path = where if where is not None else cls.where
        if not isinstance(given, Mapping):
            raise InvalidConfig(f"{path + ': ' if path else ''}expected a mapping of parameters, got {given!r}")
        names = [f.name for f, _ in _fields(cls)]
        for key in given:
            if key not in names:
                exc = UnknownName("parameter", key, names)
                if path:
                    exc.args = (f"{path}: {exc.args[0]}",)
                raise exc
        kwargs = {}
        with at(path):
            for f, tp in _fields(cls):
                if f.name in given:
                    v = given[f.name]
                    if isinstance(tp, type) and issubclass(tp, Params):
                        v = tp.build(v, where=_join(path, f.name))
                    kwargs[f.name] = v
            return cls(**kwargs)

    def to_dict(self) -> dict:
        return jsonable(dataclasses.asdict(self))


@functools.cache
def _fields(cls) -> tuple[tuple[dataclasses.Field, Any], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f, hints[f.name]) for f in dataclasses.fields(cls))


def describe(cls) -> list[dict]:
    """``[{name, type, default, help, constraint}]`` of a parameter class (for ``lissnas-bench methods``).

    >>> from lissnas_bench.shrinkers import shrinker_class
    >>> [d["name"] for d in describe(shrinker_class("lissnas").Params)][:3]
    ['n', 'k', 'radius']
    """
    out = []
    for f, tp in _fields(cls):
        m = f.metadata
        default = f.default if f.default is not _MISSING else (
            f.default_factory() if f.default_factory is not _MISSING else None)
        bounds = [f"{op} {m[k]}" for k, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
                  if m.get(k) is not None]
        if m.get("choices"):
            bounds.append("one of " + ", ".join(map(str, m["choices"])))
        out.append({"name": f.name, "type": _type_name(tp), "default": jsonable(default),
                    "help": m.get("help", ""), "constraint": "; ".join(bounds)})
    return out


# ---------------------------------------------------------------------------------------------- coercion
def _type_name(tp) -> str:
    base, optional = _unwrap(tp)
    name = {int: "integer", float: "number", bool: "boolean", str: "string"}.get(base)
    if name is None:
        origin = typing.get_origin(base)
        if origin is tuple:
            name = f"list of {_type_name(typing.get_args(base)[0])}"
        else:
            name = getattr(base, "__name__", str(base))
    return f"{name} or null" if optional else name


def _unwrap(tp):
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool) and type(v).__name__ != "bool_"


def coerce(value, tp, field: str = "", meta: Mapping | None = None):
    """``value`` converted to the annotation ``tp`` (int, float, bool, str, ``X | None``, ``tuple[X, ...]``) and
    checked against ``meta``'s constraints; ``InvalidConfig`` naming ``field`` otherwise.

    >>> coerce("5", int, "k"), coerce("off", bool, "union"), coerce("0.1,0.2", tuple[float, ...], "q")
    (5, False, (0.1, 0.2))
    """
    meta = meta or {}
    base, optional = _unwrap(tp)
    if value is None or (optional and isinstance(value, str) and value.strip().lower() in _NONE):
        if optional:
            return None
        raise _error(field, f"must be a {_type_name(base)}, got None")
    out = _convert(value, base, field)
    _constrain(out, field, meta)
    return out


def _convert(value, base, field):
    bad = _error(field, f"must be a{'n' if _type_name(base)[0] in 'aeiou' else ''} {_type_name(base)}, "
                        f"got {value!r}")
    if base is bool:
        if isinstance(value, bool) or type(value).__name__ == "bool_":
            return bool(value)
        if _is_int(value) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise bad
    if base is int:
        if _is_int(value):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            s = value.strip().replace("_", "")
            with contextlib.suppress(ValueError):
                return int(s)
            with contextlib.suppress(ValueError, OverflowError):
                f = float(s)
                if f.is_integer():
                    return int(f)
        raise bad
    if base is float:
        if isinstance(value, bool):
            raise bad
        if isinstance(value, numbers.Real):
            return float(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return float(value.strip())
        raise bad
    if base is str:
        if isinstance(value, (str, PurePath)):
            return str(value)
        raise bad
    if typing.get_origin(base) is tuple:
        item = typing.get_args(base)[0]
        if isinstance(value, str):
            value = [p for p in (s.strip() for s in value.split(",")) if p]
        if not isinstance(value, (list, tuple)):
            raise bad
        return tuple(_convert(v, item, f"{field}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(base) and isinstance(base, type):
        if isinstance(value, base):
            return value
        if isinstance(value, Mapping) and issubclass(base, Params):
            return base.build(value, where=_join(_WHERE.get(), field))
        raise _error(field, f"must be a mapping of fields, got {value!r}")
    return value


def _constrain(v, field: str, meta: Mapping) -> None:
    items = v if isinstance(v, tuple) else (v,)
    for x in items:
        if isinstance(x, float) and meta.get("finite", True) and not math.isfinite(x):
            raise _error(field, f"must be finite, got {x}")
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            for key, op, ok in (("ge", ">=", lambda a, b: a >= b), ("gt", ">", lambda a, b: a > b),
                                ("le", "<=", lambda a, b: a <= b), ("lt", "<", lambda a, b: a < b)):
                bound = meta.get(key)
                if bound is not None and not ok(x, bound):
                    raise _error(field, f"must be {op} {bound}, got {x}")
        choices = meta.get("choices")
        if choices is not None and x not in choices:
            raise _error(field, f"must be one of {', '.join(map(str, choices))}; got {x!r}")


def as_int(value, name: str, *, ge: int | None = None, le: int | None = None) -> int:
    """An integer argument (strings such as ``"5"`` accepted) within bounds, else ``InvalidConfig``.

    >>> as_int("3", "seeds", ge=1)
    3
    """
    with at(None):
        return coerce(value, int, name, {"ge": ge, "le": le})


def as_float(value, name: str, *, gt: float | None = None, lt: float | None = None, ge=None, le=None) -> float:
    """A finite float argument within bounds, else ``InvalidConfig``."""
    with at(None):
        return coerce(value, float, name, {"gt": gt, "lt": lt, "ge": ge, "le": le})


# ---------------------------------------------------------------------------------------------- JSON
def jsonable(o):
    """Plain JSON data: NumPy scalars and arrays to Python, tuples to lists, paths to strings, dataclasses to
    dicts, keys to strings, and NaN / ±inf to ``None`` (JSON has no NaN).

    >>> import numpy as np
    >>> jsonable({"a": np.float64("nan"), 1: (np.int8(2), np.arange(2))})
    {'a': None, '1': [2, [0, 1]]}
    """
    if o is None or isinstance(o, (bool, str)):
        return o
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, int):
        return int(o)
    if isinstance(o, Mapping):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in o]
    if isinstance(o, PurePath):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return jsonable(dataclasses.asdict(o))
    kind = type(o).__module__.split(".")[0]
    if kind == "numpy":
        return jsonable(o.tolist())
    if kind == "pandas" and hasattr(o, "isoformat"):
        return o.isoformat()
    if isinstance(o, numbers.Real):
        return jsonable(float(o))
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


__all__ = ["Params", "as_float", "as_int", "coerce", "describe", "jsonable", "param", "require", "at"]
