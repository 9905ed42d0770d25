"""The settings of a locality analysis (one validated dataclass) and the random streams it draws from.

``LocalitySettings`` declares every constraint with ``param(...)`` (``lissnas_bench._params``); the rules that
need the space (the largest distance, graph edit distance support) are applied by ``resolve``, and the walk length
that depends on the mode by ``for_mode``.  ``analyze_locality`` stores the resolved settings with its result.

>>> st = LocalitySettings.build({"samples": "200", "mode": "exact"})   # strings are accepted, as from a CLI
>>> st.samples, st.mode, st.max_distance
(200, 'exact', None)
>>> LocalitySettings(walks=0)
Traceback (most recent call last):
...
lissnas_bench.errors.InvalidConfig: locality: walks must be >= 1, got 0
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._params import Params, at, param, require
from ..errors import InvalidConfig

#: fractions q of the top sets used for neighbour enrichment
DEFAULT_TOP_FRACTIONS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
#: metric names containing one of these are treated as "lower is better" unless told otherwise
_LOWER_IS_BETTER = (
    "loss", "error", "latency", "time", "param", "para", "flops", "energy", "uncertainty", "memory", "cost", "size",
)
#: default number of steps of every walk (exact mode walks on the precomputed graph, so they are cheap)
EXACT_WALK_LENGTH = 500
SAMPLED_WALK_LENGTH = 20
#: the largest distance analysed unless told otherwise (or the space's diameter if smaller)
DEFAULT_MAX_DISTANCE = 6


def infer_maximize(metric: str) -> bool:
    """True unless the metric name says lower is better (loss, error, latency, params, ...).

    >>> infer_maximize("valid-accuracy"), infer_maximize("latency"), infer_maximize("train-loss")
    (True, False, False)
    """
    m = metric.lower()
    return not any(h in m for h in _LOWER_IS_BETTER)


@dataclass(frozen=True)
class LocalitySettings(Params):
    """The analysis settings, validated on construction; stored (resolved) with every result.

    ``None`` means "the default for the space / metric / mode": ``max_distance`` 6 or the space's diameter if
    smaller, ``walk_length`` 500 steps in exact mode and max(20, 2K) in sampled mode, ``maximize`` from the
    metric's name (``infer_maximize``), ``seed`` fresh entropy (not reproducible).

    >>> LocalitySettings(max_distance=3, walk_length=3)
    Traceback (most recent call last):
    ...
    lissnas_bench.errors.InvalidConfig: locality: walk_length must be > max_distance (3) to estimate lags 1..3, got 3
    """

    where = "locality"

    max_distance: int | None = param(None, ge=1, help="largest distance / lag K (default: 6 or the diameter)")
    samples: int = param(1000, ge=2, help="pairs per distance drawn (exact: distributions; sampled: every estimate)")
    distance: str = param("hamming", choices=("hamming", "ged"), help="Hamming on the canonical encoding, or GED")
    mode: str = param("auto", choices=("auto", "exact", "sampled"), help="exact where affordable, else sampled")
    walks: int = param(100, ge=1, help="random walks of the walk estimate of the autocorrelation (exact mode)")
    walk_length: int | None = param(None, ge=2, help="steps per walk (default 500 exact, max(20, 2K) sampled)")
    permutations: int = param(999, ge=0, help="permutations of the locality test")
    bootstrap: int = param(1000, ge=0, help="bootstrap replicates of the intervals")
    confidence: float = param(0.95, ge=0.5, lt=1, help="level of every interval")
    top_fractions: tuple[float, ...] = param(DEFAULT_TOP_FRACTIONS, gt=0, lt=1, help="top-set fractions q")
    maximize: bool | None = param(None, help="direction of the metric (default: from its name)")
    ged_timeout: float = param(1.0, gt=0, help="seconds per graph edit distance")
    permutation_pairs: int = param(20_000, ge=2, help="neighbour pairs drawn for the permutation test (at most)")
    seed: int | None = param(0, ge=0, help="seed of every random choice (None: fresh entropy)")

    def check(self) -> None:
        require(len(self.top_fractions) > 0, "top_fractions", "must hold at least one fraction in (0, 1)")
        K, length = self.max_distance, self.walk_length
        if K is not None and length is not None:
            require(length > K, "walk_length", f"must be > max_distance ({K}) to estimate lags 1..{K}, got {length}")

    def resolve(self, space, metric: str) -> LocalitySettings:
        """These settings for one space and metric: ``max_distance`` and ``maximize`` filled in, the distance
        checked against the largest one the space has (``InvalidConfig`` naming the field otherwise)."""
        limit, what = _distance_limit(space, self.distance)
        K = min(DEFAULT_MAX_DISTANCE, limit) if self.max_distance is None else self.max_distance
        with at(self.where):
            require(K <= limit, "max_distance",
                    f"{K} is beyond {space.name}'s largest {self.distance} distance {limit} ({what})")
        maximize = infer_maximize(metric) if self.maximize is None else self.maximize
        return dataclasses.replace(self, max_distance=K, maximize=maximize)

    def for_mode(self, mode: str) -> LocalitySettings:
        """``walk_length`` filled in for the mode that runs (after ``resolve``)."""
        if self.walk_length is not None:
            return self
        length = EXACT_WALK_LENGTH if mode == "exact" else max(SAMPLED_WALK_LENGTH, 2 * self.max_distance)
        return dataclasses.replace(self, walk_length=length)


def _distance_limit(space, distance: str) -> tuple[int, str]:
    if distance == "ged":
        from .ged import GED_SPACES, max_ged, to_graph

        if getattr(space, "base", space).name not in GED_SPACES:
            to_graph(space, None)  # raises the InvalidConfig naming the supported spaces
        return max_ged(space), "the largest possible graph edit distance"
    return int(space.diameter), "the space's diameter (positions with more than one choice)"


_UNSET = object()


def settings_from(settings=None, rng=_UNSET, overrides=None) -> tuple[LocalitySettings, np.random.Generator | None]:
    """The one place where keyword arguments become settings: ``settings`` (a ``LocalitySettings``, a mapping or
    None) updated by ``overrides`` (unknown names raise ``UnknownName``), and ``rng``: an int seed (stored as
    ``seed``), None (fresh entropy) or a ``numpy.random.Generator`` (returned; ``seed`` is then None).

    >>> st, gen = settings_from({"samples": 300}, rng=4, overrides={"walks": 20})
    >>> st.samples, st.walks, st.seed, gen
    (300, 20, 4, None)
    """
    base = settings if isinstance(settings, LocalitySettings) else LocalitySettings.build(settings)
    given = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    given.update(overrides or {})
    generator = None
    if rng is not _UNSET:
        if overrides and "seed" in overrides:
            raise InvalidConfig("give the seed once: rng or seed, not both")
        if isinstance(rng, np.random.Generator):
            generator, given["seed"] = rng, None
        elif rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_))):
            given["seed"] = rng
        else:
            raise InvalidConfig(f"rng must be an int seed or a numpy.random.Generator, got {type(rng).__name__}")
    return LocalitySettings.build(given), generator


class Streams(NamedTuple):
    """One independent random stream per purpose, so that drawing more in one stage never shifts another's draws.

    >>> a, b = Streams.spawn(seed=0), Streams.spawn(seed=0)
    >>> int(a.walks.integers(10**6)) == int(b.walks.integers(10**6)), Streams._fields[:3]
    (True, ('pairs', 'walks', 'permutations'))
    """

    pairs: np.random.Generator
    walks: np.random.Generator
    permutations: np.random.Generator
    bootstrap: np.random.Generator
    enrichment: np.random.Generator
    ged: np.random.Generator
    fdc: np.random.Generator

    @classmethod
    def spawn(cls, generator: np.random.Generator | None = None, seed: int | None = None) -> Streams:
        """Child streams of ``generator`` (``Generator.spawn``) or of ``SeedSequence(seed)``."""
        n = len(cls._fields)
        if generator is not None:
            return cls(*generator.spawn(n))
        return cls(*(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)))
