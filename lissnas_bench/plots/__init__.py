"""Figures.  ``style`` holds the one look every figure shares and ``FigureOptions``; ``compare`` draws the
comparison report's figures, ``search`` the searches' regret curves, ``locality`` the locality analysis'.

>>> from lissnas_bench.plots import FigureOptions, figure_options_from_cli, figure_style, save_figure
>>> figure_options_from_cli("png,svg", 300, None).formats
('png', 'svg')
"""

from __future__ import annotations

from .style import (
    COLUMN_WIDTH,
    DPI,
    FULL_SPACE,
    FULL_WIDTH,
    METHOD_ORDER,
    REFERENCE,
    FigureOptions,
    current_options,
    figure_options_from_cli,
    figure_style,
    method_color,
    method_colors,
    new_figure,
    order_methods,
    save_figure,
    use_figure_options,
)

__all__ = [
    "COLUMN_WIDTH",
    "DPI",
    "FULL_SPACE",
    "FULL_WIDTH",
    "METHOD_ORDER",
    "REFERENCE",
    "FigureOptions",
    "current_options",
    "figure_options_from_cli",
    "figure_style",
    "method_color",
    "method_colors",
    "new_figure",
    "order_methods",
    "save_figure",
    "use_figure_options",
]
