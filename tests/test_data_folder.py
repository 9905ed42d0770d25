"""The top-level data/ folder: its fixtures are what data/make_fixtures.py writes, its README names each with the
right size and checksum, every fixture goes through the importer users run, and git keeps official files out."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def make_fixtures():
    spec = importlib.util.spec_from_file_location("make_fixtures", DATA / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fixtures_are_regenerated_byte_for_byte(make_fixtures, tmp_path):
    fresh = make_fixtures.write(tmp_path)
    for name, digest in fresh.items():
        assert hashlib.sha256((DATA / "fixtures" / name).read_bytes()).hexdigest() == digest, name
    assert sorted(p.name for p in (DATA / "fixtures").iterdir()) == sorted(fresh)


def test_readme_names_each_fixture_with_its_size_and_checksum():
    text = (DATA / "README.md").read_text()
    for p in (DATA / "fixtures").iterdir():
        row = next(ln for ln in text.splitlines() if f"`fixtures/{p.name}`" in ln)
        assert hashlib.sha256(p.read_bytes()).hexdigest() in row, p.name
        assert f"{p.stat().st_size:,} bytes" in row, p.name
    for kind in ("nb201", "nats-tss", "nats-sss", "nb101", "nb301", "macro"):  # every importer has a place
        assert re.search(rf"data import {kind} data/", text), kind


def test_fixtures_import(tmp_path, monkeypatch):
    from lissnas_bench.benchmarks import load_benchmark
    from lissnas_bench.benchmarks.official import import_file

    macro, log = import_file("macro", DATA / "fixtures" / "nas-bench-macro_cifar10.json", verify=False)
    assert len(macro) == 300 and macro.space.name == "nasbench-macro"
    nb101, log = import_file("nb101", DATA / "fixtures" / "nasbench_fixture.tfrecord", verify=False)
    assert len(nb101) == 40 and any("hash recomputed and matched on 40 modules" in x for x in log)
    table = load_benchmark(DATA / "fixtures" / "nb201_table.csv", space="nb201", arch_column="arch_str")
    assert len(table) == 500 and "valid-accuracy" in table.metrics(table.datasets[0])


def test_git_keeps_official_files_out():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "check-ignore", "data/nb201/NAS-Bench-201-v1_1-096897.pth", "data/anything.csv",
                          "data/fixtures/nb201_table.csv", "data/README.md", "results/demo/report.md"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.split() == ["data/nb201/NAS-Bench-201-v1_1-096897.pth", "data/anything.csv",
                                  "results/demo/report.md"]
