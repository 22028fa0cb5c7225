"""Figures of three or more waves and of a comparison arm.

:func:`trajectory_figure` draws one instrument's means by wave (group
``all`` of :func:`evaltools.trajectory.trajectory`), one line per scale with
its CI; a follow-up wave is labelled as coming after the programme.
:func:`comparison_figure` draws both arms' means at baseline and endline
(:func:`evaltools.comparison.arm_means`), one panel per scale. Suppressed
rows (fewer than ``min_cell`` people) get no mark: the figure says how many
were left out. Nothing per person is drawn. Every word comes from the label
catalogue (``arms.*``, wave and arm codes).

Examples
--------
>>> traj = pd.DataFrame({"instrument": "x", "scale": ["a"] * 3 + ["b"] * 3, "group": "all",
...                      "wave": ["baseline", "endline", "followup"] * 2, "n": [20, 18, 3, 20, 18, 16],
...                      "mean": [2.0, 2.6, None, 3.0, 3.1, 3.2], "ci_low": [1.8, 2.3, None, 2.8, 2.9, 2.9],
...                      "ci_high": [2.2, 2.9, None, 3.2, 3.3, 3.5],
...                      "suppressed": [False, False, True, False, False, False]})
>>> fig = trajectory_figure(traj, "x", lang="pl", min_cell=5)
>>> [tick.get_text() for tick in fig.axes[0].get_xticklabels()]
['pomiar początkowy', 'pomiar końcowy', 'pomiar odroczony\\n(po programie)']
>>> len(fig.axes[0].lines) > 0, "1" in fig.texts[0].get_text()   # one hidden mean is counted
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaltools.labels import code_label, t
from evaltools.plots.outcomes import BLUE, GREY, VERMILLION, add_footnote, instrument_label, scale_label
from evaltools.schema import ordered_waves
from evaltools.plots.literal import literal_text

#: Okabe–Ito colours for up to eight scales.
SCALE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
ARM_COLOURS = {"programme": BLUE, "comparison": VERMILLION}


def _wave_tick(wave: str, lang: str) -> str:
    label = code_label("wave", wave, lang)
    return f"{label}\n({t('arms.trajectory.after', lang)})" if wave == "followup" else label


def _hidden(table: pd.DataFrame) -> np.ndarray:
    return table["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _errorbars(ax, x, mean, lo, hi, colour, label):
    err = np.vstack([mean - np.where(np.isfinite(lo), lo, mean), np.where(np.isfinite(hi), hi, mean) - mean])
    ax.errorbar(x, mean, yerr=err, color=colour, marker="o", capsize=3, linewidth=1.6, label=label)


@literal_text
def trajectory_figure(trajectory: pd.DataFrame, instrument: str, *, lang: str = "en", group: str = "all",
                      instruments: Mapping | None = None, min_cell: int = 5, ci_level: float = 0.95) -> Figure:
    """One instrument's means by wave with their CIs, one line per scale (``group`` only).

    Parameters
    ----------
    trajectory : DataFrame
        The :func:`evaltools.trajectory.trajectory` table.
    instrument : str
        Which instrument to draw.
    min_cell : int
        Only for the footnote that says why marks are missing.
    ci_level : float
        The level of the table's CIs (1 − ``alpha``), for the axis label.
    """
    rows = trajectory[(trajectory["instrument"] == instrument) & (trajectory["group"] == group)]
    waves = ordered_waves(rows["wave"])
    fig = Figure(figsize=(8, 4.6), layout="constrained")
    ax = fig.add_subplot()
    title = t("arms.trajectory.title", lang, instrument=instrument_label(instrument, instruments, lang))
    ax.set_title(title)
    hidden = _hidden(rows)
    scales = list(dict.fromkeys(rows["scale"]))
    width = 0.25 / max(len(scales), 1)
    for i, scale in enumerate(scales):
        part = rows[(rows["scale"] == scale) & ~hidden & rows["mean"].notna()]
        if not len(part):
            continue
        x = np.array([waves.index(w) for w in part["wave"]]) + (i - (len(scales) - 1) / 2) * width
        _errorbars(ax, x, part["mean"].to_numpy(float), part["ci_low"].to_numpy(float),
                   part["ci_high"].to_numpy(float), SCALE_COLOURS[i % len(SCALE_COLOURS)],
                   scale_label(instrument, scale, instruments, lang))
    ax.set_xticks(range(len(waves)), [_wave_tick(w, lang) for w in waves])
    ax.set_xlim(-0.5, len(waves) - 0.5)
    ax.set_ylabel(t("arms.trajectory.y", lang, level=f"{100 * ci_level:g}"))
    if "followup" in waves and "endline" in waves:
        ax.axvline(waves.index("endline") + 0.5, color=GREY, linestyle=":", linewidth=1)
    if ax.lines:
        ax.legend(loc="best", fontsize=8, frameon=False)
    if hidden.any():
        add_footnote(fig, [t("arms.trajectory.hidden", lang, n=int(hidden.sum()), min_cell=min_cell)])
    return fig


@literal_text
def comparison_figure(means: pd.DataFrame, instrument: str, *, lang: str = "en",
                      instruments: Mapping | None = None, min_cell: int = 5, ci_level: float = 0.95) -> Figure:
    """Both arms' means at baseline and endline (complete pairs), one panel per scale of ``instrument``.

    ``means`` is the :func:`evaltools.comparison.arm_means` table; a scale
    where either arm has fewer than ``min_cell`` pairs is left out and the
    figure says so.

    >>> means = pd.DataFrame({"instrument": "x", "scale": "s", "arm": ["programme"] * 2 + ["comparison"] * 2,
    ...                       "wave": ["baseline", "endline"] * 2, "n": 10, "mean": [2.0, 2.8, 2.1, 2.3],
    ...                       "ci_low": [1.8, 2.5, 1.9, 2.0], "ci_high": [2.2, 3.1, 2.3, 2.6], "suppressed": False})
    >>> fig = comparison_figure(means, "x", lang="en")
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['programme', 'comparison']
    """
    rows = means[means["instrument"] == instrument]
    hidden = _hidden(rows)
    shown = rows[~hidden]
    scales = list(dict.fromkeys(shown["scale"]))
    fig = Figure(figsize=(min(3.2 * max(len(scales), 1) + 1, 12), 4.2), layout="constrained")
    fig.suptitle(t("arms.comparison.title", lang, instrument=instrument_label(instrument, instruments, lang)))
    axes = fig.subplots(1, max(len(scales), 1), squeeze=False)[0]
    if not scales:
        axes[0].set_axis_off()
    waves = ["baseline", "endline"]
    for ax, scale in zip(axes, scales):
        for j, arm in enumerate(("programme", "comparison")):
            part = shown[(shown["scale"] == scale) & (shown["arm"] == arm)]
            part = part.set_index("wave").reindex(waves)
            x = np.arange(2) + (j - 0.5) * 0.08
            _errorbars(ax, x, part["mean"].to_numpy(float), part["ci_low"].to_numpy(float),
                       part["ci_high"].to_numpy(float), ARM_COLOURS[arm], code_label("arm", arm, lang))
        ax.set_title(scale_label(instrument, scale, instruments, lang), fontsize=10)
        ax.set_xticks([0, 1], [code_label("wave", w, lang) for w in waves])
        ax.set_xlim(-0.4, 1.4)
    if scales:
        axes[0].set_ylabel(t("arms.comparison.y", lang, level=f"{100 * ci_level:g}"))
        axes[0].legend(loc="best", fontsize=8, frameon=False)
    if hidden.any():
        add_footnote(fig, [t("arms.comparison.hidden", lang, min_cell=min_cell)])
    return fig
