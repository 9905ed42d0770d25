"""AnalogNAS-Bench (package ``analog-nasbench``): all 15,625 NAS-Bench-201 cells on CIFAR-10.

The package's ``import analognasbench`` needs ``pkg_resources`` (gone from current setuptools), so we locate its
``data.anb`` without importing it and read it with a restricted unpickler.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DataFileError
from ._unpickle import Record, restricted_load

if TYPE_CHECKING:  # listing benchmarks reads this module's constants: numpy and the space load in build()
    from ._base import Benchmark

ID = "analognas"
DATASET = "cifar10"
SPACE = "nb201"
VERSION = 1
ACCURACIES = ["baseline_accuracy", "ptq_accuracy", "qat_accuracy", "noisy_accuracy", "analog_accuracy"]
DRIFTS = [f"{kind}_drift_{t}" for kind in ("baseline", "analog") for t in (60, 3600, 86400, 2592000)]
SOURCE = "PyPI package analog-nasbench 0.1.3 (AnalogNAS-Bench, IBM), file analognasbench/data.anb"


def data_file() -> Path:
    spec = importlib.util.find_spec("analognasbench")
    if spec is None or not spec.submodule_search_locations:
        raise DataFileError("the package analog-nasbench is not installed: pip install analog-nasbench")
    path = Path(next(iter(spec.submodule_search_locations))) / "data.anb"
    if not path.exists():
        raise DataFileError(f"analog-nasbench is installed but {path} is missing")
    return path


def _drift_value(d) -> tuple[float, float]:
    # DriftMeasurement(value, uncertainty); the package parses "v ± u" strings into it.
    nan = float("nan")
    if isinstance(d, Record):
        return float(d.__dict__.get("value", nan)), float(d.__dict__.get("uncertainty", nan))
    if isinstance(d, (int, float)):
        return float(d), 0.0
    return nan, nan


def build(digest: str, path: Path | None = None) -> Benchmark:
    import numpy as np

    from ..spaces import get_space
    from ._base import Benchmark, minimized_by_name

    path = path or data_file()
    data = restricted_load(
        path,
        {("analognasbench.data", "Architecture"): Record, ("analognasbench.data", "DriftMeasurement"): Record},
        "AnalogNAS-Bench data.anb",
    )
    if not isinstance(data, dict) or not data:
        raise DataFileError(f"{path}: expected a dict of architectures, got {type(data).__name__}")
    space = get_space("nb201")
    keys = np.array(list(data.keys()), dtype=np.int64)
    if keys.ndim != 2 or keys.shape[1] != 6:
        raise DataFileError(f"{path}: keys are not NASLib 6-tuples")
    recs = list(data.values())
    cols: dict[tuple[str, str], np.ndarray] = {}
    for m in ACCURACIES:
        cols[(DATASET, m)] = np.array([getattr(r, m, np.nan) for r in recs], dtype=np.float64)
    for m in DRIFTS:
        vu = np.array([_drift_value(getattr(r, m, None)) for r in recs], dtype=np.float64).reshape(-1, 2)
        cols[(DATASET, m)] = vu[:, 0]
        cols[(DATASET, f"{m}_uncertainty")] = vu[:, 1]
    return Benchmark(
        id=ID,
        space=space,
        archs=space.from_naslib(keys),
        columns=cols,
        source=SOURCE,
        description="NAS-Bench-201 cells trained on CIFAR-10 and evaluated digitally, quantised and on "
        "simulated analog hardware (accuracies in %; drift = accuracy after t seconds of conductance drift)",
        default_dataset=DATASET,
        default_metrics={DATASET: "baseline_accuracy"},
        data_hash=digest,
        minimize=minimized_by_name(cols),
    )


def sources() -> list[Path]:
    return [data_file()]
