"""The cache under faults and tampering: `data remove` stays inside the cache, swapped files are not served under
the wrong name, the GED cache is checksummed, and filesystem faults are one clear line (exit 2), nothing
half-written.  Root ignores permission bits, so read-only / full disks are simulated by making the write calls
raise the errors a real one would."""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil

import numpy as np
import pytest

import lissnas_bench as lb
from conftest import run_cli
from lissnas_bench.benchmarks import available_benchmarks, cache
from lissnas_bench.errors import DataFileError

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "home"
    monkeypatch.setenv("LISSNAS_BENCH_HOME", str(h))
    return h


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _one_error(code, err, *needles):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def _imported(tmp_path, bench_id, rows="22212220,1\n00000000,2\n"):
    from lissnas_bench.benchmarks.table import load_table

    p = tmp_path / f"{bench_id}.csv"
    p.write_text("arch,acc\n" + rows)
    return cache.store_imported(load_table(p, space="nasbench-macro", arch_column="arch", bench_id=bench_id))


# ---------------------------------------------------------------------------------------------- data remove
@pytest.mark.parametrize("target", ["../../victim/important", "ABS", "../embedded/EMB", "..", ".hidden"])
def test_data_remove_never_leaves_the_imported_folder(target, tmp_path, home, capsys):
    victim = tmp_path / "victim"
    victim.mkdir()
    for name in ("important.arrow", "important.arrow.json"):
        (victim / name).write_text("keep me")
    lb.load_benchmark("analognas")
    emb = next((home / "embedded").glob("analognas-*.arrow"))
    (home / "imported").mkdir(parents=True, exist_ok=True)
    target = {"ABS": str(victim / "important"), "../embedded/EMB": f"../embedded/{emb.stem}"}.get(target, target)
    before = _files(tmp_path)
    code, _, err = run_cli(capsys, "data", "remove", target)
    _one_error(code, err, "benchmark id")
    assert _files(tmp_path) == before


def test_data_remove_refuses_a_link_out_and_removes_a_real_one(tmp_path, home, capsys):
    victim = tmp_path / "important.arrow"
    victim.write_text("keep me")
    path = _imported(tmp_path, "mine")
    (path.parent / "link.arrow").symlink_to(victim)
    (path.parent / "link.arrow.json").write_text(path.with_suffix(".arrow.json").read_text())
    code, _, err = run_cli(capsys, "data", "remove", "link")
    _one_error(code, err, "refusing to delete")
    assert victim.read_text() == "keep me"
    assert run_cli(capsys, "data", "remove", "mine")[0] == 0
    assert not path.exists() and not path.with_suffix(".arrow.json").exists()


# ---------------------------------------------------------------------------------------------- swapped files
def test_swapped_embedded_cache_is_rebuilt_not_served(home, caplog, capsys):
    lb.load_benchmark("analognas")
    lb.load_benchmark("nasbench-graph")
    a = next((home / "embedded").glob("analognas-*.arrow"))
    g = next((home / "embedded").glob("nasbench-graph-*.arrow"))
    shutil.copy(g, a)
    shutil.copy(g.with_suffix(".arrow.json"), a.with_suffix(".arrow.json"))
    with caplog.at_level(logging.WARNING):
        b = lb.load_benchmark("analognas")
    assert b.id == "analognas" and b.space.name == "nb201"
    assert any("not the benchmark asked for" in r.getMessage() for r in caplog.records)
    code, out, _ = run_cli(capsys, "benchmarks", "--json")
    ids = [i["id"] for i in json.loads(out)["benchmarks"]]
    assert code == 0 and ids == list(dict.fromkeys(ids)) and {"analognas", "nasbench-graph"} <= set(ids)


def test_swapped_imported_cache_is_an_error(tmp_path, home, capsys):
    a, b = _imported(tmp_path, "alpha"), _imported(tmp_path, "beta", rows="11111111,5\n")
    shutil.copy(a, b)
    shutil.copy(a.with_suffix(".arrow.json"), b.with_suffix(".arrow.json"))
    code, _, err = run_cli(capsys, "query", "beta", "22212220")
    _one_error(code, err, "not the benchmark asked for", "data import", "--name beta --force")
    assert available_benchmarks().count("alpha") == 1 and "beta" not in available_benchmarks()
    # only the Arrow file copied: the sidecar and the file disagree
    shutil.copy(a, b)
    (b.with_suffix(".arrow.json")).write_text(json.dumps({**json.loads(a.with_suffix(".arrow.json").read_text()),
                                                          "id": "beta"}))
    with pytest.raises(DataFileError, match="holds id 'alpha' but its sidecar says 'beta'"):
        cache.load(b)


def test_cache_load_checks_what_was_asked(tmp_path, home):
    p = _imported(tmp_path, "alpha")
    assert cache.load(p, expect_id="alpha", expect_space="nasbench-macro").id == "alpha"
    for kw in ({"expect_id": "beta"}, {"expect_space": "nb201"}, {"expect_source_hash": "0" * 64}):
        with pytest.raises(DataFileError, match="not the benchmark asked for"):
            cache.load(p, **kw)


# ---------------------------------------------------------------------------------------------- GED cache
def test_edited_ged_cache_is_recomputed(home, caplog):
    from lissnas_bench.locality.ged import GEDCache

    s = lb.get_space("nasbench-graph")
    a = s.sample(6, np.random.default_rng(0))
    c = GEDCache(s, persist=True)
    truth = c.distances(a[:3], a[3:])
    c.save()
    with np.load(c._path()) as z:
        arrays = dict(z)
    arrays["d"] = np.ones_like(arrays["d"])  # "every stored distance set to 1", checksum left alone
    np.savez(c._path(), **arrays)
    with caplog.at_level(logging.WARNING):
        again = GEDCache(s, persist=True)
    assert any("does not match its checksum" in r.getMessage() for r in caplog.records)
    np.testing.assert_array_equal(again.distances(a[:3], a[3:]), truth)
    assert again.computed == 3


# ---------------------------------------------------------------------------------------------- faults
def _fail_writes(monkeypatch, err):
    """Every way the project creates files or folders fails with ``err``."""
    import pathlib
    import tempfile

    def fail(*a, **k):
        raise OSError(err, os.strerror(err))

    real_mkdir = pathlib.Path.mkdir

    def mkdir(self, *a, **k):
        if not self.is_dir():
            fail()
        return real_mkdir(self, *a, **k)

    monkeypatch.setattr(tempfile, "mkstemp", fail)
    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    monkeypatch.setattr(os, "makedirs", fail)


def test_read_only_home_serves_existing_caches(home, monkeypatch, capsys):
    lb.load_benchmark("analognas")
    lb.load_benchmark("nasbench-graph")
    from lissnas_bench.spaces import graph as graph_mod

    shutil.rmtree(home / "spaces", ignore_errors=True)
    graph_mod._tables.cache_clear()  # the nasbench-graph table is recomputed in memory, and cannot be written
    (home / "fingerprints.json").unlink()  # nor can the memo be rewritten: fine
    before = _files(home)
    _fail_writes(monkeypatch, errno.EROFS)
    code, out, err = run_cli(capsys, "query", "analognas", ARCH)
    assert code == 0 and out.strip().endswith("93.2424"), err
    code, out, err = run_cli(capsys, "query", "nasbench-graph", "[0,1,2,3]:skip-skip-fc-gcn")
    assert code == 0, err
    assert _files(home) == before


@pytest.mark.parametrize("err, needle", [(errno.EROFS, "read-only file system"), (errno.EACCES, "permission denied")])
def test_missing_cache_on_a_read_only_home(err, needle, home, monkeypatch, capsys):
    _fail_writes(monkeypatch, err)
    code, _, out = run_cli(capsys, "query", "analognas", ARCH)
    _one_error(code, out, needle, "not writable", "LISSNAS_BENCH_HOME")
    assert _files(home) == []


@pytest.mark.parametrize("fail_on", [1, 2], ids=["arrow", "sidecar"])
def test_disk_full_leaves_nothing(fail_on, tmp_path, home, monkeypatch, capsys):
    (tmp_path / "t.csv").write_text("arch,acc\n22212220,1\n")
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == fail_on:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    from lissnas_bench.benchmarks.table import load_table

    bench = load_table(tmp_path / "t.csv", space="nasbench-macro", arch_column="arch", bench_id="full")
    with pytest.raises(DataFileError, match="no space left on the device"):
        cache.store_imported(bench)
    assert _files(home) == []


def test_home_that_is_a_file(tmp_path, monkeypatch, capsys):
    f = tmp_path / "home"
    f.write_text("not a directory")
    monkeypatch.setenv("LISSNAS_BENCH_HOME", str(f))
    code, _, err = run_cli(capsys, "query", "analognas", ARCH)
    _one_error(code, err, f"the cache home {f} is a file")
    code, out, err = run_cli(capsys, "data", "list")
    assert code == 0 and "no imported benchmarks" in out, err


def test_sidecar_holding_a_list(tmp_path, home, capsys, caplog):
    p = _imported(tmp_path, "alpha")
    p.with_suffix(".arrow.json").write_text("[1,2]")
    code, _, err = run_cli(capsys, "query", "alpha", "22212220")
    _one_error(code, err, "holds a list, expected an object", "--name alpha --force")
    assert run_cli(capsys, "data", "list")[0] == 0  # listed as nothing, with a warning
    lb.load_benchmark("analognas")
    emb = next((home / "embedded").glob("analognas-*.arrow"))
    emb.with_suffix(".arrow.json").write_text("[1,2]")
    assert lb.load_benchmark("analognas").id == "analognas"  # embedded: rebuilt


def test_cache_path_that_is_a_directory(tmp_path, home, capsys):
    (home / "imported" / "dirbench.arrow").mkdir(parents=True)
    (home / "imported" / "dirbench.arrow.json").write_text(json.dumps(
        {"id": "dirbench", "space": "nasbench-macro", "rows": 1, "bytes": 1, "sha256": "0", "columns": []}))
    code, _, err = run_cli(capsys, "query", "dirbench", "22212220")
    _one_error(code, err, "is a directory")
    lb.load_benchmark("analognas")
    emb = next((home / "embedded").glob("analognas-*.arrow"))
    emb.unlink()
    emb.mkdir()
    code, _, err = run_cli(capsys, "query", "analognas", ARCH)
    _one_error(code, err, "is a directory")
