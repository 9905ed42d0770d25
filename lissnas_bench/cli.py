"""The ``lissnas-bench`` command line.  Thin: it parses arguments and calls the public Python API.

Each command group lives in ``lissnas_bench/commands/<name>.py`` and exposes ``register(app)``.
A ``LissnasBenchError`` becomes one stderr line and exit code 2; anything else keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

#: plain click help: wraps to the terminal (at most 80 columns), no type placeholders on flags
HELP_STYLE = {"rich_markup_mode": None, "add_completion": False, "pretty_exceptions_enable": False}

def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"lissnas-bench {__version__}")
        raise typer.Exit(0)


def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    """Benchmark NAS search-space shrinkage (LISSNAS and baselines) offline."""


#: each command and the module of ``lissnas_bench.commands`` defining it, in `--help` order (running one command
#: imports one module; tests/test_startup.py checks this against the modules' own registrations)
COMMANDS = {
    "benchmarks": "basic", "spaces": "basic", "query": "basic", "methods": "methods", "shrink": "shrink",
    "compare": "shrink", "demo": "demo", "oneshot": "oneshot", "data": "data", "locality": "locality",
    "search": "search", "run": "search", "sensitivity": "sensitivity",
}

_COMMAND_MODULES = [f"lissnas_bench.commands.{m}" for m in dict.fromkeys(COMMANDS.values())]

#: one line per command in `lissnas-bench --help` (at 80 columns click would cut the docstrings' first sentences)
SHORT_HELP = {
    "benchmarks": "List benchmarks; `benchmarks ID` lists all its metrics.",
    "spaces": "List the search spaces, their sizes and string formats.",
    "query": "Look up architectures in a benchmark.",
    "methods": "Shrinkers and optimizers: parameters, defaults, meanings.",
    "shrink": "Shrink a space once; --from reruns one cell of a comparison.",
    "compare": "Compare shrinkers over seeds; results, figures, report.",
    "demo": "The main job: every shrinker on the embedded benchmarks.",
    "locality": "Do similar architectures perform similarly?",
    "search": "Search the full or a shrunk space with one optimizer.",
    "run": "Run a sweep from a YAML file (local processes or Dask).",
    "sensitivity": "LISSNAS's parameters swept on one target, as heatmaps.",
    "oneshot": "One-shot (SPOS) supernet training and search.",
    "data": "Import official benchmark files into the cache.",
}


def _build(modules) -> typer.Typer:
    """The CLI with the commands the ``modules`` register."""
    built = typer.Typer(name="lissnas-bench", help="Benchmark NAS search-space shrinkage (LISSNAS and baselines) "
                        "offline.", no_args_is_help=True, **HELP_STYLE)
    built.callback()(_root)
    for mod in modules:
        importlib.import_module(mod).register(built)
    for info in [*built.registered_commands, *built.registered_groups]:
        name = info.name or getattr(info.callback, "__name__", "")
        if name in SHORT_HELP and not getattr(info, "short_help", None):
            info.short_help = SHORT_HELP[name]
    return built


def __getattr__(name: str):
    """``app``, the whole CLI, is built on first use: a run of one command builds only that one (``_app_for``)."""
    if name == "app":
        globals()["app"] = built = _build(_COMMAND_MODULES)
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _app_for(argv: list[str]) -> typer.Typer:
    """The CLI with just the command ``argv`` starts with (the whole ``app`` otherwise).

    typer turns every registered command into click objects on each call, some 40 ms for all of them, and
    importing every command module costs as much again; running one command needs only its own."""
    module = COMMANDS.get(argv[0]) if argv else None
    if module is None:
        return __getattr__("app") if "app" not in globals() else globals()["app"]
    built = _build([f"lissnas_bench.commands.{module}"])
    built.registered_commands = [c for c in built.registered_commands if c.name == argv[0]]
    built.registered_groups = [g for g in built.registered_groups if g.name == argv[0]]
    return built


def main(argv: list[str] | None = None) -> None:
    from .errors import LissnasBenchError

    import logging

    pkg_log = logging.getLogger("lissnas_bench")
    before = (list(pkg_log.handlers), pkg_log.level, pkg_log.propagate)
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        rc = _app_for(argv)(args=argv, standalone_mode=False, prog_name="lissnas-bench")
        if isinstance(rc, int) and rc:  # click hands back a command's typer.Exit(code) without exiting
            sys.exit(rc)
    except LissnasBenchError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except typer.Exit as exc:  # typer's own exits (e.g. --help)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Exception as exc:
        # typer vendors click in recent releases; its usage errors (bad option, missing argument) have .show()
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(2)
        raise
    finally:  # a command's log handlers end with it (an in-process caller runs many commands)
        for h in pkg_log.handlers[:]:
            if h not in before[0]:
                pkg_log.removeHandler(h)
        pkg_log.setLevel(before[1])
        pkg_log.propagate = before[2]


if __name__ == "__main__":
    main()
