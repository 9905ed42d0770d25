"""The NAS-Bench-301 worker: nasbench301's own ensembles behind a process boundary.

nasbench301 0.3 needs NumPy 1 (docs/data.md), so the live surrogate runs it in its side environment
(``.venv-nb301``) as this script, started by ``nb301_client.WorkerClient``:

    <side python> -m lissnas_bench.benchmarks.official.nb301_worker --models nb_models_1.0 --trust-pickles

It reads requests from stdin and writes replies to stdout, each one frame: a 4-byte big-endian length, then
UTF-8 JSON (floats survive JSON exactly).  Requests: ``{"op": "hello"}`` -> versions and ensembles;
``{"op": "predict", "keys": [darts index, ...]}`` -> ``val_mean``, ``val_std`` (and ``rt_mean``, ``rt_std`` with a
runtime model) per key.  Failures come back as ``{"ok": false, "type": ..., "message": ...}``.

The worker ignores Ctrl-C (the parent handles it and shuts the worker down) and exits as soon as its stdin
closes, so a parent that dies, however it dies, leaves no worker behind.  Whatever a library prints goes to
stderr: stdout carries only frames.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import struct
import sys
import traceback

_HEADER = struct.Struct(">I")


def send(stream, obj) -> None:
    data = json.dumps(obj, allow_nan=True).encode()
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def recv(stream):
    """The next frame's object, or ``None`` at the end of the stream."""
    head = _read_exact(stream, _HEADER.size)
    if head is None:
        return None
    body = _read_exact(stream, _HEADER.unpack(head)[0])
    if body is None:
        raise EOFError("the stream ended inside a frame")
    return json.loads(body)


def _read_exact(stream, n: int):
    buf = b""
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            if buf:
                raise EOFError("the stream ended inside a frame")
            return None
        buf += chunk
    return buf


class Nb301Backend:
    """Predictions of nasbench301's ensembles for darts indices (mean and spread as nasbench301 computes them)."""

    def __init__(self, models: str):
        from pathlib import Path

        from ...spaces import get_space
        from . import nb301

        self._nb301 = nb301
        self.space = get_space("darts")
        ens = nb301.find_ensembles(Path(models))
        self.names = {k: v.name for k, v in ens.items()}
        self.perf = nb301.load_surrogate(ens["performance"])
        self.runtime = nb301.load_surrogate(ens["runtime"]) if "runtime" in ens else None

    def hello(self) -> dict:
        from importlib.metadata import version

        versions = {p: version(p) for p in ("nasbench301", "xgboost", "lightgbm")}
        members = {"performance": len(self.perf.model.ensemble_members)}
        if self.runtime is not None:
            members["runtime"] = len(self.runtime.model.ensemble_members)
        return {"versions": versions, "ensembles": self.names, "members": members}

    def predict(self, keys) -> dict:
        import numpy as np

        configs = self.space.to_configs(self.space.from_index(np.asarray(keys, dtype=np.int64)))
        out = {}
        for tag, sur in (("val", self.perf), ("rt", self.runtime)):
            if sur is not None:
                mean, std = self._nb301.ensemble_stats(self._nb301.predict(sur, configs))
                out[f"{tag}_mean"], out[f"{tag}_std"] = mean.tolist(), std.tolist()
        return out


def make_backend(args):
    if args.backend:  # module:callable returning an object with hello() and predict(keys), e.g. for tests
        module, _, name = args.backend.partition(":")
        return getattr(importlib.import_module(module), name)(args.models)
    if not args.trust_pickles:  # the parent checks this too; a worker started by hand must be told as well
        from . import nb301

        raise nb301.untrusted_error(args.models)
    return Nb301Backend(args.models)


def serve(backend_factory, inp, out) -> int:
    backend = None
    while True:
        msg = recv(inp)
        if msg is None:
            return 0  # stdin closed: the parent is done or gone
        try:
            if backend is None:
                backend = backend_factory()
            if msg.get("op") == "hello":
                reply = backend.hello()
            elif msg.get("op") == "predict":
                reply = backend.predict(msg["keys"])
            else:
                raise ValueError(f"unknown request {msg.get('op')!r}")
            send(out, {"ok": True, **reply})
        except BrokenPipeError:
            return 0
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent as one message
            from ...errors import LissnasBenchError

            known = isinstance(exc, LissnasBenchError)
            message = str(exc) if known else "".join(traceback.format_exception_only(type(exc), exc)).strip()
            traceback.print_exc(file=sys.stderr)
            send(out, {"ok": False, "type": type(exc).__name__ if known else "internal", "message": message})


def main(argv=None) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed from here on (nasbench301 prints) goes to stderr, not into the frames
    sys.stdout = sys.stderr
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", required=True)
    p.add_argument("--trust-pickles", action="store_true")
    p.add_argument("--backend", default=None)
    args = p.parse_args(argv)
    try:
        return serve(lambda: make_backend(args), sys.stdin.buffer, out)
    except (BrokenPipeError, EOFError):
        return 0


if __name__ == "__main__":
    sys.exit(main())
