"""A target's figures are drawn as soon as its cells are done (``_figures.EarlyFigures``, inside
``report.figure_workers``: what ``demo`` does), while the next target's cells run; the files are the same as
drawing everything at the end, on resume and with failed cells too.  (No timing here:
``benchmarks/bench_figures.py`` measures what it saves.)"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import shutil
from pathlib import Path

import pytest

import lissnas_bench as lb
from lissnas_bench import _figures, report
from lissnas_bench.experiments import cell as cell_mod


def _cfg():  # demo-like: the embedded benchmarks, two budgets, the demo's metric for analognas; two targets
    return lb.ComparisonConfig(targets=(lb.Target("analognas", "cifar10", None, "noisy_accuracy"),
                                        lb.Target("nasbench-graph", "cora")),
                               methods=("lissnas", "random", "top-samples"), seeds=2, budget="300,600")


A, G = "analognas-cifar10", "nasbench-graph-cora"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted((folder / "figures").rglob("*"))
            if p.is_file()}


class _SyncPool:
    """A figure pool that draws at once, here, and notes each job in ``events`` (for the order of things)."""

    def __init__(self, events: list):
        self.events = events

    def submit(self, fn, *args):
        tc = next((a for a in args if isinstance(a, _figures.TargetCells)), None)
        self.events.append((fn.__name__, tc.t["key"] if tc is not None else None))
        fut = cf.Future()
        fut.set_result(fn(*args))
        return fut


@contextlib.contextmanager
def _early(events: list):
    """Inside ``figure_workers``, as far as ``api`` can tell, with a pool that records its jobs."""
    pool = _SyncPool(events)
    report._WARM_POOL.append(pool)
    try:
        yield pool
    finally:
        report._WARM_POOL.remove(pool)


def _progress(events: list):
    return lambda p: events.append(("cell", p["target"], p["status"]))


@pytest.fixture(scope="module")
def at_the_end(tmp_path_factory):
    """The reference: every figure drawn by ``publish`` after the cells, in this process."""
    out = tmp_path_factory.mktemp("end") / "r"
    lb.run_comparison(_cfg(), out)
    return out


def test_a_target_is_drawn_before_the_next_targets_cells_run(tmp_path, at_the_end):
    events: list = []
    with _early(events):
        lb.run_comparison(_cfg(), tmp_path / "r", progress=_progress(events))
    jobs = [e for e in events if e[0] != "cell"]
    assert jobs[:2] == [("target_job", A), ("spend_job", A)]
    first_g = next(i for i, e in enumerate(events) if e[0] == "cell" and e[1] == G)
    last_a = max(i for i, e in enumerate(events) if e[0] == "cell" and e[1] == A)
    assert events[last_a + 1: last_a + 3] == [("target_job", A), ("spend_job", A)]
    assert last_a + 2 < first_g
    # the last target straight after its last cell; publish adds only the overview, and draws no target again
    assert events[-3:] == [("target_job", G), ("spend_job", G), ("overview_job", None)]
    assert sorted(jobs) == sorted([("target_job", A), ("spend_job", A), ("target_job", G), ("spend_job", G),
                                   ("overview_job", None)])
    assert _files(tmp_path / "r") == _files(at_the_end)
    assert (tmp_path / "r" / "report.md").read_text() == (at_the_end / "report.md").read_text()


def test_figure_processes_draw_early_and_write_the_same_files(tmp_path, at_the_end, monkeypatch):
    calls = []
    real = _figures.EarlyFigures.target_done
    monkeypatch.setattr(_figures.EarlyFigures, "target_done",
                        lambda self, root, plan, key: (calls.append(key), real(self, root, plan, key)))
    with report.figure_workers(2):
        lb.run_comparison(_cfg(), tmp_path / "pool")
    assert calls == [A, G]
    here, pool = _files(at_the_end), _files(tmp_path / "pool")
    assert "figures/overview.png" in here and f"figures/{G}/quality_vs_spend.png" in here
    assert here.keys() == pool.keys()
    assert [k for k in here if here[k] != pool[k]] == []
    assert (at_the_end / "report.md").read_text() == (tmp_path / "pool" / "report.md").read_text()


def test_a_resumed_run_draws_the_finished_targets_first(tmp_path, at_the_end):
    out = tmp_path / "r"
    lb.run_comparison(_cfg(), out, figures=False)
    for p in (out / "cells").glob(f"{G}__*.json"):  # as if the run had stopped during the second target
        p.unlink()
    shutil.rmtree(out / "figures", ignore_errors=True)
    events: list = []
    with _early(events):
        lb.run_comparison(_cfg(), out, progress=_progress(events))
    ran = [i for i, e in enumerate(events) if e[0] == "cell" and e[2] != "skipped"]
    assert ran and all(events[i][1] == G for i in ran)
    assert events.index(("target_job", A)) < ran[0]  # drawn while the second target's cells run
    assert [e for e in events if e[0] != "cell"].count(("target_job", A)) == 1
    assert _files(out) == _files(at_the_end)


def _failing_random_seed1(monkeypatch):
    real = cell_mod._shrink_cell

    def shrink_cell(plan, t, v, seed, budget, ref):
        if v.label == "random" and seed == plan.experiment.seeds[-1] and t.key == A:
            raise RuntimeError("this cell fails on purpose")
        return real(plan, t, v, seed, budget, ref)

    monkeypatch.setattr(cell_mod, "_shrink_cell", shrink_cell)


def test_failed_cells_leave_the_same_figures(tmp_path, monkeypatch):
    _failing_random_seed1(monkeypatch)
    with pytest.raises(lb.CellsFailed):
        lb.run_comparison(_cfg(), tmp_path / "end")
    events: list = []
    with _early(events), pytest.raises(lb.CellsFailed):
        lb.run_comparison(_cfg(), tmp_path / "early", progress=_progress(events))
    assert ("cell", A, "failed") in events
    assert events.index(("target_job", A)) < next(i for i, e in enumerate(events) if e[0] == "cell" and e[1] == G)
    end, early = _files(tmp_path / "end"), _files(tmp_path / "early")
    assert f"figures/{A}/size_tradeoff.png" in end and f"figures/{A}/quality_vs_spend.png" in end
    assert end == early
    assert (tmp_path / "end" / "report.md").read_text() == (tmp_path / "early" / "report.md").read_text()


def test_records_of_a_dead_worker_alone_draw_nothing(tmp_path):
    """A target whose only records say its worker died (no benchmark, no metrics): no figure, no error."""
    dead = [{"key": "k", "target": A, "status": "failed", "error": "BrokenProcessPool: died",
             "row": {"method": "random", "seed": 0, "budget": 300}}]
    tc = _figures.TargetCells({"key": A, "benchmark_id": "analognas", "dataset": "cifar10"}, dead)
    assert tc.shrink == []
    assert _figures.spend_job(tmp_path, tc, None, "lissnas") == {}
    assert not (tmp_path / "figures").exists()
