"""Load time, query throughput and memory of the columnar engine against AnalogNAS-Bench's own API.

    python benchmarks/bench_benchmarks.py [--repeats 20]

Everything is measured in this run, side by side; prints one table (``benchmarks/_report.py``; ``--json`` for
``python3 tasks.py bench``, which puts it into the README).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import types

import numpy as np
from _report import Row, add_json_arg, build, report


def _ensure_pkg_resources():
    """The package's constructor needs pkg_resources; stand one in where current setuptools lacks it."""
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        import importlib.util
        from pathlib import Path

        stub = types.ModuleType("pkg_resources")

        def resource_filename(pkg, name):
            spec = importlib.util.find_spec(pkg)
            return str(Path(next(iter(spec.submodule_search_locations))) / name)

        stub.resource_filename = resource_filename
        sys.modules["pkg_resources"] = stub


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times))


def rss_child(code: str) -> float:
    """Resident memory (MB) a snippet adds in a fresh interpreter, after its imports are done."""
    prog = (
        "import os, gc\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20\n"
        + code
    )
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True, env=os.environ)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--n", type=int, default=1_000_000)
    add_json_arg(ap)
    args = ap.parse_args()
    os.environ.setdefault("LISSNAS_BENCH_HOME", tempfile.mkdtemp(prefix="lissnas_bench_"))

    import lissnas_bench as lb

    t = time.perf_counter()
    lb.load_benchmark("analognas")
    cold = time.perf_counter() - t
    warm, warm_med = best_of(lambda: lb.load_benchmark("analognas"), args.repeats)

    _ensure_pkg_resources()
    from analognasbench import AnalogNASBench

    official, official_med = best_of(AnalogNASBench, max(3, args.repeats // 4))
    api = AnalogNASBench()

    bench = lb.load_benchmark("analognas")
    rng = np.random.default_rng(0)
    archs = bench.space.sample(args.n, rng)
    bench.query(archs[:1000])
    q_best, _ = best_of(lambda: bench.query(archs), 5)
    ours_rate = args.n / q_best

    # the package's way: one dict lookup per architecture (timed on 100k and reported per architecture)
    tuples = [tuple(int(x) for x in r) for r in bench.space.to_naslib(archs[:100_000])]
    t = time.perf_counter()
    loop_vals = [api.query_metric(k, "baseline_accuracy") for k in tuples]
    loop_rate = len(tuples) / (time.perf_counter() - t)
    assert np.allclose(loop_vals, bench.query(archs[:100_000]))

    mem_ours = rss_child(
        # the cache exists (converted above); every column is read so memory-mapped pages count as resident
        "import lissnas_bench as lb, pyarrow, pyarrow.ipc, pandas, numpy as np\n"
        "import lissnas_bench.spaces.nb201\n"
        "gc.collect(); b0 = rss(); b = lb.load_benchmark('analognas')\n"
        "t = sum(float(np.nansum(c)) for c in b.columns.values()) + int(b.archs.sum()) + int(b._row_lookup().sum())\n"
        "print(rss() - b0)\n"
    )
    mem_official = rss_child(
        "import sys, types, importlib.util\n"
        "from pathlib import Path\n"
        "try:\n    import pkg_resources\nexcept ImportError:\n"
        "    s = types.ModuleType('pkg_resources')\n"
        "    s.resource_filename = lambda p, n: str(Path(next(iter(importlib.util.find_spec(p).submodule_search_locations))) / n)\n"
        "    sys.modules['pkg_resources'] = s\n"
        "import pandas, numpy\nfrom analognasbench import AnalogNASBench\n"
        "gc.collect(); b0 = rss(); api = AnalogNASBench(); print(rss() - b0)\n"
    )

    rows = [
        Row("load `analognas` (15,625 cells)", f"{warm * 1e3:.2f} ms warm (first conversion {cold:.2f} s, once)",
            f"{official * 1e3:.0f} ms `AnalogNASBench()`", official / warm, ">= 50x", official / warm >= 50),
        Row(f"query {args.n:,} random architectures", f"{ours_rate / 1e6:.1f} M archs/s ({q_best * 1e3:.0f} ms)",
            f"{loop_rate / 1e6:.2f} M archs/s (`query_metric` loop)", ours_rate / loop_rate, ">= 10^7 archs/s",
            ours_rate >= 1e7),
        Row("resident memory of a loaded benchmark", f"{mem_ours:.1f} MB", f"{mem_official:.1f} MB",
            mem_official / max(mem_ours, 1e-9), "< 50 MB", mem_ours < 50),
    ]
    notes = [f"Loads are the best of {args.repeats} in this process (medians: ours {warm_med * 1e3:.2f} ms, "
             f"official {official_med * 1e3:.0f} ms); python {sys.version.split()[0]}, numpy {np.__version__}."]
    report(build("bench_benchmarks", "Benchmark engine (AnalogNAS-Bench's own API in the same run)", rows,
                 notes=notes), args.json)

if __name__ == "__main__":
    main()
