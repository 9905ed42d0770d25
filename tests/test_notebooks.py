"""CI executes the notebooks headless, as a fresh clone would after the demo: 01 reads results/demo without any
environment variable, 02 says plainly which official tables it skipped (and, where they are present, analyses
them).  (01 on a given folder, LISSNAS_RESULTS, runs in tests/test_compare.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import SHARED_DATA, run_cli

ROOT = Path(__file__).resolve().parents[1]


def _execute(name: str, cwd: Path, env: dict[str, str | None], monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    for k, v in env.items():
        if v is None:
            monkeypatch.delenv(k, raising=False)
        else:
            monkeypatch.setenv(k, v)
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    return "".join(o.get("text", "") + o.get("data", {}).get("text/markdown", "") for o in outputs)


@pytest.mark.slow
def test_locality_notebook_says_what_it_skipped(tmp_path, monkeypatch):
    """No official tables (a fresh clone): every official analysis is named as skipped, nothing is concluded."""
    empty = tmp_path / "no-data"
    empty.mkdir()
    text = _execute("02_locality.ipynb", ROOT / "notebooks", {"LISSNAS_SHARED_DATA": str(empty)}, monkeypatch)
    assert "analognas" in text
    for label in ("NB201 CIFAR-10 (200 ep.)", "NB201 CIFAR-100 (12 ep.)", "Macro CIFAR-10"):
        assert f"skipped {label}: no " in text, label
    assert "**Skipped:** none of the official tables was found" in text
    assert "longest correlation length among the official tables" not in text


@pytest.mark.slow
@pytest.mark.shared
def test_locality_notebook_on_the_official_tables(monkeypatch):
    if not (SHARED_DATA / "nb201" / "nas_landscapes_cifar10-valid_avg.csv").exists():
        pytest.skip("../shared/data is not present (real benchmark data is not shipped with the project)")
    text = _execute("02_locality.ipynb", ROOT / "notebooks", {"LISSNAS_SHARED_DATA": str(SHARED_DATA)}, monkeypatch)
    assert "skipped NB201" not in text and "- NB201 CIFAR-10 (200 ep.): ρ(1) = " in text
    assert "longest correlation length among the official tables" in text


@pytest.mark.slow
def test_compare_notebook_reads_the_demo_after_a_fresh_clone(tmp_path, monkeypatch, capsys):
    """A checkout where `python3 tasks.py demo` has run: the notebook finds results/demo by itself, from
    notebooks/ (where Jupyter starts), with two budgets as the demo has."""
    proj = tmp_path / "checkout"
    (proj / "notebooks").mkdir(parents=True)
    (proj / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    code, _, err = run_cli(capsys, "demo", "--seeds", 2, "--budget", "300,1000", "--no-figures", "--out",
                           proj / "results" / "demo")
    assert code == 0, err
    text = _execute("01_compare_shrinkers.ipynb", proj / "notebooks", {"LISSNAS_RESULTS": None}, monkeypatch)
    assert f"reading the demo's results ({proj / 'results' / 'demo'})" in text
    assert "five best" in text and "__b1000__lissnas__seed000" in text
    assert f"lissnas-bench shrink --from {proj / 'results' / 'demo'} analognas -d cifar10" in text
    assert os.listdir(proj / "notebooks") == []  # the notebook wrote nothing beside itself
