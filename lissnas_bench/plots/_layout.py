"""Laying figures out once, legends that fit, readable log axes, and a check for overlapping or clipped text.

Constrained layout re-solves at every draw (twice per save); here a figure is measured once, its subplot
margins set with ``tight_layout`` (one pass over the axes' tight bounding boxes, leaving room for a figure legend
below or to the right), and then frozen, so saving PNG + SVG + PDF costs three draws and no layout.

>>> from lissnas_bench.plots.style import figure_style, new_figure
>>> from lissnas_bench.plots._layout import bottom_legend, fit_layout, text_problems
>>> with figure_style():
...     fig, ax = new_figure()
...     _ = ax.plot([1, 2], [3, 4], label="a line")
...     fig = fit_layout(fig, bottom=bottom_legend(fig, *ax.get_legend_handles_labels()))
>>> text_problems(fig)
[]
"""

from __future__ import annotations

import math

import numpy as np


def renderer(fig):
    """An Agg renderer for measuring ``fig`` (attaching an Agg canvas if the figure has none)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def _font_px(fig) -> float:
    import matplotlib

    return float(matplotlib.rcParams["font.size"]) / 72 * fig.dpi


def fit_layout(fig, *, bottom=None, right=None, pad: float = 0.4, w_pad: float = 0.8, h_pad: float = 0.8):
    """Set ``fig``'s subplot margins once so that every axes' decorations, the suptitle and the figure legends
    ``bottom`` (anchored at the bottom centre) and ``right`` (at the right) fit; pads in font sizes."""
    r = renderer(fig)
    W, H = fig.bbox.width, fig.bbox.height
    gap = 0.3 * _font_px(fig)
    rect = [0.0, 0.0, 1.0, 1.0]
    if bottom is not None:
        rect[1] = min(0.5, (bottom.get_window_extent(r).y1 + gap) / H)
    if right is not None:
        rect[2] = max(0.5, (right.get_window_extent(r).x0 - gap) / W)
    _freeze_ticks(fig)
    # one measuring pass: with a rect, tight_layout measures every axes twice at the same geometry
    fig.tight_layout(pad=pad, w_pad=w_pad, h_pad=h_pad)
    if rect != [0.0, 0.0, 1.0, 1.0]:
        _shrink_into(fig, rect)
    # tight_layout leaves a placeholder layout engine behind, and with any engine set savefig does a dry draw
    # before the real one: clear it, the layout is final
    fig._layout_engine = None
    fig._lissnas_laid_out = True
    return fig


def _shrink_into(fig, rect) -> None:
    """Move the tight margins inward by ``rect`` (room for a figure legend), keeping the gaps between axes."""
    specs = [ax.get_subplotspec() for ax in fig.axes if ax.get_subplotspec() is not None]
    if not specs:
        return
    rows = max(s.get_gridspec().nrows for s in specs)
    cols = max(s.get_gridspec().ncols for s in specs)
    sp = fig.subplotpars
    # the gaps between axes as fractions of the figure (subplots_adjust wants them relative to the mean axes size)
    gap_w = sp.wspace * (sp.right - sp.left) / (cols + (cols - 1) * sp.wspace)
    gap_h = sp.hspace * (sp.top - sp.bottom) / (rows + (rows - 1) * sp.hspace)
    left, bottom = sp.left + rect[0], sp.bottom + rect[1]
    right, top = sp.right - (1.0 - rect[2]), sp.top - (1.0 - rect[3])
    w = (right - left - (cols - 1) * gap_w) / cols
    h = (top - bottom - (rows - 1) * gap_h) / rows
    if w <= 0 or h <= 0:
        import warnings

        warnings.warn("the figure legend leaves no room for the axes", UserWarning, stacklevel=3)
        return
    fig.subplots_adjust(left=left, bottom=bottom, right=right, top=top, wspace=gap_w / w if cols > 1 else None,
                        hspace=gap_h / h if rows > 1 else None)


def _freeze_ticks(fig) -> None:
    """Fix the automatic linear ticks at what they are now: otherwise resizing the axes (which the layout does)
    may pick other ticks with wider labels ("0.78" -> "0.775") and the one-pass margins would no longer fit.  The
    axes only grow from matplotlib's default margins, so frozen ticks never crowd."""
    from matplotlib import ticker

    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            if axis.get_scale() != "linear" or not isinstance(axis.get_major_locator(), ticker.MaxNLocator):
                continue
            lo, hi = sorted(lim)
            locs = [t for t in axis.get_majorticklocs() if lo - 1e-9 * abs(hi - lo) <= t <= hi + 1e-9 * abs(hi - lo)]
            axis.set_major_locator(ticker.FixedLocator(locs))


def _legend_cols(fig, labels, max_cols: int) -> int:
    """The most legend columns (rows balanced) whose width fits the figure, from the labels' measured widths
    and the legend's spacing parameters (building a legend per tried column count costs more)."""
    import matplotlib
    from matplotlib.font_manager import FontProperties

    r = renderer(fig)
    rc = matplotlib.rcParams
    fp = FontProperties(size=rc["legend.fontsize"])
    em = fp.get_size_in_points() / 72 * fig.dpi
    text = [r.get_text_width_height_descent(str(lab), fp, ismath=False)[0] for lab in labels]
    entry = [w + (rc["legend.handlelength"] + rc["legend.handletextpad"]) * em for w in text]
    n = len(labels)
    for cols in range(min(n, max_cols), 0, -1):
        cols = math.ceil(n / math.ceil(n / cols))  # 6 entries that fit 5 a row: 3 + 3, not 5 + 1
        per = math.ceil(n / cols)  # matplotlib fills the columns one after another
        widths = [max(entry[k: k + per]) for k in range(0, n, per)]
        total = sum(widths) + (len(widths) - 1) * rc["legend.columnspacing"] * em + 2 * rc["legend.borderpad"] * em
        if total <= 0.97 * fig.bbox.width:
            return cols
    return 1


def bottom_legend(fig, handles, labels, *, max_cols: int | None = None, **kwargs):
    """A figure legend centred below the axes, in as few rows as fit the figure's width (rows balanced)."""
    if not labels:
        return None
    cols = _legend_cols(fig, labels, max_cols or len(labels))
    return fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=cols, **kwargs)


def right_legend(fig, handles, labels, **kwargs):
    """A one-column figure legend at the right edge, vertically centred."""
    if not labels:
        return None
    return fig.legend(handles, labels, loc="center right", bbox_to_anchor=(1.0, 0.5), ncols=1, **kwargs)


def _plain(x, _pos=None) -> str:
    if x >= 1:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _ticks_fit(ax, axis: str, ticks, lo: float, hi: float) -> bool:
    """Whether plain-number labels at ``ticks`` leave a gap between neighbours on the axis as drawn now (a label
    is about 0.6 em per character wide; vertical axes only need the label height)."""
    import matplotlib
    from matplotlib.font_manager import FontProperties

    fs = FontProperties(size=matplotlib.rcParams[f"{axis}tick.labelsize"]).get_size_in_points()
    pos = ax.get_position()
    w, h = ax.figure.get_size_inches()
    length = pos.width * w if axis == "x" else pos.height * h
    at = [(math.log10(t) - math.log10(lo)) / math.log10(hi / lo) * length for t in ticks]
    size = [(0.6 * len(_plain(t)) if axis == "x" else 1.0) * fs / 72 for t in ticks]
    return all(at[i + 1] - at[i] >= (size[i] + size[i + 1]) / 2 + 0.6 * fs / 72 for i in range(len(ticks) - 1))


def log_axis(ax, values, axis: str = "x", pad: float = 1.25):
    """A log axis over ``values`` whose tick labels never crowd: 1-2-5 ticks where their labels fit the axis's
    length, else decades, else (a range narrower than a decade) a few plain ticks; labels as plain numbers."""
    from matplotlib import ticker

    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return
    lo, hi = float(v.min()) / pad, float(v.max()) * pad
    a = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    (ax.set_xlim if axis == "x" else ax.set_ylim)(lo, hi)
    chosen = None
    for subs in ((1.0, 2.0, 5.0), (1.0,)):
        ticks = [t for t in ticker.LogLocator(10, subs=subs, numticks=30).tick_values(lo, hi) if lo <= t <= hi]
        if len(ticks) >= 2 and _ticks_fit(ax, axis, ticks, lo, hi):
            chosen = ticker.LogLocator(10, subs=subs, numticks=30)
            # unlabelled minor ticks at 2 and 5 between decades; none between 1-2-5 ticks.  (Each tick is five
            # artists: matplotlib's default eight minor ticks per decade were a third of a figure's drawing time.)
            a.set_minor_locator(ticker.NullLocator() if len(subs) > 1 else ticker.LogLocator(10, subs=(2.0, 5.0)))
            break
    if chosen is None:  # narrower than a decade or two: two or three round numbers
        for nbins in (3, 2, 1):
            ticks = [t for t in ticker.MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
                     if lo <= t <= hi]
            if len(ticks) <= 1 or _ticks_fit(ax, axis, ticks, lo, hi):
                break
        chosen = ticker.FixedLocator(ticks)
        a.set_minor_locator(ticker.NullLocator())
    a.set_major_locator(chosen)
    a.set_major_formatter(ticker.FuncFormatter(_plain))
    a.set_minor_formatter(ticker.NullFormatter())


def drawn_texts(fig) -> list:
    """``[(text artist, window extent)]`` of every non-empty text actually drawn by a full draw of ``fig`` (tick
    labels outside the view are not drawn, so they are not listed)."""
    from matplotlib.text import Text

    seen = []
    original = Text.draw

    def draw(self, rend):
        original(self, rend)
        if self.get_visible() and self.get_text().strip():
            seen.append((self, self.get_window_extent(rend)))

    renderer(fig)
    Text.draw = draw
    try:
        fig.canvas.draw()
    finally:
        Text.draw = original
    return seen


def text_problems(fig, tol: float = 0.5) -> list[str]:
    """Overlapping texts (bounding boxes intersecting by more than ``tol`` pixels both ways) and texts not
    entirely inside the figure; empty when the figure is clean."""
    texts = drawn_texts(fig)
    W, H = fig.bbox.width, fig.bbox.height
    out = []
    for t, b in texts:
        if b.x0 < -tol or b.y0 < -tol or b.x1 > W + tol or b.y1 > H + tol:
            out.append(f"clipped by the figure edge: {t.get_text()!r} at {np.round(b.extents, 1).tolist()}")
    for i, (t1, b1) in enumerate(texts):
        for t2, b2 in texts[i + 1:]:
            dx = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
            dy = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
            if dx > tol and dy > tol:
                out.append(f"overlap: {t1.get_text()!r} and {t2.get_text()!r}")
    return out
