"""The columnar benchmark engine on the real embedded data, the cache, and the oracle."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lissnas_bench as lb
from lissnas_bench.benchmarks import cache
from lissnas_bench.errors import (
    BudgetExhausted,
    DataFileError,
    InvalidArchitecture,
    InvalidConfig,
    UnknownArchitecture,
    UnknownDataset,
    UnknownMetric,
)

ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
ALL_CONV3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def test_analognas_known_values(analognas):
    s = analognas.space
    assert len(analognas) == 15625 and analognas.datasets == ["cifar10"]
    v = analognas.query(s.from_strings([ALL_NONE, ALL_CONV3, BEST]))
    np.testing.assert_allclose(v, [10.0, 93.2424, 94.0664])
    col = analognas.column()
    assert np.isfinite(col).all()
    assert s.to_strings(analognas.archs[[int(np.argmax(col))]]) == [BEST]
    assert analognas.resolve() == ("cifar10", "baseline_accuracy")
    for m in ["ptq_accuracy", "qat_accuracy", "noisy_accuracy", "analog_accuracy", "baseline_drift_60", "analog_drift_2592000"]:
        assert m in analognas.metrics("cifar10")
    # the NASLib tuple form addresses the same row
    assert analognas.query(s.from_strings(["(1, 1, 1, 1, 1, 1)"]))[0] == 10.0


def test_analognas_matches_package_records(analognas):
    from lissnas_bench.benchmarks import analognas as mod
    from lissnas_bench.benchmarks._unpickle import Record, restricted_load

    raw = restricted_load(mod.data_file(), {("analognasbench.data", "Architecture"): Record,
                                             ("analognasbench.data", "DriftMeasurement"): Record}, "test")
    rng = np.random.default_rng(0)
    keys = list(raw)
    for i in rng.choice(len(keys), 50, replace=False):
        k = keys[i]
        arch = analognas.space.from_naslib(np.array([k]))
        assert analognas.query(arch, metric="qat_accuracy")[0] == pytest.approx(raw[k].qat_accuracy)
        assert analognas.query(arch, metric="baseline_drift_3600")[0] == pytest.approx(raw[k].baseline_drift_3600.value)


def test_graph_known_values(graph_bench):
    import nas_bench_graph

    assert graph_bench.datasets == ["cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins"]
    assert set(graph_bench.metrics("cora")) == {"valid_perf", "perf", "latency", "para"}
    assert len(graph_bench) == 26206
    for ds in ("cora", "proteins"):
        pkg = nas_bench_graph.light_read(ds)
        keys = np.array(list(pkg))[:200]
        archs = graph_bench.space.from_hash(keys)
        np.testing.assert_allclose(graph_bench.query(archs, ds, "valid_perf"), [pkg[k]["valid_perf"] for k in keys])
        np.testing.assert_allclose(graph_bench.query(archs, ds, "latency"), [pkg[k]["latency"] for k in keys])
    assert graph_bench.domain("proteins").size == 2021
    assert graph_bench.domain("cora").size == 26206
    # the package's example: link [0,1,2,3] (a chain) with ops
    a = graph_bench.space.from_strings(["[0,1,2,3]:gcn-gcn-gcn-gcn"])
    assert np.isfinite(graph_bench.query(a, "cora"))[0]


def test_unknown_names_list_what_exists(analognas):
    a = analognas.space.sample(1, np.random.default_rng(0))
    with pytest.raises(UnknownDataset, match="accepted: cifar10"):
        analognas.query(a, dataset="imagenet")
    with pytest.raises(UnknownMetric, match="baseline_accuracy"):
        analognas.query(a, metric="accuracy")
    with pytest.raises(lb.UnknownName, match="analognas"):
        lb.load_benchmark("nb-nothing")
    with pytest.raises(InvalidArchitecture):
        analognas.query(np.array([[0, 0, 0, 0, 0, 9]]))
    with pytest.raises(InvalidArchitecture):
        analognas.query(np.zeros((2, 5), dtype=int))


def test_query_is_vectorised_gather(analognas):
    rng = np.random.default_rng(1)
    a = analognas.space.sample(10_000, rng)
    v = analognas.query(a)
    rows = analognas.space.index(a)  # full table in index order: the row is the index
    np.testing.assert_array_equal(v, analognas.column()[rows])


def test_cache_is_reused_and_rebuilt_when_corrupt(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("LISSNAS_BENCH_HOME", str(tmp_path))
    b1 = lb.load_benchmark("analognas")
    files = list((tmp_path / "embedded").glob("analognas-*.arrow"))
    assert len(files) == 1
    side = cache.read_sidecar(files[0])
    assert side["rows"] == 15625 and len(side["sha256"]) == 64
    mtime = files[0].stat().st_mtime_ns
    lb.load_benchmark("analognas")
    assert files[0].stat().st_mtime_ns == mtime  # read, not rewritten
    # truncate: detected and rebuilt
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError, match="truncated or corrupt"):
        cache.load(files[0])
    b2 = lb.load_benchmark("analognas")
    np.testing.assert_array_equal(b1.column(), b2.column())
    # same size, one flipped byte: the checksum catches it
    data = bytearray(files[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    files[0].write_bytes(bytes(data))
    with pytest.raises(DataFileError):
        cache.load(files[0])
    b3 = lb.load_benchmark("analognas")
    np.testing.assert_array_equal(b1.column(), b3.column())


def test_restricted_unpickler_refuses_other_classes(tmp_path):
    from lissnas_bench.benchmarks._unpickle import Record, restricted_load

    evil = tmp_path / "evil.anb"
    evil.write_bytes(pickle.dumps({"x": os.getcwd}))  # any callable outside the allow-list
    with pytest.raises(DataFileError, match="refusing to unpickle"):
        restricted_load(evil, {("analognasbench.data", "Architecture"): Record}, "test")
    bad = tmp_path / "trunc.anb"
    bad.write_bytes(pickle.dumps({"a": [1, 2, 3]})[:7])
    with pytest.raises(DataFileError, match="truncated or corrupt"):
        restricted_load(bad, {}, "test")


def test_loads_without_pkg_resources(tmp_path):
    """analognasbench imports pkg_resources; we must not need it (or import the package at all)."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "pkg_resources.py").write_text("raise ImportError('pkg_resources is not installed')\n")
    code = textwrap.dedent(
        """
        import sys
        try:
            import pkg_resources
        except ImportError:
            pass
        else:
            raise SystemExit("pkg_resources should be blocked")
        import lissnas_bench as lb
        b = lb.load_benchmark("analognas")
        assert "analognasbench" not in sys.modules, "the package must not be imported"
        print(len(b))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(blocker), "LISSNAS_BENCH_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "15625"


def test_oracle_counts_distinct_and_enforces_budget(analognas):
    rng = np.random.default_rng(0)
    o = lb.Oracle(analognas, budget=10)
    a = o.space.sample(6, rng, replace=False)
    v = o.query(a)
    np.testing.assert_array_equal(v, analognas.query(a))
    assert o.queries == 6
    o.query(np.concatenate([a, a]))  # repeats are free
    assert o.queries == 6 and o.remaining == 4
    more = o.space.sample(50, rng, replace=False)
    more = more[~o.is_known(more)][:5]
    with pytest.raises(BudgetExhausted, match="exceeds the budget"):
        o.query(more)
    assert o.queries == 6  # all or nothing: nothing was charged
    o.query(more[:4])
    assert o.queries == 10 and o.remaining == 0
    archs, vals = o.queried()
    assert len(archs) == 10 and np.array_equal(vals, analognas.query(archs))
    assert o.sim_seconds == 0.0 and not o.has_time
    with pytest.raises(InvalidConfig):
        lb.Oracle(analognas, budget=-1)


def test_oracle_charges_simulated_time(analognas):
    space = analognas.space
    archs = space.enumerate()
    bench = lb.Benchmark(
        id="timed", space=space, archs=archs,
        columns={("d", "acc"): np.arange(len(archs), dtype=float), ("d", "train_seconds"): np.full(len(archs), 2.5)},
        cost_metrics={"d": "train_seconds"},
    )
    o = lb.Oracle(bench, "d", "acc", budget=None)
    o.query(archs[:4])
    o.query(archs[:8])
    assert o.queries == 8 and o.sim_seconds == pytest.approx(20.0)


def test_partial_table_domain_and_unknown_architecture():
    space = lb.get_space("nb201")
    archs = space.enumerate()[:100]
    vals = np.linspace(0, 1, 100)
    vals[3] = np.nan
    bench = lb.Benchmark(id="part", space=space, archs=archs, columns={("d", "f"): vals})
    dom = bench.domain()
    assert dom.size == 99
    assert not dom.contains(archs[3:4])[0] and dom.contains(archs[4:5])[0]
    s = dom.sample(500, np.random.default_rng(0))
    assert np.isfinite(bench.query(s)).all()
    with pytest.raises(UnknownArchitecture, match="has no row"):
        bench.query(space.enumerate()[-1:])
    assert bench.rows(space.enumerate()[-1:], missing="mask")[0] == -1
    with pytest.raises(InvalidConfig, match="duplicate"):
        lb.Benchmark(id="dup", space=space, archs=np.concatenate([archs[:2], archs[:1]]), columns={("d", "f"): np.zeros(3)})
