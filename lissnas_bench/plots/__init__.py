"""Figures.  ``style`` holds the one look every figure shares; ``compare`` draws the comparison report's figures.

>>> from lissnas_bench.plots import figure_style, method_color, save_figure
"""

from __future__ import annotations

from .style import (
    COLUMN_WIDTH,
    DPI,
    FULL_SPACE,
    FULL_WIDTH,
    METHOD_ORDER,
    figure_style,
    method_color,
    method_colors,
    new_figure,
    order_methods,
    save_figure,
)

__all__ = [
    "COLUMN_WIDTH",
    "DPI",
    "FULL_SPACE",
    "FULL_WIDTH",
    "METHOD_ORDER",
    "figure_style",
    "method_color",
    "method_colors",
    "new_figure",
    "order_methods",
    "save_figure",
]
