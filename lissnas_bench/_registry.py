"""The registries of spaces, shrinkers and optimizers: ``name -> "module:Class"``, imported on first use."""

from __future__ import annotations

from .errors import InvalidConfig


def register(registry: dict[str, str], kind: str, name: str, cls) -> None:
    """Add ``cls`` (a class or ``"module:Class"``) under ``name``; a name already taken is refused."""
    if not isinstance(name, str) or not name or name in registry:
        raise InvalidConfig(f"{kind} name {name!r} is empty or already registered")
    registry[name] = cls if isinstance(cls, str) else f"{cls.__module__}:{cls.__qualname__}"
