"""NB201 / NATS-Bench per-architecture records, read field by field without the official classes.

A release maps each architecture index to ``{hp: ArchResults-state}``; an ArchResults state holds
``dataset_seed = {dataset: [seed, ...]}`` and ``all_results = {(dataset, seed): ResultsCount-state}``, and a
ResultsCount state holds the per-epoch dicts (``train_acc1es``, ``eval_acc1es['x-valid@199']``, ...).

The official ``ArchResults.create_from_state_dict`` takes a string for a file *path* and unpickles that file
(``pickle.load`` in nats_bench, ``torch.load`` in nas_201_api), so a record can make an import run code.  Here
every field is type-checked where it is taken: a string, list or foreign object where a dict or a number is
expected is a ``DataFileError`` naming the field.  The arithmetic is the official classes' own (``get_train``,
``get_eval``, ``get_compute_costs``), so the values are the numbers their API returns; what the official code
would have failed on (a missing epoch, a missing trial) is reported as a problem, as before.

>>> rc = {"epochs": 2, "train_acc1es": {0: 50.0, 1: 60.0}, "train_losses": {0: 1.0, 1: 0.5},
...       "train_times": {0: 3.0, 1: 4.0}, "eval_names": [], "flop": 1.0, "params": 2.0, "latency": None}
>>> sorted(trial_values({"dataset_seed": {"cifar10": [7]}, "all_results": {("cifar10", 7): rc}}, "a[0]['12']"))
[('cifar10', 7, 'train-accuracy', 60.0), ('cifar10', 7, 'train-loss', 0.5), ('cifar10', 7, 'train-time', 7.0)]
"""

from __future__ import annotations

import numpy as np

from ...errors import DataFileError

_NUMBER = (int, float, np.integer, np.floating)


class Missing(Exception):
    """What the official API would have raised on (a missing epoch or trial): one problem, not fatal."""


def _type(x) -> str:
    return type(x).__name__


def need_dict(x, where: str, what: str = "a dict") -> dict:
    if not isinstance(x, dict):
        raise DataFileError(f"{where} is {_type(x)}, expected {what}")
    return x


def _number(x, where: str, *, optional: bool = True):
    if x is None and optional:
        return None
    if isinstance(x, bool) or not isinstance(x, _NUMBER):
        raise DataFileError(f"{where} is {_type(x)}, expected a number")
    return x


def _at(d, key, where: str):
    """``d[key]`` checked to be a number; a missing key is what the official code raised KeyError on."""
    if d is None:
        raise Missing(f"{where} is missing")
    need_dict(d, where)
    if key not in d:
        raise Missing(f"{where}[{key!r}] is missing")
    return _number(d[key], f"{where}[{key!r}]")


def _sum_upto(d, keys, where: str):
    return sum(_at(d, k, where) for k in keys)


def _epochs(rc: dict, where: str) -> int:
    e = rc.get("epochs")
    if isinstance(e, bool) or not isinstance(e, (int, np.integer)):
        raise DataFileError(f"{where}['epochs'] is {_type(e)}, expected an int")
    if e < 1:
        raise Missing(f"{where}: invalid number of epochs {e}")
    return int(e)


def _train(rc: dict, E: int, where: str) -> dict:
    """``ResultsCount.get_train()``: values after the last epoch; time = total over epochs 0..E-1."""
    last = E - 1
    times = rc.get("train_times")
    atime = None if times is None else _sum_upto(times, range(last + 1), f"{where}['train_times']")
    return {
        "loss": _at(rc.get("train_losses"), last, f"{where}['train_losses']"),
        "accuracy": _at(rc.get("train_acc1es"), last, f"{where}['train_acc1es']"),
        "all_time": atime,
    }


def _eval(rc: dict, name: str, E: int, where: str) -> dict:
    """``ResultsCount.get_eval(name)``; ``'valid'`` means ``'x-valid'`` as in the official API."""
    xname = "x-valid" if name == "valid" else name
    last = E - 1
    key = f"{xname}@{last}"
    times = rc.get("eval_times", {})
    atime = None
    if isinstance(times, dict) and len(times):
        atime = _sum_upto(times, (f"{xname}@{i}" for i in range(last + 1)), f"{where}['eval_times']")
    return {
        "loss": _at(rc.get("eval_losses", {}), key, f"{where}['eval_losses']"),
        "accuracy": _at(rc.get("eval_acc1es", {}), key, f"{where}['eval_acc1es']"),
        "all_time": atime,
    }


def _eval_names(rc: dict, where: str) -> list[str]:
    names = rc.get("eval_names", [])
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise DataFileError(f"{where}['eval_names'] is {_type(names)}, expected a list of strings")
    return list(names)


def _trials(state: dict, where: str):
    """(dataset, seed, ResultsCount-state, its field path) for every trial of an ArchResults state."""
    dataset_seed = need_dict(state.get("dataset_seed", {}), f"{where}['dataset_seed']")
    all_results = need_dict(state.get("all_results", {}), f"{where}['all_results']")
    for ds, seeds in dataset_seed.items():
        if not isinstance(ds, str):
            raise DataFileError(f"{where}['dataset_seed'] has the key {ds!r} ({_type(ds)}), expected a dataset name")
        if not isinstance(seeds, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
            raise DataFileError(f"{where}['dataset_seed'][{ds!r}] is {_type(seeds)}, expected a list of int seeds")
        for seed in seeds:
            at = f"{where}['all_results'][({ds!r}, {seed})]"
            rc = all_results.get((ds, seed))
            yield ds, seed, (None if rc is None else need_dict(rc, at, "a dict (a ResultsCount state)")), at


def trial_values(state, where: str, problems: list | None = None):
    """(dataset, seed, measure, value) for every trial of one ArchResults state at the end of training.

    ``measure``: ``train-accuracy``, ``train-loss``, ``train-time``, ``<set>-accuracy``, ``<set>-loss``,
    ``<set>-time``.  A trial the official API could not have read goes to ``problems`` (or raises).
    """
    need_dict(state, where, "a dict (an ArchResults state)")
    out = []
    for ds, seed, rc, at in _trials(state, where):
        try:
            if rc is None:
                raise Missing(f"{at} is missing")
            E = _epochs(rc, at)
            t = _train(rc, E, at)
        except Missing as exc:
            _problem(problems, exc)
            continue
        out += [(ds, seed, f"train-{k}", t[v]) for k, v in (("accuracy", "accuracy"), ("loss", "loss"),
                                                            ("time", "all_time"))]
        for name in _eval_names(rc, at):
            try:
                ev = _eval(rc, name, E, at)
            except Missing as exc:
                _problem(problems, exc)
                continue
            out += [(ds, seed, f"{name}-{k}", ev[v]) for k, v in (("accuracy", "accuracy"), ("loss", "loss"),
                                                                  ("time", "all_time"))]
    return out


def _problem(problems, exc) -> None:
    if problems is None:
        raise DataFileError(str(exc))
    problems.append(str(exc))


def compute_costs(state: dict, dataset: str, *, nats: bool) -> dict:
    """``ArchResults.get_compute_costs(dataset)`` -> flops, params, latency; ``{}`` where the official code fails.

    ``nats``: NATS-Bench's version, which keeps seed 888's value when the seeds disagree (a legacy fix).
    """
    try:
        results = [state["all_results"][(dataset, s)] for s in state["dataset_seed"][dataset]]
        seeds = list(state["dataset_seed"][dataset])
        if not results or not all(isinstance(r, dict) for r in results):
            return {}
        flops = [_number(r.get("flop"), "flop", optional=False) for r in results]
        params = [_number(r.get("params"), "params", optional=False) for r in results]
        if nats:
            flops, params = _legacy_fix(flops, seeds), _legacy_fix(params, seeds)
        latencies = [x for x in (_latency(r.get("latency")) for r in results) if x > 0]
        if not _times_ok(results, nats):
            return {}
    except (KeyError, TypeError, ValueError, ZeroDivisionError, DataFileError):
        return {}
    if nats:
        return {"flops": sum(flops) / len(flops), "params": sum(params) / len(params),
                "latency": sum(latencies) / len(latencies) if latencies else None}
    return {"flops": np.mean(flops), "params": np.mean(params),
            "latency": np.mean(latencies) if latencies else None}


def _legacy_fix(values: list, seeds: list) -> list:
    if len(values) > 1 and len({f"{x:.5f}" for x in values}) > 1:
        return [values[seeds.index(888)]]  # ValueError without seed 888, as in nats_bench
    return values


def _latency(lat) -> float:
    """``ResultsCount.get_latency``: -1 when unknown, else the mean of the measured list."""
    if lat is None:
        return -1.0
    if not isinstance(lat, (list, tuple)):
        raise TypeError("latency is not a list")
    return sum(_number(x, "latency", optional=False) for x in lat) / len(lat)


def _times_ok(results: list, nats: bool) -> bool:
    """Whether ``get_compute_costs`` would get through its time averages (it fails on mixed None/number)."""
    infos: dict[str, list] = {}
    for r in results:
        times = r.get("train_times")
        if isinstance(times, dict):
            vals = [_number(v, "train_times", optional=False) for v in times.values()]
            if nats and not vals:
                return False  # nats_bench's mean() of nothing divides by zero
            t = sum(vals)
        else:
            t = None
        infos.setdefault("train", []).append(t)
        eval_times = r.get("eval_times", {})
        epochs = r.get("epochs")
        for name in r.get("eval_names", []) or []:
            try:
                xs = [eval_times[f"{name}@{i}"] for i in range(epochs)]
                t = sum(_number(x, "eval_times", optional=False) for x in xs)
            except Exception:  # noqa: BLE001 - the official code turns any failure here into None
                t = None
            infos.setdefault(name, []).append(t)
    return all(v[0] is None or all(x is not None for x in v) for v in infos.values())
