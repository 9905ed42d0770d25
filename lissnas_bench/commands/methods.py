"""``methods``: every shrinker and optimizer with its parameters, defaults and one-line meanings."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ._common import JsonOpt, print_json


def register(app: typer.Typer) -> None:
    app.command("methods")(methods)


def catalogue() -> list[dict]:
    """``[{name, kind, summary, params: describe(...)}]`` of every registered shrinker and optimizer.

    >>> [m["name"] for m in catalogue() if m["kind"] == "optimizer"]
    ['rs', 're', 'ls']
    """
    from .._params import describe
    from ..search import available_optimizers, optimizer_class
    from ..shrinkers import available_shrinkers, shrinker_class

    out = []
    for kind, names, cls_of in (("shrinker", available_shrinkers(), shrinker_class),
                                ("optimizer", available_optimizers(), optimizer_class)):
        for name in names:
            cls = cls_of(name)
            doc = (cls.__doc__ or "").strip().splitlines()
            out.append({"name": name, "kind": kind, "summary": doc[0].replace("``", "") if doc else "",
                        "size_matched": bool(getattr(cls, "needs_reference", False)),
                        "params": describe(cls.Params)})
    return out


def methods(
    name: Annotated[Optional[str], typer.Argument(metavar="NAME", help="One shrinker or optimizer (default: all).",
                                                  show_default=False)] = None,
    json_out: JsonOpt = False,
) -> None:
    """List the shrinkers (compare/shrink --method, --param) and optimizers (--search, search -O) with every
    parameter, its default and what it means."""
    from ..errors import UnknownName

    items = catalogue()
    if name is not None:
        items = [m for m in items if m["name"] == name]
        if not items:
            raise UnknownName("method", name, [m["name"] for m in catalogue()])
    if json_out:
        print_json({"methods": items})
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    c = Console()
    for m in items:
        matched = " Size-matched: copies the reference's |S'| in each cell." if m["size_matched"] else ""
        c.print(f"[bold]{m['name']}[/bold] ({m['kind']}): {escape(m['summary'])}{matched}")
        if not m["params"]:
            c.print("  no parameters\n")
            continue
        t = Table(show_edge=False, pad_edge=False, box=None, padding=(0, 1))
        for col, kw in (("parameter", {"no_wrap": True, "style": "cyan"}), ("default", {"no_wrap": True}),
                        ("type", {}), ("meaning", {"ratio": 1})):
            t.add_column(col, **kw)
        for p in m["params"]:
            kind = p["type"] + (f", {p['constraint']}" if p["constraint"] else "")
            t.add_row(p["name"], _fmt(p["default"]), escape(kind), escape(p["help"]))
        c.print(t)
        c.print()
    prefix = "lissnas." if name is None else f"{items[0]['name']}."
    c.print(f"Set one with --param {prefix}KEY=VALUE (compare), --param KEY=VALUE (shrink, search), or in a sweep's "
            "YAML (params: {KEY: VALUE}).", soft_wrap=False)


def _fmt(v) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return str(v).lower()
    return str(v)
