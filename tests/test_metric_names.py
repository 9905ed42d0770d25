"""Metric directions (declared per benchmark, stored with it) and the original names every importer accepts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import run_cli, shared_file
from lissnas_bench.benchmarks import Benchmark, cache, load_benchmark
from lissnas_bench.benchmarks._base import lower_is_better
from lissnas_bench.benchmarks.official import _names, import_benchmark
from lissnas_bench.errors import InvalidConfig, UnknownMetric, UnknownName
from lissnas_bench.spaces import get_space


def _bench(columns, **kw):
    s = get_space("nb201")
    a = s.enumerate()[:4]
    return Benchmark(id="t", space=s, archs=a, columns={k: np.arange(4.0) for k in columns}, **kw)


def test_direction_declared_defaults_to_maximise_and_round_trips(tmp_path):
    b = _bench([("c", "acc"), ("c", "train-loss")])
    assert b.maximize("c", "acc") and b.maximize("c", "train-loss")  # nothing declared: maximise
    b = _bench([("c", "acc"), ("c", "train-loss")], minimize=[("c", "train-loss")])
    assert b.maximize("c", "acc") and not b.maximize("c", "train-loss")
    assert b.info()["directions"] == {"c": {"acc": "maximize", "train-loss": "minimize"}}
    cache.save(b, tmp_path / "b.arrow")
    back = cache.load(tmp_path / "b.arrow")
    assert back.minimize == [("c", "train-loss")] and not back.maximize("c", "train-loss")
    with pytest.raises(InvalidConfig, match="no such column"):
        _bench([("c", "acc")], minimize=[("c", "latency")])


def test_caches_without_directions_use_the_adapters_rule(analognas, graph_bench):
    assert _bench([("c", "latency"), ("c", "acc")], minimize=None).minimize == [("c", "latency")]
    assert lower_is_better("halfway-training-time@108") and lower_is_better("para")
    assert not lower_is_better("valid_perf") and not lower_is_better("val-accuracy@100/noisy3")
    assert not graph_bench.maximize("cora", "latency") and not graph_bench.maximize("cora", "para")
    assert graph_bench.maximize("cora", "valid_perf") and analognas.maximize()


def test_user_tables_maximise_unless_told(tmp_path, capsys):
    p = tmp_path / "t.csv"
    p.write_text("arch,acc,loss\n00000000,1,2\n00000001,3,4\n")
    b = load_benchmark(p, space="nasbench-macro", arch_column="arch")
    assert b.maximize(metric="loss")
    b = load_benchmark(p, space="nasbench-macro", arch_column="arch", minimize=["loss"])
    assert not b.maximize(metric="loss") and b.maximize(metric="acc")
    with pytest.raises(UnknownName, match="column to minimise"):
        load_benchmark(p, space="nasbench-macro", arch_column="arch", minimize=["lat"])
    with pytest.raises(InvalidConfig, match="applies to tables"):
        load_benchmark("analognas", minimize=["x"])
    code, out, err = run_cli(capsys, "query", "--table", p, "--space", "nasbench-macro", "--arch-column", "arch",
                             "--minimize", "loss", "--metric", "loss", "00000001", "--json")
    assert code == 0, err
    assert json.loads(out)["values"][0]["value"] == 4.0


def test_benchmarks_json_shows_directions_and_aliases(capsys):
    code, out, err = run_cli(capsys, "benchmarks", "--json")
    assert code == 0, err
    graph = next(b for b in json.loads(out)["benchmarks"] if b["id"] == "nasbench-graph")
    assert graph["directions"]["cora"]["latency"] == "minimize"
    assert graph["directions"]["cora"]["valid_perf"] == "maximize"


def test_aliases_resolve_and_are_listed():
    b = _bench([("c", "test-accuracy"), ("c", "test-accuracy-std")],
               aliases={"c": {"mean_acc": "test-accuracy", "std": "test-accuracy-std"}})
    assert b.resolve("c", "mean_acc") == ("c", "test-accuracy")
    assert b.maximize("c", "mean_acc")
    with pytest.raises(UnknownMetric, match=r"mean_acc \(= test-accuracy\)"):
        b.resolve("c", "nope")
    with pytest.raises(InvalidConfig, match="names no metric"):
        _bench([("c", "a")], aliases={"c": {"x": "b"}})
    # a real column wins over an alias of the same name
    assert _bench([("c", "a"), ("c", "x")], aliases={"c": {"x": "a"}}).resolve("c", "x") == ("c", "x")


def test_nb201_and_nats_original_names():
    cols = [(d, m) for d in ("cifar10-valid", "cifar100") for m in (
        "x-valid-accuracy@200", "x-valid-accuracy@12", "ori-test-accuracy@200", "ori-test-accuracy@200/seed777",
        "train-time@200", "train-loss@200", "x-test-accuracy@200", "flops")]
    b = _bench(cols)
    _names.declare("nb201", b)
    assert b.resolve("cifar10-valid", "valid-accuracy") == ("cifar10-valid", "x-valid-accuracy@200")
    assert b.resolve("cifar10-valid", "valid-accuracy@12") == ("cifar10-valid", "x-valid-accuracy@12")
    assert b.resolve("cifar10-valid", "test-accuracy/seed777") == ("cifar10-valid", "ori-test-accuracy@200/seed777")
    assert b.resolve("cifar10-valid", "train-all-time") == ("cifar10-valid", "train-time@200")
    assert b.resolve("cifar100", "test-accuracy") == ("cifar100", "x-test-accuracy@200")
    assert b.resolve("cifar100", "valtest-accuracy") == ("cifar100", "ori-test-accuracy@200")
    assert not b.maximize("cifar100", "train-all-time") and not b.maximize("cifar100", "flops")
    assert b.maximize("cifar100", "valid-accuracy")


def test_nb101_and_nb301_original_names():
    cols = [("cifar10", m) for m in ("validation-accuracy@108", "validation-accuracy@12",
                                     "halfway-test-accuracy@108/run1", "training-time@108", "params")]
    b = _names.declare("nb101", _bench(cols))
    assert b.resolve(metric="validation_accuracy") == ("cifar10", "validation-accuracy@108")
    assert b.resolve(metric="final_validation_accuracy@12") == ("cifar10", "validation-accuracy@12")
    assert b.resolve(metric="halfway_test_accuracy/run1") == ("cifar10", "halfway-test-accuracy@108/run1")
    assert b.resolve(metric="trainable_parameters") == ("cifar10", "params")
    assert not b.maximize(metric="training_time") and b.maximize(metric="validation_accuracy")
    b = _names.declare("nb301", _bench([("cifar10", m) for m in ("val-accuracy@100", "val-accuracy-std@100",
                                                                 "runtime@100")]))
    assert b.resolve(metric="val_accuracy_final") == ("cifar10", "val-accuracy@100")
    assert b.resolve(metric="runtime") == ("cifar10", "runtime@100") and not b.maximize(metric="runtime")


@pytest.mark.shared
def test_macro_original_names_after_import(capsys):
    p = shared_file("macro/nas-bench-macro_cifar10.json")
    import_benchmark("macro", p, bench_id="macro-names", force=True)
    b = load_benchmark("macro-names")
    assert b.resolve(metric="mean_acc") == ("cifar10", "test-accuracy")
    assert b.resolve(metric="test_acc[2]") == ("cifar10", "test-accuracy/run2")
    assert not b.maximize(metric="flops") and not b.maximize(metric="std") and b.maximize(metric="mean_acc")
    code, out, err = run_cli(capsys, "query", "macro-names", "22212220", "--metric", "mean_acc", "--json")
    assert code == 0, err
    assert json.loads(out)["values"][0]["value"] == pytest.approx(93.127, abs=1e-3)
    code, out, err = run_cli(capsys, "benchmarks", "--json")
    info = next(b for b in json.loads(out)["benchmarks"] if b["id"] == "macro-names")
    assert code == 0 and info["aliases"]["cifar10"]["mean_acc"] == "test-accuracy" and info["architectures"] == 3969
    code, out, err = run_cli(capsys, "benchmarks")
    assert code == 0 and "original names" in " ".join(out.split())
