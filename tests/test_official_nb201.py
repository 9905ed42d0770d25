"""NB201 .pth and NATS-Bench files: tiny releases built with the official packages' own classes."""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pytest

from lissnas_bench.errors import ChecksumMismatch, DataFileError

EVAL_SETS = {
    "cifar10-valid": ["x-valid", "ori-test"],
    "cifar10": ["ori-test"],
    "cifar100": ["ori-test", "x-valid", "x-test"],
    "ImageNet16-120": ["ori-test", "x-valid", "x-test"],
}


def value(i, ds, seed, E, what):
    """The deterministic number the fixture stores, so tests can recompute expectations."""
    h = int(hashlib.md5(f"{i}|{ds}|{seed}|{E}|{what}".encode()).hexdigest()[:8], 16)
    return 10.0 + (h % 9000) / 100.0


def make_arch_results(mod, i, arch, E, datasets, seeds):
    """An ``ArchResults`` of module ``mod`` (nas_201_api or nats_bench) with per-epoch curves like the releases."""
    ar = mod.ArchResults(i, arch)
    for ds in datasets:
        for seed in seeds:
            rc = mod.ResultsCount(ds, None, None, None, 1.5 + i, 10.0 + i,
                                  {"arch_str": arch, "channel": 16, "num_cells": 5, "class_num": 10}, seed, E, None)
            # only the last epoch is checked exactly; earlier epochs hold other numbers
            tr = {e: (value(i, ds, seed, E, "train") if e == E - 1 else 1.0) for e in range(E)}
            rc.update_train_info(tr, dict(tr), {e: value(i, ds, seed, E, "tloss") for e in range(E)},
                                 {e: 2.0 for e in range(E)})
            accs, losses, times = {}, {}, {}
            for n in EVAL_SETS[ds]:
                for e in range(E):
                    k = f"{n}@{e}"
                    accs[k] = value(i, ds, seed, E, n) if e == E - 1 else 0.5
                    losses[k] = 0.25
                    times[k] = 0.5
            rc.update_eval(accs, losses, times)
            rc.update_latency([0.01])
            ar.update(ds, seed, rc)
    return ar


def seeds_of(i):
    return [777, 888, 999] if i % 2 else [777]


@pytest.fixture(scope="module")
def nb201_api():
    return pytest.importorskip("nas_201_api", reason="extra 'nb201' (nas-bench-201) is not installed")


def make_nb201_obj(api, n=6, full_less=True):
    from lissnas_bench.spaces import get_space

    s = get_space("nb201")
    archs = s.to_strings(s.enumerate()[:: 15625 // n][:n])
    info = {}
    for i, a in enumerate(archs):
        less = make_arch_results(api, i, a, 12, ["cifar10-valid"], [777, 888])
        full = make_arch_results(api, i, a, 200, list(EVAL_SETS), seeds_of(i))
        info[i] = {"less": less.state_dict(), "full": full.state_dict()}
    del info[n - 1]  # one architecture without results, as in v1_0 where not all were evaluated
    return {"meta_archs": archs, "arch2infos": info, "evaluated_indexes": set(info), "total_archs": n}


def write_release(tmp_path, obj, version="v1_1", zip_format=True, suffix=None):
    import torch

    p = tmp_path / "tmp.pth"
    torch.save(obj, p, _use_new_zipfile_serialization=zip_format)
    md5 = hashlib.md5(p.read_bytes()).hexdigest()
    final = tmp_path / f"NAS-Bench-201-{version}-{suffix or md5[:6]}.pth"
    p.rename(final)
    return final


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_nb201_values(nb201_api, tmp_path, zip_format):
    from lissnas_bench.benchmarks.official import import_file

    obj = make_nb201_obj(nb201_api)
    path = write_release(tmp_path, obj, zip_format=zip_format)
    bench, log = import_file("nb201", path)
    assert any("matches the published prefix" in line for line in log)
    assert bench.id == "nb201-v1_1" and len(bench) == 5  # the unevaluated architecture is dropped
    assert bench.datasets == ["cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"]
    assert bench.default_metrics["cifar10-valid"] == "x-valid-accuracy@200"
    assert bench.cost_metrics["cifar10"] == "train-time@200"
    archs = bench.space.from_strings(obj["meta_archs"][:5])
    for i in range(5):
        a = archs[i : i + 1]
        for ds, sets in EVAL_SETS.items():
            per_seed = []
            for seed in seeds_of(i):
                got = bench.query(a, ds, f"x-valid-accuracy@200/seed{seed}")[0] if "x-valid" in sets else None
                if got is not None:
                    assert got == pytest.approx(value(i, ds, seed, 200, "x-valid"))
                    per_seed.append(got)
                assert bench.query(a, ds, f"ori-test-accuracy@200/seed{seed}")[0] == pytest.approx(
                    value(i, ds, seed, 200, "ori-test"))
                assert bench.query(a, ds, f"train-accuracy@200/seed{seed}")[0] == pytest.approx(
                    value(i, ds, seed, 200, "train"))
                assert bench.query(a, ds, f"train-time@200/seed{seed}")[0] == pytest.approx(400.0)
                assert bench.query(a, ds, f"ori-test-time@200/seed{seed}")[0] == pytest.approx(100.0)
            if per_seed:
                assert bench.query(a, ds, "x-valid-accuracy@200")[0] == pytest.approx(np.mean(per_seed))
            if len(seeds_of(i)) == 1:
                assert np.isnan(bench.query(a, ds, "train-accuracy@200/seed888")[0])
            assert bench.query(a, ds, "params")[0] == pytest.approx(1.5 + i)
            assert bench.query(a, ds, "flops")[0] == pytest.approx(10.0 + i)
        # the 12-epoch budget (two seeds, cifar10-valid only)
        assert bench.query(a, "cifar10-valid", "x-valid-accuracy@12/seed888")[0] == pytest.approx(
            value(i, "cifar10-valid", 888, 12, "x-valid"))
        assert bench.query(a, "cifar10-valid", "train-time@12")[0] == pytest.approx(24.0)
    # the official API agrees with the table
    api = nb201_api.NASBench201API(obj, verbose=False)
    for i in range(5):
        m = api.get_more_info(i, "cifar10-valid", hp="200", is_random=False)
        assert bench.query(archs[i : i + 1], "cifar10-valid", "x-valid-accuracy@200")[0] == pytest.approx(m["valid-accuracy"])
        assert bench.query(archs[i : i + 1], "cifar10-valid", "train-time@200")[0] == pytest.approx(m["train-all-time"])


def test_nb201_checksum_and_errors(nb201_api, tmp_path):
    from lissnas_bench.benchmarks.official import import_file

    obj = make_nb201_obj(nb201_api, n=3)
    bad = write_release(tmp_path, obj, suffix="abcdef")
    with pytest.raises(ChecksumMismatch, match="does not start with 'abcdef'"):
        import_file("nb201", bad)
    bench, log = import_file("nb201", bad, verify=False)  # --no-verify reads it anyway
    assert len(bench) == 2 and "not verified" in log[0]
    plain = tmp_path / "nb201.pth"
    bad.rename(plain)
    with pytest.raises(DataFileError, match="name carries none"):
        import_file("nb201", plain)
    v2 = tmp_path / "NAS-Bench-201-v2_0-123456.pth"
    v2.write_bytes(plain.read_bytes())
    with pytest.raises(DataFileError, match="release v2_0 is not supported"):
        import_file("nb201", v2)
    with pytest.raises(DataFileError, match="no such file"):
        import_file("nb201", tmp_path / "NAS-Bench-201-v1_1-096897.pth")
    # truncated: nothing is returned, one clear error
    data = plain.read_bytes()
    for cut in (len(data) // 2, len(data) - 40):
        t = tmp_path / f"cut{cut}.pth"
        t.write_bytes(data[:cut])
        with pytest.raises(DataFileError, match="truncated|corrupt"):
            import_file("nb201", t, verify=False)
    # wrong kind of file
    txt = tmp_path / "notes.pth"
    txt.write_text("hello")
    with pytest.raises(DataFileError, match="not a torch.save"):
        import_file("nb201", txt, verify=False)
    import torch

    other = tmp_path / "other.pth"
    torch.save({"state_dict": {"w": 1.0}}, other)
    with pytest.raises(DataFileError, match="not an NB201 / NATS-Bench benchmark file"):
        import_file("nb201", other, verify=False)


def test_nb201_refuses_foreign_classes(nb201_api, tmp_path):
    import pickle

    from lissnas_bench.benchmarks.official import import_file

    evil = tmp_path / "evil.pth"
    evil.write_bytes(pickle.dumps({"meta_archs": [], "arch2infos": {0: print}}, protocol=2))
    with pytest.raises(DataFileError, match="refusing to unpickle builtins.print"):
        import_file("nb201", evil, verify=False)


def test_nb201_reads_without_the_official_package(nb201_api, tmp_path, monkeypatch):
    """The records are parsed here: nas_201_api (whose loader unpickles any path a record names) is never used."""
    from lissnas_bench.benchmarks.official import import_file

    path = write_release(tmp_path, make_nb201_obj(nb201_api, n=3))
    monkeypatch.setitem(sys.modules, "nas_201_api", None)  # makes `import nas_201_api` fail
    monkeypatch.setitem(sys.modules, "nats_bench", None)
    bench, _ = import_file("nb201", path)
    assert len(bench) == 2


def test_nb201_import_into_cache(nb201_api, tmp_path):
    from lissnas_bench.benchmarks import available_benchmarks, load_benchmark
    from lissnas_bench.benchmarks.official import import_benchmark, remove_benchmark
    from lissnas_bench.errors import InvalidConfig

    path = write_release(tmp_path, make_nb201_obj(nb201_api, n=3))
    info = import_benchmark("nb201", path, bench_id="nb201-test")
    assert info["rows"] == 2 and info["kind"] == "nb201"
    assert "nb201-test" in available_benchmarks()
    b = load_benchmark("nb201-test")
    assert b.space.name == "nb201" and ("cifar10", "ori-test-accuracy@200/seed777") in b.columns
    with pytest.raises(InvalidConfig, match="already imported"):
        import_benchmark("nb201", path, bench_id="nb201-test")
    import_benchmark("nb201", path, bench_id="nb201-test", force=True)
    remove_benchmark("nb201-test")
    assert "nb201-test" not in available_benchmarks()


# ---------------------------------------------------------------------------------------------------- NATS-Bench
@pytest.fixture(scope="module")
def nats():
    return pytest.importorskip("nats_bench", reason="extra 'nats' (nats-bench) is not installed")


def _nats_release(nats, space, n):
    from lissnas_bench.spaces import get_space

    if space == "tss":
        s = get_space("nb201")
        archs = s.to_strings(s.enumerate()[:n])
        hps = {"12": 12, "200": 200}
    else:
        s = get_space("nats-sss")
        archs = s.to_strings(s.enumerate()[:: 32768 // n][:n])
        hps = {"01": 1, "12": 12, "90": 90}
    info = {
        i: {hp: make_arch_results(nats, i, a, E, ["cifar10", "cifar100"], seeds_of(i)).state_dict() for hp, E in hps.items()}
        for i, a in enumerate(archs)
    }
    return archs, info, hps


@pytest.mark.parametrize("space", ["tss", "sss"])
def test_nats_fast_mode_dir(nats, tmp_path, space):
    from lissnas_bench.benchmarks.official import import_file

    archs, info, hps = _nats_release(nats, space, 4)
    name = {"tss": "NATS-tss-v1_0-3ffb9-simple", "sss": "NATS-sss-v1_0-50262-simple"}[space]
    d = tmp_path / name
    d.mkdir()
    nats.pickle_save({"meta_archs": archs}, str(d / "meta.pickle"))
    for i, v in info.items():
        if i == 2:
            continue  # a missing architecture file
        nats.pickle_save(v, str(d / f"{i:06d}.pickle"))
    bench, log = import_file(f"nats-{space}", d)
    assert "not verified" in log[0] and len(bench) == 3
    assert bench.space.name == ("nb201" if space == "tss" else "nats-sss")
    a = bench.space.from_strings(archs[3:4])
    for hp, E in hps.items():
        for seed in seeds_of(3):
            assert bench.query(a, "cifar100", f"x-test-accuracy@{E}/seed{seed}")[0] == pytest.approx(
                value(3, "cifar100", seed, E, "x-test"))
    # the official API in fast mode reads the same directory
    api = nats.create(str(d), space, fast_mode=True, verbose=False)
    top = str(max(hps, key=lambda h: int(h)))
    m = api.get_more_info(3, "cifar100", hp=top, is_random=False)
    assert bench.query(a, "cifar100", f"x-valid-accuracy@{hps[top]}")[0] == pytest.approx(m["valid-accuracy"])


@pytest.mark.parametrize("space", ["tss", "sss"])
def test_nats_single_file(nats, tmp_path, space):
    from lissnas_bench.benchmarks.official import import_file

    archs, info, hps = _nats_release(nats, space, 3)
    obj = {"meta_archs": archs, "arch2infos": info, "evaluated_indexes": set(info)}
    base = tmp_path / "x"
    nats.pickle_save(obj, str(base))  # writes x.pbz2
    md5 = hashlib.md5((tmp_path / "x.pbz2").read_bytes()).hexdigest()
    p = tmp_path / f"NATS-{space}-v1_0-{md5[:5]}.pickle.pbz2"
    (tmp_path / "x.pbz2").rename(p)
    bench, log = import_file(f"nats-{space}", p)
    assert "matches the published prefix" in log[0] and len(bench) == 3
    for i in range(3):
        a = bench.space.from_strings(archs[i : i + 1])
        for hp, E in hps.items():
            vals = [value(i, "cifar10", s, E, "ori-test") for s in seeds_of(i)]
            assert bench.query(a, "cifar10", f"ori-test-accuracy@{E}")[0] == pytest.approx(np.mean(vals))
    other = "sss" if space == "tss" else "tss"
    with pytest.raises(DataFileError, match=f"import it as nats-{space}"):
        import_file(f"nats-{other}", p)
    t = tmp_path / "NATS-tss-v1_0-00000.pickle.pbz2"
    t.write_bytes(p.read_bytes()[:200])
    with pytest.raises(DataFileError):
        import_file("nats-tss", t, verify=False)
    with pytest.raises(DataFileError, match="not a NATS-Bench fast_mode directory"):
        import_file(f"nats-{space}", tmp_path)
