"""Who took part, and where they started: the baseline profile's tables and figures.

:func:`participant_profile` counts people by component, role, sex and age
band, hiding counts below ``min_cell``; :func:`describe` gives n, mean, SD
and quartiles of any measure by wave (baseline scores, ego-network size,
sessions attended); :func:`profile_figure` and :func:`distribution_figure`
draw them. Figures return a :class:`matplotlib.figure.Figure` (no pyplot
state), every word from the label catalogue, never a participant id.

Examples
--------
>>> people = pd.DataFrame({"participant_id": [f"P{i}" for i in range(12)],
...                        "components": ["youth"] * 6 + ["self_help;community"] * 6,
...                        "role": ["youth"] * 6 + ["adult"] * 6, "sex": ["F", "M"] * 6,
...                        "birth_year": [2005.0] * 6 + [1970.0] * 5 + [float("nan")]})
>>> prof = participant_profile(people, min_cell=5, at=pd.Timestamp("2021-01-01"))
>>> age = prof[prof["dimension"] == "age_band"]
>>> age["category"].tolist(), age["n"].tolist(), age["suppressed"].tolist()   # 50–64 (5) hidden beside unknown (1)
(['13–20', '50–64', 'unknown'], [6.0, nan, nan], [False, True, True])
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaltools.labels import code_label, fmt_number, has, t
from evaltools.schema import CODES, split_codes
from evaltools.suppression import small_cells, suppress_small_cells
from evaltools.plots.grid import Margins, line_height, panel_column, panel_row, text_width, wrap_lines
from evaltools.plots.literal import literal_text

PROFILE_COLUMNS = ["dimension", "category", "n", "share", "suppressed"]
DESCRIBE_QUANTITIES = ["n", "mean", "sd", "min", "q1", "median", "q3", "max"]
#: Age bands at the start of the programme; the youth programme is for 13–20.
AGE_BANDS = ((0, 12, "0–12"), (13, 20, "13–20"), (21, 34, "21–34"), (35, 49, "35–49"), (50, 64, "50–64"),
             (65, 200, "65+"))
DIMENSIONS = ("component", "role", "sex", "age_band")
#: Dimensions whose categories partition the people (a person has one role, one sex, one age band).
PARTITIONS = ("role", "sex", "age_band")
#: Okabe–Ito blue: safe for colour-blind readers.
BAR_COLOUR = "#0072B2"


def age_band(birth_year: pd.Series, *, at: pd.Timestamp) -> pd.Series:
    """The age band (``0–12`` … ``65+``, ``unknown``) of each birth year at date ``at``.

    >>> age_band(pd.Series([2008.0, 1950.0, None]), at=pd.Timestamp("2021-03-01")).tolist()
    ['13–20', '65+', 'unknown']
    """
    age = pd.Timestamp(at).year - pd.to_numeric(birth_year, errors="coerce")
    out = pd.Series("unknown", index=birth_year.index, dtype=object)
    for lo, hi, label in AGE_BANDS:
        out[(age >= lo) & (age <= hi)] = label
    return out


def participant_profile(participants: pd.DataFrame, *, min_cell: int = 5,
                        at: pd.Timestamp | None = None) -> pd.DataFrame:
    """People by component, role, sex and age band, counts below ``min_cell`` hidden.

    Parameters
    ----------
    participants : DataFrame
        The typed participants table (``components`` ``;``-joined).
    min_cell : int
        A category with fewer people is suppressed: ``n`` and ``share`` empty,
        ``suppressed`` true. Role, sex and age band partition the people, so
        where exactly one category of them is suppressed the next smallest is
        suppressed too (it could otherwise be recovered from the total).
        Components overlap (a person may be in several): a component whose
        people are all in another one that holds 1 to ``min_cell`` − 1 more
        is suppressed (:func:`evaltools.suppression.small_cells`).
    at : Timestamp, optional
        The date ages are computed at (the programme's start); default today.

    Returns
    -------
    DataFrame
        ``dimension, category, n, share, suppressed``: categories in the
        contract's order, a category only when somebody is in it (plus
        ``unknown`` when some value is missing); ``share`` = n / people.
    """
    at = pd.Timestamp.today() if at is None else pd.Timestamp(at)
    total = len(participants)
    ids = participants["participant_id"].astype("str").to_numpy() if "participant_id" in participants \
        else np.arange(total).astype("str")
    rows = []
    comps = (participants["components"].map(split_codes) if "components" in participants
             else pd.Series(dtype=object))
    for code in CODES["component"]:
        inside = np.array([code in (c or ()) for c in comps], dtype=bool)
        if inside.any():
            rows.append(("component", code, frozenset(ids[inside])))
    for dim in ("role", "sex"):
        values = participants[dim].astype("string") if dim in participants else pd.Series(dtype="string")
        for code in CODES[dim]:
            inside = (values == code).fillna(False).to_numpy(dtype=bool)
            if inside.any():
                rows.append((dim, code, frozenset(ids[inside])))
        missing = values.isna().to_numpy(dtype=bool)
        if missing.any():
            rows.append((dim, "unknown", frozenset(ids[missing])))
    bands = age_band(participants["birth_year"], at=at) if "birth_year" in participants else pd.Series(dtype=object)
    for label in [b[2] for b in AGE_BANDS] + ["unknown"]:
        inside = (bands == label).to_numpy(dtype=bool)
        if inside.any():
            rows.append(("age_band", label, frozenset(ids[inside])))
    out = pd.DataFrame(rows, columns=["dimension", "category", "_people"])
    out["n"] = out["_people"].map(len).astype("float64")
    out["share"] = out["n"] / total if total else np.nan
    # role, sex and age band partition the people (complementary rule); components overlap (nested rule)
    partitioned = out["dimension"].isin(PARTITIONS)
    out["_part"] = (out["dimension"] + ":" + out["category"]).where(partitioned)
    small = small_cells(out, n_col="n", min_cell=min_cell, family=["dimension"],
                        partition_groups=set(out["_part"].dropna()), group_col="_part",
                        people=out["_people"].tolist())
    out.loc[small, ["n", "share"]] = np.nan
    out["suppressed"] = small
    return out[PROFILE_COLUMNS].reset_index(drop=True)


def describe(df: pd.DataFrame, *, by: Sequence[str], measures: Sequence[str], min_cell: int = 5) -> pd.DataFrame:
    """n, mean, SD (n − 1) and quartiles of each measure by ``by``, long: one row per group × measure.

    A row with fewer than ``min_cell`` values keeps its keys and ``n`` and is
    otherwise empty (``suppressed`` true).

    >>> df = pd.DataFrame({"wave": ["baseline"] * 6 + ["endline"] * 2, "size": [1, 2, 3, 4, 5, 6, 7, 8]})
    >>> describe(df, by=["wave"], measures=["size"], min_cell=5)[["wave", "n", "mean", "suppressed"]]
           wave  n  mean  suppressed
    0  baseline  6   3.5       False
    1   endline  2   NaN        True
    """
    by = list(by)
    columns = [*by, "measure", *DESCRIBE_QUANTITIES, "suppressed"]
    frames = []
    for m in measures:
        if m not in df.columns:
            continue
        x = df[[*by, m]].rename(columns={m: "value"})
        x["value"] = pd.to_numeric(x["value"], errors="coerce")
        x = x.dropna(subset=["value"])
        g = x.groupby(by, sort=False, dropna=False)["value"] if by else x.assign(_k=0).groupby("_k")["value"]
        stats = g.agg(n="size", mean="mean", sd="std", min="min", q1=lambda v: v.quantile(0.25),
                      median="median", q3=lambda v: v.quantile(0.75), max="max").reset_index()
        if not by:
            stats = stats.drop(columns="_k")
        stats.insert(len(by), "measure", m)
        frames.append(stats)
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    out = out.astype({"n": "int64", **{q: "float64" for q in DESCRIBE_QUANTITIES[1:]}})
    out = suppress_small_cells(out, n_col="n", min_cell=min_cell, keys=(*by, "measure"), family=())
    return out[columns]


def category_label(dimension: str, category: str, lang: str) -> str:
    """The label of a profile category (a component, role or sex code, an age band, or unknown).

    >>> category_label("role", "youth", "pl"), category_label("age_band", "unknown", "en")
    ('młodzież', 'unknown')
    """
    if category == "unknown" and dimension != "sex":
        return t("report.profile.unknown", lang)
    if dimension in ("component", "role", "sex"):
        return code_label(dimension, category, lang)
    return category


@literal_text
def profile_figure(profile: pd.DataFrame, *, lang: str = "en", min_cell: int = 5) -> Figure | None:
    """Bars of :func:`participant_profile`: one panel per dimension; hidden counts are named, not drawn."""
    dims = [d for d in DIMENSIONS if (profile["dimension"] == d).any()]
    if not dims:
        return None
    parts = [profile[profile["dimension"] == d] for d in dims]
    labels = [[category_label(d, c, lang) for c in part["category"]] for d, part in zip(dims, parts)]
    rooms = [text_width(names, 8) + 0.15 for names in labels]  # each panel's category names, left of it
    width = max((PROFILE_WIDTH - rooms[0] - sum(r + 0.35 for r in rooms[1:]) - 0.2) / len(dims), 1.2)
    titles = [wrap_lines(t(f"report.dimension.{d}", lang), int(width * 12), max_lines=3) for d in dims]  # in the panel
    title_lines = max(title.count("\n") + 1 for title in titles)
    fig, axes = panel_row([width] * len(dims), height=0.6 * max(len(p) for p in parts) + 1.2,
                          margins=Margins(left=rooms[0], right=0.2, bottom=line_height(8) + 0.2,
                                          top=line_height(11) + title_lines * line_height(10) + 0.35),
                          gaps=[r + 0.35 for r in rooms[1:]])
    for ax, title, part, names in zip(axes, titles, parts, labels):
        _profile_panel(ax, part, names, lang=lang, min_cell=min_cell)
        ax.set_title(title, fontsize=10, y=1.0)  # placed: not re-measured at draw
    fig.suptitle(t("report.profile.figure_title", lang), fontsize=11, y=1 - 0.08 / fig.get_figheight(), va="top")
    return fig


#: Inches the participant profile figure aims at (wider when its panels would be narrower than 1.2 inches).
PROFILE_WIDTH = 10.0


def _profile_panel(ax, part: pd.DataFrame, labels: list[str], *, lang: str, min_cell: int) -> None:
    """One dimension's bars, each with its count; a hidden count says so instead of a bar."""
    y = np.arange(len(part))[::-1]
    values = part["n"].fillna(0).to_numpy(dtype=float)
    ax.barh(y, values, color=BAR_COLOUR)
    for yi, v, hidden in zip(y, values, part["suppressed"]):
        text = t("report.profile.hidden_bar", lang, min_cell=min_cell) if hidden else fmt_number(int(v), lang)
        ax.text(v, yi, " " + text, va="center", fontsize=8, color="#555" if hidden else "#222")
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, max(values.max() if len(values) else 1, 1) * 1.35)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)


@literal_text
def distribution_figure(scores: pd.DataFrame, *, instruments=None, wave: str = "baseline", lang: str = "en",
                        min_cell: int = 5, value: str = "score") -> Figure | None:
    """Box plots of scores at one wave, one box per instrument × scale with at least ``min_cell`` people.

    Only quartiles and whiskers are drawn (no single points), the whiskers
    at the 10th and 90th percentiles (interpolated: matplotlib's own
    whiskers would end at one person's score), so no person can be picked
    out; scales with fewer people are left out and named in a note.

    >>> sc = pd.DataFrame({"instrument": "x", "scale": "s", "wave": "baseline", "score": [1., 2, 3, 4, 50]})
    >>> fig = distribution_figure(sc, min_cell=5)
    >>> whiskers = [l.get_xdata() for l in fig.axes[0].lines][:2]
    >>> [round(float(w[1]), 6) for w in whiskers]   # 10th and 90th percentile (numpy), not 1 or 50
    [1.4, 31.6]
    """
    part = scores[scores["wave"] == wave].dropna(subset=[value])
    if part.empty:
        return None
    groups, labels, hidden = [], [], []
    for (inst, scale), g in part.groupby(["instrument", "scale"], sort=False):
        title = _scale_title(inst, scale, instruments, lang)
        if len(g) < min_cell:
            hidden.append(title)
            continue
        groups.append(g[value].to_numpy(dtype=float))
        labels.append(title)
    if not groups:
        return None
    note = textwrap.fill(t("report.profile.hidden_scales", lang, min_cell=min_cell, scales=", ".join(hidden)),
                         9 * 18) if hidden else ""
    left = text_width(labels, 8) + 0.2
    margins = Margins(left=left, right=0.3, top=line_height(11) + 0.2,
                      bottom=line_height(8) + line_height(9) + 0.25
                      + (note.count("\n") + 1) * line_height(7) * bool(note))
    fig, (ax,) = panel_column([0.45 * len(groups) + 0.3], width=max(9 - left - 0.3, 3.0), margins=margins)
    stats = [{"med": np.median(g), "q1": np.percentile(g, 25), "q3": np.percentile(g, 75),
              "whislo": np.percentile(g, 10), "whishi": np.percentile(g, 90), "fliers": []} for g in groups[::-1]]
    ax.bxp(stats, orientation="horizontal", showfliers=False, widths=0.6, patch_artist=True,
           boxprops={"facecolor": "#cfe3f3", "edgecolor": BAR_COLOUR}, medianprops={"color": "#D55E00"})
    ax.set_yticks(np.arange(1, len(labels) + 1), labels[::-1], fontsize=8)
    ax.set_xlabel(t("report.profile.score_axis", lang), fontsize=9)
    ax.set_title(t("report.profile.distribution_title", lang, wave=code_label("wave", wave, lang)), fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    if note:
        fig.text(0.1 / fig.get_figwidth(), 0.05 / fig.get_figheight(), note, fontsize=7, color="#555", va="bottom")
    return fig


def _scale_title(inst: str, scale: str, instruments, lang: str) -> str:
    if instruments and inst in instruments:
        instrument = instruments[inst]
        sc = next((s for s in instrument.scales if s.id == scale), None)
        title = instrument.title_in(lang)
        if sc is not None and len(instrument.scales) > 1:
            sub = (sc.title or {}).get(lang) or scale
            return f"{title}: {sub}"
        return title
    key = f"report.col.{scale}"
    return f"{inst}: {t(key, lang) if has(key) else scale}"
