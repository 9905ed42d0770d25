"""NAS-Bench-101 cell space: a DAG on at most 7 vertices (input, 5 interior, output), at most 9 edges.

Encoding (26 positions): the 21 entries of the 7x7 adjacency matrix above the diagonal, row-major
(``e0_1, e0_2, ..., e5_6``), then the ops of interior vertices 1..5 as indices into
``OPS = (conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3)`` (NAS-Bench-101's own ``available_ops`` order, so the
index is also the label its hash uses).

Validity is NAS-Bench-101's ``ModelSpec`` + ``_check_spec``: vertices not on an input→output path are pruned,
input must reach output, and at most 7 vertices and 9 edges may remain after pruning (so a larger spec that prunes
to 7 vertices is accepted, and the ops of pruned vertices are ignored, as the reference does).

Canonical encoding: prune (pruned vertices keep no edges and op 0), then take, over the 120 relabellings of the
interior vertices that keep the matrix upper-triangular, the lexicographically smallest encoding.  Two specs have
the same canonical encoding exactly when their pruned graphs are isomorphic, i.e. when NAS-Bench-101 treats them as
one model (same ``hash``).  ``index`` is the mixed-radix value of the canonical encoding: a unique int64 key in
``[0, 2**21 * 3**5)``, not a dense rank (the 423,624 models are not enumerated here, so ``finite`` is False).

Distance is Hamming on the canonical encoding (so an edit can move several positions once relabelled).
Neighbours are graph edits: change one interior op, remove one edge, or add one edge between two vertices in
either direction that keeps the graph acyclic; keep valid ones, canonicalise, de-duplicate.  An edit that prunes
no vertex can be undone by one edit (symmetric); removing an edge that prunes vertices cannot.
Sampling is uniform over valid *labelled* 7-vertex specs by rejection (as NAS-Bench-101's ``random_spec``), not
uniform over the 423,624 isomorphism classes.

String formats: ``"spec"`` (pruned adjacency rows and NAS-Bench-101 op names), ``"naslib"`` (NASLib's 56-tuple:
49 adjacency entries then 7 op codes into ``input, output, maxpool3x3, conv1x1-bn-relu, conv3x3-bn-relu``),
``"json"`` (``{"matrix": ..., "ops": ...}``, pruned).

>>> from lissnas_bench.spaces import get_space
>>> s = get_space("nb101")
>>> m = [[0, 1, 0, 0, 1, 1, 0], [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 1], [0, 0, 0, 0, 0, 1, 0],
...      [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]]
>>> ops = ["input", "conv3x3-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"]
>>> s.hash(m, ops)
'00005c142e6f48ac74fdcf73e3439874'
>>> s.hashes(s.from_spec(m, ops)) == [s.hash(m, ops)]
True
"""

from __future__ import annotations

import ast
import json
from functools import cached_property

import numpy as np

from ..errors import InvalidArchitecture, InvalidConfig
from ._base import ARCH_DTYPE, Space, as_rng
from ._nb101_graph import (
    _BACK_I,
    _BACK_J,
    _EI,
    _EJ,
    _KEY_BITS,
    _KEY_SPACE,
    _N_CHOICES,
    _RADIX,
    EDGES,
    MAX_EDGES,  # noqa: F401 - public here too
    N_EDGE,
    N_OP,
    OPS,
    POSITIONS,
    V,
    _graph_keys,
    _hash_module,
    _prune,
    _reach,
    _spec_keep,
    _valid_graphs,
    adjacency,
)

INPUT, OUTPUT = "input", "output"
NASLIB_OPS = (INPUT, OUTPUT, "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
#: number of distinct NAS-Bench-101 models (NAS-Bench-101 paper); not recomputed here
NUM_MODELS = 423_624
_NASLIB_TO_OP = {NASLIB_OPS.index(o): o for o in NASLIB_OPS}


def spec_to_encoding(matrix, ops) -> np.ndarray:
    """The (non-canonical) 26-position encoding of an NB101 spec (ops incl. input/output), as the reference reads it.

    Like NAS-Bench-101's ``ModelSpec`` and ``_check_spec``: a spec of any size is pruned first (vertices not on an
    input -> output path go), and what remains must have at most 7 vertices; ops of pruned vertices are never
    looked at.  The kept vertices take positions 0, 1, ..., and 6 (output); unused interior positions are isolated.

    >>> spec_to_encoding([[0, 1], [0, 0]], ["input", "output"]).tolist()[:6]
    [0, 0, 0, 0, 0, 1]
    """
    m = np.asarray(matrix)
    ops = list(ops)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise InvalidArchitecture(f"nb101: adjacency matrix must be square, got shape {m.shape}")
    k = m.shape[0]
    if k < 2:
        raise InvalidArchitecture(f"nb101: a spec has at least 2 vertices (input and output), got {k}")
    if len(ops) != k:
        raise InvalidArchitecture(f"nb101: {len(ops)} ops for a {k}x{k} matrix; give one op per vertex")
    if m.size and not np.isin(m, (0, 1)).all():
        raise InvalidArchitecture(f"nb101: adjacency entries must be 0 or 1, got {sorted(set(m.ravel().tolist()))}")
    if np.tril(m).any():
        raise InvalidArchitecture("nb101: adjacency matrix must be strictly upper-triangular (a DAG in vertex order)")
    if ops[0] != INPUT or ops[-1] != OUTPUT:
        raise InvalidArchitecture(f"nb101: ops must start with 'input' and end with 'output', got {ops[0]!r} ... {ops[-1]!r}")
    alive = _spec_keep(m)
    if k > V:  # only the pruned spec has to fit the 7 vertices (smaller ones are pruned by validity later)
        if not alive[0]:
            raise InvalidArchitecture("nb101: not a valid NAS-Bench-101 cell: the input does not reach the output")
        if alive.sum() > V:
            raise InvalidArchitecture(f"nb101: {int(alive.sum())} vertices remain after pruning; at most {V} are allowed")
    vs = np.flatnonzero(alive) if k > V else np.arange(k)
    for v, op in enumerate(ops[1:-1], start=1):
        if op not in OPS and (alive[v] or not alive[0]):  # a disconnected spec: let validity name the problem
            raise InvalidArchitecture(f"nb101: unknown op {op!r}; accepted interior ops: {', '.join(OPS)}")
    m, ops = m[np.ix_(vs, vs)], [ops[v] for v in vs]
    k = len(vs)
    place = list(range(k - 1)) + [V - 1]  # old vertex -> position in the 7-vertex encoding
    A = np.zeros((V, V), dtype=np.int64)
    A[np.ix_(place, place)] = m
    enc = np.zeros(POSITIONS, dtype=np.int64)
    enc[:N_EDGE] = A[_EI, _EJ]
    for v, op in enumerate(ops[1:-1], start=1):
        enc[N_EDGE + v - 1] = OPS.index(op) if op in OPS else 0  # an unknown op only on a vertex pruning removes
    return enc


class NB101Space(Space):
    """NAS-Bench-101 cells (423,624 models).  See the module docstring for the encoding.

    >>> s = NB101Space()
    >>> a = s.sample(3, rng=0)
    >>> bool(s.contains(a).all()), a.shape
    (True, (3, 26))
    """

    name = "nb101"
    n_choices = _N_CHOICES
    position_names = tuple(f"e{i}_{j}" for i, j in EDGES) + tuple(f"op{v}" for v in range(1, V - 1))
    choice_names = (("0", "1"),) * N_EDGE + (OPS,) * N_OP
    string_formats = ("spec", "naslib", "json")
    # removing an edge can prune vertices that one added edge does not bring back: the edit relation on pruned
    # canonical cells is directed (b may be one edit from a while a is several edits from b)
    symmetric_neighbours = False
    ops = OPS

    @cached_property
    def size(self) -> int:  # type: ignore[override]
        return NUM_MODELS

    @property
    def finite(self) -> bool:
        return False

    # ---------------------------------------------------------------- validity
    def _valid_rows(self, a: np.ndarray) -> np.ndarray:
        return self.in_range(a) & _valid_graphs(adjacency(a))

    def is_valid(self, archs) -> np.ndarray:
        return self._valid_rows(self.as_archs(archs))

    def _keys(self, a: np.ndarray) -> np.ndarray:
        """Canonical key (= index) of valid encodings ``a``."""
        return _graph_keys(adjacency(a), a[:, N_EDGE:])

    def canonicalize(self, archs) -> np.ndarray:
        a = self.as_archs(archs)
        return self.from_index(self._keys(a)) if len(a) else a.copy()

    def index(self, archs) -> np.ndarray:
        """Unique int64 key of each architecture: the mixed-radix value of its canonical encoding.

        >>> s = NB101Space(); a = s.sample(2, rng=1)
        >>> bool((s.from_index(s.index(a)) == a).all())
        True
        """
        a = self.as_archs(archs)
        ok = self._valid_rows(a)
        if not ok.all():
            bad = int(np.flatnonzero(~ok)[0])
            raise InvalidArchitecture(f"nb101: row {bad} ({a[bad].tolist()}) is not a valid NAS-Bench-101 cell")
        return self._keys(a)

    def from_index(self, idx) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= _KEY_SPACE):
            raise InvalidArchitecture(f"nb101: index out of range [0, {_KEY_SPACE})")
        return ((idx[:, None] // _RADIX) % _N_CHOICES).astype(ARCH_DTYPE)

    def enumerate(self) -> np.ndarray:
        raise InvalidConfig(
            "nb101 has 423,624 architectures that are not enumerated here; use a benchmark's rows instead"
        )

    # ---------------------------------------------------------------- sampling
    def sample(self, n: int, rng, replace: bool = True) -> np.ndarray:
        """Uniform over valid labelled specs by rejection (each edge present with p=1/2, ops uniform)."""
        rng = as_rng(rng)
        n = int(n)
        if n < 0:
            raise InvalidConfig(f"n must be >= 0, got {n}")
        if not replace:
            return super().sample(n, rng, replace=False)
        out, have = [], 0
        while have < n:
            m = max(64, 4 * (n - have))  # about a third of random specs are valid
            cand = rng.integers(0, _N_CHOICES, size=(m, POSITIONS)).astype(ARCH_DTYPE)
            cand = cand[self._valid_rows(cand)]
            out.append(cand)
            have += len(cand)
        return self.canonicalize(np.concatenate(out)[:n])

    # ---------------------------------------------------------------- locality
    def _edits(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All single graph edits of canonical rows ``a``: valid, canonical, != source, unique per source.

        Edits act on the graph, not on the encoding: an edge may be added between two interior vertices in
        either direction as long as the graph stays acyclic (so every edge removal can be undone by an edit).
        """
        keys_out, src_out = [], []
        for s in range(0, len(a), 4096):  # bounds the (rows, 41, 7, 7) candidate block
            blk = a[s : s + 4096]
            n = len(blk)
            A = adjacency(blk)
            ops = blk[:, N_EDGE:].astype(np.int64)
            # 21 flips of an upper-triangular entry
            fl = np.repeat(A[:, None], N_EDGE, axis=1)
            r = np.arange(N_EDGE)
            fl[:, r, _EI, _EJ] = ~fl[:, r, _EI, _EJ]
            # 10 backward edges j -> i between interior vertices, acyclic only if there is no path i -> j
            bk = np.repeat(A[:, None], len(_BACK_I), axis=1)
            r = np.arange(len(_BACK_I))
            bk[:, r, _BACK_J, _BACK_I] = True
            bk_ok = ~_reach(A)[:, _BACK_I, _BACK_J]
            # 10 op changes
            oc_ops = np.repeat(ops[:, None], 2 * N_OP, axis=1)
            col = np.repeat(np.arange(N_OP), 2)
            r = np.arange(2 * N_OP)
            oc_ops[:, r, col] = (oc_ops[:, r, col] + np.tile([1, 2], N_OP)) % len(OPS)
            oc = np.repeat(A[:, None], 2 * N_OP, axis=1)
            candA = np.concatenate([fl, bk, oc], axis=1)
            candO = np.concatenate(
                [np.repeat(ops[:, None], N_EDGE + len(_BACK_I), axis=1), oc_ops], axis=1
            )
            ok = np.concatenate([np.ones((n, N_EDGE), bool), bk_ok, np.ones((n, 2 * N_OP), bool)], axis=1)
            m = candA.shape[1]
            candA, candO = candA.reshape(-1, V, V), candO.reshape(-1, N_OP)
            ok = ok.reshape(-1)
            ok[ok] = _valid_graphs(candA[ok])
            src = np.repeat(np.arange(s, s + n), m)[ok]
            keys_out.append(_graph_keys(candA[ok], candO[ok]))
            src_out.append(src)
        keys = np.concatenate(keys_out) if keys_out else np.empty(0, np.int64)
        src = np.concatenate(src_out) if src_out else np.empty(0, np.int64)
        own = self.index_unchecked(a)  # the rows are canonical: their key is their mixed-radix value
        keep = keys != own[src]
        comb = np.unique((src[keep].astype(np.int64) << _KEY_BITS) | keys[keep])
        return self.from_index(comb & ((1 << _KEY_BITS) - 1)), comb >> _KEY_BITS

    def neighbours(self, archs, radius: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Architectures 1..``radius`` edits away (change one op, add or remove one edge), canonical.

        >>> s = NB101Space(); nb, src = s.neighbours(s.sample(2, rng=0))
        >>> bool(s.contains(nb).all()), sorted(set(src.tolist()))
        (True, [0, 1])
        """
        radius = int(radius)
        if radius < 1:
            raise InvalidConfig(f"radius must be >= 1, got {radius}")
        a = self.validate(archs)
        src0 = np.arange(len(a), dtype=np.int64)
        seen = np.unique((src0 << _KEY_BITS) | self.index_unchecked(a))  # validate() made them canonical
        front, fsrc = a, src0
        outs = []
        for _ in range(radius):
            if not len(front):
                break
            nb, local = self._edits(front)
            comb = (fsrc[local] << _KEY_BITS) | self.index_unchecked(nb)
            comb = np.unique(comb)
            comb = comb[~np.isin(comb, seen, assume_unique=True)]
            seen = np.union1d(seen, comb)
            outs.append(comb)
            front, fsrc = self.from_index(comb & ((1 << _KEY_BITS) - 1)), comb >> _KEY_BITS
        allc = np.sort(np.concatenate(outs)) if outs else np.empty(0, np.int64)
        return self.from_index(allc & ((1 << _KEY_BITS) - 1)), (allc >> _KEY_BITS).astype(np.int64)

    def index_unchecked(self, canonical: np.ndarray) -> np.ndarray:
        """Keys of rows already known to be canonical (no validation, no search)."""
        return np.asarray(canonical).astype(np.int64) @ _RADIX

    # ---------------------------------------------------------------- NAS-Bench-101 specs and hashes
    def from_spec(self, matrix, ops) -> np.ndarray:
        """Canonical (1, 26) encoding of one NB101 spec (any 2..7 vertices, unpruned allowed)."""
        return self.validate(spec_to_encoding(matrix, ops)[None, :])

    def to_spec(self, arch) -> tuple[list[list[int]], list[str]]:
        """The pruned ``(matrix, ops)`` of one encoding, as NAS-Bench-101's ``ModelSpec`` would hold it."""
        a = self.as_archs(arch)
        if len(a) != 1:
            raise InvalidArchitecture(f"nb101: to_spec takes one architecture, got {len(a)}")
        if not self._valid_rows(a)[0]:
            raise InvalidArchitecture(f"nb101: {a[0].tolist()} is not a valid NAS-Bench-101 cell")
        A = adjacency(a)
        keep, _ = _prune(A)
        vs = np.flatnonzero(keep[0])
        m = A[0][np.ix_(vs, vs)].astype(int)
        ops = [INPUT] + [OPS[int(a[0, N_EDGE + v - 1])] for v in vs[1:-1]] + [OUTPUT]
        return m.tolist(), ops

    def hash(self, matrix, ops) -> str:
        """NAS-Bench-101's module hash of an unpruned spec (the key of its dataset); see module docstring."""
        m, o = self.to_spec(spec_to_encoding(matrix, ops)[None, :])
        return _hash_module(np.array(m), [-1] + [OPS.index(x) for x in o[1:-1]] + [-2])

    def hashes(self, archs) -> list[str]:
        """NAS-Bench-101 module hash of each row."""
        out = []
        for r in self.as_archs(archs):
            m, o = self.to_spec(r)
            out.append(_hash_module(np.array(m), [-1] + [OPS.index(x) for x in o[1:-1]] + [-2]))
        return out

    # ---------------------------------------------------------------- strings
    def _parse(self, s: str) -> tuple[int, ...]:
        if s.startswith("{"):
            d = json.loads(s)
            if not isinstance(d, dict) or "matrix" not in d or "ops" not in d:
                raise InvalidArchitecture(f"nb101: JSON spec {s!r} needs keys 'matrix' and 'ops'")
            return tuple(spec_to_encoding(d["matrix"], d["ops"]).tolist())
        if s[:1] in "([":
            vals = ast.literal_eval(s)
            vals = [int(v) for v in vals]
            if len(vals) != V * V + V:
                raise InvalidArchitecture(
                    f"nb101: NASLib tuple {s[:40]!r}... has {len(vals)} entries, expected {V * V + V} "
                    f"(49 adjacency entries then 7 op codes)"
                )
            codes = vals[V * V :]
            bad = [c for c in codes if c not in _NASLIB_TO_OP]
            if bad:
                raise InvalidArchitecture(
                    f"nb101: NASLib op code {bad[0]} is not one of 0..4 ({', '.join(NASLIB_OPS)})"
                )
            return tuple(
                spec_to_encoding(np.array(vals[: V * V]).reshape(V, V), [_NASLIB_TO_OP[c] for c in codes]).tolist()
            )
        if "|" in s:
            rows, _, opstr = s.partition("|")
            m = [[int(c) for c in r.strip()] for r in rows.split("/")]
            if any(len(r) != len(m) for r in m):
                raise InvalidArchitecture(f"nb101: spec {s!r}: each of the {len(m)} rows needs {len(m)} digits")
            return tuple(spec_to_encoding(m, [o.strip() for o in opstr.split(",")]).tolist())
        raise InvalidArchitecture(
            f"nb101: cannot parse {s!r}; accepted formats: spec '0110/0001/0001/0000|input,conv3x3-bn-relu,"
            f"maxpool3x3,output' (adjacency rows, ops), naslib 56-tuple, json '{{\"matrix\": ..., \"ops\": ...}}'"
        )

    def _format(self, arch: np.ndarray, fmt: str) -> str:
        m, ops = self.to_spec(arch)
        if fmt == "spec":
            return "/".join("".join(map(str, r)) for r in m) + "|" + ",".join(ops)
        if fmt == "json":
            return json.dumps({"matrix": m, "ops": ops})
        # naslib: 7 vertices, pruned ones isolated with op conv3x3 (NASLib needs a 7-vertex matrix)
        A = adjacency(arch[None, :])[0]
        keep, _ = _prune(A[None])
        A &= keep[0][:, None] & keep[0][None, :]
        codes = [0] + [NASLIB_OPS.index(OPS[int(arch[N_EDGE + v - 1])]) for v in range(1, V - 1)] + [1]
        return str(tuple(A.astype(int).ravel().tolist() + codes))
