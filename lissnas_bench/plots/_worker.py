"""Figure processes started before the figures are due, so that importing matplotlib (over a second, more than
drawing most figures) overlaps the caller's computation instead of following it.

``warm_pool(n)`` returns a ``concurrent.futures`` pool of ``n`` spawned processes that are already importing
matplotlib and the figure modules; ``plots.compare.make_figures(pool=...)`` and ``report.publish`` draw in it.
The processes die with their parent (``experiments.execute.watch_parent``), even when it is killed.

>>> from lissnas_bench.plots._worker import warm_pool
>>> pool = warm_pool(1)                                                         # doctest: +SKIP
>>> pool.shutdown()                                                             # doctest: +SKIP
"""

from __future__ import annotations

import os


def _init(parent_pid: int) -> None:
    from ..experiments.execute import watch_parent

    watch_parent(parent_pid)
    import pandas  # noqa: F401  (the figures' tables arrive as DataFrames)

    from . import compare, search, spend  # noqa: F401  (matplotlib itself is imported by the first figure)
    from .style import figure_style, new_figure, save_figure  # noqa: F401

    # one throwaway figure: imports matplotlib, its Agg backend and loads the font, all before the first job
    with figure_style():
        fig, ax = new_figure()
        ax.set_title("warm")
        from ._layout import renderer

        renderer(fig)
        fig.canvas.draw()


def _ready() -> int:
    return os.getpid()


def warm_pool(n: int):
    """A pool of ``n`` spawned figure processes, each already warming up (``n`` tasks make ``n`` processes)."""
    import concurrent.futures as cf
    import multiprocessing as mp

    # spawn, not fork: the parent may hold threads (pyarrow, the progress bar) and a forked lock would deadlock
    pool = cf.ProcessPoolExecutor(max(1, n), mp_context=mp.get_context("spawn"), initializer=_init,
                                  initargs=(os.getpid(),))
    for _ in range(max(1, n)):
        pool.submit(_ready)
    return pool
