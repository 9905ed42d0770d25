"""One figure style for the whole project: paper column width, colour-blind palette, fixed method colours, and
``FigureOptions`` (formats, dpi, font size, width, workers) for every figure entry point.

Every figure module draws inside ``with figure_style(options):`` and saves with ``save_figure``, so a figure made
by the comparison report, the locality analysis or a notebook looks the same and reads at a single paper column
(3.5 in).  A method keeps its colour in every figure, whatever subset of methods a figure shows.

>>> from lissnas_bench.plots.style import FigureOptions, figure_style, new_figure, method_color, save_figure
>>> opts = FigureOptions(formats=("png", "svg"), dpi=100, font_size=7)
>>> with figure_style(opts):
...     fig, ax = new_figure()
...     _ = ax.plot([0, 1], [0, 1], color=method_color("lissnas"))
>>> fig.get_size_inches().tolist()
[3.5, 2.4]
>>> FigureOptions(dpi=20)
Traceback (most recent call last):
...
lissnas_bench.errors.InvalidConfig: figure options: dpi must be >= 50, got 20
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import zlib
from pathlib import Path

from .._params import Params, param, require

#: one column of a two-column paper, and the full text width, in inches
COLUMN_WIDTH = 3.5
FULL_WIDTH = 7.0
#: resolution of the PNG copies
DPI = 200
#: what ``save_figure`` can write, in the order its paths are returned (the first is the one reports embed)
FORMATS = ("png", "svg", "pdf")

#: the order methods appear in tables, legends and axes (others follow alphabetically)
METHOD_ORDER = ("lissnas", "op-pruning", "top-samples", "single-region", "random")
#: the method every figure draws on top (``reference=`` of the figure functions)
REFERENCE = "lissnas"
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

#: seaborn's "colorblind" palette, ``sns.color_palette("colorblind", 10).as_hex()`` (spelled out: importing
#: seaborn costs more than drawing a figure; tests check the two agree)
COLORBLIND = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494", "#ece133",
              "#56b4e9")


@dataclasses.dataclass(frozen=True)
class FigureOptions(Params):
    """How figures are drawn and saved.  ``width`` is one paper column; full-width figures take twice that.
    ``workers > 1`` lets ``plots.compare.make_figures`` draw targets in that many processes."""

    where = "figure options"
    formats: tuple[str, ...] = param(("png",), choices=FORMATS, help="files written per figure: png, svg, pdf")
    dpi: int = param(DPI, ge=50, le=1200, help="resolution of the PNG")
    font_size: float = param(7.0, ge=4, le=20, help="base font size in points (tick labels one point less)")
    width: float = param(COLUMN_WIDTH, ge=2, le=10, help="column width in inches")
    workers: int = param(1, ge=1, le=64, help="processes for make_figures")

    def __post_init__(self):
        f = self.formats
        if isinstance(f, str):
            f = f.split(",")
        if isinstance(f, (list, tuple)):  # case and order do not matter; duplicates are dropped
            f = tuple(s.strip().lower() if isinstance(s, str) else s for s in f)
            f = tuple(x for x in FORMATS if x in f) + tuple(x for x in dict.fromkeys(f) if x not in FORMATS)
            object.__setattr__(self, "formats", f)
        super().__post_init__()

    def check(self):
        require(len(self.formats) > 0, "formats", "must name at least one of png, svg, pdf")

    @property
    def full_width(self) -> float:
        return 2 * self.width


def figure_options_from_cli(format: str | None = None, dpi: int | None = None,  # noqa: A002 (the flag's name)
                            font_size: float | None = None) -> FigureOptions:
    """``FigureOptions`` from the ``--format``, ``--dpi`` and ``--font-size`` flags (None = the default).

    >>> figure_options_from_cli("svg,PNG", None, 9)
    FigureOptions(formats=('png', 'svg'), dpi=200, font_size=9.0, width=3.5, workers=1)
    """
    given = {"formats": format, "dpi": dpi, "font_size": font_size}
    return FigureOptions.build({k: v for k, v in given.items() if v is not None})


_CURRENT: contextvars.ContextVar[FigureOptions | None] = contextvars.ContextVar("lissnas_figure_options",
                                                                                default=None)


def current_options() -> FigureOptions:
    """The options of the innermost ``figure_style`` / ``use_figure_options`` block (defaults outside)."""
    return _CURRENT.get() or FigureOptions()


@contextlib.contextmanager
def use_figure_options(options: FigureOptions | None):
    """Make ``options`` the default of every figure drawn or saved in the block, including by code that does not
    take options itself (e.g. ``locality.write_locality_report``).

    >>> with use_figure_options(FigureOptions(formats=("svg",))):
    ...     current_options().formats
    ('svg',)
    """
    token = _CURRENT.set(options if options is not None else _CURRENT.get())
    try:
        yield current_options()
    finally:
        _CURRENT.reset(token)


def _rc(o: FigureOptions) -> dict:
    small = max(4.0, o.font_size - 1)
    return {
        "figure.dpi": 100,
        "savefig.dpi": o.dpi,
        # DejaVu Sans ships with matplotlib: the same glyphs (and text extents) on every machine
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": o.font_size,
        "axes.titlesize": o.font_size,
        "axes.labelsize": o.font_size,
        "figure.titlesize": o.font_size,
        "xtick.labelsize": small,
        "ytick.labelsize": small,
        "legend.fontsize": small,
        "legend.title_fontsize": small,
        "legend.frameon": False,
        "legend.handletextpad": 0.4,
        "legend.columnspacing": 1.0,
        "axes.linewidth": 0.6,
        "axes.titlepad": 3.0,
        "axes.labelpad": 2.0,
        "grid.linewidth": 0.4,
        "lines.linewidth": 1.0,
        "lines.markersize": 3,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.major.size": 2.5,
        "ytick.major.size": 2.5,
        "xtick.minor.size": 1.5,
        "ytick.minor.size": 1.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.35,
        "svg.fonttype": "none",  # text stays text in SVG (editable, searchable, small)
        "svg.hashsalt": "lissnas-bench",  # stable element ids -> reproducible SVG files
        "pdf.fonttype": 42,  # TrueType in PDF: text stays text, as journals require
        "ps.fonttype": 42,
    }


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


def drawing_order(names, reference: str | None = REFERENCE) -> list[str]:
    """``order_methods`` with ``reference`` moved last, so that it is drawn on top of the others."""
    names = order_methods(names)
    return [n for n in names if n != reference] + [n for n in names if n == reference]


@contextlib.contextmanager
def figure_style(options: FigureOptions | None = None):
    """Apply the project style (and make ``options`` current) for the duration of the block; global rcParams
    are restored afterwards."""
    import matplotlib

    with use_figure_options(options) as o, matplotlib.rc_context(_rc(o)):
        yield o


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float | None = None, height: float | None = None,
               full: bool = False, **kwargs):
    """A figure and its axes sized for the paper: the current options' column width (twice that with ``full``).

    ``height`` is in inches at the 7 pt default and grows with a larger font size.  No layout engine: the figure
    is laid out once by ``plots._layout.fit_layout`` before it is saved (constrained layout would be re-solved at
    every draw).  ``ncols=0``: no axes (the caller adds its own grid).  Built with ``matplotlib.figure.Figure``
    rather than pyplot, so library code never touches pyplot's global figure list or needs a GUI backend.
    """
    from matplotlib.figure import Figure

    o = current_options()
    if width is None:
        width = o.full_width if full else o.width
    if height is None:
        height = min(2.4, 0.75 * width / max(ncols, 1) + 0.5) * nrows
    height *= max(1.0, o.font_size / 7.0)
    # measured (laid out) at the resolution it is saved at: hinted text is relatively wider at 200 dpi than at 100
    fig = Figure(figsize=(width, height), dpi=o.dpi)
    return fig, (fig.subplots(nrows, ncols, **kwargs) if ncols else None)


#: per format: no date, software or creator, so that saving the same figure twice gives the same bytes
_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
             "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}


def save_figure(fig, path_stem: str | Path, options: FigureOptions | None = None) -> list[Path]:
    """Write ``<stem>.<format>`` for each of the options' formats (atomic writes); returns the paths in
    ``FORMATS`` order.  Lays the figure out first if nothing did.

    SVG and PDF keep text as text and carry no date, so regenerating a figure from the same numbers gives the
    same file.
    """
    from .._io import atomic_path
    from ._layout import fit_layout

    o = options or current_options()
    if not getattr(fig, "_lissnas_laid_out", False):
        fit_layout(fig)
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with matplotlib_rc(o):
        for ext in o.formats:
            path = stem.with_suffix(f".{ext}")
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=ext, dpi=o.dpi, metadata=_METADATA[ext])
            out.append(path)
    return out


@contextlib.contextmanager
def matplotlib_rc(o: FigureOptions):
    """The savefig-time settings (font types, SVG hash salt) even when saving outside ``figure_style``."""
    import matplotlib

    keys = ("svg.fonttype", "svg.hashsalt", "pdf.fonttype", "ps.fonttype")
    rc = _rc(o)
    with matplotlib.rc_context({k: rc[k] for k in keys}):
        yield


def label_metric(metric: str) -> str:
    """A readable axis label for a benchmark metric name (``baseline_accuracy`` -> ``baseline accuracy``)."""
    return metric.replace("_", " ")
