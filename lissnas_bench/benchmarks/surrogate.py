"""The live NAS-Bench-301 surrogate: a benchmark that answers *any* DARTS genotype when it is asked.

``load_benchmark("nb301", models="nb_models_1.0", trust_pickles=True)`` returns a ``SurrogateBenchmark``.  The
architectures of each query that were never answered before go, in one batch, to NAS-Bench-301's ensembles in
their side environment (``official/nb301_client.py``, a worker process); every answer is kept in an append-only
on-disk store (``store.py``) keyed by the genotype's canonical ``darts`` index, so a rerun is fast, offline and
gives the same numbers.  The store belongs to one set of models (their files' SHA-256) and one nasbench301 /
XGBoost / LightGBM version; answers of others are never mixed in.

Contract (what runners, evaluation and the CLI may rely on; the same as a tabulated ``Benchmark`` where both
make sense): ``id``, ``space`` (``darts``), ``data_hash`` (the models' fingerprint), ``datasets``, ``metrics(d)``,
``resolve(d, m)`` (aliases ``val_accuracy``, ``runtime`` accepted), ``maximize(d, m)``, ``default_dataset``,
``default_metrics``, ``cost_metrics`` (``runtime@100`` when the models folder has a runtime model),
``domain(d, m)`` (the whole ``darts`` space), ``query(archs, d, m)`` (no budget), ``info()``, ``close()``.
``live`` is True and ``archs`` is ``None``: there are no rows, so ``Oracle(bench, ...)`` is a ``LiveOracle``,
searches use ``search/_live.py`` and ``evaluate`` estimates by Monte-Carlo.  ``columns``, ``rows`` and
``column`` raise: a table of 1e18 rows does not exist.

Metrics (dataset ``cifar10``): ``val-accuracy@100`` (the ensemble mean: nasbench301's
``predict(..., with_noise=False)``), ``val-accuracy-std@100`` (the members' spread), ``val-accuracy@100/noisy<seed>``
(nasbench301's noisy prediction, mean + std * z, with z a standard normal fixed by ``(seed, genotype)``: the same
value on every repeat and every run with that seed) and, with a runtime model, ``runtime@100``,
``runtime-std@100`` (seconds).

>>> import tempfile, numpy as np, lissnas_bench as lb
>>> from lissnas_bench.benchmarks.surrogate import SurrogateBenchmark
>>> from lissnas_bench.benchmarks.official._nb301_fake import FakeBackend
>>> b = SurrogateBenchmark(None, predictor=FakeBackend(None), store=tempfile.mkdtemp())
>>> a = b.space.sample(3, np.random.default_rng(0))
>>> v = b.query(a); bool(np.array_equal(v, b.query(a))), b.stats()["predicted"]
(True, 3)
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .._io import home, write_json_atomic
from ..errors import InvalidConfig, UnknownBenchmark
from ..spaces import get_space
from ._base import Benchmark, minimized_by_name
from ._listing import registered_surrogates, registry_dir  # noqa: F401 - registered_surrogates is public here
from .store import AnswerStore

DATASET = "cifar10"
VAL, VAL_STD, RT, RT_STD = "val-accuracy@100", "val-accuracy-std@100", "runtime@100", "runtime-std@100"
_COLUMNS = ("val_mean", "val_std", "rt_mean", "rt_std")


def noise_normals(seed: int, keys) -> np.ndarray:
    """One standard normal per ``(seed, key)``: splitmix64 hashes of the pair, then Box-Muller.

    >>> z = noise_normals(0, np.arange(100_000)); round(float(z.mean()), 2), round(float(z.std()), 2)
    (0.0, 1.0)
    """
    k = np.asarray(keys, dtype=np.int64).astype(np.uint64)
    s = np.uint64(int(seed) & (2**64 - 1))
    u = [(_splitmix(_splitmix(k ^ s) + np.uint64(j)) >> np.uint64(11)).astype(np.float64) * 2.0**-53
         for j in (1, 2)]
    return np.sqrt(-2.0 * np.log1p(-u[0])) * np.cos(2.0 * math.pi * u[1])


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class _NoRows(Mapping):
    """``columns`` of a live benchmark: the names are there, a whole column is not."""

    def __init__(self, names):
        self._names = list(names)

    def __getitem__(self, key):
        raise InvalidConfig(f"the live NAS-Bench-301 surrogate has no table of rows ({key!r} would be ~1e18 "
                            "values): ask it with query() or through an Oracle")

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)


class SurrogateBenchmark(Benchmark):
    """A live NAS-Bench-301 surrogate (see the module docstring).  ``predictor`` replaces the worker (tests)."""

    live = True

    def __init__(self, models, *, bench_id: str = "nb301", trust_pickles: bool = False, seed: int = 0,
                 python=None, store=None, predictor=None, backend: str | None = None):
        from .official import nb301

        self.models = None if models is None else Path(models).expanduser().resolve()
        if predictor is None:
            if not trust_pickles:
                raise nb301.untrusted_error(self.models)
            ens = nb301.find_ensembles(self.models)  # reads only the JSON configs
            names = {k: v.name for k, v in ens.items()}
            fingerprint = nb301.models_fingerprint(ens)
        else:
            names, fingerprint = predictor.hello()["ensembles"], f"planted-{type(predictor).__name__}"
        self.seed = int(seed)
        self.has_runtime = "runtime" in names
        metrics = [VAL, VAL_STD, f"{VAL}/noisy{self.seed}"] + ([RT, RT_STD] if self.has_runtime else [])
        self._metric_names = [(DATASET, m) for m in metrics]
        self.id, self.space, self.archs, self.keys = bench_id, get_space("darts"), None, None
        self.columns = _NoRows(self._metric_names)
        self.source = f"NAS-Bench-301 surrogates {', '.join(names.values())} (live){' in ' + str(self.models) if self.models else ''}"
        self.description = ("NAS-Bench-301 surrogate predictions, computed on demand for any DARTS genotype "
                            "(CIFAR-10 validation accuracy in % after 100 epochs)")
        self.default_dataset, self.default_metrics = DATASET, {DATASET: VAL}
        self.cost_metrics = {DATASET: RT} if self.has_runtime else {}
        self.data_hash, self.ensembles = fingerprint, names
        self.notes = ["surrogate predictions, not training results; every genotype can be queried"]
        from .official._names import nb301_aliases

        self.minimize, self.aliases = minimized_by_name(self._metric_names), {DATASET: nb301_aliases(metrics)}
        self._check_names()
        self._lookup, self._domains = False, {}
        root = Path(store) if store is not None else home() / "surrogates" / f"nb301-{fingerprint[:16]}"
        self.store = AnswerStore(root, {"kind": "nb301", "models": fingerprint, "ensembles": names},
                                 _COLUMNS if self.has_runtime else _COLUMNS[:2])
        if predictor is None:
            from .official.nb301_client import WorkerClient

            predictor = WorkerClient(self.models, python=python, backend=backend, trust_pickles=trust_pickles)
        self.predictor = predictor
        self._versions_checked = False
        self._counts = {"asked": 0, "predicted": 0}
        self._finalizer = weakref.finalize(self, _close, self.store, predictor)

    # ------------------------------------------------------------------ names and contract
    def _names(self):
        return self._metric_names

    def __len__(self) -> int:
        return int(self.space.size)

    def oracle_class(self):
        from .live_oracle import LiveOracle

        return LiveOracle

    def domain(self, dataset=None, metric=None):
        self.resolve(dataset, metric)
        return self.space

    def rows(self, archs, *, missing: str = "raise"):
        raise InvalidConfig("the live NAS-Bench-301 surrogate has no rows: use space.index(archs) as the key")

    def column(self, dataset=None, metric=None):
        return self.columns[self.resolve(dataset, metric)]

    # ------------------------------------------------------------------ answers
    def answers(self, keys) -> dict[str, np.ndarray]:
        """Stored statistics of canonical ``darts`` indices; the missing ones are predicted (one batch) first."""
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        found, vals = self.store.get(keys)
        self._counts["asked"] += len(keys)
        if not found.all():
            todo = np.unique(keys[~found])
            if not self._versions_checked:
                self.store.check_versions(self.predictor.hello()["versions"])
                self._versions_checked = True
            new = self.predictor.predict(todo)
            self.store.add(todo, {c: new[c] for c in self.store.columns})
            self._counts["predicted"] += len(todo)
            pos = np.searchsorted(todo, keys[~found])
            for c in self.store.columns:
                vals[c][~found] = np.asarray(new[c], dtype=np.float64)[pos]
        return vals

    def values_of_keys(self, keys, dataset=None, metric=None) -> np.ndarray:
        """Values of (dataset, metric) for canonical ``darts`` indices."""
        _, metric = self.resolve(dataset, metric)
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        a = self.answers(keys)
        if metric == VAL:
            return a["val_mean"]
        if metric == VAL_STD:
            return a["val_std"]
        if metric == RT:
            return a["rt_mean"]
        if metric == RT_STD:
            return a["rt_std"]
        return a["val_mean"] + a["val_std"] * noise_normals(self.seed, keys)

    def query(self, archs, dataset=None, metric=None) -> np.ndarray:
        """Metric values of ``archs`` (any valid encodings; canonicalised), without a budget."""
        return self.values_of_keys(self.space.index(archs), dataset, metric)

    def stats(self) -> dict:
        """Architectures asked for, predicted by the surrogate (the rest came from the store), and stored."""
        return {**self._counts, "stored": len(self.store)}

    def info(self) -> dict:
        out = super().info()
        out.update(architectures=int(self.space.size), live=True, store=str(self.store.root),
                   stored_answers=len(self.store), ensembles=self.ensembles, noise_seed=self.seed)
        return out

    def close(self) -> None:
        """Write pending answers and stop the worker (also done at exit)."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self) -> str:
        return f"<SurrogateBenchmark {self.id}: live NAS-Bench-301 ({', '.join(self.ensembles.values())}), " \
               f"{len(self.store)} stored answers>"


def _close(store: AnswerStore, predictor) -> None:
    try:
        store.close()
    finally:
        close = getattr(predictor, "close", None)
        if close is not None:
            close()


# ---------------------------------------------------------------------------------------------- registered ids
def _registry() -> Path:
    return registry_dir()


def register_surrogate(models, bench_id: str = "nb301", *, force: bool = False) -> dict:
    """Remember a models folder under an id, so ``load_benchmark(id, trust_pickles=True)`` opens it live."""
    from . import cache
    from .official import nb301

    cache.check_id(bench_id)
    models = Path(models).expanduser().resolve()
    ens = nb301.find_ensembles(models)  # a folder in the official layout, or a clear error now
    path = _registry() / f"{bench_id}.json"
    if path.exists() and not force:
        raise InvalidConfig(f"a live surrogate {bench_id!r} is already registered; pass --force to replace it")
    entry = {"id": bench_id, "kind": "nb301", "models": str(models), "ensembles": {k: v.name for k, v in ens.items()}}
    write_json_atomic(path, entry)
    return {**entry, "path": str(path)}


def open_surrogate(name: str, models=None, **options) -> SurrogateBenchmark:
    """The live surrogate ``name`` (``nb301`` with ``models``, or a registered id)."""
    if models is None:
        entry = next((r for r in registered_surrogates() if r.get("id") == name), None)
        if entry is None:
            raise UnknownBenchmark(name, ["nb301 with models=PATH (--surrogate PATH)"]
                                   + [r["id"] for r in registered_surrogates()])
        models = entry["models"]
    return SurrogateBenchmark(models, bench_id=name, **options)
