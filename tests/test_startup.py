"""The CLI starts without the heavy libraries: each check runs a fresh interpreter and reads its ``sys.modules``.

No timing here (speed is measured by benchmarks/bench_startup.py); only which packages got imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ARCH = "|avg_pool_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|skip_connect~1|none~2|"
#: never needed to start, list, or look up a cached benchmark
HEAVY = {"pandas", "matplotlib", "scipy", "networkx", "torch", "dask", "distributed", "sklearn"}
#: a script that runs its arguments as the console script would and reports the top-level packages at exit
_RUN_CLI = """
import atexit, json, sys
atexit.register(lambda: print("MODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules}))))
from lissnas_bench.cli import main
main(sys.argv[1:])
"""


def _modules(code: str, *args: str, env: dict | None = None) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("MODULES "))
    return set(json.loads(line[len("MODULES "):]))


def _after_import(statement: str) -> set[str]:
    return _modules(f"{statement}\nimport json, sys\n"
                    "print('MODULES ' + json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")


@pytest.mark.parametrize("statement", ["import lissnas_bench", "import lissnas_bench.cli",
                                       "from lissnas_bench import LissnasBenchError, __version__"])
def test_import_pulls_in_nothing_heavy(statement):
    mods = _after_import(statement)
    assert not mods & (HEAVY | {"numpy", "pyarrow", "rich"}), sorted(mods & (HEAVY | {"numpy", "pyarrow", "rich"}))


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["query", "--help"], ["compare", "--help"],
                                  ["demo", "--help"], ["run", "--help"], ["locality", "--help"]])
def test_help_pulls_in_nothing_heavy(args):
    mods = _modules(_RUN_CLI, *args)
    assert not mods & (HEAVY | {"numpy", "pyarrow"}), sorted(mods & (HEAVY | {"numpy", "pyarrow"}))


def test_query_and_benchmarks_need_no_pandas(analognas, graph_bench, tmp_path):
    import os
    import shutil

    from lissnas_bench.benchmarks import cache

    # a home holding just the embedded caches: other tests register live surrogates (their listing needs numpy)
    shutil.copytree(cache.embedded_dir(), tmp_path / "embedded")
    env = {**os.environ, "LISSNAS_BENCH_HOME": str(tmp_path)}
    for args in (["query", "analognas", ARCH], ["query", "analognas", ARCH, "--json"], ["benchmarks"],
                 ["benchmarks", "--json"]):
        mods = _modules(_RUN_CLI, *args, env=env)
        assert not mods & (HEAVY | {"pyarrow"}), (args, sorted(mods & (HEAVY | {"pyarrow"})))
        if args[0] == "benchmarks":  # the listing reads sidecars only
            assert "numpy" not in mods


def test_methods_needs_no_pandas():
    mods = _modules(_RUN_CLI, "methods")
    assert not mods & HEAVY, sorted(mods & HEAVY)


def test_lazy_names_resolve_like_eager_imports():
    import lissnas_bench
    from lissnas_bench.benchmarks import load_benchmark
    from lissnas_bench.spaces import get_space

    assert lissnas_bench.load_benchmark is load_benchmark and lissnas_bench.get_space is get_space
    assert set(lissnas_bench.__all__) <= set(dir(lissnas_bench))
    for name in lissnas_bench.__all__:
        assert getattr(lissnas_bench, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lissnas_bench.nope  # noqa: B018


def test_cached_columns_are_read_only_views_equal_to_arrow(analognas):
    import numpy as np
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from lissnas_bench.benchmarks import cache

    path = next(cache.embedded_dir().glob("analognas-*.arrow"))
    with pa.memory_map(str(path), "r") as src:
        table = ipc.open_file(src).read_all()
    bench = cache.load(path)
    for i, col in enumerate(bench.columns.values()):
        np.testing.assert_array_equal(col, table.column(f"c{i}").to_numpy())
        assert not col.flags.writeable
    np.testing.assert_array_equal(bench.archs, analognas.archs)


def test_listing_reads_sidecars_and_agrees_with_a_full_load(analognas, graph_bench):
    from lissnas_bench.benchmarks import benchmark_info

    assert benchmark_info("analognas") == analognas.info()
    assert benchmark_info("nasbench-graph") == graph_bench.info()


def test_listing_a_corrupt_cache_rebuilds_it(analognas):
    from lissnas_bench.benchmarks import benchmark_info, cache

    path = next(cache.embedded_dir().glob("analognas-*.arrow"))
    with open(path, "r+b") as fh:  # same size, other bytes: only the checksum can tell
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(Exception, match="corrupt"):
        cache.describe(path)
    assert benchmark_info("analognas") == analognas.info()
    cache.describe(path)  # rebuilt


def test_one_command_runs_without_building_the_others():
    import importlib

    from lissnas_bench import cli

    assert cli._app_for([]) is cli.app and cli._app_for(["--version"]) is cli.app
    assert cli._app_for(["no-such-command"]) is cli.app  # click names the accepted commands
    one = cli._app_for(["query", "analognas"])
    assert [c.name for c in one.registered_commands] == ["query"] and not one.registered_groups
    assert [g.name for g in cli._app_for(["data", "list"]).registered_groups] == ["data"]
    # the map names every command of the whole CLI, in its order, with the module that registers it
    whole = [i.name for i in [*cli.app.registered_commands, *cli.app.registered_groups]]
    assert sorted(whole) == sorted(cli.COMMANDS)
    for name, module in cli.COMMANDS.items():
        import typer

        probe = typer.Typer()
        importlib.import_module(f"lissnas_bench.commands.{module}").register(probe)
        assert name in [i.name for i in [*probe.registered_commands, *probe.registered_groups]], (name, module)


def test_numpy_reader_matches_pyarrow_on_every_cache(analognas, graph_bench):
    import numpy as np
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from lissnas_bench.benchmarks import _arrow_ipc, cache

    paths = sorted(cache.embedded_dir().glob("*.arrow"))
    assert len(paths) >= 2
    for path in paths:
        cols, meta = _arrow_ipc.read(path)
        with pa.memory_map(str(path), "r") as src:
            table = ipc.open_file(src).read_all()
        assert list(cols) == table.column_names and meta == table.schema.metadata
        for name in table.column_names:
            want = table.column(name).to_numpy()
            assert cols[name].dtype == want.dtype and not cols[name].flags.writeable
            np.testing.assert_array_equal(cols[name], want)


@pytest.mark.parametrize("kind", ["nulls", "strings", "two batches", "compressed", "garbage", "truncated"])
def test_numpy_reader_leaves_other_layouts_to_pyarrow(tmp_path, kind):
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from lissnas_bench.benchmarks import _arrow_ipc

    path = tmp_path / "t.arrow"
    cols = {"a": pa.array([1, 2, 3], pa.int64()), "b": pa.array([1.0, None, 3.0]) if kind == "nulls"
            else pa.array(["x", "y", "z"]) if kind == "strings" else pa.array([1.0, 2.0, 3.0])}
    table = pa.table(cols)
    options = ipc.IpcWriteOptions(compression="zstd") if kind == "compressed" else None
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table)
        if kind == "two batches":
            writer.write_table(table)
    if kind == "garbage":
        path.write_bytes(b"ARROW1" + bytes(range(256)) * 4 + b"ARROW1")
    if kind == "truncated":
        path.write_bytes(path.read_bytes()[:-40] + b"\xff\xff\x00\x00ARROW1")
    assert _arrow_ipc.read(path) is None


def test_listing_an_older_sidecar_without_info(analognas, tmp_path):
    import json
    import shutil

    from lissnas_bench.benchmarks import cache

    src = next(cache.embedded_dir().glob("analognas-*.arrow"))
    path = tmp_path / src.name
    shutil.copy(src, path)
    side = json.loads((src.parent / (src.name + ".json")).read_text())
    side.pop("info")
    (tmp_path / (src.name + ".json")).write_text(json.dumps(side))
    assert cache.describe(path) == analognas.info()
    side["info"] = {**analognas.info(), "architectures": "many"}  # malformed: rebuilt from the names instead
    (tmp_path / (src.name + ".json")).write_text(json.dumps(side))
    assert cache.describe(path) == analognas.info()
