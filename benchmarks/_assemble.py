"""Run every benchmark script once and put their tables into the README's Performance section.

    python benchmarks/_assemble.py [--out results/bench] [--only NAME ...] [--readme README.md]

Each script writes its table as JSON (``--json``, see ``_report.py``) under ``--out``; the README's text between
``<!-- perf:start -->`` and ``<!-- perf:end -->`` is then replaced by those tables, in ``SCRIPTS`` order, so that
every figure there comes from this one run (``--only`` reruns some scripts and keeps the others' last JSON).  A
script that fails stops everything before the README is touched.  ``python3 tasks.py bench`` runs this in the
test environment.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _report import markdown

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- perf:start -->", "<!-- perf:end -->"

#: (name of its table, script, extra arguments): the order the README shows them in
SCRIPTS: list[tuple[str, str, list[str]]] = [
    ("bench_startup", "bench_startup", []),
    ("bench_benchmarks", "bench_benchmarks", []),
    ("bench_shrinkers", "bench_shrinkers", []),
    ("bench_evaluation", "bench_evaluation", []),
    ("bench_re", "bench_re", ["--demo"]),
    ("bench_sweep", "bench_sweep", []),
    # the whole large grid (3,600 cells, every seed), killed once a minute in and resumed
    ("bench_sweep_large", "bench_sweep", ["--large", "--kill-after", "60"]),
    ("bench_stats", "bench_stats", []),
    ("bench_figures", "bench_figures", []),
    ("bench_locality", "bench_locality", []),
    ("bench_surrogate", "bench_surrogate", []),
]

GPU_NOTE = ("**One-shot on a GPU**: `scripts/gpu_check.sh` measures supernet throughput on one GPU; no GPU result "
            "is recorded under `{out}` (the script runs on CPU with `--cpu --tiny`; see docs/oneshot.md).")


def run_scripts(names: list[str], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    unknown = set(names) - {n for n, _, _ in SCRIPTS}
    if unknown:
        raise SystemExit(f"unknown: {', '.join(sorted(unknown))} (known: {', '.join(n for n, _, _ in SCRIPTS)})")
    for name, script_name, extra in SCRIPTS:
        if name not in names:
            continue
        script = ROOT / "benchmarks" / f"{script_name}.py"
        print(f"--- {name}: {script_name} {' '.join(extra)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script), *extra, "--json", str(out / f"{name}.json")], cwd=ROOT)
        if rc != 0:
            raise SystemExit(f"benchmarks/{name}.py failed (exit {rc}); the README was not changed")
        print(f"--- {name}: {time.perf_counter() - t0:.0f} s", flush=True)


def section(out: Path) -> str:
    parts = []
    for name, _, _ in SCRIPTS:
        path = out / f"{name}.json"
        if not path.exists():
            print(f"warning: no {path}: {name} is left out of the README", file=sys.stderr)
            continue
        parts.append(markdown(json.loads(path.read_text()), heading=True))
    gpu = out / "gpu_check.json"
    parts.append(markdown(json.loads(gpu.read_text()), heading=True) if gpu.exists()
                 else GPU_NOTE.format(out=out.relative_to(ROOT) if out.is_relative_to(ROOT) else out))
    return "\n\n".join(parts)


def write_readme(readme: Path, body: str) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme} has no {START} ... {END} block")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    tmp = readme.with_name(f".{readme.name}.tmp")
    tmp.write_text(f"{head}{START}\n{body}\n{END}{tail}")
    os.replace(tmp, readme)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "bench")
    ap.add_argument("--only", nargs="*", default=None, help="rerun only these scripts (e.g. bench_startup)")
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md")
    ap.add_argument("--no-run", action="store_true", help="only rebuild the README from the JSON under --out")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    if not args.no_run:
        run_scripts(args.only or [n for n, _, _ in SCRIPTS], out)
    write_readme(args.readme, section(out))
    print(f"wrote the Performance section of {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
