"""Strict YAML for configuration files: ``yaml.SafeLoader`` (no Python tags, no code), plus two refusals.

* A key given twice in one mapping, at any depth, is an ``InvalidConfig`` naming the key and both lines: plain
  PyYAML keeps the last value silently, so a pasted-in second ``train:`` section would quietly win.
* Input that is not UTF-8 text (a binary file, a NUL byte, UTF-16) is a ``DataFileError``.

``path_or_text``: an ``os.PathLike`` is read from disk, ``bytes`` are the file's content, a ``str`` is YAML text.

>>> load_yaml("a: 1\\nb: {c: [1, 2]}\\n", source="inline")
{'a': 1, 'b': {'c': [1, 2]}}
>>> load_yaml("train:\\n  lr: 0.1\\n  lr: 0.2\\n", source="cfg.yaml")
Traceback (most recent call last):
...
lissnas_bench.errors.InvalidConfig: cfg.yaml, line 3: duplicate key 'lr' (first given on line 2)
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from ._io import os_error
from .errors import DataFileError, InvalidConfig

_MERGE = "tag:yaml.org,2002:merge"


class _Duplicate(Exception):
    def __init__(self, key, first: int, again: int):
        super().__init__(key)
        self.key, self.first, self.again = key, first, again


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a repeated key; merged keys (``<<: *base``) may still be overridden."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: SafeLoader's own error says so
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise _Duplicate(key, first, line)
                seen[key] = line
        return super().construct_mapping(node, deep)


def load_yaml(path_or_text, *, source: str) -> object:
    """Parse one YAML document strictly; ``source`` names it in every error message."""
    if isinstance(path_or_text, os.PathLike):
        path = Path(path_or_text)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise DataFileError(f"{source} does not exist") from None
        except OSError as exc:
            raise os_error(exc, path, "read") from exc
    else:
        raw = path_or_text
    text = _text(raw, source) if isinstance(raw, bytes) else str(raw)
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except _Duplicate as d:
        raise InvalidConfig(f"{source}, line {d.again}: duplicate key {d.key!r} (first given on line {d.first})") from None
    except RecursionError:
        raise DataFileError(f"{source} is nested too deeply to be read as YAML") from None
    except yaml.YAMLError as exc:
        raise DataFileError(f"{source} cannot be parsed as YAML: {_describe(exc)}") from None


def _describe(exc: yaml.YAMLError) -> str:
    """PyYAML's multi-line message as one line: 'line L, column C: problem'."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark is not None else problem


def _text(raw: bytes, source: str) -> str:
    if b"\x00" in raw:
        raise DataFileError(f"{source} is not a text YAML file (it holds NUL bytes: binary data?)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{source} is not a text YAML file (not UTF-8: byte {raw[exc.start]:#04x} at offset {exc.start})"
        ) from None
