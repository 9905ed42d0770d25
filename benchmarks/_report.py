"""One table per benchmark script: every script reports its measurements through :func:`report`.

Each row is one goal: what was measured, our figure, the reference measured in the same run (the official API, a
naive version, local processes, ...), their ratio and the goal the issue set.  :func:`report` prints the table as
Markdown with the machine's cores and load average, and with ``--json PATH`` (see :func:`add_json_arg`) also
writes it as JSON, so that ``python3 tasks.py bench`` can assemble the README's Performance section from one run
of all scripts (``benchmarks/_assemble.py``) instead of anyone typing figures by hand.

    >>> rows = [Row("query 10^6 architectures", "33 ms", "500 ms (loop)", 15.2, ">= 10x", True)]
    >>> doc = build("bench_x", "Example", rows, notes=["a note"])
    >>> doc["rows"][0]["ratio"], doc["rows"][0]["met"]
    (15.2, True)
    >>> print(markdown(doc).splitlines()[2])
    | query 10^6 architectures | 33 ms | 500 ms (loop) | 15.2× | >= 10x | met |
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Row:
    """One measured goal.  ``ratio`` is reference / ours for times (bigger is better) or whatever the goal
    states (then say so in ``goal``); ``met`` is None where the row has no goal (context only)."""

    measure: str
    ours: str
    reference: str
    ratio: float | None
    goal: str
    met: bool | None


def machine() -> dict:
    return {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "platform": platform.platform(terse=True)}


def build(script: str, title: str, rows: list[Row], *, notes: list[str] | None = None,
          command: str | None = None, extra: dict | None = None) -> dict:
    return {"script": script, "title": title, "command": command or f"python benchmarks/{script}.py",
            "machine": machine(), "rows": [asdict(r) for r in rows], "notes": list(notes or []),
            "extra": extra or {}}


def _ratio(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.0f}×" if x >= 100 else f"{x:.1f}×" if x >= 1 else f"{x:.2f}×"


def _met(m: bool | None) -> str:
    return "–" if m is None else "met" if m else "**not met**"


def markdown(doc: dict, *, heading: bool = False) -> str:
    lines = []
    if heading:
        m = doc["machine"]
        load = ", ".join(f"{x:.1f}" for x in m["load_average"])
        lines += [f"**{doc['title']}** (`{doc['command']}`; {m['cores']} cores, load average {load}):", ""]
    lines += ["| measure | lissnas-bench | reference (same run) | ratio | goal | |", "|---|--:|--:|--:|---|---|"]
    for r in doc["rows"]:
        lines.append(f"| {r['measure']} | {r['ours']} | {r['reference']} | {_ratio(r['ratio'])} | {r['goal']} "
                     f"| {_met(r['met'])} |")
    if doc["notes"]:
        lines += [""] + list(doc["notes"])
    return "\n".join(lines)


def add_json_arg(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--json", type=Path, default=None, help="also write the table as JSON here (tasks.py bench)")


def report(doc: dict, json_path: Path | None = None) -> dict:
    """Print ``doc`` as one Markdown table (with the machine's load) and, if asked, write it as JSON atomically."""
    print(markdown(doc, heading=True))
    sys.stdout.flush()
    if json_path is not None:
        json_path = Path(json_path)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=json_path.parent, prefix=f".{json_path.name}.")
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh, indent=1)
        os.replace(tmp, json_path)
    return doc
