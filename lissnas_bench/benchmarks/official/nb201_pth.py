"""NAS-Bench-201 official ``.pth`` files (v1.0 ``NAS-Bench-201-v1_0-e61699.pth``, v1.1 ``...-v1_1-096897.pth``).

The file is a ``torch.save`` of ``{'meta_archs', 'arch2infos', 'evaluated_indexes', ...}`` where
``arch2infos[i] = {'less': ArchResults-state (12 epochs), 'full': ArchResults-state (200 epochs)}``.  It is read
in stream (``StreamingUnpickler``, legacy and zip ``torch.save`` layouts; no ``torch.load``) and each
architecture's record is read field by field (``_records``, the official classes' arithmetic without their code,
which would unpickle any file a record names); per-epoch curves are not kept, only the end of training.

Columns per dataset (``cifar10-valid``, ``cifar10``, ``cifar100``, ``ImageNet16-120``) and budget E in {12, 200}:
``train-accuracy@E``, ``train-loss@E``, ``train-time@E`` (total training seconds) and ``<set>-accuracy@E``,
``<set>-loss@E``, ``<set>-time@E`` for each evaluation set of the release (``x-valid``, ``x-test``,
``ori-test``), each as the mean over seeds and per seed (``.../seed777``); plus ``flops``, ``params``, ``latency``.

>>> from lissnas_bench.benchmarks.official import import_file   # doctest: +SKIP
>>> bench, log = import_file("nb201", "NAS-Bench-201-v1_1-096897.pth")  # doctest: +SKIP
>>> bench.query(bench.space.from_strings(["|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"]),
...             "cifar10-valid", "x-valid-accuracy@200")  # doctest: +SKIP
"""

from __future__ import annotations

import pickle
import re
import zipfile
from pathlib import Path

import numpy as np

from ...errors import DataFileError
from ...spaces import get_space
from .._base import Benchmark
from ..table import infinite_as_missing
from ._common import Columns, Progress, StreamingUnpickler, metric_name, no_progress, pickle_classes, verify_md5_suffix
from ._records import compute_costs, need_dict, trial_values

KIND = "nb201"
EXTRA = "nb201"
#: official releases: version -> (file name, md5 prefix)
RELEASES = {"v1_0": "NAS-Bench-201-v1_0-e61699.pth", "v1_1": "NAS-Bench-201-v1_1-096897.pth"}
_NAME_RE = re.compile(r"NAS-Bench-201-(v\d+_\d+)-([0-9a-fA-F]+)\.pth$")
_HP = {"less": 12, "full": 200}
_TORCH_MAGIC = 0x1950A86A20F9469CFC6C
_DATASET_ORDER = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")


def hp_epochs(hp, where: str = "") -> int:
    """'less' -> 12, 'full' -> 200 (NB201 keys); '01', '12', '90', '200' -> the int (NATS-Bench keys)."""
    if isinstance(hp, str) and hp in _HP:
        return _HP[hp]
    if isinstance(hp, str) and hp.isdigit():
        return int(hp)
    if isinstance(hp, int) and not isinstance(hp, bool):
        return hp
    raise DataFileError(
        f"{where + ': ' if where else ''}unknown training budget key {hp!r} (expected less/full or an epoch count)"
    )


def extract_arch(cols: Columns, row, hp2state, problems: list, *, where: str, nats: bool, n_max: int) -> None:
    """Write the end-of-training values of one architecture (all budgets, datasets, seeds) into ``cols``.

    ``hp2state`` is ``{hp: ArchResults-state}`` as the file holds it; ``_records`` reads it field by field with
    the official classes' arithmetic (``nats``: NATS-Bench's variant of the compute costs), so nothing of the
    file reaches third-party code.  ``where`` names the record in error messages.
    """
    if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < n_max:
        raise DataFileError(f"{where}: architecture index {row!r} is not an int in [0, {n_max})")
    need_dict(hp2state, where, "a dict of training budgets")
    budgets = {hp: hp_epochs(hp, where) for hp in hp2state}
    top = max(budgets.values(), default=None)
    for hp, E in budgets.items():
        at = f"{where}[{hp!r}]"
        state = need_dict(hp2state[hp], at, "a dict (an ArchResults state)")
        for ds, seed, measure, v in trial_values(state, at, problems):
            cols.set(ds, metric_name(measure, E, f"seed{seed}"), row, v)
        if E != top:  # compute costs describe the network, not the training budget
            continue
        for ds in state.get("dataset_seed", {}):
            costs = compute_costs(state, ds, nats=nats)
            for k in ("flops", "params", "latency"):
                v = costs.get(k)
                if v is not None and np.isfinite(v):
                    cols.set(ds, k, row, v)


def check_meta_archs(meta_archs, where: str) -> list[str]:
    """The file's ``meta_archs`` (architecture strings by index), refused unless it is a list of strings."""
    if not isinstance(meta_archs, (list, tuple)) or not all(isinstance(a, str) for a in meta_archs):
        raise DataFileError(f"{where}: meta_archs is {type(meta_archs).__name__}, expected a list of strings")
    return list(meta_archs)


def finish(
    cols: Columns,
    meta_archs: list[str],
    space_name: str,
    bench_id: str,
    source: str,
    description: str,
    problems: list,
    data_hash: str,
) -> Benchmark:
    """Turn the filled columns of an NB201-like release into a ``Benchmark`` (rows without data dropped)."""
    space = get_space(space_name)
    meta_archs = check_meta_archs(meta_archs, source)
    n = len(meta_archs)
    if n == 0:
        raise DataFileError(f"{source}: the file lists no architectures (meta_archs is empty)")
    cols.add_means("seed")
    rows = cols.rows_with_data(n)
    if not len(rows):
        raise DataFileError(f"{source}: no architecture has results")
    archs = space.from_strings([meta_archs[i] for i in rows])
    columns = {k: v[:n][rows] if len(v) >= n else np.pad(v, (0, n - len(v)), constant_values=np.nan)[rows]
               for k, v in cols.arrays().items()}
    datasets = sorted({d for d, _ in columns}, key=lambda d: (_DATASET_ORDER.index(d) if d in _DATASET_ORDER else 99, d))
    columns = {k: v for d in datasets for k, v in columns.items() if k[0] == d}
    inf_notes = infinite_as_missing(columns, lambda i: meta_archs[rows[i]], source)
    defaults, costs = {}, {}
    for d in datasets:
        ms = [m for dd, m in columns if dd == d and "/" not in m]
        top = max((int(m.rsplit("@", 1)[1]) for m in ms if "@" in m), default=None)
        for cand in (f"x-valid-accuracy@{top}", f"ori-test-accuracy@{top}", f"train-accuracy@{top}"):
            if cand in ms:
                defaults[d] = cand
                break
        if f"train-time@{top}" in ms:
            costs[d] = f"train-time@{top}"
    notes = []
    if problems:
        notes.append(f"{len(problems)} trials could not be read; first: {problems[0]}")
    if len(rows) < n:
        notes.append(f"{n - len(rows)} of {n} architectures have no results in this file")
    notes += inf_notes
    notes.append("per-epoch learning curves are not kept: values are at the end of each training budget")
    return Benchmark(
        id=bench_id,
        space=space,
        archs=archs,
        columns=columns,
        source=source,
        description=description,
        default_dataset=datasets[0] if datasets else None,
        default_metrics=defaults,
        cost_metrics=costs,
        data_hash=data_hash,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------------- reading
def open_torch_pickle(path: Path):
    """A binary stream positioned at the main pickle of a ``torch.save`` file (zip or legacy layout)."""
    if zipfile.is_zipfile(path):
        try:
            zf = zipfile.ZipFile(path)
            member = next((n for n in zf.namelist() if n.endswith("data.pkl")), None)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataFileError(f"{path.name}: truncated or corrupt zip archive ({exc})") from exc
        if member is None:
            raise DataFileError(f"{path.name}: a zip file without data.pkl is not a torch.save file")
        return zf.open(member), zf.getinfo(member).file_size
    f = open(path, "rb")
    head = f.read(2)
    if head == b"PK":
        f.close()
        raise DataFileError(f"{path.name}: truncated or corrupt zip archive (torch.save file without its directory)")
    if len(head) < 2 or head[0] != 0x80:
        f.close()
        raise DataFileError(f"{path.name}: not a torch.save / pickle file (it starts with {head!r})")
    f.seek(0)
    head = f.read(15)
    # legacy torch.save starts with pickle(MAGIC): PROTO 2, LONG1 of 10 bytes, STOP (checked on the bytes so a
    # plain pickle of the whole release is never loaded here)
    if head[:4] == b"\x80\x02\x8a\x0a" and int.from_bytes(head[4:14], "little") == _TORCH_MAGIC and head[14:] == b".":
        try:
            _SafeUnpickler(f).load()  # protocol version
            _SafeUnpickler(f).load()  # sys_info
        except Exception as exc:  # noqa: BLE001
            f.close()
            raise DataFileError(f"{path.name}: truncated torch.save header ({exc})") from exc
    else:  # a plain pickle of the object
        f.seek(0)
    return f, path.stat().st_size


class _SafeUnpickler(pickle.Unpickler):
    """For the small header pickles of a legacy torch file: plain values only."""

    def find_class(self, module, name):
        raise DataFileError(f"unexpected {module}.{name} in a torch.save header")


def stream_release(stream, what: str, on_arch, progress: Progress, total: int, position=None) -> dict:
    """Unpickle an NB201/NATS release from ``stream``, handing each architecture to ``on_arch``.

    ``position()`` (bytes of the file consumed so far) drives the progress report, once per architecture.
    """
    import io

    if not isinstance(stream, (io.BufferedReader, io.BufferedRandom)) and not hasattr(stream, "peek"):
        stream = io.BufferedReader(stream, buffer_size=1 << 20)  # C-level reads for the opcode loop
    pos = position or getattr(stream, "tell", lambda: 0)
    up = StreamingUnpickler(stream, pickle_classes(), what, on_arch, tick=lambda: progress(pos(), total, what))
    try:
        obj = up.load()
    except DataFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a damaged or hostile stream raises is the file's fault
        raise DataFileError(f"{what}: truncated or corrupt ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, dict) or not {"meta_archs", "arch2infos"} <= set(obj):
        keys = sorted(map(str, obj))[:8] if isinstance(obj, dict) else type(obj).__name__
        raise DataFileError(
            f"{what}: not an NB201 / NATS-Bench benchmark file (expected keys meta_archs and arch2infos, got {keys})"
        )
    infos = need_dict(obj["arch2infos"], f"{what}: arch2infos")
    for k, v in infos.items():
        if v is not None and v != {}:  # not recognised while streaming: checked (and refused) like the others
            on_arch(k, v)
    progress(total, total, what)
    return obj


def import_pth(
    path: Path,
    *,
    bench_id: str | None = None,
    verify: bool = True,
    progress: Progress = no_progress,
) -> tuple[Benchmark, list[str]]:
    """Read an NB201 ``.pth`` release into a ``Benchmark``; returns it and log lines (what was verified)."""
    log: list[str] = []
    path = Path(path)
    if path.is_dir():
        raise DataFileError(f"{path}: a directory; NAS-Bench-201 is one .pth file (e.g. {RELEASES['v1_1']})")
    m = _NAME_RE.search(path.name)
    version = m.group(1) if m else None
    if version is not None and version not in RELEASES:
        raise DataFileError(
            f"{path.name}: NAS-Bench-201 release {version} is not supported; supported: "
            f"{', '.join(RELEASES.values())}"
        )
    if verify:
        if m is None:
            raise DataFileError(
                f"{path.name}: cannot verify the checksum because the name carries none (official files are named "
                f"{' or '.join(RELEASES.values())}); rename it back or pass --no-verify"
            )
        log.append(verify_md5_suffix(path, m.group(2), progress))
    else:
        log.append("checksum not verified (--no-verify)")
    cols, problems = Columns(15625), []
    stream, total = open_torch_pickle(path)
    with stream:
        obj = stream_release(
            stream,
            path.name,
            lambda k, v: extract_arch(cols, k, v, problems, where=f"{path.name}: arch2infos[{k!r}]", nats=False,
                                      n_max=15625),
            progress,
            total,
        )
    meta = obj["meta_archs"]
    ver = version or "unknown version"
    bench = finish(
        cols,
        meta,
        "nb201",
        bench_id or (f"nb201-{version}" if version else "nb201-pth"),
        f"{path.name} (NAS-Bench-201 {ver}, official .pth)",
        "NAS-Bench-201 official release: 4 datasets, 12- and 200-epoch budgets, every seed (accuracies in %, "
        "times in seconds)",
        problems,
        "",
    )
    log.append(f"read {len(bench)} architectures, {len(bench.columns)} columns")
    return bench, log
