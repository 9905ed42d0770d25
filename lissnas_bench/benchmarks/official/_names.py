"""What every importer declares about its metrics: which are better when lower, and their original names.

Directions follow the naming scheme of docs/data.md (``lower_is_better``: losses, errors, times, latency, FLOPs,
parameters and spreads are minimised, accuracies maximised).  Aliases are the names users know from each
benchmark's own paper and code, mapped onto ours; a bare original name means the longest training budget of the
release, ``name@E`` a given budget, and a trial suffix (``/seed777``, ``/run0``) one trial.  Values keep our
units (accuracies in percent, also where the original API returns fractions).

>>> sorted(nb101_measures().items())[:2]
[('halfway-test-accuracy', ['halfway_test_accuracy']), ('halfway-train-accuracy', ['halfway_train_accuracy'])]
"""

from __future__ import annotations

from .._base import Benchmark, minimized_by_name
from ._common import split_metric

#: NAS-Bench-201 / NATS-Bench ``get_more_info`` names of our evaluation sets, per dataset
_NB201_SETS = {
    "cifar10-valid": {"x-valid": "valid", "ori-test": "test"},
    "cifar10": {"ori-test": "test"},
    "cifar100": {"x-valid": "valid", "x-test": "test", "ori-test": "valtest"},
    "ImageNet16-120": {"x-valid": "valid", "x-test": "test", "ori-test": "valtest"},
}
_NB101_FIELDS = ("train-accuracy", "validation-accuracy", "test-accuracy", "training-time")


def nb201_measures(dataset: str) -> dict[str, list[str]]:
    """Our NB201 / NATS-Bench measure -> its ``get_more_info`` key(s) on ``dataset``."""
    out = {"train-accuracy": ["train-accuracy"], "train-loss": ["train-loss"], "train-time": ["train-all-time"]}
    for ours, theirs in _NB201_SETS.get(dataset, {}).items():
        out[f"{ours}-accuracy"] = [f"{theirs}-accuracy"]
        out[f"{ours}-loss"] = [f"{theirs}-loss"]
        out[f"{ours}-time"] = [f"{theirs}-all-time"]
    return out


def nb101_measures() -> dict[str, list[str]]:
    """Our NB101 measure -> the keys of ``NASBench.query`` / ``get_metrics_from_spec`` (``final_...``)."""
    out = {}
    for f in _NB101_FIELDS:
        key = f.replace("-", "_")
        out[f] = [key, f"final_{key}"]
        out[f"halfway-{f}"] = [f"halfway_{key}"]
    return out


def _budget_aliases(bench: Benchmark, measures) -> dict[str, dict[str, str]]:
    """Aliases ``orig@E[/trial]`` for every budget and ``orig[/trial]`` for the longest one."""
    out: dict[str, dict[str, str]] = {}
    for d in bench.datasets:
        table = measures(d)
        parsed = [(m, *split_metric(m)) for m in bench.metrics(d)]
        budgets = [e for _, _, e, _ in parsed if e is not None]
        top = max(budgets) if budgets else None
        for m, measure, epochs, trial in parsed:
            for orig in table.get(measure, ()):
                tail = f"/{trial}" if trial else ""
                if epochs is not None:
                    out.setdefault(d, {})[f"{orig}@{epochs}{tail}"] = m
                if epochs == top or epochs is None:
                    out.setdefault(d, {})[f"{orig}{tail}"] = m
    return out


def aliases_for(kind: str, bench: Benchmark) -> dict[str, dict[str, str]]:
    """The original metric names of an imported benchmark of ``kind``."""
    if kind in ("nb201", "nats-tss", "nats-sss"):
        return _budget_aliases(bench, nb201_measures)
    if kind == "nb101":
        out = _budget_aliases(bench, lambda d: nb101_measures())
        for d in bench.datasets:
            if "params" in bench.metrics(d):
                out.setdefault(d, {})["trainable_parameters"] = "params"
        return out
    if kind == "nb301":
        return {d: nb301_aliases(bench.metrics(d)) for d in bench.datasets}
    if kind == "macro":
        return {d: macro_aliases(bench.metrics(d)) for d in bench.datasets}
    return {}


def nb301_aliases(metrics) -> dict[str, str]:
    """nasbench301's training-data names (``val_accuracy_final``, ``runtime``) for the surrogate's columns."""
    out = {}
    if "val-accuracy@100" in metrics:
        out.update({"val_accuracy": "val-accuracy@100", "val_accuracy_final": "val-accuracy@100"})
    if "runtime@100" in metrics:
        out["runtime"] = "runtime@100"
    return out


def macro_aliases(metrics) -> dict[str, str]:
    """NAS-Bench-Macro's JSON fields: ``mean_acc``, ``std``, ``test_acc[i]`` (``params``, ``flops`` are ours too)."""
    out = {"mean_acc": "test-accuracy", "std": "test-accuracy-std"}
    out.update({f"test_acc[{m.rsplit('run', 1)[1]}]": m for m in metrics if m.startswith("test-accuracy/run")})
    return {a: m for a, m in out.items() if m in metrics}


def declare(kind: str, bench: Benchmark) -> Benchmark:
    """Set the directions and aliases an importer of ``kind`` declares (in place; returns ``bench``)."""
    bench.minimize = minimized_by_name(bench.columns)
    bench.aliases = aliases_for(kind, bench)
    bench._check_names()
    return bench
