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
    fig = Figure(figsize=(9, 1.4 + 0.5 * max(n, 1)), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(t("indicators.plot.title", lang))
    if n == 0:
        ax.set_axis_off()
        ax.text(0.5, 0.5, t("indicators.plot.no_targets", lang), ha="center", va="center")
        return fig
    y = np.arange(n)[::-1]  # first indicator on top
    ratio = pd.to_numeric(table["ratio"], errors="coerce").to_numpy(dtype=float) * 100
    colours = [STATUS_COLOURS.get(s, NO_VALUE) if isinstance(s, str) else NO_VALUE for s in table["status"]]
    ax.barh(y, np.nan_to_num(ratio), color=colours, height=0.6)
    right = max(120.0, np.nanmax(ratio) * 1.15 if np.isfinite(ratio).any() else 0)
    ax.set_xlim(0, right)
    ax.axvline(100, color="black", linewidth=1.2, linestyle="--")
    ax.text(100 + right * 0.01, n - 0.15, t("indicators.plot.target_line", lang), ha="left", va="top", fontsize=8)
    # value / target in a column right of the plot, where no bar or line can cover it
    for yi, r, value, target in zip(y, ratio, table["value"], table["target"]):
        text = (t("indicators.plot.no_value", lang) if np.isnan(r)
                else f"{fmt_number(int(value), lang)} / {fmt_number(_whole(target), lang)}")
        ax.text(1.02, yi, text, va="center", ha="left", fontsize=8, transform=ax.get_yaxis_transform())
    ax.set_yticks(y, [textwrap.fill(str(label), 38) for label in table["label"]])
    ax.set_ylim(-0.6, n - 0.1)
    ax.set_xlabel(t("indicators.plot.xlabel", lang))
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0f}%")
    used = [s for s in STATUS_COLOURS if s in set(table["status"].dropna())]
    handles = [Patch(color=STATUS_COLOURS[s], label=t(f"indicators.status.{s.replace(' ', '_')}", lang))
               for s in used]
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=8)
    return fig


def _whole(x):
    x = float(x)
    return int(x) if x.is_integer() else x
