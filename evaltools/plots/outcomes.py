"""Figures of change in outcomes: forest plot, reliable-change bars, dose–response panels.

Each function takes a result table (and, for dose–response, the
id-free points of :func:`evaltools.dose_response.dose_points`) and returns a
:class:`matplotlib.figure.Figure` (no pyplot state). Every word comes from
the label catalogue (``outcomes.*``; scale titles from the instruments).
Suppressed rows are never drawn: the figure says how many were left out.
Nothing per person is drawn except a seeded random sample of anonymous
dots in the dose–response panels, so the figures read the same at 10 000
participants as at 100.

Examples
--------
>>> change = pd.DataFrame({"instrument": "x", "scale": ["a", "b", "c"], "group": "all",
...                        "n_pairs": [40, 40, 3], "mean_diff": [0.4, -0.1, None], "ci_low": [0.2, -0.3, None],
...                        "ci_high": [0.6, 0.1, None], "ci_level": 0.95, "g_av": [0.5, -0.1, None],
...                        "g_av_ci_low": [0.2, -0.4, None], "g_av_ci_high": [0.8, 0.2, None],
...                        "p_holm": [0.001, 0.4, None], "suppressed": [False, False, True]})
>>> fig = change_forest(change)
>>> len(fig.axes[0].get_yticks())     # the suppressed scale is left out
2
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaltools.labels import code_label, fmt_number, has, t
from evaltools.plots.grid import Margins, line_height, panel_column, panel_grid, text_width, wrap_lines
from evaltools.plots.literal import literal_text

#: Okabe–Ito colours (safe for colour-blind readers).
BLUE, GREEN, VERMILLION, GREY = "#0072B2", "#009E73", "#D55E00", "#BBBBBB"
CATEGORY_COLOURS = {"improved": GREEN, "unchanged": GREY, "deteriorated": VERMILLION}


def _group_label(group: str, lang: str) -> str:
    if group == "all":
        return t("outcomes.group_all", lang)
    return code_label("component", group, lang)


def instrument_label(instrument: str, instruments: Mapping | None, lang: str) -> str:
    """An instrument's title in ``lang`` (its id when the library has none)."""
    if instruments and instrument in instruments:
        return instruments[instrument].title_in(lang)
    if instrument == "ego_network" and has("ties.instrument"):
        return t("ties.instrument", lang)
    return str(instrument)


def scale_label(instrument: str, scale: str, instruments: Mapping | None, lang: str) -> str:
    """A scale's title in ``lang`` (its id when the instrument gives none)."""
    if instruments and instrument in instruments:
        sc = next((s for s in instruments[instrument].scales if s.id == scale), None)
        if sc is not None and sc.title:
            return str(sc.title.get(lang) or sc.title.get("en") or scale)
    if instrument == "ego_network" and has(f"ties.measure.{scale}"):
        return t(f"ties.measure.{scale}", lang)
    return str(scale)


def _suppressed(table: pd.DataFrame) -> pd.Series:
    if "suppressed" not in table.columns:
        return pd.Series(False, index=table.index)
    return table["suppressed"].astype("boolean").fillna(False).astype(bool)


def _ci_percent(table: pd.DataFrame) -> str:
    level = pd.to_numeric(table.get("ci_level", pd.Series(dtype=float)), errors="coerce").dropna()
    return f"{100 * (level.iloc[0] if len(level) else 0.95):g}"


def _empty(fig: Figure, lang: str, title: str) -> Figure:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, t("outcomes.plot.nothing", lang), ha="center", va="center")
    return fig


def add_footnote(fig: Figure, lines: Sequence[str]) -> None:
    """Small text under the plot, with room made for it in the constrained layout."""
    text = " ".join(line for line in lines if line)
    if not text:
        return
    width = int(fig.get_figwidth() * 15)  # characters of 8-pt text per line
    wrapped = textwrap.fill(text, width)
    n_lines = wrapped.count("\n") + 1
    bottom = min(0.3, (0.1 + 0.15 * n_lines) / fig.get_figheight())
    fig.text(0.01, 0.01, wrapped, ha="left", va="bottom", fontsize=8)
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))


@literal_text
def change_forest(change: pd.DataFrame, *, lang: str = "en", group: str = "all", measure: str = "g_av",
                  instruments: Mapping | None = None) -> Figure:
    """Forest plot: change with its CI on every scale of one group, one panel per instrument.

    Parameters
    ----------
    change : DataFrame
        The :func:`evaltools.change.paired_change` table.
    group : str
        Which group's rows to draw (``all`` by default).
    measure : {"g_av", "mean_diff"}
        ``g_av`` (unit-free, one shared axis) or ``mean_diff`` in the scale's
        units (each instrument its own axis).
    instruments : mapping of id to Instrument, optional
        For the titles of instruments and scales.

    A filled marker means p_holm < 1 − ``ci_level``. Suppressed rows and
    rows without an estimate are left out and counted below the plot.
    """
    if measure not in ("g_av", "mean_diff"):
        raise ValueError(f"measure must be g_av or mean_diff, not {measure!r}")
    rows = change[change["group"] == group]
    hidden = _suppressed(rows)
    value = pd.to_numeric(rows[measure], errors="coerce")
    shown = rows[~hidden & value.notna()]
    title = t("outcomes.plot.forest_title", lang, group=_group_label(group, lang))
    insts = list(dict.fromkeys(shown["instrument"]))
    if not insts:
        return _empty(Figure(figsize=(9, 2.5), layout="constrained"), lang, title)
    alpha = 1 - float(pd.to_numeric(rows["ci_level"], errors="coerce").dropna().iloc[0]) \
        if rows["ci_level"].notna().any() else 0.05
    labels = {(i, s): textwrap.shorten(scale_label(i, s, instruments, lang), FOREST_LABEL_CHARS, placeholder="…")
              for i, s in zip(shown["instrument"], shown["scale"])}
    n_texts = {n: t("outcomes.plot.n", lang, n=fmt_number(int(n), lang)) for n in shown["n_pairs"]}
    n_hidden, n_none = int(hidden.sum()), int((~hidden & value.isna()).sum())
    note = textwrap.fill(" ".join(line for line in [
        t("outcomes.plot.significant", lang), t("outcomes.plot.hidden_rows", lang, n=n_hidden) if n_hidden else "",
        t("outcomes.plot.no_estimate", lang, n=n_none) if n_none else ""] if line), 9 * 15)
    axis_room = 2 * line_height(10) + 0.15  # tick labels and the axis label under a panel
    margins = Margins(left=text_width(labels.values(), 10) + 0.25, right=text_width(n_texts.values(), 8) + 0.25,
                      top=line_height(12) + line_height(10) + 0.35,
                      hspace=line_height(10) + 0.2 + (axis_room if measure == "mean_diff" else 0),
                      bottom=axis_room + (note.count("\n") + 1) * line_height(8) + 0.15)
    heights = [0.38 * ((shown["instrument"] == i).sum() + 0.6) for i in insts]
    fig, axes = panel_column(heights, width=max(9 - margins.left - margins.right, 3.0), margins=margins,
                             sharex=measure == "g_av")
    for ax, inst in zip(axes, insts):
        part = shown[shown["instrument"] == inst]
        _forest_panel(ax, part, measure=measure, alpha=alpha, labels=[labels[inst, s] for s in part["scale"]],
                      n_texts=[n_texts[n] for n in part["n_pairs"]])
        ax.set_title(instrument_label(inst, instruments, lang), loc="left", fontsize=10, y=1.0)  # placed: no re-measure
        if measure == "mean_diff" or ax is axes[-1]:
            ax.set_xlabel(t(f"outcomes.plot.{measure}_axis", lang, ci=_ci_percent(rows)))
    fig.suptitle(title, y=1 - 0.1 / fig.get_figheight(), va="top")
    fig.text(0.1 / fig.get_figwidth(), 0.1 / fig.get_figheight(), note, ha="left", va="bottom", fontsize=8)
    return fig


#: Characters of a scale's name on the forest plot (longer names are shortened).
FOREST_LABEL_CHARS = 48


def _forest_panel(ax, part: pd.DataFrame, *, measure: str, alpha: float, labels: list, n_texts: list) -> None:
    """One instrument's scales: estimate and CI per row, filled when p_holm < ``alpha``, n at the right."""
    lo_col, hi_col = ("g_av_ci_low", "g_av_ci_high") if measure == "g_av" else ("ci_low", "ci_high")
    y = np.arange(len(part))[::-1]
    est = part[measure].to_numpy(float)
    lo, hi = part[lo_col].to_numpy(float), part[hi_col].to_numpy(float)
    err = np.vstack([est - np.where(np.isfinite(lo), lo, est), np.where(np.isfinite(hi), hi, est) - est])
    ax.errorbar(est, y, xerr=err, fmt="none", ecolor=BLUE, elinewidth=1.6, capsize=3)
    significant = pd.to_numeric(part["p_holm"], errors="coerce").to_numpy(float) < alpha
    ax.scatter(est[significant], y[significant], s=42, color=BLUE, zorder=3)
    ax.scatter(est[~significant], y[~significant], s=42, facecolor="white", edgecolor=BLUE, zorder=3)
    ax.axvline(0, color="black", linewidth=1, linestyle="--")
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(part) - 0.3)
    for yi, text in zip(y, n_texts):
        ax.text(1.01, yi, text, va="center", ha="left", fontsize=8, transform=ax.get_yaxis_transform())


@literal_text
def reliable_change_bars(reliable: pd.DataFrame, *, lang: str = "en", group: str = "all",
                         instruments: Mapping | None = None) -> Figure:
    """Stacked bars: the share of people reliably improved, unchanged and deteriorated on each scale.

    Parameters
    ----------
    reliable : DataFrame
        The :func:`evaltools.reliable_change.reliable_change` table.

    Examples
    --------
    >>> rc = pd.DataFrame({"instrument": "x", "scale": ["a", "b"], "group": "all", "n_pairs": [20, 2],
    ...                    "n_improved": [8, None], "n_unchanged": [10, None], "n_deteriorated": [2, None],
    ...                    "suppressed": [False, True]})
    >>> fig = reliable_change_bars(rc)
    >>> [round(p.get_width()) for p in fig.axes[0].patches]      # deteriorated, unchanged, improved (%)
    [10, 50, 40]
    """
    rows = reliable[reliable["group"] == group]
    hidden = _suppressed(rows)
    counts = rows[["n_improved", "n_unchanged", "n_deteriorated"]].apply(pd.to_numeric, errors="coerce")
    shown = rows[~hidden & counts.notna().all(axis=1) & (pd.to_numeric(rows["n_pairs"], errors="coerce") > 0)]
    title = t("outcomes.plot.rc_title", lang, group=_group_label(group, lang))
    if shown.empty:
        return _empty(Figure(figsize=(9, 1.8 + 0.45), layout="constrained"), lang, title)
    n = shown["n_pairs"].to_numpy(float)
    labels = [f"{instrument_label(i, instruments, lang)}: {scale_label(i, s, instruments, lang)}"
              for i, s in zip(shown["instrument"], shown["scale"])]
    n_texts = [t("outcomes.plot.n", lang, n=fmt_number(int(k), lang)) for k in n]
    n_hidden, n_none = int(hidden.sum()), int((~hidden & counts.isna().any(axis=1)).sum())
    note = textwrap.fill(" ".join(line for line in [
        t("outcomes.plot.hidden_rows", lang, n=n_hidden) if n_hidden else "",
        t("outcomes.plot.no_sdiff", lang, n=n_none) if n_none else ""] if line), 9 * 15)
    legend_room = line_height(8) + 0.25
    margins = Margins(left=text_width(labels, 10) + 0.25, right=text_width(n_texts, 8) + 0.25,
                      top=line_height(12) + 0.3,
                      bottom=2 * line_height(10) + 0.2 + legend_room + (note.count("\n") + 1) * line_height(8) * bool(note))
    fig, (ax,) = panel_column([0.45 * len(shown) + 0.3], width=max(9 - margins.left - margins.right, 3.0),
                              margins=margins)
    _share_bars(ax, shown, n, lang)
    ax.set_yticks(np.arange(len(shown))[::-1], labels)
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("outcomes.plot.rc_axis", lang))
    for yi, text in zip(np.arange(len(shown))[::-1], n_texts):
        ax.text(1.01, yi, text, va="center", ha="left", fontsize=8, transform=ax.get_yaxis_transform())
    ax.set_title(title, y=1.0)  # placed: not re-measured at draw
    fig_w, fig_h = fig.get_size_inches()
    below = 0.1 + (note.count("\n") + 1) * line_height(8) * bool(note)
    fig.legend(loc="lower center", bbox_to_anchor=(0.5, below / fig_h), ncols=3, frameon=False, fontsize=8)
    if note:
        fig.text(0.1 / fig_w, 0.08 / fig_h, note, ha="left", va="bottom", fontsize=8)
    return fig


def _share_bars(ax, shown: pd.DataFrame, n: np.ndarray, lang: str) -> None:
    """Stacked bars of the shares deteriorated, unchanged and improved; shares of 8% or more written on them."""
    y = np.arange(len(shown))[::-1]
    left = np.zeros(len(shown))
    for cat in ("deteriorated", "unchanged", "improved"):
        share = 100 * pd.to_numeric(shown[f"n_{cat}"]).to_numpy(float) / n
        ax.barh(y, share, left=left, color=CATEGORY_COLOURS[cat], height=0.6,
                label=t(f"outcomes.category.{cat}", lang))
        for yi, x0, w in zip(y, left, share):
            if w >= 8:
                ax.text(x0 + w / 2, yi, f"{w:.0f}%", ha="center", va="center", fontsize=8,
                        color="black" if cat == "unchanged" else "white")
        left = left + share


def dose_bins(x: np.ndarray, y: np.ndarray, *, min_cell: int, alpha: float = 0.05,
              max_bins: int = 8) -> pd.DataFrame:
    """Mean change with a t CI in attendance bins of at least ``min_cell`` people: no mark stands for fewer.

    Adjacent attendance values are merged (:func:`evaltools.plots.ties.merged_bins`)
    until every bin holds at least ``max(min_cell, n / max_bins)`` people;
    with fewer than ``min_cell`` people in all there is no bin.

    Returns ``n, x, x_low, x_high, mean, lo, hi`` per bin (``x`` the mean
    attendance of its people, ``x_low``–``x_high`` the values it spans).

    >>> x = np.array([0, 0, 1, 1, 1, 2, 5, 9, 9, 9, 9, 9.])
    >>> b = dose_bins(x, np.arange(12.), min_cell=3, max_bins=4)
    >>> b[["n", "x_low", "x_high", "mean"]].to_numpy().tolist()
    [[7.0, 0.0, 5.0, 3.0], [5.0, 9.0, 9.0, 9.0]]
    >>> dose_bins(x[:2], x[:2], min_cell=3).empty
    True
    """
    from scipy import stats

    from evaltools.plots.ties import merged_bins

    columns = ["n", "x", "x_low", "x_high", "mean", "lo", "hi"]
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x, float)[ok], np.asarray(y, float)[ok]
    need = max(int(min_cell), 2)
    if len(x) < need:
        return pd.DataFrame(columns=columns, dtype=float)
    values, counts = np.unique(x, return_counts=True)
    target = max(need, int(np.ceil(len(x) / max_bins)))
    rows = []
    for first, last in merged_bins(counts, min_cell=target):
        inside = (x >= values[first]) & (x <= values[last])
        n = int(inside.sum())
        if n < need:
            continue
        yy = y[inside]
        half = stats.t.isf(alpha / 2, n - 1) * yy.std(ddof=1) / np.sqrt(n)
        rows.append([n, x[inside].mean(), values[first], values[last], yy.mean(), yy.mean() - half, yy.mean() + half])
    return pd.DataFrame(rows, columns=columns, dtype=float)


#: Geometry of the dose–response panels in inches (:func:`evaltools.plots.grid.panel_grid`).
DOSE_PANEL = {"width": 3.0, "height": 1.9}
#: Characters of a panel's 9-point title per line (at most two lines of the scale's name).
DOSE_TITLE_WIDTH = 34


@literal_text
def dose_response_panels(points: pd.DataFrame, table: pd.DataFrame, *, lang: str = "en",
                         instruments: Mapping | None = None, seed: int = 0, min_cell: int = 5,
                         columns: int = 3) -> Figure:
    """Change against sessions attended, one small panel per scale, all on one shared sessions axis.

    Each panel shows the fitted line of :func:`evaltools.dose_response.dose_response`
    and the mean change in attendance bins of at least ``min_cell`` people
    with their CIs (:func:`dose_bins`); no mark stands for a single person
    or for fewer than ``min_cell``. Scales whose row in ``table`` is
    suppressed or has no slope are left out and counted below. ``seed`` is
    accepted for callers of the earlier, sampled version (nothing is random).
    The panels have a fixed size in inches (:mod:`evaltools.plots.grid`).

    Parameters
    ----------
    points : DataFrame
        ``instrument, scale, sessions, diff`` (:func:`evaltools.dose_response.dose_points`).
    table : DataFrame
        The :func:`evaltools.dose_response.dose_response` table.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 30, 500).astype(float)
    >>> pts = pd.DataFrame({"instrument": "x", "scale": "a", "sessions": x, "diff": 0.02 * x + rng.normal(0, .5, 500)})
    >>> table = pd.DataFrame({"instrument": ["x"], "scale": ["a"], "n": [500], "r": [0.3], "slope": [0.02],
    ...                       "intercept": [0.0], "ci_level": [0.95], "suppressed": [False]})
    >>> fig = dose_response_panels(pts, table, min_cell=5)
    >>> len(fig.axes[0].lines[0].get_xdata())      # 6 bin means, each of at least 63 people; no dots
    6
    >>> len(fig.axes[0].collections) == 1         # the error bars only
    True
    """
    hidden = _suppressed(table)
    shown = table[~hidden & pd.to_numeric(table["slope"], errors="coerce").notna()]
    title = t("outcomes.plot.dose_title", lang)
    if shown.empty:
        return _empty(Figure(figsize=(4.0, 3.0), layout="constrained"), lang, title)
    level = pd.to_numeric(shown["ci_level"], errors="coerce").fillna(0.95).to_numpy()
    n_hidden = int(hidden.sum())
    note = [t("report.dose_bins", lang, min_cell=min_cell, ci=f"{100 * float(level[0]):g}") + ";",
            t("outcomes.plot.fit", lang) + ".", t("outcomes.plot.hidden_rows", lang, n=n_hidden) if n_hidden else ""]
    cols = max(1, min(columns, len(shown)))
    width = cols * DOSE_PANEL["width"] + (cols - 1) * 0.55 + 0.9
    note = textwrap.fill(" ".join(line for line in note if line), int(width * 15))
    note_height = (note.count("\n") + 1) * line_height(8)
    margins = Margins(left=0.75, right=0.3, top=0.3 + 3 * line_height(9) + 0.1, bottom=0.75 + note_height,
                      wspace=0.55, hspace=3 * line_height(9) + 0.15)
    fig, axes = panel_grid(len(shown), cols=cols, margins=margins, sharex=True, **DOSE_PANEL)
    groups = dict(tuple(points.groupby(["instrument", "scale"], sort=False)))
    for ax, (_, row), lev in zip(axes, shown.iterrows(), level):
        part = groups.get((row["instrument"], row["scale"]), points.iloc[:0])
        _dose_panel(ax, part, row, min_cell=min_cell, alpha=1 - lev, lang=lang,
                    label=scale_label(row["instrument"], row["scale"], instruments, lang))
    fig_w, fig_h = fig.get_size_inches()
    middle = (margins.left + (fig_w - margins.right)) / 2 / fig_w
    fig.suptitle(title, y=1 - 0.08 / fig_h, va="top")
    fig.supxlabel(t("outcomes.plot.sessions_axis", lang), x=middle, y=(note_height + 0.2) / fig_h, va="bottom",
                  fontsize=9)
    fig.supylabel(t("outcomes.plot.change_axis", lang), x=0.05 / fig_w, ha="left",
                  y=(margins.bottom + (fig_h - margins.top)) / 2 / fig_h, fontsize=9)
    fig.text(0.05 / fig_w, 0.08 / fig_h, note, ha="left", va="bottom", fontsize=8)
    return fig


def _dose_panel(ax, part: pd.DataFrame, row: pd.Series, *, min_cell: int, alpha: float, lang: str, label: str) -> None:
    """One scale's panel: bin means with their CIs, the fitted line across the bins, zero, a title with r and n."""
    from matplotlib.ticker import MaxNLocator

    bins = dose_bins(part["sessions"].to_numpy(float), part["diff"].to_numpy(float), min_cell=min_cell, alpha=alpha)
    if len(bins):
        ax.errorbar(bins["x"], bins["mean"], yerr=[bins["mean"] - bins["lo"], bins["hi"] - bins["mean"]],
                    fmt="o", color=BLUE, markersize=5, capsize=2)
        grid = np.linspace(bins["x"].min(), bins["x"].max(), 2)  # the line spans the bins, not one person's x
        ax.plot(grid, float(row["intercept"]) + float(row["slope"]) * grid, color=VERMILLION, linewidth=1.5)
    ax.axhline(0, color="black", linewidth=0.8, linestyle="--")
    ax.set_title(f"{wrap_lines(label, DOSE_TITLE_WIDTH)}\n"
                 + t("outcomes.plot.dose_panel", lang, r=fmt_number(float(row["r"]), lang),
                     n=fmt_number(int(row["n"]), lang)), fontsize=9, y=1.0)  # placed: not re-measured at draw
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.tick_params(labelsize=8)
