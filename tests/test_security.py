"""Hostile files for every reader: none may run code, each must end in one clear error (exit 2, one line).

Every case writes a file (or folder) whose pickle payload would create ``MARKER`` if anything unpickled it with
``pickle.load`` / ``torch.load(weights_only=False)`` / a third-party loader, places it where an importer reads
(inside the main structure, as a sibling file a string record points at, in a NATS fast-mode folder, in a cache
or checkpoint), runs the command in-process and checks that the marker never appears.  Formats that are not
pickles (NB101 records, Macro JSON, user tables) get the hostile inputs they can carry: absurd nesting, wrong
types, pickled Arrow extension metadata.
"""

from __future__ import annotations

import bz2
import hashlib
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
DEEP = "[" * 100_000 + "]" * 100_000


class Payload:
    """Unpickling this creates the marker file (``open(marker, "w")``)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def results_count(E=12, seed=777):
    """A plain ResultsCount state as the releases hold it (dicts of per-epoch numbers)."""
    ep = range(E)
    return {"name": "cifar10", "net_state_dict": None, "train_acc1es": {e: 50.0 + e for e in ep},
            "train_acc5es": None, "train_losses": {e: 1.0 for e in ep}, "train_times": {e: 2.0 for e in ep},
            "arch_config": {"arch_str": ARCH}, "params": 1.0, "flop": 2.0, "seed": seed, "epochs": E,
            "latency": [0.01], "eval_names": ["ori-test"], "eval_acc1es": {f"ori-test@{e}": 60.0 for e in ep},
            "eval_times": {f"ori-test@{e}": 0.5 for e in ep}, "eval_losses": {f"ori-test@{e}": 0.5 for e in ep}}


def arch_results(E=12):
    return {"arch_index": 0, "arch_str": ARCH, "all_results": {("cifar10", 777): results_count(E)},
            "dataset_seed": {"cifar10": [777]}, "clear_net_done": False}


def md5_named(tmp: Path, pattern: str, digits: int) -> Path:
    """Rename ``tmp`` to ``pattern`` with the file's own MD5 prefix: the name 'checksum' then passes."""
    md5 = hashlib.md5(tmp.read_bytes()).hexdigest()
    final = tmp.with_name(pattern.format(md5[:digits]))
    tmp.rename(final)
    return final


def bz2_pickle(path: Path, obj) -> Path:
    with bz2.open(path, "wb") as f:
        pickle.dump(obj, f, protocol=4)
    return path


# ---------------------------------------------------------------------------------------------------- builders
def _torch_release(d: Path, obj, zip_format=True) -> Path:
    torch = pytest.importorskip("torch")
    tmp = d / "tmp.pth"
    torch.save(obj, tmp, _use_new_zipfile_serialization=zip_format)
    return md5_named(tmp, "NAS-Bench-201-v1_1-{}.pth", 6)


def _sibling_pth(d: Path, marker) -> str:
    torch = pytest.importorskip("torch")
    torch.save({"all_results": Payload(marker)}, d / "notes.pth")
    return str(d / "notes.pth")


def nb201_zip_payload(d, marker):
    return ["data", "import", "nb201", _torch_release(d, {"meta_archs": [ARCH], "arch2infos": {0: Payload(marker)}})]


def nb201_legacy_payload(d, marker):
    obj = {"meta_archs": [ARCH], "arch2infos": {0: {"less": arch_results(), "full": Payload(marker)}}}
    return ["data", "import", "nb201", _torch_release(d, obj, zip_format=False)]


def nb201_nested_payload(d, marker):
    state = arch_results()
    state["all_results"][("cifar10", 777)]["train_acc1es"][11] = Payload(marker)
    return ["data", "import", "nb201", _torch_release(d, {"meta_archs": [ARCH], "arch2infos": {0: {"less": state}}})]


def nb201_string_record(d, marker):
    """The issue's attack: a budget whose state is a path; nas_201_api would torch.load it."""
    obj = {"meta_archs": [ARCH], "arch2infos": {0: {"less": arch_results(), "full": _sibling_pth(d, marker)}}}
    return ["data", "import", "nb201", _torch_release(d, obj)]


def nb201_string_only(d, marker):
    obj = {"meta_archs": [ARCH], "arch2infos": {0: {"full": _sibling_pth(d, marker)}}}
    return ["data", "import", "nb201", _torch_release(d, obj)]


def nb201_string_results(d, marker):
    state = arch_results(200)
    state["all_results"][("cifar10", 777)] = _sibling_pth(d, marker)
    return ["data", "import", "nb201", _torch_release(d, {"meta_archs": [ARCH], "arch2infos": {0: {"full": state}}})]


def _nats_file(d, obj, space="tss"):
    tmp = bz2_pickle(d / "x.pbz2", obj)
    return md5_named(tmp, f"NATS-{space}-v1_0-{{}}.pickle.pbz2", 5)


def nats_single_string(d, marker):
    """The issue's attack on the single file, whose name carries its own (brute-forceable) MD5 prefix."""
    notes = bz2_pickle(d / "notes", Payload(marker))
    obj = {"meta_archs": [ARCH], "arch2infos": {0: {"12": arch_results(), "200": str(notes)}}}
    return ["data", "import", "nats-tss", _nats_file(d, obj)]


def nats_single_payload(d, marker):
    obj = {"meta_archs": [ARCH], "arch2infos": {0: {"12": arch_results(), "200": Payload(marker)}}}
    return ["data", "import", "nats-tss", _nats_file(d, obj)]


def _nats_folder(d, space, arch_obj, meta=None):
    folder = d / {"tss": "NATS-tss-v1_0-3ffb9-simple", "sss": "NATS-sss-v1_0-50262-simple"}[space]
    folder.mkdir()
    archs = [ARCH] if space == "tss" else ["8:8:8:8:8"]
    bz2_pickle(folder / "meta.pickle.pbz2", {"meta_archs": archs} if meta is None else meta)
    bz2_pickle(folder / "000000.pickle.pbz2", arch_obj)
    return folder


def nats_folder_string_tss(d, marker):
    folder = _nats_folder(d, "tss", {"200": "NATS-tss-v1_0-3ffb9-simple/notes"})
    bz2_pickle(folder / "notes", Payload(marker))
    return ["data", "import", "nats-tss", folder]


def nats_folder_string_sss(d, marker):
    notes = bz2_pickle(d / "notes", Payload(marker))
    return ["data", "import", "nats-sss", _nats_folder(d, "sss", {"90": str(notes)})]


def nats_folder_payload(d, marker):
    return ["data", "import", "nats-tss", _nats_folder(d, "tss", {"200": Payload(marker)})]


def nats_folder_meta_payload(d, marker):
    return ["data", "import", "nats-tss", _nats_folder(d, "tss", {"200": arch_results()}, meta=Payload(marker))]


def _nb101(d, record: bytes):
    from lissnas_bench.benchmarks.official.nb101_tfrecord import write_tfrecord

    write_tfrecord(d / "nasbench_only108.tfrecord", [record])
    return ["data", "import", "nb101", d / "nasbench_only108.tfrecord", "--no-verify"]


def nb101_deep_json(d, marker):
    return _nb101(d, DEEP.encode())


def nb101_wrong_types(d, marker):
    return _nb101(d, json.dumps([["not", "a", "hash"], 108, "0" * 49, "input,output", "AAAA"]).encode())


def macro_deep(d, marker):
    (d / "nas-bench-macro_cifar10.json").write_text(DEEP)
    return ["data", "import", "macro", d / "nas-bench-macro_cifar10.json", "--no-verify"]


def macro_wrong_types(d, marker):
    (d / "nas-bench-macro_cifar10.json").write_text(json.dumps({"00000000": "evil", "11111111": [1, 2]}))
    return ["data", "import", "macro", d / "nas-bench-macro_cifar10.json", "--no-verify"]


def _table(path):
    return ["query", "--table", path, "--space", "nasbench-macro", "--arch-column", "arch", "00000000"]


def table_json_deep(d, marker):
    (d / "t.json").write_text(DEEP)
    return _table(d / "t.json")


def table_csv_binary(d, marker):
    (d / "t.csv").write_bytes(b"arch,acc\n\xff\xfe\x00\x00" + pickle.dumps(Payload(marker)))
    return _table(d / "t.csv")


def _arrow_with_pickled_extension(marker):
    """A table whose field claims the legacy pickled Python extension type, its 'metadata' a pickle payload."""
    import pyarrow as pa

    field = pa.field("arch", pa.binary(), metadata={b"ARROW:extension:name": b"arrow.py_extension_type",
                                                    b"ARROW:extension:metadata": pickle.dumps(Payload(marker))})
    return pa.table({"arch": pa.array([b"00000000"])}, schema=pa.schema([field]))


def table_parquet_extension(d, marker):
    import pyarrow.parquet as pq

    pq.write_table(_arrow_with_pickled_extension(marker), d / "t.parquet")
    return _table(d / "t.parquet")


def table_parquet_pandas_meta(d, marker):
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.table({"arch": ["00000000"], "acc": [1.0]}).replace_schema_metadata({b"pandas": DEEP.encode()})
    pq.write_table(t, d / "t.parquet")
    return _table(d / "t.parquet")


def cache_arrow_extension(d, marker):
    """An imported cache whose Arrow file carries pickled extension metadata and another benchmark's id."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from lissnas_bench._io import sha256_file
    from lissnas_bench.benchmarks import cache

    path = cache.imported_path("victim")
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"format_version": 1, "id": "other", "space": "nasbench-macro", "columns": [], "data_hash": ""}
    t = _arrow_with_pickled_extension(marker).replace_schema_metadata({"lissnas_bench": json.dumps(meta)})
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, t.schema) as w:
        w.write_table(t)
    side = {**meta, "id": "victim", "rows": 1, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    (d / "home" / "imported" / "victim.arrow.json").write_text(json.dumps(side))
    return ["query", "victim", "00000000"]


def checkpoint_payload(d, marker):
    torch = pytest.importorskip("torch")
    (d / "run").mkdir()
    torch.save({"format": "lissnas-bench-oneshot/1", "step": 1, "meta": Payload(marker)}, d / "run" / "supernet.pt")
    return ["oneshot", "train", _oneshot_cfg(d)]


def cifar_payload(d, marker):
    pytest.importorskip("torch")
    root = d / "cifar-10-batches-py"
    root.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (root / name).write_bytes(pickle.dumps(Payload(marker), protocol=2))
    return ["oneshot", "train", _oneshot_cfg(d, data={"kind": "cifar10", "root": str(root)})]


def yaml_python_tag(d, marker):
    (d / "c.yaml").write_text(f"space: mobilenet\nout_dir: !!python/object/apply:builtins.open ['{marker}', 'w']\n")
    return ["oneshot", "train", d / "c.yaml"]


def _oneshot_cfg(d, **over):
    cfg = {"space": "mobilenet", "out_dir": str(d / "run"),
           "model": {"width_mult": 0.25, "resolution": 32, "num_classes": 10, "head_channels": 32},
           "data": {"kind": "synthetic", "batch_size": 2, "synthetic_val_size": 4, "workers": 0},
           "train": {"steps": 1, "device": "cpu"}, **over}
    (d / "c.json").write_text(json.dumps(cfg))
    return d / "c.json"


CASES = [nb201_zip_payload, nb201_legacy_payload, nb201_nested_payload, nb201_string_record, nb201_string_only,
         nb201_string_results, nats_single_string, nats_single_payload, nats_folder_string_tss,
         nats_folder_string_sss, nats_folder_payload, nats_folder_meta_payload, nb101_deep_json, nb101_wrong_types,
         macro_deep, macro_wrong_types, table_json_deep, table_csv_binary, table_parquet_extension,
         table_parquet_pandas_meta, cache_arrow_extension, checkpoint_payload, cifar_payload, yaml_python_tag]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_hostile_file_runs_no_code_and_ends_in_one_error(case, tmp_path, monkeypatch, capsys):
    marker = tmp_path / "MARKER"
    home = tmp_path / "home"
    monkeypatch.setenv("LISSNAS_BENCH_HOME", str(home))
    # the worst case for torch.load(str): without this nas_201_api's loader refuses the payload by itself
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    monkeypatch.chdir(tmp_path)  # relative paths in a record resolve next to the hostile files
    argv = case(tmp_path, marker)
    code, out, err = run_cli(capsys, *argv)
    assert not marker.exists(), f"{case.__name__}: the payload ran"
    assert code == 2, (code, out, err)
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("WARNING")]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    imported = home / "imported"
    assert not imported.exists() or {p.name for p in imported.iterdir()} <= {"victim.arrow", "victim.arrow.json"}


def test_string_record_names_the_field(tmp_path, monkeypatch, capsys):
    """'Reject a string where a dict is expected', naming the file and the field path."""
    monkeypatch.setenv("LISSNAS_BENCH_HOME", str(tmp_path / "home"))
    argv = nats_single_string(tmp_path, tmp_path / "MARKER")
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and "arch2infos[0]['200'] is str, expected a dict" in err and argv[-1].name in err


@pytest.mark.parametrize("kind", ["anb", "bench"])
def test_embedded_package_files_use_the_restricted_unpickler(kind, tmp_path):
    from lissnas_bench.benchmarks._unpickle import Record, numpy_scalar_classes, restricted_load
    from lissnas_bench.errors import DataFileError

    marker = tmp_path / "MARKER"
    f = tmp_path / f"data.{kind}"
    f.write_bytes(pickle.dumps({(0, 1, 2, 3, 4, 0): Payload(marker)}))
    allowed = {("analognasbench.data", "Architecture"): Record} if kind == "anb" else numpy_scalar_classes()
    with pytest.raises(DataFileError, match="refusing to unpickle io.open"):
        restricted_load(f, allowed, "test")
    assert not marker.exists()


def test_array_caches_never_unpickle(tmp_path, monkeypatch, caplog):
    """The GED cache and the nasbench-graph table hold pickled object arrays: ignored and recomputed."""
    from lissnas_bench.locality.ged import GEDCache
    from lissnas_bench.spaces import get_space
    from lissnas_bench.spaces import graph as graph_mod

    marker = tmp_path / "MARKER"
    monkeypatch.setenv("LISSNAS_BENCH_HOME", str(tmp_path))
    obj = np.array([Payload(marker)], dtype=object)
    space = get_space("nasbench-graph")
    ged = GEDCache(space, persist=False)._path()
    ged.parent.mkdir(parents=True)
    np.savez(ged, a=obj, b=obj, d=obj, finished=obj, timeout=obj, _sha256=obj)
    canon = Path(graph_mod._cache_file())
    canon.parent.mkdir(parents=True)
    np.savez(canon, canon=obj, _sha256=obj)
    c = GEDCache(space, persist=True)
    a = space.from_strings(["[0,1,2,3]:skip-skip-fc-gcn", "[0,1,2,3]:skip-skip-fc-gat"])
    assert c.distances(a[:1], a[1:]).tolist() == [1.0]
    np.testing.assert_array_equal(graph_mod._load_or_compute_canon(), graph_mod._tables().canon)
    assert not marker.exists()
    assert any("GED cache" in r.getMessage() for r in caplog.records)
