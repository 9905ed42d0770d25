"""The parent side of the NAS-Bench-301 worker (``nb301_worker``): find the side environment, start, ask, stop.

The worker is started on the first request, answers one batch per request and is stopped by ``close()``, when its
owner is garbage-collected, or at interpreter exit (closing its stdin is enough: it exits on end of input).  A
Ctrl-C while a request is in flight leaves the reply half read, so the worker is stopped (and reaped) and the
next request starts a fresh one.

The side environment's Python is, in this order: the ``python`` argument, ``$LISSNAS_NB301_PYTHON``, this
interpreter when it has nasbench301 itself, or ``.venv-nb301`` in the checkout this package runs from.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import subprocess
import sys
import tempfile
import weakref
from pathlib import Path

import numpy as np

from ...errors import DataFileError, InvalidConfig, LissnasBenchError, MissingDependency
from . import nb301_worker as wire

log = logging.getLogger(__name__)

ENV_PYTHON = "LISSNAS_NB301_PYTHON"
#: ``module:callable`` of another predictor for the worker (tests: ``_nb301_fake:FakeBackend``)
ENV_BACKEND = "LISSNAS_NB301_BACKEND"
#: keys per request: bounds the reply size (about 100 bytes per key) and the worker's memory
BATCH = 4096
_PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # the folder holding lissnas_bench/


def find_python(python=None) -> str:
    """The side environment's interpreter (see the module docstring), or ``MissingDependency`` saying how to
    make one."""
    if python is not None:
        if not Path(python).exists():
            raise InvalidConfig(f"python={python}: no such interpreter for the NAS-Bench-301 worker")
        return str(python)
    env = os.environ.get(ENV_PYTHON)
    if env:
        if not Path(env).exists():
            raise InvalidConfig(f"${ENV_PYTHON}={env}: no such interpreter")
        return env
    if importlib.util.find_spec("nasbench301") is not None:
        return sys.executable
    venv = _PACKAGE_ROOT / ".venv-nb301" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if venv.exists():
        return str(venv)
    raise MissingDependency(
        "nasbench301", "nb301",
        "the live NAS-Bench-301 surrogate (nasbench301 needs NumPy 1, so it runs in a side environment: "
        f"create {venv.parent.parent} with `python3 tasks.py nb301-env`, or point ${ENV_PYTHON} at a Python that has "
        "lissnas-bench[nb301])")


class WorkerClient:
    """One worker process for one models folder; ``predict(keys)`` returns arrays of equal length."""

    def __init__(self, models, *, python=None, backend: str | None = None, trust_pickles: bool = False):
        self.models = Path(models)
        self.python = find_python(python)
        self.backend = backend or os.environ.get(ENV_BACKEND) or None
        self.trust_pickles = bool(trust_pickles)
        self._proc: subprocess.Popen | None = None
        self._finalizer = None
        self.info: dict | None = None
        self.starts = 0

    # ------------------------------------------------------------------ lifecycle
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> None:
        cmd = [self.python, "-m", "lissnas_bench.benchmarks.official.nb301_worker", "--models", str(self.models)]
        if self.trust_pickles:
            cmd.append("--trust-pickles")
        if self.backend:
            cmd += ["--backend", self.backend]
        env = dict(os.environ)
        # the worker runs this very package, whatever the side environment has installed
        env["PYTHONPATH"] = os.pathsep.join([str(_PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])])
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                          env=env, close_fds=True)
        except OSError as exc:
            raise MissingDependency("nasbench301", "nb301", f"the NAS-Bench-301 worker ({self.python}: {exc})") from exc
        self.starts += 1
        self._finalizer = weakref.finalize(self, _stop, self._proc, self._stderr)
        log.info("started the NAS-Bench-301 worker (pid %d, %s)", self._proc.pid, self.python)

    def close(self) -> None:
        """Stop the worker and reap it (no zombie); a later request starts a new one."""
        if self._finalizer is not None:
            self._finalizer()
        self._proc, self._finalizer = None, None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ------------------------------------------------------------------ requests
    def _request(self, msg: dict) -> dict:
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self._start()
        try:
            wire.send(self._proc.stdin, msg)
            reply = wire.recv(self._proc.stdout)
        except (BrokenPipeError, EOFError, OSError):
            reply = None
        except BaseException:  # Ctrl-C mid-request: the stream is out of step, so this worker is done
            with contextlib.suppress(OSError):
                self._proc.terminate()  # now, rather than after it finishes a batch nobody will read
            self.close()
            raise
        if reply is None:
            tail = self._stderr_tail()
            self.close()
            raise LissnasBenchError(f"the NAS-Bench-301 worker ({self.python}) stopped unexpectedly:\n{tail}")
        if not reply.get("ok"):
            raise _worker_error(reply)
        return reply

    def _stderr_tail(self, lines: int = 15) -> str:
        try:
            self._stderr.seek(0)
            text = self._stderr.read().decode(errors="replace")
        except (OSError, ValueError):
            return "(no output)"
        return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"

    def hello(self) -> dict:
        """Versions and ensembles of the worker's surrogate (asked once per worker process)."""
        if self.info is None or self._proc is None:
            self.info = self._request({"op": "hello"})
        return self.info

    def predict(self, keys) -> dict[str, np.ndarray]:
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        parts: dict[str, list] = {}
        for s in range(0, len(keys), BATCH):
            reply = self._request({"op": "predict", "keys": keys[s : s + BATCH].tolist()})
            for k, v in reply.items():
                if k != "ok":
                    parts.setdefault(k, []).append(np.asarray(v, dtype=np.float64))
        out = {k: np.concatenate(v) for k, v in parts.items()}
        bad = [k for k, v in out.items() if v.shape != keys.shape]
        if bad:
            raise LissnasBenchError(f"the NAS-Bench-301 worker answered {bad} for the wrong number of genotypes")
        return out


def _worker_error(reply: dict) -> LissnasBenchError:
    kind, message = reply.get("type"), f"NAS-Bench-301 worker: {reply.get('message')}"
    if kind == "DataFileError":
        return DataFileError(message)
    if kind == "InvalidConfig":
        return InvalidConfig(message)
    return LissnasBenchError(message)


def _stop(proc: subprocess.Popen, stderr) -> None:
    """End of input first (the worker exits by itself), then terminate, then kill; always wait (reap)."""
    try:
        if proc.stdin is not None:
            proc.stdin.close()
    except OSError:
        pass
    for step in (None, proc.terminate, proc.kill):
        if step is not None:
            try:
                step()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
            break
        except subprocess.TimeoutExpired:
            continue
    for stream in (proc.stdout, stderr):
        try:
            stream.close()
        except (OSError, AttributeError):
            pass
