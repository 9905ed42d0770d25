"""NATS-Bench topology (``tss``) and size (``sss``) releases, read record by record (``_records``).

Two layouts are accepted:

* the single file ``NATS-tss-v1_0-3ffb9.pickle.pbz2`` / ``NATS-sss-v1_0-50262.pickle.pbz2`` (bz2-compressed
  pickle of ``{'meta_archs', 'arch2infos', ...}``), streamed one pickle batch at a time (see
  ``StreamingUnpickler``) so the import stays far below the memory the official API needs to load it;
* the ``fast_mode`` directory (``NATS-tss-v1_0-3ffb9-simple/``: ``meta.pickle.pbz2`` plus one
  ``{index:06d}.pickle.pbz2`` per architecture), read one architecture at a time.

Budgets: tss 12 and 200 epochs; sss 1, 12 and 90 epochs.  Columns are named as for NB201 (``nb201_pth``):
``train-accuracy@90``, ``x-valid-accuracy@200/seed777``, ``flops``, ...

>>> from lissnas_bench.benchmarks.official import import_file                       # doctest: +SKIP
>>> bench, log = import_file("nats-sss", "NATS-sss-v1_0-50262-simple")                 # doctest: +SKIP
"""

from __future__ import annotations

import bz2
import re
from pathlib import Path

from ...errors import DataFileError
from .._base import Benchmark
from .._unpickle import RestrictedUnpickler
from ._common import Columns, Progress, no_progress, pickle_classes, verify_md5_suffix
from .nb201_pth import check_meta_archs, extract_arch, finish, stream_release

EXTRA = "nats"
RELEASES = {"tss": "NATS-tss-v1_0-3ffb9", "sss": "NATS-sss-v1_0-50262"}
_NAME_RE = re.compile(r"NATS-(tss|sss)-(v\d+_\d+)-([0-9a-fA-F]+)(?:-(simple|full))?(?:\.pickle\.pbz2)?$")
_SPACE = {"tss": "nb201", "sss": "nats-sss"}
_EXPECTED = {"tss": 15625, "sss": 32768}


def _load_bz2_pickle(path: Path, what: str):
    try:
        with bz2.open(path, "rb") as f:
            return RestrictedUnpickler(f, pickle_classes(), what).load()
    except DataFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a damaged or hostile stream raises is the file's fault
        raise DataFileError(f"{what}: {path.name} is truncated or corrupt ({type(exc).__name__}: {exc})") from exc


def import_nats(
    path: Path,
    search_space: str,
    *,
    bench_id: str | None = None,
    verify: bool = True,
    progress: Progress = no_progress,
) -> tuple[Benchmark, list[str]]:
    """Read a NATS-Bench release (file or fast-mode directory) of ``search_space`` ('tss' or 'sss').

    The records are read by ``_records`` (no ``nats_bench`` code runs on the file, so the package is not needed).
    """
    if search_space not in RELEASES:
        raise DataFileError(f"unknown NATS-Bench search space {search_space!r}; accepted: tss, sss")
    path = Path(path)
    log: list[str] = []
    m = _NAME_RE.search(path.name.rstrip("/"))
    if m:
        if m.group(1) != search_space:
            raise DataFileError(
                f"{path.name} is a NATS-Bench {m.group(1)} release; import it as nats-{m.group(1)}, not nats-{search_space}"
            )
        if m.group(2) != "v1_0":
            raise DataFileError(f"{path.name}: NATS-Bench release {m.group(2)} is not supported; supported: v1_0")
    cols, problems = Columns(_EXPECTED[search_space]), []
    if path.is_dir():
        meta_archs = _read_folder(path, search_space, cols, problems, log, progress)
    else:
        meta_archs = _read_file(path, search_space, m, verify, cols, problems, log, progress)
    bench = finish(
        cols,
        meta_archs,
        _SPACE[search_space],
        bench_id or f"nats-{search_space}",
        f"{path.name} (NATS-Bench {search_space} v1_0{', fast_mode directory' if path.is_dir() else ''})",
        f"NATS-Bench {'topology' if search_space == 'tss' else 'size'} search space: every dataset, budget and "
        "seed of the release (accuracies in %, times in seconds)",
        problems,
        "",
    )
    log.append(f"read {len(bench)} architectures, {len(bench.columns)} columns")
    return bench, log


def _read_folder(path: Path, search_space: str, cols, problems, log, progress) -> list[str]:
    meta_file = path / "meta.pickle.pbz2"
    if not meta_file.is_file():
        raise DataFileError(
            f"{path}: not a NATS-Bench fast_mode directory (no meta.pickle.pbz2; expected e.g. "
            f"{RELEASES[search_space]}-simple/)"
        )
    log.append("no published checksum for the per-architecture files of a fast_mode directory: not verified")
    meta = _load_bz2_pickle(meta_file, path.name)
    if not isinstance(meta, dict) or "meta_archs" not in meta:
        raise DataFileError(f"{meta_file}: not a NATS-Bench meta file (no meta_archs)")
    meta_archs = check_meta_archs(meta["meta_archs"], str(meta_file))
    files = {}
    for f in path.glob("*.pickle.pbz2"):
        stem = f.name[: -len(".pickle.pbz2")]
        if stem.isdigit():
            files[int(stem)] = f
    if not files:
        raise DataFileError(f"{path}: no per-architecture files ({{index:06d}}.pickle.pbz2) found")
    bad = [i for i in files if not 0 <= i < len(meta_archs)]
    if bad:
        raise DataFileError(f"{path}: file for architecture {bad[0]} but meta lists {len(meta_archs)}")
    for done, i in enumerate(sorted(files)):
        data = _load_bz2_pickle(files[i], f"{path.name}/{files[i].name}")
        if not isinstance(data, dict) or not data:
            raise DataFileError(f"{files[i]}: expected a dict of training budgets, got {type(data).__name__}")
        extract_arch(cols, i, data, problems, where=str(files[i]), nats=True,
                     n_max=min(len(meta_archs), _EXPECTED[search_space]))
        progress(done + 1, len(files), path.name)
    return meta_archs


def _read_file(path: Path, search_space: str, m, verify: bool, cols, problems, log, progress) -> list[str]:
    if not path.exists():
        raise DataFileError(f"{path} does not exist")
    if verify:
        if not m:
            raise DataFileError(
                f"{path.name}: cannot verify the checksum because the name carries none (official file: "
                f"{RELEASES[search_space]}.pickle.pbz2); rename it back or pass --no-verify"
            )
        log.append(verify_md5_suffix(path, m.group(3), progress))
    else:
        log.append("checksum not verified (--no-verify)")
    n_max = _EXPECTED[search_space]
    raw = open(path, "rb")
    try:
        with bz2.BZ2File(raw, "rb") as stream:
            obj = stream_release(
                stream,
                path.name,
                lambda k, v: extract_arch(cols, k, v, problems, where=f"{path.name}: arch2infos[{k!r}]", nats=True,
                                          n_max=n_max),
                progress,
                path.stat().st_size,
                position=raw.tell,
            )
    except DataFileError:
        raise
    except OSError as exc:  # bz2 reports a damaged stream as OSError
        raise DataFileError(f"{path.name}: not a bz2 stream or truncated ({exc})") from exc
    finally:
        raw.close()
    return check_meta_archs(obj["meta_archs"], path.name)
