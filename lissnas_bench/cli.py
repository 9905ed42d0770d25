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

app = typer.Typer(
    name="lissnas-bench",
    help="Benchmark NAS search-space shrinkage (LISSNAS and baselines) offline.",
    no_args_is_help=True,
    **HELP_STYLE,
)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"lissnas-bench {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    """Benchmark NAS search-space shrinkage (LISSNAS and baselines) offline."""

_COMMAND_MODULES = [
    "lissnas_bench.commands.basic",
    "lissnas_bench.commands.methods",
    "lissnas_bench.commands.shrink",
    "lissnas_bench.commands.demo",
    "lissnas_bench.commands.oneshot",
    "lissnas_bench.commands.data",
    "lissnas_bench.commands.locality",
    "lissnas_bench.commands.search",
    "lissnas_bench.commands.sensitivity",
]

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

for _mod in _COMMAND_MODULES:
    importlib.import_module(_mod).register(app)
for _info in [*app.registered_commands, *app.registered_groups]:
    _name = _info.name or getattr(_info.callback, "__name__", "")
    if _name in SHORT_HELP and not getattr(_info, "short_help", None):
        _info.short_help = SHORT_HELP[_name]


def _app_for(argv: list[str]) -> typer.Typer:
    """``app`` cut down to the command ``argv`` starts with (the whole ``app`` otherwise).

    typer turns every registered command into click objects on each call, some 40 ms for all of them and most of
    what ``lissnas-bench query`` spends in our code; running one command needs only that one."""
    name = argv[0] if argv else None
    commands = [c for c in app.registered_commands if c.name == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    one = typer.Typer(**HELP_STYLE)
    one.info, one.registered_callback = app.info, app.registered_callback
    one.registered_commands, one.registered_groups = commands, groups
    return one


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
