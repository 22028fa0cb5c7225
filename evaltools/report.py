"""Runs: the run folder, papermill, the offline HTML and the runs index (docs/outputs.md).

:func:`run` validates a data folder, then executes the phase's notebooks
(``notebooks/*.ipynb``) with papermill into a new folder
``<out>/<YYYYmmdd-HHMMSS>_<phase>/``::

    index.html          the summary a supervisor opens (offline, in the run's language)
    html/<nb>.html      each executed notebook, code hidden, images embedded, no network
    notebooks/<nb>.ipynb  the executed notebooks (papermill's parameters in their metadata)
    tables/*.csv        written by the notebooks through :func:`save_table`
    figures/*.png       written by the notebooks through :func:`save_figure`
    summary.json        the headline numbers (``90_summary``), read by index.html
    manifest.json       versions, parameters, times, inputs with sha256, each notebook's status

and regenerates ``<out>/index.html``, the list of every run. A failing
notebook does not stop the others: its status and the failing cell go to the
manifest and the result is not ``ok``.

The notebooks stay thin; what they call from here only writes and displays:
:func:`say` (a paragraph from the label catalogue), :func:`show` and
:func:`show_by_group` (tables for people: labelled, rounded, suppressed
cells marked, no ids and no free text), :func:`save_table`,
:func:`save_figure`, :func:`how_sure` (the words of
:mod:`evaltools.certainty`, assembled) and :func:`summarise`. This module
computes no statistic.

Notebooks run two at a time where there are two CPUs (each in its own
kernel process; ``EVALTOOLS_WORKERS=1`` runs them one by one with
papermill's progress bar); ``90_summary`` runs last.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
import math
import platform
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evaltools.errors import DataInvalid, UsageError
from evaltools.labels import check_lang, code_label, fmt_number, has, t
from evaltools.privacy import neutralise_frame

#: Where the notebooks live (the repository's ``notebooks/`` beside the package).
NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
#: Jinja template for the offline notebook pages (extends nbconvert's ``lab``).
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates_html"
PHASES = ("baseline", "endline")
#: The notebooks of each phase, in order; ``90_summary`` reads the others' tables, so it runs last.
PHASE_NOTEBOOKS = {
    "baseline": ("00_data_quality", "10_baseline_profile", "30_social_ties", "40_outputs_targets", "90_summary"),
    "endline": ("00_data_quality", "10_baseline_profile", "20_outcomes_change", "30_social_ties",
                "40_outputs_targets", "90_summary"),
}
#: Run parameters a user may set with ``--param key=value``, and their types (``--lang`` also sets ``lang``).
PARAMETERS = {"min_cell": int, "alpha": float, "seed": int, "lang": str}
DEFAULTS = {"alpha": 0.05, "seed": 0}
#: A run folder's name: ``20211215-101500_endline``, or ``20211215-101500_endline_2`` within the same second.
RUN_NAME = re.compile(r"^(?P<stamp>\d{8}-\d{6})_(?P<phase>baseline|endline)(?:_(?P<n>\d+))?$")
#: Columns never rendered for people: identifiers and free text (they stay in tables/*.csv where the contract has them).
PRIVATE_COLUMNS = ("participant_id", "family_id", "alter", "alter_participant_id", "session_id", "exit_reason",
                   "_row")
#: Packages whose versions go into the manifest.
PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "networkx", "openpyxl", "pyyaml",
            "pandera", "papermill", "nbconvert", "nbformat", "nbclient", "ipykernel", "jupyter_client")
#: Tags of notebook cells whose output a rendered page leaves out.
HIDDEN_TAGS = ("remove_output", "parameters", "injected-parameters")
_NETWORK_LOAD = re.compile(r"""<(script|img|link|iframe|source)\b[^>]*?\b(src|href)\s*=\s*["'](https?:)?//""", re.I)
_SNAKE = re.compile(r"[a-z0-9_]+")


# =========================================================================== notebook side

def say(key: str, lang: str, /, **fields):
    """A paragraph of the report from the catalogue, as markdown in ``lang``.

    Numbers among ``fields`` are formatted for ``lang`` (decimal comma in
    Polish). Returns an :class:`IPython.display.Markdown` object, so that
    the last line of a notebook cell renders it.
    """
    from IPython.display import Markdown

    return Markdown(text(key, lang, **fields))


def text(key: str, lang: str, /, **fields) -> str:
    """The catalogue's text of ``key`` with ``fields`` formatted for ``lang``.

    >>> text("report.hidden", "en")
    'hidden'
    """
    formatted = {k: (fmt_number(v, lang) if isinstance(v, float) else v) for k, v in fields.items()}
    return t(key, lang, **formatted)


def save_table(df: pd.DataFrame, name: str, out_dir: str | Path) -> Path:
    """Write ``df`` to ``<out_dir>/tables/<name>.csv``: UTF-8, point decimal, unrounded, text neutralised.

    Text cells that a spreadsheet would run as a formula (``=…``) are made
    literal (:func:`evaltools.privacy.neutralise_frame`); numbers keep their
    full precision; missing values are empty cells.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_table(pd.DataFrame({"label": ["=1+1"], "value": [1 / 3]}), "demo", d)
    ...     print(p.read_text(encoding="utf-8"))
    label,value
    '=1+1,0.3333333333333333
    <BLANKLINE>
    """
    if not _SNAKE.fullmatch(name):
        raise ValueError(f"table name {name!r}: use snake_case (a-z, 0-9, _)")
    path = Path(out_dir) / "tables" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise_frame(df).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def save_figure(fig, name: str, out_dir: str | Path, *, dpi: int = 110):
    """Write ``fig`` to ``<out_dir>/figures/<name>.png`` and return it as an image to display.

    ``fig`` is a matplotlib Figure (or ``None`` when there was nothing to
    draw: then nothing is written and an empty output is returned). The
    figure is closed, so that a notebook holds no pyplot state.
    """
    from IPython.display import Image, Markdown

    if fig is None:
        return Markdown("")
    if not _SNAKE.fullmatch(name):
        raise ValueError(f"figure name {name!r}: use snake_case (a-z, 0-9, _)")
    path = Path(out_dir) / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    alt = _figure_title(fig) or name.replace("_", " ")
    try:
        import matplotlib.pyplot as plt
        plt.close(fig)
    except Exception:  # a Figure made without pyplot is simply dropped
        pass
    return Image(data=path.read_bytes(), format="png", alt=alt)


def _figure_title(fig) -> str:
    """The figure's title, or its first panel's, as the image's alternative text."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
    for ax in fig.get_axes():
        if ax.get_title():
            return ax.get_title()
    return ""


#: Columns shown for a table kind (the CSV keeps all of them).
VIEWS = {
    "change": ["instrument", "scale", "group", "n_pairs", "mean_pre", "mean_post", "mean_diff", "ci_low", "ci_high",
               "g_av", "g_av_ci_low", "g_av_ci_high", "p_holm", "suppressed"],
    "reliable_change": ["instrument", "scale", "group", "n_pairs", "reliability", "s_diff", "n_improved",
                        "n_unchanged", "n_deteriorated", "n_recovered", "suppressed"],
    "reliability": ["instrument", "scale", "wave", "n", "k_items", "alpha", "alpha_ci_low", "alpha_ci_high", "omega",
                    "suppressed"],
    "attrition": ["instrument", "scale", "group", "n_baseline", "n_completers", "n_dropouts", "mean_completers",
                  "mean_dropouts", "smd", "p_welch", "suppressed"],
    "sensitivity": ["instrument", "scale", "group", "method", "n", "mean_diff", "ci_low", "ci_high", "suppressed"],
    "describe": ["instrument", "scale", "wave", "measure", "n", "mean", "sd", "q1", "median", "q3", "suppressed"],
    "indicators": ["label", "target", "value", "ratio", "status"],
}


def display_frame(df: pd.DataFrame, *, lang: str, project=None, digits: int = 2, max_rows: int = 60,
                  view: str | None = None, only: dict | None = None) -> pd.DataFrame:
    """A copy of ``df`` for people to read: every cell a string, in ``lang``.

    Identifier and free-text columns (:data:`PRIVATE_COLUMNS`) are dropped;
    ``view`` keeps the columns of :data:`VIEWS` (those present) and ``only``
    keeps the rows whose column equals the value (or is in the list);
    codes get their labels (waves, components, groups, statuses, instrument
    and scale titles); numbers are rounded (``p`` values to 3 places), with
    a decimal comma in Polish; the cells of a suppressed row read "hidden";
    column headers are labelled. At most ``max_rows`` rows are kept.

    Examples
    --------
    >>> df = pd.DataFrame({"participant_id": ["P1", "P2"], "group": ["all", "youth"],
    ...                    "n_pairs": [12, 3], "mean_diff": [0.4567, None], "suppressed": [False, True]})
    >>> display_frame(df, lang="pl").to_dict("list")   # doctest: +NORMALIZE_WHITESPACE
    {'Grupa': ['wszyscy', 'program usamodzielnienia młodzieży'], 'Liczba par pomiarów': ['12', '3'],
     'Średnia zmiana': ['0,46', 'ukryte']}
    """
    return _prepare(df, lang=lang, project=project, digits=digits, max_rows=max_rows, view=view, only=only)[0]


def _select(df: pd.DataFrame, *, view: str | None, only: dict | None) -> pd.DataFrame:
    out = df
    for col, value in (only or {}).items():
        if col in out.columns:
            values = value if isinstance(value, (list, tuple, set)) else [value]
            out = out[out[col].isin(values)]
    if view is not None:
        out = out[[c for c in VIEWS[view] if c in out.columns]]
    single = [c for c, v in (only or {}).items() if c in out.columns and not isinstance(v, (list, tuple, set))]
    out = out.drop(columns=single)  # every row has that value: the page's text says which
    if "measure" in out.columns and out["measure"].nunique() == 1 and len(out) > 1:
        out = out.drop(columns="measure")
    return out.drop(columns=[c for c in out.columns if c in PRIVATE_COLUMNS])


def _prepare(df, *, lang, project, digits, max_rows, view, only) -> tuple[pd.DataFrame, set[int], int]:
    lang = check_lang(lang)
    selected = _select(df, view=view, only=only)
    out = selected.head(max_rows)
    hidden = out["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in out.columns else None
    if hidden is not None:
        out = out.drop(columns="suppressed")
    cells = {}
    for col in out.columns:
        values = out[col]
        if col == "scale" and "instrument" in out.columns:
            cells[col] = [scale_label(i, s, lang, project) for i, s in zip(out["instrument"], values)]
        elif col == "category" and "dimension" in out.columns:
            from evaltools.plots.profile import category_label
            cells[col] = [category_label(d, c, lang) for d, c in zip(out["dimension"], values)]
        else:
            cells[col] = [_cell(col, v, lang, project, digits) for v in values]
        if hidden is not None and col not in _KEY_COLUMNS:
            cells[col] = [t("report.hidden", lang) if h and pd.isna(v) else c
                          for h, v, c in zip(hidden, values, cells[col])]
    shown = pd.DataFrame(cells, columns=list(out.columns), dtype=object)
    numeric = {i for i, c in enumerate(out.columns)
               if pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c])}
    shown.columns = [column_label(c, lang) for c in out.columns]
    return shown, numeric, len(selected)


def show(df: pd.DataFrame, *, lang: str, project=None, digits: int = 2, max_rows: int = 60,
         view: str | None = None, only: dict | None = None):
    """Render ``df`` as an HTML table for people (see :func:`display_frame`)."""
    from IPython.display import HTML

    shown, numeric, n_rows = _prepare(df, lang=lang, project=project, digits=digits, max_rows=max_rows, view=view,
                                      only=only)
    if shown.empty:
        return HTML(f"<p class='evaltools-empty'>{html.escape(t('report.no_rows', lang))}</p>")
    body = _table(list(shown.columns), [[html.escape(str(v)) for v in row] for row in shown.itertuples(index=False)],
                  numeric, css="evaltools-table")
    more = ""
    if n_rows > max_rows:
        more = f"<p class='evaltools-note'>{html.escape(t('report.more_rows', lang, n=n_rows - max_rows))}</p>"
    return HTML(f"<div class='evaltools-scroll'>{body}</div>{more}")


def show_by_group(df: pd.DataFrame, *, lang: str, project=None, value: str = "mean_diff", n: str = "n_pairs",
                  digits: int = 2, max_groups: int = 12):
    """One row per instrument × scale, one column per group: ``value (n = …)``, hidden cells marked.

    The compact view of a change table across groups; a group with no pair
    on a scale is left blank (–). Everyone and the components are always
    shown; the ``participants.group`` values only when there are at most
    ``max_groups`` of them (a large programme's groups stay in the CSV, and
    a note says so).

    >>> df = pd.DataFrame({"instrument": "x", "scale": "s", "group": ["all", "youth", "G1"],
    ...                    "n_pairs": [12, 3, 0], "mean_diff": [0.456, float("nan"), float("nan")],
    ...                    "suppressed": [False, True, True]})
    >>> by_group_frame(df, lang="en").iloc[0].tolist()
    ['x', 's', '0.46 (n = 12)', 'hidden (n = 3)', '–']
    """
    from IPython.display import HTML

    groups = list(dict.fromkeys(df["group"]))
    other = [g for g in groups if g != "all" and not has(f"code.component.{g}")]
    note = ""
    if len(other) > max_groups:
        df = df[~df["group"].isin(other)]
        note = f"<p class='evaltools-note'>{html.escape(t('report.groups_left_out', lang, n=len(other)))}</p>"
    shown = by_group_frame(df, lang=lang, project=project, value=value, n=n, digits=digits)
    if shown.empty:
        return HTML(f"<p class='evaltools-empty'>{html.escape(t('report.no_rows', lang))}</p>")
    body = _table(list(shown.columns), [[html.escape(str(v)) for v in row] for row in shown.itertuples(index=False)],
                  set(range(2, shown.shape[1])), css="evaltools-table")
    return HTML(f"<div class='evaltools-scroll'>{body}</div>{note}")


def by_group_frame(df: pd.DataFrame, *, lang: str, project=None, value: str = "mean_diff", n: str = "n_pairs",
                   digits: int = 2) -> pd.DataFrame:
    """The strings of :func:`show_by_group`: instrument, scale, then one column per group."""
    lang = check_lang(lang)
    groups = list(dict.fromkeys(df["group"]))
    rows = []
    for (inst, scale), part in df.groupby(["instrument", "scale"], sort=False):
        row = [_cell("instrument", inst, lang, project, digits), scale_label(inst, scale, lang, project)]
        cells = {g: "–" for g in groups}
        for r in part.to_dict("records"):
            count = r.get(n)
            if count is None or count != count or int(count) == 0:
                continue
            hidden = bool(r.get("suppressed"))
            shown = t("report.hidden", lang) if hidden else _cell(value, r.get(value), lang, project, digits)
            cells[r["group"]] = f"{shown} (n = {int(count)})"
        rows.append(row + [cells[g] for g in groups])
    columns = [column_label("instrument", lang), column_label("scale", lang)] + [
        group_label(g, lang, project) for g in groups]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def markdown(text_: str):
    """Markdown made elsewhere (e.g. :mod:`evaltools.certainty`'s sentences) as a notebook output."""
    from IPython.display import Markdown

    return Markdown(str(text_))


def bullets(lines) -> "object":
    """A markdown list of ``lines`` (e.g. the verdicts) as a notebook output."""
    return markdown("\n".join(f"- {line}" for line in lines if isinstance(line, str) and line.strip()))


def scale_label(instrument: str, scale: str, lang: str, project=None) -> str:
    """A scale's title for people (the scale id when the instrument gives none)."""
    if project is not None and instrument in getattr(project, "instruments", {}):
        inst = project.instruments[instrument]
        sc = next((s for s in inst.scales if s.id == scale), None)
        if sc is not None and sc.title:
            return str(sc.title.get(lang) or sc.title.get("en") or scale)
    key = f"report.col.{scale}"
    return t(key, lang) if has(key) else str(scale)


def reliability_warning(table: pd.DataFrame, *, lang: str, project=None, threshold: float = 0.70):
    """Say which scales have a Cronbach's alpha below ``threshold`` at some wave (or that none has)."""
    from evaltools.reliability import low_alpha

    weak = low_alpha(table, threshold=threshold)
    if weak.empty:
        return say("report.nb10.alpha_ok", lang, threshold=threshold)
    inst, _ = titles(project, lang) if project is not None else ({}, {})
    names = [f"{inst.get(r.instrument, r.instrument)} – {scale_label(r.instrument, r.scale, lang, project)} "
             f"({code_label('wave', r.wave, lang)}: α = {fmt_number(r.alpha, lang)})" for r in weak.itertuples()]
    return say("report.nb10.alpha_low", lang, n=len(weak), threshold=threshold, scales="; ".join(names))


def titles(project, lang: str) -> tuple[dict, dict]:
    """Instrument titles ``{id: title}`` and scale titles ``{(id, scale): title}`` in ``lang``, ego network included."""
    from evaltools.ties import EGO_MEASURES

    inst = {i: ins.title_in(lang) for i, ins in project.instruments.items()}
    inst["ego_network"] = t("report.ego_network", lang)
    scales = {(i, s.id): scale_label(i, s.id, lang, project)
              for i, ins in project.instruments.items() for s in ins.scales}
    scales.update({("ego_network", m): scale_label("ego_network", m, lang) for m in EGO_MEASURES})
    return inst, scales


def inventory(project) -> pd.DataFrame:
    """How much data each table holds: ``table, wave, n_rows, n_people`` (waves for questionnaires and ties)."""
    rows = []
    for name in ("participants", "sessions", "attendance"):
        df = getattr(project, name)
        people = df["participant_id"].nunique() if "participant_id" in df.columns else None
        rows.append({"table": name, "wave": None, "n_rows": len(df), "n_people": people})
    waved = [(f"q_{i}", q) for i, q in project.questionnaires.items()] + [("ties", project.ties)]
    for name, df in waved:
        if not len(df):
            rows.append({"table": name, "wave": None, "n_rows": 0, "n_people": 0})
            continue
        for wave, part in df.groupby("wave", sort=False):
            rows.append({"table": name, "wave": wave, "n_rows": len(part), "n_people": part["participant_id"].nunique()})
    return pd.DataFrame(rows, columns=["table", "wave", "n_rows", "n_people"])


def phase_waves(phase: str) -> tuple[str, ...] | None:
    """The waves a phase analyses: baseline only at baseline; every wave (``None``) at endline."""
    return ("baseline",) if phase == "baseline" else None


def column_label(column: str, lang: str) -> str:
    """The header people read for a table column (the column name itself when it has no label)."""
    key = f"report.col.{column}"
    return t(key, lang) if has(key) else column


_KEY_COLUMNS = {"instrument", "scale", "group", "wave", "n_pairs", "n", "dimension", "category", "measure"}
_INT_COLUMNS = {"n", "n_pairs", "n_items", "k_items", "n_rows_affected", "n_improved", "n_unchanged", "n_rows",
                "n_people", "n_completers", "n_dropouts", "n_obs", "n_families",
                "n_deteriorated", "n_recovered", "n_nodes", "n_edges", "components", "isolates", "cross_group_ties",
                "df", "value", "target", "sessions", "n_baseline", "n_endline", "n_lost", "size"}
#: Columns holding counts in some rows and proportions in others (network_change.csv): whole numbers shown whole.
_AUTO_COLUMNS = {"baseline", "endline", "diff"}
#: Proportions that can be tiny (a network of 10 000 people): shown with two significant digits.
_SMALL_COLUMNS = {"density", "largest_component_share", "transitivity", "baseline", "endline", "diff"}
_P_COLUMNS = {"p", "p_t", "p_wilcoxon", "p_holm", "p_value"}
_CODE_KINDS = {"wave": "wave", "status": "status", "severity": "severity", "relation": "relation",
               "support": "support", "activity": "activity", "role": "role", "sex": "sex", "method": "method"}


def _cell(col: str, v, lang: str, project, digits: int) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "–"
    if isinstance(v, str):
        if col == "group":
            return group_label(v, lang, project)
        if col == "instrument" and project is not None and v in getattr(project, "instruments", {}):
            return project.instruments[v].title_in(lang)
        if col == "instrument" and v == "ego_network":
            return t("report.ego_network", lang)
        if col in _CODE_KINDS:
            key = f"report.{_CODE_KINDS[col]}.{v}"
            return t(key, lang) if has(key) else code_label(_CODE_KINDS[col], v, lang)
        if col == "check":
            key = f"report.check.{v}"
            return t(key, lang) if has(key) else v
        if col == "measure":
            return column_label(v, lang)
        if col == "dimension":
            key = f"report.dimension.{v}"
            return t(key, lang) if has(key) else v
        return v
    if isinstance(v, bool):
        return t("report.yes" if v else "report.no", lang)
    if isinstance(v, (pd.Timestamp, _dt.date)):
        return pd.Timestamp(v).strftime("%d.%m.%Y" if lang == "pl" else "%Y-%m-%d")
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if col in _P_COLUMNS:
        return ("<" + fmt_number(0.001, lang, 3)) if x < 0.001 else fmt_number(x, lang, 3)
    if (col in _INT_COLUMNS or col in _AUTO_COLUMNS) and x.is_integer():
        return fmt_number(int(x), lang)
    if col in _SMALL_COLUMNS and 0 < abs(x) < 10 ** -digits:  # a sparse network's density: two significant digits
        return fmt_number(x, lang, int(-math.floor(math.log10(abs(x)))) + 1)
    return fmt_number(x, lang, digits)


def group_label(group: str, lang: str, project=None) -> str:
    """The label of an output table's ``group``: everyone, a component, or a ``participants.group`` value.

    >>> group_label("all", "pl"), group_label("self_help", "en")
    ('wszyscy', 'self-help group')
    """
    if group == "all":
        return t("report.group_all", lang)
    if has(f"code.component.{group}"):
        return code_label("component", group, lang)
    labels = getattr(project, "groups", None) or {}
    entry = labels.get(group)
    if isinstance(entry, dict):
        return str(entry.get(lang) or entry.get("en") or group)
    return str(entry) if entry else group


# --------------------------------------------------------------------------- summary (90_summary)

def summarise(out_dir: str | Path, *, project, phase: str, lang: str, alpha: float = 0.05) -> dict:
    """The headline numbers of a run, from its ``tables/``, written to ``<out_dir>/summary.json``.

    Reads the tables the other notebooks wrote (a table that is missing
    leaves its part empty) and adds the plain-language lines of
    :mod:`evaltools.certainty` (verdicts, the design statement). Rows of
    group ``all`` only: the index page shows the programme as a whole.
    Nothing here is an identifier: counts, statistics and words.
    """
    out_dir = Path(out_dir)
    lang = check_lang(lang)
    tables = out_dir / "tables"

    def read(name: str) -> pd.DataFrame | None:
        path = tables / f"{name}.csv"
        if not path.is_file():
            return None
        return pd.read_csv(path, encoding="utf-8", keep_default_na=True)

    start, end = project.period
    summary: dict = {
        "project": {"name": project.name, "period": {"start": start.date().isoformat(), "end": end.date().isoformat()}},
        "phase": phase, "lang": lang, "alpha": alpha, "min_cell": project.min_cell,
        "participants": int(len(project.participants)),
    }
    inst_titles, scale_titles = titles(project, lang)
    better = {(i, s.id): s.higher_is_better for i, inst in project.instruments.items() for s in inst.scales}

    ind = read("indicators")
    if ind is not None:
        summary["targets"] = {
            "counts": {s: int((ind["status"] == s).sum()) for s in ("met", "partly", "not met")},
            "rows": _records(ind[["indicator_id", "label", "target", "value", "ratio", "status"]]),
        }
    change = read("change")
    if change is not None:
        change = _as_bool(change, "suppressed")
        keep = ["instrument", "scale", "n_pairs", "mean_pre", "mean_post", "mean_diff", "ci_low", "ci_high",
                "g_av", "g_av_ci_low", "g_av_ci_high", "p_t", "p_holm", "suppressed"]
        rows = change.loc[change["group"] == "all", [c for c in keep if c in change.columns]]
        rows = rows.assign(title=rows["instrument"].map(inst_titles).fillna(rows["instrument"]),
                           scale_title=[scale_titles.get((i, s), s) for i, s in zip(rows["instrument"], rows["scale"])])
        summary["change"] = _records(rows)
    rc = read("reliable_change")
    if rc is not None:
        rc = _as_bool(rc, "suppressed")
        keep = ["instrument", "scale", "n_pairs", "n_improved", "n_unchanged", "n_deteriorated", "n_recovered",
                "suppressed"]
        rows = rc.loc[rc["group"] == "all", keep]
        rows = rows.assign(title=rows["instrument"].map(inst_titles).fillna(rows["instrument"]),
                           scale_title=[scale_titles.get((i, s), s) for i, s in zip(rows["instrument"], rows["scale"])])
        summary["reliable_change"] = _records(rows)
    net = read("network")
    if net is not None:
        summary["network"] = _records(net)
    net_test = read("network_change")
    if net_test is not None:
        summary["network_change"] = _records(net_test)
    if change is not None:
        from evaltools import certainty

        verdicts = certainty.verdicts(change, rc, lang=lang, alpha=alpha, instrument_titles=inst_titles,
                                      scale_titles=scale_titles, higher_is_better=better)
        summary["verdicts"] = [str(v) for v in verdicts["verdict"].dropna()]
    summary["design"] = design_text(project, lang=lang, alpha=alpha, phase=phase)
    dq = read("data_quality")
    if dq is not None:
        summary["data_quality"] = _records(dq)
    path = out_dir / "summary.json"
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8")
    return summary


def design_text(project, *, lang: str, alpha: float = 0.05, phase: str = "endline") -> str:
    """The design statement of :func:`evaltools.certainty.design_statement` for this project.

    The waves are the project's (baseline only in a baseline run); the
    date of a wave is the median questionnaire date of that wave.
    """
    from evaltools import certainty
    from evaltools.change import group_membership

    waves = list(project.waves) if phase == "endline" else [w for w in project.waves if w == "baseline"]
    frames = [q[["wave", "date"]] for q in project.questionnaires.values() if "date" in q.columns]
    dated = pd.concat(frames) if frames else pd.DataFrame(columns=["wave", "date"])
    dated = dated.assign(date=pd.to_datetime(dated["date"], errors="coerce")).dropna()
    medians = {w: dated.loc[dated["wave"] == w, "date"].median() for w in waves}
    medians = {w: d for w, d in medians.items() if pd.notna(d)}
    membership = group_membership(project.participants)
    counts = membership.groupby("group", sort=False)["participant_id"].nunique()
    n_per_group = {"all": int(project.participants["participant_id"].nunique())}
    n_per_group.update({str(g): int(n) for g, n in counts.items() if g != "all"})
    start, end = project.period
    return certainty.design_statement(
        waves=waves, n_per_group=n_per_group, period_start=start, period_end=end,
        first_wave_date=medians.get(waves[0]) if waves else None,
        last_wave_date=medians.get(waves[-1]) if len(waves) > 1 else None,
        lang=lang, alpha=alpha)


def how_sure(project, *, scores: pd.DataFrame, change: pd.DataFrame, reliable_change: pd.DataFrame | None,
             attrition: pd.DataFrame | None, sensitivity: pd.DataFrame | None, lang: str, alpha: float = 0.05):
    """The "How sure can we be?" section: :mod:`evaltools.certainty`'s words, assembled as markdown."""
    from evaltools import certainty

    inst, scales = titles(project, lang)
    better = {(i, s.id): s.higher_is_better for i, ins in project.instruments.items() for s in ins.scales}
    parts = [t("report.nb20.how_sure_title", lang), design_text(project, lang=lang, alpha=alpha)]
    verdicts = certainty.verdicts(change, reliable_change, lang=lang, alpha=alpha, instrument_titles=inst,
                                  scale_titles=scales, higher_is_better=better)
    parts.append(t("report.nb20.verdicts", lang))
    parts.append("\n".join(f"- {v}" for v in verdicts["verdict"].dropna()))
    parts.append(certainty.multiplicity_sentence(certainty.multiplicity(change, alpha=alpha), lang,
                                                 instrument_titles=inst, scale_titles=scales))
    parts.append(certainty.attrition_sentence(attrition, sensitivity, lang, alpha=alpha, instrument_titles=inst,
                                              scale_titles=scales))
    shown = change[(change["group"] == "all") & ~change["suppressed"].astype(bool)]
    lines = [f"- {inst.get(r['instrument'], r['instrument'])} – {scales.get((r['instrument'], r['scale']), r['scale'])}: "
             f"{certainty.sensitivity_sentence(r, lang, alpha)}" for r in shown.to_dict("records")]
    if lines:
        parts.append("\n".join(lines))
    rtm = certainty.regression_to_mean(scores)
    rtm = rtm[rtm["n_pairs"] >= project.min_cell]
    if len(rtm):
        parts.append(t("report.nb20.regression", lang) + " " + certainty.regression_to_mean_note(lang))
        parts.append("\n".join(
            "- " + certainty.regression_to_mean_sentence(
                r, lang, title=f"{inst.get(r['instrument'], r['instrument'])} – "
                               f"{scales.get((r['instrument'], r['scale']), r['scale'])}")
            for r in rtm.to_dict("records")))
    parts.append(certainty.benchmark_note(lang))
    return markdown("\n\n".join(p for p in parts if p))


def show_summary(summary: dict, *, lang: str):
    """The headline numbers of :func:`summarise` as they appear on the run's index page."""
    from IPython.display import HTML

    return HTML("\n".join(_headline_html(summary, check_lang(lang))))


def _as_bool(df: pd.DataFrame, col: str) -> pd.DataFrame:
    if col not in df.columns:
        return df
    return df.assign(**{col: df[col].astype(str).str.strip().str.lower().isin(["true", "1"])})


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: _json_default(v) for k, v in row.items()} for row in df.to_dict("records")]


def _json_default(v):
    if v is None:
        return None
    if isinstance(v, (pd.Timestamp, _dt.date)):
        return v.isoformat()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


# =========================================================================== the run

@dataclass
class RunResult:
    """What :func:`run` made: the run folder, its index page, and whether every notebook ran."""

    run_dir: Path
    index_path: Path
    ok: bool
    failures: list[dict] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)


def phase_notebooks(phase: str) -> list[Path]:
    """The notebook files a ``phase`` runs, in order."""
    if phase not in PHASE_NOTEBOOKS:
        raise UsageError(f"phase {phase!r}: expected baseline or endline")
    return [NOTEBOOK_DIR / f"{name}.ipynb" for name in PHASE_NOTEBOOKS[phase]]


def parse_params(params: dict | None) -> dict:
    """Type the ``--param key=value`` pairs; an unknown key or a bad value is a usage error.

    >>> parse_params({"min_cell": "3", "alpha": "0,1"})
    {'min_cell': 3, 'alpha': 0.1}
    """
    out = {}
    for key, value in (params or {}).items():
        if key not in PARAMETERS:
            raise UsageError(f"--param {key}: unknown parameter; expected one of {', '.join(PARAMETERS)}")
        kind = PARAMETERS[key]
        try:
            typed = kind(str(value).replace(",", ".")) if kind is float else kind(value)
        except (TypeError, ValueError):
            raise UsageError(f"--param {key}={value}: expected a {'number' if kind is float else 'whole number'}")
        if key == "alpha" and not 0 < typed < 1:
            raise UsageError(f"--param alpha={value}: expected a number between 0 and 1")
        if key == "lang" and typed not in ("pl", "en"):
            raise UsageError(f"--param lang={value}: expected pl or en")
        if key == "min_cell" and typed < 1:
            raise UsageError(f"--param min_cell={value}: expected a whole number of at least 1")
        out[key] = typed
    return out


def run(phase: str, *, data_dir: str | Path, out: str | Path = "runs", lang: str | None = None,
        params: dict | None = None, progress: bool = True, workers: int | None = None) -> RunResult:
    """Validate ``data_dir``, execute the ``phase``'s notebooks into a new run folder under ``out``.

    Invalid data raises :class:`~evaltools.errors.DataInvalid` before anything
    is written. ``params`` (strings from the command line, or typed) set
    ``min_cell``, ``alpha`` and ``seed``; ``lang`` defaults to the
    project's language. Progress goes to stderr when ``progress``.
    ``workers`` notebooks run at a time (default: :func:`default_workers`);
    the summary notebooks (:data:`LAST`) always run after the others.
    """
    from evaltools.project import Project
    from evaltools.validate import validate_folder

    if phase not in PHASES:
        raise UsageError(f"phase {phase!r}: expected baseline or endline")
    typed = parse_params(params)
    data_dir = Path(data_dir).resolve()
    started = _now()
    t0 = time.perf_counter()

    report = validate_folder(data_dir)
    project = Project.from_validation(report)
    if project is None:
        raise DataInvalid(report.problems)
    lang = check_lang(lang or typed.get("lang") or report.language)
    parameters = {
        "data_dir": str(data_dir), "phase": phase, "lang": lang,
        "min_cell": int(typed.get("min_cell", project.min_cell)),
        "alpha": float(typed.get("alpha", DEFAULTS["alpha"])),
        "seed": int(typed.get("seed", DEFAULTS["seed"])),
    }

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    run_dir = new_run_dir(out, phase, started)
    for sub in ("notebooks", "html", "tables", "figures"):
        (run_dir / sub).mkdir()
    parameters["out_dir"] = str(run_dir)

    notebooks = phase_notebooks(phase)
    statuses = execute_all(notebooks, run_dir, parameters, lang=lang, progress=progress, workers=workers)

    failures = [s for s in statuses if s["status"] != "ok"]
    finished = _now()
    manifest = build_manifest(
        run_dir=run_dir, phase=phase, parameters=parameters, started=started, finished=finished,
        seconds=time.perf_counter() - t0, inputs=report.inputs, tables={k: v[0] for k, v in report.tables.items()},
        notebooks=statuses, kernel=kernel_name(), project=project, warnings=len(report.warnings))
    if phase == "endline":
        manifest["since_baseline"] = since_baseline(out, manifest, exclude=run_dir)
    (run_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")

    summary = _read_json(run_dir / "summary.json")
    index_path = run_dir / "index.html"
    index_path.write_text(render_run_index(manifest, summary, lang=lang), encoding="utf-8")
    write_runs_index(out, lang=lang)
    return RunResult(run_dir=run_dir, index_path=index_path, ok=not failures, failures=failures, manifest=manifest)


#: Notebooks that read the other notebooks' tables: they run after all the others.
LAST = ("90_summary",)
#: Notebooks that take longest start first when several run at a time.
FIRST = ("20_outcomes_change",)


def default_workers() -> int:
    """How many notebooks run at a time: 2 where there are at least 2 CPUs, else 1.

    ``EVALTOOLS_WORKERS`` (an environment variable) overrides it; 1 runs
    the notebooks one after the other with papermill's progress bar.
    """
    import os

    value = os.environ.get("EVALTOOLS_WORKERS", "").strip()
    if value.isdigit() and int(value) >= 1:
        return int(value)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def execute_all(notebooks: list[Path], run_dir: Path, parameters: dict, *, lang: str, progress: bool = False,
                workers: int | None = None) -> list[dict]:
    """Execute and render every notebook; return their statuses in the order of ``notebooks``.

    With ``workers`` > 1, notebooks run in that many kernels at once (each
    kernel is its own process; the threads here only wait for them), the
    longest first; each is rendered to HTML as soon as it finishes. The
    notebooks of :data:`LAST` run afterwards, one by one.
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    kernel = kernel_name()
    exporter = _exporter()
    workers = max(1, workers or default_workers())
    total = len(notebooks)
    done: dict[Path, dict] = {}
    order = {src: i for i, src in enumerate(notebooks, start=1)}

    def finish(src: Path, status: dict) -> None:
        status["html"] = export_html(run_dir / "notebooks" / src.name, run_dir / "html" / f"{src.stem}.html",
                                     lang=lang, title=notebook_title(src.stem, lang), exporter=exporter,
                                     error=status.get("error"))
        done[src] = status
        if progress:
            result = (f"ok ({status['seconds']:.1f} s)" if status["status"] == "ok"
                      else f"FAILED {_failure_text(status)}")
            print(f"[{len(done)}/{total}] {src.stem}: {result}", file=sys.stderr, flush=True)

    early = [src for src in notebooks if src.stem not in LAST]
    late = [src for src in notebooks if src.stem in LAST]
    if workers > 1 and len(early) > 1:
        early.sort(key=lambda src: (src.stem not in FIRST, order[src]))
        if progress:
            print(t("report.progress.parallel", lang, n=len(early), workers=workers), file=sys.stderr, flush=True)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="evaltools-notebook") as pool:
            futures = {pool.submit(execute_notebook, src, run_dir, parameters, kernel=kernel): src for src in early}
            for future in as_completed(futures):
                finish(futures[future], future.result())
    else:
        late = early + late
    for src in late:
        if progress:
            print(f"[{len(done) + 1}/{total}] {src.stem}", file=sys.stderr, flush=True)
        finish(src, execute_notebook(src, run_dir, parameters, kernel=kernel, progress=progress))
    return [done[src] for src in notebooks]


def _now() -> _dt.datetime:
    return _dt.datetime.now().astimezone()


def new_run_dir(out: Path, phase: str, when: _dt.datetime) -> Path:
    """Create and return a fresh ``<out>/<YYYYmmdd-HHMMSS>_<phase>`` folder; never reuse one.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     when = _dt.datetime(2021, 12, 15, 10, 15)
    ...     [new_run_dir(Path(d), "endline", when).name for _ in range(3)]
    ['20211215-101500_endline', '20211215-101500_endline_2', '20211215-101500_endline_3']
    """
    base = f"{when:%Y%m%d-%H%M%S}_{phase}"
    for n in range(1, 10_000):
        path = out / (base if n == 1 else f"{base}_{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise RuntimeError(f"{out}: cannot find a free run folder name for {base}")  # pragma: no cover


def kernel_name() -> str:
    """The Jupyter kernel the notebooks run in: ``evaltools`` when installed (``make install``), else ``python3``."""
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        names = set(KernelSpecManager().find_kernel_specs())
    except Exception:  # pragma: no cover - a broken Jupyter path
        names = set()
    return "evaltools" if "evaltools" in names else "python3"


def _quiet_kernel_manager():
    """A kernel manager whose kernel's own stderr (start-up chatter) does not reach the terminal."""
    import subprocess

    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stderr"] = subprocess.DEVNULL
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


def execute_notebook(src: Path, run_dir: Path, parameters: dict, *, kernel: str, progress: bool = False) -> dict:
    """Execute one notebook with papermill into ``run_dir/notebooks``; return its status (never raises)."""
    import papermill as pm

    dst = run_dir / "notebooks" / src.name
    t0 = time.perf_counter()
    status: dict = {"notebook": src.stem, "status": "ok", "error": None}
    try:
        pm.execute_notebook(
            str(src), str(dst), parameters=parameters, kernel_name=kernel, progress_bar=progress,
            log_output=False, request_save_on_cell_execute=False, kernel_manager_class=_quiet_kernel_manager(),
            # the kernel starts in the run folder; papermill's own cwd= would chdir this whole process,
            # which is not safe while another notebook runs in a second thread
            resources={"metadata": {"path": str(run_dir)}})
    except Exception as e:  # a failing notebook must not stop the others
        error = {"type": type(e).__name__, "message": _one_line(str(e))}
        if getattr(e, "ename", None):  # papermill.PapermillExecutionError
            error.update(type=e.ename, message=_one_line(e.evalue), cell=e.exec_count, cell_index=e.cell_index)
        status.update(status="failed", error=error)
    status["seconds"] = round(time.perf_counter() - t0, 3)
    return status


def _one_line(message: str, limit: int = 300) -> str:
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(message)).strip()
    lines = [ln for ln in message.splitlines() if ln.strip()]
    text = lines[-1] if lines else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failure_text(status: dict) -> str:
    e = status.get("error") or {}
    where = f"cell {e['cell']}: " if e.get("cell") is not None else ""
    return f"{status['notebook']}: {where}{e.get('type', '')}: {e.get('message', '')}"


def notebook_title(stem: str, lang: str) -> str:
    """The title of a notebook's page (its stem when the catalogue has none)."""
    key = f"report.notebook.{stem}"
    return t(key, lang) if has(key) else stem


# --------------------------------------------------------------------------- HTML export

def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab", extra_template_paths=[str(TEMPLATE_DIR)], template_file="evaltools.html.j2",
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True,
        anchor_link_text="")


def export_html(nb_path: Path, html_path: Path, *, lang: str, title: str, exporter=None,
                error: dict | None = None) -> str:
    """Render an executed notebook to one offline HTML page, code hidden; return its path in the run folder.

    Parameter cells and stderr streams are left out; nothing is loaded from
    the network (:func:`offline` makes sure). A notebook that could not be
    executed at all still gets a page that says so.
    """
    import nbformat

    exporter = exporter or _exporter()
    if nb_path.is_file():
        nb = nbformat.read(nb_path, as_version=4)
        nb = _for_people(nb)
        nb.metadata["title"] = title
        resources = {"metadata": {"name": title}, "language_code": lang,
                     "evaltools": {"back": t("report.back", lang), "title": title}}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
    else:
        message = html.escape(_failure_text({"notebook": nb_path.stem, "error": error or {}}))
        body = _page(title, f"<h1>{html.escape(title)}</h1><p class='bad'>{message}</p>", lang, back=True)
    html_path.write_text(offline(body), encoding="utf-8")
    return html_path.relative_to(html_path.parent.parent).as_posix()


def _for_people(nb):
    """A copy of ``nb`` without what a supervisor should not read: parameter cells and stderr."""
    import copy

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & set(HIDDEN_TAGS):
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        cells.append(cell)
    nb.cells = cells
    return nb


def offline(page: str) -> str:
    """Remove anything that would load from the network (script, link, img, iframe, source with http(s)://).

    >>> offline('<p>a</p><script src="https://cdn.example/x.js"></script><b>b</b>')
    '<p>a</p><b>b</b>'
    """
    page = re.sub(r"""<script\b[^>]*\bsrc\s*=\s*["'](?:https?:)?//[^>]*>\s*</script>""", "", page, flags=re.I)
    page = re.sub(r"""<script\b[^>]*type\s*=\s*["']module["'][^>]*>.*?</script>""",
                  lambda m: "" if re.search(r"(https?:)?//", m.group(0)) else m.group(0), page, flags=re.I | re.S)
    while (hit := _NETWORK_LOAD.search(page)) is not None:
        end = page.find(">", hit.end())
        page = page[:hit.start()] + page[end + 1:]
    return page


# --------------------------------------------------------------------------- manifest

def build_manifest(*, run_dir: Path, phase: str, parameters: dict, started, finished, seconds: float,
                   inputs: list[dict], tables: dict, notebooks: list[dict], kernel: str, project,
                   warnings: int = 0) -> dict:
    """The run's provenance (manifest.json, docs/outputs.md)."""
    from importlib import metadata

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    start, end = project.period
    return {
        "run": run_dir.name,
        "phase": phase,
        "toolkit": {"name": "evaltools", "version": toolkit_version()},
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "packages": versions,
        "kernel": kernel,
        "project": {"name": project.name, "period": {"start": start.date().isoformat(), "end": end.date().isoformat()},
                    "language": project.language},
        "parameters": {k: v for k, v in parameters.items()},
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
        "inputs": [{"file": f["file"], "sha256": f["sha256"], "bytes": f["bytes"]} for f in inputs],
        "fingerprint": fingerprint(inputs),
        "tables": dict(sorted(tables.items())),
        "validation_warnings": warnings,
        "notebooks": notebooks,
        "status": "ok" if all(s["status"] == "ok" for s in notebooks) else "failed",
    }


def toolkit_version() -> str:
    """evaltools' version (from the package, else its installed metadata)."""
    from importlib import metadata

    import evaltools

    version = getattr(evaltools, "__version__", None)
    if version:
        return str(version)
    try:
        return metadata.version("evaltools")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def fingerprint(inputs: list[dict]) -> str:
    """One sha256 over the input files' names and hashes: the same data gives the same fingerprint.

    >>> fingerprint([{"file": "a.csv", "sha256": "0" * 64}])[:12]
    'f8b7cecaad71'
    """
    lines = sorted(f"{f['file']}\t{f['sha256']}" for f in inputs)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def since_baseline(out: Path, manifest: dict, *, exclude: Path | None = None) -> dict | None:
    """What changed in the inputs since the latest baseline run in ``out`` (``None`` when there is none).

    Files are compared by sha256 (added, removed, changed); tables by their
    number of rows.
    """
    base = latest_run(out, phase="baseline", exclude=exclude)
    if base is None:
        return None
    before = {f["file"]: f["sha256"] for f in base.get("inputs", [])}
    after = {f["file"]: f["sha256"] for f in manifest["inputs"]}
    rows_before, rows_after = base.get("tables", {}), manifest.get("tables", {})
    rows = {name: {"before": rows_before.get(name), "after": rows_after.get(name)}
            for name in sorted(set(rows_before) | set(rows_after))
            if rows_before.get(name) != rows_after.get(name)}
    return {
        "baseline_run": base["run"],
        "baseline_started": base.get("started"),
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(f for f in set(after) & set(before) if after[f] != before[f]),
        "unchanged": len([f for f in set(after) & set(before) if after[f] == before[f]]),
        "rows": rows,
    }


def latest_run(out: Path, *, phase: str, exclude: Path | None = None) -> dict | None:
    """The manifest of the newest run of ``phase`` in ``out`` (by folder name, i.e. start time)."""
    for folder in sorted(list_runs(out), key=_run_sort_key, reverse=True):
        if exclude is not None and folder.resolve() == Path(exclude).resolve():
            continue
        m = _read_json(folder / "manifest.json")
        if m and m.get("phase") == phase:
            return m
    return None


def list_runs(out: Path) -> list[Path]:
    """Run folders in ``out`` (named like a run and holding a manifest)."""
    if not Path(out).is_dir():
        return []
    return [p for p in Path(out).iterdir() if p.is_dir() and RUN_NAME.match(p.name) and (p / "manifest.json").is_file()]


def _run_sort_key(p: Path):
    m = RUN_NAME.match(p.name)
    return (m["stamp"], int(m["n"] or 1)) if m else ("", 0)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------- index pages

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#555}.bad{color:#a4001d;font-weight:600}.ok{color:#006b3c}.note{color:#555;font-size:.92rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.25rem .6rem;border-bottom:1px solid #e3e3e3;
text-align:left;vertical-align:top}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{background:#f4f4f4}code{font-size:.85rem}.box{background:#f7f7f2;border-left:4px solid #c9b458;
padding:.5rem 1rem;margin:1rem 0}.status-met{color:#006b3c}.status-partly{color:#8a5a00}
.status-not-met{color:#a4001d}ul.verdicts li{margin:.3rem 0}
"""


def _page(title: str, body: str, lang: str, *, back: bool = False) -> str:
    nav = f"<p><a href='../index.html'>{html.escape(t('report.back', lang))}</a></p>" if back else ""
    return (f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n<body>{nav}{body}</body></html>\n")


def _num(x, lang: str, digits: int = 2) -> str:
    if isinstance(x, bool):
        return t("report.yes" if x else "report.no", lang)
    if isinstance(x, float) and x.is_integer() and digits == 0:
        x = int(x)
    return fmt_number(x, lang, digits)


def _p(p, lang: str) -> str:
    """A p-value for people: 3 places, ``<0.001`` below that.

    >>> _p(0.00002, "pl"), _p(0.0431, "en"), _p(None, "en")
    ('<0,001', '0.043', '–')
    """
    if p is None or p != p:
        return "–"
    return "<" + fmt_number(0.001, lang, 3) if p < 0.001 else fmt_number(p, lang, 3)


def _auto(x, lang: str) -> str:
    """A count as a whole number, anything else to 3 places."""
    if isinstance(x, (int, float)) and not isinstance(x, bool) and float(x).is_integer():
        return fmt_number(int(x), lang)
    return fmt_number(x, lang, 3)


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), *, css: str = "") -> str:
    head = "".join(f"<th class='num'>{html.escape(h)}</th>" if i in numeric else f"<th>{html.escape(h)}</th>"
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    cls = f" class='{css}'" if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_run_index(manifest: dict, summary: dict | None, *, lang: str) -> str:
    """``index.html`` of a run: headline results, links to the notebooks, data quality, provenance."""
    e = html.escape
    project = manifest["project"]
    phase_label = t(f"report.phase.{manifest['phase']}", lang)
    title = f"{project['name']} – {phase_label}"
    parts = [f"<h1>{e(project['name'])}</h1>",
             f"<p class='meta'>{e(t('report.index.period', lang, start=_date(project['period']['start'], lang), end=_date(project['period']['end'], lang)))}"
             f" · {e(phase_label)} · {e(t('report.index.run_at', lang, when=_when(manifest['started'], lang)))}</p>"]

    failed = [s for s in manifest["notebooks"] if s["status"] != "ok"]
    if failed:
        items = "".join(f"<li>{e(notebook_title(s['notebook'], lang))}: {e(_failure_text(s))}</li>" for s in failed)
        parts.append(f"<div class='box'><p class='bad'>{e(t('report.index.failed', lang, n=len(failed)))}</p>"
                     f"<ul>{items}</ul></div>")

    if manifest["phase"] == "baseline":
        parts.append(f"<p class='box'>{e(t('report.index.baseline_note', lang))}</p>")
    else:
        parts.append(f"<p class='box'>{e(since_baseline_sentence(manifest.get('since_baseline'), lang))}</p>")

    parts.append(f"<h2>{e(t('report.index.pages', lang))}</h2><ul>")
    for s in manifest["notebooks"]:
        mark = "" if s["status"] == "ok" else f" <span class='bad'>({e(t('report.status_failed', lang))})</span>"
        parts.append(f"<li><a href='{e(s['html'])}'>{e(notebook_title(s['notebook'], lang))}</a>{mark}</li>")
    parts.append("</ul>")
    summary = summary or {}
    parts.append(f"<h2>{e(t('report.index.headline', lang))}</h2>")
    if not summary:
        parts.append(f"<p class='bad'>{e(t('report.index.no_summary', lang))}</p>")
    parts += _headline_html(summary, lang)


    parts.append(f"<h2>{e(t('report.index.data_quality', lang))}</h2>")
    rows = [[e(name), _num(n, lang, 0)] for name, n in manifest.get("tables", {}).items()]
    parts.append(_table([t("report.col.table", lang), t("report.index.rows", lang)], rows, {1}))
    parts.append(f"<p>{e(t('report.index.warnings', lang, n=manifest.get('validation_warnings', 0)))}</p>")
    dq = [r for r in summary.get("data_quality", []) if (r.get("n_rows_affected") or 0) > 0]
    if dq:
        rows = [[e(r["table"]), e(_cell("check", r["check"], lang, None, 2)), _num(r["n_rows_affected"], lang, 0),
                 e(_cell("severity", r["severity"], lang, None, 2))] for r in dq]
        parts.append(_table([column_label(c, lang) for c in ("table", "check", "n_rows_affected", "severity")],
                            rows, {2}))

    parts.append(f"<h2>{e(t('report.index.provenance', lang))}</h2>")
    p = manifest["parameters"]
    parts.append("<p>" + e(t("report.index.provenance_text", lang, version=manifest["toolkit"]["version"],
                                 python=manifest["python"], fingerprint=manifest["fingerprint"][:12],
                                 min_cell=p["min_cell"], alpha=fmt_number(p["alpha"], lang),
                                 seed=p["seed"], seconds=fmt_number(manifest["seconds"], lang, 0))) + "</p>")
    rows = [[f"<code>{e(f['file'])}</code>", f"<code>{f['sha256'][:16]}…</code>", _num(f["bytes"], lang, 0)]
            for f in manifest["inputs"]]
    parts.append(_table([t("report.index.file", lang), "sha256", t("report.index.bytes", lang)], rows, {2}))
    parts.append(f"<p class='note'><a href='../index.html'>{e(t('report.index.all_runs', lang))}</a> · "
                 f"<a href='manifest.json'>manifest.json</a></p>")
    return _page(title, "\n".join(parts), lang)


def _headline_html(summary: dict, lang: str) -> list[str]:
    e = html.escape
    parts = []
    targets = summary.get("targets")
    if targets:
        c = targets["counts"]
        parts.append(f"<h3>{e(t('report.index.targets', lang))}</h3>")
        parts.append(f"<p>{e(t('report.index.targets_text', lang, met=c['met'], partly=c['partly'], not_met=c['not met'], n=len(targets['rows'])))}</p>")
        rows = [[e(str(r["label"])), _num(r["value"], lang, 0), _num(r["target"], lang, 0),
                 f"<span class='status-{str(r['status']).replace(' ', '-')}'>{e(_cell('status', r['status'], lang, None, 2))}</span>"]
                for r in targets["rows"]]
        parts.append(_table([column_label(c, lang) for c in ("label", "value", "target", "status")], rows, {1, 2}))
    change = summary.get("change")
    if change:
        parts.append(f"<h3>{e(t('report.index.change', lang))}</h3>")
        rows = []
        for r in change:
            name = e(f"{r['title']} – {r['scale_title']}")
            if r.get("suppressed"):
                rows.append([name, _num(r["n_pairs"], lang, 0)] + [e(t("report.hidden", lang))] * 3)
                continue
            ci = t("report.index.ci", lang, low=_num(r.get("ci_low"), lang), high=_num(r.get("ci_high"), lang))
            gci = t("report.index.ci", lang, low=_num(r.get("g_av_ci_low"), lang),
                    high=_num(r.get("g_av_ci_high"), lang))
            ptxt = _p(r.get("p_holm"), lang)
            rows.append([name, _num(r["n_pairs"], lang, 0), e(f"{_num(r.get('mean_diff'), lang)} {ci}"),
                         e(f"{_num(r.get('g_av'), lang)} {gci}"), e(ptxt)])
        parts.append(_table([t("report.index.outcome", lang), column_label("n_pairs", lang),
                             t("report.index.mean_diff_ci", lang), t("report.index.g_av_ci", lang),
                             column_label("p_holm", lang)], rows, {1, 2, 3, 4}))
    rc = summary.get("reliable_change")
    if rc:
        parts.append(f"<h3>{e(t('report.index.reliable_change', lang))}</h3>")
        rows = []
        for r in rc:
            name = e(f"{r['title']} – {r['scale_title']}")
            if r.get("suppressed"):
                rows.append([name, _num(r["n_pairs"], lang, 0)] + [e(t("report.hidden", lang))] * 4)
            else:
                rows.append([name] + [_num(r.get(k), lang, 0) for k in
                                      ("n_pairs", "n_improved", "n_unchanged", "n_deteriorated", "n_recovered")])
        parts.append(_table([t("report.index.outcome", lang)] + [column_label(k, lang) for k in
                            ("n_pairs", "n_improved", "n_unchanged", "n_deteriorated", "n_recovered")],
                            rows, {1, 2, 3, 4, 5}))
    net = summary.get("network")
    if net:
        parts.append(f"<h3>{e(t('report.index.network', lang))}</h3>")
        cols = ("n_nodes", "n_edges", "density", "mean_degree", "components", "isolates")
        rows = [[e(_cell("wave", r["wave"], lang, None, 2))] +
                [_num(r.get(k), lang, 0 if k in _INT_COLUMNS else 3) for k in cols] for r in net]
        parts.append(_table([column_label("wave", lang)] + [column_label(k, lang) for k in cols], rows,
                            set(range(1, len(cols) + 1))))
        for r in summary.get("network_change") or []:
            if r.get("p_value") is not None:
                parts.append(f"<p>{e(t('report.index.network_test', lang, measure=column_label(str(r['measure']), lang), before=_auto(r.get('baseline'), lang), after=_auto(r.get('endline'), lang), p=_p(r.get('p_value'), lang)))}</p>")
    verdicts = summary.get("verdicts")
    if verdicts or summary.get("design"):
        parts.append(f"<h3>{e(t('report.index.how_sure', lang))}</h3>")
        if verdicts:
            parts.append("<ul class='verdicts'>" + "".join(f"<li>{_md_inline(v)}</li>" for v in verdicts) + "</ul>")
        if summary.get("design"):
            parts.append("".join(f"<p>{_md_inline(par)}</p>" for par in str(summary["design"]).split("\n\n")
                                 if par.strip()))
    return parts


def _md_inline(text: str) -> str:
    """A little markdown (``**bold**``, ``*italic*``, ``- `` bullets) as escaped HTML."""
    out = html.escape(text.strip())
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<!\*)\*(?!\s)(.+?)(?<!\s)\*(?!\*)", r"<em>\1</em>", out)
    out = re.sub(r"^#+\s*", "", out)
    return out.replace("\n", "<br>")


def since_baseline_sentence(change: dict | None, lang: str) -> str:
    """The one line an endline index says about the data since the baseline run.

    >>> since_baseline_sentence(None, "en")
    'There is no baseline run in this folder to compare the data with.'
    """
    if not change:
        return t("report.since.none", lang)
    if not (change["added"] or change["removed"] or change["changed"]):
        return t("report.since.same", lang, run=change["baseline_run"])
    bits = []
    for kind in ("changed", "added", "removed"):
        if change[kind]:
            bits.append(t(f"report.since.{kind}", lang, files=", ".join(change[kind])))
    for name, r in change.get("rows", {}).items():
        if r["before"] is not None and r["after"] is not None:
            bits.append(t("report.since.rows", lang, table=name, before=r["before"], after=r["after"]))
    return t("report.since.head", lang, run=change["baseline_run"]) + " " + "; ".join(bits) + "."


def _date(iso: str, lang: str) -> str:
    d = pd.Timestamp(iso)
    return d.strftime("%d.%m.%Y") if lang == "pl" else d.strftime("%Y-%m-%d")


def _when(iso: str, lang: str) -> str:
    d = pd.Timestamp(iso)
    return d.strftime("%d.%m.%Y %H:%M") if lang == "pl" else d.strftime("%Y-%m-%d %H:%M")


def render_runs_index(out: Path, *, lang: str) -> str:
    """``<out>/index.html``: every run in the folder, newest first, with phase, time, data fingerprint, status."""
    e = html.escape
    rows = []
    for folder in sorted(list_runs(out), key=_run_sort_key, reverse=True):
        m = _read_json(folder / "manifest.json") or {}
        failed = [s for s in m.get("notebooks", []) if s.get("status") != "ok"]
        status = (f"<span class='ok'>{e(t('report.status_ok', lang))}</span>" if not failed else
                  f"<span class='bad'>{e(t('report.runs.failed', lang, n=len(failed)))}</span>")
        rows.append([f"<a href='{e(folder.name)}/index.html'>{e(folder.name)}</a>",
                     e(t(f"report.phase.{m.get('phase', 'baseline')}", lang)),
                     e(_when(m["started"], lang)) if m.get("started") else "–",
                     e(str(m.get("project", {}).get("name", ""))),
                     f"<code>{e(str(m.get('fingerprint', ''))[:12])}</code>", status])
    body = [f"<h1>{e(t('report.runs.title', lang))}</h1>", f"<p class='meta'>{e(t('report.runs.intro', lang))}</p>"]
    body.append(_table([t("report.runs.run", lang), t("report.runs.phase", lang), t("report.runs.time", lang),
                        t("report.runs.project", lang), t("report.runs.fingerprint", lang),
                        t("report.runs.status", lang)], rows))
    return _page(t("report.runs.title", lang), "\n".join(body), lang)


def write_runs_index(out: str | Path, *, lang: str = "en") -> Path:
    """Regenerate ``<out>/index.html``."""
    path = Path(out) / "index.html"
    path.write_text(render_runs_index(Path(out), lang=check_lang(lang)), encoding="utf-8")
    return path
