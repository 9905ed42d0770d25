"""Cold start of the CLI: ``--help``, ``query`` and ``benchmarks`` against ``python -c "import numpy"``.

    python benchmarks/bench_startup.py [--repeats 7] [--json PATH]

Every figure is the median of ``--repeats`` fresh interpreters, the commands and the references run in turn
(round-robin) so that the machine's load hits them alike.  Max RSS is per child (``os.wait4``).  "Cold" means a new
process; the benchmark cache is built once before timing, so ``query`` reads the Arrow cache as users see it, and
the children may write bytecode (an installed package has its ``.pyc`` files; with ``PYTHONDONTWRITEBYTECODE`` set
every run would compile our modules from source again).
The floors (typer alone, typer with the machinery that runs a command, numpy with the pyarrow that ``query`` no
longer needs to read the cache) say how much of a command's time is not ours.  typer is pinned below 0.29, which
imports pydantic to coerce every option of the command it runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import Row, add_json_arg, build, report  # noqa: E402

ARCH = "|avg_pool_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|skip_connect~1|none~2|"
HEAVY = ("pandas", "matplotlib", "scipy", "networkx", "torch", "dask", "distributed", "pyarrow", "pydantic",
         "rich", "yaml", "numpy")
#: the CLI as the console script runs it, printing (to stderr, at exit) which heavy packages it imported
CLI = ("import atexit, sys\n"
       "atexit.register(lambda: print('HEAVY ' + ','.join(sorted({m.split('.')[0] for m in sys.modules}"
       f" & set({HEAVY!r}))), file=sys.stderr))\n"
       "from lissnas_bench.cli import main\nsys.argv[0] = 'lissnas-bench'\nmain()")

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
COMMANDS = {
    "`lissnas-bench --help`": ["--help"],
    "`lissnas-bench query analognas ARCH`": ["query", "analognas", ARCH],
    "`lissnas-bench benchmarks`": ["benchmarks"],
}
REFERENCES = {"pass": "pass", "numpy": "import numpy"}
FLOORS = {
    "`import typer`": "import typer",
    "`import typer.main` (what runs a command)": "import typer.main",
    "`import numpy, pyarrow.ipc`": "import numpy, pyarrow.ipc",
}
#: what each command imports from other packages and cannot do without: its floor, with none of our code
COMMAND_FLOORS = {
    "`lissnas-bench query analognas ARCH`": "import typer.main, numpy",
    "`lissnas-bench benchmarks`": "import typer.main, rich.console, rich.table",
}


def run_once(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, max RSS (MiB) and stderr of one fresh child."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stderr.close()
    if p.returncode != 0:
        raise SystemExit(f"{argv[1:]} failed ({p.returncode}): {err.decode(errors='replace')[-2000:]}")
    rss_kib = usage.ru_maxrss  # KiB on Linux
    return wall, rss_kib / 1024, err.decode(errors="replace")


def measure(jobs: dict[str, list[str]], repeats: int) -> dict[str, dict]:
    """Round-robin over ``jobs``; median wall time and RSS of each, plus the heavy packages it reported."""
    times: dict[str, list[float]] = {k: [] for k in jobs}
    rss: dict[str, list[float]] = {k: [] for k in jobs}
    heavy: dict[str, str] = {}
    for _ in range(repeats):
        for name, argv in jobs.items():
            wall, mib, err = run_once(argv)
            times[name].append(wall)
            rss[name].append(mib)
            for line in err.splitlines():
                if line.startswith("HEAVY "):
                    heavy[name] = line[6:] or "none"
    return {k: {"s": statistics.median(times[k]), "mib": statistics.median(rss[k]), "heavy": heavy.get(k)}
            for k in jobs}


def _rows(m: dict[str, dict], goal: float) -> list[Row]:
    np_s, pass_s = m["numpy"]["s"], m["pass"]["s"]
    rows = []
    for name in COMMANDS:
        s, mib = m[name]["s"], m[name]["mib"]
        ratio = s / np_s
        rows.append(Row(f"{name} cold (wall, median)", f"{s * 1e3:.0f} ms, {mib:.0f} MiB",
                        f"{np_s * 1e3:.0f} ms, {m['numpy']['mib']:.0f} MiB (`import numpy`)", round(ratio, 2),
                        f"<= {goal:g}x `import numpy` (ours / reference)", ratio <= goal))
        rows.append(Row(f"{name} vs `python -c pass`", f"{s * 1e3:.0f} ms", f"{pass_s * 1e3:.0f} ms",
                        round(s / pass_s, 1), "context (ours / reference)", None))
        if name in COMMAND_FLOORS:
            f = m[f"floor of {name}"]
            rows.append(Row(f"{name} vs its imports alone (`{COMMAND_FLOORS[name]}`)", f"{s * 1e3:.0f} ms",
                            f"{f['s'] * 1e3:.0f} ms, {f['mib']:.0f} MiB ({f['s'] / np_s:.2f}x `import numpy`)",
                            round(s / f["s"], 2), "context (ours / reference)", None))
    for name in FLOORS:
        s = m[name]["s"]
        rows.append(Row(f"floor: {name}", f"{s * 1e3:.0f} ms, {m[name]['mib']:.0f} MiB",
                        f"{np_s * 1e3:.0f} ms (`import numpy`)", round(s / np_s, 2), "context (ours / reference)",
                        None))
    return rows


def _notes(m: dict[str, dict], repeats: int) -> list[str]:
    notes = [f"Medians of {repeats} fresh interpreters per row, all rows run round-robin in one run."]
    for name in COMMANDS:
        notes.append(f"{name} imported: {m[name]['heavy'] or 'unknown'} (of {', '.join(HEAVY)}).")
    from importlib.metadata import version

    typer_s = m["`import typer`"]["s"]
    main_s = m["`import typer.main` (what runs a command)"]["s"]
    notes.append(f"typer {version('typer')}: its own import is {typer_s * 1e3:.0f} ms; with what runs a command "
                 f"{main_s * 1e3:.0f} ms ({main_s / m['numpy']['s']:.2f}x `import numpy`).")
    return notes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="fresh interpreters per row (median; >= 5)")
    ap.add_argument("--goal", type=float, default=2.0, help="allowed ratio to `python -c 'import numpy'`")
    add_json_arg(ap)
    args = ap.parse_args()
    py = sys.executable
    jobs = {k: [py, "-c", v] for k, v in REFERENCES.items()}
    jobs.update({k: [py, "-c", CLI, *v] for k, v in COMMANDS.items()})
    jobs.update({k: [py, "-c", v] for k, v in FLOORS.items()})
    jobs.update({f"floor of {k}": [py, "-c", v] for k, v in COMMAND_FLOORS.items()})
    for argv in jobs.values():  # warm: builds the benchmark cache and the OS page cache, compiles .pyc files
        run_once(argv)
    m = measure(jobs, max(args.repeats, 1))
    doc = build("bench_startup", "CLI cold start", _rows(m, args.goal), notes=_notes(m, args.repeats),
                extra={k: {"seconds": v["s"], "max_rss_mib": v["mib"], "heavy": v["heavy"]} for k, v in m.items()})
    report(doc, args.json)


if __name__ == "__main__":
    main()
