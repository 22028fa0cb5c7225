"""Figure of outputs against targets: each indicator's value as a share of its target.

Returns a :class:`matplotlib.figure.Figure`; words come from the label
catalogue (``indicators.*`` keys); the indicator labels are the project's own
(the ``label`` column of :func:`evaltools.indicators.indicators`, already in
the report's language).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from evaltools.labels import fmt_number, t
from evaltools.plots.grid import Margins, line_height, panel_column, text_width
from evaltools.plots.literal import literal_text

#: Colour of each status (Okabe–Ito: green, orange, vermillion; grey = no value).
STATUS_COLOURS = {"met": "#009E73", "partly": "#E69F00", "not met": "#D55E00"}
NO_VALUE = "#BBBBBB"


@literal_text
def indicators_figure(table: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Horizontal bars of value / target in %, a line at 100 %, coloured by status.

    ``value / target`` is written right of the plot; an indicator without a
    value (an ``improved`` target before endline) has no bar and says so.
    The axis reaches at least 120 % and stretches to the largest ratio.

    Parameters
    ----------
    table : DataFrame
        The result of :func:`evaltools.indicators.indicators`.
    lang : {"en", "pl"}

    Examples
    --------
    >>> table = pd.DataFrame({"indicator_id": ["a", "b"], "label": ["Families", "Reach"],
    ...                       "target": [15.0, 150.0], "value": pd.array([15, 60], dtype="Int64"),
    ...                       "ratio": [1.0, 0.4], "status": ["met", "not met"]})
    >>> fig = indicators_figure(table)
    >>> [round(p.get_width()) for p in fig.axes[0].patches]
    [100, 40]
    """
    n = len(table)
    if n == 0:
        fig = Figure(figsize=(9, 1.9), layout="constrained")
        ax = fig.add_subplot()
        ax.set_title(t("indicators.plot.title", lang))
        ax.set_axis_off()
        ax.text(0.5, 0.5, t("indicators.plot.no_targets", lang), ha="center", va="center")
        return fig
    ratio = pd.to_numeric(table["ratio"], errors="coerce").to_numpy(dtype=float) * 100
    labels = [textwrap.fill(str(label), 38) for label in table["label"]]
    values = [t("indicators.plot.no_value", lang) if np.isnan(r)
              else f"{fmt_number(int(value), lang)} / {fmt_number(_whole(target), lang)}"
              for r, value, target in zip(ratio, table["value"], table["target"])]
    used = [s for s in STATUS_COLOURS if s in set(table["status"].dropna())]
    margins = Margins(left=text_width([ln for label in labels for ln in label.split("\n")], 10) + 0.25,
                      right=text_width(values, 8) + 0.3, top=line_height(12) + 0.3,
                      bottom=2 * line_height(10) + 0.2 + (line_height(8) + 0.25) * bool(used))
    fig, (ax,) = panel_column([0.5 * n + 0.3], width=max(9 - margins.left - margins.right, 3.0), margins=margins)
    ax.set_title(t("indicators.plot.title", lang), y=1.0)  # placed: not re-measured at draw
    _ratio_bars(ax, ratio, table["status"], values, lang)
    ax.set_yticks(np.arange(n)[::-1], labels)
    ax.set_ylim(-0.6, n - 0.1)
    ax.set_xlabel(t("indicators.plot.xlabel", lang))
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0f}%")
    handles = [Patch(color=STATUS_COLOURS[s], label=t(f"indicators.status.{s.replace(' ', '_')}", lang))
               for s in used]
    if handles:
        fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.1 / fig.get_figheight()),
                   ncols=len(handles), frameon=False, fontsize=8)
    return fig


def _ratio_bars(ax, ratio: np.ndarray, status: pd.Series, values: list[str], lang: str) -> None:
    """Bars of value / target in %, first indicator on top; the target line; ``values`` right of the plot."""
    n = len(ratio)
    y = np.arange(n)[::-1]
    colours = [STATUS_COLOURS.get(s, NO_VALUE) if isinstance(s, str) else NO_VALUE for s in status]
    ax.barh(y, np.nan_to_num(ratio), color=colours, height=0.6)
    right = max(120.0, np.nanmax(ratio) * 1.15 if np.isfinite(ratio).any() else 0)
    ax.set_xlim(0, right)
    ax.axvline(100, color="black", linewidth=1.2, linestyle="--")
    ax.text(100 + right * 0.01, n - 0.15, t("indicators.plot.target_line", lang), ha="left", va="top", fontsize=8)
    # value / target in a column right of the plot, where no bar or line can cover it
    for yi, text in zip(y, values):
        ax.text(1.02, yi, text, va="center", ha="left", fontsize=8, transform=ax.get_yaxis_transform())


def _whole(x):
    x = float(x)
    return int(x) if x.is_integer() else x
