#!/usr/bin/env python3
"""Bootstrap and run the project's two main jobs with nothing but Python 3.10+ installed.

    python3 tasks.py demo   # the main job: compare shrinkers on the embedded benchmarks, write results/demo
    python3 tasks.py cli ARGS...  # lissnas-bench ARGS in the demo's environment (or activate .venv-demo)
    python3 tasks.py docs   # (developers) the demo, then its generated summary into docs/demo and README.md
    python3 tasks.py test   # the whole test suite (CI runs exactly this)
    python3 tasks.py test-nb301   # NAS-Bench-301 import tests in nasbench301's own environment (NumPy 1)
    python3 tasks.py bench  # (developers) every benchmarks/ script once, their tables into README's Performance
    python3 tasks.py nb301-env    # only build that environment (the live NB301 surrogate's side environment)

Each creates (or reuses, while pyproject.toml is unchanged) its own virtual environment under ``.venv-<job>``
(``test-nb301``: ``.venv-nb301``).  ``test-nb301`` fails, rather than skips, when nasbench301 cannot run there, and
checks that its imported benchmark loads in the normal (NumPy 2) environment, ``.venv-test`` or ``.venv``, when
one exists (CI runs ``test`` first).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# torch is pinned in pyproject (2.13.0 CPU); every extra the test suite exercises is installed for `test`.
EXTRAS = {
    "demo": "",
    "cli": "",  # the demo's environment: `tasks.py cli ARGS` is `lissnas-bench ARGS` right after the demo
    "docs": "",
    "test": "[test,notebooks,oneshot,dask,nb201,nats]",
    # nasbench301 0.3 needs numpy<2 and ConfigSpace 0.6.1 (see the nb301 extra), so it gets its own environment
    "test-nb301": "[test,nb301]",
    "nb301-env": "[test,nb301]",  # the same environment as test-nb301, built without running anything
    "bench": "[test,notebooks,oneshot,dask,nb201,nats]",  # the test environment: the scripts compare against them
}
VENV = {"cli": ".venv-demo", "bench": ".venv-test", "test-nb301": ".venv-nb301", "nb301-env": ".venv-nb301"}
NB301_TESTS = ["tests/test_official_nb301.py", "tests/test_spaces_official.py"]
# Test-only packages installed after the project, so torch is already pinned and nothing pulls a CUDA build:
# thop cross-checks the analytic MobileNet FLOP counts.
AFTER = {"demo": [], "cli": [], "docs": [], "test": ["thop==0.1.1.post2209072238"], "test-nb301": [], "nb301-env": [],
         "bench": ["thop==0.1.1.post2209072238"]}


def ensure_venv(job: str) -> Path:
    env_dir = ROOT / VENV.get(job, f".venv-{job}")
    py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    stamp = env_dir / ".installed"
    want = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + EXTRAS[job].encode() + " ".join(AFTER[job]).encode()
    ).hexdigest()
    if py.exists() and stamp.exists() and stamp.read_text() == want:
        return py
    if not py.exists():
        print(f"creating {env_dir.name} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    print(f"installing lissnas-bench{EXTRAS[job]} into {env_dir.name} ...", flush=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "-e", f".{EXTRAS[job]}"], check=True, cwd=ROOT)
    if AFTER[job]:
        subprocess.run([str(py), "-m", "pip", "install", "-q", *AFTER[job]], check=True, cwd=ROOT)
    stamp.write_text(want)
    return py


def activation_hint(py: Path) -> str:
    """How to run ``lissnas-bench`` yourself once the demo's environment exists."""
    env_dir = py.parent.parent
    rel = env_dir.relative_to(ROOT) if env_dir.is_relative_to(ROOT) else env_dir
    activate = f"{rel}\\Scripts\\activate" if os.name == "nt" else f"source {rel}/bin/activate"
    return (f"\nlissnas-bench is installed in {rel}: run `{activate}` to put it on your PATH (then e.g. "
            "`lissnas-bench --help`), or run `python3 tasks.py cli ARGS...` without activating anything.")


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    job, rest = argv[0], argv[1:]
    py = ensure_venv(job)
    env = None
    if job == "nb301-env":  # the live surrogate finds it next to the checkout (or via $LISSNAS_NB301_PYTHON)
        print(py)
        return 0
    if job == "demo":
        rc = subprocess.call([str(py), "-m", "lissnas_bench.cli", "demo", *rest], cwd=ROOT)
        if rc == 0:
            print(activation_hint(py))
        return rc
    if job == "cli":
        cmd = [str(py), "-m", "lissnas_bench.cli", *rest]
    elif job == "docs":  # the only command that writes into the checkout, and only when a developer asks
        cmd = [str(py), "-m", "lissnas_bench.cli", "demo", "--docs", str(ROOT / "docs" / "demo"), "--readme",
               str(ROOT / "README.md"), *rest]
    elif job == "bench":  # the live-surrogate script needs the NB301 side environment: build it first
        ensure_venv("nb301-env")
        cmd = [str(py), str(ROOT / "benchmarks" / "_assemble.py"), *rest]
    elif job == "test-nb301":
        cmd = [str(py), "-m", "pytest", "-q", *NB301_TESTS, *rest]  # extra arguments are pytest options
        env = {**os.environ, "LISSNAS_REQUIRE_NB301": "1"}
        for other in (".venv-test", ".venv"):  # the normal environment loads what this one imported
            other_py = ROOT / other / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
            if other_py.exists():
                env["LISSNAS_NUMPY2_PYTHON"] = str(other_py)
                break
        else:
            print("no .venv-test or .venv: the NumPy 2 hand-off test will skip", flush=True)
    else:
        cmd = [str(py), "-m", "pytest", "-q", *rest]
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
