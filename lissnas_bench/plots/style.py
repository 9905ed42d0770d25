"""One figure style for the whole project: paper column width, colour-blind palette, fixed method colours.

Every figure module draws inside ``with figure_style():`` and saves with ``save_figure``, so a figure made by the
comparison report, the locality analysis or a notebook looks the same and reads at a single paper column
(3.5 in).  A method keeps its colour in every figure, whatever subset of methods a figure shows.

>>> from lissnas_bench.plots.style import figure_style, new_figure, method_color, save_figure
>>> with figure_style():
...     fig, ax = new_figure()
...     _ = ax.plot([0, 1], [0, 1], color=method_color("lissnas"))
>>> method_color("lissnas") == method_color("lissnas")
True
"""

from __future__ import annotations

import contextlib
import zlib
from pathlib import Path

#: one column of a two-column paper, and the full text width, in inches
COLUMN_WIDTH = 3.5
FULL_WIDTH = 7.0
#: resolution of the PNG copies
DPI = 200

#: the order methods appear in tables, legends and axes (others follow alphabetically)
METHOD_ORDER = ("lissnas", "op-pruning", "top-samples", "single-region", "random")
#: the full, unshrunk space S (drawn first, in neutral grey)
FULL_SPACE = "full space"

# indices into seaborn's 10-colour "colorblind" palette, fixed by name so colours never shift between figures
_FIXED = {
    "lissnas": 0,  # blue
    "op-pruning": 1,  # orange
    "top-samples": 2,  # green
    "single-region": 4,  # purple
    "random": 7,  # light grey
}
#: the full space is drawn in a dark neutral grey, distinct from the light grey of the random baseline
_FULL_SPACE_COLOR = (0.25, 0.25, 0.25)
_FREE = (3, 5, 6, 8, 9)  # for method names not listed above, picked by a stable hash of the name

_RC = {
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    # no bbox="tight": constrained layout already fits the margins, and tight bboxes would double the layout cost
    "font.size": 7,
    "axes.titlesize": 7,
    "axes.labelsize": 7,
    "xtick.labelsize": 6,
    "ytick.labelsize": 6,
    "legend.fontsize": 6,
    "legend.title_fontsize": 6,
    "legend.frameon": False,
    "axes.linewidth": 0.6,
    "grid.linewidth": 0.4,
    "lines.linewidth": 1.0,
    "lines.markersize": 3,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "svg.fonttype": "none",  # keep text as text in the SVG
    "svg.hashsalt": "lissnas-bench",  # stable element ids -> reproducible SVG files
}


#: seaborn's "colorblind" palette, ``sns.color_palette("colorblind", 10).as_hex()`` (spelled out: importing
#: seaborn costs more than drawing a figure; tests check the two agree)
COLORBLIND = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494", "#ece133",
              "#56b4e9")


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))


def palette() -> list[tuple[float, float, float]]:
    """seaborn's colour-blind palette (10 colours) as RGB tuples."""
    return [_rgb(c) for c in COLORBLIND]


def method_color(name: str):
    """The colour of a method (or of ``FULL_SPACE``); the same in every figure."""
    if name == FULL_SPACE:
        return _FULL_SPACE_COLOR
    pal = palette()
    if name in _FIXED:
        return pal[_FIXED[name]]
    return pal[_FREE[zlib.crc32(name.encode()) % len(_FREE)]]


def method_colors(names) -> dict[str, tuple]:
    return {n: method_color(n) for n in names}


def order_methods(names) -> list[str]:
    """Methods in the project's canonical order; unknown names after, alphabetically."""
    names = list(dict.fromkeys(names))
    known = [m for m in METHOD_ORDER if m in names]
    return known + sorted(n for n in names if n not in METHOD_ORDER)


@contextlib.contextmanager
def figure_style():
    """Apply the project style for the duration of the block (global rcParams are restored afterwards)."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        yield


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = COLUMN_WIDTH, height: float | None = None,
               **kwargs):
    """A figure and its axes sized for the paper: column width by default.

    Built with ``matplotlib.figure.Figure`` rather than pyplot, so library code never touches pyplot's global
    figure list or needs a GUI backend; in a notebook, show the saved PNG or return ``fig`` as the cell's value.
    """
    from matplotlib.figure import Figure

    if height is None:
        height = min(2.4, 0.75 * width / max(ncols, 1) + 0.5) * nrows
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kwargs)


def save_figure(fig, path_stem: str | Path) -> list[Path]:
    """Write ``<stem>.png`` (``DPI``) and ``<stem>.svg`` atomically; returns both paths.

    SVG metadata carries no date, so regenerating a figure from the same numbers gives the same file.
    """
    from .._io import atomic_path

    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    engine = fig.get_layout_engine()
    for ext, extra in (("png", {"dpi": DPI, "metadata": {"Software": None}}),
                       ("svg", {"metadata": {"Date": None, "Creator": None}})):
        path = stem.with_suffix(f".{ext}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, **extra)
        out.append(path)
        # the layout is solved by the first save; freezing it halves the cost of the second (same geometry)
        fig.set_layout_engine("none")
    fig.set_layout_engine(engine)
    return out


def label_metric(metric: str) -> str:
    """A readable axis label for a benchmark metric name (``baseline_accuracy`` -> ``baseline accuracy``)."""
    return metric.replace("_", " ")
