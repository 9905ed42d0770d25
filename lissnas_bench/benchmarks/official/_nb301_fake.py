"""A deterministic stand-in for a NAS-Bench-301 ensemble, for tests and ``benchmarks/`` without models.

``FakeBackend`` has the worker backend's interface (``hello()``, ``predict(keys)``) and answers from a fixed
additive function of the genotype's choices (so neighbours have similar values, as on the real surrogate),
without nasbench301, NumPy 1 or any model file.  Start a worker with it through
``--backend lissnas_bench.benchmarks.official._nb301_fake:FakeBackend``.  ``$LISSNAS_FAKE_NB301_SLEEP`` (seconds)
delays every prediction, to test interruptions.

>>> import numpy as np
>>> b = FakeBackend("unused")
>>> r = b.predict([0, 12345])
>>> sorted(r), bool(np.allclose(r["val_mean"], b.predict([0, 12345])["val_mean"]))
(['rt_mean', 'rt_std', 'val_mean', 'val_std'], True)
"""

from __future__ import annotations

import os
import time

import numpy as np


class FakeBackend:
    def __init__(self, models):
        from ...spaces import get_space

        self.space = get_space("darts")
        rng = np.random.default_rng(301)
        self._w = rng.normal(0.0, 0.25, size=(self.space.positions, 7))
        self._w_rt = rng.uniform(0.0, 300.0, size=(self.space.positions, 7))

    def hello(self) -> dict:
        return {"versions": {"fake": "1"}, "ensembles": {"performance": "fake_v1.0", "runtime": "fake_runtime_v1.0"},
                "members": {"performance": 3, "runtime": 3}}

    def predict(self, keys) -> dict:
        delay = float(os.environ.get("LISSNAS_FAKE_NB301_SLEEP", "0") or 0)
        if delay:
            time.sleep(delay)
        a = self.space.from_index(np.asarray(keys, dtype=np.int64)).astype(np.intp)
        pos = np.arange(self.space.positions)
        score = self._w[pos, a].sum(axis=1)
        return {
            "val_mean": (90.0 + score).tolist(),
            "val_std": (0.1 + 0.05 * (a.sum(axis=1) % 5)).tolist(),
            "rt_mean": (2000.0 + self._w_rt[pos, a].sum(axis=1)).tolist(),
            "rt_std": (10.0 + a[:, 1]).astype(float).tolist(),
        }
