"""``data import KIND PATH``, ``data list``, ``data remove ID``: official benchmark files into the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import JsonOpt, TrustPicklesOpt, print_json

data_app = typer.Typer(
    help="Import official benchmark files (NB201, NATS-Bench, NB101, NB301, NAS-Bench-Macro) once into the cache.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")


@data_app.command("import", short_help="Convert an official file into the cache, once.")
def import_(
    kind: Annotated[str, typer.Argument(help="nb201, nats-tss, nats-sss, nb101, nb301 or macro.")],
    path: Annotated[Path, typer.Argument(help="The official file (or folder: NATS fast_mode, NB301 models).")],
    name: Annotated[Optional[str], typer.Option("--name", help="Id to store it under (default per kind).")] = None,
    no_verify: Annotated[bool, typer.Option("--no-verify", help="Skip the published-checksum check.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an imported benchmark with the same id.")] = False,
    archs: Annotated[
        Optional[Path], typer.Option("--archs", help="nb301: file with one genotype per line to tabulate.")
    ] = None,
    sample: Annotated[Optional[int], typer.Option("--sample", help="nb301: tabulate N uniform genotypes.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="nb301: seed of the sample and of the noisy draw.")] = 0,
    live: Annotated[bool, typer.Option("--live", help="nb301: tabulate nothing; register the models folder under "
                                       "--name (default nb301) as a live surrogate that answers any genotype.")] = False,
    trust_pickles: TrustPicklesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Convert an official benchmark file into the cache; then every command knows it by its id."""
    from ..benchmarks.official import import_benchmark
    from ..errors import InvalidConfig

    options = {}
    if kind == "nb301":
        if live:
            _register_live(path, name, force, trust_pickles, json_out)
            return
        if archs is not None:
            from .._io import os_error
            from ..errors import DataFileError

            try:
                text = archs.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise DataFileError(f"--archs {archs}: not a UTF-8 text file of genotypes ({exc.reason})") from None
            except OSError as exc:
                raise os_error(exc, archs, "read") from exc
            options["archs"] = [ln.strip() for ln in text.splitlines() if ln.strip()]
        options["sample"] = sample
        options["seed"] = seed
        options["trust_pickles"] = trust_pickles
    elif archs is not None or sample is not None or live or trust_pickles:
        raise InvalidConfig("--archs, --sample, --live and --trust-pickles only apply to nb301")
    with _progress(json_out) as progress:
        info = import_benchmark(
            kind, path, bench_id=name, verify=not no_verify, force=force, progress=progress, **options
        )
    if json_out:
        print_json(info)
        return
    for line in info["log"]:
        typer.echo(line)
    typer.echo(
        f"imported {info['id']!r}: {info['rows']:,} architectures, {len(info['columns'])} columns, "
        f"space {info['space']}, in {info['seconds']:.1f} s -> {info['path']}"
    )


def _register_live(path: Path, name: str | None, force: bool, trust_pickles: bool, json_out: bool) -> None:
    from ..benchmarks.official.nb301 import untrusted_error
    from ..benchmarks.surrogate import register_surrogate

    if not trust_pickles:  # registering loads nothing, but every later use would: say so now
        raise untrusted_error(path)
    info = register_surrogate(path, name or "nb301", force=force)
    if json_out:
        print_json(info)
        return
    typer.echo(f"registered the live surrogate {info['id']!r} ({', '.join(info['ensembles'].values())}); use it as "
               f"`lissnas-bench shrink {info['id']} --trust-pickles` (answers are cached on disk)")


@data_app.command("list")
def list_(json_out: JsonOpt = False) -> None:
    """List the imported benchmarks."""
    from ..benchmarks.official import list_benchmarks

    rows = list_benchmarks()
    if json_out:
        print_json({"imported": rows})
        return
    if not rows:
        typer.echo("no imported benchmarks (see `lissnas-bench data import --help`)")
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="imported benchmarks")
    for col in ("id", "kind", "space", "archs", "columns", "source"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["id"], str(r.get("kind", "")), r["space"], f"{r['rows']:,}", str(len(r["columns"])), r["source"])
    Console().print(t)


@data_app.command("remove", short_help="Delete an imported benchmark from the cache.")
def remove(bench_id: Annotated[str, typer.Argument(metavar="ID", help="Id of an imported benchmark.")]) -> None:
    """Delete an imported benchmark from the cache (the original file is not touched; only plain ids, as for
    `data import --name`, and only files inside the cache's imported folder)."""
    from ..benchmarks.official import remove_benchmark

    remove_benchmark(bench_id)
    typer.echo(f"removed {bench_id!r}")


class _progress:
    """A rich progress bar on stderr fed by the adapters' ``progress(done, total, what)`` calls."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __enter__(self):
        if self.quiet:
            return lambda done, total, what: None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                            TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self.bar.__enter__()
        self.tasks: dict[str, int] = {}

        def update(done: int, total: int, what: str) -> None:
            if what not in self.tasks:
                self.tasks[what] = self.bar.add_task(what, total=total or None)
            self.bar.update(self.tasks[what], completed=done, total=total or None)

        return update

    def __exit__(self, *exc):
        if not self.quiet:
            self.bar.__exit__(*exc)
        return False
