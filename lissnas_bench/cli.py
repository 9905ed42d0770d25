"""The ``lissnas-bench`` command line.  Thin: it parses arguments and calls the public Python API.

Each command group lives in ``lissnas_bench/commands/<name>.py`` and exposes ``register(app)``.
A ``LissnasBenchError`` becomes one stderr line and exit code 2; anything else keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

app = typer.Typer(
    name="lissnas-bench",
    help="Benchmark NAS search-space shrinkage (LISSNAS and baselines) offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_COMMAND_MODULES = [
    "lissnas_bench.commands.basic",
    "lissnas_bench.commands.shrink",
    "lissnas_bench.commands.oneshot",
    "lissnas_bench.commands.data",
    "lissnas_bench.commands.locality",
    "lissnas_bench.commands.search",
    "lissnas_bench.commands.sensitivity",
]

for _mod in _COMMAND_MODULES:
    importlib.import_module(_mod).register(app)


def main(argv: list[str] | None = None) -> None:
    from .errors import LissnasBenchError

    import logging

    pkg_log = logging.getLogger("lissnas_bench")
    before = (list(pkg_log.handlers), pkg_log.level, pkg_log.propagate)
    try:
        app(args=argv, standalone_mode=False)
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
