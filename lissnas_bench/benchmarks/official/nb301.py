"""NAS-Bench-301 surrogate ensembles (``nb_models_1.0/``: ``xgb_v1.0``, ``gnn_gin_v1.0``, ``lgb_runtime_v1.0``).

A surrogate answers for any of the ~1e18 DARTS genotypes, so an import tabulates its predictions for a set of
genotypes (a file of genotype strings, or a uniform sample with a given seed) into the usual columnar
benchmark over the ``darts`` space.  Models are loaded with ``nasbench301.load_ensemble``; predictions are
batched: the ConfigSpace vector of every genotype is built once and each XGBoost / LightGBM member predicts the
whole batch in one call (other member types are asked one genotype at a time through their own ``query``).

Columns (dataset ``cifar10``, the surrogates' 100-epoch training budget): ``val-accuracy@100`` (noise-free: the
ensemble mean), ``val-accuracy-std@100`` (spread of the members), ``val-accuracy@100/noisy<seed>`` (one draw of
NAS-Bench-301's noisy prediction, mean + N(0, member std), from ``numpy.random.default_rng(seed)``) and, with a
runtime model, ``runtime@100`` (seconds) and ``runtime-std@100``.

Workaround (nasbench301 0.3): importing the package imports every surrogate family, including the GNN ones that
need ``torch_scatter`` / ``torch_cluster`` (compiled extensions without wheels for current PyTorch).  When those
are missing, inert placeholder modules are installed for the duration of the import, so XGBoost / LightGBM
ensembles load; a GNN ensemble then fails with a message naming the package to install.  The package also seeds
NumPy's and PyTorch's global generators while loading; their states are restored afterwards.

Environment: nasbench301 0.3 reads its ``configspace.json`` (format 0.1: no ``q``, unbounded normal floats) with
the ConfigSpace 0.4-0.6 reader; ConfigSpace 0.7.1 and 1.x reject that file, and 0.6.1 is built for NumPy 1.  The
official ensembles are XGBoost 1.x / LightGBM 2.x pickles; XGBoost >= 3.1 no longer reads 1.x pickles.  Hence the
``nb301`` extra pins ``numpy<2``, ``ConfigSpace==0.6.1``, ``xgboost==3.0.5`` (``python3 tasks.py test-nb301``
builds that environment).  The cached benchmark an import writes is plain Arrow and loads under NumPy 2.

>>> from lissnas_bench.benchmarks.official import import_file                               # doctest: +SKIP
>>> bench, log = import_file("nb301", "nb_models_1.0", sample=10000, seed=0)              # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import sys
import types
from pathlib import Path

import numpy as np

from ...errors import DataFileError, InvalidConfig, LissnasBenchError, MissingDependency
from ...spaces import get_space
from .._base import Benchmark
from ._common import Progress, no_progress

EXTRA = "nb301"
DATASET = "cifar10"
EPOCHS = 100
_STUBBED = ("torch_scatter", "torch_cluster")
_BATCH = 4096


@contextlib.contextmanager
def _placeholder_modules():
    """Install inert ``torch_scatter`` / ``torch_cluster`` modules if they cannot be imported; remove after."""
    added = []
    for name in _STUBBED:
        try:
            __import__(name)
        except ImportError:
            mod = types.ModuleType(name)

            def _missing(*a, _n=name, **k):
                raise MissingDependency(_n, EXTRA, "NAS-Bench-301's GNN surrogates")

            mod.__getattr__ = lambda attr, _f=_missing: _f  # every attribute is the failing function
            sys.modules[name] = mod
            added.append(name)
    try:
        yield added
    finally:
        for name in added:
            sys.modules.pop(name, None)


def _nasbench301():
    with contextlib.suppress(ImportError):
        # torch_geometric probes for torch_cluster at import time; let it see the truth before placeholders exist
        import torch_geometric  # noqa: F401
    with _placeholder_modules():
        try:
            import nasbench301  # noqa: F401
            from nasbench301 import api
        except MissingDependency:
            raise
        except ValueError as exc:  # a compiled ConfigSpace < 1 under NumPy 2: "numpy.dtype size changed"
            raise _configspace_error(exc) from exc
        except ImportError as exc:
            missing = getattr(exc, "name", None) or str(exc)
            raise MissingDependency(missing, EXTRA, "NAS-Bench-301 surrogates (nasbench301 imports it)") from exc
    return api


@contextlib.contextmanager
def _keep_global_rng():
    """nasbench301 seeds NumPy's and PyTorch's global generators when it builds a model; undo that."""
    np_state = np.random.get_state()
    torch = sys.modules.get("torch")
    t_state = torch.random.get_rng_state() if torch is not None else None
    try:
        yield
    finally:
        np.random.set_state(np_state)
        if torch is not None and t_state is not None:
            torch.random.set_rng_state(t_state)


def _configspace_error(exc) -> LissnasBenchError:
    try:
        from importlib.metadata import version

        cs = version("ConfigSpace")
    except Exception:  # noqa: BLE001
        cs = "?"
    return LissnasBenchError(
        f"nasbench301 0.3 cannot read its configspace.json with ConfigSpace {cs} under NumPy {np.__version__} "
        f"({type(exc).__name__}: {exc}); it needs ConfigSpace 0.6.1 (0.7.x and 1.x reject the file), which is "
        "built for NumPy 1. Import NB301 in an environment with the 'nb301' extra (numpy<2, ConfigSpace==0.6.1; "
        "`python3 tasks.py test-nb301` builds one as .venv-nb301); the cached benchmark then loads anywhere"
    )


def _from_configspace(exc) -> bool:
    import traceback

    return "ConfigSpace" in "".join(traceback.format_tb(exc.__traceback__))


def find_ensembles(path: Path) -> dict[str, Path]:
    """``{'performance': dir, 'runtime': dir}`` found under ``path`` (a models folder or one ensemble)."""
    path = Path(path)
    if not path.is_dir():
        raise DataFileError(
            f"{path}: NAS-Bench-301 models are a directory (nb_models_1.0/ with xgb_v1.0/, lgb_runtime_v1.0/ ...)"
        )
    members = sorted(p.parent for p in path.rglob("surrogate_model.model"))
    if not members:
        raise DataFileError(f"{path}: no surrogate_model.model found: not a NAS-Bench-301 model directory")
    groups: dict[Path, list[Path]] = {}
    for m in members:  # an ensemble is a folder of member folders
        groups.setdefault(m.parent, []).append(m)
    ens: dict[str, tuple[Path, int]] = {}
    for root, ms in sorted(groups.items()):
        cfg_file = ms[0] / "model_config.json"
        try:
            model = str(json.loads(cfg_file.read_text())["model"])
        except (OSError, ValueError, KeyError) as exc:
            raise DataFileError(f"{cfg_file}: missing or not a NAS-Bench-301 model config ({exc})") from exc
        kind = "runtime" if model.endswith("_time") else "performance"
        rank = {"xgb": 0, "gnn_gin": 1, "lgb": 2}.get(model, 3)  # the paper's recommended surrogates first
        if kind not in ens or rank < ens[kind][1]:
            ens[kind] = (root, rank)
    ens = {k: v[0] for k, v in ens.items()}
    if "performance" not in ens:
        raise DataFileError(f"{path}: no accuracy surrogate (e.g. xgb_v1.0) among {sorted(map(str, groups))}")
    return ens


def load_surrogate(ensemble_dir: Path):
    """``nasbench301.load_ensemble(dir)`` without touching global random state."""
    api = _nasbench301()
    with _keep_global_rng(), _placeholder_modules():
        try:
            return api.load_ensemble(str(ensemble_dir))
        except MissingDependency:
            raise
        except (TypeError, AttributeError, KeyError, ValueError) as exc:
            if _from_configspace(exc):
                raise _configspace_error(exc) from exc
            hint = ""
            if "Invalid serialization" in str(exc):  # XGBoostError (a ValueError) on a 1.x pickle
                hint = "; the official models are XGBoost 1.x pickles, which XGBoost >= 3.1 cannot read: use xgboost<3.1"
                hint += " (the 'nb301' extra pins xgboost==3.0.5)"
            raise DataFileError(f"{ensemble_dir}: cannot load the NAS-Bench-301 ensemble ({exc}){hint}") from exc
        except (OSError, EOFError, ImportError) as exc:
            raise DataFileError(f"{ensemble_dir}: cannot load the NAS-Bench-301 ensemble ({exc})") from exc


def predict(surrogate, configs: list[dict], progress: Progress = no_progress, what: str = "") -> np.ndarray:
    """Member predictions, shape (members, n), for NAS-Bench-301 config dicts (darts entries only).

    Each member's values keep the dtype its model predicts in (float32 for XGBoost), as nasbench301 keeps them.
    """
    api = _nasbench301()
    full = [{**api.fixed_hyperparameters, **c} for c in configs]
    model = surrogate.model
    members = getattr(model, "ensemble_members", None)
    if members is None:
        raise DataFileError(f"{what}: unsupported surrogate type {type(model).__name__} (expected a bagging ensemble)")
    name = type(members[0]).__name__
    chunks = []
    for s in range(0, len(full), _BATCH):
        chunk = full[s : s + _BATCH]
        if name.startswith(("XGBModel", "LGBModel")):
            loader = members[0].config_loader
            X = np.stack([loader.query_config_dict(c).get_array() for c in chunk]).astype(np.float64)
            X[np.isnan(X)] = -1  # as the members' own query() does
            if name.startswith("XGB"):
                import xgboost as xgb

                X = xgb.DMatrix(X)
            chunks.append(np.stack([np.asarray(m.model.predict(X)).reshape(-1) for m in members]))
        else:
            with _placeholder_modules():
                chunks.append(np.stack([np.stack([np.ravel(m.query(c)) for m in members])[:, 0] for c in chunk],
                                       axis=1))
        progress(min(s + _BATCH, len(full)), len(full), what)
    return np.concatenate(chunks, axis=1) if chunks else np.empty((len(members), 0))


def ensemble_stats(members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free prediction and member spread per architecture, exactly as nasbench301 computes them.

    nasbench301's ``query_mean`` / ``query_std`` take ``np.mean`` / ``np.std`` of one architecture's member
    predictions in their own dtype (float32 for XGBoost); reducing each architecture's contiguous row of members
    does the same arithmetic, so the float64 results equal ``SurrogateAPI.predict(..., with_noise=False)``.
    """
    rows = np.ascontiguousarray(np.asarray(members).T)
    return rows.mean(axis=1).astype(np.float64), rows.std(axis=1).astype(np.float64)


PICKLE_WARNING = (
    "the model files are pickles: loading them runs code from the files; pass only models you downloaded from the "
    "official source"
)


def untrusted_error(path) -> InvalidConfig:
    """The one refusal every NB301 model loader raises without an explicit opt-in."""
    return InvalidConfig(
        f"{path}: NAS-Bench-301's surrogate models are XGBoost/LightGBM pickles, and {PICKLE_WARNING}. If these are "
        "the official models (figshare, github.com/automl/nasbench301), opt in with --trust-pickles "
        "(Python: trust_pickles=True)"
    )


def models_fingerprint(ensembles: dict[str, Path]) -> str:
    """SHA-256 over every file of the chosen ensembles (memoised on disk by path, size and mtime)."""
    import hashlib

    from .. import cache

    files = sorted(f for d in ensembles.values() for f in Path(d).rglob("*") if f.is_file())
    tag = json.dumps({k: Path(v).name for k, v in sorted(ensembles.items())}).encode()
    return hashlib.sha256(tag + cache.fingerprint(files).encode()).hexdigest()


def import_nb301(
    path: Path,
    *,
    bench_id: str | None = None,
    verify: bool = True,  # noqa: ARG001 - no checksum is published for the model archives
    progress: Progress = no_progress,
    archs: list[str] | None = None,
    sample: int | None = None,
    seed: int = 0,
    trust_pickles: bool = False,
) -> tuple[Benchmark, list[str]]:
    """Tabulate NAS-Bench-301 predictions for ``archs`` (genotype strings) or a uniform ``sample``.

    The model files are pickles: nothing is loaded unless ``trust_pickles`` (see ``untrusted_error``).
    """
    if not trust_pickles:
        raise untrusted_error(path)
    space = get_space("darts")
    log = ["no checksum is published for the NAS-Bench-301 model archives: not verified"]
    ens = find_ensembles(Path(path))
    if archs:
        a = space.from_strings(archs)
        a = a[np.unique(space.index(a), return_index=True)[1]]
        log.append(f"{len(a)} distinct genotypes from the given list")
    else:
        n = 10_000 if sample is None else int(sample)
        if n < 1:
            raise InvalidConfig(f"--sample must be at least 1, got {n}")
        a = space.sample(n, np.random.default_rng(seed), replace=False)
        log.append(f"{len(a)} genotypes sampled uniformly with seed {seed}")
    configs = space.to_configs(a)
    cols: dict[tuple[str, str], np.ndarray] = {}
    perf = load_surrogate(ens["performance"])
    p = predict(perf, configs, progress, f"{ens['performance'].name} predictions")
    mean, std = ensemble_stats(p)
    cols[(DATASET, f"val-accuracy@{EPOCHS}")] = mean
    cols[(DATASET, f"val-accuracy-std@{EPOCHS}")] = std
    cols[(DATASET, f"val-accuracy@{EPOCHS}/noisy{seed}")] = mean + np.random.default_rng(seed).normal(0.0, 1.0, len(mean)) * std
    log.append(f"accuracy surrogate {ens['performance'].name}: {p.shape[0]} members")
    cost = {}
    if "runtime" in ens:
        rt = predict(load_surrogate(ens["runtime"]), configs, progress, f"{ens['runtime'].name} predictions")
        cols[(DATASET, f"runtime@{EPOCHS}")], cols[(DATASET, f"runtime-std@{EPOCHS}")] = ensemble_stats(rt)
        cost = {DATASET: f"runtime@{EPOCHS}"}
        log.append(f"runtime surrogate {ens['runtime'].name}: {rt.shape[0]} members")
    bench = Benchmark(
        id=bench_id or f"nb301-{ens['performance'].name}",
        space=space,
        archs=a,
        columns=cols,
        source=f"{Path(path).name} (NAS-Bench-301 surrogates {', '.join(e.name for e in ens.values())})",
        description="NAS-Bench-301 surrogate predictions (CIFAR-10 validation accuracy in % after 100 epochs) for "
        "a tabulated set of DARTS genotypes",
        default_dataset=DATASET,
        default_metrics={DATASET: f"val-accuracy@{EPOCHS}"},
        cost_metrics=cost,
        notes=["surrogate predictions, not training results; only the tabulated genotypes can be queried"],
    )
    return bench, log
