#!/usr/bin/env python3
"""Regenerate ``data/fixtures/``: small files in the official formats, with made-up numbers, for trying
``lissnas-bench data import`` and ``--table`` without downloading anything (and for the tests).

    python data/make_fixtures.py            # rewrites data/fixtures/ (byte for byte the same on every run)
    python data/make_fixtures.py --check    # exit 1 if data/fixtures/ differs from what this script writes

The numbers are a fixed formula of the architecture plus seeded noise, **not** any benchmark's accuracies.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"


def macro_json(path: Path) -> None:
    """NAS-Bench-Macro's ``nas-bench-macro_cifar10.json`` layout for 300 of its 6,561 keys: 8 digits (0 identity,
    1 MBConv e3 k3, 2 MBConv e6 k5) -> ``{test_acc: [3 runs], mean_acc, std, params, flops}``.  One key per
    network (keys that differ only in where a stage's identities sit are one network, as in the original)."""
    sys.path.insert(0, str(HERE.parent))
    from lissnas_bench.spaces import get_space

    space = get_space("nasbench-macro")
    rng = np.random.default_rng(101)
    raw = ["".join(map(str, k)) for k in rng.integers(0, 3, size=(600, 8))]
    keys = sorted(set(space.to_strings(space.from_strings(raw))))[:300]
    out = {}
    for key in keys:
        d = np.array([int(c) for c in key])
        base = 88.0 + 0.6 * d.sum() - 0.08 * float(np.sum(d[:-1] * d[1:]))
        runs = [round(float(base + rng.normal(0, 0.3)), 2) for _ in range(3)]
        out[key] = {"test_acc": runs, "mean_acc": round(float(np.mean(runs)), 3),
                    "std": round(float(np.std(runs)), 3), "params": int(200_000 + 90_000 * d.sum()),
                    "flops": int(20_000_000 + 9_000_000 * d.sum())}
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


def nb101_tfrecord(path: Path) -> None:
    """A NAS-Bench-101 ``.tfrecord`` (TFRecord framing, JSON records, ``ModelMetrics`` protobufs) of 40 modules at
    the 108-epoch budget, three runs each, with the modules' true NAS-Bench-101 hashes."""
    sys.path.insert(0, str(HERE.parent))
    from lissnas_bench.benchmarks.official.nb101_tfrecord import encode_model_metrics, write_tfrecord
    from lissnas_bench.spaces import get_space

    space = get_space("nb101")
    rng = np.random.default_rng(7)
    records, seen = [], set()
    for a in space.sample(60, rng):
        h = space.hashes(a[None])[0]
        if h in seen:
            continue
        seen.add(h)
        adj, ops = space.to_spec(a)
        base = 0.88 + 0.02 * sum(o == "conv3x3-bn-relu" for o in ops) / len(ops)
        for run in range(3):
            acc = float(round(base + rng.normal(0, 0.004), 5))
            evs = [{"current_epoch": 0.0, "training_time": 0.0, "train_accuracy": 0.1, "validation_accuracy": 0.1,
                    "test_accuracy": 0.1},
                   {"current_epoch": 54.0, "training_time": 900.0 + run, "train_accuracy": 0.8,
                    "validation_accuracy": acc - 0.05, "test_accuracy": acc - 0.06},
                   {"current_epoch": 108.0, "training_time": 1800.0 + run, "train_accuracy": 1.0,
                    "validation_accuracy": acc, "test_accuracy": acc - 0.01}]
            msg = encode_model_metrics(evs, params=int(1_000_000 + 50_000 * len(ops)), total_time=1850.0 + run)
            records.append(json.dumps([h, 108, "".join(str(x) for r in adj for x in r), ",".join(ops),
                                       base64.b64encode(msg).decode()]).encode())
        if len(seen) == 40:
            break
    write_tfrecord(path, records)


def nb201_table(path: Path) -> None:
    """500 NB201 cells as a NAS-Landscapes-style CSV (``arch_str``, ``valid-accuracy``, ``test-accuracy``,
    ``train-all-time``): a user table for ``--table PATH --space nb201 --arch-column arch_str``."""
    ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    gain = np.array([-6.0, 0.0, 2.0, 3.0, 0.5])
    rng = np.random.default_rng(201)
    cells = sorted({tuple(c) for c in rng.integers(0, 5, size=(520, 6))})[:500]
    lines = ["arch_str,valid-accuracy,test-accuracy,train-all-time"]
    for c in cells:
        e = [ops[i] for i in c]
        arch = f"|{e[0]}~0|+|{e[1]}~0|{e[2]}~1|+|{e[3]}~0|{e[4]}~1|{e[5]}~2|"
        valid = 80.0 + float(gain[list(c)].sum()) + rng.normal(0, 0.5)
        lines.append(f"{arch},{valid:.3f},{valid - 0.3 + rng.normal(0, 0.2):.3f},{1500 + 40 * sum(c):.1f}")
    path.write_text("\n".join(lines) + "\n")


FILES = {"nas-bench-macro_cifar10.json": macro_json, "nasbench_fixture.tfrecord": nb101_tfrecord,
         "nb201_table.csv": nb201_table}


def write(folder: Path) -> dict[str, str]:
    """Write every fixture into ``folder``; their SHA-256 by name."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, fn in FILES.items():
        fn(folder / name)
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = write(Path(tmp))
        now = {n: hashlib.sha256((FIXTURES / n).read_bytes()).hexdigest() if (FIXTURES / n).exists() else None
               for n in FILES}
        stale = [n for n in FILES if fresh[n] != now[n]]
        print("data/fixtures is up to date" if not stale else f"stale: {', '.join(stale)} (run data/make_fixtures.py)")
        return 1 if stale else 0
    for name, digest in write(FIXTURES).items():
        print(f"{digest}  fixtures/{name}  ({(FIXTURES / name).stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
