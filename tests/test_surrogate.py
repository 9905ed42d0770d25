"""The live NAS-Bench-301 surrogate without nasbench301: the answer store, the worker process (with a stand-in
predictor), the benchmark's contract and the pickle opt-in.  Equality with nasbench301 itself is tested in its
side environment (tests/test_official_nb301.py)."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from lissnas_bench import load_benchmark
from lissnas_bench.benchmarks.official._nb301_fake import FakeBackend
from lissnas_bench.benchmarks.official.nb301_client import WorkerClient, find_python
from lissnas_bench.benchmarks.store import AnswerStore
from lissnas_bench.benchmarks.surrogate import SurrogateBenchmark, noise_normals
from lissnas_bench.errors import DataFileError, InvalidConfig, LissnasBenchError, MissingDependency

FAKE = "lissnas_bench.benchmarks.official._nb301_fake:FakeBackend"


class _Hostile:
    """Unpickling this creates a marker file: what a malicious model file could do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def models_folder(root: Path, marker: Path | None = None, runtime: bool = True) -> Path:
    """``nb_models_1.0/`` in the official layout; the model files are hostile pickles when ``marker`` is given."""
    for name, model in (("xgb_v1.0", "xgb"), ("lgb_runtime_v1.0", "lgb_time"))[: 2 if runtime else 1]:
        for i in range(2):
            d = root / name / f"ensemble_member_{i}"
            d.mkdir(parents=True)
            (d / "model_config.json").write_text(json.dumps({"model": model}))
            (d / "data_config.json").write_text(json.dumps({"seed": i}))
            (d / "surrogate_model.model").write_bytes(pickle.dumps(_Hostile(marker) if marker else None))
    return root


def _alive(pid: int) -> bool:
    """True while the process exists, zombie included (a reaped child is gone from /proc)."""
    return Path(f"/proc/{pid}").exists()


def _planted(tmp_path, **kw):
    return SurrogateBenchmark(None, predictor=FakeBackend(None), store=tmp_path / "store", **kw)


# ---------------------------------------------------------------------------------------------- store
def test_store_is_append_only_atomic_and_identity_checked(tmp_path):
    root = tmp_path / "s"
    st = AnswerStore(root, {"models": "m1"}, ("a", "b"), flush_every=2)
    st.add([5, 1], {"a": [0.5, 0.1], "b": [5.0, 1.0]})  # reaches flush_every: one part on disk
    st.add([9], {"a": [0.9], "b": [9.0]})
    assert len(list(root.glob("part-*.parquet"))) == 1 and len(st) == 3
    found, v = st.get([1, 2, 9])
    assert found.tolist() == [True, False, True] and v["b"][[0, 2]].tolist() == [1.0, 9.0]
    st.close()
    assert not list(root.glob(".*tmp"))  # no temporary file left behind
    again = AnswerStore(root, {"models": "m1"}, ("a", "b"))
    assert len(again) == 3 and again.get([9])[1]["a"][0] == 0.9
    with pytest.raises(DataFileError, match="another surrogate"):
        AnswerStore(root, {"models": "m2"}, ("a", "b"))
    again.check_versions({"nasbench301": "0.3"})
    again.check_versions({"nasbench301": "0.3"})
    with pytest.raises(DataFileError, match="never mixed"):
        AnswerStore(root, {"models": "m1"}, ("a", "b")).check_versions({"nasbench301": "0.4"})


def test_store_merges_many_parts_and_tolerates_repeats(tmp_path):
    root = tmp_path / "s"
    for i in range(40):  # 40 processes each appended a part; key 0 was answered by all of them
        st = AnswerStore(root, {"m": 1}, ("a",))
        st.add([0, 100 + i], {"a": [1.0, float(i)]})
        st.close()
    st = AnswerStore(root, {"m": 1}, ("a",))
    assert len(st) == 41 and len(list(root.glob("part-*.parquet"))) < 40  # merged when it held 33 parts
    assert st.get([0, 139])[1]["a"].tolist() == [1.0, 39.0]


# ---------------------------------------------------------------------------------------------- benchmark
def test_noise_is_fixed_by_seed_and_genotype():
    k = np.arange(10_000, dtype=np.int64) * 7919
    z = noise_normals(3, k)
    assert np.array_equal(z, noise_normals(3, k)) and np.array_equal(z[5:9], noise_normals(3, k[5:9]))
    assert not np.allclose(z, noise_normals(4, k))
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05


def test_benchmark_contract_and_values(tmp_path):
    b = _planted(tmp_path, seed=7)
    assert b.id == "nb301" and b.space.name == "darts" and b.live and b.archs is None
    assert b.datasets == ["cifar10"] and b.resolve() == ("cifar10", "val-accuracy@100")
    assert b.metrics() == ["val-accuracy@100", "val-accuracy-std@100", "val-accuracy@100/noisy7", "runtime@100",
                           "runtime-std@100"]
    assert b.resolve(metric="val_accuracy") == ("cifar10", "val-accuracy@100") and b.data_hash
    assert b.cost_metrics == {"cifar10": "runtime@100"} and not b.maximize(metric="runtime")
    assert b.domain() is b.space and len(b) == b.space.size
    with pytest.raises(InvalidConfig, match="no table of rows"):
        b.column()
    a = b.space.sample(50, np.random.default_rng(0))
    ref = FakeBackend(None).predict(b.space.index(a))
    assert np.array_equal(b.query(a), ref["val_mean"])
    noisy = b.query(a, metric="val-accuracy@100/noisy7")
    assert np.allclose(noisy, np.asarray(ref["val_mean"]) + np.asarray(ref["val_std"]) * noise_normals(7, b.space.index(a)))
    assert np.array_equal(noisy, b.query(a[::-1], metric="val-accuracy@100/noisy7")[::-1])  # same on repeats
    assert b.stats()["predicted"] == 50
    b.close()
    warm = _planted(tmp_path, seed=7)  # a rerun: everything from the store
    assert np.array_equal(warm.query(a), ref["val_mean"]) and warm.stats()["predicted"] == 0
    info = warm.info()
    assert info["live"] and info["stored_answers"] == 50 and info["directions"]["cifar10"]["runtime@100"] == "minimize"


# ---------------------------------------------------------------------------------------------- worker
def _client(**kw):
    return WorkerClient("unused", python=sys.executable, backend=FAKE, **kw)


def test_worker_answers_in_batches_and_exits_cleanly():
    w = _client()
    keys = np.random.default_rng(1).integers(0, 10**18, 9000)  # three requests of at most 4096
    out = w.predict(keys)
    assert np.array_equal(out["val_mean"], FakeBackend(None).predict(keys)["val_mean"])
    assert w.hello()["versions"] == {"fake": "1"}
    pid = w.pid
    w.close()
    assert not _alive(pid)  # exited and reaped: no zombie
    w.predict(keys[:3])  # a later request starts a new worker
    assert w.starts == 2
    w.close()


def test_worker_ctrl_c_mid_request_leaves_no_worker(monkeypatch):
    monkeypatch.setenv("LISSNAS_FAKE_NB301_SLEEP", "3")
    w = _client()
    w.hello()
    pid = w.pid
    main = threading.main_thread().ident

    def ctrl_c():  # what a terminal does: SIGINT to the whole foreground group, worker included
        os.kill(pid, signal.SIGINT)
        signal.pthread_kill(main, signal.SIGINT)

    threading.Timer(0.5, ctrl_c).start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        w.predict([1, 2, 3])
    assert time.monotonic() - t0 < 2.5 and not _alive(pid)
    monkeypatch.setenv("LISSNAS_FAKE_NB301_SLEEP", "0")
    assert len(w.predict([1, 2])["val_mean"]) == 2  # a fresh worker
    w.close()


def test_worker_exits_when_its_parent_dies(tmp_path):
    code = textwrap.dedent(f"""
        import os, sys
        from lissnas_bench.benchmarks.official.nb301_client import WorkerClient
        w = WorkerClient("unused", python=sys.executable, backend={FAKE!r})
        w.hello()
        print(w.pid, flush=True)
        os.kill(os.getpid(), 9)
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    pid = int(run.stdout.split()[0])
    for _ in range(100):
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid)


def test_worker_errors_are_one_clear_message(tmp_path, monkeypatch):
    with pytest.raises(InvalidConfig, match="no such interpreter"):
        find_python(tmp_path / "nope")
    monkeypatch.delenv("LISSNAS_NB301_PYTHON", raising=False)
    import lissnas_bench.benchmarks.official.nb301_client as client

    monkeypatch.setattr(client, "_PACKAGE_ROOT", tmp_path)  # a checkout without .venv-nb301
    with pytest.raises(MissingDependency, match="tasks.py nb301-env"):
        find_python()
    bad = WorkerClient("unused", python=sys.executable, backend="lissnas_bench.no_such_module:X")
    with pytest.raises(LissnasBenchError, match="NAS-Bench-301 worker: .*No module named"):
        bad.hello()
    bad.close()
    models = models_folder(tmp_path / "nb_models_1.0")
    real = WorkerClient(models, python=sys.executable, trust_pickles=True)  # nasbench301 is not installed here
    with pytest.raises(LissnasBenchError, match=r"NAS-Bench-301 worker: .*nasbench301.*lissnas-bench\[nb301\]"):
        real.hello()
    real.close()


# ---------------------------------------------------------------------------------------------- pickles
def test_model_pickles_are_never_loaded_without_opt_in(tmp_path, capsys):
    marker = tmp_path / "pwned"
    models = models_folder(tmp_path / "nb_models_1.0", marker)
    with pytest.raises(InvalidConfig, match="--trust-pickles") as e:
        load_benchmark("nb301", models=models)
    assert "loading them runs code from the files" in str(e.value)
    from lissnas_bench.benchmarks.official import import_file

    with pytest.raises(InvalidConfig, match="trust_pickles=True"):
        import_file("nb301", models, sample=5)
    for argv in (["data", "import", "nb301", models, "--sample", "5"], ["data", "import", "nb301", models, "--live"],
                 ["query", "--surrogate", models, "[[(0, 3), (1, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (1, 2)],"
                  " [(0, 0), (1, 0), (2, 2), (0, 0), (2, 2), (0, 0), (2, 2), (0, 0)]]"]):
        code, out, err = run_cli(capsys, *argv)
        assert code == 2 and err.strip().count("\n") == 0 and "--trust-pickles" in err, (argv, err)
    from lissnas_bench.commands._common import TrustPicklesOpt

    assert "loading them runs code from the files; pass only models you downloaded from the official source" in \
        TrustPicklesOpt.__metadata__[0].help
    assert not marker.exists()
