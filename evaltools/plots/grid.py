"""Fixed figure geometry: panels placed in inches when the figure is made, nothing laid out when it is drawn.

A constrained layout measures every text of every panel at each draw, and
``savefig(bbox_inches="tight")`` draws the figure twice; a figure of many
small panels spent most of its time there. :func:`panel_grid` sizes the
figure from its panels and margins in inches instead (so it reads the same
at 100 and at 10 000 people), as a :class:`FixedFigure`, which
:func:`evaltools.report.save_figure` saves as it is, drawn once.

Examples
--------
>>> margins = Margins(left=0.5, right=0.1, top=0.5, bottom=0.5, wspace=0.5, hspace=0.5)
>>> fig, axes = panel_grid(5, cols=3, width=3.0, height=2.0, margins=margins, sharex=True)
>>> len(axes), fig.get_size_inches().round(2).tolist()        # no empty sixth panel
(5, [10.6, 5.5])
>>> [ax.xaxis.get_major_ticks()[0].label1.get_visible() for ax in axes]   # x labels where no panel is below
[False, False, True, True, True]
>>> isinstance(fig, FixedFigure), fig.get_layout_engine() is None
(True, True)
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure

#: Points in an inch (font sizes are in points).
POINTS_PER_INCH = 72.0


def line_height(fontsize: float) -> float:
    """Inches one line of ``fontsize``-point text takes.

    >>> round(line_height(10), 3)
    0.167
    """
    return 1.2 * fontsize / POINTS_PER_INCH


class FixedFigure(Figure):
    """A figure whose panels were placed in inches when it was made: no layout engine, nothing to lay out when drawn.

    Every text of such a figure lies inside its canvas by construction, so
    :func:`evaltools.report.save_figure` saves it as it is, drawn once.
    """


@dataclass(frozen=True)
class Margins:
    """Inches around the panels (``left``, ``right``, ``top``, ``bottom``) and between them (``wspace``, ``hspace``)."""

    left: float = 0.6
    right: float = 0.2
    top: float = 0.6
    bottom: float = 0.6
    wspace: float = 0.6
    hspace: float = 0.6


def panel_grid(n: int, *, cols: int, width: float, height: float, margins: Margins = Margins(),
               sharex: bool = False) -> tuple[FixedFigure, list]:
    """A figure of ``n`` panels of ``width`` x ``height`` inches in rows of ``cols``, and its axes in reading order.

    The figure is as large as its panels and ``margins``; only ``n`` axes
    are made (no empty ones). With ``sharex``, the panels share their x axis
    and only a panel with no panel below it labels its x ticks.
    """
    cols = max(1, min(cols, n))
    rows = max(1, math.ceil(n / cols))
    fig_w = margins.left + cols * width + (cols - 1) * margins.wspace + margins.right
    fig_h = margins.top + rows * height + (rows - 1) * margins.hspace + margins.bottom
    fig = FixedFigure(figsize=(fig_w, fig_h))
    axes = []
    for i in range(n):
        row, col = divmod(i, cols)
        x0 = margins.left + col * (width + margins.wspace)
        y0 = fig_h - margins.top - (row + 1) * height - row * margins.hspace
        ax = fig.add_axes((x0 / fig_w, y0 / fig_h, width / fig_w, height / fig_h),
                          sharex=axes[0] if sharex and axes else None)
        if sharex:
            ax.tick_params(labelbottom=i + cols >= n)
        axes.append(ax)
    return fig, axes


def panel_column(heights: Sequence[float], *, width: float, margins: Margins = Margins(),
                 sharex: bool = False) -> tuple[FixedFigure, list]:
    """A figure of panels stacked top to bottom, ``heights`` inches each, ``width`` inches wide; its axes.

    With ``sharex``, only the bottom panel labels its x ticks.

    >>> fig, axes = panel_column([1.0, 2.0], width=4.0, margins=Margins(left=1, right=0, top=0.5, bottom=0.5,
    ...                                                                 hspace=0.5), sharex=True)
    >>> fig.get_size_inches().tolist(), [round(float(ax.get_position().height) * 4.5, 6) for ax in axes]
    ([5.0, 4.5], [1.0, 2.0])
    """
    fig_w = margins.left + width + margins.right
    fig_h = margins.top + sum(heights) + (len(heights) - 1) * margins.hspace + margins.bottom
    fig = FixedFigure(figsize=(fig_w, fig_h))
    axes, top = [], fig_h - margins.top
    for i, height in enumerate(heights):
        ax = fig.add_axes((margins.left / fig_w, (top - height) / fig_h, width / fig_w, height / fig_h),
                          sharex=axes[0] if sharex and axes else None)
        if sharex:
            ax.tick_params(labelbottom=i == len(heights) - 1)
        axes.append(ax)
        top -= height + margins.hspace
    return fig, axes


def panel_row(widths: Sequence[float], *, height: float, margins: Margins = Margins(),
              gaps: Sequence[float] | None = None) -> tuple[FixedFigure, list]:
    """A figure of panels side by side, ``widths`` inches each, ``height`` inches high; its axes, left to right.

    ``gaps``: inches between each panel and the next (each ``margins.wspace`` by default), e.g. room for the
    next panel's tick labels.

    >>> fig, axes = panel_row([2.0, 3.0], height=2.0, margins=Margins(left=1, right=0.5, top=0.5, bottom=0.5,
    ...                                                                wspace=1))
    >>> fig.get_size_inches().tolist(), [round(float(ax.get_position().x0) * 7.5, 6) for ax in axes]
    ([7.5, 3.0], [1.0, 4.0])
    >>> fig, axes = panel_row([1.0, 1.0, 1.0], height=1.0, margins=Margins(left=1, right=0), gaps=[0.5, 2.0])
    >>> float(fig.get_size_inches()[0]), [round(float(ax.get_position().x0) * 6.5, 6) for ax in axes]
    (6.5, [1.0, 2.5, 5.5])
    """
    gaps = list(gaps) if gaps is not None else [margins.wspace] * (len(widths) - 1)
    fig_w = margins.left + sum(widths) + sum(gaps) + margins.right
    fig_h = margins.top + height + margins.bottom
    fig = FixedFigure(figsize=(fig_w, fig_h))
    axes, left = [], margins.left
    for width, gap in zip(widths, gaps + [0.0]):
        axes.append(fig.add_axes((left / fig_w, margins.bottom / fig_h, width / fig_w, height / fig_h)))
        left += width + gap
    return fig, axes


def text_width(texts: Iterable[str], fontsize: float) -> float:
    """Inches the widest of ``texts`` takes in one line at ``fontsize`` points (0 for none), measured without drawing.

    >>> round(text_width(["MMMM", "x"], 10), 2)
    0.48
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure, prop = TextToPath(), FontProperties(size=fontsize)
    widths = [measure.get_text_width_height_descent(str(s), prop, ismath=False)[0] for s in texts]
    return max(widths, default=0.0) / POINTS_PER_INCH


def wrap_lines(text: str, width: int, *, max_lines: int = 2) -> str:
    """``text`` wrapped to lines of at most ``width`` characters, at most ``max_lines`` of them (then shortened).

    >>> wrap_lines("Wsparcie informacyjne (liczba osób)", 22)
    'Wsparcie informacyjne\\n(liczba osób)'
    >>> wrap_lines("one two three four five six", 10, max_lines=2)
    'one two\\nthree […]'
    """
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1:])
        lines = lines[:max_lines - 1] + [textwrap.shorten(rest, width, placeholder=" […]")]
    return "\n".join(lines)
