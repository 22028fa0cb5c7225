"""The index page's forest figure: one effect size with its CI per outcome, the primary outcomes first.

:func:`claims_forest` takes a tidy frame of outcome rows (one per
instrument × scale of group ``all``: a label, ``g_av`` and its CI,
``n_pairs``, whether the outcome is primary, whether the row is
suppressed) and returns a :class:`matplotlib.figure.Figure` (no pyplot
state). A suppressed row, a row of fewer than ``min_cell`` people and a
row without an estimate are not drawn (no mark stands for fewer than
``min_cell`` people); the figure says how many were left out. Every word
comes from the label catalogue (``report.forest.*``).

Examples
--------
>>> rows = pd.DataFrame({"label": ["A", "B", "C"], "g_av": [0.5, -0.1, None], "g_av_ci_low": [0.2, -0.4, None],
...                      "g_av_ci_high": [0.8, 0.2, None], "n_pairs": [40, 40, 3], "primary": [False, True, True],
...                      "suppressed": [False, False, True]})
>>> fig = claims_forest(rows, min_cell=5)
>>> [tick.get_text() for tick in fig.axes[0].get_yticklabels()]   # primary first; the hidden row is not drawn
['B', 'A']
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaltools.labels import fmt_number, t
from evaltools.plots.grid import Margins, line_height, panel_column, text_width
from evaltools.plots.literal import literal_text

#: Okabe–Ito blue (primary outcomes) and a grey (the others).
BLUE, GREY = "#0072B2", "#6b6b6b"

#: The columns :func:`claims_forest` reads.
FOREST_COLUMNS = ("label", "g_av", "g_av_ci_low", "g_av_ci_high", "n_pairs", "primary", "suppressed")


def drawable(rows: pd.DataFrame, *, min_cell: int) -> pd.Series:
    """Which rows may be drawn: not suppressed, at least ``min_cell`` people, an estimate.

    >>> drawable(pd.DataFrame({"g_av": [0.1, 0.2, None], "n_pairs": [9, 4, 9], "suppressed": [False, False, False]}),
    ...          min_cell=5).tolist()
    [True, False, False]
    """
    hidden = rows["suppressed"].astype("boolean").fillna(False).astype(bool) if "suppressed" in rows else False
    n = pd.to_numeric(rows["n_pairs"], errors="coerce")
    value = pd.to_numeric(rows["g_av"], errors="coerce")
    return ~hidden & (n >= min_cell) & value.notna()


@literal_text
def claims_forest(rows: pd.DataFrame, *, lang: str = "en", min_cell: int = 5, ci_level: float = 0.95) -> Figure:
    """Forest plot of effect sizes (g with its CI), one row per outcome, the primary outcomes first.

    Parameters
    ----------
    rows : DataFrame
        Columns :data:`FOREST_COLUMNS`; ``primary`` marks the outcomes
        project.yaml names as primary (drawn first, in blue).
    min_cell : int
        Rows of fewer people are not drawn (nor suppressed rows).
    ci_level : float
        The level of the intervals, for the axis label.
    """
    shown_mask = drawable(rows, min_cell=min_cell)
    primary = rows["primary"].astype("boolean").fillna(False).astype(bool)
    shown = rows[shown_mask].assign(_primary=primary[shown_mask])
    shown = pd.concat([shown[shown["_primary"]], shown[~shown["_primary"]]])
    left_out = int((~shown_mask).sum())
    if shown.empty:
        fig = Figure(figsize=(10, 1.82), layout="constrained")
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, t("report.forest.nothing", lang), ha="center", va="center")
        return fig
    labels = [textwrap.shorten(str(s), 60, placeholder="…") for s in shown["label"]]
    n_texts = [t("report.forest.n", lang, n=fmt_number(int(n), lang)) for n in shown["n_pairs"]]
    n_primary = int(shown["_primary"].sum())
    notes = [t("report.forest.primary", lang) if n_primary else "",
             t("report.forest.left_out", lang, n=left_out, min_cell=min_cell) if left_out else ""]
    note = textwrap.fill(" ".join(n for n in notes if n), 130)
    left, right = text_width(labels, 10) + 0.25, text_width(n_texts, 8) + 0.25
    width = max(10 - left - right, 3.0)
    axis_label = t("report.forest.axis", lang, ci=f"{100 * ci_level:g}")
    chars = int(len(axis_label) * width / max(text_width([axis_label], 10), 0.1))  # characters the axes' width holds
    axis_label = textwrap.fill(axis_label, max(20, chars))
    margins = Margins(left=left, right=right, top=line_height(12) + 0.25,
                      bottom=line_height(10) * (2 + axis_label.count("\n")) + 0.2
                      + (line_height(9) * (note.count("\n") + 1) + 0.1 if note else 0))
    fig, (ax,) = panel_column([0.32 * len(shown) + 0.2], width=width, margins=margins)
    _forest_rows(ax, shown, labels, n_texts)
    if 0 < n_primary < len(shown):
        ax.axhline(len(shown) - n_primary - 0.5, color="#999999", linewidth=0.8)
    ax.set_xlabel(axis_label)
    ax.set_title(t("report.forest.title", lang), loc="left", fontsize=12, y=1.0)  # placed: not re-measured at draw
    if note:
        fig.text(0.1 / fig.get_figwidth(), 0.08 / fig.get_figheight(), note, ha="left", va="bottom", fontsize=9)
    return fig


def _forest_rows(ax, shown: pd.DataFrame, labels: list, n_texts: list) -> None:
    """One row per outcome: its CI as a line and g as a dot (blue when primary), reference lines, n at the right."""
    y = np.arange(len(shown))[::-1]
    est = pd.to_numeric(shown["g_av"], errors="coerce").to_numpy(float)
    lo = pd.to_numeric(shown["g_av_ci_low"], errors="coerce").to_numpy(float)
    hi = pd.to_numeric(shown["g_av_ci_high"], errors="coerce").to_numpy(float)
    lo, hi = np.where(np.isfinite(lo), lo, est), np.where(np.isfinite(hi), hi, est)
    colours = [BLUE if p else GREY for p in shown["_primary"]]
    for yi, e, a, b, c in zip(y, est, lo, hi, colours):
        ax.plot([a, b], [yi, yi], color=c, linewidth=2, solid_capstyle="butt")
        ax.plot([e], [yi], marker="o", markersize=7, color=c)
    for x, style in ((0, "--"), (-0.2, ":"), (0.2, ":"), (0.5, ":"), (0.8, ":")):
        ax.axvline(x, color="black" if x == 0 else "#c8c8c8", linewidth=1, linestyle=style, zorder=0)
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(shown) - 0.3)
    for yi, text in zip(y, n_texts):
        ax.text(1.01, yi, text, va="center", ha="left", fontsize=8, transform=ax.get_yaxis_transform())
