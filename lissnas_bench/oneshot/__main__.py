"""``python -m lissnas_bench.oneshot train|search|evaluate|retrain CONFIG`` -- the ``lissnas-bench oneshot``
commands, runnable under ``torchrun`` (``torchrun --nproc_per_node=8 -m lissnas_bench.oneshot train cfg.yaml``)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    import click

    from ..commands.oneshot import make_app
    from ..errors import LissnasBenchError

    try:
        make_app()(args=argv, standalone_mode=False, prog_name="python -m lissnas_bench.oneshot")
    except LissnasBenchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(2)


if __name__ == "__main__":
    main()
